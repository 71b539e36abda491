"""The client never takes a server down, never hangs past its timeout, and tells the truth about writes.

* AUTH goes only to a server whose authentication is on (FlyMQ 1.26 crashes on it otherwise), found out
  with a probe that is not AUTH (flymq-wire §2.18).
* Input FlyMQ 1.26 crashes on (negative partitions and counts, flymq-wire §3.10) never leaves the client.
* ``timeout_ms`` bounds a whole request, and connecting has one total budget.
* A write that timed out says the server may or may not have applied it.
* ``client.node`` names the node in use.

The stand-in server (tests/standin_server.py) records every frame it receives; the time bounds below are
hang guards only (a request that ignores its budget takes 9 s or more here), not speed requirements.
"""

from __future__ import annotations

import time
import warnings

import pytest

from pyflymq import (
    AuthDisabledWarning,
    AuthenticationError,
    AuthNotEnabledError,
    FlyMQConnectionError,
    FlyMQTimeoutError,
    connect,
)
from pyflymq.broker import Broker
from pyflymq.wire import Op
from tests.standin_server import StandInServer

HANG_GUARD_S = 5.0


@pytest.fixture
def standin():
    """Factory of stand-in servers, closed at the end of the test."""
    made = []

    def make(**kwargs):
        server = StandInServer(**kwargs)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


# ------------------------------------------------------------------------------------- auth probe


def test_credentials_for_a_server_with_auth_off_connect_without_sending_auth(standin):
    server = standin(auth="off")
    with pytest.warns(AuthDisabledWarning, match="authentication turned off"):
        client = connect(server.address, username="alice", password="secret", timeout_ms=2000)
    try:
        assert Op.AUTH not in server.ops
        assert client.auth_warning is not None
        assert server.address in client.auth_warning and "not sent" in client.auth_warning
        assert client.list_topics() == []          # the server is still there and the client works
        assert client.produce("t", b"v").offset == 0
        assert Op.AUTH not in server.ops
    finally:
        client.close()


def test_require_auth_refuses_a_server_with_auth_off(standin):
    server = standin(auth="off")
    with pytest.raises(AuthNotEnabledError, match="require_auth") as info:
        connect(server.address, username="alice", password="secret", require_auth=True, timeout_ms=2000)
    assert isinstance(info.value, AuthenticationError)
    assert Op.AUTH not in server.ops
    assert server.connections == 1               # a refusal, not something to retry elsewhere


def test_authenticate_called_directly_probes_first(standin):
    server = standin(auth="off")
    client = connect(server.address, timeout_ms=2000)
    try:
        assert client.auth_warning is None
        with pytest.warns(AuthDisabledWarning):
            result = client.authenticate("alice", "secret")
        assert not result.success and "not sent" in result.error
        assert client.auth_warning == result.error
        assert Op.AUTH not in server.ops
        assert client.list_topics() == []
    finally:
        client.close()


def test_authenticate_with_require_auth_raises_on_a_server_with_auth_off(standin):
    server = standin(auth="off")
    client = connect(server.address, timeout_ms=2000, require_auth=True)  # no credentials: nothing to refuse
    try:
        with pytest.raises(AuthNotEnabledError):
            client.authenticate("alice", "secret")
        assert Op.AUTH not in server.ops
    finally:
        client.close()


def test_credentials_for_a_server_with_auth_on_log_in_after_the_probe(standin):
    server = standin(auth="on")
    with warnings.catch_warnings():
        warnings.simplefilter("error", AuthDisabledWarning)
        client = connect(server.address, username="alice", password="secret", timeout_ms=2000)
    try:
        assert client.auth_warning is None
        assert server.ops == [Op.FETCH, Op.AUTH]     # the probe, then the login
        assert client.fetch("t").next_offset == 10   # logged in: served
    finally:
        client.close()


def test_wrong_password_on_a_server_with_auth_on_is_refused(standin):
    server = standin(auth="on")
    with pytest.raises(AuthenticationError, match="invalid username or password"):
        connect(server.address, username="alice", password="nope", timeout_ms=2000)


