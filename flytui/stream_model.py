"""Row models behind :class:`flytui.widgets.message_stream.MessageStream`; no Textual here.

Each model maps a row number to a record (or to "not loaded yet") and keeps memory bounded:

* :class:`BrowseModel` -- one partition, rows 1:1 with offsets ``low..high-1``; records live in pages of
  ``page_size`` offsets held in a small LRU with a byte budget. :meth:`BrowseModel.missing_pages` says
  which pages a viewport still needs and marks them in flight so they are asked for once.
* :class:`FilteredModel` -- one partition through a server-side filter: rows are the matches in order,
  appended page by page as the scan moves on (``next_offset``) up to ``high``.
* :class:`TailModel` -- live records from all partitions in a ring buffer of the newest ``capacity``
  records (and at most ``max_bytes`` of keys and values); appending a batch costs O(batch).

Usage::

    model = BrowseModel("orders", 2, low=0, high=1_000_000)
    model.record_at(5)                      # None until a page holding offset 5 arrived
    for first, count in model.missing_pages(0, 40):
        ...                                 # ask the broker for ``count`` records from ``first``
    model.add_page(first, records, next_offset)

    tail = TailModel(capacity=50_000)
    tail.append(batch)                      # returns how many old records were evicted
    tail.record_at(tail.row_count - 1)      # the newest record

Records are held as plain tuples and handed out as new ``Message`` objects: the garbage collector stops
tracking a plain tuple of str/int/bytes, but not a tuple subclass, and 50,000 tracked records made every
full collection take ~100 ms while the tail ran. So ``record_at`` returns an equal record, not the same one.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from enum import Enum
from functools import partial
from typing import Any, Final, Literal

from pyflymq.models import Message

__all__ = ["BrowseModel", "FilteredModel", "GAP", "TailModel", "record_bytes"]

class Gap(Enum):
    """The type of :data:`GAP`: a one-member enum, so a type checker tells a gap from a record."""

    GAP = "gap"


GAP: Final = Gap.GAP
"""Marks an offset the broker skipped (no record there); unlike None it is not fetched again."""

IN_FLIGHT_TIMEOUT = 10.0
"""Seconds after which a page request that got no answer may be made again."""

_as_message = partial(tuple.__new__, Message)
"""A held plain tuple back as a Message (no copy of its fields)."""


def record_bytes(record: tuple[Any, ...]) -> int:
    """Bytes a record (a Message, or the plain tuple a buffer holds) holds in key and value (what the byte
    budgets count)."""
    key = record[3]
    return len(record[4]) + (len(key) if key is not None else 0)


class BrowseModel:
    """Rows ``0..high-low-1`` of one partition, each row the record at offset ``low + row``."""

    def __init__(self, topic: str, partition: int, low: int, high: int, *, page_size: int = 200,
                 max_pages: int = 50, max_bytes: int = 128 * 1024 * 1024) -> None:
        self.topic = topic
        self.partition = partition
        self.low = max(0, low)
        self.high = max(self.low, high)
        self.page_size = max(1, page_size)
        self.max_pages = max(2, max_pages)
        self.max_bytes = max_bytes
        self._pages: OrderedDict[int, list] = OrderedDict()  # page start offset -> slots
        self._page_bytes: dict[int, int] = {}
        self._bytes = 0
        self._in_flight: dict[int, float] = {}  # page start offset -> time asked

    # -- geometry ----------------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        """Number of rows (offsets ``low..high-1``)."""
        return self.high - self.low

    def offset_of(self, row: int) -> int:
        """Offset shown at ``row``."""
        return self.low + row

    def row_of(self, offset: int) -> int:
        """Row of ``offset``, clamped to the rows that exist (0 when there are none)."""
        return min(max(offset - self.low, 0), max(self.row_count - 1, 0))

    def page_start(self, offset: int) -> int:
        """First offset of the page holding ``offset`` (pages are aligned on ``low``)."""
        return self.low + (offset - self.low) // self.page_size * self.page_size

    def set_high(self, high: int) -> None:
        """Move the high watermark (the partition grew); cached pages stay valid."""
        high = max(self.low, high)
        if high != self.high:
            # the old last page may end short of the new high: forget it so it is fetched whole
            self._drop_page(self.page_start(max(self.high - 1, self.low)))
            self.high = high

    # -- records -----------------------------------------------------------------------------------------
    def record_at(self, row: int) -> Message | Literal[Gap.GAP] | None:
        """The record at ``row``; :data:`GAP` if the broker has no record there; None if not loaded."""
        offset = self.low + row
        start = self.page_start(offset)
        page = self._pages.get(start)
        if page is None:
            return None
        slot = page[offset - start]
        return slot if slot is None or slot is GAP else _as_message(slot)

    def add_page(self, first_offset: int, records: Iterable[Message], next_offset: int | None = None) -> int:
        """Store fetched records; offsets in ``first_offset..next_offset-1`` without a record become gaps.

        ``next_offset`` defaults to one past the last record. Returns the number of records stored.
        """
        stored = 0
        last = first_offset - 1
        size = self.page_size
        for record in records:
            offset = record[2]
            if not self.low <= offset < self.high:
                continue
            start = self.page_start(offset)
            page = self._page(start)
            index = offset - start
            previous = page[index]
            if previous is not None and previous is not GAP:
                self._add_bytes(start, -record_bytes(previous))
            page[index] = tuple(record)
            self._add_bytes(start, record_bytes(record))
            stored += 1
            last = max(last, offset)
        end = min(self.high, next_offset if next_offset is not None else last + 1)
        if end <= first_offset and stored == 0:
            # nothing came back and the scan did not move: mark the rest of the page a gap rather than
            # asking for it forever (retention removed it, or the broker cannot serve it)
            end = min(self.high, self.page_start(first_offset) + size)
        offset = max(first_offset, self.low)
        while offset < end:
            start = self.page_start(offset)
            page = self._page(start)
            stop = min(end, start + size)
            for index in range(offset - start, stop - start):
                if page[index] is None:
                    page[index] = GAP
            offset = stop
        self._in_flight.pop(self.page_start(max(first_offset, self.low)), None)
        self._evict()
        return stored

    def _page(self, start: int) -> list:
        page = self._pages.get(start)
        if page is None:
            page = self._pages[start] = [None] * self.page_size
            self._page_bytes[start] = 0
        else:
            self._pages.move_to_end(start)
        return page

    def _add_bytes(self, start: int, amount: int) -> None:
        self._page_bytes[start] += amount
        self._bytes += amount

    def _drop_page(self, start: int) -> None:
        if self._pages.pop(start, None) is not None:
            self._bytes -= self._page_bytes.pop(start)

    def _evict(self) -> None:
        while len(self._pages) > self.max_pages or (self._bytes > self.max_bytes and len(self._pages) > 2):
            start, _ = self._pages.popitem(last=False)
            self._bytes -= self._page_bytes.pop(start)

    def touch(self, first_row: int, last_row: int) -> None:
        """Mark the pages of rows ``first_row..last_row`` recently used, so eviction spares them."""
        for start in self._page_starts(first_row, last_row):
            if start in self._pages:
                self._pages.move_to_end(start)

    def _page_starts(self, first_row: int, last_row: int) -> range:
        first_row = max(first_row, 0)
        last_row = min(last_row, self.row_count - 1)
        if last_row < first_row:
            return range(0)
        return range(self.page_start(self.low + first_row), self.low + last_row + 1, self.page_size)

    def missing_pages(self, first_row: int, last_row: int, *, limit: int = 4,
                      now: float | None = None) -> list[tuple[int, int]]:
        """``(first_offset, count)`` to fetch for rows ``first_row..last_row``, marked in flight.

        A page already asked for (and not timed out) is not returned again; a partly filled page is
        asked for from its first missing offset. At most ``limit`` requests, nearest first.
        """
        now = time.monotonic() if now is None else now
        wanted: list[tuple[int, int]] = []
        for start in self._page_starts(first_row, last_row):
            asked = self._in_flight.get(start)
            if asked is not None and now - asked < IN_FLIGHT_TIMEOUT:
                continue
            end = min(start + self.page_size, self.high)
            page = self._pages.get(start)
            first: int | None
            if page is None:
                first = start
            else:
                first = next((start + i for i in range(end - start) if page[i] is None), None)
                if first is None:
                    continue
            self._in_flight[start] = now
            wanted.append((first, end - first))
            if len(wanted) >= limit:
                break
        return wanted

    @property
    def in_flight(self) -> int:
        """Number of page requests not answered yet."""
        return len(self._in_flight)

    @property
    def cached_pages(self) -> int:
        """Number of pages held."""
        return len(self._pages)

    @property
    def cached_bytes(self) -> int:
        """Bytes of keys and values held."""
        return self._bytes

    def loaded_records(self) -> list[Message]:
        """Every record held, in offset order."""
        records: list[Message] = []
        for start in sorted(self._pages):
            records.extend(_as_message(slot) for slot in self._pages[start] if slot is not None and slot is not GAP)
        return records


class FilteredModel:
    """Rows are the records of one partition that passed a server-side filter, in offset order."""

    def __init__(self, topic: str, partition: int, start_offset: int, high: int, *, page_size: int = 200,
                 max_rows: int = 50_000, max_bytes: int = 128 * 1024 * 1024, low: int = 0) -> None:
        self.topic = topic
        self.partition = partition
        self.low = low
        self.start_offset = start_offset
        self.high = high
        self.page_size = max(1, page_size)
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.next_offset = start_offset
        self._rows: list[tuple] = []
        self._bytes = 0
        self._asked_at: float | None = None

    @property
    def row_count(self) -> int:
        """Number of matches loaded."""
        return len(self._rows)

    @property
    def exhausted(self) -> bool:
        """True when the scan reached the high watermark."""
        return self.next_offset >= self.high

    @property
    def full(self) -> bool:
        """True when ``max_rows`` matches (or ``max_bytes``) are held and the scan stops there."""
        return len(self._rows) >= self.max_rows or self._bytes >= self.max_bytes

    @property
    def in_flight(self) -> bool:
        """True while the next page was asked for and has not arrived (nor timed out)."""
        return self._asked_at is not None and time.monotonic() - self._asked_at < IN_FLIGHT_TIMEOUT

    def record_at(self, row: int) -> Message | None:
        """The match at ``row``, or None past the loaded ones."""
        return _as_message(self._rows[row]) if 0 <= row < len(self._rows) else None

    def row_of(self, offset: int) -> int:
        """Row of the first match at or after ``offset`` (the last row if none)."""
        rows = self._rows
        lo, hi = 0, len(rows)
        while lo < hi:
            mid = (lo + hi) // 2
            if rows[mid][2] < offset:
                lo = mid + 1
            else:
                hi = mid
        return min(lo, max(len(rows) - 1, 0))

    def want_more(self, last_visible_row: int) -> tuple[int, int] | None:
        """``(next_offset, page_size)`` to fetch when the viewport nears the end, else None; marks it asked."""
        if self.exhausted or self.full or self.in_flight:
            return None
        if last_visible_row < len(self._rows) - self.page_size // 2:
            return None
        self._asked_at = time.monotonic()
        return self.next_offset, self.page_size

    def add_page(self, first_offset: int, records: Sequence[Message], next_offset: int | None) -> int:
        """Append the matches of a page that scanned from ``first_offset``; returns how many were added.

        A page that does not continue the scan (``first_offset != next_offset``) is ignored and returns -1.
        """
        if first_offset != self.next_offset:
            return -1
        added = 0
        for record in records:
            if record[2] >= self.next_offset and not self.full:
                self._rows.append(tuple(record))
                self._bytes += record_bytes(record)
                added += 1
        if next_offset is None:
            next_offset = records[-1][2] + 1 if records else self.high
        self.next_offset = max(self.next_offset, next_offset)
        self._asked_at = None
        return added

    def loaded_records(self) -> list[Message]:
        """Every match held, in order."""
        return list(map(_as_message, self._rows))


class TailModel:
    """The newest records of a topic (all partitions) in a fixed-size ring buffer.

    Rows are ``0..row_count-1``, oldest first. Every record also has a sequence number (``base + row``)
    that does not change when older records are evicted; ``total`` counts all records ever appended.
    """

    def __init__(self, capacity: int = 50_000, max_bytes: int = 128 * 1024 * 1024) -> None:
        self.capacity = max(1, capacity)
        self.max_bytes = max_bytes
        self._ring: list[tuple | None] = [None] * self.capacity
        self._start = 0  # ring index of row 0
        self._count = 0
        self._bytes = 0
        self.base = 0  # sequence number of row 0
        self.total = 0

    @property
    def row_count(self) -> int:
        """Records held."""
        return self._count

    @property
    def cached_bytes(self) -> int:
        """Bytes of keys and values held."""
        return self._bytes

    def record_at(self, row: int) -> Message | None:
        """The record at ``row`` (0 is the oldest held), or None outside the buffer."""
        if 0 <= row < self._count:
            record = self._ring[(self._start + row) % self.capacity]
            assert record is not None  # every row under _count is held
            return _as_message(record)
        return None

    def append(self, records: Sequence[Message]) -> int:
        """Add a batch (newest last) in O(len(records)); returns by how many rows the old rows moved up.

        That is the number of records that left the buffer (old ones evicted, or the front of a batch
        larger than the whole buffer).
        """
        if not isinstance(records, (list, tuple)):
            records = list(records)
        if not records:
            return 0
        old_base = self.base
        capacity = self.capacity
        batch = list(map(tuple, records[-capacity:] if len(records) > capacity else records))
        overflow = self._count + len(batch) - capacity
        if overflow > 0:
            self._pop_oldest(overflow)
        position = (self._start + self._count) % capacity
        first_part = min(len(batch), capacity - position)
        self._ring[position:position + first_part] = batch[:first_part]
        if first_part < len(batch):
            self._ring[0:len(batch) - first_part] = batch[first_part:]
        self._count += len(batch)
        self._bytes += sum(map(record_bytes, batch))
        while self._bytes > self.max_bytes and self._count > 1:
            self._pop_oldest(1)
        self.total += len(records)
        self.base = self.total - self._count
        return self.base - old_base

    def _pop_oldest(self, n: int) -> None:
        ring = self._ring
        capacity = self.capacity
        n = min(n, self._count)
        for _ in range(n):
            record = ring[self._start]
            if record is not None:
                self._bytes -= record_bytes(record)
            ring[self._start] = None
            self._start = (self._start + 1) % capacity
        self._count -= n

    def first_offsets(self) -> dict[int, int]:
        """The lowest offset held of each partition that has records in the buffer."""
        first: dict[int, int] = {}
        for row in range(self._count):
            record = self._ring[(self._start + row) % self.capacity]
            assert record is not None  # every row under _count is held
            partition, offset = record[1], record[2]
            if offset < first.get(partition, offset + 1):
                first[partition] = offset
        return first

    def loaded_records(self) -> list[Message]:
        """Every record held, oldest first."""
        return [record for row in range(self._count) if (record := self.record_at(row)) is not None]
