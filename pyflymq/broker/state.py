"""The broker's data: topics, partitions and consumer groups, with FlyMQ's rules and quirks.

Every method takes the state lock, so the network thread and in-process callers (tests, the demo seeding
data) can use one :class:`BrokerState` at once. Protocol failures raise :class:`OpError` with the real
server's text (flymq-wire §1.6, §2, §3).
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from pyflymq.models import GroupInfo

from .errors import OpError
from .log import (
    MAX_RECORD_DATA,
    Partition,
    Topic,
    check_record_size,
    fnv1a32,
    fnv1a32_many,
    scan,
    split_entry,
)
from .storage import Storage

MAX_PARTITIONS = 10_000
_ENTRY_HEAD = struct.Struct(">QI").pack  # the stored record layout of log.encode_entry, inlined here
_U32_PACK = struct.Struct(">I").pack
_KEY_HASH_CACHE = 16_384  # entries; at most about 2 MB with keys of up to 64 bytes
CACHED_KEY_MAX = 64
_HASH_TOGETHER_FROM = 8  # keys worth hashing together rather than one by one
# While fewer than one looked-up key in _USEFUL_HIT_RATIO is found in the cache, the keys of only one call in
# _ADMIT_EVERY of remember_key_hashes are remembered: a stream of ever new keys would cost a dict insert per key
# for nothing, and the keys remembered meanwhile are enough to notice when keys start to repeat.
_USEFUL_HIT_RATIO = 16
_ADMIT_EVERY = 8


@dataclass
class Group:
    """A consumer group of one topic: committed offsets and member connections (``ip:port``)."""

    offsets: dict[int, int] = field(default_factory=dict)
    members: dict[str, None] = field(default_factory=dict)


class BrokerState:
    """Topics and consumer groups, optionally persisted through a :class:`Storage`."""

    def __init__(self, storage: Storage | None = None) -> None:
        self.lock = threading.RLock()
        self.topics: dict[str, Topic] = {}
        self.groups: dict[tuple[str, str], Group] = {}
        self.storage = storage
        self.key_hashes: dict[bytes, int] = {}  # fnv1a32 of recent short keys (see key_hash)
        self._key_lookups = 0  # keys looked up in key_hashes by the pipelined path in this window
        self._key_hits = 0  # how many of them were found
        self._hits_useful = True  # whether the last window found enough keys to remember every new one
        self._admit_turn = 0
        if storage is not None:
            self._load(storage)

    def _load(self, storage: Storage) -> None:
        for loaded in storage.load_topics():
            topic = Topic(loaded.name, max(1, len(loaded.partitions)))
            for partition, records in zip(topic.partitions, loaded.partitions, strict=False):
                for key, value in records:
                    partition.append(key, value)
            self.topics[loaded.name] = topic
        for loaded_group in storage.load_groups():
            self.groups[(loaded_group.topic, loaded_group.group)] = Group(dict(loaded_group.offsets))

    # ------------------------------------------------------------------------------------ topics

    def create_topic(self, name: str, partitions: int) -> Topic:
        """Create a topic; an existing topic is left unchanged. 0 partitions means 1."""
        if partitions < 0 or partitions > MAX_PARTITIONS:
            raise OpError(f"invalid partition count: {partitions}")
        with self.lock:
            topic = self.topics.get(name)
            if topic is None:
                topic = Topic(name, partitions or 1)
                self.topics[name] = topic
                if self.storage is not None:
                    self.storage.topic_created(name, len(topic.partitions))
            return topic

    def delete_topic(self, name: str) -> None:
        """Delete a topic and its records (idempotent); groups keep their offsets."""
        with self.lock:
            if self.topics.pop(name, None) is not None and self.storage is not None:
                self.storage.topic_deleted(name)

    def topic_names(self, hidden: bool = True) -> list[str]:
        """Topic names in byte order; ``hidden=False`` drops names starting with ``__`` (LIST_TOPICS)."""
        with self.lock:
            names = list(self.topics)
        if not hidden:
            names = [n for n in names if not n.startswith("__")]
        return sorted(names, key=lambda n: n.encode("utf-8", "surrogateescape"))

    def partition_count(self, name: str) -> int | None:
        """Partitions of a topic, or None if it does not exist."""
        with self.lock:
            topic = self.topics.get(name)
            return None if topic is None else len(topic.partitions)

    def _partition(self, name: str, partition: int, missing: str = "topic not found: {topic}",
                   out_of_range: str = "partition {p} not found") -> Partition:
        topic = self.topics.get(name)
        if topic is None:
            raise OpError(missing.format(topic=name))
        if not 0 <= partition < len(topic.partitions):
            raise OpError(out_of_range.format(p=partition))
        return topic.partitions[partition]

    # ------------------------------------------------------------------------------------ records

    def produce(self, name: str, key: bytes, value: bytes) -> tuple[int, int]:
        """Write a record, auto-creating the topic with 1 partition; return ``(partition, offset)``.

        OpError if the record could never be returned by a FETCH (:func:`~.log.check_record_size`).
        """
        key_len, value_len = len(key), len(value)
        if key_len + value_len > MAX_RECORD_DATA:
            check_record_size(key, value)
        topics = self.topics
        key_hash = None
        if key_len:
            known = topics.get(name)
            if known is not None and len(known.partitions) > 1:  # hashing a long key must not hold the lock
                key_hash = self.key_hashes.get(key)
                if key_hash is None:
                    key_hash = self.key_hash(key)
        with self.lock:
            topic = topics.get(name) or self.create_topic(name, 1)
            partitions = topic.partitions
            count = len(partitions)
            if not key_len:
                p = topic.choose_partition(key)
            elif count > 1:
                p = (self.key_hash(key) if key_hash is None else key_hash) % count
            else:
                p = 0
            entries = partitions[p].entries
            offset = len(entries)
            entries.append(b"".join((_ENTRY_HEAD(offset, key_len), key, _U32_PACK(value_len), value)))
            if self.storage is not None:
                self.storage.append(name, p, key, value)
            return p, offset

    def append(self, name: str, partition: int, key: bytes, value: bytes) -> int:
        """Write a record to a partition chosen by the caller (cluster mode decides placement itself);
        return its offset. OpError for a missing topic or partition, or a record too large to serve."""
        check_record_size(key, value)
        with self.lock:
            entries = self._partition(name, partition).entries
            offset = len(entries)
            entries.append(b"".join((_ENTRY_HEAD(offset, len(key)), key, _U32_PACK(len(value)), value)))
            if self.storage is not None:
                self.storage.append(name, partition, key, value)
            return offset

    def key_hash(self, key: bytes) -> int:
        """``fnv1a32(key)``, remembered for short keys: producers repeat their keys, and hashing in Python
        costs more than the rest of a write."""
        cached = self.key_hashes.get(key)
        if cached is None:
            cached = fnv1a32(key)
            if len(key) <= CACHED_KEY_MAX:
                if len(self.key_hashes) >= _KEY_HASH_CACHE:
                    self.key_hashes.clear()
                self.key_hashes[key] = cached
        return cached

    def count_key_lookups(self, looked_up: int, found: int) -> None:
        """Note that ``looked_up`` keys were looked up in :attr:`key_hashes` and ``found`` of them were there
        (the pipelined-produce path, once a run): over each window of as many lookups as the cache holds,
        this decides whether :meth:`remember_key_hashes` remembers every new key or a sample."""
        self._key_lookups += looked_up
        self._key_hits += found
        if self._key_lookups >= _KEY_HASH_CACHE:
            self._hits_useful = self._key_hits * _USEFUL_HIT_RATIO >= self._key_lookups
            self._key_lookups = self._key_hits = 0

    def remember_key_hashes(self, keys: list[bytes]) -> list[int]:
        """``fnv1a32`` of each of ``keys`` (all of one length, at most the cached length), remembered for
        :meth:`key_hash` (while remembered keys are seldom seen again, only one call's keys in a few: see
        :meth:`count_key_lookups`); many keys are hashed together. The pipelined-produce path calls it,
        outside the lock, for the new keys of a run."""
        if len(keys) < _HASH_TOGETHER_FROM:
            return [self.key_hash(key) for key in keys]
        if not self._hits_useful:
            self._admit_turn = (self._admit_turn + 1) % _ADMIT_EVERY
            if self._admit_turn:
                return fnv1a32_many(keys)
        cache = self.key_hashes
        if len(cache) + len(keys) > _KEY_HASH_CACHE:
            cache.clear()
        hashes = fnv1a32_many(keys)
        if len(keys) > _KEY_HASH_CACHE:  # more than the cache holds: the last ones
            cache.update(zip(keys[-_KEY_HASH_CACHE:], hashes[-_KEY_HASH_CACHE:], strict=True))
        else:
            cache.update(zip(keys, hashes, strict=True))
        return hashes

    def consume(self, name: str, partition: int, offset: int) -> bytes:
        """CONSUME: ``bytes32 key, bytes32 value`` of the record at ``offset``."""
        with self.lock:
            part = self._partition(name, partition, "topic not found", "partition {p} out of range")
            entry = part.get(offset)
        if entry is None:
            raise OpError("EOF")
        return entry[8:]

    def fetch(self, name: str, partition: int, offset: int, max_messages: int,
              matcher: Callable[[bytes, bytes], bool] | None = None) -> tuple[list[bytes], int]:
        """FETCH: encoded records and the next offset (flymq-wire §2.7). Filters run outside the lock."""
        with self.lock:
            part = self._partition(name, partition)
            if matcher is None:
                return part.read(offset, max_messages)
            window = part.window(offset)
        return scan(window, offset, max_messages, matcher)

    def head_records(self, name: str, partition: int, limit: int) -> list[tuple[bytes, bytes]] | None:
        """The first ``limit`` records of a partition as ``(key, value)``; None if the topic is missing."""
        with self.lock:
            topic = self.topics.get(name)
            if topic is None or not 0 <= partition < len(topic.partitions):
                return None
            entries = topic.partitions[partition].entries[:max(0, limit)]
        return [split_entry(e) for e in entries]

    def records(self, name: str, partition: int) -> list[tuple[int, bytes | None, bytes]]:
        """Every record of a partition as ``(offset, key or None, value)``."""
        with self.lock:
            entries = list(self._partition(name, partition).entries)
        out = []
        for offset, entry in enumerate(entries):
            key, value = split_entry(entry)
            out.append((offset, key or None, value))
        return out

    def high_watermark(self, name: str, partition: int) -> int:
        """The true exclusive high watermark (record count; 0 when empty, unlike FlyMQ's ``latest``)."""
        with self.lock:
            return len(self._partition(name, partition))

    def _latest(self, name: str, partition: int) -> int:
        return self._partition(name, partition).latest

    # ------------------------------------------------------------------------------------ groups

    def _group(self, topic: str, group: str, create: bool = False) -> Group:
        found = self.groups.get((topic, group))
        if found is None:
            if not create:
                raise OpError(f"consumer group not found: {topic}:{group}")
            found = self.groups[(topic, group)] = Group()
        return found

    def _store(self, topic: str, group: str, partition: int, offset: int) -> None:
        entry = self._group(topic, group, create=True)
        changed = entry.offsets.get(partition) != offset
        entry.offsets[partition] = offset
        if changed and self.storage is not None:
            self.storage.offsets_changed(topic, group, entry.offsets)

    def join(self, member: str, topic: str, group: str) -> None:
        """Register a connection as a member of (topic, group), creating the group."""
        with self.lock:
            self._group(topic, group, create=True).members[member] = None

    def leave(self, member: str, topic: str, group: str) -> None:
        """Remove a connection from (topic, group), if both still exist."""
        with self.lock:
            found = self.groups.get((topic, group))
            if found is not None:
                found.members.pop(member, None)

    def commit(self, topic: str, group: str, partition: int, offset: int) -> None:
        """COMMIT: store the offset verbatim, no checks, creating the group."""
        with self.lock:
            self._store(topic, group, partition, offset)

    def committed(self, topic: str, group: str, partition: int) -> int | None:
        """The committed offset, or None when there is none."""
        with self.lock:
            found = self.groups.get((topic, group))
            return None if found is None else found.offsets.get(partition)

    def subscribe_position(self, topic: str, group: str, partition: int, mode: str) -> int:
        """SUBSCRIBE: where to start for ``earliest``, ``latest`` (or empty) and ``commit``."""
        with self.lock:
            part = self._partition(topic, partition)
            if mode == "earliest":
                return 0
            if mode in ("latest", ""):
                return part.latest
            if mode == "commit":
                found = self.groups.get((topic, group))
                if found is not None and partition in found.offsets:
                    return found.offsets[partition]
                return 0
        raise OpError(f"unknown subscribe mode: {mode}")

    def get_offset(self, topic: str, group: str, partition: int) -> int:
        """GET_OFFSET: the committed offset, 0 when the group exists but the partition was never committed."""
        with self.lock:
            return self._group(topic, group).offsets.get(partition, 0)

    def reset_offset(self, topic: str, group: str, partition: int, mode: str, offset: int | None) -> None:
        """RESET_OFFSET: ``earliest``, ``latest`` (checked against the topic) or ``offset`` (unchecked)."""
        with self.lock:
            if mode == "earliest":
                self._partition(topic, partition)
                value = 0
            elif mode == "latest":
                value = self._latest(topic, partition)
            elif mode == "offset":
                value = offset or 0
            else:
                raise OpError(f"unknown reset mode: {mode}")
            self._store(topic, group, partition, value)

    def _info(self, topic: str, group: str, entry: Group) -> GroupInfo:
        return GroupInfo(topic, group, len(entry.members), dict(sorted(entry.offsets.items())))

    def list_groups(self) -> list[GroupInfo]:
        """Every (topic, group) known, in name order."""
        with self.lock:
            return [self._info(t, g, e) for (t, g), e in sorted(self.groups.items(), key=lambda kv: kv[0])]

    def describe_group(self, topic: str, group: str) -> GroupInfo:
        """One group's member count and offsets."""
        with self.lock:
            return self._info(topic, group, self._group(topic, group))

    def get_lag(self, topic: str, group: str, partition: int) -> tuple[int, int, int]:
        """GET_LAG: ``(committed, latest, lag)``; group, then topic, then partition are checked."""
        with self.lock:
            entry = self._group(topic, group)
            latest = self._latest(topic, partition)
            committed = entry.offsets.get(partition, 0)
        return committed, latest, max(0, latest - committed)

    def delete_group(self, topic: str, group: str) -> None:
        """DELETE_GROUP: drop offsets, members and the offset file."""
        with self.lock:
            self._group(topic, group)
            del self.groups[(topic, group)]
            if self.storage is not None:
                self.storage.group_deleted(topic, group)

    def group_members(self, topic: str, group: str) -> list[str]:
        """Member connections (``ip:port``) of a group; empty when the group is unknown."""
        with self.lock:
            found = self.groups.get((topic, group))
            return [] if found is None else list(found.members)