@pytest.mark.broker(users=["alice:secret:admin"])
def test_login_on_the_builtin_broker_with_users(flymq):
    with warnings.catch_warnings():
        warnings.simplefilter("error", AuthDisabledWarning)
        client = flymq.client(username="alice", password="secret")
    assert client.auth_warning is None
    assert client.whoami().username == "alice"


def test_login_on_a_broker_with_auth_off_is_skipped(flymq):
    with pytest.warns(AuthDisabledWarning):
        client = flymq.client(username="alice", password="secret")
    assert client.auth_warning is not None
    assert not client.whoami().success           # not logged in: the login was never sent
    topic = flymq.topic()
    client.produce(topic, b"v")
    assert [m.value for m in client.fetch(topic).messages] == [b"v"]


# --------------------------------------------------------------------- input that crashes FlyMQ 1.26

BAD_CALLS = {
    "fetch-negative-partition": lambda c: c.fetch("t", -1),
    "fetch-negative-offset": lambda c: c.fetch("t", 0, -5),
    "fetch-negative-max": lambda c: c.fetch("t", 0, 0, -1),
    "fetch-partition-overflow": lambda c: c.fetch("t", 2**31),
    "fetch-float-partition": lambda c: c.fetch("t", 1.5),
    "consume-negative-partition": lambda c: c.consume("t", 0, partition=-1),
    "subscribe-negative-partition": lambda c: c.subscribe("t", "g", -1),
    "watermarks-negative-partition": lambda c: c.watermarks("t", -1),
    "get-lag-negative-partition": lambda c: c.get_lag("t", "g", -1),
    "reset-earliest-negative-partition": lambda c: c.reset_offset("t", "g", -1, "earliest"),
    "reset-latest-negative-partition": lambda c: c.reset_offset("t", "g", -2, "latest"),
    "reset-negative-offset": lambda c: c.reset_offset("t", "g", 0, -3),
    "create-topic-negative-count": lambda c: c.create_topic("t", -1),
    "create-topic-count-overflow": lambda c: c.create_topic("t", 2**31),
    "commit-negative-partition": lambda c: c.commit_offset("t", "g", -1, 0),
    "commit-negative-offset": lambda c: c.commit_offset("t", "g", 0, -1),
    "get-offset-negative-partition": lambda c: c.get_committed_offset("t", "g", -1),
    "produce-partition-below-auto": lambda c: c.produce("t", b"v", partition=-2),
    "fetch-dlq-negative-max": lambda c: c.fetch_dlq("t", -1),
    "delayed-negative-delay": lambda c: c.produce_delayed("t", b"v", -1000),
    "ttl-negative-ttl": lambda c: c.produce_with_ttl("t", b"v", -1),
    "schema-negative-version": lambda c: c.get_schema("s", -1),
    "read-dlq-negative-offset": lambda c: c.read_dlq("t", -1),
}


