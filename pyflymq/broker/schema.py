"""A small schema registry and validator, with FlyMQ's texts (flymq-wire §2.19).

Schemas are registered by name (FlyMQ calls it the topic), get versions 1, 2, ... and the id
``<name>-v<version>``. JSON schemas are checked the way FlyMQ checks them: the message must be a JSON object,
``required`` fields must be present, each present field declared in ``properties`` must have the declared
``type`` (``number`` accepts integers), nested ``properties``/``required`` are checked recursively, and
``additionalProperties: false`` rejects undeclared fields. Protobuf messages get a wire-format check; Avro
messages only a non-empty check (FlyMQ decodes them; this broker has no Avro library). Registering a new
version checks backward compatibility: every newly required field must exist in the old ``properties``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from .errors import OpError

SCHEMA_TYPES = {"json": "json", "avro": "avro", "protobuf": "protobuf", "proto": "protobuf"}


@dataclass(frozen=True)
class Schema:
    """One registered schema version."""

    name: str
    version: int
    type: str
    definition: bytes
    compatibility: str = "backward"

    @property
    def id(self) -> str:
        """``<name>-v<version>``."""
        return f"{self.name}-v{self.version}"


def _e2(text: str) -> OpError:
    return OpError(text, "E2")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "unknown"


def _check_object(schema: dict, data: dict, path: str = "") -> list[str]:
    errors = []
    required = schema.get("required")
    for name in required if isinstance(required, list) else []:
        if isinstance(name, str) and name not in data:
            errors.append(f"missing required field: {path + '.' + name if path else name}")
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    for name, value in data.items():
        field_path = f"{path}.{name}" if path else name
        if name not in properties:
            if schema.get("additionalProperties") is False:
                errors.append(f"unexpected field: {field_path}")
            continue
        prop = properties[name]
        if not isinstance(prop, dict):
            continue
        expected = prop.get("type")
        actual = _json_type(value)
        if isinstance(expected, str) and expected != actual and not (expected == "number" and actual == "integer"):
            errors.append(f"type mismatch at {field_path}: expected {expected}, got {actual}")
        if isinstance(value, dict) and isinstance(prop.get("properties"), dict):
            nested = {"properties": prop["properties"], "required": prop.get("required")}
            errors.extend(_check_object(nested, value, field_path))
    return errors


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    for i in range(10):
        if pos + i >= len(data):
            return 0, -1
        byte = data[pos + i]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i + 1
        shift += 7
    return 0, -1


def _protobuf_error(data: bytes) -> str | None:
    pos = 0
    while pos < len(data):
        tag, n = _varint(data, pos)
        if n <= 0:
            return f"invalid varint at position {pos}"
        pos += n
        wire_type = tag & 7
        if wire_type == 0:
            _, n = _varint(data, pos)
            if n <= 0:
                return f"invalid varint value at position {pos}"
            pos += n
        elif wire_type in (1, 5):
            size = 8 if wire_type == 1 else 4
            if pos + size > len(data):
                return f"truncated {size * 8}-bit value at position {pos}"
            pos += size
        elif wire_type == 2:
            length, n = _varint(data, pos)
            if n <= 0:
                return f"invalid length at position {pos}"
            pos += n
            if pos + length > len(data):
                return f"truncated length-delimited value at position {pos}"
            pos += length
        elif wire_type not in (3, 4):
            return f"unknown wire type {wire_type} at position {pos}"
    return None


def _parse_object(raw: bytes, what: str) -> dict:
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{what}: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{what}: cannot unmarshal {_json_type(doc)} into an object")
    return doc


def validate(schema: Schema, message: bytes) -> list[str]:
    """The validation errors of ``message`` against ``schema`` (empty when valid)."""
    if schema.type == "json":
        try:
            definition = _parse_object(schema.definition, "invalid schema definition")
            data = _parse_object(message, "invalid JSON message")
        except ValueError as exc:
            return [str(exc)]
        return _check_object(definition, data)
    if not message:
        return ["empty message"]
    if schema.type == "protobuf":
        problem = _protobuf_error(message)
        return [f"invalid Protobuf wire format: {problem}"] if problem else []
    return []


class Registry:
    """Schemas by name and version. Errors are E2 :class:`OpError` with FlyMQ's texts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._schemas: dict[str, dict[int, Schema]] = {}
        self._next: dict[str, int] = {}

    def register(self, name: str, schema_type: str, definition: bytes) -> int:
        """Add a version; return its number."""
        kind = SCHEMA_TYPES.get(schema_type)
        if kind is None:
            raise _e2(f"unsupported schema type: {schema_type}")
        if kind == "json":
            try:
                new = _parse_object(definition, "invalid JSON schema")
            except ValueError as exc:
                raise _e2(f"invalid schema definition: {exc}") from None
        elif not definition:
            raise _e2("invalid schema definition: schema definition cannot be empty")
        with self._lock:
            versions = self._schemas.setdefault(name, {})
            if versions:
                previous = versions[max(versions)]
                if previous.type == "json" and kind == "json":
                    self._check_backward(previous, new)
            version = self._next.get(name, 1)
            versions[version] = Schema(name, version, kind, bytes(definition))
            self._next[name] = version + 1
            return version

    @staticmethod
    def _check_backward(previous: Schema, new: dict) -> None:
        try:
            old = _parse_object(previous.definition, "invalid JSON schema")
        except ValueError:
            return
        old_props = old.get("properties")
        old_props = old_props if isinstance(old_props, dict) else {}
        required = new.get("required")
        required = required if isinstance(required, list) else []
        for name in required:
            if isinstance(name, str) and name not in old_props:
                raise _e2(f"schema compatibility check failed: new required field '{name}' not in old schema")

    def get(self, name: str, version: int = 0) -> Schema:
        """A version, or the latest for version 0."""
        with self._lock:
            versions = self._schemas.get(name) or {}
            if version > 0:
                if version not in versions:
                    raise _e2(f"schema not found: {name} v{version}")
                return versions[version]
            if not versions:
                raise _e2(f"no schema found for topic: {name}")
            return versions[max(versions)]

    def latest(self, name: str) -> Schema | None:
        """The latest version, or None."""
        with self._lock:
            versions = self._schemas.get(name)
            return versions[max(versions)] if versions else None

    def list(self, name: str = "") -> list[Schema]:
        """Every version of ``name``, or of every schema when ``name`` is empty."""
        with self._lock:
            names = [name] if name else sorted(self._schemas)
            return [s for n in names for _, s in sorted((self._schemas.get(n) or {}).items())]

    def delete(self, name: str, version: int) -> None:
        """Remove one version."""
        with self._lock:
            versions = self._schemas.get(name) or {}
            if version not in versions:
                raise _e2(f"schema not found: {name} v{version}")
            del versions[version]
            if not versions:
                del self._schemas[name]
                self._next.pop(name, None)
