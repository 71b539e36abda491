"""Optional persistence under a data directory: topics with their records, and committed offsets.

Layout (names are made safe for any topic or group name, however hostile)::

    <data>/topics/g<gen>-<safe-name>-<hash>/topic.json  {"name": ..., "partitions": N}
    <data>/topics/g<gen>-<safe-name>-<hash>/<p>.log     records as [u32 keylen][key][u32 vallen][value]
    <data>/__consumer_offsets/<safe-name>-<hash>.json   {"topic": ..., "group": ..., "offsets": {"0": 5}}

Crash consistency (a killed process, not a power loss: nothing is fsynced):

* Logs are append-only and flushed per record before the broker answers; a torn last record (a crash
  mid-write) is cut off on load. Offset files are replaced atomically.
* Every topic incarnation gets a directory of its own, numbered by a generation that only grows, so a topic
  created again after a delete never sees the old logs. The directory is built under ``.creating-<gen>``
  and renamed into place once its ``topic.json`` is written: a topic exists on disk whole or not at all.
* A delete renames the directory to ``.deleted-<gen>`` (atomic), then removes it. At start-up, leftover
  ``.creating-``/``.deleted-`` directories, directories without a readable ``topic.json`` and stray
  ``.tmp`` files are removed; if two directories claim one topic, the newest generation wins.

Group members and round-robin counters are not persisted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import BinaryIO

_U32 = struct.Struct(">I")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_OPEN_FILES = 64
_GENERATION = re.compile(r"^(?:g|\.creating-|\.deleted-)(\d+)")
_CREATING, _DELETED = ".creating-", ".deleted-"


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _safe_name(*parts: str) -> str:
    joined = b"\x00".join(_raw(p) for p in parts)
    readable = _UNSAFE.sub("_", "_".join(parts))[:48]
    return f"{readable}-{hashlib.sha256(joined).hexdigest()[:20]}"


def _generation(entry: str) -> int:
    """The generation of a topic directory; 0 for the layout without one."""
    found = _GENERATION.match(entry)
    return int(found.group(1)) if found else 0


def _remove_tree(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _write_json(path: str, doc: dict) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="ascii") as fh:
        json.dump(doc, fh)
    os.replace(tmp, path)


def parse_records(data: bytes) -> tuple[list[tuple[bytes, bytes]], int]:
    """Records of a log file and the length of its intact prefix."""
    records = []
    pos = 0
    end = len(data)
    while pos + 4 <= end:
        (klen,) = _U32.unpack_from(data, pos)
        vpos = pos + 4 + klen
        if vpos + 4 > end:
            break
        (vlen,) = _U32.unpack_from(data, vpos)
        stop = vpos + 4 + vlen
        if stop > end:
            break
        records.append((data[pos + 4:vpos], data[vpos + 4:stop]))
        pos = stop
    return records, pos


@dataclass
class LoadedTopic:
    """A topic read back from disk."""

    name: str
    partitions: list[list[tuple[bytes, bytes]]] = field(default_factory=list)


@dataclass
class LoadedGroup:
    """Committed offsets of one (topic, group) read back from disk."""

    topic: str
    group: str
    offsets: dict[int, int]


class Storage:
    """Writes broker state under ``root`` as it changes, and reads it back at start-up."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self._topics_dir = os.path.join(self.root, "topics")
        self._offsets_dir = os.path.join(self.root, "__consumer_offsets")
        os.makedirs(self._topics_dir, exist_ok=True)
        os.makedirs(self._offsets_dir, exist_ok=True)
        self._files: OrderedDict[tuple[str, int], BinaryIO] = OrderedDict()
        self._dirs: dict[str, str] = {}  # topic name -> its directory (the current incarnation)
        self._next_generation = 1

    # ------------------------------------------------------------------------------------ loading

    def load_topics(self) -> list[LoadedTopic]:
        """Every topic on disk with its records, after removing what a crash left half done."""
        claims: dict[str, tuple[int, str, int]] = {}  # name -> (generation, directory, partitions)
        for entry in sorted(os.listdir(self._topics_dir)):
            directory = os.path.join(self._topics_dir, entry)
            generation = _generation(entry)
            self._next_generation = max(self._next_generation, generation + 1)
            if entry.startswith("."):
                _remove_tree(directory)  # an interrupted create or delete
                continue
            try:
                with open(os.path.join(directory, "topic.json"), encoding="ascii") as fh:
                    meta = json.load(fh)
                name, count = meta["name"], int(meta["partitions"])
                if not isinstance(name, str) or count < 1:
                    raise ValueError(entry)
            except (OSError, ValueError, KeyError, TypeError):
                _remove_tree(directory)  # logs without a topic: never to be read again
                continue
            previous = claims.get(name)
            if previous is not None:
                older, newer = sorted((previous, (generation, directory, count)))
                _remove_tree(older[1])
                claims[name] = newer
            else:
                claims[name] = (generation, directory, count)
        topics = []
        for name, (_generation_number, directory, count) in sorted(claims.items()):
            self._dirs[name] = directory
            topic = LoadedTopic(name)
            for p in range(count):
                topic.partitions.append(self._load_log(os.path.join(directory, f"{p}.log")))
            topics.append(topic)
        return topics

    @staticmethod
    def _load_log(path: str) -> list[tuple[bytes, bytes]]:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            return []
        records, intact = parse_records(data)
        if intact != len(data):
            with open(path, "r+b") as fh:
                fh.truncate(intact)
        return records

    def load_groups(self) -> list[LoadedGroup]:
        """Every group's committed offsets on disk."""
        groups = []
        for entry in sorted(os.listdir(self._offsets_dir)):
            if entry.endswith(".tmp"):  # a replace that never happened
                try:
                    os.remove(os.path.join(self._offsets_dir, entry))
                except OSError:
                    pass
                continue
            if not entry.endswith(".json"):
                continue
            try:
                with open(os.path.join(self._offsets_dir, entry), encoding="ascii") as fh:
                    doc = json.load(fh)
                offsets = {int(p): int(o) for p, o in doc["offsets"].items()}
                groups.append(LoadedGroup(doc["topic"], doc["group"], offsets))
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                continue
        return groups

    # ------------------------------------------------------------------------------------ writing

    def _take_generation(self) -> int:
        generation = self._next_generation
        self._next_generation += 1
        return generation

    def topic_created(self, name: str, partitions: int) -> None:
        """Record a new topic in a directory no earlier topic used; it appears on disk whole or not at all."""
        if name in self._dirs:
            self.topic_deleted(name)
        generation = self._take_generation()
        building = os.path.join(self._topics_dir, f"{_CREATING}{generation}")
        _remove_tree(building)
        os.mkdir(building)
        _write_json(os.path.join(building, "topic.json"), {"name": name, "partitions": partitions})
        directory = os.path.join(self._topics_dir, f"g{generation}-{_safe_name(name)}")
        os.rename(building, directory)
        self._dirs[name] = directory

    def topic_deleted(self, name: str) -> None:
        """Remove a topic and its logs: one atomic rename takes it out of sight, then the files go."""
        for key in [k for k in self._files if k[0] == name]:
            self._files.pop(key).close()
        directory = self._dirs.pop(name, None)
        if directory is None:
            return
        tombstone = os.path.join(self._topics_dir, f"{_DELETED}{self._take_generation()}")
        try:
            os.rename(directory, tombstone)
        except FileNotFoundError:
            return
        _remove_tree(tombstone)

    def append(self, topic: str, partition: int, key: bytes, value: bytes) -> None:
        """Append one record to a partition's log."""
        fh = self._files.get((topic, partition))
        if fh is None:
            fh = open(os.path.join(self._dirs[topic], f"{partition}.log"), "ab")
            self._files[(topic, partition)] = fh
            if len(self._files) > _OPEN_FILES:
                self._files.popitem(last=False)[1].close()
        else:
            self._files.move_to_end((topic, partition))
        fh.write(b"".join((_U32.pack(len(key)), key, _U32.pack(len(value)), value)))
        fh.flush()

    def _offsets_path(self, topic: str, group: str) -> str:
        return os.path.join(self._offsets_dir, _safe_name(topic, group) + ".json")

    def offsets_changed(self, topic: str, group: str, offsets: dict[int, int]) -> None:
        """Write a group's committed offsets."""
        doc = {"topic": topic, "group": group, "offsets": {str(p): o for p, o in offsets.items()}}
        _write_json(self._offsets_path(topic, group), doc)

    def group_deleted(self, topic: str, group: str) -> None:
        """Remove a group's offset file."""
        try:
            os.remove(self._offsets_path(topic, group))
        except FileNotFoundError:
            pass

    def close(self) -> None:
        """Close every open log file."""
        while self._files:
            self._files.popitem()[1].close()
