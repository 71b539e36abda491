"""Pure tests of the schema-aware decoders: the raw protobuf reader, the JSON Schema checker, Avro through
fastavro, and the per-topic schema choices file. No network."""

from __future__ import annotations

import io
import json
import re
import struct

import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flytui.decode import DETAIL_LIMIT, DecodeMode, decode_value
from flytui.json_schema import check
from flytui.protobuf_raw import Field, parse_message, read_varint, render_fields
from flytui.schema_choices import SchemaChoices, choices_path
from flytui.schema_decode import TopicSchema, decode_with_schema

RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff"
                         "\ud800-\udfff]")

SHIPMENT = {
    "type": "record", "name": "Shipment",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "weight", "type": "double"},
        {"name": "parcels", "type": "int"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "at", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
    ],
}

ORDER_SCHEMA = {
    "type": "object",
    "required": ["order_id", "status", "items"],
    "additionalProperties": False,
    "properties": {
        "order_id": {"type": "string", "pattern": "^ord-[0-9]+$"},
        "status": {"enum": ["created", "paid", "cancelled"]},
        "total": {"type": "number", "minimum": 0},
        "items": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/item"}},
    },
    "$defs": {"item": {"type": "object", "required": ["sku"],
                       "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}}},
}


def avro_bytes(schema: dict, record: dict) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), record)
    return out.getvalue()


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def pb(number: int, wire_type: int, payload: bytes) -> bytes:
    return varint(number << 3 | wire_type) + payload


def pb_len(number: int, data: bytes) -> bytes:
    return pb(number, 2, varint(len(data)) + data)


# -------------------------------------------------------------------------------------------- protobuf raw


def test_varint_reader():
    assert read_varint(b"\x96\x01", 0) == (150, 2)
    assert read_varint(b"\x00\x7f", 1) == (127, 2)
    assert read_varint(b"\xff" * 9 + b"\x01", 0) == ((1 << 64) - 1, 10)
    with pytest.raises(ValueError, match="cut"):
        read_varint(b"\x96", 0)
    with pytest.raises(ValueError, match="longer than 10"):
        read_varint(b"\xff" * 11, 0)


def test_protobuf_tree_has_numbers_wire_types_and_guessed_nesting():
    inner = pb_len(1, b"A07") + pb(2, 0, varint(3))
    data = (pb(1, 0, varint(150)) + pb_len(2, b"hello") + pb_len(3, inner) + pb(4, 1, struct.pack("<d", 1.5))
            + pb(5, 5, struct.pack("<f", 2.5)) + pb_len(6, b"\xff\x00\x01") + pb(7, 0, varint((1 << 64) - 1)))
    fields = parse_message(data)
    assert [(f.number, f.wire_type) for f in fields] == [(1, 0), (2, 2), (3, 2), (4, 1), (5, 5), (6, 2), (7, 0)]
    assert fields[2].value == (Field(1, 2, "A07"), Field(2, 0, 3))
    assert render_fields(fields) == [
        "1 varint: 150",
        '2 len: "hello"',
        "3 len {",
        '  1 len: "A07"',
        "  2 varint: 3",
        "}",
        "4 i64: 0x3ff8000000000000 (double 1.5)",
        "5 i32: 0x40200000 (float 2.5)",
        "6 len: 3 bytes 0xff0001",
        "7 varint: 18446744073709551615 (signed -1)",
    ]


def test_protobuf_groups_are_nested():
    data = pb(1, 3, b"") + pb(2, 0, varint(5)) + pb(1, 4, b"") + pb(3, 0, varint(1))
    assert render_fields(parse_message(data)) == ["1 group {", "  2 varint: 5", "}", "3 varint: 1"]


@pytest.mark.parametrize("data, why", [
    (b"\x0a\x05ab", "wants 5 bytes"),
    (b"\x0f", "invalid wire type 7"),
    (b"\x00\x01", "invalid field number 0"),
    (b"\x0b\x10\x01", "group 1 not closed"),
    (b"\x0c", "unexpected end of group 1"),
    (b"\x09\x01\x02", "64-bit field 1 cut"),
])
def test_protobuf_errors_say_where(data, why):
    with pytest.raises(ValueError, match=why):
        parse_message(data)
    result = decode_value(data, DecodeMode.PROTOBUF)
    assert result.mode_used is DecodeMode.HEX and why in result.error


def test_protobuf_strings_are_quoted_and_escaped():
    fields = (Field(1, 2, 'say "hi"\n\\'),)
    assert render_fields(fields) == ['1 len: "say \\"hi\\"\\n\\\\"']


def test_protobuf_deep_nesting_stops_at_the_limit():
    data = b"\x08\x01"
    for _ in range(200):
        data = pb_len(1, data)
    lines = decode_value(data, DecodeMode.PROTOBUF).renderable.plain.splitlines()
    assert lines[0] == "1 len {" and "bytes 0x" in "\n".join(lines)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_protobuf_reader_only_raises_value_error(data):
    try:
        lines = render_fields(parse_message(data))
    except ValueError:
        return
    assert all(RAW_CONTROL.search(line) is None for line in lines)


