"""The built-in broker's FlyMQ semantics and quirks (flymq-wire §2, §3, §6), over real sockets."""

from __future__ import annotations

import json
import os
import random
import re
import time

import pytest

from pyflymq import wire
from pyflymq.broker import Broker
from pyflymq.broker.auth import parse_user
from pyflymq.broker.log import encode_entry, fnv1a32, scan
from pyflymq.broker.regex import Regex, compile_regex
from pyflymq.broker.replies import go_duration
from pyflymq.broker.testing import RawConnection
from pyflymq.broker.transactions import Coordinator
from pyflymq.models import RecordMetadata
from pyflymq.wire import Op


@pytest.fixture
def broker():
    with Broker() as b:
        yield b


@pytest.fixture
def conn(broker):
    with RawConnection(broker.address) as c:
        yield c


def ok(frame: wire.Frame, op: int) -> bytes:
    """The payload of a successful reply to ``op``."""
    assert frame.op == op, f"expected op {op:#x}, got error {frame.payload!r}"
    return frame.payload


def error(frame: wire.Frame, shape: str = "E1") -> str:
    """The text of an error reply, checking its shape."""
    assert frame.op == Op.ERROR, f"expected an error frame, got op {frame.op:#x}"
    decoded = wire.decode_error(frame.payload, frame.flags)
    assert decoded.shape == shape, decoded
    return decoded.text


def produce(c: RawConnection, topic: str, value: bytes, key: bytes | None = None, partition: int = -1):
    return wire.decode_record_metadata(ok(c.request(Op.PRODUCE, wire.encode_produce_request(
        topic, value, key, partition)), Op.PRODUCE))


def fetch(c: RawConnection, topic: str, offset: int = 0, max_messages: int = 100, filter: str | None = "",
          partition: int = 0) -> wire.FetchResult:
    reply = c.request(Op.FETCH, wire.encode_fetch_request(topic, partition, offset, max_messages, filter))
    return wire.decode_fetch_response(ok(reply, Op.FETCH), topic, partition)


def subscribe(c: RawConnection, topic: str, group: str, mode: str, partition: int = 0) -> wire.Frame:
    return c.request(Op.SUBSCRIBE, wire.encode_subscribe_request(topic, group, partition, mode))


