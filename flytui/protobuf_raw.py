"""Protobuf wire format read without a schema, shown as a field tree like ``protoc --decode_raw``.

Pure Python, no Rich. :func:`parse_message` reads fields (number, wire type, value); a length-delimited
field is guessed to be text when it is printable UTF-8, else a nested message when its bytes parse as one
completely, else raw bytes. :func:`render_fields` gives the tree as lines of plain text::

    1 varint: 150
    2 len: "hello"
    3 len {
      1 varint: 7
    }
    4 i64: 0x3ff0000000000000 (double 1)

Strings are quoted with escapes, so the lines hold no control characters.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["Field", "MAX_DEPTH", "WIRE_TYPES", "parse_message", "read_varint", "render_fields"]

WIRE_TYPES = {0: "varint", 1: "i64", 2: "len", 3: "group", 5: "i32"}
"""Names of the wire types (4, end of group, only closes a group)."""

MAX_DEPTH = 32
"""Nested messages deeper than this are shown as bytes (keeps hostile input cheap)."""


@dataclass(frozen=True)
class Field:
    """One field: its number, wire type and value.

    ``value`` is an int (varint, i32, i64), a str (text), bytes, or a tuple of fields (nested message or
    group).
    """

    number: int
    wire_type: int
    value: int | str | bytes | tuple[Field, ...]


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The base-128 varint at ``pos`` and the position after it; ValueError when cut or over 10 bytes."""
    result = 0
    shift = 0
    start = pos
    while True:
        if pos >= len(data):
            raise ValueError(f"varint cut at byte {start}")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result & 0xFFFF_FFFF_FFFF_FFFF, pos
        shift += 7
        if shift >= 70:
            raise ValueError(f"varint longer than 10 bytes at byte {start}")


def _looks_like_text(raw: bytes) -> str | None:
    """``raw`` as a string when it is UTF-8 made of printable characters (and tabs/newlines)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if all(char.isprintable() or char in "\t\n\r" for char in text):
        return text
    return None


def _length_delimited(raw: bytes, depth: int) -> str | bytes | tuple[Field, ...]:
    """Guess what a length-delimited field holds: text, a nested message, or bytes."""
    if not raw:
        return ""
    text = _looks_like_text(raw)
    if text is not None:
        return text
    if depth < MAX_DEPTH:
        try:
            fields, _ = _parse(raw, 0, depth + 1, None)
        except ValueError:
            pass
        else:
            if fields:
                return fields
    return raw


def _parse(data: bytes, pos: int, depth: int, group: int | None) -> tuple[tuple[Field, ...], int]:
    """Fields from ``pos`` to the end (or to the end-group tag of ``group``) and the position after."""
    fields: list[Field] = []
    while pos < len(data):
        tag_at = pos
        tag, pos = read_varint(data, pos)
        number, wire_type = tag >> 3, tag & 7
        if number == 0 or number > 0x1FFF_FFFF:
            raise ValueError(f"invalid field number {number} at byte {tag_at}")
        if wire_type == 0:
            value, pos = read_varint(data, pos)
            fields.append(Field(number, 0, value))
        elif wire_type == 1:
            if pos + 8 > len(data):
                raise ValueError(f"64-bit field {number} cut at byte {tag_at}")
            fields.append(Field(number, 1, int.from_bytes(data[pos:pos + 8], "little")))
            pos += 8
        elif wire_type == 5:
            if pos + 4 > len(data):
                raise ValueError(f"32-bit field {number} cut at byte {tag_at}")
            fields.append(Field(number, 5, int.from_bytes(data[pos:pos + 4], "little")))
            pos += 4
        elif wire_type == 2:
            length, pos = read_varint(data, pos)
            if pos + length > len(data):
                raise ValueError(f"field {number} wants {length} bytes at byte {pos}, "
                                 f"only {len(data) - pos} left")
            fields.append(Field(number, 2, _length_delimited(data[pos:pos + length], depth)))
            pos += length
        elif wire_type == 3:
            if depth >= MAX_DEPTH:
                raise ValueError(f"groups nested deeper than {MAX_DEPTH} at byte {tag_at}")
            inner, pos = _parse(data, pos, depth + 1, number)
            fields.append(Field(number, 3, inner))
        elif wire_type == 4:
            if group != number:
                raise ValueError(f"unexpected end of group {number} at byte {tag_at}")
            return tuple(fields), pos
        else:
            raise ValueError(f"invalid wire type {wire_type} at byte {tag_at}")
    if group is not None:
        raise ValueError(f"group {group} not closed")
    return tuple(fields), pos


def parse_message(data: bytes) -> tuple[Field, ...]:
    """Every field of ``data`` read as a protobuf message; ValueError (with the byte position) if it is not one."""
    fields, _ = _parse(data, 0, 0, None)
    return fields


def _quote(text: str) -> str:
    """``text`` in double quotes, with backslash escapes for quotes, backslashes and non-printables."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif not char.isprintable():
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _number_text(field: Field) -> str:
    """A scalar's value with its other readings: signed, float, double."""
    value = field.value
    assert isinstance(value, int)
    if field.wire_type == 0:
        return f"{value}" if value < 1 << 63 else f"{value} (signed {value - (1 << 64)})"
    if field.wire_type == 5:
        as_float = struct.unpack("<f", value.to_bytes(4, "little"))[0]
        return f"0x{value:08x} (float {as_float:g})"
    as_double = struct.unpack("<d", value.to_bytes(8, "little"))[0]
    return f"0x{value:016x} (double {as_double:g})"


def render_fields(fields: tuple[Field, ...], indent: int = 0) -> list[str]:
    """The field tree as lines: ``number wire-type: value``, nested messages in braces, indented."""
    lines: list[str] = []
    pad = "  " * indent
    for field in fields:
        label = f"{pad}{field.number} {WIRE_TYPES[field.wire_type]}"
        value = field.value
        if isinstance(value, tuple):
            lines.append(f"{label} {{")
            lines.extend(render_fields(value, indent + 1))
            lines.append(f"{pad}}}")
        elif isinstance(value, str):
            lines.append(f"{label}: {_quote(value)}")
        elif isinstance(value, bytes):
            lines.append(f"{label}: {len(value)} bytes 0x{value.hex()}")
        else:
            lines.append(f"{label}: {_number_text(field)}")
    return lines
