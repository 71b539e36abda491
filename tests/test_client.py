"""Every FlyMQClient method against a broker, checked by reading back what the broker holds.

Read-backs go through a second, independent client (``reader``), so they see the broker's state rather
than anything the first client remembers, and the same tests run against a real FlyMQ server
(``FLYMQ_TEST_SERVER``). Tests that need an option the real server leaves off are marked
``@pytest.mark.broker(...)``.
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import subprocess
import tempfile

import pytest

from pyflymq import (
    AuthResult,
    ClusterMetadata,
    DLQError,
    FetchResult,
    FlyMQClient,
    FlyMQConnectionError,
    GroupInfo,
    GroupNotFoundError,
    Lag,
    Message,
    OffsetOutOfRangeError,
    PartitionNotFoundError,
    RecordMetadata,
    SubscribeMode,
    TopicNotFoundError,
    Transaction,
    TransactionError,
    connect,
)
from pyflymq.connection import parse_servers

CERTS = pathlib.Path(tempfile.gettempdir()) / f"pyflymq-client-test-certs-{os.getpid()}"


@pytest.fixture
def reader(flymq):
    """A second client, to read back what the broker holds."""
    return flymq.client()


def values(client, topic, partition=0):
    """Every value in a partition, read with FETCH from offset 0."""
    out, offset = [], 0
    while True:
        result = client.fetch(topic, partition, offset, 1000)
        if not result.messages:
            return out
        out += [m.value for m in result.messages]
        offset = result.next_offset


def held(flymq, reader, topic, partition=0):
    """The values the broker holds in a partition: inspected directly when it is the built-in broker,
    otherwise read back through the independent ``reader`` client."""
    if flymq.broker is not None:
        return [value for _, _, value in flymq.broker.records(topic, partition)]
    return values(reader, topic, partition)


def committed(flymq, reader, topic, group, partition=0):
    """The broker's committed offset for (topic, group, partition)."""
    if flymq.broker is not None:
        return flymq.broker.committed(topic, group, partition)
    return reader.get_committed_offset(topic, group, partition)


# ----------------------------------------------------------------------------------- connecting


@pytest.mark.parametrize(("text", "expected"), [
    ("localhost:9092", [("localhost", 9092)]),
    ("h1:9092,h2:9093", [("h1", 9092), ("h2", 9093)]),
    (" h1 , h2:1 ", [("h1", 9092), ("h2", 1)]),
    ("[::1]:9092", [("::1", 9092)]),
    ("[::1]", [("::1", 9092)]),
    ("::1", [("::1", 9092)]),
    (["a:1", "b"], [("a", 1), ("b", 9092)]),
    ([("a", 5)], [("a", 5)]),
    (("a", 5), [("a", 5)]),
])
def test_parse_servers(text, expected):
    assert parse_servers(text) == expected


@pytest.mark.parametrize("bad", ["", "h:notaport", "h:70000", "[::1", []])
def test_parse_servers_rejects(bad):
    with pytest.raises(ValueError):
        parse_servers(bad)


def test_constructor_connects_and_exposes_addresses(flymq):
    with FlyMQClient(flymq.address, timeout_ms=3000) as client:
        assert client.connected
        assert client.address == flymq.address
        assert client.servers == [flymq.address]
        assert flymq.address in repr(client)
    assert client.closed and client.address is None


def test_connect_returns_an_open_client(flymq):
    client = connect(flymq.address)
    try:
        assert isinstance(client, FlyMQClient) and client.connected
    finally:
        client.close()


# ------------------------------------------------------------------------------------ producing


def test_produce_returns_metadata_and_stores_the_record(flymq, reader):
    client = flymq.client()
    topic = flymq.topic()
    meta = client.produce(topic, b"hello", key=b"k1")
    assert isinstance(meta, RecordMetadata)
    assert (meta.topic, meta.partition, meta.offset, meta.key_size, meta.value_size) == (topic, 0, 0, 2, 5)
    assert meta.timestamp > 1_600_000_000_000
    if flymq.broker is not None:
        assert flymq.broker.records(topic, 0) == [(0, b"k1", b"hello")]
    msg = reader.consume(topic, 0)
    assert (msg.key, msg.value) == (b"k1", b"hello")


def test_produce_encodes_str_as_utf8(flymq, reader):
    client = flymq.client()
    topic = flymq.topic()
    meta = client.produce(topic, "héllo", key="clé")
    assert (meta.key_size, meta.value_size) == (4, 6)
    msg = reader.consume(topic, 0)
    assert msg.decode() == "héllo" and msg.decode_key() == "clé"
    assert client.produce(topic, b"").key_size == -1  # no key


