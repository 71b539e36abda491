"""Whole-topic search (``F``): ask, scan every partition in parallel workers, list the matches, open one.

A mixin of :class:`flytui.app.FlyTUIApp`; the scan is :func:`flytui.topic_search.run_search`, run by
:meth:`flytui.service.FlyService.search_topic`. The last search (its texts and results) is kept per app, so
``F`` again shows it; opening another topic cancels it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..messages import TopicSearchProgress, while_running

# The search's dialog, query language and scan are imported at first use: the first screen needs none of them.
if TYPE_CHECKING:
    from ..record_query import QueryError
    from ..screens.topic_search import SearchRequested, SearchState, TopicSearchScreen
    from .host import ActionHost
else:  # at run time the mixins stand on object; the app supplies the host
    ActionHost = object


def query_error_text(text: str, error: QueryError) -> str:
    """A query error as the user reads it: what is wrong and where, then the expression with a caret there."""
    return f"{error.message} (character {error.position + 1}):\n{error.pointer(text)}"


class TopicSearchActions(ActionHost):
    """Search the whole topic. Mixed into the app."""

    topic_search: SearchState | None = None
    _topic_search_screen: TopicSearchScreen | None = None
    _topic_search_ids = 0

    def action_search_topic(self) -> None:
        """Open the whole-topic search (the last one on this topic, if any)."""
        from ..screens.topic_search import SearchState, TopicSearchScreen

        if not self.topic:
            return
        info = self.topic_info()
        state = self.topic_search
        if state is None or state.topic != self.topic:
            self.cancel_topic_search()
            expression = self.stream_filter or ""
            state = self.topic_search = SearchState(self.topic, expression=expression)
        screen = TopicSearchScreen(self.topic, info.partition_count if info else 0, state)
        self._topic_search_screen = screen

        def opened(where: Any) -> None:
            self._topic_search_screen = None
            if where is not None:
                self.open_search_match(*where)

        self.push_screen(screen, opened)

    def cancel_topic_search(self) -> None:
        """Stop the running whole-topic search, if any (its matches so far stay)."""
        state = self.topic_search
        if state is not None and state.running and state.cancel is not None:
            state.cancel.set()
            state.cancelled = True

    def on_search_requested(self, event: SearchRequested) -> None:
        """Parse what the user typed and start the scan, or show why it cannot start."""
        from ..offset_plan import parse_seek_spec
        from ..record_query import QueryError, compile_query
        from ..topic_search import parse_partitions

        event.stop()
        state = self.topic_search
        info = self.topic_info()
        if state is None or info is None or state.topic != self.topic:
            return
        self.cancel_topic_search()
        state.expression, state.start, state.partitions = event.expression, event.start, event.partitions
        state.error = ""
        try:
            if not event.expression.strip():
                raise ValueError("Type what to search for.")
            try:
                query = compile_query(event.expression)
            except QueryError as exc:
                raise ValueError(query_error_text(event.expression, exc)) from None
            start = parse_seek_spec(event.start or "beginning")
            partitions = parse_partitions(event.partitions, info.partition_count)
        except ValueError as exc:
            state.error = str(exc)
            self._show_topic_search()
            return
        self._topic_search_ids += 1
        state.search_id = self._topic_search_ids
        state.snapshot, state.skipped, state.cancelled = None, (), False
        state.cancel = self.service.search_topic(state.topic, state.search_id, start, partitions=partitions,
                                                 server_filter=query.server_filter,
                                                 matches=None if query.server_filter is not None else query.matches)
        self._show_topic_search()

    @while_running
    def on_topic_search_progress(self, event: TopicSearchProgress) -> None:
        """Progress of the running search: keep it and show it (results of an older search are dropped)."""
        state = self.topic_search
        if state is None or event.topic != state.topic or event.search_id != state.search_id:
            return
        state.snapshot = event.snapshot
        state.skipped = event.skipped
        if event.error:
            state.error = event.error
            state.cancel = None
        self._show_topic_search()

    def _show_topic_search(self) -> None:
        screen = self._topic_search_screen
        if screen is not None and screen.is_attached and self.topic_search is not None:
            screen.show(self.topic_search)

    def open_search_match(self, partition: int, offset: int) -> None:
        """Show a match in the stream among the records around it: its partition, the cursor on its offset.

        The stream's filter is cleared (it could hide the match); ``n``/``N`` then step between the search's
        matches in that partition."""
        if self.tailing:
            self._stop_tail()
        state = self.topic_search
        if self.stream_filter:
            self.notify(f"Filter “{self.stream_filter}” cleared to show the match among its neighbours; n / N "
                        "step between the search's matches.", timeout=5)
        self.stream_filter = None
        self.search_pattern = state.expression if state is not None and state.expression.strip() else None
        self.browse(partition, offset)
        self._focus(self.stream)
        self._sync_bindings()