def wait_for(predicate, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


# ------------------------------------------------------------------------------------ partitioning


@pytest.mark.parametrize(("key", "hashed", "mods"), [
    (b"k1", 0x983D80C1, {2: 1, 3: 0, 4: 1, 6: 3}),
    (b"user-123", 0x8C93CC93, {2: 1, 3: 2, 4: 3, 6: 5}),
    (b"a", 0xE40C292C, {2: 0, 3: 1, 4: 0, 6: 4}),
    (b"order-42", 0x572446F4, {2: 0, 3: 2, 4: 0, 6: 2}),
])
def test_keyed_produce_uses_fnv1a_and_ignores_the_partition_field(broker, conn, key, hashed, mods):
    assert fnv1a32(key) == hashed
    for count, expected in mods.items():
        topic = f"hash{count}"
        broker.create_topic(topic, count)
        meta = produce(conn, topic, b"v", key, partition=(expected + 1) % count)
        assert (meta.partition, meta.offset, meta.key_size) == (expected, 0, len(key))


def test_single_partition_and_keyless_writes(broker, conn):
    assert produce(conn, "one", b"v", b"user-123", partition=5).partition == 0
    broker.create_topic("rr", 3)
    assert [produce(conn, "rr", b"v", partition=2).partition for _ in range(5)] == [0, 1, 2, 0, 1]
    assert produce(conn, "rr", b"v").key_size == -1


def test_round_robin_is_shared_by_every_keyless_write_path():
    dlq_record = json.dumps({"id": "m", "original_topic": "rr", "payload": "eA=="}).encode()
    with Broker(dlq=True, transactions=True) as broker, RawConnection(broker.address) as c:
        broker.create_topic("rr", 4)
        broker.produce("rr.dlq", dlq_record)
        assert produce(c, "rr", b"p").partition == 0
        assert produce(c, "rr", b"keyed", b"k1").partition == 1  # keyed: does not advance the counter
        ttl = wire.decode_record_metadata(ok(c.request(Op.PRODUCE_WITH_TTL, wire.encode_timed_produce_request(
            "rr", b"ttl", 1000)), Op.PRODUCE_WITH_TTL))
        delayed = wire.decode_record_metadata(ok(c.request(Op.PRODUCE_DELAYED, wire.encode_timed_produce_request(
            "rr", b"delayed", 1)), Op.PRODUCE_DELAYED))
        schema = wire.decode_record_metadata(ok(c.request(Op.PRODUCE_WITH_SCHEMA,
                                                          wire.encode_produce_with_schema_request(
                                                              "rr", "none", b"schema")), Op.PRODUCE_WITH_SCHEMA))
        # FlyMQ reports partition 0 for these whatever partition they went to.
        assert (ttl.partition, delayed.partition, schema.partition) == (0, 0, 0)
        assert (ttl.offset, delayed.offset, schema.offset) == (1, 0, 0)  # p1 already held "keyed"
        txn = wire.decode_txn_response(ok(c.request(Op.TXN_BEGIN), Op.TXN_BEGIN))[0]
        ok(c.request(Op.TXN_PRODUCE, wire.encode_txn_produce_request(txn, "rr", b"txn")), Op.TXN_PRODUCE)
        assert wire.decode_txn_response(ok(c.request(Op.TXN_COMMIT, wire.encode_txn_id_request(txn)),
                                           Op.TXN_COMMIT)) == (txn, True)
        assert wire.decode_status_response(ok(c.request(Op.REPLAY_DLQ, wire.encode_replay_dlq_request("rr", "m")),
                                              Op.REPLAY_DLQ)) == (True, "OK")
        values = {p: [v for _o, _k, v in broker.records("rr", p)] for p in range(4)}
    assert values == {0: [b"p", b"txn"], 1: [b"keyed", b"ttl", b"x"], 2: [b"delayed"], 3: [b"schema"]}


def test_transaction_pass_through_writes_round_robin(broker, conn):
    broker.create_topic("rr", 2)
    txn = wire.decode_txn_response(ok(conn.request(Op.TXN_BEGIN, b"ignored payload"), Op.TXN_BEGIN))[0]
    assert re.fullmatch(r"txn-\d{19}", txn)
    metas = [wire.decode_record_metadata(ok(conn.request(Op.TXN_PRODUCE, wire.encode_txn_produce_request(
        txn, "rr", f"v{i}".encode())), Op.TXN_PRODUCE)) for i in range(3)]
    assert [(m.partition, m.offset, m.key_size) for m in metas] == [(0, 0, -1), (0, 0, -1), (0, 1, -1)]
    assert [v for _o, _k, v in broker.records("rr", 1)] == [b"v1"]
    for op in (Op.TXN_COMMIT, Op.TXN_ABORT):
        assert wire.decode_txn_response(ok(conn.request(op, wire.encode_txn_id_request("nope")), op)) == ("nope", True)


# ------------------------------------------------------------------------------------ topics


def test_only_writes_auto_create_topics(broker, conn):
    requests = [
        (Op.FETCH, wire.encode_fetch_request("x", 0, 0, 10), "topic not found: x"),
        (Op.CONSUME, wire.encode_consume_request("x", 0, 0), "topic not found"),
        (Op.SUBSCRIBE, wire.encode_subscribe_request("x", "", 0, "earliest"), "topic not found: x"),
        (Op.RESET_OFFSET, wire.encode_reset_offset_request("x", "g", 0, "earliest"), "topic not found: x"),
        (Op.RESET_OFFSET, wire.encode_reset_offset_request("x", "g", 0, "latest"), "topic not found: x"),
    ]
    for op, payload, text in requests:
        assert error(conn.request(op, payload)) == text
    assert error(conn.request(Op.CLUSTER_METADATA, wire.encode_topic_request("x")), "E3") == "topic not found: x"
    ok(conn.request(Op.COMMIT, wire.encode_commit_request("x", "g", 0, 3)), Op.COMMIT)
    ok(conn.request(Op.RESET_OFFSET, wire.encode_reset_offset_request("x", "g", 1, "offset", 9)), Op.RESET_OFFSET)
    assert error(conn.request(Op.GET_LAG, wire.encode_group_partition_request("x", "g", 0))) == "topic not found: x"
    assert broker.topic_names() == []
    produce(conn, "x", b"v")
    assert broker.partition_count("x") == 1


def test_create_topic_rules(broker, conn):
    def create(name, count):
        return conn.request(Op.CREATE_TOPIC, wire.encode_create_topic_request(name, count))

    assert ok(create("zero", 0), Op.CREATE_TOPIC) == b"\x01"
    assert broker.partition_count("zero") == 1
    ok(create("three", 3), Op.CREATE_TOPIC)
    ok(create("three", 7), Op.CREATE_TOPIC)
    assert broker.partition_count("three") == 3
    assert error(create("neg", -3)) == "invalid partition count: -3"
    assert error(create("huge", 2**31 - 1)) == f"invalid partition count: {2**31 - 1}"
    assert broker.partition_count("neg") is None and broker.partition_count("huge") is None


def test_list_topics_sorts_by_bytes_and_hides_internal_topics(broker, conn):
    for name in ["t", "B", "__h", "é", "z", "a.dlq", "_x", ""]:
        broker.create_topic(name)
    payload = ok(conn.request(Op.LIST_TOPICS, b"payload is ignored"), Op.LIST_TOPICS)
    assert wire.decode_list_topics_response(payload) == ["", "B", "_x", "a.dlq", "t", "z", "é"]


def test_delete_topic_is_idempotent_and_keeps_group_offsets(broker, conn):
    produce(conn, "d", b"v")
    broker.commit("d", "g", 0, 1)
    for _ in range(2):
        assert ok(conn.request(Op.DELETE_TOPIC, wire.encode_topic_request("d")), Op.DELETE_TOPIC) == b"\x01"
    assert broker.topic_names() == []
    assert wire.decode_u64_response(ok(conn.request(Op.GET_OFFSET, wire.encode_group_partition_request(
        "d", "g", 0)), Op.GET_OFFSET)) == 1
    assert produce(conn, "d", b"again").offset == 0  # a new, empty log


def test_cluster_metadata_standalone_shape(broker, conn):
    broker.create_topic("t", 2)
    broker.create_topic("__internal")
    for payload in (b"", wire.encode_topic_request("")):
        meta = wire.decode_cluster_metadata_response(ok(conn.request(Op.CLUSTER_METADATA, payload),
                                                        Op.CLUSTER_METADATA))
        assert meta.cluster_id == "standalone"
        assert {t.topic: len(t.partitions) for t in meta.topics} == {"t": 2, "__internal": 1}
    p = meta.topics[-1].partitions[-1]
    assert (p.leader_id, p.leader_addr, p.epoch, p.state, p.replicas, p.isr) == (
        "local-1", broker.address, 1, "online", ["local-1"], ["local-1"])
    bad = conn.request(Op.CLUSTER_METADATA, b"\x00\x09t")
    assert error(bad, "E3") == "invalid request: invalid binary format"


# ------------------------------------------------------------------------------------ reading


def test_latest_is_highest_plus_one_with_one_on_an_empty_partition(broker, conn):
    broker.create_topic("e")
    assert wire.decode_u64_response(ok(subscribe(conn, "e", "", "latest"), Op.SUBSCRIBE)) == 1
    assert wire.decode_u64_response(ok(subscribe(conn, "e", "", ""), Op.SUBSCRIBE)) == 1
    broker.produce("e", b"one")
    assert wire.decode_u64_response(ok(subscribe(conn, "e", "", "latest"), Op.SUBSCRIBE)) == 1
    broker.produce("e", b"two")
    broker.produce("e", b"three")
    assert wire.decode_u64_response(ok(subscribe(conn, "e", "", "latest"), Op.SUBSCRIBE)) == 3
    assert wire.decode_u64_response(ok(subscribe(conn, "e", "", "earliest"), Op.SUBSCRIBE)) == 0
    assert broker.high_watermark("e") == 3
    assert broker.groups() == []  # an empty group id creates nothing


def test_fetch_max_messages_end_of_log_and_scan_cap(broker, conn):
    for i in range(1500):
        broker.produce("f", b"v%d" % i)
    assert len(fetch(conn, "f", max_messages=0)) == 10
    assert len(fetch(conn, "f", max_messages=-7)) == 10
    capped = fetch(conn, "f", max_messages=5000)
    assert (len(capped), capped.next_offset, capped.messages[-1].offset) == (1000, 1000, 999)
    tail = fetch(conn, "f", offset=1400, max_messages=5000)
    assert (len(tail), tail.next_offset) == (100, 1500)
    for offset in (1500, 10**6, 2**64 - 1):
        end = fetch(conn, "f", offset=offset)
        assert (len(end), end.next_offset) == (0, offset)


def test_filtered_fetch_advances_past_non_matching_records(broker, conn):
    for i in range(1200):
        broker.produce("f", b"needle" if i == 1100 else b"hay")
    first = fetch(conn, "f", filter="needle")
    assert (len(first), first.next_offset) == (0, 1000)
    second = fetch(conn, "f", offset=first.next_offset, filter="needle")
    assert [(m.offset, m.value) for m in second] == [(1100, b"needle")]
    assert second.next_offset == 1200
    one = fetch(conn, "f", offset=1000, max_messages=1, filter="needle")
    assert one.next_offset == 1101  # stopped right after the match


@pytest.mark.parametrize(("filter_text", "key", "value", "match"), [
    ("ERR", None, b"error: disk", True),
    ("^a.c$", None, b"abc", True),
    ("^a.c$", None, b"xabc", False),
    ("[", None, b"a[b", True),
    ("$.user.id", None, b'{"user":{"id":1}}', True),
    ("$.user.id", None, b'{"user":{"name":1}}', False),
    ("$.user", None, b'{"user":null}', True),
    ("$.user", None, b' {"user":1}', False),
    ("$.a", None, b"{broken", False),
    ("ORDER", b"order-42", b"payload", True),
    ("^ord.r-\\d+$", b"order-42", b"payload", True),
    ("(?i)PAY", None, b"payload", True),
    ("a{2}$", None, b"baa", True),
    ("x\\by", None, b"x y", False),
    ("(a)\\1", None, b"aa", False),  # backreferences are not RE2: skipped, and not a substring
])
def test_filter_rules(broker, conn, filter_text, key, value, match):
    broker.produce("flt", value, key=key)
    result = fetch(conn, "flt", filter=filter_text)
    assert len(result) == (1 if match else 0)
    assert result.next_offset == 1


def test_hostile_regex_filter_runs_in_linear_time(broker, conn):
    for _ in range(200):
        broker.produce("redos", b"a" * 2000 + b"!")
    started = time.monotonic()
    for pattern in ("^(a+)+$", "^(a|aa)*$", ".*.*.*=", "^(\\w+\\s?)*$"):
        assert len(fetch(conn, "redos", filter=pattern)) == 0
    assert time.monotonic() - started < 10
    assert len(fetch(conn, "redos", filter="(a+)+!$")) == 100


def test_a_slow_filter_returns_early_with_a_next_offset():
    window = [encode_entry(i, b"", b"v") for i in range(100)]

    def slow(_key, _value):
        time.sleep(0.01)
        return False

    found, next_offset = scan(window, 500, 10, slow, budget=0.05)
    assert found == [] and 500 < next_offset < 600


def test_regex_engine_agrees_with_python_re():
    patterns = [r"^a.c$", r"abc", r"a|b", r"(?i)AbC", r"[^a-c]x", r"\bfoo\b", r"x{2,3}y", r"^$", r"a*",
                r"(?m)^b$", r"\d+\.\d*", r"[\W]", r"(ab|cd)+e", r"(?s)a.b", r"a.b", r"\Aab", r"ab\Z", r"(x{1,2}){2}z",
                r"[a-c]+?d", r"(?:a|b)(?:c|d)"]
    alphabet = "abcdxyz.\n 1_ef"
    rng = random.Random(7)
    for pattern in patterns:
        # Python's $ also matches before a final newline; RE2's (and ours) only at the end, like \Z.
        ours, theirs = Regex(pattern), re.compile(pattern if "(?m)" in pattern else pattern.replace("$", r"\Z"))
        for _ in range(300):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9)))
            assert ours.search(text) == (theirs.search(text) is not None), (pattern, text)
    assert Regex("a$").search("a\n") is False  # RE2: $ is the end of text without (?m)
    for bad in [r"(a)\1", r"(?=x)", r"a++", r"(?>a)", r"x{1001}", r"(", r"["]:
        assert compile_regex(bad) is None