def test_produce_partition_argument_is_ignored(flymq, reader):
    client = flymq.client()
    topic = flymq.topic()
    client.create_topic(topic, 3)
    # FlyMQ places keyed records by FNV-1a(key) mod N (flymq-wire §3.1): k1 -> 0, a -> 1, user-123 -> 2.
    assert client.produce(topic, b"v", key="k1", partition=2).partition == 0
    assert client.produce(topic, b"v", key="a", partition=0).partition == 1
    assert client.produce(topic, b"v", key="user-123", partition=0).partition == 2
    assert [len(held(flymq, reader, topic, p)) for p in range(3)] == [1, 1, 1]


def test_produce_rejects_non_bytes(flymq):
    client = flymq.client()
    with pytest.raises(TypeError):
        client.produce(flymq.topic(), 42)


def test_produce_delayed_without_delay_manager_writes_at_once(flymq, reader):
    client = flymq.client()
    topic = flymq.topic()
    meta = client.produce_delayed(topic, b"later", 5000)
    assert (meta.topic, meta.key_size, meta.value_size) == (topic, -1, 5)
    assert held(flymq, reader, topic) == [b"later"]


def test_produce_with_ttl_writes_at_once(flymq, reader):
    client = flymq.client()
    topic = flymq.topic()
    meta = client.produce_with_ttl(topic, "x", 60_000)
    assert meta.value_size == 1
    assert held(flymq, reader, topic) == [b"x"]


# -------------------------------------------------------------------------------------- reading


def test_consume_reads_one_record(flymq):
    client = flymq.client()
    topic = flymq.topic()
    client.produce(topic, b"a", key=b"k")
    client.produce(topic, b"b")
    first, second = client.consume(topic, 0), client.consume(topic, offset=1)
    assert isinstance(first, Message)
    assert (first.topic, first.partition, first.offset, first.key, first.value) == (topic, 0, 0, b"k", b"a")
    assert (second.key, second.value, second.data, second.retry_count) == (None, b"b", b"b", 0)


def test_consume_past_the_end_is_offset_out_of_range(flymq):
    client = flymq.client()
    topic = flymq.topic()
    client.produce(topic, b"a")
    with pytest.raises(OffsetOutOfRangeError) as info:
        client.consume(topic, 1)
    assert (info.value.topic, info.value.partition, info.value.offset) == (topic, 0, 1)
    assert client.consume(topic, 0).value == b"a"  # the connection is still fine


def test_consume_missing_topic_and_partition(flymq):
    client = flymq.client()
    with pytest.raises(TopicNotFoundError):
        client.consume(flymq.topic(), 0)
    topic = flymq.topic()
    client.produce(topic, b"a")
    with pytest.raises(PartitionNotFoundError):
        client.consume(topic, 0, partition=3)


def test_fetch_fills_topic_and_partition(flymq):
    client = flymq.client()
    topic = flymq.topic()
    client.create_topic(topic, 2)
    for i in range(4):
        client.produce(topic, f"v{i}".encode())  # round-robin: 0, 1, 0, 1
    result = client.fetch(topic, partition=1)
    assert isinstance(result, FetchResult)
    assert [(m.topic, m.partition, m.offset, m.value) for m in result.messages] == [
        (topic, 1, 0, b"v1"), (topic, 1, 1, b"v3")]
    assert result.next_offset == 2
    assert len(result) == 2 and list(result) == result.messages


def test_fetch_paging_end_of_log_and_max_messages(flymq):
    client = flymq.client()
    topic = flymq.topic()
    for i in range(5):
        client.produce(topic, str(i))
    page = client.fetch(topic, 0, 1, max_messages=2)
    assert [m.offset for m in page.messages] == [1, 2] and page.next_offset == 3
    end = client.fetch(topic, 0, 5)
    assert end.messages == [] and end.next_offset == 5
    assert client.fetch(topic, 0, 10_000).next_offset == 10_000


def test_fetch_filter_is_applied_by_the_server(flymq):
    client = flymq.client()
    topic = flymq.topic()
    for value in [b"info: ok", b"ERROR: disk", b'{"user":{"id":1}}', b"error: net"]:
        client.produce(topic, value)
    assert [m.value for m in client.fetch(topic, filter="error").messages] == [b"ERROR: disk", b"error: net"]
    assert [m.offset for m in client.fetch(topic, filter="$.user.id").messages] == [2]


