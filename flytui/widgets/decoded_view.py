"""A Line-API viewer for decoded content: renders only the lines on screen, so a 10 MB value scrolls freely.

``DecodedView`` shows a :class:`flytui.decode.Lines` source (what ``decode_value(...).lines`` returns). Text
and JSON soft-wrap at the view's width; hex dumps and base64 keep their lines and scroll sideways.

Usage::

    view = DecodedView()
    view.show(decode_value(record.value, "auto").lines)
    view.show(None)                      # empty
"""

from __future__ import annotations

from rich.cells import chop_cells
from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from flytui.decode import Lines, TextBlock
from flytui.widgets._scrolling import set_virtual_size

__all__ = ["DecodedView"]

MAX_WRAPPED_LINES = 200_000
"""Sources with more lines than this are not soft-wrapped (building the row index would take too long)."""


class DecodedView(ScrollView):
    """Shows a :class:`~flytui.decode.Lines` source line by line, soft-wrapping text to the view's width."""

    DEFAULT_CSS = """
    DecodedView {
        height: 1fr;
        min-height: 3;
        overflow: auto;
        background: $surface;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        """An empty view."""
        super().__init__(name=name, id=id, classes=classes)
        self._lines: Lines = TextBlock()
        self._rows: list[tuple[int, int, int]] | None = None  # (line, start, end) per row; None: 1 row/line
        self._rows_width = -1
        self._wrapping = False
        # segment lists, wrapped in a new Strip per paint (see MessageStream: fewer long-lived objects)
        self._strip_cache: LRUCache[tuple[int, int], list[Segment]] = LRUCache(256)
        self._line_cache: LRUCache[int, Text] = LRUCache(128)

    @property
    def lines(self) -> Lines:
        """The source shown."""
        return self._lines

    @property
    def row_count(self) -> int:
        """Screen rows the content takes at the current width."""
        return len(self._rows) if self._rows is not None else len(self._lines)

    def show(self, lines: Lines | None) -> None:
        """Show ``lines`` from the top (None: nothing)."""
        self._lines = lines if lines is not None else TextBlock()
        self._rows_width = -1
        self._strip_cache.clear()
        self._line_cache.clear()
        self._layout_rows()
        self.scroll_to(0, 0, animate=False, force=True)
        self.refresh()

    def _layout_rows(self) -> None:
        """Recompute rows for the current width (soft-wrapping when the source allows it)."""
        width = self.scrollable_content_region.width
        lines = self._lines
        self._strip_cache.clear()
        wrap = lines.wrap and width > 0 and len(lines) <= MAX_WRAPPED_LINES
        self._rows = None
        self._wrapping = False
        if wrap and lines.max_cell_length() > width:
            rows: list[tuple[int, int, int]] = []
            for index in range(len(lines)):
                if lines.cell_length(index) <= width:
                    rows.append((index, 0, -1))
                    continue
                start = 0
                for chunk in chop_cells(lines[index].plain, width):
                    rows.append((index, start, start + len(chunk)))
                    start += len(chunk)
            self._rows = rows
            self._wrapping = True
        self._rows_width = width
        content_width = width if self._wrapping or wrap else lines.max_cell_length()
        set_virtual_size(self, Size(content_width, self.row_count))

    def on_resize(self, event: events.Resize) -> None:
        """Re-wrap for the new width."""
        if self.scrollable_content_region.width != self._rows_width:
            self._layout_rows()

    def notify_style_update(self) -> None:
        """Theme changed: rendered lines are stale."""
        super().notify_style_update()
        self._strip_cache.clear()

    def _line(self, index: int) -> Text:
        text = self._line_cache.get(index)
        if text is None:
            text = self._line_cache[index] = self._lines[index]
        return text

    def render_line(self, y: int) -> Strip:
        """One screen row: a line of the source, or a wrapped piece of one."""
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.size.width
        style = self.rich_style
        if not 0 <= row < self.row_count:
            return Strip.blank(width, style)
        key = (row, self._rows_width)
        segments = self._strip_cache.get(key)
        if segments is None:
            if self._rows is None:
                text = self._line(row)
            else:
                index, start, end = self._rows[row]
                text = self._line(index)
                if end >= 0:
                    text = text[start:end]
            text = text.copy()
            text.end = ""
            text.no_wrap = True
            text.stylize_before(style)
            segments = self._strip_cache[key] = list(text.render(self.app.console))
        return Strip(segments).crop_extend(scroll_x, scroll_x + width, style)
