"""Decoding a value with the schema registered for its topic (flymq-wire §2.19).

* ``avro``: the binary value read with the schema through ``fastavro``, shown as pretty JSON;
* ``json``: the value parsed and checked against the JSON Schema (:mod:`flytui.json_schema`); every failing
  path is listed above the document;
* ``protobuf``: the raw field tree (:mod:`flytui.protobuf_raw`); the ``.proto`` text is not compiled.

Without a schema, or in a mode the schema does not apply to, :func:`decode_with_schema` is
:func:`flytui.decode.decode_value`. Never raises for any input bytes or schema text.

Usage::

    schema = TopicSchema.from_info("orders-avro", client.get_schema("orders-avro"))
    decoded = decode_with_schema(record.value, DecodeMode.AUTO, schema, limit=DETAIL_LIMIT)
    decoded.schema        # "Avro schema orders-avro v1"
"""

from __future__ import annotations

import datetime
import decimal
import io
import json
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rich.style import Style
from rich.text import Text

from pyflymq.models import SchemaInfo

from .decode import (
    DIM_STYLE,
    MARKER_STYLE,
    Decoded,
    DecodeMode,
    HexLines,
    Lines,
    StackedLines,
    TextBlock,
    TextLines,
    decode_value,
    visible_text,
)
from .json_schema import check
from .protobuf_raw import Field, parse_message


@lru_cache(maxsize=1)
def _fastavro() -> Any:
    """The fastavro package, imported at first use rather than at startup (it is a dependency, but a broken
    install still decodes everything else); None when it does not import."""
    try:
        import fastavro
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    return fastavro

__all__ = ["MAX_FAILURES_SHOWN", "TopicSchema", "decode_with_schema"]

MAX_FAILURES_SHOWN = 50
"""JSON Schema failures listed at most (the count says how many more)."""

_OK_STYLE = Style(color="green", bold=True)
_FAIL_STYLE = Style(color="red", bold=True)


@dataclass(frozen=True)
class TopicSchema:
    """A registered schema version: its name, version, type (``avro``/``json``/``protobuf``) and text."""

    name: str
    version: int
    type: str
    definition: bytes

    @classmethod
    def from_info(cls, name: str, info: SchemaInfo) -> TopicSchema:
        """From a GET_SCHEMA reply (``proto`` counts as ``protobuf``)."""
        kind = info.type.lower()
        return cls(name, info.version, "protobuf" if kind == "proto" else kind, bytes(info.definition))

    @property
    def label(self) -> str:
        """``Avro schema orders-avro v1``."""
        kind = {"avro": "Avro schema", "json": "JSON Schema", "protobuf": "protobuf schema"}.get(
            self.type, f"{self.type} schema")
        return f"{kind} {self.name} v{self.version}"


def _schema_applies(schema: TopicSchema, mode: DecodeMode) -> bool:
    if mode is DecodeMode.AUTO:
        return schema.type in ("avro", "json", "protobuf")
    return (mode, schema.type) in ((DecodeMode.AVRO, "avro"), (DecodeMode.JSON, "json"),
                                   (DecodeMode.PROTOBUF, "protobuf"))


def decode_with_schema(data: bytes | None, mode: DecodeMode | str, schema: TopicSchema | None, *,
                       limit: int | None = None) -> Decoded:
    """Decode ``data`` in ``mode``, with ``schema`` when there is one and the mode allows it."""
    mode = DecodeMode(mode)
    if schema is None or data is None or not data or not _schema_applies(schema, mode):
        return decode_value(data, mode, limit=limit)
    if limit is not None and len(data) > limit:
        head = decode_value(data, DecodeMode.AUTO, limit=limit)
        marker = Text(f"⚠ value cut: load all (L) to decode it with the {schema.label}", style=MARKER_STYLE,
                      end="")
        return Decoded(StackedLines(TextBlock(marker), head.lines), head.mode_used, None, True,
                       head.shown_bytes, head.total_bytes)
    if schema.type == "avro":
        return _avro(data, schema)
    if schema.type == "json":
        return _json(data, schema)
    decoded = decode_value(data, DecodeMode.PROTOBUF)
    note = Text(f"{schema.label} registered; field numbers shown (the .proto is not compiled)",
                style=DIM_STYLE, end="")
    return Decoded(StackedLines(TextBlock(note), decoded.lines), decoded.mode_used, decoded.error,
                   False, len(data), len(data), schema.label)


def schema_preview(data: bytes, schema: TopicSchema) -> str | None:
    """One line showing ``data`` decoded with ``schema``, for the stream's value column: an Avro record as
    compact JSON, a protobuf value as ``number: value`` pairs; None when the schema does not decode it (or is
    a JSON schema, whose values preview as text already)."""
    try:
        if schema.type == "avro":
            stream = io.BytesIO(data)
            record = _fastavro().schemaless_reader(stream, _parsed_avro(schema.definition), None)
            if stream.tell() != len(data):
                return None
            return json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=_json_default)
        if schema.type == "protobuf":
            return _fields_inline(parse_message(data))
    except Exception:  # noqa: BLE001 - any value the schema cannot read previews as it would without one
        return None
    return None


