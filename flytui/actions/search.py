"""Finding records: seek to an offset, the server-side filter, and stepping between matches (``n``/``N``).

A mixin of :class:`flytui.app.FlyTUIApp`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..messages import MatchFailed, MatchFound, SeekPurpose, SeekResolved, while_running
from ..offset_plan import parse_seek_spec
from ..screens.seek import SeekRequest, SeekScreen
from ..widgets.message_stream import StreamMode
from ..widgets.topics import TopicsPane

if TYPE_CHECKING:
    from .host import ActionHost
else:  # at run time the mixins stand on object; the app supplies the host
    ActionHost = object


class SearchActions(ActionHost):
    """Seek, filter and match stepping in the message stream. Mixed into the app."""

    # ------------------------------------------------------------------ seek / filter / search

    def action_seek(self, initial: str = "", error: str = "", all_partitions: bool = False) -> None:
        """Jump to an offset: ``123``, ``+N``, ``-N``, ``beginning``, ``end``, ``end-N``, ``group:NAME``.

        The dialog only parses; the request is resolved when the user presses enter, in a worker, against
        watermarks and committed offsets read then (:meth:`on_seek_resolved`). ``initial`` / ``error`` /
        ``all_partitions`` reopen the dialog as it was, with the resolution's error.
        """
        if not self.topic:
            return
        if self.tailing:
            self._leave_tail()  # browse the selected record's partition around it, as stopping the tail does
        info = self.topic_info()
        partition = self.partition if self.partition is not None else 0
        mark = next((p for p in info.partitions if p.partition == partition), None) if info else None
        if mark is None:
            return
        record = self.stream.selected_record
        current = record.offset if record is not None else mark.low
        groups = [g.group_id for g in self.groups.groups] if self.groups.topic == self.topic else []
        screen = self.dialogs.open(SeekScreen, partition, current, mark.low, mark.high, groups=groups,
                                   partition_count=info.partition_count if info else None, initial=initial,
                                   error=error, all_partitions=all_partitions)

        def sought(request: SeekRequest | None) -> None:
            if request is not None and self.topic is not None:
                self.service.resolve_seek(self.topic, partition, request, current, self.topic_generation)

        self.push_screen(screen, sought)

    def seek_group_at_start(self, group: str) -> None:
        """``--group G``: put the stream on G's committed offset of the partition being browsed."""
        if not self.topic or self.partition is None:
            return
        request = SeekRequest(parse_seek_spec(f"group:{group}"), all_partitions=False, offset=None,
                              text=f"group:{group}")
        self.service.resolve_seek(self.topic, self.partition, request, 0, self.topic_generation,
                                  SeekPurpose.START, self.stream.generation)

    def seek_all_on(self, partition: int) -> None:
        """Resolve the all-partitions seek on a partition the user just opened (its own fresh range)."""
        if self.topic is None or self.seek_all is None:  # (browse calls this only with both set)
            return
        self.service.resolve_seek(self.topic, partition, self.seek_all, 0, self.topic_generation,
                                  SeekPurpose.BROWSE)

    @while_running
    def on_seek_resolved(self, event: SeekResolved) -> None:
        """A seek was resolved in a worker: jump there and say what it resolved to (or why it could not)."""
        if event.topic != self.topic or event.generation != self.topic_generation:
            return  # the user opened another topic meanwhile
        purpose = event.purpose
        request = event.request
        if event.error:
            if purpose is SeekPurpose.SEEK:
                self.action_seek(initial=request.text, error=event.error, all_partitions=request.all_partitions)
            elif purpose is SeekPurpose.START:
                self.notify(f"--group: {event.error} Showing partition {event.partition} from its beginning.",
                            severity="warning", timeout=8, markup=False)
            elif event.partition == self.partition:  # an all-partitions seek with no offset on this partition
                self.notify(f"Seek {request.text}: {event.error} Showing it from its beginning.",
                            severity="warning", timeout=6, markup=False)
                info = self.topic_info()
                mark = next((p for p in info.partitions if p.partition == event.partition), None) if info else None
                self.browse(event.partition, mark.low if mark else 0)
            return
        if purpose is not SeekPurpose.SEEK and event.partition != self.partition:
            return  # the user moved to another partition meanwhile
        if purpose is SeekPurpose.START and event.stream_generation != self.stream.generation:
            return  # the user opened something else before the group's offset arrived
        if self.tailing:
            self._stop_tail()
        assert event.offset is not None  # a resolution without an error has an offset
        self._show_seek(request, event.partition, event.offset, event.low, event.high, purpose)

    def _show_seek(self, request: SeekRequest, partition: int, offset: int, low: int, high: int,
                   purpose: SeekPurpose) -> None:
        """Jump to a resolved offset and tell the user what it resolved to."""
        resolved = f"{request.text} → {offset}"
        if request.all_partitions and purpose is SeekPurpose.SEEK:
            self.seek_all = request
            resolved += (f" on partition {partition}; applied to each partition you open next (until you open "
                         "another topic)")
        shown = offset
        if offset >= high:
            shown = max(low, high - 1)
            if high > low:
                resolved += f": the end (nothing there yet), showing the last record {shown}. Press t to tail."
        self.notify(resolved, title="Seek", timeout=5, markup=False)
        if self.stream_filter is not None or purpose is SeekPurpose.BROWSE or self.partition != partition:
            self.browse(partition, shown)  # through the filter, if one is set: it stays until esc clears it
        else:
            self.stream.set_high_watermark(high)
            self.stream.jump_to_offset(shown)
        self._focus(self.stream)

    def action_filter(self) -> None:
        """Show only the records of this partition that match a server-side filter (``n``/``N`` step)."""
        from ..screens.filter import FilterScreen  # at first use: the first screen does not need it

        if self.focused_pane == "topic-list":
            self.topics_pane.post_message(TopicsPane.FilterRequested(""))
            return
        if not self.topic:
            return
        screen = self.dialogs.open(FilterScreen, self.stream_filter or self.search_pattern or "")

        def filtered(text: str | None) -> None:
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

    @while_running
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

    @while_running
    def on_match_failed(self, event: MatchFailed) -> None:
        """A search step could not read the partition: say why."""
        self.notify(event.error, severity="error", title="Search", timeout=10)
