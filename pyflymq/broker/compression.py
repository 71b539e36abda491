"""Gunzip of request payloads sent with flag 0x02 (flymq-wire §1.2), bounded and with Go's error texts.

The output is capped at 32 MiB, the protocol's own payload limit, so a gzip bomb costs at most that much
memory. Concatenated gzip members are read one after the other, as Go's reader does.
"""

from __future__ import annotations

import zlib

from pyflymq.wire import MAX_PAYLOAD

_GZIP_MAGIC = b"\x1f\x8b\x08"


class GzipError(ValueError):
    """The payload is not valid gzip (the text is what FlyMQ's Go reader would say)."""


def gunzip(data: bytes, limit: int = MAX_PAYLOAD) -> bytes:
    """Decompress every gzip member of ``data``; GzipError if invalid or larger than ``limit`` bytes."""
    out: list[bytes] = []
    total = 0
    rest = data
    first = True
    while first or rest:
        first = False
        if not rest:
            raise GzipError("EOF")
        if len(rest) < 10:
            raise GzipError("unexpected EOF")
        if not rest.startswith(_GZIP_MAGIC):
            raise GzipError("gzip: invalid header")
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = rest
        try:
            while True:
                chunk = inflater.decompress(pending, limit + 1 - total)
                total += len(chunk)
                if total > limit:
                    raise GzipError(f"gzip: decompressed payload exceeds {limit} bytes")
                out.append(chunk)
                pending = inflater.unconsumed_tail
                if inflater.eof or not pending:
                    break
        except zlib.error as exc:
            text = str(exc)
            if "incorrect data check" in text or "incorrect length check" in text:
                raise GzipError("gzip: invalid checksum") from None
            consumed = len(rest) - len(inflater.unconsumed_tail)
            raise GzipError(f"flate: corrupt input before offset {consumed}") from None
        if not inflater.eof:
            raise GzipError("unexpected EOF")
        rest = inflater.unused_data
    return b"".join(out)
