"""The commit journal: the offsets each commit replaced, saved before it runs, so it can be undone.

One JSON object per line, append-only, in ``$XDG_STATE_HOME/flytui/commits.jsonl`` (default
``~/.local/state/flytui/``). Each line is one partition change of one commit::

    {"commit": "20260103T104203.512-3f2a", "time": "2026-01-03T10:42:03.512Z", "server": "prod:9092",
     "topic": "orders", "group": "billing", "partition": 0, "old": 32725, "new": 32730, "kind": "commit"}

``old`` is ``null`` when the group had no committed offset there. ``kind`` is ``commit``, ``undo`` or
``file`` (a plan from a file of offsets). The lines of one commit share ``commit``.

Public API: :func:`journal_path`, :class:`JournalEntry`, :func:`append_commit` (before executing a plan),
:func:`last_commit` (the newest commit on a server, for undo). No Textual and no network here.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["JournalEntry", "JournalError", "append_commit", "journal_path", "last_commit"]

JOURNAL_NAME = "commits.jsonl"
TAIL_BYTES = 1 << 20
""":func:`last_commit` reads at most this much of the end of the journal (it only grows)."""


class JournalError(Exception):
    """The journal could not be written: the commit must not run (it could not be undone)."""


def journal_path() -> Path:
    """``$XDG_STATE_HOME/flytui/commits.jsonl``, with ``~/.local/state`` when the variable is unset."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "flytui" / JOURNAL_NAME


@dataclass(frozen=True)
class JournalEntry:
    """One partition change of one commit."""

    commit: str
    time: str
    server: str
    topic: str
    group: str
    partition: int
    old: int | None
    new: int
    kind: str = "commit"

    def to_json(self) -> str:
        """The journal line (without the newline)."""
        return json.dumps({"commit": self.commit, "time": self.time, "server": self.server, "topic": self.topic,
                           "group": self.group, "partition": self.partition, "old": self.old, "new": self.new,
                           "kind": self.kind}, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> JournalEntry | None:
        """Parse a journal line; ``None`` for a line that is not a journal entry (never raises)."""
        try:
            doc = json.loads(line)
            old = doc["old"]
            entry = cls(str(doc["commit"]), str(doc["time"]), str(doc["server"]), str(doc["topic"]),
                        str(doc["group"]), int(doc["partition"]), None if old is None else int(old),
                        int(doc["new"]), str(doc.get("kind", "commit")))
        except (ValueError, KeyError, TypeError):
            return None
        return entry


def _now_text(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def append_commit(server: str, topic: str, group: str, changes: Mapping[int, tuple[int | None, int]], *,
                  kind: str = "commit", path: Path | None = None, now: float | None = None) -> list[JournalEntry]:
    """Append one line per ``{partition: (old, new)}`` and flush it to disk; returns the entries.

    Raises :class:`JournalError` when the file cannot be written (the caller then does not commit).
    """
    path = path or journal_path()
    now = time.time() if now is None else now
    commit_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}-" + \
        uuid.uuid4().hex[:6]
    stamp = _now_text(now)
    entries = [JournalEntry(commit_id, stamp, server, topic, group, partition, old, new, kind)
               for partition, (old, new) in sorted(changes.items())]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as out:
            out.write("".join(entry.to_json() + "\n" for entry in entries))
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        raise JournalError(f"could not save the undo journal {path}: {exc.strerror or exc}") from exc
    return entries


def last_commit(server: str, *, path: Path | None = None) -> list[JournalEntry]:
    """The entries of the newest commit journaled for ``server`` ([] when there is none)."""
    path = path or journal_path()
    try:
        with open(path, "rb") as source:
            source.seek(0, os.SEEK_END)
            size = source.tell()
            source.seek(max(0, size - TAIL_BYTES))
            data = source.read()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise JournalError(f"could not read the undo journal {path}: {exc.strerror or exc}") from exc
    lines = data.decode("utf-8", "replace").splitlines()
    if size > TAIL_BYTES and lines:
        lines = lines[1:]  # the first line read may be cut
    newest: list[JournalEntry] = []
    for line in reversed(lines):
        entry = JournalEntry.from_json(line)
        if entry is None or entry.server != server:
            continue
        if newest and entry.commit != newest[0].commit:
            break
        newest.insert(0, entry)
    return newest
