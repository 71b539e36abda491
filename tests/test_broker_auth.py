"""Authorization with users configured (issue 7, item 3): every op is checked against the user's roles,
including the ones FlyMQ 1.26 leaves open (flymq-wire §3.9), and a consumer may do everything a consumer
group needs on any topic name."""

from __future__ import annotations

import os

import pytest

from pyflymq import wire
from pyflymq.broker import Broker
from pyflymq.broker.auth import OP_PERMISSIONS
from pyflymq.broker.testing import RawConnection
from pyflymq.wire import Op

pytestmark = pytest.mark.skipif(bool(os.environ.get("FLYMQ_TEST_SERVER")),
                                reason="needs the built-in broker with users (FlyMQ 1.26 leaves these ops open)")

USERS = ["root:r:admin", "prod:p:producer", "cons:c:consumer", "both:b:producer,consumer", "nobody:n:guest"]
PASSWORDS = {"root": "r", "prod": "p", "cons": "c", "both": "b", "nobody": "n"}
ROLES = {"root": {"produce", "consume", "admin"}, "prod": {"produce"}, "cons": {"consume"},
         "both": {"produce", "consume"}, "nobody": set()}
DENIED = ("authentication required", "unauthorized")

# op -> (what it needs, a request). "login": any signed-in user. Written out here, not read from the broker.
REQUESTS = {
    "LIST_TOPICS": ("login", Op.LIST_TOPICS, b""),
    "CLUSTER_METADATA": ("login", Op.CLUSTER_METADATA, b""),
    "GET_SCHEMA": ("login", Op.GET_SCHEMA, wire.encode_name_version_request("s", 0)),
    "LIST_SCHEMAS": ("login", Op.LIST_SCHEMAS, b""),
    "VALIDATE_SCHEMA": ("login", Op.VALIDATE_SCHEMA, wire.encode_validate_schema_request("s", b"{}")),
    "PRODUCE": ("produce", Op.PRODUCE, wire.encode_produce_request("t", b"v")),
    "PRODUCE_WITH_SCHEMA": ("produce", Op.PRODUCE_WITH_SCHEMA, wire.encode_produce_with_schema_request("t", "s", b"v")),
    "PRODUCE_DELAYED": ("produce", Op.PRODUCE_DELAYED, wire.encode_timed_produce_request("t", b"v", 1)),
    "PRODUCE_WITH_TTL": ("produce", Op.PRODUCE_WITH_TTL, wire.encode_timed_produce_request("t", b"v", 1000)),
    "TXN_BEGIN": ("produce", Op.TXN_BEGIN, b""),
    "TXN_PRODUCE": ("produce", Op.TXN_PRODUCE, wire.encode_txn_produce_request("txn-x", "t", b"v")),
    "TXN_COMMIT": ("produce", Op.TXN_COMMIT, wire.encode_txn_id_request("txn-x")),
    "TXN_ABORT": ("produce", Op.TXN_ABORT, wire.encode_txn_id_request("txn-x")),
    "REPLAY_DLQ": ("produce", Op.REPLAY_DLQ, wire.encode_replay_dlq_request("t", "m1")),
    "CONSUME": ("consume", Op.CONSUME, wire.encode_consume_request("t", 0, 0)),
    "CONSUME_ZERO_COPY": ("consume", Op.CONSUME_ZERO_COPY, wire.encode_consume_request("t", 0, 0)),
    "FETCH": ("consume", Op.FETCH, wire.encode_fetch_request("t", 0, 0, 10)),
    "FETCH_BINARY": ("consume", Op.FETCH_BINARY, wire.encode_fetch_request("t", 0, 0, 10)),
    "SUBSCRIBE": ("consume", Op.SUBSCRIBE, wire.encode_subscribe_request("t", "g", 0, "earliest")),
    "COMMIT": ("consume", Op.COMMIT, wire.encode_commit_request("t", "g", 0, 1)),
    "GET_OFFSET": ("consume", Op.GET_OFFSET, wire.encode_group_partition_request("t", "g", 0)),
    "GET_LAG": ("consume", Op.GET_LAG, wire.encode_group_partition_request("t", "g", 0)),
    "FETCH_DLQ": ("consume", Op.FETCH_DLQ, wire.encode_fetch_dlq_request("t", 10)),
    "CREATE_TOPIC": ("admin", Op.CREATE_TOPIC, wire.encode_create_topic_request("made", 1)),
    "DELETE_TOPIC": ("admin", Op.DELETE_TOPIC, wire.encode_topic_request("gone")),
    "PURGE_DLQ": ("admin", Op.PURGE_DLQ, wire.encode_topic_request("gone")),
    "RESET_OFFSET": ("admin", Op.RESET_OFFSET, wire.encode_reset_offset_request("t", "g", 0, "offset", 0)),
    "LIST_GROUPS": ("admin", Op.LIST_GROUPS, b""),
    "DESCRIBE_GROUP": ("admin", Op.DESCRIBE_GROUP, wire.encode_group_request("t", "g")),
    "DELETE_GROUP": ("admin", Op.DELETE_GROUP, wire.encode_group_request("t", "nope")),
    "REGISTER_SCHEMA": ("admin", Op.REGISTER_SCHEMA, wire.encode_register_schema_request("s2", "json", b"{}")),
    "DELETE_SCHEMA": ("admin", Op.DELETE_SCHEMA, wire.encode_name_version_request("s2", 1)),
}


