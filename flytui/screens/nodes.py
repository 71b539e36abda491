"""The nodes view: every server of the list read on its own, side by side.

Public API
----------
``NodesScreen()`` — a ``ModalScreen[None]`` that says it is reading until :meth:`NodesScreen.show_readings`
gets the :class:`~flytui.node_compare.NodeReading` of every node. One row per (topic, partition) with each
node's ``low-high`` watermarks, then one row per group partition with each node's committed offset; rows
where the nodes that answered disagree are marked ``≠``, and a node (or a cell) that could not be read shows
its own error in its own cell, and a DIFFERENCE column says how the nodes differ (``+1,200 records on
node-2``, ``missing on node-1``). ``esc`` / ``q`` close it, ``r`` reads the nodes again. Every string from the
server is shown as data, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from flytui.decode import visible_text
from flytui.node_compare import CompareRow, NodeReading, compare
from flytui.screens._dialog import Dialog, hint_line, title_line

__all__ = ["NodesScreen"]

_CELL_WIDTH = 26
_NOTE_WIDTH = 24


class NodesScreen(Dialog[None]):
    """What each node holds (see the module docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "cancel", "Close", show=False),
        Binding("r", "reread", "Read again", show=False),
    ]

    DEFAULT_CSS = """
    NodesScreen > .dialog-box {
        width: 96%;
        height: 90%;
    }
    NodesScreen #nodes-table {
        height: 1fr;
    }
    NodesScreen #nodes-summary {
        width: 100%;
        height: auto;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[CompareRow] = []

    def compose(self) -> ComposeResult:
        """Title, the summary line, the table, the hint."""
        with self.dialog_box():
            yield title_line("Nodes: what each server holds (FlyMQ does not replicate records or offsets)")
            yield Static(Text("Reading every node…", style="italic"), id="nodes-summary")
            # the row's name stays in view while the node columns scroll sideways (→ / ←)
            yield DataTable(id="nodes-table", cursor_type="row", zebra_stripes=True, fixed_columns=3)
            yield hint_line("esc / q: close · r: read again · ≠: the nodes disagree")

    def action_reread(self) -> None:
        """Read every node again."""
        self.query_one("#nodes-summary", Static).update(Text("Reading every node…", style="italic"))
        service = getattr(self.app, "service", None)
        if service is not None:
            service.compare_nodes()

    def show_readings(self, readings: Sequence[NodeReading]) -> None:
        """Fill the table from the readings (one column per node)."""
        self.rows = compare(readings)
        table = self.query_one("#nodes-table", DataTable)
        table.clear(columns=True)
        table.add_column("", width=1)
        table.add_column("TOPIC / GROUP", width=26)
        table.add_column("PART", width=5)
        table.add_column("DIFFERENCE", width=_NOTE_WIDTH)
        for reading in readings:
            table.add_column(visible_text(reading.label, style="bold"), width=_CELL_WIDTH)
        table.add_rows(self._cells(row) for row in self.rows)
        diverging = sum(row.diverges for row in self.rows)
        failed = [r.label for r in readings if r.error is not None]
        summary = Text(f"{len(readings)} nodes · {len(self.rows):,} rows · ")
        summary.append(f"{diverging:,} differ", "bold red" if diverging else "green")
        if failed:
            summary.append(" · not answering: ", "bold red")
            summary.append_text(visible_text(", ".join(failed)))
        self.query_one("#nodes-summary", Static).update(summary)

    @staticmethod
    def _cells(row: CompareRow) -> list[Text]:
        name = visible_text(row.topic) if row.group is None else visible_text(f"  {row.topic} · {row.group}",
                                                                              style="italic")
        cells = [Text("≠", "bold red") if row.diverges else Text(""), name, Text(str(row.partition),
                                                                                  justify="right"),
                 visible_text(row.difference, style="bold")]
        for text, failed in zip(row.cells, row.errors, strict=True):
            style = "red" if failed else ("bold yellow" if row.diverges else "")
            cells.append(visible_text(text, style=style))
        return cells