# ------------------------------------------------------------------------------------------- JSON Schema


def test_json_schema_lists_every_failing_path():
    document = {"order_id": "x-1", "status": "lost", "total": -2,
                "items": [{"sku": "SKU-1", "qty": 0}, {"qty": "2"}], "note": "hi"}
    failures = [(f.path, f.message) for f in check(ORDER_SCHEMA, document)]
    assert failures == [
        ("$.order_id", '"x-1" does not match /^ord-[0-9]+$/'),
        ("$.status", '"lost" is not one of ["created", "paid", "cancelled"]'),
        ("$.total", "-2 is less than the minimum 0"),
        ("$.items[0].qty", "0 is less than the minimum 1"),
        ("$.items[1].sku", "required field is missing"),
        ("$.items[1].qty", 'string "2" is not of type integer'),
        ("$.note", "field is not allowed (additionalProperties)"),
    ]


def test_json_schema_valid_document_has_no_failures():
    assert check(ORDER_SCHEMA, {"order_id": "ord-1", "status": "paid", "items": [{"sku": "a", "qty": 1}]}) == []


@pytest.mark.parametrize("schema, value, expected", [
    ({"type": "integer"}, 3.0, []),
    ({"type": "integer"}, True, ["$: boolean true is not of type integer"]),
    ({"type": ["string", "null"]}, None, []),
    ({"type": "number", "exclusiveMaximum": 10}, 10, ["$: 10 is not less than the exclusive maximum 10"]),
    ({"type": "string", "minLength": 3}, "ab", ['$: "ab" is shorter than 3 characters']),
    ({"const": 1}, True, ["$: true is not 1"]),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, 1.5, ["$: matches none of the 2 anyOf choices"]),
    ({"oneOf": [{"type": "number"}, {"type": "integer"}]}, 2, ["$: matches 2 of the oneOf choices, not exactly one"]),
    ({"not": {"type": "null"}}, None, ['$: matches the schema under "not"']),
    ({"type": "array", "uniqueItems": True}, [1, 2, 1], ["$[2]: 1 repeats an earlier item"]),
    ({"prefixItems": [{"type": "string"}], "items": False}, ["a", 1], ["$[1]: no value is allowed here"]),
    ({"properties": {"a b": {"type": "string"}}}, {"a b": 1}, ['$["a b"]: integer 1 is not of type string']),
    ({"$ref": "#/definitions/missing"}, 1, ["$: $ref #/definitions/missing points nowhere"]),
    ({"pattern": "("}, "x", ['$: "x" does not match /(/']),
])
def test_json_schema_keywords(schema, value, expected):
    assert [f"{f.path}: {f.message}" for f in check(schema, value)] == expected


def test_json_schema_recursive_ref_is_bounded():
    schema = {"$ref": "#"}
    failures = check(schema, 1)
    assert failures and "nested deeper" in failures[-1].message


# ------------------------------------------------------------------------------------ decoding with schemas


def avro_schema(definition: dict = SHIPMENT, name: str = "shipments") -> TopicSchema:
    return TopicSchema(name, 3, "avro", json.dumps(definition).encode())


def test_avro_value_decodes_with_its_schema():
    value = avro_bytes(SHIPMENT, {"id": "shp-1", "weight": 2.5, "parcels": 2, "tags": ["fragile"],
                                  "at": 1_700_000_000_000})
    result = decode_with_schema(value, DecodeMode.AUTO, avro_schema())
    assert result.mode_used is DecodeMode.AVRO and result.error is None
    assert result.schema == "Avro schema shipments v3"
    plain = result.renderable.plain
    assert plain.splitlines()[0] == "decoded with the Avro schema shipments v3"
    assert json.loads(plain.split("\n", 1)[1]) == {"id": "shp-1", "weight": 2.5, "parcels": 2, "tags": ["fragile"],
                                                   "at": "2023-11-14T22:13:20+00:00"}


def test_avro_value_that_does_not_fit_falls_back_to_hex_with_the_reason():
    value = avro_bytes(SHIPMENT, {"id": "shp-1", "weight": 2.5, "parcels": 2, "tags": [], "at": None})
    result = decode_with_schema(value + b"\x00\x01", DecodeMode.AUTO, avro_schema())
    assert result.mode_used is DecodeMode.HEX
    assert "2 bytes left after the record" in result.error
    assert result.renderable.plain.startswith("⚠ not decodable with the Avro schema shipments v3")
    cut = decode_with_schema(value[:3], DecodeMode.AUTO, avro_schema())
    assert cut.mode_used is DecodeMode.HEX and "EOFError" in cut.error


