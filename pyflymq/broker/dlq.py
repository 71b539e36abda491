"""Reading FlyMQ dead-letter records: the JSON values of ``<topic>.dlq`` (flymq-wire §3.7).

The server decodes them with Go's ``encoding/json`` into a struct, so: unknown fields are ignored, missing
fields or ``null`` become zero values, field names match case-insensitively, and a field of the wrong type
(or a ``payload`` that is not standard base64) makes the whole record unreadable, in which case FETCH_DLQ
and REPLAY_DLQ skip it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import NamedTuple

DLQ_SUFFIX = ".dlq"
REPLAY_SCAN = 1000

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_INT64 = (-(1 << 63), (1 << 63) - 1)

_STRING_FIELDS = ("id", "original_topic", "reason", "error_message")
_INT_FIELDS = ("original_offset", "retry_count")
_TIME_FIELDS = ("first_failed_at", "last_failed_at")


class DLQRecord(NamedTuple):
    """The fields of a dead-letter record the broker uses."""

    id: str
    original_topic: str
    payload: bytes
    error: str
    retries: int


def _fields(doc: dict) -> dict:
    """Go's field matching: an exact name wins, otherwise the first case-insensitive match."""
    known = (*_STRING_FIELDS, *_INT_FIELDS, *_TIME_FIELDS, "payload", "headers")
    out = {}
    for name in known:
        if name in doc:
            out[name] = doc[name]
            continue
        for key, value in doc.items():
            if isinstance(key, str) and key.lower() == name:
                out[name] = value
                break
    return out


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and _INT64[0] <= value <= _INT64[1]


def parse_dlq_record(raw: bytes) -> DLQRecord | None:
    """Decode one DLQ record value, or None if FlyMQ could not read it either."""
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict):
        return None
    f = _fields(doc)
    for name in _STRING_FIELDS:
        if f.get(name) is not None and not isinstance(f[name], str):
            return None
    for name in _INT_FIELDS:
        if f.get(name) is not None and not _is_int(f[name]):
            return None
    for name in _TIME_FIELDS:
        value = f.get(name)
        if value is not None and not (isinstance(value, str) and _RFC3339.match(value)):
            return None
    headers = f.get("headers")
    if headers is not None and not (isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values())):
        return None
    payload = f.get("payload")
    if payload is None:
        data = b""
    elif isinstance(payload, str):
        try:
            data = base64.b64decode(payload.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            return None
    else:
        return None
    retries = f.get("retry_count") or 0
    # Go converts the int to the wire's i32 by truncation.
    retries = ((retries + (1 << 31)) % (1 << 32)) - (1 << 31)
    return DLQRecord(f.get("id") or "", f.get("original_topic") or "", data, f.get("error_message") or "", retries)
