"""A quicker way for a ``DataTable`` to draw a one-line ``Text`` cell, with the same result.

A DataTable draws every cell through Rich's general machinery (``Styled(Padding(cell))`` rendered by
``Console.render_lines``), about 90 µs a cell, and forgets every drawn cell whenever the table gains or loses
focus or any cell changes. The groups pane redraws a few hundred cells then, which put 100-300 ms between
a key (``3``, ``5``, ``s``) and its frame. Table cells in flytui are single-line ``Text``: for those, wrapping
the text to the cell, padding it and layering the table's styles directly gives the same segments (tested
against the general path) in about a third of the time. Anything else takes Textual's own path.

The DataTable also forgets every drawn cell when any one cell changes (its cache key holds a count of all
updates) and when the screen comes back from a dialog (a restyle). The drawn cells here are kept instead by
what decides them: the cell object itself (a changed cell is a new ``Text``: flytui never edits a cell in
place), its place, its width and the styles it is drawn with, so a refresh that changes ten cells draws ten
cells, and closing a dialog draws none.

This relies on private DataTable internals (the row and column maps, the styles of a cell);
``tests/test_fast_cells.py`` compares both paths so that a Textual change which breaks the equivalence fails a
test instead of drawing wrongly.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.widgets import DataTable

_JOIN = Text("\n")
KEPT_CELLS = 20_000
"""Drawn cells a table keeps (a few screens' worth of every state a cell can be drawn in)."""

CellKey = tuple[int, int, int, int, Style, Style, Style, int]


class FastTextCells(DataTable[Any]):
    """Mix into a ``DataTable`` subclass (before ``DataTable``) to draw one-line ``Text`` cells quickly."""

    _drawn_cells: LRUCache[CellKey, tuple[Text, list[list[Segment]]]] | None = None
    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        header = row_index == -1
        if row_index < -1 or column_index < 0 or self.cell_padding * 2 >= width or self.fixed_rows or self.fixed_columns:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        column_key = self._column_locations.get_key(column_index)
        cell: object
        if header:  # the column labels
            column = self.columns.get(column_key) if column_key is not None else None
            cell, height = (column.label if column is not None else None), self.header_height
        else:
            row_key = self._row_locations.get_key(row_index)
            row = self.rows.get(row_key) if row_key is not None else None
            cell = self._data.get(row_key, {}).get(column_key) if row_key is not None and column_key is not None else None
            height = row.height if row is not None else 0
        if not isinstance(cell, Text) or height != 1:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            header, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        key: CellKey = (id(cell), row_index, column_index, width, base_style, component_style, post_style,
                        self.cell_padding)
        drawn = self._drawn_cells
        if drawn is None:
            drawn = self._drawn_cells = LRUCache(KEPT_CELLS)
        kept = drawn.get(key)
        if kept is not None and kept[0] is cell:  # the id is the cell's own while the cache holds the cell
            return kept[1]
        if "\n" in cell.plain:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        lines = [render_text_cell(self.app.console, cell, width, self.cell_padding,
                                  base_style + Style.from_meta({"row": row_index, "column": column_index})
                                  + component_style, post_style)]
        drawn.set(key, (cell, lines))
        return lines


def render_text_cell(console: Console, cell: Text, width: int, padding: int, pre_style: Style, post_style: Style) -> list[Segment]:
    """One line of ``width`` cells: ``cell`` wrapped (without wrapping: cropped, justified) to the width inside
    ``padding`` spaces each side, ``pre_style`` under it and ``post_style`` over it, as the DataTable's
    ``Styled(Padding(cell, (0, padding)), pre_style, post_style)`` renders it with ``no_wrap`` and height 1."""
    inner = width - 2 * padding
    tab_size = console.tab_size if cell.tab_size is None else cell.tab_size
    lines = cell.wrap(console, inner, justify=cell.justify or "default", overflow=cell.overflow or "fold",
                      tab_size=tab_size or 8, no_wrap=True)
    side = Segment(" " * padding) if padding else None
    segments: list[Segment] = [side] if side else []
    segments.extend(_JOIN.join(lines).render(console, end=""))
    rest = inner - lines[0].cell_len if lines else inner
    if rest > 0:
        segments.append(Segment(" " * rest))
    elif rest < 0:
        segments = list(Segment.adjust_line_length(segments, padding + inner))
    if side:
        segments.append(side)
    return list(Segment.apply_style(segments, style=pre_style, post_style=post_style))