def _fields_inline(fields: tuple[Field, ...]) -> str:
    parts: list[str] = []
    for field in fields:
        value = field.value
        if isinstance(value, tuple):
            parts.append(f"{field.number} {{{_fields_inline(value)}}}")
        elif isinstance(value, str):
            parts.append(f"{field.number}: {json.dumps(value, ensure_ascii=False)}")
        elif isinstance(value, bytes):
            parts.append(f"{field.number}: hex:{value[:32].hex()}")
        else:
            parts.append(f"{field.number}: {value}")
    return " ".join(parts)


def _fallback(data: bytes, schema: TopicSchema, why: str) -> Decoded:
    """Hex with a visible marker line saying why the schema did not decode ``data``."""
    message = f"not decodable with the {schema.label}: {why}"
    marker = visible_text(f"⚠ {message} — shown as hex", style=MARKER_STYLE)
    return Decoded(StackedLines(TextBlock(marker), HexLines(data)), DecodeMode.HEX, message, False,
                   len(data), len(data), schema.label)


def _show_json(document: Any) -> Lines:
    return TextLines(json.dumps(document, indent=2, ensure_ascii=False, default=_json_default), json=True)


def _json_default(value: object) -> object:
    """Avro's logical types and bytes made showable: bytes as ``hex:..``, times ISO 8601, decimals exact."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "hex:" + bytes(value).hex()
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    return repr(value)


@lru_cache(maxsize=32)
def _parsed_avro(definition: bytes) -> Any:
    """The Avro schema parsed once per definition text (ValueError when it is not a valid schema)."""
    fastavro = _fastavro()
    if fastavro is None:
        raise ValueError("the fastavro package is not installed")
    try:
        return fastavro.parse_schema(json.loads(definition))
    except Exception as exc:  # fastavro raises several types for a bad schema
        raise ValueError(f"the schema is not valid Avro ({type(exc).__name__}: {exc})") from exc


def _avro(data: bytes, schema: TopicSchema) -> Decoded:
    try:
        parsed = _parsed_avro(schema.definition)
        stream = io.BytesIO(data)
        record = _fastavro().schemaless_reader(stream, parsed, None)
        left = len(data) - stream.tell()
        if left:
            raise ValueError(f"{left:,} bytes left after the record (wrong schema or version?)")
        lines = _show_json(record)
    except ValueError as exc:
        return _fallback(data, schema, str(exc))
    except RecursionError:
        return _fallback(data, schema, "nested too deeply")
    except Exception as exc:  # a value that does not match the schema: EOFError, StructError, ...
        return _fallback(data, schema, f"{type(exc).__name__}: {exc}".rstrip(": "))
    header = Text(f"decoded with the {schema.label}", style=DIM_STYLE, end="")
    return Decoded(StackedLines(TextBlock(header), lines), DecodeMode.AVRO, None, False, len(data), len(data),
                   schema.label)


def _json(data: bytes, schema: TopicSchema) -> Decoded:
    try:
        document = json.loads(data)
        lines = _show_json(document)
    except (ValueError, RecursionError) as exc:
        return _fallback(data, schema, f"not valid JSON ({exc})")
    try:
        schema_document = json.loads(schema.definition)
    except (ValueError, RecursionError) as exc:
        note = visible_text(f"⚠ the {schema.label} is not valid JSON ({exc}); value not checked",
                            style=MARKER_STYLE)
        return Decoded(StackedLines(TextBlock(note), lines), DecodeMode.JSON, None, False, len(data), len(data),
                       schema.label)
    failures = check(schema_document, document)
    head: list[Text] = []
    if not failures:
        head.append(Text(f"✓ valid against the {schema.label}", style=_OK_STYLE, end=""))
    else:
        count = len(failures)
        head.append(Text(f"✗ {count} problem{'s' if count != 1 else ''} against the {schema.label}:",
                         style=_FAIL_STYLE, end=""))
        for failure in failures[:MAX_FAILURES_SHOWN]:
            line = Text("  ", end="")
            line.append_text(visible_text(failure.path, style=Style(bold=True)))
            line.append(": ")
            line.append_text(visible_text(failure.message))
            head.append(line)
        if count > MAX_FAILURES_SHOWN:
            head.append(Text(f"  … {count - MAX_FAILURES_SHOWN:,} more", style=MARKER_STYLE, end=""))
    head.append(Text("", end=""))
    return Decoded(StackedLines(TextBlock(*head), lines), DecodeMode.JSON, None, False, len(data), len(data),
                   schema.label)
