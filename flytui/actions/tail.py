"""The live tail and how fresh the panes are: start (from now or with a backlog), filter, stop, and the
"stale" marks while the connection is down.

A mixin of :class:`flytui.app.FlyTUIApp`; the polling itself is :meth:`flytui.service.FlyService.start_tail`.

* ``t`` tails every partition of the open topic from now; ``T`` asks for a backlog N and starts with the last
  N records of each partition (``kcat -o -N``). With a filter set the tail is filtered by the server too.
* Stopping the tail (``t`` again) browses the selected record's partition around that record.
* A filter set (or cleared) while tailing restarts the tail from the oldest record it held, through the
  server-side filter, so the matches among what was on screen stay and new ones follow.
* While the connection is down every pane says how old its data is ("stale 12 s"), and the header's LIVE
  badge and the stream's "following" line turn into "paused" marks.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from textual.css.query import NoMatches
from textual.timer import Timer

from ..messages import TailBatch, while_running
from ..widgets.message_stream import StreamMode

if TYPE_CHECKING:
    from .host import ActionHost
else:  # at run time the mixins stand on object; the app supplies the host
    ActionHost = object

STALE_TICK = 1.0
"""Seconds between two updates of the stale ages while the connection is down."""


class TailActions(ActionHost):
    """Live tail and staleness. Mixed into the app."""

    tail_backlog_last = 100
    """The backlog offered by ``T`` (the last one used)."""
    _tail_started_at = 0.0
    _tail_high: dict[int, int] | None = None
    _stale_timer: Timer | None = None

    # ------------------------------------------------------------------ start / stop

    def action_tail(self) -> None:
        """Toggle the live tail of every partition of the open topic (from now)."""
        if not self.topic:
            return
        if self.tailing:
            self._leave_tail()
            self.notify("Live tail stopped.", timeout=2)
        else:
            self.start_tail()
            self._focus(self.stream)

    def action_tail_backlog(self) -> None:
        """Ask for N, then tail the open topic starting with the last N records of each partition."""
        from ..screens.tail_backlog import TailBacklogScreen  # at first use: not on the first screen

        if not self.topic:
            return
        info = self.topic_info()

        def chosen(backlog: int | None) -> None:
            if backlog is None or not self.topic:
                return
            self.tail_backlog_last = backlog or self.tail_backlog_last
            self._stop_tail()
            self.start_tail(backlog=backlog)
            self._focus(self.stream)

        self.push_screen(self.dialogs.open(TailBacklogScreen, self.tail_backlog_last,
                                           info.partition_count if info else None), chosen)

    def start_tail(self, *, backlog: int = 0, start: dict[int, int] | None = None) -> None:
        """Tail the open topic: from the end of every partition, ``backlog`` records before it, or ``start``.

        The filter in use (if any) applies to the tail too.
        """
        info = self.topic_info()
        if info is None or self.topic is None:  # (no info without an open topic)
            return
        parts = [p.partition for p in info.partitions]
        generation = self.stream.set_tail(self.topic, parts, filter_text=self.stream_filter)
        self.service.start_tail(self.topic, parts, generation, backlog=backlog, start=start,
                                filter=self.stream_filter)
        self.tailing = True
        self._tail_started_at = time.monotonic()
        self._tail_high = {}
        self.header.tail = self.topic or ""
        self._update_reading()
        self._update_staleness()
        self._sync_bindings()

    def _stop_tail(self) -> None:
        """Stop the tail (if running); what it learned about the partitions' ends is kept."""
        if self.tailing:
            self.service.stop_tail()
            self.tailing = False
            self.header.tail = ""
            self.header.stale_age = None
            self._merge_tail_high()

    def _leave_tail(self) -> None:
        """Stop the tail and browse the selected record's partition around it (else the current partition)."""
        record = self.stream.selected_record
        self._stop_tail()
        if record is not None:
            self.browse(record.partition, record.offset)
        else:
            info = self.topic_info()
            first = info.partitions[0].partition if info and info.partitions else 0
            self.browse(self.partition if self.partition is not None else first)
        self._update_staleness()

    def _refilter_tail(self, text: str | None) -> None:
        """Set or clear the filter while tailing: restart from the oldest record held, through the filter.

        A partition with nothing held restarts where the tail had got to. No partition goes back further
        than its share of the tail's buffer, so clearing a sparse filter cannot refetch a whole log.
        """
        held = self.stream.first_offsets()
        reached = dict(self._tail_high or {})
        info = self.topic_info()
        parts = [p.partition for p in info.partitions] if info else []
        share = max(1, self.stream.tail_capacity // max(1, len(parts)))
        start: dict[int, int] = {}
        for p in parts:
            first = held.get(p, reached.get(p))
            if first is not None:
                start[p] = max(first, reached.get(p, first) - share)
        self.stream_filter = text
        self.search_pattern = text
        self._stop_tail()
        self.start_tail(start=start)
        self._focus(self.stream)

    # ------------------------------------------------------------------ live records

    @while_running
    def on_tail_batch(self, event: TailBatch) -> None:
        """Live records: append them (dropped when the tail belongs to another topic or generation)."""
        if event.topic != self.topic or not self.tailing:
            return
        self.stream.append_live(event.records, event.generation)
        if event.generation == self.stream.generation and self._tail_high is not None:
            self._tail_high.update(event.high)
        info = self.topic_info()
        now = time.monotonic()
        # The tail knows the new ends before the next refresh does; once a second is enough for the eye, and
        # repainting the partition table on every batch costs the UI thread at 20,000 records/s.
        if info is not None and event.high and now - self._partitions_updated_at >= 1.0:
            self._partitions_updated_at = now
            parts = [replace(p, high=max(p.high, event.high.get(p.partition, p.high))) for p in info.partitions]
            self.partitions_pane.set_partitions(self.topic, parts)

    def _merge_tail_high(self) -> None:
        """Raise the open topic's known high watermarks to where the tail read, so browsing after the tail
        reaches the records it showed (the next refresh replaces them with the server's)."""
        reached = self._tail_high
        overview = self.overview
        info = self.topic_info()
        if not reached or overview is None or info is None:
            return
        fresher = replace(info, partitions=tuple(replace(p, high=max(p.high, reached.get(p.partition, p.high)))
                                                 for p in info.partitions))
        self.overview = replace(overview, topics=tuple(fresher if t.name == info.name else t
                                                       for t in overview.topics))

    # ------------------------------------------------------------------ staleness

    def _update_staleness(self) -> None:
        """Mark each pane with the age of its data while the connection is down; clear the marks once it is
        back. Panes fed by the refresh are as old as the last complete refresh; the tail as old as its last
        successful poll."""
        down = self.service.state not in ("connected", "connecting")
        now = time.monotonic()
        refreshed = self.service.refreshed_at
        data_age = now - refreshed if down and refreshed is not None else None
        tail_age = None
        if down and self.tailing:
            tail_age = now - (self.service.tail_polled_at or self._tail_started_at)
        try:
            panes = (self.topics_pane, self.partitions_pane, self.groups, self.dlq)
            stream, header = self.stream, self.header
        except NoMatches:  # shutting down
            return
        header.stale_age = tail_age
        for pane in panes:
            pane.set_stale(data_age)
        stream.set_stale(tail_age if stream.mode == StreamMode.TAIL else data_age)
        stale = data_age is not None or tail_age is not None
        if stale and self._stale_timer is None:
            self._stale_timer = self.set_interval(STALE_TICK, self._update_staleness, name="stale")
        elif not stale and self._stale_timer is not None:
            self._stale_timer.stop()
            self._stale_timer = None
