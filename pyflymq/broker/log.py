"""Partition logs and topics, kept in memory as pre-encoded records.

Each record is stored once, already in the bytes a FETCH reply carries for it:
``u64 offset, u32 key_len, key, u32 value_len, value``. A FETCH is then a slice and a ``b"".join``, and a
CONSUME reply is the record without its first 8 bytes. Offsets start at 0 and grow by one; nothing is ever
truncated, so the low watermark is always 0. Callers hold the broker lock.
"""

from __future__ import annotations

import struct
import time
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate

from pyflymq.wire import MAX_PAYLOAD, SCAN_CAP

from .errors import OpError

_HEAD = struct.Struct(">QI")
_U32 = struct.Struct(">I")

FETCH_HEAD_SIZE = 12  # u32 record count, u64 next offset
ENTRY_OVERHEAD = 16  # u64 offset, u32 key length, u32 value length
# The records of one FETCH reply stop before this many bytes, so the reply frame never exceeds the 32 MiB
# every client enforces (FlyMQ has no byte limit and builds frames no client accepts).
FETCH_BYTE_CAP = MAX_PAYLOAD - FETCH_HEAD_SIZE
# Key + value bytes of the largest record one FETCH reply can carry: anything larger is refused at write time.
MAX_RECORD_DATA = FETCH_BYTE_CAP - ENTRY_OVERHEAD
# Seconds a filtered FETCH may spend matching before it returns what it has (FlyMQ has no such limit).
FILTER_BUDGET = 2.0


def encode_entry(offset: int, key: bytes, value: bytes) -> bytes:
    """One stored record: ``u64 offset, bytes32 key, bytes32 value`` (an empty key means none)."""
    return b"".join((_HEAD.pack(offset, len(key)), key, _U32.pack(len(value)), value))


def check_record_size(key: bytes, value: bytes) -> None:
    """OpError unless the record fits in one FETCH reply (a record that cannot be served is never stored)."""
    size = len(key) + len(value)
    if size > MAX_RECORD_DATA:
        raise OpError(f"record too large: key and value are {size} bytes, but a record must fit in one FETCH "
                      f"reply and frames are limited to {MAX_PAYLOAD} bytes, so key + value may be at most "
                      f"{MAX_RECORD_DATA} bytes")


def _unservable(offset: int, entry: bytes) -> OpError:
    return OpError(f"record at offset {offset} is {len(entry)} bytes, more than one FETCH reply can carry "
                   f"(frames are limited to {MAX_PAYLOAD} bytes)")


def split_entry(entry: bytes) -> tuple[bytes, bytes]:
    """``(key, value)`` of a stored record; the key is ``b""`` when the record has none."""
    (klen,) = _U32.unpack_from(entry, 8)
    return entry[12:12 + klen], entry[16 + klen:]


def fnv1a32(data: bytes) -> int:
    """FNV-1a 32-bit hash, FlyMQ's key-to-partition hash (flymq-wire §3.1)."""
    h = 0x811C9DC5
    if len(data) <= 32:
        # The low 32 bits of a product depend only on the low 32 bits of its factors, and XOR with a byte
        # touches only the low 8: masking once at the end gives the same hash, faster for short keys.
        for byte in data:
            h = (h ^ byte) * 0x01000193
        return h & 0xFFFFFFFF
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


_FNV_LANE_MASK = b"\xff\xff\xff\xff\x00\x00\x00\x00"  # one little-endian 64-bit lane: its low 32 bits
_FNV_LANE_BASIS = (0x811C9DC5).to_bytes(8, "little")


def fnv1a32_many(keys: list[bytes]) -> list[int]:
    """:func:`fnv1a32` of each of ``keys``, which must all have one length; the same values, several times
    faster for many keys.

    The hashes advance together, one byte position at a time, in one big integer of 64-bit lanes (a key's
    hash in the low 32 bits of its lane): the lane-wise XOR with that position's bytes, one multiplication by
    the FNV prime and a mask are each one C-level operation over all keys. A 32-bit state times the 25-bit
    prime stays below 2**57, so no carry reaches the next lane before the mask.
    """
    count = len(keys)
    if not count:
        return []
    length = len(keys[0])
    joined = b"".join(keys)
    if len(joined) != count * length:
        raise ValueError("fnv1a32_many needs keys of one length")
    lane_bytes = bytearray(8 * count)
    mask = int.from_bytes(_FNV_LANE_MASK * count, "little")
    state = int.from_bytes(_FNV_LANE_BASIS * count, "little")
    for position in range(length):
        lane_bytes[0::8] = joined[position::length]
        state = ((state ^ int.from_bytes(lane_bytes, "little")) * 0x01000193) & mask
    return list(struct.unpack(f"<{count}Q", state.to_bytes(8 * count, "little")))


