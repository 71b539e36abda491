"""The picture cells of the open topic (rate, rate sparkline, lag sparkline), made by the refresh worker.

Turning the session history into sparklines costs a few tens of microseconds a row; on a wide topic with many
groups that is tens of milliseconds a refresh, which used to run on the UI thread inside the panes' refresh and
delayed key presses. :meth:`PictureCells.prepare` now draws them in the refresh worker, right after the pass
was recorded, for the topics the refresh focuses on (the open topic and its DLQ); the panes then only look
the finished :class:`~rich.text.Text` cells up.

A cell drawn for an older state of the history is never shown: each topic's cells carry the history's
:attr:`~flytui.rate_history.SessionHistory.version` they were drawn from, and a lookup for another version
(a refresh recorded in between, the history filled by hand, a topic just opened) draws that one cell on the
spot and keeps it for that version.

Public API: :class:`PictureCells`, :class:`TopicPictures`, :func:`rate_cells`, :func:`lag_trend`.
No Textual, no network.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from rich.text import Text

from .model import Overview
from .rate_history import Sample, SessionHistory, latest_rate, level_buckets, rate_buckets
from .sparkline import compact_number, sparkline

__all__ = ["LAG_COLUMNS", "PictureCells", "RATE_COLUMNS", "TREND_WINDOW", "TopicPictures", "lag_trend",
           "rate_cells"]

TREND_WINDOW = 300.0
"""Seconds of history a row's sparkline shows (both panes)."""
RATE_COLUMNS = 20
"""Characters of a partition's rate sparkline (15 s each)."""
LAG_COLUMNS = 12
"""Characters of a group's lag sparkline (25 s each)."""
STEADY = 0.05
"""A lag that moved less than this share of its highest over the window is drawn as steady (dim)."""
MAX_LOOSE = 4096
"""Cells drawn on the spot kept at most (for the current history version only)."""


def rate_cells(end: float, samples: Sequence[Sample]) -> tuple[Text, Text]:
    """A partition's Rate/s cell (per second at the last refresh) and its sparkline of the last
    :data:`TREND_WINDOW` seconds before ``end``, from its high-watermark samples."""
    rate = latest_rate(samples)
    if rate is None:
        rate_cell = Text("–", "dim", justify="right")
    else:
        rate_cell = Text(compact_number(rate), "bold green" if rate > 0 else "dim", justify="right")
    buckets = rate_buckets(samples, end, TREND_WINDOW, RATE_COLUMNS)
    busy = any(value for value in buckets)
    return rate_cell, sparkline(buckets, style="green" if busy else "dim")


def lag_trend(levels: list[float | None]) -> Text:
    """The sparkline of a group's lag: green when the lag went down over the window, red when it went up
    (by more than :data:`STEADY` of its highest), dim otherwise; empty until two columns are known (one value
    alone would draw a full bar and say nothing)."""
    known = [value for value in levels if value is not None]
    if len(known) < 2:
        return Text("")
    if abs(known[-1] - known[0]) <= STEADY * max(known):
        style = "dim"
    else:
        style = "green" if known[-1] < known[0] else "red"
    return sparkline(levels, style=style)


def _same(old: Text, new: Text) -> Text:
    """``old`` when ``new`` looks exactly like it (text, style, spans, justification), else ``new``."""
    if (old.plain == new.plain and old.style == new.style and old.spans == new.spans
            and old.justify == new.justify):
        return old
    return new


NO_RATE = (Text("–", "dim", justify="right"), Text(""))
"""The rate cells before anything was recorded."""


@dataclass(frozen=True)
class TopicPictures:
    """One topic's cells, drawn from the history at ``version``."""

    topic: str
    version: int
    rates: dict[int, tuple[Text, Text]] = field(default_factory=dict)
    """Partition -> (Rate/s cell, sparkline cell)."""
    lags: dict[str, Text] = field(default_factory=dict)
    """Group -> lag sparkline cell."""


