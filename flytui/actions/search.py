"""Finding records: seek to an offset, the server-side filter, and stepping between matches (``n``/``N``).

A mixin of :class:`flytui.app.FlyTUIApp`.
"""

from __future__ import annotations

from typing import Any

from ..messages import MatchFound
from ..screens.filter import FilterScreen
from ..screens.seek import SeekScreen
from ..widgets.message_stream import StreamMode
from ..widgets.topics import TopicsPane


class SearchActions:
    """Seek, filter and match stepping in the message stream. Mixed into the app."""

    # ------------------------------------------------------------------ seek / filter / search

    def action_seek(self) -> None:
        """Jump to an offset: ``123``, ``+N``, ``-N``, ``beginning``, ``end``, ``end-N``, ``group:NAME``."""
        if not self.topic:
            return
        if self.tailing:
            self._stop_tail()
            self.browse(self.partition if self.partition is not None else 0)
        info = self.topic_info()
        partition = self.partition if self.partition is not None else 0
        mark = next((p for p in info.partitions if p.partition == partition), None) if info else None
        if mark is None:
            return
        record = self.stream.selected_record
        current = record.offset if record is not None else mark.low
        groups = [g.group_id for g in self.groups.groups] if self.groups.topic == self.topic else []
        screen = SeekScreen(partition, current, mark.low, mark.high, groups=groups,
                            partition_count=info.partition_count if info else None)

        def sought(request: Any) -> None:
            if request is not None:
                self._seek_to(request, partition, current, mark.low, mark.high)

        self.push_screen(screen, sought)

    def _resolve_seek(self, request: Any, partition: int, current: int, low: int, high: int) -> int | None:
        """The offset a seek request means on ``partition`` (None, with a message, when it has none)."""
        committed = None
        group_name = getattr(request, "group", None)
        if group_name:
            group = self.groups.group(group_name)
            if group is not None:
                committed = next((r.committed for r in group.partitions if r.partition == partition), None)
            if committed is None:
                self.notify(f"Group {group_name!r} has no committed offset on partition {partition} of "
                            f"{self.topic}.", severity="warning", timeout=6)
                return None
        try:
            return request.resolve(current, low, high, committed)
        except ValueError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return None

    def _seek_to(self, request: Any, partition: int, current: int, low: int, high: int) -> None:
        """Resolve a :class:`~flytui.screens.seek.SeekRequest` on the browsed partition and jump there.

        A request for all partitions also applies to every partition opened later (until the topic
        changes), since the stream shows one partition at a time.
        """
        offset = self._resolve_seek(request, partition, current, low, high)
        if offset is None:
            return
        if getattr(request, "all_partitions", False):
            self.seek_all = request
            self.notify(f"Seek {request.spec.describe()}: applied here and to each partition you open next "
                        "(until you open another topic).", timeout=5)
        if offset >= high:
            if high > low:
                self.notify(f"Offset {offset:,} is the end of partition {partition} (nothing there yet): "
                            "showing the last record. Press t to tail new records.", timeout=5)
            offset = max(low, high - 1)
        if self.stream_filter is not None:
            self.stream_filter = None
            self.search_pattern = None
            self.browse(partition, offset)
        else:
            self.stream.jump_to_offset(offset)
        self._focus(self.stream)

    def action_filter(self) -> None:
        """Show only the records of this partition that match a server-side filter (``n``/``N`` step)."""
        if self.focused_pane == "topic-list":
            self.topics_pane.post_message(TopicsPane.FilterRequested(""))
            return
        if not self.topic:
            return
        screen = FilterScreen(self.stream_filter or self.search_pattern or "")

        def filtered(text: Any) -> None:
            if text is None:
                return
            self._apply_filter(str(text) or None)

        self.push_screen(screen, filtered)

    def _apply_filter(self, text: str | None) -> None:
        if self.tailing:  # the tail goes on, through the filter (see TailActions._refilter_tail)
            self._refilter_tail(text)
            self._sync_bindings()
            return
        record = self.stream.selected_record
        self.stream_filter = text
        self.search_pattern = text
        partition = self.partition if self.partition is not None else 0
        info = self.topic_info()
        mark = next((p for p in info.partitions if p.partition == partition), None) if info else None
        start = None if text else (record.offset if record is not None else None)
        if mark is not None:
            self.browse(partition, start if text is None else mark.low)
        self._focus(self.stream)
        self._sync_bindings()

    def action_next_match(self) -> None:
        """Next record matching the filter."""
        self._step_match(True)

    def action_previous_match(self) -> None:
        """Previous record matching the filter."""
        self._step_match(False)

    def _step_match(self, forward: bool) -> None:
        if not self.search_pattern or not self.topic:
            return
        stream = self.stream
        if stream.mode == StreamMode.TAIL:  # the tail's rows are the filter's matches: step between them
            row = stream.cursor_row + (1 if forward else -1)
            if 0 <= row < stream.row_count:
                stream.move_cursor(row)
            elif forward:
                self.notify("No further match yet: new matches appear at the bottom (End follows them).",
                            timeout=3)
            else:
                self.notify(f"No earlier match for “{self.search_pattern}” in the tail's buffer.", timeout=3)
            return
        if stream.filtered:
            row = stream.cursor_row + (1 if forward else -1)
            if 0 <= row < stream.row_count:
                stream.move_cursor(row)
                return
            if forward:
                self.notify("No further match (yet): the scan continues as you scroll.", timeout=3)
                return
        info = self.topic_info()
        partition = self.partition if self.partition is not None else 0
        mark = next((p for p in info.partitions if p.partition == partition), None) if info else None
        record = stream.selected_record
        if mark is None:
            return
        start = record.offset if record is not None else mark.low
        self.service.find_match(self.topic, partition, start, self.search_pattern, forward, mark.low,
                                mark.high, self.topic_generation)

    def on_match_found(self, event: MatchFound) -> None:
        """A search step finished: jump there, or say there is none."""
        if event.topic != self.topic or event.generation != self.topic_generation:
            return
        if event.offset is None:
            self.notify(f"No {'further' if event.forward else 'earlier'} match for “{event.pattern}” in "
                        f"partition {event.partition}.", timeout=4)
            return
        if self.stream.filtered:
            self.browse(event.partition, event.offset)
        else:
            self.stream.jump_to_offset(event.offset)