def test_fetch_missing_topic_and_partition(flymq):
    client = flymq.client()
    with pytest.raises(TopicNotFoundError) as info:
        client.fetch(flymq.topic())
    assert str(info.value).startswith("topic not found: ")
    topic = flymq.topic()
    client.create_topic(topic, 1)
    with pytest.raises(PartitionNotFoundError, match="^partition 4 not found$"):
        client.fetch(topic, 4)
    with pytest.raises(ValueError):
        client.fetch(topic, -1)  # would crash the upstream server: refused client-side


def test_sequential_fetch_pages_through_a_partition(flymq):
    client = flymq.client()
    topic = flymq.topic()
    client.create_topic(topic, 2)
    for i in range(50):
        client.produce(topic, b"%d" % i)  # round-robin: partition 0 holds the even numbers
    seen, offset = [], 0
    while True:
        result = client.fetch(topic, 0, offset, 3)
        if not result.messages:
            break
        seen += [int(m.value) for m in result.messages]
        offset = result.next_offset
        if offset == 6:  # other requests in between do not disturb the sequential read
            assert [int(m.value) for m in client.fetch(topic, 1, 0, 2).messages] == [1, 3]
            assert client.produce(topic + "-other", b"x").offset == 0
    assert seen == list(range(0, 50, 2))


def test_fetch_at_the_end_then_sees_new_records(flymq, reader):
    client = flymq.client()
    topic = flymq.topic()
    for value in (b"a", b"b", b"c", b"d"):
        client.produce(topic, value)
    assert len(client.fetch(topic, 0, 0, 2).messages) == 2
    assert [m.value for m in client.fetch(topic, 0, 2, 2).messages] == [b"c", b"d"]
    assert client.fetch(topic, 0, 4, 2).messages == []
    reader.produce(topic, b"e")
    result = client.fetch(topic, 0, 4, 2)
    assert [m.value for m in result.messages] == [b"e"] and result.next_offset == 5


def test_commits_between_pages(flymq):
    client = flymq.client()
    topic = flymq.topic()
    for i in range(40):
        client.produce(topic, b"%d" % i)
    offset, seen = 0, []
    while True:
        result = client.fetch(topic, 0, offset, 5)
        if not result.messages:
            break
        seen += [int(m.value) for m in result.messages]
        offset = result.next_offset
        client.commit_offset(topic, "g", 0, offset)
    assert seen == list(range(40))
    assert client.get_committed_offset(topic, "g") == 40


def test_filtered_fetch_pages(flymq):
    client = flymq.client()
    topic = flymq.topic()
    for i in range(30):
        client.produce(topic, b"even" if i % 2 == 0 else b"odd")
    offsets, offset = [], 0
    while True:
        result = client.fetch(topic, 0, offset, 4, filter="odd")
        if not result.messages:
            break
        offsets += [m.offset for m in result.messages]
        offset = result.next_offset
    assert offsets == list(range(1, 30, 2))


# --------------------------------------------------------------------------------------- topics


def test_create_list_delete_topic(flymq, reader):
    client = flymq.client()
    topic = flymq.topic()
    assert client.create_topic(topic, 3) is None
    if flymq.broker is not None:
        assert flymq.broker.partition_count(topic) == 3
    assert topic in reader.list_topics()
    assert reader.partitions(topic) == 3
    client.create_topic(topic, 5)  # existing: success, unchanged
    assert reader.partitions(topic) == 3
    client.produce(topic, b"x")
    client.delete_topic(topic)
    if flymq.broker is not None:
        assert flymq.broker.partition_count(topic) is None
    assert topic not in reader.list_topics()
    with pytest.raises(TopicNotFoundError):
        reader.fetch(topic)
    client.delete_topic(topic)  # idempotent


def test_list_topics_is_sorted(flymq):
    client = flymq.client()
    names = [flymq.topic("zz"), flymq.topic("aa")]
    for name in names:
        client.create_topic(name)
    listed = client.list_topics()
    assert listed == sorted(listed, key=lambda s: s.encode())
    assert set(names) <= set(listed)


def test_partitions_of_unknown_topic(flymq):
    with pytest.raises(TopicNotFoundError):
        flymq.client().partitions(flymq.topic())


