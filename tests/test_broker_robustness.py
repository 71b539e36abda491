"""The broker never crashes: hostile bytes get an error frame or a closed connection, and everyone else is
still served (flymq-wire §1, §3.10, §6)."""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyflymq import wire
from pyflymq.broker import Broker
from pyflymq.broker.compression import GzipError, gunzip
from pyflymq.broker.log import MAX_RECORD_DATA
from pyflymq.broker.testing import RawConnection
from pyflymq.wire import MAX_PAYLOAD, Op

# Minimum payload sizes (flymq-wire §5): anything shorter is "buffer too small".
MINIMUM = {
    Op.PRODUCE: 14, Op.CONSUME: 14, Op.CONSUME_ZERO_COPY: 14, Op.CREATE_TOPIC: 6, Op.SUBSCRIBE: 9, Op.COMMIT: 16,
    Op.FETCH: 18, Op.FETCH_BINARY: 18, Op.DELETE_TOPIC: 2, Op.GET_OFFSET: 8, Op.GET_LAG: 8, Op.RESET_OFFSET: 9,
    Op.DESCRIBE_GROUP: 4, Op.DELETE_GROUP: 4, Op.FETCH_DLQ: 6, Op.REPLAY_DLQ: 4, Op.PURGE_DLQ: 2,
    Op.TXN_COMMIT: 2, Op.TXN_ABORT: 2, Op.TXN_PRODUCE: 8, Op.PRODUCE_DELAYED: 14, Op.PRODUCE_WITH_TTL: 14,
    Op.REGISTER_SCHEMA: 7, Op.GET_SCHEMA: 6, Op.VALIDATE_SCHEMA: 6, Op.PRODUCE_WITH_SCHEMA: 8, Op.DELETE_SCHEMA: 6,
}
HANDLED = {*MINIMUM, Op.LIST_TOPICS, Op.LIST_GROUPS, Op.WHOAMI, Op.TXN_BEGIN, Op.LIST_SCHEMAS, Op.CLUSTER_METADATA,
           Op.AUTH}


@pytest.fixture(scope="module")
def shared():
    with Broker(dlq=True, transactions=True, schemas=True) as broker:
        yield broker


@pytest.fixture
def broker():
    with Broker() as b:
        yield b


def error_text(frame: wire.Frame) -> str:
    assert frame.op == Op.ERROR
    return wire.decode_error(frame.payload, frame.flags).text


def still_serving(broker: Broker) -> bool:
    """A fresh connection gets a correct LIST_TOPICS reply."""
    with RawConnection(broker.address) as c:
        reply = c.request(Op.LIST_TOPICS)
        return reply.op == Op.LIST_TOPICS and isinstance(wire.decode_list_topics_response(reply.payload), list)


# ------------------------------------------------------------------------------------ framing


@pytest.mark.parametrize("header", [
    b"\x00\x01\x08\x01\x00\x00\x00\x00",                       # bad magic
    b"\xaf\x02\x08\x01\x00\x00\x00\x00",                       # bad version
    b"\xaf\x01\x08\x01" + struct.pack(">I", MAX_PAYLOAD + 1),  # one byte over 32 MiB, payload never sent
    b"\xaf\x01\x01\x01\xff\xff\xff\xff",
])
def test_bad_headers_close_without_reply(broker, header):
    with RawConnection(broker.address) as c:
        c.send(header)
        assert c.closed_by_peer(timeout=3)
    assert still_serving(broker)


def test_replies_before_a_bad_header_are_still_sent(broker):
    with RawConnection(broker.address) as c:
        c.send(wire.encode_frame(Op.LIST_TOPICS) + b"GET / HTTP/1.1\r\n\r\n")
        assert c.read_frame().op == Op.LIST_TOPICS
        assert c.closed_by_peer(timeout=3)


def test_exactly_32_mib_is_accepted(broker):
    with RawConnection(broker.address, timeout=30) as c:
        reply = c.request(Op.LIST_TOPICS, bytes(MAX_PAYLOAD))
        assert reply.op == Op.LIST_TOPICS
        value = bytes(MAX_PAYLOAD - 15)  # PRODUCE overhead: str16 "t" + two u32 lengths + i32
        reply = c.request(Op.PRODUCE, wire.encode_produce_request("t", value))
        assert error_text(reply).startswith("record too large")  # read whole, refused: no FETCH could carry it
        value = bytes(MAX_RECORD_DATA)
        meta = wire.decode_record_metadata(c.request(Op.PRODUCE, wire.encode_produce_request("t", value)).payload)
        assert meta.value_size == len(value)
        assert len(c.request(Op.CONSUME, wire.encode_consume_request("t", 0, 0)).payload) == len(value) + 8


@pytest.mark.parametrize("op", [0x00, 0x04, 0x31, 0x50, 0x51, 0x52, 0x66, 0x71, 0x73, 0x80, 0xA0, 0xFF])
def test_unknown_opcodes_keep_the_connection_open(broker, op):
    with RawConnection(broker.address) as c:
        assert error_text(c.request(op, b"\x00\x01t")) == f"unknown opcode: {op}"
        assert c.request(Op.LIST_TOPICS).op == Op.LIST_TOPICS


