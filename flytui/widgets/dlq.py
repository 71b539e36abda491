"""The dead-letter pane: the records of ``<topic>.dlq`` (offset, id, original offset, reason, retries, last
failure, error). The one under the cursor is posted as :class:`DeadLettersPane.Highlighted`; the app shows it in
the record detail pane, envelope and payload decoded like any record.

Keys here: ``r`` replays the selected record, ``R`` replays all, ``D`` purges: the pane posts
:class:`DeadLettersPane.ReplayRequested` / :class:`DeadLettersPane.PurgeRequested` and the app asks first. The
keys show while the dead letters have the focus and hold records, never in read-only mode.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Static

from pyflymq.models import DLQEntry
from pyflymq.models import Message as Record

from ..decode import preview, visible_text
from ..keys import KeyBinding
from ..service import DLQRecord
from ._fast_cells import FastTextCells
from ._render_style import OneStylePerPaint
from ._stale import StaleSubtitle
from ._vi_keys import vi_bindings

COLUMNS = (("Offset", "offset", 6), ("ID", "id", 10), ("Orig", "orig", 6), ("Reason", "reason", 20),
           ("Tries", "retries", 5), ("Last failed", "last", 19), ("Error", "error", 30))
FIXED = sum(width + 2 for _, key, width in COLUMNS if key != "error")


class DeadLettersTable(StaleSubtitle, OneStylePerPaint, FastTextCells):
    """The list of dead letters."""

    BINDINGS = vi_bindings()


class DeadLettersPane(Vertical):
    """Dead letters of the open topic, with the selected one's details."""

    BINDINGS: ClassVar[list[BindingType]] = [
        KeyBinding("r", "replay_one", "Replay", writes=True,
                   tooltip="Replay the selected dead letter to its original topic"),
        KeyBinding("R", "replay_all", "Replay all", writes=True, tooltip="Replay every dead letter of the topic"),
        KeyBinding("D", "purge_dlq", "Purge DLQ", writes=True, tooltip="Delete the dead-letter queue of the topic"),
    ]

    has_records: reactive[bool] = reactive(False, bindings=True)
    """Dead letters are shown (the keys apply only then)."""

    class ReplayRequested(Message):
        """The user asked to replay these dead letters to their original topic."""

        def __init__(self, records: list[DLQRecord]) -> None:
            super().__init__()
            self.records = records

    class PurgeRequested(Message):
        """The user asked to delete the dead-letter queue of ``topic``."""

        def __init__(self, topic: str) -> None:
            super().__init__()
            self.topic = topic

    class Highlighted(Message):
        """The dead letter under the cursor changed."""

        def __init__(self, record: DLQRecord | None) -> None:
            super().__init__()
            self.record = record

    def __init__(self, *, id: str | None = None, read_only: bool = False) -> None:
        super().__init__(id=id)
        self.read_only = read_only
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
        self.has_records = False
        message = self.query_one("#dlq-message", Static)
        message.update(visible_text(text, style="italic"))
        message.display = True

    def set_records(self, topic: str, records: Iterable[DLQRecord]) -> None:
        """Show the dead letters of ``topic`` (keeps the cursor on the same record when possible)."""
        records = list(records)
        keep = self.selected.offset if self.selected and topic == self.topic else None
        self.topic, self.records, self.loaded = topic, records, True
        self.has_records = bool(records)
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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The replay and purge keys apply to dead letters that are shown, and never in read-only mode."""
        if action in ("replay_one", "replay_all", "purge_dlq"):
            return self.has_records and not self.read_only
        return True

    def action_replay_one(self) -> None:
        """``r``: ask the app to replay the dead letter under the cursor."""
        rec = self.selected
        if rec is None:
            self.notify("Select a dead letter first.", severity="warning")
            return
        self.post_message(self.ReplayRequested([rec]))

    def action_replay_all(self) -> None:
        """``R``: ask the app to replay every dead letter shown."""
        if self.records:
            self.post_message(self.ReplayRequested(list(self.records)))

    def action_purge_dlq(self) -> None:
        """``D``: ask the app to delete the dead-letter queue."""
        if self.topic is not None:
            self.post_message(self.PurgeRequested(self.topic))