def test_bad_avro_schema_text_is_reported_not_raised():
    result = decode_with_schema(b"\x02a", DecodeMode.AUTO, TopicSchema("s", 1, "avro", b'{"type": "nope"}'))
    assert result.mode_used is DecodeMode.HEX and "not valid Avro" in result.error


def test_json_value_is_checked_against_its_json_schema():
    schema = TopicSchema("orders", 2, "json", json.dumps(ORDER_SCHEMA).encode())
    bad = json.dumps({"order_id": "ord-1", "status": "paid", "items": [{"sku": "a", "qty": 0}]}).encode()
    plain = decode_with_schema(bad, DecodeMode.AUTO, schema).renderable.plain
    assert plain.splitlines()[:2] == ["✗ 1 problem against the JSON Schema orders v2:",
                                      "  $.items[0].qty: 0 is less than the minimum 1"]
    assert '"sku": "a"' in plain
    good = json.dumps({"order_id": "ord-1", "status": "paid", "items": [{"sku": "a"}]}).encode()
    result = decode_with_schema(good, DecodeMode.JSON, schema)
    assert result.mode_used is DecodeMode.JSON
    assert result.renderable.plain.startswith("✓ valid against the JSON Schema orders v2")
    not_json = decode_with_schema(b"cust-1", DecodeMode.AUTO, schema)
    assert not_json.mode_used is DecodeMode.HEX and "not valid JSON" in not_json.error


def test_protobuf_schema_shows_the_raw_tree():
    schema = TopicSchema("stock", 1, "protobuf", b"syntax = 'proto3'; message S { string sku = 1; }")
    result = decode_with_schema(pb_len(1, b"SKU-1") + pb(2, 0, varint(9)), DecodeMode.AUTO, schema)
    assert result.mode_used is DecodeMode.PROTOBUF and result.schema == "protobuf schema stock v1"
    assert result.renderable.plain.splitlines()[1:] == ['1 len: "SKU-1"', "2 varint: 9"]


def test_without_a_schema_or_in_another_mode_decoding_is_as_before():
    value = avro_bytes(SHIPMENT, {"id": "shp-1", "weight": 2.5, "parcels": 2, "tags": [], "at": None})
    assert decode_with_schema(value, DecodeMode.AUTO, None).mode_used is DecodeMode.HEX
    assert decode_with_schema(value, DecodeMode.HEX, avro_schema()).mode_used is DecodeMode.HEX
    assert decode_with_schema(b'{"a": 1}', DecodeMode.TEXT, avro_schema()).mode_used is DecodeMode.TEXT
    assert decode_with_schema(None, DecodeMode.AUTO, avro_schema()).renderable.plain == "null (no key)"
    assert decode_value(value, DecodeMode.AVRO).mode_used is DecodeMode.HEX


def test_a_cut_value_asks_to_load_all_before_the_schema_applies():
    value = avro_bytes(SHIPMENT, {"id": "x" * (DETAIL_LIMIT + 10), "weight": 1.0, "parcels": 1, "tags": [],
                                  "at": None})
    cut = decode_with_schema(value, DecodeMode.AUTO, avro_schema(), limit=DETAIL_LIMIT)
    assert cut.truncated and cut.schema is None
    assert cut.renderable.plain.startswith("⚠ value cut: load all (L) to decode it with the Avro schema")
    whole = decode_with_schema(value, DecodeMode.AUTO, avro_schema(), limit=None)
    assert whole.mode_used is DecodeMode.AVRO


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=120))
def test_schema_decoding_is_total(data):
    for schema in (avro_schema(), TopicSchema("o", 1, "json", json.dumps(ORDER_SCHEMA).encode()),
                   TopicSchema("p", 1, "protobuf", b"message X {}")):
        result = decode_with_schema(data, DecodeMode.AUTO, schema, limit=64)
        assert RAW_CONTROL.search(result.renderable.plain) is None


# ---------------------------------------------------------------------------------------- schema choices


def test_schema_choices_are_remembered_across_sessions(tmp_path):
    path = tmp_path / "state" / "schemas.json"
    choices = SchemaChoices.load(path)
    assert choices.schema_for("orders") == "orders" and choices.chosen("orders") is None
    assert choices.choose("orders", "orders-avro") == ""
    again = SchemaChoices.load(path)
    assert again.schema_for("orders") == "orders-avro" and again.chosen("orders") == "orders-avro"
    again.choose("orders", None)
    assert SchemaChoices.load(path).schema_for("orders") == "orders"


def test_schema_choices_file_default_place_and_bad_content(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert choices_path() == tmp_path / "flytui" / "schemas.json"
    choices_path().parent.mkdir(parents=True)
    choices_path().write_text("[not json", encoding="utf-8")
    assert SchemaChoices.load().schema_for("t") == "t"
    blocked = tmp_path / "file"
    blocked.write_text("x")
    choices = SchemaChoices.load(blocked / "schemas.json")
    assert "this session only" in choices.choose("t", "s")
    assert choices.schema_for("t") == "s"