def test_cluster_metadata(flymq):
    client = flymq.client()
    topic = flymq.topic()
    client.create_topic(topic, 2)
    meta = client.cluster_metadata(topic)
    assert isinstance(meta, ClusterMetadata)
    assert meta.cluster_id == "standalone"
    assert [t.topic for t in meta.topics] == [topic]
    parts = meta.topics[0].partitions
    assert [p.partition for p in parts] == [0, 1]
    assert all(p.state == "online" and p.leader_id for p in parts)
    assert topic in {t.topic for t in client.cluster_metadata().topics}


# ----------------------------------------------------------------------------------- watermarks


def test_watermarks(flymq):
    client = flymq.client()
    topic = flymq.topic()
    client.create_topic(topic, 1)
    assert client.watermarks(topic, 0) == (0, 0)  # not the server's raw latest = 1
    client.produce(topic, b"a")
    assert client.watermarks(topic, 0) == (0, 1)
    client.produce(topic, b"b")
    client.produce(topic, b"c")
    assert client.watermarks(topic) == (0, 3)
    assert not [g for g in client.list_groups() if g.topic == topic]  # no group joined


def test_watermarks_errors(flymq):
    client = flymq.client()
    with pytest.raises(TopicNotFoundError):
        client.watermarks(flymq.topic(), 0)
    topic = flymq.topic()
    client.create_topic(topic, 1)
    with pytest.raises(PartitionNotFoundError):
        client.watermarks(topic, 1)


# ------------------------------------------------------------------------------ consumer groups


def test_subscribe_modes(flymq):
    client = flymq.client()
    topic, group = flymq.topic(), "g"
    for i in range(3):
        client.produce(topic, str(i))
    assert client.subscribe(topic, group, 0, SubscribeMode.EARLIEST) == 0
    assert client.subscribe(topic, group, 0, "latest") == 3
    assert client.subscribe(topic, group) == 0  # COMMIT without a commit: earliest
    client.commit_offset(topic, group, 0, 2)
    assert client.subscribe(topic, group, 0, SubscribeMode.COMMIT) == 2
    assert client.get_committed_offset(topic, group) == 2  # subscribe committed nothing new


def test_commit_and_get_committed_offset(flymq, reader):
    client = flymq.client()
    topic, group = flymq.topic(), "workers"
    with pytest.raises(GroupNotFoundError, match=f"^consumer group not found: {topic}:workers$"):
        reader.get_committed_offset(topic, group)
    client.commit_offset(topic, group, 0, 5)
    assert committed(flymq, reader, topic, group) == 5
    assert reader.get_committed_offset(topic, group, 0) == 5
    assert reader.get_committed_offset(topic, group, 1) == 0  # known group, never committed there
    client.commit_offset(topic, group, 0, 3)  # may go backwards
    assert committed(flymq, reader, topic, group) == 3


def test_reset_offset(flymq, reader):
    client = flymq.client()
    topic, group = flymq.topic(), "g"
    for i in range(4):
        client.produce(topic, str(i))
    client.reset_offset(topic, group, 0, "latest")
    assert committed(flymq, reader, topic, group) == 4
    client.reset_offset(topic, group, 0, "earliest")
    assert committed(flymq, reader, topic, group) == 0
    client.reset_offset(topic, group, 0, 3)
    assert committed(flymq, reader, topic, group) == 3
    client.reset_offset(topic, group, 0, SubscribeMode.LATEST)
    assert reader.get_committed_offset(topic, group) == 4
    with pytest.raises(ValueError):
        client.reset_offset(topic, group, 0, "commit")


def test_list_and_describe_groups(flymq, reader):
    client = flymq.client()
    topic = flymq.topic()
    client.produce(topic, b"x")
    client.commit_offset(topic, "g1", 0, 1)
    client.subscribe(topic, "g2", 0, SubscribeMode.EARLIEST)  # this connection becomes a member of g2
    groups = {(g.topic, g.group_id): g for g in reader.list_groups() if g.topic == topic}
    assert set(groups) == {(topic, "g1"), (topic, "g2")}
    assert isinstance(groups[(topic, "g1")], GroupInfo)
    assert groups[(topic, "g1")].offsets == {0: 1}
    described = reader.describe_group(topic, "g2")
    assert (described.topic, described.group_id, described.members) == (topic, "g2", 1)
    if flymq.broker is not None:
        assert len(flymq.broker.group_members(topic, "g2")) == 1
    with pytest.raises(GroupNotFoundError):
        reader.describe_group(topic, "nope")


