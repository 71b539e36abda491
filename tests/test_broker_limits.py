"""Size and resource limits of the built-in broker (issue 7, items 2 and 5): no record is accepted that no
FETCH could return, no FETCH reply exceeds the frame limit, small frames before login, a connection cap."""

from __future__ import annotations

import json
import os
import time

import pytest

from pyflymq import wire
from pyflymq.broker import Broker
from pyflymq.broker.__main__ import build_parser
from pyflymq.broker.connection import PRE_LOGIN_MAX_PAYLOAD
from pyflymq.broker.log import MAX_RECORD_DATA
from pyflymq.broker.testing import RawConnection
from pyflymq.wire import MAX_PAYLOAD, Op

pytestmark = pytest.mark.skipif(bool(os.environ.get("FLYMQ_TEST_SERVER")),
                                reason="checks the built-in broker's own limits (FlyMQ 1.26 has none of them)")

TOO_BIG = MAX_RECORD_DATA + 1


def error_text(reply: wire.Frame) -> str:
    assert reply.op == Op.ERROR, f"expected an error frame, got op {reply.op:#x}"
    return wire.decode_error(reply.payload, reply.flags).text


@pytest.fixture(scope="module")
def plain(module_broker):
    """The module's broker with the defaults."""
    return module_broker()


@pytest.fixture(scope="module")
def featured(module_broker):
    """The module's broker with every produce-like op on."""
    return module_broker(delayed=True, transactions=True, schemas=True, dlq=True)


def _request(op: str, topic: str, value: bytes) -> bytes:
    """A produce-like frame; topics are short because the whole request must still fit in one frame."""
    if op == "PRODUCE":
        return wire.encode_frame(Op.PRODUCE, wire.encode_produce_request(topic, value[1:], key=b"k"))
    if op == "PRODUCE_WITH_SCHEMA":
        return wire.encode_frame(Op.PRODUCE_WITH_SCHEMA, wire.encode_produce_with_schema_request(topic, "s", value))
    if op == "PRODUCE_DELAYED":
        return wire.encode_frame(Op.PRODUCE_DELAYED, wire.encode_timed_produce_request(topic, value, 10))
    if op == "PRODUCE_WITH_TTL":
        return wire.encode_frame(Op.PRODUCE_WITH_TTL, wire.encode_timed_produce_request(topic, value, 60000))
    # Without the coordinator TXN_PRODUCE writes at once. With it, a real transaction id is too long for an
    # oversize value to fit in one request frame at all.
    return wire.encode_frame(Op.TXN_PRODUCE, wire.encode_txn_produce_request("x", topic, value))


@pytest.mark.parametrize(("which", "op"), [
    ("plain", "PRODUCE"), ("plain", "PRODUCE_WITH_SCHEMA"), ("plain", "PRODUCE_DELAYED"),
    ("plain", "PRODUCE_WITH_TTL"), ("plain", "TXN_PRODUCE"),
    ("featured", "PRODUCE"), ("featured", "PRODUCE_WITH_SCHEMA"), ("featured", "PRODUCE_DELAYED"),
])
def test_every_produce_refuses_a_record_no_fetch_could_return(request, which, op):
    broker = request.getfixturevalue(which)
    topic = "b" + str(len(broker.topic_names()))
    broker.create_topic(topic)
    with RawConnection(broker.address, timeout=30) as c:
        c.send(_request(op, topic, bytes(TOO_BIG)))
        text = error_text(c.read_frame())
        assert text.startswith("record too large")
        assert str(MAX_PAYLOAD) in text and str(MAX_RECORD_DATA) in text
        assert c.request(Op.LIST_TOPICS).op == Op.LIST_TOPICS  # the connection goes on
    assert broker.high_watermark(topic) == 0  # nothing written, nor scheduled for later