def test_consume_errors(broker, conn):
    broker.produce("c", b"v", key=b"k")
    assert wire.decode_consume_response(ok(conn.request(Op.CONSUME, wire.encode_consume_request("c", 0, 0)),
                                           Op.CONSUME)) == (b"k", b"v")
    assert ok(conn.request(Op.CONSUME_ZERO_COPY, wire.encode_consume_request("c", 0, 0)), Op.CONSUME_ZERO_COPY)
    assert error(conn.request(Op.CONSUME, wire.encode_consume_request("c", 0, 1))) == "EOF"
    assert error(conn.request(Op.CONSUME, wire.encode_consume_request("c", 0, 2**64 - 1))) == "EOF"
    assert error(conn.request(Op.CONSUME, wire.encode_consume_request("c", 1, 0))) == "partition 1 out of range"
    assert error(conn.request(Op.CONSUME, wire.encode_consume_request("c", -1, 0))) == "partition -1 out of range"


def test_negative_partitions_are_errors_not_crashes(broker, conn):
    broker.create_topic("n", 2)
    requests = [
        (Op.FETCH, wire.encode_fetch_request("n", -1, 0, 10)),
        (Op.FETCH_BINARY, wire.encode_fetch_request("n", -2**31, 0, 10)),
        (Op.SUBSCRIBE, wire.encode_subscribe_request("n", "g", -1, "earliest")),
        (Op.RESET_OFFSET, wire.encode_reset_offset_request("n", "g", -1, "earliest")),
        (Op.RESET_OFFSET, wire.encode_reset_offset_request("n", "g", -1, "latest")),
        (Op.GET_LAG, wire.encode_group_partition_request("n", "g", -1)),
    ]
    for op, payload in requests:
        assert re.fullmatch(r"partition -\d+ not found", error(conn.request(op, payload)))
    assert error(conn.request(Op.FETCH, wire.encode_fetch_request("n", 2, 0, 10))) == "partition 2 not found"
    assert wire.decode_list_topics_response(ok(conn.request(Op.LIST_TOPICS), Op.LIST_TOPICS)) == ["n"]


