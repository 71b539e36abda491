"""Refreshing a DataTable by the cells that changed, a bounded batch at a time.

A refresh of a big cluster used to rewrite every cell of the groups and partitions tables (13,000 rows, ~91k
``update_cell``), and each ``update_cell`` schedules a repaint: seconds of UI thread during which no key was
handled. :class:`CellUpdater` remembers what each cell shows (text and style), updates only the cells that
differ, and applies at most :data:`BATCH` of them per turn of the event loop, so key presses are handled in
between however much changed. A cell given as the very ``Text`` object it was given last time is taken as
unchanged without looking at it (the panes reuse the objects of rows whose data did not change), so a refresh
costs what changed, not the size of the table. Rows far from the screen (more than a screen's height above
or below it) are not even looked at: their newest cells wait until the table scrolls near them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext

from rich.text import Text
from textual.geometry import Region
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowDoesNotExist, RowKey
from typing_extensions import Self

BATCH = 150
"""Cells updated per turn of the event loop (~15 ms of UI thread on a busy machine)."""

Signature = tuple[str, str]


def cell_signature(cell: Text) -> Signature:
    """What a cell looks like: its text and its styles (two cells with equal signatures render the same)."""
    return cell.plain, f"{cell.style}|{cell.justify}|" + ",".join(map(str, cell.spans))


class OneRepaintTable(DataTable[Text]):
    """A DataTable that repaints once for a batch of cell updates (:meth:`one_repaint`), not once per cell.

    ``update_cell`` asks for a repaint of the whole table each time, and each ask walks the widget tree to
    mark it dirty: for a few hundred cells that bookkeeping cost more than the cells themselves.
    """

    _repaint_held = False
    _repaint_wanted = False
    rows_shown: Callable[[], None] | None = None
    """Called when other rows may have come near the screen (it scrolled or was resized)."""

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """As DataTable's, then tell :attr:`rows_shown`."""
        super().watch_scroll_y(old_value, new_value)
        if self.rows_shown is not None and round(old_value) != round(new_value):
            self.rows_shown()

    def on_resize(self) -> None:
        """Tell :attr:`rows_shown` (a taller table shows more rows)."""
        if self.rows_shown is not None:
            self.rows_shown()

    _updating_row: RowKey | None = None

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: Text, *,
                    update_width: bool = False) -> None:
        """As DataTable's, but one cell changed outside a batch repaints its row only, not the whole table
        (the partitions pane's "reading" cell follows every move of the stream's cursor)."""
        if self._repaint_held or update_width:
            super().update_cell(row_key, column_key, value, update_width=update_width)
            return
        self._updating_row = RowKey(row_key) if isinstance(row_key, str) else row_key
        try:
            super().update_cell(row_key, column_key, value, update_width=update_width)
        finally:
            self._updating_row = None

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Self:
        """As DataTable's; a plain whole-table repaint asked while a batch runs is done once at its end, and
        one asked by :meth:`update_cell` for a single cell repaints that cell's row."""
        plain = not regions and repaint and not layout and not recompose
        if self._repaint_held and plain:
            self._repaint_wanted = True
            return self
        row_key, self._updating_row = self._updating_row, None
        row_index = self._row_locations.get(row_key) if row_key is not None and plain else None
        if row_index is not None:
            self.refresh_row(row_index)
            return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    @contextmanager
    def one_repaint(self) -> Iterator[None]:
        """Within this block, the table's whole-table repaints become one, done when the block ends."""
        if self._repaint_held:
            yield
            return
        self._repaint_held, self._repaint_wanted = True, False
        try:
            yield
        finally:
            self._repaint_held = False
            if self._repaint_wanted:
                self.refresh()


