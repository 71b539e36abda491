"""The broker's fast paths give exactly what the general code gives (issue 10): PRODUCE decoding, reply
building, the key hash, and the plain-text filter."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyflymq import wire
from pyflymq.broker.filters import build_matcher, general_matcher, is_plain, plain_matcher
from pyflymq.broker.log import encode_entry, fnv1a32
from pyflymq.broker.replies import ProduceReplies, record_metadata
from pyflymq.errors import DecodeError
from pyflymq.wire import Op


def reference_fnv1a32(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


@given(st.binary(max_size=100))
def test_key_hash_matches_the_reference(key):
    assert fnv1a32(key) == reference_fnv1a32(key)


def test_key_hash_at_the_short_key_boundary():
    for size in range(28, 40):
        key = bytes(range(200, 200 + size))
        assert fnv1a32(key) == reference_fnv1a32(key)


produce_payloads = st.one_of(
    st.builds(lambda t, k, v, p, extra: wire.encode_produce_request(t, v, key=k, partition=p) + extra,
              st.text(max_size=10), st.binary(max_size=20), st.binary(max_size=40),
              st.integers(-(1 << 31), (1 << 31) - 1), st.binary(max_size=3)),
    st.builds(lambda payload, cut: payload[:cut],
              st.builds(lambda t, v: wire.encode_produce_request(t, v, key=b"k"), st.text(max_size=5),
                        st.binary(max_size=10)),
              st.integers(0, 30)),
    st.binary(max_size=40),
)


@settings(max_examples=400)
@given(produce_payloads)
def test_split_produce_accepts_exactly_what_the_decoder_accepts(payload):
    fields = wire.split_produce_request(payload)
    try:
        req = wire.decode_produce_request(payload)
    except DecodeError:
        assert fields is None
        return
    assert fields is not None
    topic_raw, key, value = fields
    assert (topic_raw.decode("utf-8", "surrogateescape"), key, value) == (req.topic, req.key, req.value)


@pytest.mark.parametrize("topic", ["t", "orders-eu", "", "ünïcode", "\udcff-raw"])
def test_cached_replies_match_the_general_builder(topic):
    raw = topic.encode("utf-8", "surrogateescape")
    replies = ProduceReplies(Op.PRODUCE)
    for partition, offset, key_size in [(0, 0, -1), (3, 123456789, 10), (1, 7, 0)]:
        fast = replies.reply(raw, partition, offset, key_size, 100)
        general = record_metadata(Op.PRODUCE, topic, partition, offset, key_size, 100)
        timestamp = slice(len(fast) - 16, len(fast) - 8)  # i64 ms before key_size and value_size
        assert len(fast) == len(general)
        assert fast[:timestamp.start] + fast[timestamp.stop:] == general[:timestamp.start] + general[timestamp.stop:]
        meta = wire.decode_record_metadata(fast[wire.HEADER_SIZE:])
        assert (meta.topic, meta.partition, meta.offset, meta.key_size, meta.value_size) == (
            topic, partition, offset, key_size, 100)


@given(st.text(max_size=10), st.binary(max_size=20), st.binary(max_size=40), st.integers(0, (1 << 64) - 1),
       st.integers(0, 999), st.integers(-(1 << 63), (1 << 63) - 1), st.integers(-1, 50))
def test_the_pipelined_produce_layouts_match_the_general_encoders(topic, key, value, offset, partition, stamp,
                                                                  key_size):
    # the broker's run path reads a PRODUCE head without its key, and packs a stored record and a reply with
    # one struct each: the same bytes as the general encoders give
    payload = wire.encode_produce_request(topic, value, key=key)
    raw = topic.encode("utf-8", "surrogateescape")
    head = wire.produce_request_head(len(raw), len(key), with_key=False)
    assert head.unpack_from(payload, 0) == (payload[:2 + len(raw)], len(key), len(value))
    keyed = wire.produce_request_head(len(raw), len(key))
    assert keyed.unpack_from(payload, 0) == (payload[:2 + len(raw)], len(key), key, len(value))
    data = payload[2 + len(raw):keyed.size + len(value)]
    assert wire.fetch_record_layout(len(data)).pack(offset, data) == encode_entry(offset, key, value)
    prefix = wire.record_metadata_frame_prefix(Op.PRODUCE, raw)
    assert (wire.record_metadata_frame_layout(len(prefix)).pack(prefix, partition, offset, stamp, key_size, len(value))
            == prefix + wire.pack_record_metadata_tail(partition, offset, stamp, key_size, len(value)))


tricky_text = st.text(alphabet=st.sampled_from(list("abkKzZ -_:/\"{}0") + ["\u212a", "Σ", "σ", "ς", "İ", "é", "\x00"]),
                      max_size=12)
plain_filters = tricky_text.filter(lambda f: f and is_plain(f))
raw_fields = st.one_of(tricky_text.map(lambda t: t.encode("utf-8", "surrogateescape")), st.binary(max_size=12))


@settings(max_examples=600)
@given(plain_filters, raw_fields, raw_fields)
def test_the_plain_filter_fast_path_agrees_with_the_regex_rules(filter_text, key, value):
    assert plain_matcher(filter_text)(key, value) == general_matcher(filter_text)(key, value)


@pytest.mark.parametrize(("filter_text", "plain"), [
    ("error", True), ("order id: 42", True), ("a-b_c/d", True), ("é", True),
    ("err.r", False), ("^start", False), ("a|b", False), ("x*", False), ("$.user.id", False), ("a\\d", False),
])
def test_which_filters_take_the_fast_path(filter_text, plain):
    assert (build_matcher(filter_text).__qualname__.split(".")[0] == "plain_matcher") is plain
    assert is_plain(filter_text) is plain


windows = st.lists(st.tuples(raw_fields, raw_fields), max_size=12)


@settings(max_examples=600)
@given(plain_filters, windows, st.integers(1, 5))
def test_a_filtered_fetch_over_a_whole_window_finds_what_record_by_record_finds(filter_text, records, max_messages):
    from pyflymq.broker.log import encode_entry, scan

    window = [encode_entry(1000 + i, key, value) for i, (key, value) in enumerate(records)]
    fast = plain_matcher(filter_text)

    def one_by_one(key: bytes, value: bytes) -> bool:  # the same test, without the needle scan uses
        return fast(key, value)

    assert scan(window, 1000, max_messages, fast) == scan(window, 1000, max_messages, one_by_one)


def test_the_window_search_sees_characters_that_lower_case_to_the_needle():
    from pyflymq.broker.log import encode_entry, scan

    window = [encode_entry(0, b"", b"none"), encode_entry(1, "\u212aey".encode(), b"x"),
              encode_entry(2, b"", "\u0130d".encode()), encode_entry(3, b"KEY", b"")]
    assert [e[:8] for e in scan(window, 0, 10, plain_matcher("key"))[0]] == [(1).to_bytes(8, "big"),
                                                                                 (3).to_bytes(8, "big")]
    assert scan(window, 0, 10, plain_matcher("i"))[0] == [window[2]]
    assert scan(window, 0, 1, plain_matcher("key")) == ([window[1]], 2)
