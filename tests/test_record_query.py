"""The filter language (flytui.record_query): parsing, evaluation, error positions, plain-text compatibility."""

from __future__ import annotations

import json

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flytui.record_query import QueryError, compile_query
from pyflymq.models import Message


def record(value: object, key: bytes | None = None, offset: int = 0, partition: int = 0) -> Message:
    """A message whose value is ``value`` as JSON (bytes are taken as they are)."""
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return Message("orders", partition, offset, key, raw)


PAID = record({"status": "paid", "amount": 150, "items": [{"sku": "SKU-7001"}, {"sku": "SKU-7002"}],
               "customer": {"tier": "gold", "vip": True, "note": None}}, b"cust-0144", offset=7, partition=2)
OPEN = record({"status": "open", "amount": 50, "items": []}, b"cust-0200", offset=8)
TEXT = record(b"ERROR: disk full on /var/log", b"host-3", offset=9)
PACKED = record(msgpack.packb({"status": "paid", "amount": 300}), None, offset=10)
KEYLESS = record(b"plain", None, offset=11)
ALL = [PAID, OPEN, TEXT, PACKED, KEYLESS]


def matching(text: str) -> list[int]:
    """The offsets of the sample records the query matches."""
    query = compile_query(text)
    return [message.offset for message in ALL if query.matches(message)]


@pytest.mark.parametrize(("text", "offsets"), [
    ('$.status == "paid"', [7, 10]),
    ('$.status != "paid"', [8]),
    ("$.amount > 100", [7, 10]),
    ("$.amount >= 150", [7, 10]),
    ("$.amount < 100", [8]),
    ("$.amount <= 50.0", [8]),
    ("$.amount == 1.5e2", [7]),
    ('$.amount == "150"', []),
    ('$.items[*].sku == "SKU-7002"', [7]),
    ('$.items[0].sku == "SKU-7002"', []),
    ('$.items[-1].sku == "SKU-7002"', [7]),
    ('$["customer"]["tier"] == "gold"', [7]),
    ("$.customer.vip == true", [7]),
    ("$.customer.vip == 1", []),
    ("$.customer.note == null", [7]),
    ("$.customer.note", [7]),
    ("$.items", [7, 8]),
    ("$.nothing", []),
    ('$.status ~ /^pa/', [7, 10]),
    ('key == "cust-0144"', [7]),
    ('key != "cust-0144"', [8, 9, 10, 11]),
    ('key == ""', [10, 11]),
    ("key ~ /^cust-01/", [7]),
    ("value ~ /disk/", [9]),
    ("value ~ /DISK/i", [9]),
    ("/disk full/", [9]),
    ("/CUST-02/i", [8]),
    ('"DISK"', []),  # a lone quoted text keeps its quotes, as before
    ('"disk" or "gold"', [7, 9]),
    ("offset >= 9 and partition == 0", [9, 10, 11]),
    ('$.status == "paid" and not key ~ /^cust/', [10]),
    ('not ($.status == "paid" or $.status == "open")', [9, 11]),
    ('$.amount > 100 and $.status == "paid" or value ~ /^plain$/', [7, 10, 11]),
    ("NOT $.items AND $.amount", [10]),
])
def test_query_matches(text: str, offsets: list[int]) -> None:
    assert matching(text) == offsets
    assert not compile_query(text).is_plain or text == '"DISK"'


@pytest.mark.parametrize(("text", "offsets"), [
    ("error", [9]),
    ("ERROR", [9]),
    ("CUST-0144", [7]),
    ("error and disk", []),  # one substring, spaces and all, as the broker reads it
    ("not found", []),
    ("(disk|gold)", [7, 9]),  # the broker also reads plain text as a regex
    ("/var/log", [9]),
    ("/var", [9]),  # an unclosed slash is not a regex
    ("$5 off", []),
    ('"gold"', [7]),
    ("key", []),
    ("value is", []),
])
def test_plain_text_keeps_the_broker_meaning(text: str, offsets: list[int]) -> None:
    query = compile_query(text)
    assert query.is_plain
    assert query.server_filter == text
    assert matching(text) == offsets


def test_empty_query_matches_everything_and_sends_no_filter() -> None:
    query = compile_query("")
    assert query.matches_everything and query.server_filter is None
    assert all(query.matches(message) for message in ALL)


def test_queries_are_evaluated_by_the_client() -> None:
    assert compile_query("$.amount > 100").server_filter is None
    assert compile_query("/x/").server_filter is None
    assert compile_query('"a" and "b"').server_filter is None


def test_a_plain_text_too_long_for_the_wire_is_evaluated_by_the_client() -> None:
    query = compile_query("x" * 70000)
    assert query.is_plain and query.server_filter is None


def test_undecodable_and_non_object_values_match_no_path() -> None:
    query = compile_query("$.a")
    assert not query.matches(record(b"\xff\xfe\x00"))
    assert not query.matches(record([1, 2]))
    assert not query.matches(record(b""))
    assert compile_query("$[1] == 2").matches(record([1, 2]))


@pytest.mark.parametrize(("text", "position", "expected"), [
    ("$.amount >", 10, "expected a value"),
    ("$.amount > abc", 11, "expected a value"),
    ("$.amount = 3", 9, "'=='"),
    ('key == "x', 7, "no closing"),
    ("key == 5", 7, "string in double quotes"),
    ('offset == "5"', 10, "number"),
    ("offset ~ /5/", 7, "'~' applies to key and value"),
    ('$.a == 1 and', 12, "expected a term"),
    ('"x" and disk', 8, "expected a term"),
    ("/a(/", 2, "invalid regular expression"),
    ('key ~ /abc', 6, "no closing '/'"),
    ("$.a[", 4, "inside '[ ]'"),
    ("$.a[1", 5, "expected ']'"),
    ("((($.a)", 7, "expected ')'"),
    ("$.", 2, "key name"),
    ("key ~ /x/y", 9, "after the regular expression"),
    ('$.a == 1 $.b', 9, "expected 'and', 'or'"),
    ("key ~ x", 6, "regular expression in slashes"),
])
def test_errors_say_what_was_expected_where(text: str, position: int, expected: str) -> None:
    with pytest.raises(QueryError) as caught:
        compile_query(text)
    assert caught.value.position == position
    assert expected in caught.value.message
    assert caught.value.pointer(text).splitlines()[1] == " " * position + "^"


def test_deep_nesting_is_a_query_error() -> None:
    with pytest.raises(QueryError, match="nested"):
        compile_query("not " * 500 + "$.a")
    with pytest.raises(QueryError, match="nested"):
        compile_query("(" * 500 + "$.a" + ")" * 500)


_ALPHABET = st.sampled_from(list('$.[]*()"\\/~=!<>-0123456789 aeiknoprstvyd_,:{}|^?+eE\t') + ["and", "or", "not",
                                                                                           "key", "value"])
_QUERYISH = st.lists(_ALPHABET, max_size=40).map("".join)
_VALUES = st.one_of(
    st.binary(max_size=40),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                 max_leaves=8).map(lambda doc: json.dumps(doc).encode()),
)


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(st.text(max_size=40), _QUERYISH), value=_VALUES, key=st.none() | st.binary(max_size=8))
def test_any_text_compiles_or_raises_query_error_and_never_breaks_evaluation(
        text: str, value: bytes, key: bytes | None) -> None:
    try:
        query = compile_query(text)
    except QueryError as exc:
        assert 0 <= exc.position <= len(text)
        return
    assert isinstance(query.matches(Message("t", 0, 0, key, value)), bool)