@pytest.mark.parametrize("op", sorted(MINIMUM))
def test_truncated_payloads_are_buffer_too_small(shared, op):
    with RawConnection(shared.address) as c:
        for size in range(MINIMUM[op]):
            reply = c.request(op, bytes(size))
            assert (reply.op, reply.flags, reply.payload) == (Op.ERROR, 0, b"buffer too small"), size


@pytest.mark.parametrize("op", sorted(MINIMUM))
def test_overrunning_lengths_are_invalid_binary_format(shared, op):
    with RawConnection(shared.address) as c:
        reply = c.request(op, b"\xff\xff" + bytes(max(MINIMUM[op], 40)))
        assert (reply.op, reply.flags, reply.payload) == (Op.ERROR, 0, b"invalid binary format")


def test_auth_and_cluster_metadata_decode_errors_are_e3(shared):
    with RawConnection(shared.address) as c:
        for payload, text in [(b"", "buffer too small"), (b"\x00\x01", "buffer too small"),
                              (b"\x00\x09abcd", "invalid binary format")]:
            reply = c.request(Op.AUTH, payload)
            assert wire.decode_error(reply.payload, reply.flags) == (f"invalid auth request: {text}", "E3", 1)
        reply = c.request(Op.CLUSTER_METADATA, b"\x00\x05ab")
        assert wire.decode_error(reply.payload, reply.flags) == ("invalid request: invalid binary format", "E3", 1)
        assert c.request(Op.CLUSTER_METADATA, b"\x00").op == Op.CLUSTER_METADATA  # under 2 bytes: all topics
        assert c.request(Op.LIST_SCHEMAS, b"\x00\x05ab").op == Op.LIST_SCHEMAS  # unreadable: lists everything


# ------------------------------------------------------------------------------------ fuzzing

_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(st.binary(max_size=400))
def test_random_garbage_never_kills_the_broker(shared, data):
    with RawConnection(shared.address) as c:
        c.send(data)
        c.sock.shutdown(socket.SHUT_WR)
        c.sock.settimeout(2)
        try:
            while c.sock.recv(65536):
                pass
        except OSError:
            pass
    assert still_serving(shared)


@_SETTINGS
@given(op=st.one_of(st.sampled_from(sorted(HANDLED)), st.integers(0, 255)), flags=st.integers(0, 255),
       payload=st.binary(max_size=200))
def test_every_well_framed_request_gets_exactly_one_reply(shared, op, flags, payload):
    with RawConnection(shared.address) as c:
        c.send(wire.encode_frame(op, payload, flags) + wire.encode_frame(Op.LIST_TOPICS))
        reply = c.read_frame()
        assert reply.op in {op, Op.ERROR, Op.AUTH_RESPONSE if op == Op.AUTH else op}
        assert c.read_frame().op == Op.LIST_TOPICS  # nothing extra in between: replies stay in step


@_SETTINGS
@given(st.lists(st.tuples(st.sampled_from([Op.LIST_TOPICS, Op.FETCH, Op.PRODUCE, Op.WHOAMI, 0x04]),
                          st.binary(max_size=40)), min_size=1, max_size=12),
       st.lists(st.integers(1, 64), min_size=1, max_size=20))
def test_frames_split_anywhere_are_answered_in_order(shared, frames, cuts):
    stream = b"".join(wire.encode_frame(op, payload) for op, payload in frames)
    with RawConnection(shared.address) as c:
        pos = 0
        for cut in cuts:
            c.send(stream[pos:pos + cut])
            pos += cut
        c.send(stream[pos:])
        replies = [c.read_frame().op for _ in frames]
    assert all(got in (sent, Op.ERROR) for got, (sent, _p) in zip(replies, frames, strict=True))


# ------------------------------------------------------------------------------------ compression


def test_gzip_flag(broker):
    payload = wire.encode_produce_request("gz", b"compressed value")
    with RawConnection(broker.address) as c:
        for flags in (0x03, 0x02, 0x06, 0x0F):
            assert c.request(Op.PRODUCE, gzip.compress(payload), flags).op == Op.PRODUCE
        assert c.request(Op.PRODUCE, payload, 0x04).op == Op.PRODUCE  # "lz4": not decompressed, raw bytes used
        two_members = gzip.compress(payload[:5]) + gzip.compress(payload[5:])
        assert c.request(Op.PRODUCE, two_members, 0x03).op == Op.PRODUCE
        assert error_text(c.request(Op.PRODUCE, payload, 0x03)) == "gzip: invalid header"
        assert error_text(c.request(Op.PRODUCE, b"", 0x03)) == "EOF"
        assert error_text(c.request(Op.PRODUCE, gzip.compress(payload)[:-12], 0x03)) == "unexpected EOF"
        corrupt = bytearray(gzip.compress(payload))
        corrupt[-8] ^= 0xFF
        assert error_text(c.request(Op.PRODUCE, bytes(corrupt), 0x03)) == "gzip: invalid checksum"
        assert error_text(c.request(Op.PRODUCE, gzip.compress(b"xy"), 0x03)) == "buffer too small"
        assert c.request(Op.LIST_TOPICS).op == Op.LIST_TOPICS
    assert len(broker.records("gz")) == 6


