"""The message stream: a virtual, Line-API view over a partition or a live tail.

``MessageStream`` is a :class:`~textual.scroll_view.ScrollView` that renders only the lines on screen
(``render_line`` + an LRU of rendered strips); it never builds a widget or a table row per record. Rows come
from one of three models in :mod:`flytui.stream_model` (browse one partition, filtered browse, live tail).

Usage (the app owns all I/O and answers the widget's messages)::

    stream = MessageStream(id="stream")

    # browse a partition: rows are offsets low..high-1; pages are asked for as the user scrolls
    stream.set_browse("orders", 2, low=0, high=5_000, start_offset=1_234)
    # (filtered: stream.set_browse(..., filter_text="status=failed") -- rows are the matches, in order)

    def on_message_stream_page_wanted(self, event: MessageStream.PageWanted) -> None:
        # fetch in a worker, then on the UI thread:
        stream.add_page(event.generation, event.partition, event.offset, result.messages,
                        next_offset=result.next_offset)      # stale generations are dropped

    stream.jump_to_offset(4_000)

    # live tail of all partitions: newest records at the bottom, following until the user scrolls up
    stream.set_tail("orders", [0, 1, 2])
    stream.append_live(batch)           # O(batch), one refresh; call via app.call_from_thread
    stream.following, stream.pending_new    # End/G (or stream.follow()) resumes following
    stream.set_high_watermark(5_200)    # browse: the partition grew
    stream.visible_records()            # what is on screen; stream.loaded_records(): all held

    def on_message_stream_record_highlighted(self, event: MessageStream.RecordHighlighted) -> None:
        detail.show_record(event.record)                      # throttled to the latest record

Keys: up/down/j/k, pageup/pagedown, home/g, end/G (G also resumes following), mouse click selects; enter
posts :class:`MessageStream.DetailRequested` (the app opens the record detail).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message as TextualMessage
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from flytui.decode import preview, visible_text
from flytui.keys import KeyBinding
from flytui.numbers import human_size, number
from flytui.stream_model import GAP, BrowseModel, FilteredModel, TailModel
from flytui.widgets._scrolling import set_virtual_size
from flytui.widgets._stale import STALE_STYLE, stale_label
from pyflymq.models import Message

from ._render_style import OneStylePerPaint

__all__ = ["MessageStream", "StreamMode"]

HIGHLIGHT_INTERVAL = 0.1
"""Seconds between two RecordHighlighted messages while the cursor keeps moving (the latest one wins)."""

HIGHLIGHT_INTERVAL_FOLLOWING = 0.25
"""The same while the tail follows new records (a detail pane changing faster cannot be read anyway)."""

PAGE_CHECK_INTERVAL = 0.04
"""While the view scrolls, missing pages are looked for at most this often (the first look is at once).

