"""FETCH decoding's fast paths (issue 10) give what a plain field-by-field reading gives: the same messages for
every reply, and a DecodeError for exactly the replies such a reading refuses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyflymq import wire
from pyflymq.errors import DecodeError


def reference_decode(payload: bytes, topic: str, partition: int) -> list[tuple]:
    """Field by field with the codec's Reader: ``(topic, partition, offset, key, value, retry_count)`` each."""
    reader = wire.Reader(payload, 12)
    count, _next_offset = reader.u32(), reader.u64()
    out = []
    for _ in range(count):
        offset, key, value = reader.u64(), reader.bytes32(), reader.bytes32()
        out.append((topic, partition, offset, key or None, value, 0))
    return out


def decoded_or_error(decode, payload: bytes) -> object:
    try:
        return [tuple(message) for message in decode(payload)]
    except DecodeError:
        return "DecodeError"


def fast(payload: bytes) -> list:
    return wire.decode_fetch_response(payload, "t", 2).messages


def plain(payload: bytes) -> list:
    return reference_decode(payload, "t", 2)


same_length_keys = st.integers(0, 12).flatmap(
    lambda n: st.lists(st.one_of(st.none(), st.binary(min_size=n, max_size=n)), min_size=2, max_size=30))
record_lists = st.one_of(
    # every record the same size (keyed or not): the whole-reply path
    st.tuples(st.integers(0, 10), st.integers(0, 40), st.integers(2, 30)).map(
        lambda t: [(bytes([65 + i % 26]) * t[0] or None, bytes([i % 256]) * t[1]) for i in range(t[2])]),
    # keys of one length or none, values of any length: runs of one shape
    same_length_keys.flatmap(lambda keys: st.lists(st.binary(max_size=30), min_size=len(keys), max_size=len(keys))
                             .map(lambda values: list(zip(keys, values, strict=True)))),
    st.lists(st.tuples(st.one_of(st.none(), st.binary(max_size=12)), st.binary(max_size=30)), max_size=30),
)


def encode(records: list[tuple]) -> bytes:
    return wire.encode_fetch_response([(100 + i, key, value) for i, (key, value) in enumerate(records)], 7)


@settings(max_examples=400)
@given(record_lists)
def test_every_reply_decodes_as_read_field_by_field(records):
    payload = encode(records)
    assert decoded_or_error(fast, payload) == decoded_or_error(plain, payload) != "DecodeError"


@settings(max_examples=600)
@given(record_lists, st.data())
def test_damaged_replies_are_refused_or_read_as_field_by_field(records, data):
    payload = bytearray(encode(records))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(12, max(12, len(payload) - 1)))
        if at < len(payload):
            payload[at] = data.draw(st.integers(0, 255))
    payload = bytes(payload[:data.draw(st.integers(12, len(payload)))]) + data.draw(st.binary(max_size=3))
    assert decoded_or_error(fast, payload) == decoded_or_error(plain, payload)


@pytest.mark.parametrize("records", [
    [(b"key-000001", bytes(100))] * 50,          # the benchmark's shape: one unpack for the whole reply
    [(None, bytes(100))] * 50,
    [(b"key-000001", bytes(100))] * 49 + [(b"key-000001", bytes(99))],  # sizes do not add up
    [(b"k" * 4, b"x" * 6)] * 10 + [(b"k" * 6, b"x" * 4)] * 10,        # they add up, the fields differ
    [(b"key-1", b"v")] * 3 + [(None, b"")],     # a short keyless record last, after keyed ones
])
def test_shapes_at_the_edges_of_the_fast_paths(records):
    payload = encode(records)
    assert decoded_or_error(fast, payload) == decoded_or_error(plain, payload) != "DecodeError"
    for cut in range(12, len(payload)):
        assert decoded_or_error(fast, payload[:cut]) == decoded_or_error(plain, payload[:cut])
