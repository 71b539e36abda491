"""Refreshing a DataTable by the cells that changed, a bounded batch at a time.

A refresh of a big cluster used to rewrite every cell of the groups and partitions tables (13,000 rows, ~91k
``update_cell``), and each ``update_cell`` schedules a repaint: seconds of UI thread during which no key was
handled. :class:`CellUpdater` remembers what each cell shows (text and style), updates only the cells that
differ, and applies at most :data:`BATCH` of them per turn of the event loop, so key presses are handled in
between however much changed. A cell given as the very ``Text`` object it was given last time is taken as
unchanged without looking at it (the panes reuse the objects of rows whose data did not change), so a refresh
costs what changed, not the size of the table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext

from rich.text import Text
from textual.geometry import Region
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist
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

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Self:
        """As DataTable's; a plain whole-table repaint asked while a batch runs is done once at its end."""
        if self._repaint_held and not regions and repaint and not layout and not recompose:
            self._repaint_wanted = True
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
        table.clear()
        for key, cells in rows:
            table.add_row(*cells, key=key)
            self.shown[key] = [cell_signature(cell) for cell in cells]
            self._given[key] = cells

    def update(self, rows: Sequence[tuple[str, Sequence[Text]]]) -> None:
        """Bring the same rows up to date: queue the cells whose look changed and start applying them.

        Updates still queued from an earlier call are dropped: these rows supersede them.
        """
        given = self._given
        for key, _, _, _ in self._pending:  # dropped before they were shown: look at those rows again
            given.pop(key, None)
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
        self._pending = pending
        self._apply()

    def set_cell(self, key: str, column: str, cell: Text) -> None:
        """Update one cell now (and remember it); a row that is gone is ignored."""
        index = self.columns.index(column)
        self._given.pop(key, None)  # the row no longer shows what it was last given
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