A debounce (wait for the scrolling to stop) held page requests back for up to half a second while page down
was held, so the rows under the cursor showed "loading…" for that long; a throttle asks for what is visible
within one interval instead."""

LINE_CACHE_SIZE = 256
"""Rendered rows kept (a few screens' worth)."""

_PLACEHOLDER = "loading…"
_GAP_TEXT = "(no record at this offset)"


TITLE_TOPIC_MAX = 32
"""Cells of a topic name in the title; longer ones end in "…" so the position and filter stay visible."""

TITLE_TOPIC_MIN = 8
"""Cells a topic name keeps in the title however narrow the pane (the rest of the title is cut first)."""

TITLE_FILTER_MAX = 24
"""Cells of the filter text in the title."""


def _title_part(text: str, limit: int) -> Text:
    """A name for the title: control characters visible, cut to ``limit`` cells."""
    part = visible_text(text)
    if part.cell_len > limit:
        part.truncate(limit, overflow="ellipsis")
    return part


class StreamMode(str, Enum):
    """What the stream shows."""

    IDLE = "idle"
    BROWSE = "browse"
    TAIL = "tail"


class MessageStream(OneStylePerPaint, ScrollView, can_focus=True):
    """A virtual table of records (partition, offset, key, value preview, size) over browse or tail models."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "cursor_page_up", "Page up", show=False),
        Binding("pagedown", "cursor_page_down", "Page down", show=False),
        Binding("home,g", "cursor_first", "First", show=False),
        Binding("end,G", "cursor_last", "Last/follow"),
        KeyBinding("enter", "request_detail", tooltip="Open the topic, partition or record under the cursor"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "message-stream--header",
        "message-stream--cursor",
        "message-stream--placeholder",
        "message-stream--status",
    }

    DEFAULT_CSS = """
    MessageStream {
        width: 1fr;
        height: 1fr;
        overflow-x: hidden;
        overflow-y: scroll;
        background: $surface;
        border: round $panel-lighten-2;
        border-title-color: $foreground;
        border-subtitle-color: $text-warning;
        &:focus { border: round $accent; }
        & > .message-stream--header { text-style: bold; background: $panel; color: $foreground; }
        & > .message-stream--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .message-stream--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .message-stream--placeholder { color: $text-muted; text-style: italic; }
        & > .message-stream--status { color: $text-accent; text-style: italic; }
    }
    """

    class PageWanted(TextualMessage):
        """The stream needs ``count`` records of ``topic``/``partition`` from ``offset`` (answer with add_page)."""

        def __init__(self, stream: MessageStream, topic: str, partition: int, offset: int, count: int,
                     generation: int) -> None:
            super().__init__()
            self.stream = stream
            self.topic = topic
            self.partition = partition
            self.offset = offset
            self.count = count
            self.generation = generation

        @property
        def control(self) -> MessageStream:
            """The stream that wants the page."""
            return self.stream

    class RecordHighlighted(TextualMessage):
        """The cursor is on ``record`` (None on a row not loaded yet or an empty view)."""

        def __init__(self, stream: MessageStream, record: Message | None) -> None:
            super().__init__()
            self.stream = stream
            self.record = record

        @property
        def control(self) -> MessageStream:
            """The stream whose cursor moved."""
            return self.stream

    class DetailRequested(TextualMessage):
        """The user asked to see the record under the cursor in full (``enter``)."""

        def __init__(self, stream: MessageStream) -> None:
            super().__init__()
            self.stream = stream

        @property
        def control(self) -> MessageStream:
            """The stream the user pressed enter in."""
            return self.stream

    def __init__(self, *, page_size: int = 200, max_pages: int = 50, tail_capacity: int = 50_000,
                 name: str | None = None, id: str | None = None, classes: str | None = None,
                 disabled: bool = False) -> None:
        """A stream with nothing to show yet; call :meth:`set_browse` or :meth:`set_tail`."""
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.page_size = page_size
        self.max_pages = max_pages
        self.tail_capacity = tail_capacity
        self._ready = False
        self._mode = StreamMode.IDLE
        self._model: BrowseModel | FilteredModel | TailModel | None = None
        self._topic = ""
        self._partitions: tuple[int, ...] = ()
        self._filter_text: str | None = None
        self._stale_age: float | None = None
        self._generation = 0
        self._cursor = 0
        self._following = False
        self._pending_new = 0
        self._programmatic_scroll = False
        # Rendered rows are cached as segment lists and wrapped in a new Strip for each paint: Textual
        # hangs its own derived strips off a Strip, and keeping those alive made the garbage collector's
        # full passes (tens of ms each) come often while the tail runs.
        self._line_cache: LRUCache[tuple, list[Segment]] = LRUCache(LINE_CACHE_SIZE)
        # A row's text before the cursor or the focus styles it: the costly part of a row (previews cut to
        # whole graphemes), kept across focus changes and cursor moves, which only restyle it.
        self._row_texts: LRUCache[tuple[int, int, int, int, int], tuple[Message, Text]] = LRUCache(LINE_CACHE_SIZE)
        self._styles: dict[str, Style] = {}
        self._titles_shown: tuple[str, str | None, bool] | None = None
        self._header_cache: tuple[int, Strip] | None = None
        self._value_preview: Callable[[bytes], str | None] | None = None
        self._page_timer: Timer | None = None
        self._page_check_since = 0.0
        self._page_check_queued = False
        self._highlight_timer: Timer | None = None
        self._last_highlight_at = 0.0
        self._last_highlighted: tuple[int, Message | None] | None = None

    # -- public state --------------------------------------------------------------------------------------
    @property
    def mode(self) -> StreamMode:
        """``idle``, ``browse`` (plain or filtered) or ``tail``; compares equal to those strings."""
        return self._mode

    @property
    def filtered(self) -> bool:
        """True in a filtered browse (rows are the matches of a server-side filter)."""
        return isinstance(self._model, FilteredModel)

    @property
    def generation(self) -> int:
        """Bumped by every set_browse / set_tail (and filtered jumps); pages of older generations are dropped."""
        return self._generation

    @property
    def following(self) -> bool:
        """True while the tail keeps the newest record in view."""
        return self._mode is StreamMode.TAIL and self._following

    @property
    def pending_new(self) -> int:
        """Records that arrived in the tail since following stopped."""
        return self._pending_new if self._mode is StreamMode.TAIL and not self._following else 0

    @property
    def topic(self) -> str:
        """Topic shown."""
        return self._topic

    @property
    def filter_text(self) -> str | None:
        """The server-side filter the rows passed (filtered browse or filtered tail), or None."""
        return self._filter_text if self._mode is not StreamMode.IDLE else None

    @property
    def stale_age(self) -> float | None:
        """Seconds the rows have not been refreshed while the connection is down (None: fresh)."""
        return self._stale_age

    def set_stale(self, age: float | None) -> None:
        """Mark the rows as not fresh (``age`` seconds since the last successful read) or fresh again (None).

        In the live tail this replaces "following ▸ N received", which must not look live while nothing
        can arrive.
        """
        if age is None and self._stale_age is None:
            return
        self._stale_age = age
        self._update_titles()

    def first_offsets(self) -> dict[int, int]:
        """The lowest offset held for each partition in the tail buffer (empty outside the tail)."""
        model = self._model
        return model.first_offsets() if isinstance(model, TailModel) else {}

    @property
    def cursor_row(self) -> int:
        """Row of the cursor (0-based, in the current model)."""
        return self._cursor

    @property
    def row_count(self) -> int:
        """Rows in the current model (offsets in browse, matches in filtered browse, records in the tail)."""
        return self._model.row_count if self._model is not None else 0

    @property
    def selected_record(self) -> Message | None:
        """The record under the cursor, or None when it is not loaded (or there is none)."""
        return self._record(self._cursor)

    @property
    def model(self) -> BrowseModel | FilteredModel | TailModel | None:
        """The row model in use (for tests and diagnostics)."""
        return self._model

    def visible_records(self) -> list[Message]:
        """The loaded records on screen, top to bottom (what "export the current view" exports)."""
        first, last = self._visible_range()
        records = [self._record(row) for row in range(first, last + 1)]
        return [record for record in records if record is not None]

    def loaded_records(self) -> list[Message]:
        """Every record the view holds in memory, in row order (tail buffer, cached pages or matches)."""
        return self._model.loaded_records() if self._model is not None else []

    # -- switching models ----------------------------------------------------------------------------------
    def set_browse(self, topic: str, partition: int, low: int, high: int, start_offset: int | None = None,
                   *, filter_text: str | None = None) -> int:
        """Browse ``partition`` of ``topic`` (offsets ``low..high-1``) with the cursor on ``start_offset``.

        With ``filter_text`` the rows are the records a server-side filter matches, scanned from
        ``start_offset``. Returns the new generation (PageWanted messages carry it).
        """
        self._generation += 1
        self._mode = StreamMode.BROWSE
        self._topic = topic
        self._partitions = (partition,)
        self._filter_text = filter_text
        start = low if start_offset is None else start_offset
        if filter_text is not None:
            self._model = FilteredModel(topic, partition, max(low, min(start, high)), high,
                                        page_size=self.page_size, low=low)
            cursor = 0
        else:
            self._model = BrowseModel(topic, partition, low, high, page_size=self.page_size,
                                      max_pages=self.max_pages)
            cursor = self._model.row_of(start)
        self._reset_view(cursor, center=True)
        return self._generation

    def set_tail(self, topic: str, partitions: Sequence[int] | int = (), *, filter_text: str | None = None) -> int:
        """Tail ``topic`` (``partitions``: their ids or count, for the title) following the newest record.

        ``filter_text`` names the server-side filter the live records passed (shown in the title). Returns
        the new generation; pass it to :meth:`append_live` to have stale batches dropped.
        """
        self._generation += 1
        self._mode = StreamMode.TAIL
        self._topic = topic
        self._partitions = tuple(range(partitions)) if isinstance(partitions, int) else tuple(partitions)
        self._filter_text = filter_text
        self._model = TailModel(self.tail_capacity)
        self._following = True
        self._pending_new = 0
        self._reset_view(0)
        return self._generation

    def clear(self) -> None:
        """Show nothing (and drop any page still on its way)."""
        self._generation += 1
        self._mode = StreamMode.IDLE
        self._model = None
        self._topic = ""
        self._reset_view(0)

    def _reset_view(self, cursor: int, center: bool = False) -> None:
        self._line_cache.clear()
        self._header_cache = None
        self._cursor = cursor
        self._last_highlighted = None
        self._update_virtual_size()
        if center:
            self._scroll_to_row(max(0, cursor - self._visible_height() // 3))
        else:
            self._scroll_to_row(0)
        self._scroll_cursor_into_view()
        self._cursor_moved()
        self._update_titles()
        self._schedule_page_check(immediate=True)
        self.refresh()

    # -- feeding -------------------------------------------------------------------------------------------
    def add_page(self, generation: int, partition: int, first_offset: int, records: Iterable[Message],
                 next_offset: int | None = None) -> bool:
        """Deliver records asked for by a PageWanted; False (and nothing changes) if the page is stale.

        ``next_offset`` is where the fetch would continue (FetchResult.next_offset); offsets before it
        without a record are shown as gaps, and in a filtered browse the scan goes on from there.
        """
        model = self._model
        if generation != self._generation or self._mode is not StreamMode.BROWSE or model is None:
            return False
        if isinstance(model, TailModel) or partition != model.partition:
            return False
        records = records if isinstance(records, (list, tuple)) else list(records)
        before = self.row_count
        if isinstance(model, FilteredModel):
            if model.add_page(first_offset, records, next_offset) < 0:
                return False
            if model.row_count != before:
                self._update_virtual_size()
        else:
            model.add_page(first_offset, records, next_offset)
        if self._last_highlighted is None or self._last_highlighted[1] is None:
            self._cursor_moved()
        self._update_titles()
        self._schedule_page_check(immediate=True)
        self.refresh()
        return True

    def set_value_preview(self, previewer: Callable[[bytes], str | None] | None) -> None:
        """Show values through ``previewer`` (a registered schema's one-line decoding; None: it cannot), or
        as text/hex again when ``previewer`` is None."""
        if previewer is self._value_preview:
            return
        self._value_preview = previewer
        self._line_cache.clear()
        self._row_texts.clear()
        self.refresh()

    def set_high_watermark(self, high: int) -> None:
        """The partition grew (browse): more rows below; in a filtered browse the scan may go on."""
        model = self._model
        if isinstance(model, BrowseModel):
            if high != model.high:
                model.set_high(high)
                self._line_cache.clear()
                self._update_virtual_size()
        elif isinstance(model, FilteredModel):
            model.high = max(model.high, high)
        else:
            return
        self._update_titles()
        self._schedule_page_check(immediate=True)
        self.refresh()

    def append_live(self, records: Sequence[Message], generation: int | None = None) -> None:
        """Add a batch of live records (tail mode; ignored otherwise or when ``generation`` is stale).

        Costs O(len(records)) and one refresh. While following, the newest record stays in view; otherwise
        the view keeps its place and :attr:`pending_new` counts the arrivals.
        """
        model = self._model
        if self._mode is not StreamMode.TAIL or not isinstance(model, TailModel):
            return
        if generation is not None and generation != self._generation:
            return
        if not isinstance(records, (list, tuple)):
            records = list(records)
        if not records:
            return
        shift = model.append(records)
        self._update_virtual_size()
        if self._following:
            self._cursor = model.row_count - 1
            self._scroll_to_row(self._max_row_scroll())
            self._cursor_moved()
        else:
            self._pending_new += len(records)
            if shift:
                # older rows left the buffer: keep the same records under the eyes
                self._cursor = max(0, self._cursor - shift)
                self._scroll_to_row(max(0, self.scroll_offset.y - shift))
                if self._cursor == 0:
                    self._cursor_moved()
        self._update_titles()
        self.refresh()

    # -- navigation ----------------------------------------------------------------------------------------
    def jump_to_offset(self, offset: int) -> None:
        """Put the cursor on ``offset`` (browse); in a filtered browse restart the scan from there."""
        model = self._model
        if isinstance(model, BrowseModel):
            self._move_cursor(model.row_of(offset), center=True)
        elif isinstance(model, FilteredModel):
            self.set_browse(self._topic, model.partition, model.low, model.high, offset,
                            filter_text=self._filter_text)

    def move_cursor(self, row: int) -> None:
        """Put the cursor on ``row`` (clamped) and scroll it into view."""
        self._move_cursor(row)

    def action_cursor_up(self) -> None:
        """Cursor one row up (stops following)."""
        self._move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        """Cursor one row down."""
        self._move_cursor(self._cursor + 1)

    def action_cursor_page_up(self) -> None:
        """Cursor one screen up."""
        self._move_cursor(self._cursor - max(1, self._visible_height() - 1), page=True)

    def action_cursor_page_down(self) -> None:
        """Cursor one screen down."""
        self._move_cursor(self._cursor + max(1, self._visible_height() - 1), page=True)

    def action_cursor_first(self) -> None:
        """Cursor on the first row."""
        self._move_cursor(0)

    def action_request_detail(self) -> None:
        """``enter``: ask for the record detail."""
        self.post_message(self.DetailRequested(self))

    def action_cursor_last(self) -> None:
        """Cursor on the last row; in the tail this resumes following."""
        if self._mode is StreamMode.TAIL:
            self.follow()
        else:
            self._move_cursor(self.row_count - 1)

    def follow(self) -> None:
        """Resume following the newest record (tail mode)."""
        if self._mode is not StreamMode.TAIL:
            return
        self._following = True
        self._pending_new = 0
        self._move_cursor(self.row_count - 1)
        self._scroll_to_row(self._max_row_scroll())

    def _move_cursor(self, row: int, *, center: bool = False, page: bool = False) -> None:
        last = max(self.row_count - 1, 0)
        row = min(max(row, 0), last)
        if self._mode is StreamMode.TAIL:
            if row < last or self.row_count == 0:
                self._stop_following()
        old = self._cursor
        self._cursor = row
        if page:
            delta = row - old
            self._scroll_to_row(self.scroll_offset.y + delta)
        if center:
            self._scroll_to_row(max(0, row - self._visible_height() // 3))
        self._scroll_cursor_into_view()
        if old != row:
            self._refresh_row(old)
            self._refresh_row(row)
            self._cursor_moved()
        self._update_titles()
        self._schedule_page_check()

    def _stop_following(self) -> None:
        if self._following:
            self._following = False
            self._pending_new = 0
            self._update_titles()

    def on_click(self, event: events.Click) -> None:
        """A click on a row selects it."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        row = self.scroll_offset.y + offset.y - 1
        if row < self.row_count:
            self.focus()
            self._move_cursor(row)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Repaint on scroll; a user scrolling up stops following; missing pages are asked for."""
        super().watch_scroll_y(old_value, new_value)
        if not self._programmatic_scroll and new_value < old_value and self._mode is StreamMode.TAIL:
            self._stop_following()
        self._schedule_page_check()

    def on_resize(self, event: events.Resize) -> None:
        """Keep the newest row in view while following; a taller view may need more pages."""
        self._line_cache.clear()
        self._header_cache = None
        if self.following:
            self._scroll_to_row(self._max_row_scroll())
        else:
            self._scroll_cursor_into_view()
        self._schedule_page_check(immediate=True)
        self._update_titles()  # the topic's share of the title follows the width

    def on_mount(self) -> None:
        """Show the title and ask for what the first screen needs."""
        self._ready = True
        self._update_titles()
        self._cursor_moved()
        self._schedule_page_check(immediate=True)

    def on_focus(self, event: events.Focus) -> None:
        """The cursor style depends on focus."""
        self._line_cache.clear()
        self._styles.clear()
        self.refresh()

    def on_blur(self, event: events.Blur) -> None:
        """The cursor style depends on focus."""
        self._line_cache.clear()
        self._styles.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        """Theme or CSS changed: rendered lines are stale."""
        super().notify_style_update()
        self._line_cache.clear()
        self._styles.clear()
        self._header_cache = None

    def _style(self, component: str = "") -> Style:
        """The widget's rich style, plus a component class's (looked up once, until styles change)."""
        style = self._styles.get(component)
        if style is None:
            style = self.rich_style
            if component:
                style = style + self.get_component_rich_style(component)
            self._styles[component] = style
        return style

    # -- geometry ------------------------------------------------------------------------------------------
    def _has_status_row(self) -> bool:
        return self._mode is StreamMode.BROWSE

    def _update_virtual_size(self) -> None:
        rows = self.row_count + 1 + (1 if self._has_status_row() else 0)  # + header (+ status line)
        set_virtual_size(self, Size(0, rows))

    def _visible_height(self) -> int:
        """Rows of records that fit under the header."""
        return max(1, self.scrollable_content_region.height - 1)

    def _max_row_scroll(self) -> int:
        rows = self.row_count + (1 if self._has_status_row() else 0)
        return max(0, rows - self._visible_height())

    def _visible_range(self) -> tuple[int, int]:
        first = self.scroll_offset.y
        return first, min(first + self._visible_height() - 1, self.row_count - 1)

    def _scroll_to_row(self, row: int) -> None:
        self._programmatic_scroll = True
        try:
            self.scroll_to(y=max(0, row), animate=False, force=True)
        finally:
            self._programmatic_scroll = False

    def _scroll_cursor_into_view(self) -> None:
        top = self.scroll_offset.y
        height = self._visible_height()
        row = self._cursor
        bottom_needed = row + (1 if self._has_status_row() and row >= self.row_count - 1 else 0)
        if row < top:
            self._scroll_to_row(row)
        elif bottom_needed > top + height - 1:
            self._scroll_to_row(bottom_needed - height + 1)

    # -- highlight messages (throttled) --------------------------------------------------------------------
    def _cursor_moved(self) -> None:
        if self._highlight_timer is not None:
            return  # the pending timer will post the latest
        interval = HIGHLIGHT_INTERVAL_FOLLOWING if self.following else HIGHLIGHT_INTERVAL
        wait = interval - (time.monotonic() - self._last_highlight_at)
        if not self._ready:
            return  # on_mount posts it
        if wait <= 0:
            self._post_highlight()
        else:
            self._highlight_timer = self.set_timer(wait, self._post_highlight)

    def _post_highlight(self) -> None:
        self._highlight_timer = None
        record = self.selected_record
        key = (self._cursor, record)
        if self._last_highlighted == key:  # the same row and an equal record: nothing new to show
            return
        self._last_highlighted = key
        self._last_highlight_at = time.monotonic()
        self.post_message(self.RecordHighlighted(self, record))

    # -- page requests (debounced) -------------------------------------------------------------------------
    def _schedule_page_check(self, immediate: bool = False) -> None:
        if self._mode is not StreamMode.BROWSE or not self._ready:
            return
        if immediate:
            if not self._page_check_queued:
                self._page_check_queued = True
                self.call_later(self._check_pages)
            return
        if self._page_timer is not None or self._page_check_queued:
            return  # a look is already due: it will see where the view is by then
        wait = self._page_check_since + PAGE_CHECK_INTERVAL - time.monotonic()
        if wait <= 0:
            self._page_check_queued = True
            self.call_later(self._check_pages)
        else:
            self._page_timer = self.set_timer(wait, self._page_timer_fired)

    def _page_timer_fired(self) -> None:
        self._page_timer = None
        self._check_pages()

    def _check_pages(self) -> None:
        self._page_check_queued = False
        self._page_check_since = time.monotonic()
        model = self._model
        generation = self._generation
        first, last = self._visible_range()
        if isinstance(model, BrowseModel):
            model.touch(first, last)
            margin = self.page_size // 2
            wanted = model.missing_pages(first, last)
            wanted += model.missing_pages(min(first, self._cursor) - margin, max(last, self._cursor) + margin,
                                          limit=max(0, 4 - len(wanted)))
            for offset, count in wanted:
                self.post_message(self.PageWanted(self, self._topic, model.partition, offset, count, generation))
            if wanted:
                self._update_titles()
        elif isinstance(model, FilteredModel):
            request = model.want_more(max(last, self._cursor))
            if request is not None:
                offset, count = request
                self.post_message(self.PageWanted(self, self._topic, model.partition, offset, count, generation))
                self._update_titles()

    # -- titles --------------------------------------------------------------------------------------------
    def _update_titles(self) -> None:
        model = self._model
        title = Text(end="")
        subtitle = Text(end="")
        if model is None:
            self._set_titles(Text("no topic"), None)
            return
        if isinstance(model, BrowseModel):
            title.append(f" ▸ p{model.partition}")
            if model.row_count:
                title.append(f" ▸ offset {model.offset_of(self._cursor):,} of {model.low:,}..{model.high:,}")
            else:
                title.append(f" ▸ empty ({model.low:,}..{model.high:,})")
            if model.row_count == 0 or self._cursor >= model.row_count - 1:
                subtitle.append(f"end of partition at offset {model.high:,}")
            elif model.in_flight:
                subtitle.append(f"loading {model.in_flight} page{'s' if model.in_flight > 1 else ''}…")
        elif isinstance(model, FilteredModel):
            title.append(f" ▸ p{model.partition} ▸ filter ")
            title.append_text(_title_part(self._filter_text or "", TITLE_FILTER_MAX))
            more = "" if model.exhausted or model.full else "+"
            position = f"{self._cursor + 1:,}" if model.row_count else "0"
            title.append(f" ▸ match {position} of {model.row_count:,}{more}")
            subtitle.append(self._filter_status(model))
        else:
            count = len(self._partitions)
            title.append(" ▸ live")
            if self._filter_text is None:  # (filtered, the title has no room for the count)
                title.append(f" ▸ {count} partition{'s' if count != 1 else ''}")
            received = "received"
            if self._filter_text is not None:
                title.append(" ▸ filter ")
                title.append_text(_title_part(self._filter_text, TITLE_FILTER_MAX))
                position = f"{self._cursor + 1:,}" if model.row_count else "0"
                title.append(f" ▸ match {position} of {model.row_count:,}")
                received = "matches"
            if self._stale_age is not None:
                subtitle.append(f"‖ {stale_label(self._stale_age)}", STALE_STYLE)
                subtitle.append(f" ▸ {model.total:,} {received} before the connection dropped; retrying")
            elif self._following:
                subtitle.append(f"following ▸ {model.total:,} {received}")
            else:
                subtitle.append(f"▼ {self._pending_new:,} new — press End to follow")
        if self._stale_age is not None and not isinstance(model, TailModel):
            if subtitle.plain:
                subtitle.append(" · ")
            subtitle.append(stale_label(self._stale_age), "bold black on yellow")
        # the topic gets what the rest leaves of the border (the position and the filter matter more)
        room = self.size.width - 6 - title.cell_len
        limit = max(TITLE_TOPIC_MIN, min(TITLE_TOPIC_MAX, room)) if self.size.width else TITLE_TOPIC_MAX
        topic = _title_part(self._topic, limit)
        self._set_titles(topic + title, subtitle if subtitle.plain else None)

    def _set_titles(self, title: Text, subtitle: Text | None) -> None:
        """Set the border title and subtitle when they changed (each set repaints the border)."""
        key = (title.plain, subtitle.plain if subtitle is not None else None, self._stale_age is not None)
        if key != self._titles_shown:
            self._titles_shown = key
            self.border_title = title
            self.border_subtitle = subtitle

    @staticmethod
    def _filter_status(model: FilteredModel) -> str:
        if model.full:
            return f"stopped after {model.row_count:,} matches at offset {model.next_offset:,} — narrow the filter"
        if model.exhausted:
            return f"end of partition at offset {model.high:,}"
        return f"scanning… offset {model.next_offset:,} of {model.high:,}"

    # -- rendering -----------------------------------------------------------------------------------------
    def _record(self, row: int) -> Message | None:
        model = self._model
        if model is None or not 0 <= row < model.row_count:
            return None
        record = model.record_at(row)
        return None if record is GAP else record

    def _refresh_row(self, row: int) -> None:
        self.refresh_line(row + 1)  # virtual line of a row: one below it, for the header

    def _columns(self, width: int) -> tuple[int, int, int, int, int]:
        """Widths of partition, offset, key, value and size columns (single spaces between them)."""
        part, size = 4, 10
        offset = 8 if width < 70 else 10  # a narrow stream keeps its room for the key and the value
        key = min(24, max(9, width // 8))
        value = max(1, width - part - offset - key - size - 4)
        return part, offset, key, value, size

    def render_line(self, y: int) -> Strip:
        """Render one line of the content area: the header at y=0, then the rows under the scroll."""
        width = self.scrollable_content_region.width
        if y == 0:
            return self._render_header(width)
        row = self.scroll_offset.y + y - 1
        return self._render_row(row, width)

    def _render_header(self, width: int) -> Strip:
        if self._header_cache is not None and self._header_cache[0] == width:
            return self._header_cache[1]
        part, offset, key, value, size = self._columns(width)
        style = self._style("message-stream--header")
        line = f"{'P':>{part}} {'OFFSET':>{offset}} {'KEY':<{key}} {'VALUE':<{value}} {'SIZE':>{size}}"
        text = Text(line, no_wrap=True, end="")
        text.truncate(width, pad=True)
        text.stylize_before(style)
        strip = Strip(text.render(self.app.console), width)
        self._header_cache = (width, strip)
        return strip

    def _render_row(self, row: int, width: int) -> Strip:
        model = self._model
        base = self._style()
        if model is None or row < 0:
            return Strip.blank(width, base)
        if row >= model.row_count:
            if row == model.row_count and self._has_status_row():
                return self._render_status(width)
            return Strip.blank(width, base)
        selected = row == self._cursor
        if isinstance(model, TailModel):
            cache_key: tuple = ("t", model.base + row, width, selected)
        elif isinstance(model, BrowseModel):
            cache_key = ("b", row, width, selected)
        else:
            cache_key = ("f", row, width, selected)
        segments = self._line_cache.get(cache_key)
        if segments is not None:
            return Strip(segments, width)
        record = model.record_at(row)
        style = self._style("message-stream--cursor") if selected else base
        if record is None or record is GAP:
            text = self._placeholder_text(model, row, width, style, gap=record is GAP)
            segments = list(text.render(self.app.console))
            if record is GAP:
                self._line_cache[cache_key] = segments
            return Strip(segments, width)
        segments = list(self._row_text(record, width, style).render(self.app.console))
        self._line_cache[cache_key] = segments
        return Strip(segments, width)

    def _placeholder_text(self, model: BrowseModel | FilteredModel | TailModel, row: int, width: int, style: Style,
                          gap: bool) -> Text:
        part, offset, key, _, _ = self._columns(width)
        muted = self._style("message-stream--placeholder")
        text = Text(no_wrap=True, end="")
        if isinstance(model, BrowseModel):
            text.append(f"{model.partition:>{part}} {number(model.offset_of(row)):>{offset}} {'':<{key}} ")
        text.append(_GAP_TEXT if gap else _PLACEHOLDER, muted)
        text.truncate(width, pad=True)
        text.stylize_before(style)
        return text

    def _row_text(self, record: Message, width: int, style: Style) -> Text:
        # The models hand out a new Message over the same key and value objects each time: those objects
        # (alive while the cache holds the record) say which record it is.
        key = (record[1], record[2], id(record[3]), id(record[4]), width)
        kept = self._row_texts.get(key)
        if kept is not None and kept[0][3] is record[3] and kept[0][4] is record[4]:
            text = kept[1].copy()
        else:
            text = self._plain_row_text(record, width)
            self._row_texts.set(key, (record, text.copy()))
        text.stylize_before(style)
        return text

    def _plain_row_text(self, record: Message, width: int) -> Text:
        part, offset, key_width, value_width, size = self._columns(width)
        key = record[3]
        value = record[4]
        text = Text(no_wrap=True, end="")
        text.append(f"{record[1]:>{part}} {number(record[2]):>{offset}} ")
        key_text = preview(key, key_width)
        key_text.truncate(key_width, pad=True)
        text.append_text(key_text)
        text.append(" ")
        shown = self._value_preview(value) if self._value_preview is not None and value else None
        if shown is not None:
            value_text = visible_text(shown)
            value_text.no_wrap = True
            value_text.truncate(value_width, overflow="ellipsis", pad=True)
        else:
            value_text = preview(value, value_width)
            value_text.truncate(value_width, pad=True)
        text.append_text(value_text)
        text.append(f" {human_size(len(value)):>{size}}")
        text.truncate(width, pad=True)
        return text

    def _render_status(self, width: int) -> Strip:
        model = self._model
        style = self._style("message-stream--status")
        if isinstance(model, FilteredModel):
            message = self._filter_status(model)
        elif isinstance(model, BrowseModel):
            message = (f"— partition is empty (offsets {model.low:,}..{model.high:,}) —" if model.row_count == 0
                       else f"— end of partition at offset {model.high:,} —")
        else:
            message = ""
        text = Text(message, no_wrap=True, end="")
        text.truncate(width, pad=True)
        text.stylize_before(style)
        return Strip(text.render(self.app.console), width)