def test_trailing_bytes_are_ignored(broker, conn):
    broker.produce("t", b"v")
    assert ok(conn.request(Op.CONSUME, wire.encode_consume_request("t", 0, 0) + b"junk"), Op.CONSUME)
    assert ok(conn.request(Op.SUBSCRIBE, wire.encode_subscribe_request("t", "", 0, "latest") + b"\x00" * 9),
              Op.SUBSCRIBE)
    assert wire.decode_fetch_request(wire.encode_fetch_request("t", 0, 0, 1, None) + b"\x00\x09ab").filter == ""
    assert len(fetch(conn, "t", filter=None)) == 1


def test_pipelined_requests_are_answered_in_order(broker, conn):
    for i in range(50):
        broker.produce("p", b"%d" % i)
    frames = [wire.encode_frame(Op.FETCH, wire.encode_fetch_request("p", 0, i, 1)) for i in range(49, -1, -1)]
    conn.send(b"".join(frames))
    offsets = [wire.decode_fetch_response(conn.read_frame().payload).messages[0].offset for _ in range(50)]
    assert offsets == list(range(49, -1, -1))


def test_large_fetch_stops_before_32_mib(broker, conn):
    big = b"x" * (1 << 20)
    for _ in range(40):
        broker.produce("big", big)
    result = fetch(conn, "big", max_messages=100)
    assert len(result) == 31 and result.next_offset == 31


# ------------------------------------------------------------------------------------ groups


def test_commit_and_reset_create_groups(broker, conn):
    ok(conn.request(Op.COMMIT, wire.encode_commit_request("t", "g", 3, 9)), Op.COMMIT)
    assert broker.committed("t", "g", 3) == 9
    get = conn.request(Op.GET_OFFSET, wire.encode_group_partition_request("t", "g", 0))
    assert wire.decode_u64_response(ok(get, Op.GET_OFFSET)) == 0  # known group, never committed
    unknown = conn.request(Op.GET_OFFSET, wire.encode_group_partition_request("t", "other", 0))
    assert error(unknown) == "consumer group not found: t:other"
    ok(conn.request(Op.COMMIT, wire.encode_commit_request("t", "g", 3, 2)), Op.COMMIT)  # backwards is fine
    broker.create_topic("t")
    broker.produce("t", b"a")
    broker.produce("t", b"b")
    ok(conn.request(Op.RESET_OFFSET, wire.encode_reset_offset_request("t", "r", 0, "latest")), Op.RESET_OFFSET)
    assert broker.committed("t", "r", 0) == 2
    groups = wire.decode_list_groups_response(ok(conn.request(Op.LIST_GROUPS), Op.LIST_GROUPS))
    assert [(g.topic, g.group_id, g.members, g.offsets) for g in groups] == [
        ("t", "g", 0, {3: 2}), ("t", "r", 0, {0: 2})]
    assert error(conn.request(Op.RESET_OFFSET, wire.encode_reset_offset_request("t", "g", 5, "latest"))) == (
        "partition 5 not found")
    assert error(conn.request(Op.RESET_OFFSET, wire.encode_reset_offset_request("t", "g", 0, "commit"))) == (
        "unknown reset mode: commit")
    no_u64 = wire.str16("t") + wire.str16("g") + wire.i32(0) + wire.str8("offset")
    assert error(conn.request(Op.RESET_OFFSET, no_u64)) == "invalid binary format"