def test_the_largest_record_accepted_comes_back_in_one_fetch(plain):
    value = os.urandom(64) * ((MAX_RECORD_DATA - 1) // 64) + b"z" * ((MAX_RECORD_DATA - 1) % 64)
    with RawConnection(plain.address, timeout=30) as c:
        meta = wire.decode_record_metadata(
            c.request(Op.PRODUCE, wire.encode_produce_request("largest", value, key=b"k")).payload)
        assert (meta.key_size, meta.value_size) == (1, MAX_RECORD_DATA - 1)
        c.send(wire.encode_frame(Op.FETCH, wire.encode_fetch_request("largest", 0, meta.offset, 10)))
        raw = c.read_frame_bytes()
    assert len(raw) - wire.HEADER_SIZE == MAX_PAYLOAD
    result = wire.decode_fetch_response(raw[wire.HEADER_SIZE:], "largest", 0)
    assert [(m.key, m.value) for m in result.messages] == [(b"k", value)]


def test_fetch_stops_before_the_frame_limit(plain):
    half = bytes(MAX_RECORD_DATA // 2)
    for _ in range(3):
        plain.produce("halves", half)
    with RawConnection(plain.address, timeout=30) as c:
        c.send(wire.encode_frame(Op.FETCH, wire.encode_fetch_request("halves", 0, 0, 10)))
        raw = c.read_frame_bytes()
        assert len(raw) - wire.HEADER_SIZE <= MAX_PAYLOAD
        result = wire.decode_fetch_response(raw[wire.HEADER_SIZE:], "halves", 0)
        assert (len(result.messages), result.next_offset) == (1, 1)


def _legacy_log(data_dir, value_size: int) -> None:
    """A data directory as an older broker left it: one record too big for any FETCH reply."""
    directory = data_dir / "topics" / "legacy"
    directory.mkdir(parents=True)
    (directory / "topic.json").write_text(json.dumps({"name": "legacy", "partitions": 1}))
    with open(directory / "0.log", "wb") as fh:
        fh.write((0).to_bytes(4, "big") + value_size.to_bytes(4, "big"))
        fh.write(b"end" + bytes(value_size - 3))
        fh.write((0).to_bytes(4, "big") + (3).to_bytes(4, "big") + b"end")


@pytest.mark.parametrize("filter_text", ["", "end"])
def test_fetch_never_builds_a_frame_over_the_limit(tmp_path, filter_text):
    _legacy_log(tmp_path, MAX_PAYLOAD)
    with Broker(data_dir=str(tmp_path)) as broker, RawConnection(broker.address, timeout=30) as c:
        c.send(wire.encode_frame(Op.FETCH, wire.encode_fetch_request("legacy", 0, 0, 10, filter_text or "")))
        header = c.read_exact(wire.HEADER_SIZE)
        length = int.from_bytes(header[4:8], "big")
        assert length <= MAX_PAYLOAD
        reply = wire.Frame(header[2], header[3], c.read_exact(length))
        assert "record at offset 0" in error_text(reply) and "more than one FETCH reply can carry" in error_text(reply)
        after = wire.decode_fetch_response(
            c.request(Op.FETCH, wire.encode_fetch_request("legacy", 0, 1, 10, filter_text)).payload, "legacy", 0)
        assert [m.value for m in after.messages] == [b"end"]


# ------------------------------------------------------------------------------------ before login, and how many


@pytest.fixture(scope="module")
def guarded(module_broker):
    """The module's broker with a user, so connections start unauthenticated."""
    return module_broker(users=["alice:wonder:admin"])


def test_before_login_a_big_frame_is_refused_with_a_reason_and_closed(guarded):
    with RawConnection(guarded.address, timeout=10) as c:
        c.send(wire.encode_frame(Op.LIST_TOPICS, bytes(PRE_LOGIN_MAX_PAYLOAD)))  # at the cap: read, answered
        assert error_text(c.read_frame()) == "authentication required"
        c.send(b"\xaf\x01\x01\x01" + (PRE_LOGIN_MAX_PAYLOAD + 1).to_bytes(4, "big") + bytes(1000))
        text = error_text(c.read_frame())
        assert str(PRE_LOGIN_MAX_PAYLOAD + 1) in text and str(PRE_LOGIN_MAX_PAYLOAD) in text and "AUTH" in text
        assert c.closed_by_peer(timeout=5)


def test_after_login_frames_may_be_large_again(guarded):
    with RawConnection(guarded.address, timeout=30) as c:
        assert wire.decode_auth_response(c.request(Op.AUTH, wire.encode_auth_request("alice", "wonder")).payload).success
        assert c.request(Op.LIST_TOPICS, bytes(4 * 1024 * 1024)).op == Op.LIST_TOPICS


def test_a_big_frame_pipelined_right_after_a_good_login_is_served(guarded):
    # The cap is read again at every header: AUTH and a large frame in one write are both answered.
    with RawConnection(guarded.address, timeout=30) as c:
        c.send(wire.encode_frame(Op.AUTH, wire.encode_auth_request("alice", "wonder"))
               + wire.encode_frame(Op.LIST_TOPICS, bytes(4 * PRE_LOGIN_MAX_PAYLOAD)))
        assert wire.decode_auth_response(c.read_frame().payload).success
        assert c.read_frame().op == Op.LIST_TOPICS


def test_without_auth_there_is_no_small_cap(plain):
    with RawConnection(plain.address, timeout=30) as c:
        assert c.request(Op.LIST_TOPICS, bytes(4 * 1024 * 1024)).op == Op.LIST_TOPICS


def _served(conn: RawConnection) -> bool:
    return conn.request(Op.LIST_TOPICS).op == Op.LIST_TOPICS


def test_connections_over_the_cap_get_a_clear_refusal():
    with Broker(max_connections=3) as broker:
        held = [RawConnection(broker.address) for _ in range(3)]
        try:
            assert all(_served(c) for c in held)
            with RawConnection(broker.address) as extra:
                text = error_text(extra.read_frame())
                assert text.startswith("too many connections") and "at most 3" in text
                assert extra.closed_by_peer(timeout=5)
            assert all(_served(c) for c in held)  # the held ones are untouched
            held.pop().close()
            for _ in range(200):  # the broker notices the close on its own thread: bounded wait
                if broker.connection_count() < 3:
                    break
                time.sleep(0.05)
            with RawConnection(broker.address) as again:
                assert _served(again)
        finally:
            for c in held:
                c.close()


def test_the_connection_cap_has_a_sensible_default_and_a_cli_option():
    assert Broker().max_connections == 1024
    assert build_parser().parse_args(["--max-connections", "5"]).max_connections == 5
    with pytest.raises(ValueError):
        Broker(max_connections=0)
