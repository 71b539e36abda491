"""Building response frames, and Go's duration text for the delayed-delivery error."""

from __future__ import annotations

import struct
import time

from pyflymq import wire
from pyflymq.wire import Op

_HEADER = struct.Struct(">BBBBI")
_META_TAIL = struct.Struct(">iQqii")
_META_PACK = _META_TAIL.pack
_time_ns = time.time_ns


def frame(op: int, payload: bytes, flags: int = wire.FLAG_BINARY) -> bytes:
    """A response frame. Unlike ``wire.encode_frame`` it does not refuse payloads over 32 MiB: the real
    server sends whatever it built."""
    return _HEADER.pack(wire.MAGIC, wire.VERSION, op, flags, len(payload)) + payload


def error_frame(text: str, shape: str = "E1") -> bytes:
    """An error frame (0xFF) in shape E1, E2 or E3."""
    raw = text.encode("utf-8", "surrogateescape")
    if shape == "E3":
        raw = raw[:0xFFFF]
        return frame(Op.ERROR, struct.pack(">iH", 1, len(raw)) + raw)
    return frame(Op.ERROR, raw, 0x00 if shape == "E1" else wire.FLAG_BINARY)


def go_duration(nanos: int) -> str:
    """Go's ``time.Duration.String()``: ``1h30m0s``, ``1.5s``, ``250ms``, ``0s``."""
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    n = abs(nanos)
    if n < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if n >= size:
                whole, frac = divmod(n, size)
                digits = len(str(size)) - 1
                text = f"{whole}.{frac:0{digits}d}".rstrip("0").rstrip(".") if frac else str(whole)
                return f"{sign}{text}{unit}"
    seconds, frac = divmod(n, 1_000_000_000)
    sec_text = f"{seconds % 60}.{frac:09d}".rstrip("0").rstrip(".") if frac else str(seconds % 60)
    hours, minutes = seconds // 3600, (seconds // 60) % 60
    if hours:
        return f"{sign}{hours}h{minutes}m{sec_text}s"
    if minutes:
        return f"{sign}{minutes}m{sec_text}s"
    return f"{sign}{sec_text}s"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def record_metadata(op: int, topic: str, partition: int, offset: int, key_size: int, value_size: int) -> bytes:
    """A PRODUCE-family reply frame."""
    raw = _raw(topic)
    payload = struct.pack(">H", len(raw)) + raw + _META_TAIL.pack(partition, offset, _now_ms(), key_size, value_size)
    return frame(op, payload)


class ProduceReplies:
    """PRODUCE-family reply frames built from a per-topic prefix (header, topic) and one packed tail: the
    frame length depends only on the topic, so everything but the tail is computed once per topic."""

    def __init__(self, op: int, cache_size: int = 4096) -> None:
        self._op = op
        self._cache_size = cache_size
        self._prefixes: dict[bytes, bytes] = {}

    def reply(self, topic_raw: bytes, partition: int, offset: int, key_size: int, value_size: int) -> bytes:
        """The reply frame for a record written to ``topic_raw`` (the topic's bytes as the request had them)."""
        prefix = self._prefixes.get(topic_raw)
        if prefix is None:
            if len(self._prefixes) >= self._cache_size:
                self._prefixes.clear()
            size = 2 + len(topic_raw) + _META_TAIL.size
            prefix = self._prefixes[topic_raw] = (_HEADER.pack(wire.MAGIC, wire.VERSION, self._op, wire.FLAG_BINARY, size)
                                                  + struct.pack(">H", len(topic_raw)) + topic_raw)
        return prefix + _META_PACK(partition, offset, _time_ns() // 1_000_000, key_size, value_size)
