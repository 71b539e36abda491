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

from array import array
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
        """The samples at or after ``when``, and the one just before it (an interval that crosses ``when``)."""
        n = len(self._times)
        found: list[Sample] = []
        for i in range(n - 1, -1, -1):
            j = (self._start + i) % n
            found.append((self._times[j], self._values[j]))
            if self._times[j] < when:
                break
        found.reverse()
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
    """Partition watermarks and group lags of the whole session, fed by every refresh."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, max_series: int = DEFAULT_MAX_SERIES) -> None:
        self.partitions = History(capacity, max_series)
        """High watermark by ``(topic, partition)``."""
        self.lags = History(capacity, max_series)
        """Total lag by ``(topic, group)``."""
        self.latest = 0.0
        """Time of the newest refresh recorded (the right edge of every picture)."""
        self.version = 0
        """Counts the refreshes recorded (a chart redraws only when it changed)."""

    def record(self, overview: Overview, fresh: Collection[str] | None = None) -> None:
        """Add one refresh at ``overview.taken_at``. ``fresh``: the topics whose watermarks this refresh read
        (None: all); the others' reused watermarks would draw a flat line and then a spike."""
        when = overview.taken_at
        if when <= self.latest:
            return
        for topic in overview.topics:
            if fresh is not None and topic.name not in fresh:
                continue
            for mark in topic.partitions:
                self.partitions.add((topic.name, mark.partition), when, mark.high)
        for topic, group, lag in total_lags(overview, fresh):
            self.lags.add((topic, group), when, lag)
        self.latest = when
        self.version += 1

    def add_lag(self, topic: str, group: str, when: float, lag: int) -> None:
        """Add one lag sample by hand (tests and screenshots feed a known history this way)."""
        self.lags.add((topic, group), when, lag)
        self.latest = max(self.latest, when)
        self.version += 1

    def clear(self) -> None:
        """Forget everything recorded."""
        self.partitions.clear()
        self.lags.clear()
        self.latest = 0.0
        self.version += 1

    @property
    def nbytes(self) -> int:
        """Bytes held by every sample."""
        return self.partitions.nbytes + self.lags.nbytes


def latest_rate(samples: Sequence[Sample]) -> float | None:
    """Per second between the last two samples of a counter (None with fewer than two; 0 if it went back)."""
    if len(samples) < 2:
        return None
    (t0, v0), (t1, v1) = samples[-2], samples[-1]
    return max(0.0, v1 - v0) / (t1 - t0)


def rate_buckets(samples: Sequence[Sample], end: float, window: float, columns: int) -> list[float | None]:
    """A counter's rate per second in ``columns`` equal slices of ``(end - window, end]``.

    Each interval between two samples spreads its rate over the slices it overlaps (weighted by the overlap),
    so a refresh slower than a slice still fills every slice it spans; a slice no interval covers is None.
    A counter that went back (a topic deleted and made again) counts as 0 for that interval.
    """
    width = window / columns
    start = end - window
    weight = [0.0] * columns
    total = [0.0] * columns
    for (t0, v0), (t1, v1) in zip(samples, samples[1:], strict=False):
        if t1 <= start or t0 >= end or t1 <= t0:
            continue
        rate = max(0.0, v1 - v0) / (t1 - t0)
        first = max(0, int((t0 - start) // width))
        last = min(columns - 1, int((min(t1, end) - start) // width))
        for column in range(first, last + 1):
            left = start + column * width
            overlap = min(t1, left + width) - max(t0, left)
            if overlap > 0:
                weight[column] += overlap
                total[column] += rate * overlap
    return [total[c] / weight[c] if weight[c] > 0 else None for c in range(columns)]


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