def test_subscribe_modes_and_lag(broker, conn):
    for i in range(5):
        broker.produce("s", b"%d" % i)
    assert wire.decode_u64_response(ok(subscribe(conn, "s", "g", "commit"), Op.SUBSCRIBE)) == 0  # not latest
    broker.commit("s", "g", 0, 4)
    assert wire.decode_u64_response(ok(subscribe(conn, "s", "g", "commit"), Op.SUBSCRIBE)) == 4
    assert error(subscribe(conn, "s", "g", "committed")) == "unknown subscribe mode: committed"
    lag = wire.decode_get_lag_response(ok(conn.request(Op.GET_LAG, wire.encode_group_partition_request(
        "s", "g", 0)), Op.GET_LAG))
    assert (lag.committed, lag.latest, lag.lag) == (4, 5, 1)
    broker.commit("s", "g", 0, 50)
    lag = wire.decode_get_lag_response(ok(conn.request(Op.GET_LAG, wire.encode_group_partition_request(
        "s", "g", 0)), Op.GET_LAG))
    assert lag.lag == 0
    assert error(conn.request(Op.GET_LAG, wire.encode_group_partition_request("s", "nope", 0))) == (
        "consumer group not found: s:nope")


def test_membership_is_per_connection_and_only_the_last_group_is_left(broker):
    broker.create_topic("t")
    first = RawConnection(broker.address)
    # Registered before the topic is checked: the call fails, the member and the group stay.
    assert error(subscribe(first, "missing", "g0", "latest")) == "topic not found: missing"
    ok(subscribe(first, "t", "g1", "latest"), Op.SUBSCRIBE)
    ok(subscribe(first, "t", "g2", "earliest"), Op.SUBSCRIBE)
    ok(subscribe(first, "t", "g2", "earliest"), Op.SUBSCRIBE)
    with RawConnection(broker.address) as second:
        ok(subscribe(second, "t", "g2", "latest"), Op.SUBSCRIBE)
        assert len(broker.group_members("t", "g2")) == 2
        described = wire.decode_describe_group_response(ok(second.request(
            Op.DESCRIBE_GROUP, wire.encode_group_request("t", "g2")), Op.DESCRIBE_GROUP))
        assert described.members == 2
    assert wait_for(lambda: len(broker.group_members("t", "g2")) == 1)
    assert [len(broker.group_members("missing", "g0")), len(broker.group_members("t", "g1"))] == [1, 1]
    first.close()
    assert wait_for(lambda: broker.group_members("t", "g2") == [])
    time.sleep(0.05)
    assert len(broker.group_members("t", "g1")) == 1  # an earlier group keeps the stale member
    assert len(broker.group_members("missing", "g0")) == 1


def test_delete_group(broker, conn):
    broker.commit("t", "g", 0, 1)
    assert ok(conn.request(Op.DELETE_GROUP, wire.encode_group_request("t", "g")), Op.DELETE_GROUP) == b"\x01"
    assert error(conn.request(Op.DELETE_GROUP, wire.encode_group_request("t", "g"))) == (
        "consumer group not found: t:g")
    assert error(conn.request(Op.DESCRIBE_GROUP, wire.encode_group_request("t", "g"))) == (
        "consumer group not found: t:g")


# ------------------------------------------------------------------------------------ DLQ


def _dlq_op(c, op, payload):
    return wire.decode_status_response(ok(c.request(op, payload), op))


def test_dlq_is_off_by_default(broker, conn):
    broker.produce("d.dlq", json.dumps({"id": "m1", "payload": "dg=="}).encode())
    assert wire.decode_fetch_dlq_response(ok(conn.request(Op.FETCH_DLQ, wire.encode_fetch_dlq_request("d", 10)),
                                             Op.FETCH_DLQ)) == []
    assert _dlq_op(conn, Op.REPLAY_DLQ, wire.encode_replay_dlq_request("d", "m1")) == (False, "DLQ not enabled")
    assert _dlq_op(conn, Op.PURGE_DLQ, wire.encode_topic_request("d")) == (False, "DLQ not enabled")
    assert "d.dlq" in broker.topic_names() and "d" not in broker.topic_names()


def test_dlq_fetch_replay_purge():
    records = [
        {"id": "m1", "original_topic": "orders", "payload": "dg==", "error_message": "boom", "retry_count": 3,
         "extra": {"ignored": True}},
        "not json at all",
        {"id": "m2", "retry_count": "three"},          # wrong type: Go cannot decode it
        {"id": "m3", "payload": "%%%"},                  # not base64
        {"ID": "m4", "Payload": "eA==", "retry_count": 2**40},  # case-insensitive names; i32 truncation
    ]
    with Broker(dlq=True) as broker, RawConnection(broker.address) as c:
        for record in records:
            broker.produce("d.dlq", record.encode() if isinstance(record, str) else json.dumps(record).encode())

        def fetch_dlq(n):
            return wire.decode_fetch_dlq_response(ok(c.request(Op.FETCH_DLQ, wire.encode_fetch_dlq_request(
                "d", n)), Op.FETCH_DLQ))

        entries = fetch_dlq(10)
        assert [(e.id, e.value, e.error, e.retry_count) for e in entries] == [
            ("m1", b"v", "boom", 3), ("m4", b"x", "", 0)]
        assert [e.id for e in fetch_dlq(1)] == ["m1"] and fetch_dlq(0) == [] and fetch_dlq(-1) == []
        assert [e.id for e in fetch_dlq(10)] == ["m1", "m4"]  # no cursor: always from offset 0
        assert _dlq_op(c, Op.REPLAY_DLQ, wire.encode_replay_dlq_request("d", "m1")) == (True, "OK")
        assert _dlq_op(c, Op.REPLAY_DLQ, wire.encode_replay_dlq_request("d", "m1")) == (True, "OK")
        assert broker.records("orders") == [(0, None, b"v"), (1, None, b"v")]
        assert len(broker.records("d.dlq")) == 5
        assert _dlq_op(c, Op.REPLAY_DLQ, wire.encode_replay_dlq_request("d", "m2")) == (False, "message not found")
        for _ in range(2):
            assert _dlq_op(c, Op.PURGE_DLQ, wire.encode_topic_request("d")) == (True, "OK")
        assert "d.dlq" not in broker.topic_names() and fetch_dlq(10) == []
        assert _dlq_op(c, Op.REPLAY_DLQ, wire.encode_replay_dlq_request("d", "m1")) == (
            False, "topic not found: d.dlq")


