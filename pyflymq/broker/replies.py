"""Building response frames, and Go's duration text for the delayed-delivery error."""

from __future__ import annotations

import time

from pyflymq import wire

_frame_header = wire.frame_header
_prefix = wire.record_metadata_frame_prefix
_pack_tail = wire.pack_record_metadata_tail
_time_ns = time.time_ns


def frame(op: int, payload: bytes, flags: int = wire.FLAG_BINARY) -> bytes:
    """A response frame. Unlike ``wire.encode_frame`` it does not refuse payloads over 32 MiB: the real
    server sends whatever it built."""
    return _frame_header(op, len(payload), flags) + payload


def error_frame(text: str, shape: str = "E1") -> bytes:
    """An error frame (0xFF) in shape E1, E2 or E3 (an E3 text is cut to its u16 length)."""
    return wire.encode_error(text, shape)


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


def record_metadata(op: int, topic: str, partition: int, offset: int, key_size: int, value_size: int) -> bytes:
    """A PRODUCE-family reply frame, stamped now."""
    return _prefix(op, topic) + _pack_tail(partition, offset, _time_ns() // 1_000_000, key_size, value_size)


class ProduceReplies:
    """PRODUCE-family reply frames built from a per-topic prefix (header, topic) and one packed tail: the
    frame length depends only on the topic, so everything but the tail is computed once per topic."""

    def __init__(self, op: int, cache_size: int = 4096) -> None:
        self._op = op
        self._cache_size = cache_size
        self._prefixes: dict[bytes, bytes] = {}

    def reply(self, topic_raw: bytes, partition: int, offset: int, key_size: int, value_size: int) -> bytes:
        """The reply frame for a record written to ``topic_raw`` (the topic's bytes as the request had them)."""
        prefix = self._prefixes.get(topic_raw) or self.prefix(topic_raw)
        return prefix + _pack_tail(partition, offset, _time_ns() // 1_000_000, key_size, value_size)

    def prefix(self, topic_raw: bytes) -> bytes:
        """The reply frame's bytes before its tail for ``topic_raw``: header and topic."""
        prefix = self._prefixes.get(topic_raw)
        if prefix is None:
            if len(self._prefixes) >= self._cache_size:
                self._prefixes.clear()
            prefix = self._prefixes[topic_raw] = _prefix(self._op, topic_raw)
        return prefix