class Partition:
    """One partition's records, in offset order."""

    __slots__ = ("entries",)

    def __init__(self) -> None:
        self.entries: list[bytes] = []

    def __len__(self) -> int:
        return len(self.entries)

    def append(self, key: bytes, value: bytes) -> tuple[int, bytes]:
        """Append a record; return its offset and its stored bytes."""
        offset = len(self.entries)
        entry = encode_entry(offset, key, value)
        self.entries.append(entry)
        return offset, entry

    @property
    def latest(self) -> int:
        """FlyMQ's ``highest + 1``, which is 1 on an empty partition (flymq-wire §3.3)."""
        return len(self.entries) or 1

    def get(self, offset: int) -> bytes | None:
        """The stored record at ``offset``, or None."""
        if 0 <= offset < len(self.entries):
            return self.entries[offset]
        return None

    def read(self, offset: int, max_messages: int) -> tuple[list[bytes], int]:
        """Unfiltered FETCH: up to ``max_messages`` records from ``offset`` (1000 at most) and the next offset.

        At the end of the log: nothing, and ``offset`` itself.
        """
        entries = self.entries
        stop = min(len(entries), offset + min(max_messages, SCAN_CAP))
        if offset >= stop:
            return [], offset
        chunk = entries[offset:stop]
        if sum(map(len, chunk)) > FETCH_BYTE_CAP:
            chunk = _trim(chunk)
            if not chunk:  # only a log written before records were size-checked can hold one
                raise _unservable(offset, entries[offset])
        return chunk, offset + len(chunk)

    def window(self, offset: int) -> list[bytes]:
        """The records a filtered FETCH may scan: at most :data:`SCAN_CAP` from ``offset``."""
        return self.entries[offset:offset + SCAN_CAP] if offset < len(self.entries) else []


def scan(window: list[bytes], offset: int, max_messages: int, matcher: Callable[[bytes, bytes], bool],
         budget: float = FILTER_BUDGET) -> tuple[list[bytes], int]:
    """Filtered FETCH over a :meth:`Partition.window`: matching records and one past the last scanned.

    Runs without the broker lock. Stops after ``max_messages`` matches, at the end of the window, or once
    ``budget`` seconds are spent (a hostile filter then returns early, with a next offset to go on from).
    A plain ASCII filter checks only the records :func:`_plain_candidates` finds (the same answer).
    """
    needle = getattr(matcher, "ascii_needle", None)
    if needle:
        candidates = _plain_candidates(window, needle)
        if candidates is not None:
            return _scan_candidates(window, candidates, offset, max_messages, matcher)
    found: list[bytes] = []
    size = 0
    deadline = time.monotonic() + budget
    scanned = 0
    for entry in window:
        key, value = split_entry(entry)
        if matcher(key, value):
            if size + len(entry) > FETCH_BYTE_CAP:
                if not found:
                    raise _unservable(offset + scanned, entry)
                break
            found.append(entry)
            size += len(entry)
            if len(found) >= max_messages:
                scanned += 1
                break
        scanned += 1
        if time.monotonic() > deadline:
            break
    return found, offset + scanned


# The only characters whose lower case holds ASCII letters: U+0130 (İ -> i + dot) and U+212A (Kelvin sign -> k),
# in UTF-8. The plain filter lower-cases non-ASCII records as text, so these can make an i or a k match.
_LOWERS_TO_ASCII = {b"i": b"\xc4\xb0", b"k": b"\xe2\x84\xaa"}
# Windows up to this many bytes are searched as one joined copy; bigger ones record by record.
FAST_SCAN_BYTES = 8 << 20


def _plain_candidates(window: list[bytes], needle: bytes) -> list[int] | None:
    """The indexes of the records of ``window`` that may contain the lower-case ASCII ``needle``, found in one
    lower-cased copy of the whole window (each one is then checked by the filter itself); None for a window
    too big to copy. Every record the plain filter matches is among them: the needle in its key or value
    lower-cased byte-wise, or one of the characters that lower-case to an ASCII letter of the needle."""
    ends = list(accumulate(map(len, window)))
    if not ends or ends[-1] > FAST_SCAN_BYTES:
        return None
    blob = b"".join(window)
    searches = [(blob.lower(), needle)]
    searches += [(blob, special) for letter, special in _LOWERS_TO_ASCII.items() if letter in needle]
    hits: set[int] = set()
    for haystack, pattern in searches:
        position = haystack.find(pattern)
        while position >= 0:
            index = bisect_right(ends, position)
            hits.add(index)
            position = haystack.find(pattern, ends[index])  # the next record on
    return sorted(hits)


def _scan_candidates(window: list[bytes], candidates: list[int], offset: int, max_messages: int,
                     matcher: Callable[[bytes, bytes], bool]) -> tuple[list[bytes], int]:
    """:func:`scan`'s answer when only ``candidates`` can match: the same records and the same next offset."""
    found: list[bytes] = []
    size = 0
    for index in candidates:
        entry = window[index]
        key, value = split_entry(entry)
        if not matcher(key, value):
            continue
        if size + len(entry) > FETCH_BYTE_CAP:
            if not found:
                raise _unservable(offset + index, entry)
            return found, offset + index
        found.append(entry)
        size += len(entry)
        if len(found) >= max_messages:
            return found, offset + index + 1
    return found, offset + len(window)


def _trim(chunk: list[bytes]) -> list[bytes]:
    """The longest prefix of ``chunk`` that fits in :data:`FETCH_BYTE_CAP` (possibly empty)."""
    size = 0
    for i, entry in enumerate(chunk):
        size += len(entry)
        if size > FETCH_BYTE_CAP:
            return chunk[:i]
    return chunk


class Topic:
    """A topic: its partitions and the round-robin counter shared by every keyless write path."""

    __slots__ = ("name", "partitions", "round_robin")

    def __init__(self, name: str, partition_count: int) -> None:
        self.name = name
        self.partitions = [Partition() for _ in range(partition_count)]
        self.round_robin = 0

    def choose_partition(self, key: bytes, key_hash: int | None = None) -> int:
        """FNV-1a of the key mod N for keyed writes with N > 1, else the next round-robin slot.

        ``key_hash`` is ``fnv1a32(key)`` when the caller already computed it (outside the broker lock).
        """
        count = len(self.partitions)
        if key and count > 1:
            return (fnv1a32(key) if key_hash is None else key_hash) % count
        if not key:
            slot = self.round_robin % count
            self.round_robin += 1
            return slot
        return 0