@pytest.mark.parametrize("call", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_input_the_server_crashes_on_is_refused_before_sending(standin, call):
    server = standin()
    client = connect(server.address, timeout_ms=2000)
    try:
        sent_before = len(server.ops)
        with pytest.raises(ValueError, match="nothing was sent"):
            call(client)
        assert server.ops[sent_before:] == []
        assert client.connected
    finally:
        client.close()


def test_consumer_calls_refuse_negative_partitions(standin):
    server = standin()
    client = connect(server.address, timeout_ms=2000)
    try:
        sent_before = len(server.ops)
        from pyflymq import Consumer

        with pytest.raises(ValueError):
            Consumer(client, "t", "g", partition=-1)
        assert server.ops[sent_before:] == []
    finally:
        client.close()


# --------------------------------------------------------------------------------- time budgets


def test_a_trickling_reply_cannot_stretch_a_request_past_its_timeout(standin):
    server = standin(trickle=0.05)  # one byte every 50 ms: the 190-byte FETCH reply would take 9.5 s
    client = connect(server.address, timeout_ms=1000)
    try:
        start = time.monotonic()
        with pytest.raises(FlyMQTimeoutError) as info:
            client.fetch("t")
        assert time.monotonic() - start < HANG_GUARD_S
        assert server.address in str(info.value)
        assert not info.value.outcome_unknown        # a read: nothing to be unsure about
    finally:
        client.close()


def test_connect_to_a_server_that_never_answers_honours_one_total_budget(standin):
    server = standin(silent_ops="all")  # accepts, reads, never answers (not even the connect probe)
    start = time.monotonic()
    with pytest.raises(FlyMQTimeoutError, match="connect budget"):
        connect(server.address, timeout_ms=2000, retries=3)  # before: 3 rounds x 2 s, plus backoff
    assert time.monotonic() - start < HANG_GUARD_S
    assert server.connections == 1


def test_connect_budget_is_shared_so_a_hanging_server_leaves_time_for_the_next(standin, flymq):
    silent = standin(silent_ops="all")
    client = connect([silent.address, flymq.address], timeout_ms=30_000, connect_timeout_ms=2000, retries=1)
    try:
        assert client.address == flymq.address
    finally:
        client.close()


def test_connect_timeout_applies_with_an_explicit_budget(standin):
    server = standin(silent_ops="all")
    start = time.monotonic()
    with pytest.raises(FlyMQTimeoutError):
        connect(server.address, timeout_ms=60_000, connect_timeout_ms=500, retries=5)
    assert time.monotonic() - start < HANG_GUARD_S


# ------------------------------------------------------------------------- writes that timed out


@pytest.mark.parametrize(("name", "call", "op"), [
    ("produce", lambda c: c.produce("t", b"v"), Op.PRODUCE),
    ("commit", lambda c: c.commit_offset("t", "g", 0, 5), Op.COMMIT),
])
def test_a_write_that_timed_out_may_have_been_applied(standin, name, call, op):
    server = standin(silent_ops={op})
    client = connect(server.address, timeout_ms=500)
    try:
        with pytest.raises(FlyMQTimeoutError) as info:
            call(client)
        assert info.value.outcome_unknown
        assert "may or may not have applied" in str(info.value)
        assert server.ops.count(op) == 1             # sent once, not repeated
        assert client.list_topics() == []            # the next call reconnects
    finally:
        client.close()


def test_a_read_that_timed_out_does_not_claim_an_unknown_outcome(standin):
    server = standin(silent_ops={Op.FETCH})
    client = connect(server.address, timeout_ms=500)
    try:
        with pytest.raises(FlyMQTimeoutError) as info:
            client.fetch("t")
        assert not info.value.outcome_unknown
        assert "may or may not" not in str(info.value)
    finally:
        client.close()


def test_a_write_whose_connection_broke_is_flagged(standin):
    server = standin(close_ops={Op.PRODUCE})  # reads the whole request, then drops the connection
    client = connect(server.address, timeout_ms=2000)
    try:
        with pytest.raises(FlyMQConnectionError) as info:
            client.produce("t", b"v")
        assert info.value.outcome_unknown
        assert "may or may not have applied" in str(info.value)
        assert server.ops.count(Op.PRODUCE) == 1
    finally:
        client.close()


# --------------------------------------------------------------------------------------- node


def test_node_names_the_server_in_use_and_follows_a_failover():
    with Broker(host="127.0.0.1", port=0) as first, Broker(host="127.0.0.1", port=0) as second:
        client = connect([first.address, second.address], timeout_ms=3000)
        try:
            node = client.node
            assert node.address == first.address
            assert node.node_id == "standalone"       # CLUSTER_METADATA's cluster_id on a single server
            assert client.node is node                # read once per connection
            first.stop()
            client.list_topics()                      # fails over to the second server
            assert client.node.address == second.address
        finally:
            client.close()


def test_node_id_is_none_when_the_server_does_not_answer_cluster_metadata(standin):
    server = standin()
    client = connect(server.address, timeout_ms=2000)
    try:
        assert client.node.address == server.address
        assert client.node.node_id is None
    finally:
        client.close()