class CellUpdater:
    """Keeps a DataTable in step with rows of cells, touching only what changed (see the module docstring).

    ``columns`` are the table's column keys, in the order of each row's cells.
    """

    def __init__(self, table: DataTable, columns: Sequence[str]) -> None:
        self.table = table
        self.columns = tuple(columns)
        self.shown: dict[str, list[Signature]] = {}
        self._given: dict[str, Sequence[Text]] = {}  # the cells last given per row (same objects: unchanged)
        self._pending: list[tuple[str, int, Text, Signature]] = []
        self._scheduled = False
        self._far: dict[str, Sequence[Text]] = {}  # newest cells of rows far from the screen, not looked at yet
        if isinstance(table, OneRepaintTable):
            table.rows_shown = self.show_near

    @property
    def pending(self) -> int:
        """Cell updates not applied yet."""
        return len(self._pending)

    def rebuild(self, rows: Sequence[tuple[str, Sequence[Text]]]) -> None:
        """Replace every row (the set or order of rows changed)."""
        table = self.table
        self._pending = []
        self.shown = {}
        self._given = {}
        self._far = {}
        table.clear()
        for key, cells in rows:
            table.add_row(*cells, key=key)
            self.shown[key] = [cell_signature(cell) for cell in cells]
            self._given[key] = cells

    def update(self, rows: Sequence[tuple[str, Sequence[Text]]]) -> None:
        """Bring the same rows (in the table's order) up to date: queue the cells whose look changed and start
        applying them; rows far from the screen wait until it comes near (see the module docstring).

        Updates still queued from an earlier call are dropped: these rows supersede them.
        """
        given = self._given
        for key, _, _, _ in self._pending:  # dropped before they were shown: look at those rows again
            given.pop(key, None)
        window = self._window()
        near = []
        for position, (key, cells) in enumerate(rows):
            if window is not None and not window[0] <= position < window[1]:
                self._far[key] = cells
            else:
                self._far.pop(key, None)
                near.append((key, cells))
        self._pending = self._changed(near)
        self._apply()

    def show_near(self) -> None:
        """Look at the rows whose cells waited (far from the screen) and are near it now."""
        if not self._far:
            return
        window = self._window()
        near = []
        for key in list(self._far):
            try:
                position = self.table.get_row_index(key)
            except RowDoesNotExist:
                del self._far[key]
                continue
            if window is None or window[0] <= position < window[1]:
                near.append((key, self._far.pop(key)))
        if near:
            self._pending.extend(self._changed(near))
            self._apply()

    def _window(self) -> tuple[int, int] | None:
        """The rows worth updating now, ``[first, end)``: those on screen and a screen's height either side
        (None before the table has a size: every row)."""
        height = self.table.size.height
        if height <= 0:
            return None
        top = round(self.table.scroll_y)
        return max(0, top - height), top + 2 * height

    def _changed(self, rows: Sequence[tuple[str, Sequence[Text]]]) -> list[tuple[str, int, Text, Signature]]:
        """The cells of ``rows`` whose look differs from what the table shows."""
        given = self._given
        pending = []
        for key, cells in rows:
            before = self.shown.get(key)
            last = given.get(key)
            given[key] = cells
            if last is cells:
                continue
            for index, cell in enumerate(cells):
                if last is not None and last[index] is cell:
                    continue
                signature = cell_signature(cell)
                if before is None or before[index] != signature:
                    pending.append((key, index, cell, signature))
        return pending

    def set_cell(self, key: str, column: str, cell: Text) -> None:
        """Update one cell now (and remember it); a row that is gone is ignored."""
        index = self.columns.index(column)
        self._given.pop(key, None)  # the row no longer shows what it was last given
        waiting = self._far.get(key)
        if waiting is not None:  # the row's waiting cells must not bring the old value back
            self._far[key] = [*waiting[:index], cell, *waiting[index + 1:]]
        try:
            self.table.update_cell(key, column, cell)
        except CellDoesNotExist:
            return
        self.shown.setdefault(key, [("", "")] * len(self.columns))[index] = cell_signature(cell)

    def _apply(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending[:BATCH], self._pending[BATCH:]
        table = self.table
        with table.one_repaint() if isinstance(table, OneRepaintTable) else nullcontext():
            for key, index, cell, signature in batch:
                try:
                    table.update_cell(key, self.columns[index], cell)
                except CellDoesNotExist:  # the row went away since (a rebuild came in between)
                    continue
                self.shown.setdefault(key, [("", "")] * len(self.columns))[index] = signature
        if self._pending and not self._scheduled:
            self._scheduled = True
            table.call_later(self._apply)