# ------------------------------------------------------------------------------------ transactions


def test_transaction_coordinator_buffers_until_commit():
    with Broker(transactions=True) as broker, RawConnection(broker.address) as c:
        def call(op, payload=b""):
            return wire.decode_txn_response(ok(c.request(op, payload), op))

        def txn_produce(txn, value):
            return c.request(Op.TXN_PRODUCE, wire.encode_txn_produce_request(txn, "tx", value))

        txn, began = call(Op.TXN_BEGIN)
        assert began and txn.startswith("txn-producer-")
        for value in (b"a", b"b", b"c"):
            meta = wire.decode_record_metadata(ok(txn_produce(txn, value), Op.TXN_PRODUCE))
            assert (meta.partition, meta.offset, meta.key_size, meta.value_size) == (0, 0, -1, 1)
        assert broker.partition_count("tx") is None
        assert call(Op.TXN_COMMIT, wire.encode_txn_id_request(txn)) == (txn, True)
        assert [v for _o, _k, v in broker.records("tx")] == [b"a", b"b", b"c"]
        assert call(Op.TXN_COMMIT, wire.encode_txn_id_request(txn)) == (txn, False)
        assert call(Op.TXN_ABORT, wire.encode_txn_id_request(txn)) == (txn, False)
        assert error(txn_produce(txn, b"late")) == "transaction is not active: committed"

        other = call(Op.TXN_BEGIN)[0]
        ok(txn_produce(other, b"dropped"), Op.TXN_PRODUCE)
        assert call(Op.TXN_ABORT, wire.encode_txn_id_request(other)) == (other, True)
        assert call(Op.TXN_ABORT, wire.encode_txn_id_request(other)) == (other, True)
        assert call(Op.TXN_COMMIT, wire.encode_txn_id_request(other)) == (other, False)
        assert error(txn_produce(other, b"x")) == "transaction is not active: aborted"
        assert len(broker.records("tx")) == 3


def test_transactions_expire():
    now = [0.0]
    coordinator = Coordinator(timeout=60, retention=600, clock=lambda: now[0])
    txn = coordinator.begin()
    coordinator.add(txn, "t", b"v")
    now[0] = 61
    with pytest.raises(Exception, match="transaction is not active: aborted"):
        coordinator.add(txn, "t", b"v")
    assert coordinator.commit(txn) is None
    now[0] = 2000
    coordinator.begin()  # forgets finished transactions
    with pytest.raises(Exception, match=f"transaction not found: {txn}"):
        coordinator.add(txn, "t", b"v")


# ------------------------------------------------------------------------------------ timed writes


def test_delayed_delivery():
    with Broker(delayed=True) as broker, RawConnection(broker.address) as c:
        def delayed(value, ms):
            return c.request(Op.PRODUCE_DELAYED, wire.encode_timed_produce_request("dl", value, ms))

        meta = wire.decode_record_metadata(ok(delayed(b"later", 150), Op.PRODUCE_DELAYED))
        assert (meta.partition, meta.offset, meta.key_size, meta.value_size) == (0, 0, -1, 5)
        assert broker.partition_count("dl") is None
        assert wait_for(lambda: broker.partition_count("dl") == 1 and broker.records("dl") == [(0, None, b"later")])
        ok(delayed(b"now", -5), Op.PRODUCE_DELAYED)
        assert wait_for(lambda: len(broker.records("dl")) == 2)
        too_long = 24 * 3600 * 1000 + 1
        assert error(delayed(b"x", too_long)) == "delay 24h0m0.001s exceeds maximum allowed delay 24h0m0s"


def test_delayed_and_ttl_write_immediately_by_default(broker, conn):
    for op in (Op.PRODUCE_DELAYED, Op.PRODUCE_WITH_TTL):
        for expected in (0, 1):
            meta = wire.decode_record_metadata(ok(conn.request(op, wire.encode_timed_produce_request(
                f"w{op}", b"v", 60_000)), op))
            assert (meta.offset, meta.partition) == (expected, 0)


@pytest.mark.parametrize(("nanos", "text"), [
    (0, "0s"), (1, "1ns"), (1_500, "1.5µs"), (250_000_000, "250ms"), (1_500_000_000, "1.5s"),
    (90 * 60 * 10**9, "1h30m0s"), (86_400_001_000_000, "24h0m0.001s"), (-2 * 10**9, "-2s"), (61 * 10**9, "1m1s"),
])
def test_go_duration(nanos, text):
    assert go_duration(nanos) == text


# ------------------------------------------------------------------------------------ auth


def auth(c: RawConnection, user: str, password: str):
    reply = c.request(Op.AUTH, wire.encode_auth_request(user, password))
    assert reply.op == Op.AUTH_RESPONSE
    return wire.decode_auth_response(reply.payload)


