"""Whole-topic search: scan many partitions of a topic in parallel for the records matching a query.

No Textual and no app in here: :func:`run_search` takes a way to open a reader (a pyflymq client, one per
thread, so a slow partition never queues behind another), the partition ranges to scan, and the query's two
halves: the text the server filters on (FETCH's filter, flymq-wire §2.7) and the predicate evaluated here.
When the server filter is set only its matches cross the wire, and the predicate still checks them (the
server's rules are looser: any of substring, regex or ``$.path`` exists). Without it every record is fetched
and the predicate decides.

Progress is one :class:`SearchTally` shared by the threads. Memory is bounded: at most ``limit`` matches are
kept (each with a short preview of key and value, never the whole value); the matches after that are only
counted. Matches are kept in the order found and sorted by partition and offset when the search ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pyflymq.models import Message as Record

FETCH_MAX = 1000
"""FlyMQ scans at most 1000 records per FETCH (flymq-wire §2.7)."""
RESULT_LIMIT = 1000
"""Matches kept by default; later ones are counted, not kept."""
PREVIEW_BYTES = 240
"""Bytes of a match's key and value kept for the results list."""
DEFAULT_WORKERS = 4
"""Partitions scanned at the same time (each on its own connection)."""


class Reader(Protocol):
    """What the scan needs of a pyflymq client."""

    def fetch(self, topic: str, partition: int = 0, offset: int = 0, max_messages: int = 100,
              filter: str | None = None) -> Any:
        """FETCH: records from ``offset`` and ``next_offset``."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


@dataclass(frozen=True)
class PartitionRange:
    """Scan ``partition`` from ``start`` up to (not including) ``end``."""

    partition: int
    start: int
    end: int

    @property
    def size(self) -> int:
        """Records in the range."""
        return max(0, self.end - self.start)


@dataclass(frozen=True)
class SearchMatch:
    """One match, as the results list shows it: where it is, and the start of its key and value."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes
    value_size: int

    @classmethod
    def of(cls, record: Record) -> SearchMatch:
        """Keep the position and a preview of ``record`` (not its whole value)."""
        key = record.key[:PREVIEW_BYTES] if record.key is not None else None
        return cls(record.partition, record.offset, key, record.value[:PREVIEW_BYTES], len(record.value))


@dataclass
class SearchTally:
    """What a running search has done so far; shared by the scanning threads (all changes under ``lock``)."""

    total: int = 0
    """Records in every range at the start."""
    partitions_total: int = 0
    limit: int = RESULT_LIMIT
    scanned: int = 0
    partitions_done: int = 0
    match_count: int = 0
    matches: list[SearchMatch] = field(default_factory=list)
    started_at: float = field(default_factory=time.monotonic)
    first_match_after: float | None = None
    """Seconds from the start to the first match (None until one is found)."""
    finished_after: float | None = None
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def capped(self) -> bool:
        """True when more matches were found than are kept."""
        return self.match_count > len(self.matches)

    def add(self, scanned: int, found: Iterable[Record]) -> None:
        """Count ``scanned`` records and the matches ``found`` among them (kept while under the limit)."""
        with self.lock:
            self.scanned += scanned
            for record in found:
                self.match_count += 1
                if self.first_match_after is None:
                    self.first_match_after = time.monotonic() - self.started_at
                if len(self.matches) < self.limit:
                    self.matches.append(SearchMatch.of(record))

    def partition_done(self, error: str = "") -> None:
        """One partition finished (or failed with ``error``)."""
        with self.lock:
            self.partitions_done += 1
            if error:
                self.errors.append(error)

    def snapshot(self) -> SearchSnapshot:
        """A consistent copy for the UI: counts, rate, and the matches kept so far."""
        with self.lock:
            now = time.monotonic()
            elapsed = (self.finished_after if self.finished_after is not None else now - self.started_at)
            return SearchSnapshot(self.scanned, self.total, self.partitions_done, self.partitions_total,
                                  self.match_count, tuple(self.matches), elapsed, self.first_match_after,
                                  self.finished_after is not None, tuple(self.errors))


@dataclass(frozen=True)
class SearchSnapshot:
    """A search's state at one moment (immutable; safe to hand to the UI thread)."""

    scanned: int
    total: int
    partitions_done: int
    partitions_total: int
    match_count: int
    matches: tuple[SearchMatch, ...]
    elapsed: float
    first_match_after: float | None
    finished: bool
    errors: tuple[str, ...] = ()

    @property
    def rate(self) -> float:
        """Records scanned per second so far."""
        return self.scanned / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def capped(self) -> bool:
        """True when more matches were found than are kept."""
        return self.match_count > len(self.matches)