def test_gzip_bomb_is_refused_without_blowing_memory(broker):
    bomb = gzip.compress(bytes(MAX_PAYLOAD + 1024 * 1024), compresslevel=9)
    assert len(bomb) < 100_000
    with RawConnection(broker.address) as c:
        reply = c.request(Op.PRODUCE, bomb, 0x03)
        assert error_text(reply) == f"gzip: decompressed payload exceeds {MAX_PAYLOAD} bytes"
        assert c.request(Op.LIST_TOPICS).op == Op.LIST_TOPICS


def test_gunzip_limits():
    assert gunzip(gzip.compress(b"abc")) == b"abc"
    with pytest.raises(GzipError, match="exceeds 10 bytes"):
        gunzip(gzip.compress(bytes(11)), limit=10)
    raw_deflate = zlib.compress(b"abc")
    with pytest.raises(GzipError, match="gzip: invalid header"):
        gunzip(raw_deflate + bytes(10))
    with pytest.raises(GzipError, match="flate: corrupt input"):
        gunzip(gzip.compress(b"abc")[:10] + b"\xff" * 20)


# ------------------------------------------------------------------------------------ concurrency


def test_concurrent_producers_lose_nothing(broker):
    threads, per_thread = 16, 150
    results: dict[int, list[int]] = {}
    barrier = threading.Barrier(threads)

    def work(n: int) -> None:
        with RawConnection(broker.address) as c:
            barrier.wait()
            frames = b"".join(wire.encode_frame(Op.PRODUCE, wire.encode_produce_request("conc", b"%d-%d" % (n, i)))
                              for i in range(per_thread // 2))
            c.send(frames)  # half pipelined ...
            offsets = [wire.decode_record_metadata(c.read_frame().payload).offset for _ in range(per_thread // 2)]
            for i in range(per_thread // 2, per_thread):  # ... half one by one
                reply = c.request(Op.PRODUCE, wire.encode_produce_request("conc", b"%d-%d" % (n, i)))
                offsets.append(wire.decode_record_metadata(reply.payload).offset)
            results[n] = offsets

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=30)
    offsets = sorted(o for offs in results.values() for o in offs)
    assert offsets == list(range(threads * per_thread))
    records = broker.records("conc")
    by_value = {value: offset for offset, _key, value in records}
    for n, offs in results.items():
        assert offs == sorted(offs)
        assert [by_value[b"%d-%d" % (n, i)] for i in range(per_thread)] == offs


def test_a_half_sent_frame_blocks_nobody(broker):
    with RawConnection(broker.address) as slow:
        slow.send(wire.encode_frame(Op.PRODUCE, wire.encode_produce_request("slow", b"v"))[:12])
        started = time.monotonic()
        assert still_serving(broker)
        assert time.monotonic() - started < 1
        slow.send(wire.encode_frame(Op.PRODUCE, wire.encode_produce_request("slow", b"v"))[12:])
        assert slow.read_frame().op == Op.PRODUCE  # the server waited for the rest


def test_idle_connections_are_closed():
    with Broker(idle_timeout=0.3) as broker, RawConnection(broker.address) as idle:
        idle.send(b"\xaf\x01")  # even mid-frame
        started = time.monotonic()
        assert idle.closed_by_peer(timeout=5)
        assert 0.2 < time.monotonic() - started < 4
        assert still_serving(broker)


def test_a_client_that_never_reads_does_not_stall_others(broker):
    for _ in range(16):
        broker.produce("wide", bytes(1024))
    request = wire.encode_frame(Op.FETCH, wire.encode_fetch_request("wide", 0, 0, 16))
    count = 800
    with RawConnection(broker.address, timeout=30) as greedy:
        sender = threading.Thread(target=greedy.send, args=(request * count,))
        sender.start()
        time.sleep(0.2)
        started = time.monotonic()
        assert still_serving(broker)
        assert time.monotonic() - started < 2
        sizes = {len(greedy.read_frame().payload) for _ in range(count)}
        sender.join(timeout=30)
    assert sizes == {12 + 16 * (16 + 1024)}


def test_stop_closes_connections_and_is_idempotent():
    broker = Broker().start()
    with RawConnection(broker.address) as c:
        assert c.request(Op.LIST_TOPICS).op == Op.LIST_TOPICS
        started = time.monotonic()
        broker.stop()
        assert time.monotonic() - started < 3
        assert c.closed_by_peer(timeout=3)
    broker.stop()
    with pytest.raises(OSError):
        RawConnection(broker.address, timeout=1)