def test_auth_disabled(conn):
    result = auth(conn, "u", "pw")
    assert (result.success, result.username, result.roles, result.error) == (
        False, "", [], "authentication is not enabled")
    who = wire.decode_auth_response(ok(conn.request(Op.WHOAMI), Op.WHOAMI))
    assert (who.success, who.username, who.roles) == (False, "", [])


def test_auth_permissions():
    users = ["root:s3cret:admin", ("prod", "p", "producer"), "cons:c:consumer", "both:b:producer,consumer",
             "nobody:n:guest"]
    with Broker(users=users) as broker:
        broker.create_topic("t")
        broker.produce("t", b"v")

        def attempt(c, op, payload):
            reply = c.request(op, payload)
            return "ok" if reply.op != Op.ERROR else error(reply)

        produce_req = (Op.PRODUCE, wire.encode_produce_request("t", b"v"))
        fetch_req = (Op.FETCH, wire.encode_fetch_request("t", 0, 0, 10))
        create_req = (Op.CREATE_TOPIC, wire.encode_create_topic_request("new", 1))
        groups_req = (Op.LIST_GROUPS, b"")
        # FlyMQ 1.26 leaves these open to anyone; the built-in broker does not (tests/test_broker_auth.py)
        unchecked_upstream = [(Op.LIST_TOPICS, b""), (Op.COMMIT, wire.encode_commit_request("t", "g", 0, 1)),
                              (Op.CLUSTER_METADATA, b""),
                              (Op.PRODUCE_WITH_TTL, wire.encode_timed_produce_request("t", b"v", 1))]
        with RawConnection(broker.address) as anon:
            assert attempt(anon, *produce_req) == "authentication required"
            assert attempt(anon, *fetch_req) == "authentication required"
            assert all(attempt(anon, *r) == "authentication required" for r in unchecked_upstream)
            assert attempt(anon, Op.WHOAMI, b"") == "ok"
            bad = auth(anon, "root", "wrong")
            assert (bad.success, bad.username, bad.roles, bad.error) == (False, "", [], "invalid username or password")
            assert auth(anon, "ghost", "x").error == "invalid username or password"
        expected = {
            "root": ("ok", "ok", "ok", "ok"), "prod": ("ok", "unauthorized", "unauthorized", "unauthorized"),
            "cons": ("unauthorized", "ok", "unauthorized", "unauthorized"),
            "both": ("ok", "ok", "unauthorized", "unauthorized"),
            "nobody": ("unauthorized", "unauthorized", "unauthorized", "unauthorized"),
        }
        passwords = {"root": "s3cret", "prod": "p", "cons": "c", "both": "b", "nobody": "n"}
        for name, outcome in expected.items():
            with RawConnection(broker.address) as c:
                result = auth(c, name, passwords[name])
                assert result.success and result.username == name and result.error == ""
                assert tuple(attempt(c, *r) for r in (produce_req, fetch_req, create_req, groups_req)) == outcome
                assert not auth(c, name, "wrong").success
                who = wire.decode_auth_response(ok(c.request(Op.WHOAMI), Op.WHOAMI))
                assert who.success and who.username == name  # a failed re-login keeps the identity
        with RawConnection(broker.address) as c:
            assert auth(c, "both", "b").roles == ["producer", "consumer"]


def test_user_specs():
    assert parse_user("a:p:w:admin").password == "p:w"
    assert parse_user(("a", "p", "consumer")).roles == ("consumer",)
    for bad in ["nopassword", "a:b:wizard", ":p:admin", ("a", "p", "")]:
        with pytest.raises(ValueError):
            parse_user(bad)


# ------------------------------------------------------------------------------------ schemas