@pytest.fixture(scope="module")
def broker(module_broker):
    """The module's broker with users and every option, holding topic ``t`` with a record and a commit."""
    b = module_broker(users=USERS, dlq=True, transactions=True, schemas=True)
    b.create_topic("t")
    b.produce("t", b"v")
    b.commit("t", "g", 0, 0)
    return b


def login(conn: RawConnection, name: str) -> None:
    reply = conn.request(Op.AUTH, wire.encode_auth_request(name, PASSWORDS[name]))
    assert wire.decode_auth_response(reply.payload).success


def denial(conn: RawConnection, op: int, payload: bytes) -> str | None:
    """The authorization error the request got, or None when it was let through."""
    reply = conn.request(op, payload)
    if reply.op != Op.ERROR:
        return None
    text = wire.decode_error(reply.payload, reply.flags).text
    return text if text in DENIED else None


def test_every_handled_op_is_in_the_table_and_in_this_test(broker):
    handled = set(broker.dispatcher._table)
    assert set(OP_PERMISSIONS) == handled
    assert {Op[name] for name in REQUESTS} == handled - {Op.AUTH, Op.WHOAMI}


@pytest.mark.parametrize("name", list(REQUESTS))
def test_anonymous_connections_get_nothing_but_auth_and_whoami(broker, name):
    _need, op, payload = REQUESTS[name]
    with RawConnection(broker.address) as c:
        assert denial(c, op, payload) == "authentication required"
        assert c.request(Op.WHOAMI).op == Op.WHOAMI


@pytest.mark.parametrize("user", list(PASSWORDS))
def test_each_role_gets_exactly_its_ops(broker, user):
    outcome = {}
    with RawConnection(broker.address) as c:
        login(c, user)
        for name, (_need, op, payload) in REQUESTS.items():
            outcome[name] = denial(c, op, payload)
    expected = {name: None if need == "login" or need in ROLES[user] else "unauthorized"
                for name, (need, _op, _payload) in REQUESTS.items()}
    assert outcome == expected


def test_a_consumer_runs_group_coordination_on_pseudo_topics(broker):
    registry = "__flymq_members.orders"
    with RawConnection(broker.address) as c:
        login(c, "cons")
        reply = c.request(Op.COMMIT, wire.encode_commit_request(registry, "workers", 3, 1234))
        assert reply.op == Op.COMMIT
        reply = c.request(Op.GET_OFFSET, wire.encode_group_partition_request(registry, "workers", 3))
        assert wire.decode_u64_response(reply.payload) == 1234
        for op, payload in [
            (Op.SUBSCRIBE, wire.encode_subscribe_request(registry, "workers", 0, "commit")),
            (Op.FETCH, wire.encode_fetch_request(registry, 0, 0, 10)),
            (Op.GET_LAG, wire.encode_group_partition_request(registry, "workers", 3)),
        ]:
            assert denial(c, op, payload) is None  # "topic not found" perhaps, never a refusal
    assert broker.committed(registry, "workers", 3) == 1234


def test_refused_writes_change_nothing(broker):
    broker.create_topic("keep.dlq")
    broker.produce("keep.dlq", b"{}")
    broker.commit("t", "kept", 0, 0)
    before = broker.high_watermark("t")
    with RawConnection(broker.address) as c:
        assert denial(c, Op.PURGE_DLQ, wire.encode_topic_request("keep")) == "authentication required"
        login(c, "prod")
        assert denial(c, Op.COMMIT, wire.encode_commit_request("t", "kept", 0, 99)) == "unauthorized"
        login(c, "cons")
        assert denial(c, Op.PRODUCE_WITH_TTL, wire.encode_timed_produce_request("t", b"x", 1)) == "unauthorized"
        assert denial(c, Op.PURGE_DLQ, wire.encode_topic_request("keep")) == "unauthorized"
    assert broker.committed("t", "kept", 0) == 0
    assert broker.high_watermark("t") == before
    assert "keep.dlq" in broker.topic_names()


def test_without_users_nothing_is_checked():
    with Broker() as plain, RawConnection(plain.address) as c:
        for name, (_need, op, payload) in REQUESTS.items():
            assert denial(c, op, payload) is None, name
