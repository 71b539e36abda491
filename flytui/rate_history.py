"""What the background refreshes saw over the session, in bounded memory: watermarks and group lags over time.

Each series (a partition's high watermark, a group's total lag on a topic) is a :class:`Ring` of at most
``capacity`` ``(time, value)`` samples in two ``array('d')``: 16 bytes a sample, however long the session runs.
The default capacity keeps an hour at the default 5 s refresh; :class:`History` also caps the number of series
(the least recently updated one goes first). From the samples come the pictures' numbers:
:func:`rate_buckets` (records per second of a counter, per column of a sparkline), :func:`level_buckets`
(a gauge such as lag, per column) and :func:`latest_rate`.

Public API: :class:`Ring`, :class:`History`, :class:`SessionHistory` (the app's: ``record(overview)`` on each
refresh), :func:`rate_buckets`, :func:`level_buckets`, :func:`latest_rate`, :func:`total_lags`.
Pure: no Textual, no network.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left
from collections.abc import Collection, Hashable, Iterator, Sequence

from .model import Overview

__all__ = ["History", "Ring", "SessionHistory", "latest_rate", "level_buckets", "rate_buckets", "total_lags"]

Sample = tuple[float, float]

DEFAULT_CAPACITY = 720
"""Samples kept per series: one hour at the default refresh of 5 s."""
DEFAULT_MAX_SERIES = 5000
"""Series kept at most (partitions and groups each); the one updated longest ago is dropped first."""


class Ring:
    """The last ``capacity`` samples of one series, oldest first, in fixed memory."""

    __slots__ = ("capacity", "_times", "_values", "_start")

    def __init__(self, capacity: int) -> None:
        if capacity < 2:
            raise ValueError("a ring keeps at least 2 samples")
        self.capacity = capacity
        self._times = array("d")
        self._values = array("d")
        self._start = 0  # index of the oldest sample once the ring is full

    def __len__(self) -> int:
        return len(self._times)

    def append(self, when: float, value: float) -> None:
        """Add a sample (the oldest one goes when the ring is full)."""
        if len(self._times) < self.capacity:
            self._times.append(when)
            self._values.append(value)
            return
        self._times[self._start] = when
        self._values[self._start] = value
        self._start = (self._start + 1) % self.capacity

    def __iter__(self) -> Iterator[Sample]:
        n = len(self._times)
        for i in range(n):
            j = (self._start + i) % n
            yield self._times[j], self._values[j]

    def since(self, when: float) -> list[Sample]:
        """The samples at or after ``when``, and the one just before it (an interval that crosses ``when``).

        Found by binary search: the ring is two sorted runs, ``[start, n)`` (older) then ``[0, start)``.
        """
        times, n, start = self._times, len(self._times), self._start
        if n == 0:
            return []
        if start == 0:
            first = bisect_left(times, when, 0, n)
        elif when <= times[n - 1]:
            first = bisect_left(times, when, start, n) - start
        else:
            first = n - start + bisect_left(times, when, 0, start)
        values = self._values
        found = []
        for k in range(max(0, first - 1), n):
            j = (start + k) % n
            found.append((times[j], values[j]))
        return found

    def last(self) -> Sample | None:
        """The newest sample, or None."""
        if not self._times:
            return None
        j = (self._start - 1) % len(self._times)
        return self._times[j], self._values[j]

    @property
    def nbytes(self) -> int:
        """Bytes held by the samples (the arrays' buffers)."""
        return self._times.buffer_info()[1] * self._times.itemsize * 2


class History:
    """Rings by key (for example ``(topic, partition)``), at most ``max_series`` of them."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, max_series: int = DEFAULT_MAX_SERIES) -> None:
        self.capacity = capacity
        self.max_series = max_series
        self._rings: dict[Hashable, Ring] = {}

    def __len__(self) -> int:
        return len(self._rings)

    def add(self, key: Hashable, when: float, value: float) -> None:
        """Add a sample to ``key``'s series; a sample not newer than the series' last one is ignored."""
        ring = self._rings.pop(key, None)  # re-inserted last: the dict's order is least recently updated first
        if ring is None:
            if len(self._rings) >= self.max_series:
                del self._rings[next(iter(self._rings))]
            ring = Ring(self.capacity)
        self._rings[key] = ring
        last = ring.last()
        if last is None or when > last[0]:
            ring.append(when, value)

    def samples(self, key: Hashable) -> list[Sample]:
        """``key``'s samples, oldest first (empty when unknown)."""
        ring = self._rings.get(key)
        return list(ring) if ring is not None else []

    def recent(self, key: Hashable, since: float) -> list[Sample]:
        """``key``'s samples from ``since`` on (and the one before), oldest first: what a picture of the
        last minutes needs, without copying the whole ring."""
        ring = self._rings.get(key)
        return ring.since(since) if ring is not None else []

    def clear(self) -> None:
        """Forget every series."""
        self._rings.clear()

    @property
    def nbytes(self) -> int:
        """Bytes held by the samples of every series."""
        return sum(ring.nbytes for ring in self._rings.values())


def total_lags(overview: Overview, topics: Collection[str] | None = None) -> Iterator[tuple[str, str, int]]:
    """``(topic, group, total lag)`` of every group in ``overview`` (only on ``topics`` when given).

    The same sum as :attr:`flytui.model.GroupLag.total_lag`, without building the per-partition rows; a topic
    whose lags the refresh worker already computed reuses them.
    """
    for group in overview.groups:
        if topics is not None and group.topic not in topics:
            continue
        info = overview.topic(group.topic)
        if info is None:
            continue
        total = 0
        offsets = group.offsets
        for mark in info.partitions:
            committed = offsets.get(mark.partition)
            start = mark.low if committed is None else committed
            if mark.high > start:
                total += mark.high - start
        yield group.topic, group.group_id, total


class SessionHistory:
    """Partition watermarks and group lags of the whole session, fed by every refresh.

    The refresh worker records (off the UI thread, where the lag sums cost most) while the panes read: every
    method takes one lock, so a reader never sees a refresh half written.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY, max_series: int = DEFAULT_MAX_SERIES) -> None:
        self.partitions = History(capacity, max_series)
        """High watermark by ``(topic, partition)``."""
        self.lags = History(capacity, max_series)
        """Total lag by ``(topic, group)``."""
        self.latest = 0.0
        """Time of the newest refresh recorded (the right edge of every picture)."""
        self.version = 0
        """Counts the refreshes recorded (a chart redraws only when it changed)."""
        self._lock = threading.Lock()

    def record(self, overview: Overview, fresh: Collection[str] | None = None) -> None:
        """Add one refresh at ``overview.taken_at``. ``fresh``: the topics whose watermarks this refresh read
        (None: all); the others' reused watermarks would draw a flat line and then a spike."""
        when = overview.taken_at
        lags = list(total_lags(overview, fresh))  # the costly part, before taking the lock
        with self._lock:
            if when <= self.latest:
                return
            for topic in overview.topics:
                if fresh is not None and topic.name not in fresh:
                    continue
                for mark in topic.partitions:
                    self.partitions.add((topic.name, mark.partition), when, mark.high)
            for topic_name, group, lag in lags:
                self.lags.add((topic_name, group), when, lag)
            self.latest = when
            self.version += 1

    def add_lag(self, topic: str, group: str, when: float, lag: float) -> None:
        """Add one lag sample by hand (tests and screenshots feed a known history this way)."""
        with self._lock:
            self.lags.add((topic, group), when, lag)
            self.latest = max(self.latest, when)
            self.version += 1

    def add_partition(self, topic: str, partition: int, when: float, high: float) -> None:
        """Add one high-watermark sample by hand (as :meth:`add_lag`)."""
        with self._lock:
            self.partitions.add((topic, partition), when, high)
            self.latest = max(self.latest, when)
            self.version += 1

    def partition_recent(self, topic: str, partition: int, seconds: float) -> tuple[float, list[Sample]]:
        """``(latest, samples)``: the right edge of the pictures, and the partition's high watermarks of the
        last ``seconds`` before it (with the one just before, see :meth:`Ring.since`)."""
        with self._lock:
            end = self.latest
            return end, self.partitions.recent((topic, partition), end - seconds)

    def lag_recent(self, topic: str, group: str, seconds: float) -> tuple[float, list[Sample]]:
        """``(latest, samples)`` of a group's total lag on ``topic``, as :meth:`partition_recent`."""
        with self._lock:
            end = self.latest
            return end, self.lags.recent((topic, group), end - seconds)

    def clear(self) -> None:
        """Forget everything recorded."""
        with self._lock:
            self.partitions.clear()
            self.lags.clear()
            self.latest = 0.0
            self.version += 1

    @property
    def nbytes(self) -> int:
        """Bytes held by every sample."""
        with self._lock:
            return self.partitions.nbytes + self.lags.nbytes


def latest_rate(samples: Sequence[Sample]) -> float | None:
    """Per second between the last two samples of a counter (None with fewer than two; 0 if it went back)."""
    if len(samples) < 2:
        return None
    (t0, v0), (t1, v1) = samples[-2], samples[-1]
    return max(0.0, v1 - v0) / (t1 - t0)


def rate_buckets(samples: Sequence[Sample], end: float, window: float, columns: int) -> list[float | None]:
    """A counter's rate per second in ``columns`` equal slices of ``(end - window, end]``.

    The counter is taken as growing linearly between samples, so a slice's rate is its growth over the part of
    the slice the samples cover, divided by that part's length: a refresh slower than a slice still fills every
    slice it spans, and a slice no two samples cover is None. A counter that went back (a topic deleted and
    made again) counts as 0. Cost: two binary searches per slice, whatever the number of samples.
    """
    if len(samples) < 2:
        return [None] * columns
    times = [t for t, _ in samples]
    values = [v for _, v in samples]
    first, last = times[0], times[-1]

    def counter_at(when: float) -> float:
        i = bisect_left(times, when)
        if times[i] == when or i == 0:
            return values[i]
        t0, t1 = times[i - 1], times[i]
        return values[i - 1] + (values[i] - values[i - 1]) * (when - t0) / (t1 - t0)

    width = window / columns
    start = end - window
    rates: list[float | None] = []
    for column in range(columns):
        low = max(start + column * width, first)
        high = min(start + (column + 1) * width, last)
        if high <= low:
            rates.append(None)
        else:
            rates.append(max(0.0, counter_at(high) - counter_at(low)) / (high - low))
    return rates


def level_buckets(samples: Sequence[Sample], end: float, window: float, columns: int) -> list[float | None]:
    """A gauge (such as lag) per slice of ``(end - window, end]``: the last sample at or before the slice's
    end; None before the first sample."""
    width = window / columns
    start = end - window
    values: list[float | None] = []
    index = 0
    current: float | None = None
    for column in range(columns):
        right = start + (column + 1) * width
        while index < len(samples) and samples[index][0] <= right + 1e-9:
            current = samples[index][1]
            index += 1
        values.append(current)
    return values


def lag_slope(samples: Sequence[Sample], seconds: float = 60.0) -> float | None:
    """How fast a gauge moved over its last ``seconds`` (per second; negative while a lag drains), from the
    newest sample and the newest one at least ``seconds`` older (else the oldest); None with one sample."""
    if len(samples) < 2:
        return None
    t1, v1 = samples[-1]
    base = samples[0]
    for sample in reversed(samples[:-1]):
        if t1 - sample[0] >= seconds:
            base = sample
            break
    t0, v0 = base
    return (v1 - v0) / (t1 - t0) if t1 > t0 else None