def test_schema_registry_and_validation():
    definition = b'{"type":"object","required":["a"],"properties":{"a":{"type":"integer"},' \
                 b'"n":{"type":"object","required":["x"],"properties":{"x":{"type":"string"}}}},' \
                 b'"additionalProperties":false}'
    for validating in (False, True):
        with Broker(schemas=validating) as broker, RawConnection(broker.address) as c:
            def call(op, payload):
                return c.request(op, payload)

            reg = call(Op.REGISTER_SCHEMA, wire.encode_register_schema_request("s", "json", definition))
            assert wire.decode_register_schema_response(ok(reg, Op.REGISTER_SCHEMA)) == ("s", "json", 1)

            def validate(data):
                return wire.decode_validate_schema_response(ok(call(
                    Op.VALIDATE_SCHEMA, wire.encode_validate_schema_request("s", data)), Op.VALIDATE_SCHEMA))

            assert validate(b'{"a":1}') == (True, [])
            assert validate(b'{"a":"1","z":0,"n":{"x":2}}') == (False, [
                "type mismatch at a: expected integer, got string", "unexpected field: z",
                "type mismatch at n.x: expected string, got integer"])
            assert validate(b'{"a":1,"n":{}}') == (False, ["missing required field: n.x"])
            assert validate(b"[1]")[1][0].startswith("invalid JSON message")
            assert validate(b'{"a":1.0}') == (True, [])
            unknown = wire.decode_validate_schema_response(ok(call(
                Op.VALIDATE_SCHEMA, wire.encode_validate_schema_request("nope", b"junk")), Op.VALIDATE_SCHEMA))
            assert unknown == (True, [])

            bad_write = call(Op.PRODUCE_WITH_SCHEMA, wire.encode_produce_with_schema_request("w", "s", b'{"b":1}'))
            if validating:
                assert error(bad_write, "E2") == "schema validation failed: [missing required field: a unexpected field: b]"
            else:
                ok(bad_write, Op.PRODUCE_WITH_SCHEMA)
            ok(call(Op.PRODUCE_WITH_SCHEMA, wire.encode_produce_with_schema_request("w", "unregistered", b"x")),
               Op.PRODUCE_WITH_SCHEMA)

            assert error(call(Op.REGISTER_SCHEMA, wire.encode_register_schema_request("x", "xml", b"<a/>")),
                         "E2") == "unsupported schema type: xml"
            assert error(call(Op.REGISTER_SCHEMA, wire.encode_register_schema_request("x", "json", b"[]")),
                         "E2").startswith("invalid schema definition: invalid JSON schema")
            incompatible = b'{"required":["q"],"properties":{"q":{}}}'
            assert error(call(Op.REGISTER_SCHEMA, wire.encode_register_schema_request("s", "json", incompatible)),
                         "E2") == "schema compatibility check failed: new required field 'q' not in old schema"
            ok(call(Op.REGISTER_SCHEMA, wire.encode_register_schema_request("p", "proto", b"syntax")),
               Op.REGISTER_SCHEMA)
            listed = wire.decode_list_schemas_response(ok(call(Op.LIST_SCHEMAS, b""), Op.LIST_SCHEMAS))
            assert listed == [("p-v1", "protobuf", 1), ("s-v1", "json", 1)]
            assert error(call(Op.GET_SCHEMA, wire.encode_name_version_request("s", 2)), "E2") == "schema not found: s v2"
            ok(call(Op.DELETE_SCHEMA, wire.encode_name_version_request("s", 1)), Op.DELETE_SCHEMA)
            assert error(call(Op.GET_SCHEMA, wire.encode_name_version_request("s", 0)), "E2") == (
                "no schema found for topic: s")
            assert error(call(Op.DELETE_SCHEMA, wire.encode_name_version_request("s", 1)), "E2") == (
                "schema not found: s v1")
            broken = wire.decode_validate_schema_response(ok(call(
                Op.VALIDATE_SCHEMA, wire.encode_validate_schema_request("p", b"\x0a\x05ab")), Op.VALIDATE_SCHEMA))
            assert broken[0] is False and broken[1][0].startswith("invalid Protobuf wire format")


# ------------------------------------------------------------------------------------ persistence


def test_data_dir_survives_a_restart(tmp_path):
    names = ["plain", "../escape", "a/b", "", "__hidden", "ü-topic", "x" * 300]
    with Broker(data_dir=str(tmp_path)) as broker, RawConnection(broker.address) as c:
        broker.create_topic("three", 3)
        for name in names:
            produce(c, name, b"value of " + name.encode(), key=b"k")
            produce(c, name, b"second")
        for i in range(4):
            broker.produce("three", b"%d" % i)
        broker.produce("gone", b"x")
        broker.delete_topic("gone")
        broker.commit("plain", "g", 0, 2)
        broker.commit("../escape", "g/..", 1, 5)
        broker.commit("plain", "dropped", 0, 1)
        ok(c.request(Op.DELETE_GROUP, wire.encode_group_request("plain", "dropped")), Op.DELETE_GROUP)
        ok(subscribe(c, "plain", "members", "latest"), Op.SUBSCRIBE)
        before = {name: broker.records(name) for name in names}
    assert sorted(os.listdir(tmp_path)) == ["__consumer_offsets", "topics"]
    assert not (tmp_path.parent / "escape").exists()
    assert len(os.listdir(tmp_path / "__consumer_offsets")) == 2

    with Broker(data_dir=str(tmp_path)) as again:
        assert sorted(again.topic_names()) == sorted([*names, "three"])
        assert {name: again.records(name) for name in names} == before
        assert again.partition_count("three") == 3
        assert again.committed("plain", "g", 0) == 2
        assert again.committed("../escape", "g/..", 1) == 5
        assert again.committed("plain", "dropped", 0) is None
        assert [(g.topic, g.group_id, g.members) for g in again.groups()] == [
            ("../escape", "g/..", 0), ("plain", "g", 0)]
        assert again.produce("three", b"after").partition == 0  # the round-robin counter restarts
        assert again.produce("plain", b"third").offset == 2


def test_a_torn_log_tail_is_cut_off(tmp_path):
    with Broker(data_dir=str(tmp_path)) as broker:
        broker.produce("t", b"whole")
    logs = [os.path.join(r, f) for r, _d, fs in os.walk(tmp_path / "topics") for f in fs if f.endswith(".log")]
    with open(logs[0], "ab") as fh:
        fh.write(b"\x00\x00\x00\x05ab")
    with Broker(data_dir=str(tmp_path)) as broker:
        assert broker.records("t") == [(0, None, b"whole")]
        broker.produce("t", b"next")
    with Broker(data_dir=str(tmp_path)) as broker:
        assert broker.records("t") == [(0, None, b"whole"), (1, None, b"next")]


# ------------------------------------------------------------------------------------ in-process API


def test_in_process_helpers(broker, conn):
    meta = broker.produce("h", "text", key="k")
    assert isinstance(meta, RecordMetadata) and (meta.partition, meta.offset, meta.key_size) == (0, 0, 1)
    assert broker.records("h") == [(0, b"k", b"text")]
    assert broker.high_watermark("h") == 1 and broker.partition_count("missing") is None
    assert broker.committed("h", "g") is None
    ok(subscribe(conn, "h", "g", "earliest"), Op.SUBSCRIBE)
    assert broker.group_members("h", "g") == [conn.sock.getsockname()[0] + ":" + str(conn.sock.getsockname()[1])]
    assert broker.connection_count() == 1
    assert repr(broker).endswith("running>")
    broker.stop()
    broker.stop()
    assert not broker.running