class PictureCells:
    """The picture cells of the topics the refresh focuses on, drawn off the UI thread (module docstring).

    :meth:`prepare` runs in the refresh worker; :meth:`rate` and :meth:`lag` run on the UI thread and draw
    only what the worker did not (see the module docstring).
    """

    def __init__(self, history: SessionHistory) -> None:
        self.history = history
        self._topics: dict[str, TopicPictures] = {}
        self._loose: dict[Hashable, Text | tuple[Text, Text]] = {}
        self._loose_version = -1
        self.drawn_on_the_spot = 0
        """Cells drawn by :meth:`rate` / :meth:`lag` because no prepared one was current (for tests)."""

    def prepare(self, overview: Overview, topics: Iterable[str]) -> None:
        """Draw the cells of ``topics`` (every partition, every group on them) from the history as it is now.

        The previous topics' cells are dropped: what is kept is bounded by the topics of one refresh.
        A cell that looks as it did in the previous pass is the previous ``Text`` object, so the panes see
        at a glance (by identity) that it did not change.
        """
        history = self.history
        version = history.version  # read first: cells drawn while a newer pass lands are not taken as current
        prepared: dict[str, TopicPictures] = {}
        for topic in dict.fromkeys(topics):
            info = overview.topic(topic)
            if info is None:
                continue
            before = self._topics.get(topic) or TopicPictures(topic, -1)
            pictures = TopicPictures(topic, version)
            for mark in info.partitions:
                rate, trend = self._draw_rate(topic, mark.partition)
                old = before.rates.get(mark.partition)
                if old is not None:
                    rate, trend = _same(old[0], rate), _same(old[1], trend)
                    if rate is old[0] and trend is old[1]:
                        pictures.rates[mark.partition] = old
                        continue
                pictures.rates[mark.partition] = rate, trend
            for group in overview.groups:
                if group.topic == topic:
                    cell = self._draw_lag(topic, group.group_id)
                    old_cell = before.lags.get(group.group_id)
                    pictures.lags[group.group_id] = cell if old_cell is None else _same(old_cell, cell)
            prepared[topic] = pictures
        self._topics = prepared

    def rate(self, topic: str, partition: int) -> tuple[Text, Text]:
        """The Rate/s and sparkline cells of a partition for the history as it is now."""
        history = self.history
        if not history.latest:
            return NO_RATE
        prepared = self._topics.get(topic)
        if prepared is not None and prepared.version == history.version and partition in prepared.rates:
            return prepared.rates[partition]
        cell = self._loose_get(("rate", topic, partition))
        if not isinstance(cell, tuple):
            cell = self._draw_rate(topic, partition)
            self._loose_put(("rate", topic, partition), cell)
        return cell

    def lag(self, topic: str, group: str) -> Text:
        """The lag sparkline cell of a group on ``topic`` for the history as it is now."""
        history = self.history
        if not history.latest:
            return Text("")
        prepared = self._topics.get(topic)
        if prepared is not None and prepared.version == history.version and group in prepared.lags:
            return prepared.lags[group]
        cell = self._loose_get(("lag", topic, group))
        if not isinstance(cell, Text):
            cell = self._draw_lag(topic, group)
            self._loose_put(("lag", topic, group), cell)
        return cell

    def _loose_get(self, key: Hashable) -> Text | tuple[Text, Text] | None:
        if self._loose_version != self.history.version:
            self._loose = {}
            self._loose_version = self.history.version
        return self._loose.get(key)

    def _loose_put(self, key: Hashable, cell: Text | tuple[Text, Text]) -> None:
        self.drawn_on_the_spot += 1
        if len(self._loose) >= MAX_LOOSE:
            self._loose.clear()
        self._loose[key] = cell

    def _draw_rate(self, topic: str, partition: int) -> tuple[Text, Text]:
        end, samples = self.history.partition_recent(topic, partition, TREND_WINDOW)
        return rate_cells(end, samples)

    def _draw_lag(self, topic: str, group: str) -> Text:
        end, samples = self.history.lag_recent(topic, group, TREND_WINDOW)
        return lag_trend(level_buckets(samples, end, TREND_WINDOW, LAG_COLUMNS))