def test_get_lag(flymq):
    client = flymq.client()
    topic, group = flymq.topic(), "g"
    for i in range(5):
        client.produce(topic, str(i))
    client.commit_offset(topic, group, 0, 2)
    assert client.get_lag(topic, group) == Lag(committed=2, latest=5, lag=3)
    client.commit_offset(topic, group, 0, 9)
    assert client.get_lag(topic, group, 0).lag == 0


def test_get_lag_on_an_empty_partition_is_zero(flymq):
    client = flymq.client()
    topic = flymq.topic()
    client.create_topic(topic, 1)
    client.commit_offset(topic, "g", 0, 0)
    assert client.get_lag(topic, "g") == Lag(0, 0, 0)  # the server alone would say latest 1, lag 1
    client.produce(topic, b"x")
    assert client.get_lag(topic, "g") == Lag(0, 1, 1)


def test_delete_group(flymq, reader):
    client = flymq.client()
    topic = flymq.topic()
    client.commit_offset(topic, "g", 0, 1)
    client.delete_group(topic, "g")
    if flymq.broker is not None:
        assert flymq.broker.committed(topic, "g", 0) is None
    with pytest.raises(GroupNotFoundError):
        reader.get_committed_offset(topic, "g")
    with pytest.raises(GroupNotFoundError):
        client.delete_group(topic, "g")


# ------------------------------------------------------------------------------------------ DLQ


def test_dlq_ops_refused_when_the_servers_dlq_is_off(flymq):
    client = flymq.client()
    topic = flymq.topic()
    assert client.fetch_dlq(topic) == []
    with pytest.raises(DLQError, match="DLQ not enabled"):
        client.replay_dlq(topic, "m1")
    with pytest.raises(DLQError, match="DLQ not enabled"):
        client.purge_dlq(topic)


def _failed_message(client, topic):
    client.produce(topic, b"first")
    meta = client.produce(topic, b"\x00payload\xff", key=b"k")
    return client.consume(topic, meta.offset).with_retry_count(3)


def test_dead_letter_writes_flymqs_record(flymq, reader):
    client = flymq.client()
    topic = flymq.topic()
    message = _failed_message(client, topic)
    meta = client.dead_letter(message, ValueError("boom"))
    assert meta.topic == topic + ".dlq"
    record = json.loads(reader.consume(topic + ".dlq", meta.offset).value)
    assert list(record) == ["id", "original_topic", "original_offset", "payload", "reason", "error_message",
                            "retry_count", "first_failed_at", "last_failed_at"]
    assert record["original_topic"] == topic and record["original_offset"] == 1
    assert base64.b64decode(record["payload"]) == b"\x00payload\xff"
    assert (record["reason"], record["error_message"], record["retry_count"]) == ("max_retries_exceeded", "boom", 3)
    assert record["first_failed_at"].endswith("Z") and "T" in record["first_failed_at"]
    entries = reader.read_dlq(topic)
    assert [(e.id, e.value, e.error, e.retry_count, e.original_offset) for e in entries] == [
        (record["id"], b"\x00payload\xff", "boom", 3, 1)]


@pytest.mark.broker(dlq=True)
def test_fetch_replay_purge_dlq(flymq, reader):
    client = flymq.client()
    topic = flymq.topic()
    message = _failed_message(client, topic)
    client.dead_letter(message, "bad input", reason="poison")
    entries = client.fetch_dlq(topic, 10)
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.topic, entry.value, entry.error, entry.retry_count) == (topic, b"\x00payload\xff", "bad input", 3)
    client.replay_dlq(topic, entry.id)
    assert held(flymq, reader, topic)[-1] == b"\x00payload\xff"  # copied back to the original topic
    assert len(reader.fetch_dlq(topic)) == 1  # replay does not remove it
    with pytest.raises(DLQError, match="message not found"):
        client.replay_dlq(topic, "no-such-id")
    client.purge_dlq(topic)
    assert reader.fetch_dlq(topic) == []


# --------------------------------------------------------------------------------- transactions


@pytest.mark.broker(transactions=True)
def test_transaction_commits_on_success(flymq, reader):
    client = flymq.client()
    topic = flymq.topic()
    client.create_topic(topic)
    with client.transaction() as txn:
        assert isinstance(txn, Transaction) and txn.active
        txn.produce(topic, b"a")
        txn.produce(topic, "b")
        assert held(flymq, reader, topic) == []  # buffered until commit
    assert txn.state == "committed"
    assert held(flymq, reader, topic) == [b"a", b"b"]


