"""Export records to a JSONL file: pure, no Textual, no network.

Public API
----------
* :func:`record_to_dict` ``(record) -> dict``: ``topic``, ``partition``, ``offset``, ``key``, ``value``;
  key and value are UTF-8 text when they decode, else base64 with ``key_encoding`` / ``value_encoding``
  set to ``"base64"``. A missing key is ``null``.
* :func:`write_jsonl` ``(path, records, progress_cb=None, *, overwrite=False, progress_every=100) -> int``:
  one compact JSON object per line. Atomic: the records go to a temporary file in the same directory
  which is then moved into place, so a reader never sees half a file and a failed or cancelled export
  leaves nothing behind. An existing file is **never** replaced unless ``overwrite=True``
  (:class:`FileExistsError` otherwise, raised before anything is read). ``progress_cb(written)`` is
  called every ``progress_every`` records and once at the end; if it returns ``False`` the export stops
  with :class:`ExportCancelled`. Meant to run in a worker thread. The file is created readable by its
  owner only (mode 0600): message values may be sensitive.

A record is anything with ``topic``, ``partition``, ``offset``, ``key`` (bytes or None) and ``value``
(bytes) attributes, such as :class:`pyflymq.models.Message`.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

from pyflymq.models import Message

__all__ = ["ExportCancelled", "bytes_field", "record_to_dict", "write_jsonl"]


class ExportCancelled(Exception):
    """Raised by :func:`write_jsonl` when the progress callback asks to stop; nothing was written."""

    def __init__(self, written: int) -> None:
        super().__init__(f"export cancelled after {written} record(s); no file was written")
        self.written = written


def bytes_field(data: bytes | None) -> tuple[str | None, str | None]:
    """``(text, encoding)``: UTF-8 text and ``None`` when ``data`` decodes, else base64 and ``"base64"``."""
    if data is None:
        return None, None
    if isinstance(data, str):
        return data, None
    raw = bytes(data)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), "base64"


def record_to_dict(record: Message) -> dict[str, Any]:
    """A record as a JSON-ready dict (see the module docstring for the shape)."""
    key, key_encoding = bytes_field(record.key)
    value, value_encoding = bytes_field(record.value)
    out: dict[str, Any] = {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": key,
    }
    if key_encoding:
        out["key_encoding"] = key_encoding
    out["value"] = value
    if value_encoding:
        out["value_encoding"] = value_encoding
    return out


def _publish(tmp: str, path: str, overwrite: bool) -> None:
    """Move the finished temporary file to ``path``; without ``overwrite`` never replace a file."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic and fails if path exists, even if it appeared meanwhile
    except FileExistsError:
        raise
    except OSError:
        # no hard links on this filesystem: check, then rename (a tiny race remains)
        if os.path.lexists(path):
            raise FileExistsError(path) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def write_jsonl(path: str | os.PathLike[str], records: Iterable[Message],
                progress_cb: Callable[[int], object] | None = None, *,
                overwrite: bool = False, progress_every: int = 100) -> int:
    """Write ``records`` to ``path`` as JSON Lines, atomically; return how many were written.

    Raises :class:`FileExistsError` if ``path`` exists and ``overwrite`` is false,
    :class:`ExportCancelled` if ``progress_cb`` returns ``False``, and ``OSError`` on I/O failure; in every
    failure case the temporary file is removed and ``path`` is untouched.
    """
    target = os.path.abspath(os.fspath(path))
    if not overwrite and os.path.lexists(target):
        raise FileExistsError(f"{target} already exists; choose another name or allow overwriting")
    directory = os.path.dirname(target) or "."
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".part", dir=directory)
    written = 0
    every = max(1, progress_every)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            for record in records:
                out.write(json.dumps(record_to_dict(record), ensure_ascii=False, separators=(",", ":")))
                out.write("\n")
                written += 1
                if progress_cb is not None and written % every == 0 and progress_cb(written) is False:
                    raise ExportCancelled(written)
            out.flush()
            os.fsync(out.fileno())
        if progress_cb is not None and progress_cb(written) is False:
            raise ExportCancelled(written)
        _publish(tmp, target, overwrite)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return written
