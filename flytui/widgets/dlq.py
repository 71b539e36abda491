"""The dead-letter pane: the records of ``<topic>.dlq`` (offset, id, original offset, reason, retries, last
failure, error). The one under the cursor is posted as :class:`DeadLettersPane.Highlighted`; the app shows it in
the record detail pane, envelope and payload decoded like any record.

Keys here: ``r`` replays the selected record, ``R`` replays all, ``D`` purges (the app asks first).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from pyflymq.models import DLQEntry
from pyflymq.models import Message as Record

from ..decode import preview, visible_text
from ..service import DLQRecord
from ._fast_cells import FastTextCells
from ._stale import StaleSubtitle
from ._vi_keys import vi_bindings

COLUMNS = (("Offset", "offset", 6), ("ID", "id", 10), ("Orig", "orig", 6), ("Reason", "reason", 20),
           ("Tries", "retries", 5), ("Last failed", "last", 19), ("Error", "error", 30))
FIXED = sum(width + 2 for _, key, width in COLUMNS if key != "error")


class DeadLettersTable(StaleSubtitle, FastTextCells):
    """The list of dead letters."""

    BINDINGS = vi_bindings()


class DeadLettersPane(Vertical):
    """Dead letters of the open topic, with the selected one's details."""

    class Highlighted(Message):
        """The dead letter under the cursor changed."""

        def __init__(self, record: DLQRecord | None) -> None:
            super().__init__()
            self.record = record

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.topic: str | None = None
        self.records: list[DLQRecord] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        """Table (or a state line) and detail."""
        yield Static("", id="dlq-message", markup=False)
        yield DeadLettersTable(id="dlq-table", cursor_type="row")

    @property
    def table(self) -> DeadLettersTable:
        """The list of dead letters."""
        return self.query_one(DeadLettersTable)

    def on_mount(self) -> None:
        """Create the columns."""
        for label, key, width in COLUMNS:
            self.table.add_column(Text(label, justify="right" if key in ("offset", "orig", "retries") else "left"),
                                  key=key, width=width)
        self.show_message("Open a topic to see its dead letters.")

    def on_resize(self) -> None:
        """Give the error column the width that is left."""
        self._fit_error_column()

    def _fit_error_column(self) -> None:
        table = self.table
        width = max(20, table.scrollable_content_region.width - FIXED - 3)
        for column in table.columns.values():
            if column.key.value == "error" and column.width != width:
                column.width = width
                table.refresh()
                self._rows()

    def set_stale(self, age: float | None) -> None:
        """Mark the dead letters as ``age`` seconds old (the connection is down), or fresh again with None."""
        self.table.set_stale(age)

    def show_message(self, text: str) -> None:
        """Show a one-line state (loading, none, error) instead of records."""
        self.table.clear()
        message = self.query_one("#dlq-message", Static)
        message.update(visible_text(text, style="italic"))
        message.display = True

    def set_records(self, topic: str, records: Iterable[DLQRecord]) -> None:
        """Show the dead letters of ``topic`` (keeps the cursor on the same record when possible)."""
        records = list(records)
        keep = self.selected.offset if self.selected and topic == self.topic else None
        self.topic, self.records, self.loaded = topic, records, True
        if not records:
            name = topic if topic.endswith(".dlq") else f"{topic}.dlq"
            self.show_message(f"No dead letters for {topic}: {name} is empty or does not exist.")
            self.post_message(self.Highlighted(None))
            return
        self.query_one("#dlq-message", Static).display = False
        self._rows()
        if keep is not None:
            try:
                self.table.move_cursor(row=self.table.get_row_index(str(keep)))
            except Exception:  # noqa: BLE001
                pass
        self._show_detail()

    def _rows(self) -> None:
        table = self.table
        cursor = table.cursor_row
        table.clear()
        error_width = next((c.width for c in table.columns.values() if c.key.value == "error"), 30)
        for rec in self.records:
            e = rec.entry
            if e is None:
                table.add_row(Text(str(rec.offset), justify="right"), Text("?", "dim"), Text(""),
                              Text("not a DLQ record", "yellow"), Text(""), Text(""),
                              preview(rec.raw, error_width), key=str(rec.offset))
                continue
            poison = (e.reason or "").startswith("poison")
            error = visible_text((e.error or "").replace("\n", " "))
            error.truncate(error_width, overflow="ellipsis")
            table.add_row(
                Text(str(rec.offset), justify="right"),
                visible_text(e.id or "—"),
                Text("" if e.original_offset is None else str(e.original_offset), justify="right"),
                visible_text(e.reason or "—", style="bold red" if poison else ""),
                Text(str(e.retry_count), "bold red" if e.retry_count >= 5 else "", justify="right"),
                visible_text((e.last_failed_at or "").replace("T", " ").rstrip("Z")[:19]),
                error,
                key=str(rec.offset),
            )
        if self.records:
            table.move_cursor(row=min(max(cursor, 0), len(self.records) - 1))

    @property
    def selected(self) -> DLQRecord | None:
        """The dead letter under the cursor."""
        if not self.records:
            return None
        row = self.table.cursor_row
        return self.records[row] if 0 <= row < len(self.records) else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Tell the app which dead letter is under the cursor."""
        event.stop()
        self._show_detail()

    def _show_detail(self) -> None:
        self.post_message(self.Highlighted(self.selected))

    def as_record(self, rec: DLQRecord | None) -> DLQEntry | Record | None:
        """What the detail pane shows for a dead letter: its DLQ entry, or the raw record if not one."""
        if rec is None:
            return None
        if rec.entry is not None:
            return rec.entry
        return Record(rec.dlq_topic, rec.partition, rec.offset, None, rec.raw)