def scan_partition(reader: Reader, topic: str, part: PartitionRange, tally: SearchTally, *,
                   server_filter: str | None, matches: Callable[[Record], bool] | None,
                   stop: threading.Event) -> None:
    """Scan one partition range, adding what it scanned and found to ``tally``, until the range's end, the
    log's end, or ``stop``."""
    position = part.start
    while position < part.end and not stop.is_set():
        want = min(FETCH_MAX, part.end - position)
        result = reader.fetch(topic, part.partition, position, want, server_filter or None)
        records = result.messages
        following = max(result.next_offset, records[-1].offset + 1 if records else position)
        following = min(following, part.end)
        found = [r for r in records if r.offset < part.end and (matches is None or matches(r))]
        tally.add(following - position, found)
        if following <= position:
            break  # the end of the log (records below the retained range are not there either)
        position = following


def run_search(open_reader: Callable[[], Reader], topic: str, ranges: Sequence[PartitionRange],
               tally: SearchTally, *, server_filter: str | None, matches: Callable[[Record], bool] | None,
               stop: threading.Event, workers: int = DEFAULT_WORKERS,
               progress: Callable[[SearchSnapshot], None] | None = None,
               interval: float = 0.2) -> SearchSnapshot:
    """Scan every range with up to ``workers`` threads (one reader each); return the final snapshot.

    Blocking: run it in a worker; the calling thread hands a snapshot to ``progress`` every ``interval``
    seconds meanwhile. ``stop`` ends it early (each thread stops after its current FETCH). A partition that
    fails is counted as done with its error in the tally; the others go on.
    """
    pending = sorted(ranges, key=lambda r: -r.size)  # the biggest first, so the threads finish together
    with tally.lock:
        tally.total = sum(r.size for r in ranges)
        tally.partitions_total = len(ranges)
    queue_lock = threading.Lock()

    def next_range() -> PartitionRange | None:
        with queue_lock:
            return pending.pop(0) if pending else None

    def scan_some() -> None:
        reader: Reader | None = None
        try:
            while not stop.is_set():
                part = next_range()
                if part is None:
                    return
                try:
                    if reader is None:
                        reader = open_reader()
                    scan_partition(reader, topic, part, tally, server_filter=server_filter, matches=matches,
                                   stop=stop)
                except Exception as exc:  # noqa: BLE001 - reported with the partition, the others go on
                    tally.partition_done(f"partition {part.partition}: {exc}")
                    if reader is not None:
                        _close(reader)
                        reader = None
                    continue
                if not stop.is_set():
                    tally.partition_done()
        finally:
            if reader is not None:
                _close(reader)

    threads = [threading.Thread(target=scan_some, name=f"search {topic} {i}", daemon=True)
               for i in range(max(1, min(workers, len(ranges))))]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(interval)
            if progress is not None and thread.is_alive():
                progress(tally.snapshot())
    with tally.lock:
        tally.finished_after = time.monotonic() - tally.started_at
        tally.matches.sort(key=lambda m: (m.partition, m.offset))  # found in any order; listed in log order
    return tally.snapshot()


def _close(reader: Reader) -> None:
    try:
        reader.close()
    except Exception:  # noqa: BLE001 - closing a broken connection
        pass


def search_ranges(marks: Iterable[tuple[int, int, int]], start: Callable[[int, int, int], int | None],
                  partitions: Iterable[int] | None = None) -> tuple[list[PartitionRange], list[int]]:
    """The ranges to scan from ``(partition, low, high)`` watermarks: each from ``start(partition, low, high)``
    to ``high``. ``partitions`` picks some (default: all). Returns the ranges and the partitions that have no
    start (``start`` returned None, e.g. a group with no committed offset there)."""
    chosen = set(partitions) if partitions is not None else None
    ranges: list[PartitionRange] = []
    skipped: list[int] = []
    for partition, low, high in sorted(marks):
        if chosen is not None and partition not in chosen:
            continue
        first = start(partition, low, high)
        if first is None:
            skipped.append(partition)
            continue
        ranges.append(PartitionRange(partition, min(max(first, low), high), high))
    return ranges, skipped


def parse_partitions(text: str, count: int) -> list[int] | None:
    """``""`` or ``all``: None (every partition); else ``0,2,5`` or ranges ``0-3`` of a topic with ``count``
    partitions. Raises ValueError with a message for the user."""
    text = text.strip().lower()
    if text in ("", "all", "*"):
        return None
    chosen: set[int] = set()
    for piece in text.replace(" ", ",").split(","):
        if not piece:
            continue
        first, dash, last = piece.partition("-")
        try:
            low = int(first)
            high = int(last) if dash else low
        except ValueError:
            raise ValueError(f"Partitions: {piece!r} is not a number or a range like 0-3.") from None
        if low > high:
            raise ValueError(f"Partitions: {piece!r} runs backwards.")
        if low < 0 or high >= count:
            raise ValueError(f"Partitions: the topic has partitions 0-{count - 1}, not {piece}.")
        chosen.update(range(low, high + 1))
    if not chosen:
        raise ValueError("Partitions: none given (leave it empty for all).")
    return sorted(chosen)