@pytest.mark.broker(transactions=True)
def test_transaction_rolls_back_on_exception(flymq, reader):
    client = flymq.client()
    topic = flymq.topic()
    client.create_topic(topic)
    with pytest.raises(RuntimeError), client.transaction() as txn:
        txn.produce(topic, b"a")
        raise RuntimeError("processing failed")
    assert txn.state == "aborted"
    assert held(flymq, reader, topic) == []


@pytest.mark.broker(transactions=True)
def test_explicit_transaction_commit_abort(flymq, reader):
    client = flymq.client()
    topic = flymq.topic()
    txn = client.begin_transaction()
    txn.produce(topic, b"x")
    txn.rollback()
    with pytest.raises(TransactionError):
        txn.commit()
    txn = client.begin_transaction()
    txn.produce(topic, b"y")
    txn.commit()
    assert held(flymq, reader, topic) == [b"y"]
    with pytest.raises(TransactionError):  # the server refuses an unknown transaction (success = 0)
        Transaction(client, "txn-nope").commit()
    with pytest.raises(TransactionError):
        Transaction(client, "txn-nope").abort()


def test_transaction_without_coordinator_writes_through(flymq, reader):
    client = flymq.client()
    topic = flymq.topic()
    with client.transaction() as txn:
        txn.produce(topic, b"now")
    assert held(flymq, reader, topic) == [b"now"]


# ----------------------------------------------------------------------------------------- auth


def test_whoami_anonymous(flymq):
    result = flymq.client().whoami()
    assert isinstance(result, AuthResult)
    assert not result.success and result.username == ""


@pytest.mark.broker(users=["alice:secret:admin"])
def test_login_on_connect_and_whoami(flymq):
    client = flymq.client(username="alice", password="secret")
    result = client.whoami()
    assert (result.success, result.username, result.roles) == (True, "alice", ["admin"])


@pytest.mark.broker(users=["alice:secret:admin"])
def test_authenticate_later(flymq):
    client = flymq.client()
    result = client.authenticate("alice", "secret")
    assert result.success and result.username == "alice"
    assert client.whoami().username == "alice"


# ------------------------------------------------------------------------------------- consumer


def test_consumer_builds_a_high_level_consumer(flymq):
    from pyflymq.consumer import HighLevelConsumer

    if HighLevelConsumer.__init__ is object.__init__:
        pytest.skip("pyflymq/consumer.py is still a placeholder")
    client = flymq.client()
    topic = flymq.topic()
    client.produce(topic, b"x")
    consumer = client.consumer(topic, "g", auto_commit=False)
    try:
        assert isinstance(consumer, HighLevelConsumer)
    finally:
        close = getattr(consumer, "close", None)
        if close:
            close()


# ------------------------------------------------------------------------------------------ TLS


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=CERTS)


@pytest.fixture(scope="module", autouse=True)
def _certificates():
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate, made with openssl."""
    CERTS.mkdir(exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test-ca")
    (CERTS / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name in ("server", "client"):
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.pem", "-days", "2", "-extfile", "san.ext")
    yield
    for path in CERTS.iterdir():
        path.unlink()
    CERTS.rmdir()


TLS = {"tls_cert": str(CERTS / "server.pem"), "tls_key": str(CERTS / "server.key")}
MTLS = dict(TLS, tls_ca=str(CERTS / "ca.pem"))


@pytest.mark.broker(**TLS)
def test_tls(flymq):
    client = flymq.client(tls=True, tls_ca_file=str(CERTS / "ca.pem"))
    topic = flymq.topic()
    client.produce(topic, b"secret")
    assert values(client, topic) == [b"secret"]


@pytest.mark.broker(**TLS)
def test_tls_verification_failure_and_skip(flymq):
    with pytest.raises(FlyMQConnectionError, match="TLS|certificate"):
        connect(flymq.address, tls=True, timeout_ms=2000, retries=1)  # the test CA is not trusted
    client = flymq.client(tls=True, tls_insecure_skip_verify=True)
    assert client.list_topics() is not None


@pytest.mark.broker(**MTLS)
def test_mutual_tls(flymq):
    ca = str(CERTS / "ca.pem")
    client = flymq.client(tls_ca_file=ca, tls_cert_file=str(CERTS / "client.pem"),
                          tls_key_file=str(CERTS / "client.key"), tls_server_name="localhost")
    topic = flymq.topic()
    client.produce(topic, b"m")
    assert values(client, topic) == [b"m"]
    with pytest.raises(FlyMQConnectionError):
        connect(flymq.address, tls_ca_file=ca, timeout_ms=2000, retries=1)  # no client certificate
