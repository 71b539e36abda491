"""The partitions pane: low/high watermarks, message count, records per second with a sparkline of the last
minutes, leader, and where the stream reads.

The rates come from the session's watermark history (:class:`flytui.rate_history.SessionHistory`, fed by the
background refresh), whose worker also draws their cells (:class:`flytui.picture_cells.PictureCells`); a
refresh rewrites only the cells that changed, so quiet partitions cost nothing.

``enter`` (or a click) on a row posts :class:`PartitionsPane.Opened` to browse that partition.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable

from ..decode import visible_text
from ..numbers import number
from ..picture_cells import NO_RATE, PictureCells
from ..service import PartitionInfo
from ._cells import CellUpdater, OneRepaintTable
from ._fast_cells import FastTextCells
from ._render_style import OneStylePerPaint
from ._stale import StaleSubtitle
from ._vi_keys import vi_bindings

COLUMNS = (("P", "p", 3), ("Low", "low", 9), ("High", "high", 9), ("Messages", "count", 9),
           ("Rate/s", "rate", 6), ("Last 5 min", "trend", 20), ("Leader", "leader", 12), ("Reading", "reading", 14))


def _leader_cell(p: PartitionInfo) -> Text:
    """The Leader cell: the leader's id on a standalone server; on a cluster, whether the node read leads
    the partition or only holds its own local log of it (the leader's id is a peer's Raft address there)."""
    if p.led_here is None:
        return Text(p.leader or "-", "dim", overflow="ellipsis", no_wrap=True)
    if p.led_here:
        return Text("this node", "bold", no_wrap=True)
    return Text("local only", "dim yellow", no_wrap=True)

class PartitionsPane(StaleSubtitle, OneStylePerPaint, FastTextCells, OneRepaintTable):
    """One row per partition of the open topic."""

    BORDER_TITLE = "Partitions"
    BINDINGS = [
        Binding("enter", "select_cursor", "Browse partition"),
        *vi_bindings(),
    ]

    class Opened(Message):
        """Browse this partition."""

        def __init__(self, partition: int) -> None:
            super().__init__()
            self.partition = partition

    def __init__(self, *, id: str | None = None, pictures: PictureCells | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.pictures = pictures
        self.topic: str | None = None
        self.partitions: dict[int, PartitionInfo] = {}
        self._previous_high: dict[int, int] = {}
        self.reading: dict[int, str] = {}
        self._cells = CellUpdater(self, [key for _, key, _ in COLUMNS])
        # per partition: what its row was built from (the partition, grew, reading) and its cells
        self._built: dict[int, tuple[PartitionInfo, bool, str, list[Text]]] = {}

    def on_mount(self) -> None:
        """Create the columns."""
        for label, key, width in COLUMNS:
            self.add_column(Text(label, justify="left" if key in ("trend", "leader", "reading") else "right"),
                            key=key, width=width)

    def forget_growth(self) -> None:
        """Drop the previous high watermarks (the data now comes from another node)."""
        self._previous_high = {}

    def set_partitions(self, topic: str | None, partitions: Iterable[PartitionInfo]) -> None:
        """Show these partitions; a new topic resets the table, the same topic updates cells in place."""
        partitions = list(partitions)
        new = {p.partition: p for p in partitions}
        same_topic = topic == self.topic
        if not same_topic or set(new) != set(self.partitions):
            if not same_topic:
                self._previous_high = {}
                self.reading = {}
                self._built = {}
            cursor = self.cursor_row if same_topic else 0
            self.topic = topic
            self.partitions = new
            self._cells.rebuild([(str(p.partition), self._row(p)) for p in partitions])
            if partitions:
                self.move_cursor(row=min(max(cursor, 0), len(partitions) - 1))
        else:
            self.partitions = new
            self._cells.update([(str(p.partition), self._row(p)) for p in partitions])
        self._previous_high = {p.partition: p.high for p in partitions}
        subtitle = visible_text(topic) if topic else Text("")
        if topic:
            subtitle.append(f" · {len(partitions)}")
        self.set_subtitle(subtitle)

    def set_reading(self, reading: dict[int, str]) -> None:
        """Show where the stream reads (``{partition: text}``; empty text for partitions not read)."""
        before, self.reading = self.reading, dict(reading)
        for p in self.partitions:  # the rows show ``before``: set the marks that changed (this follows every key)
            text = self.reading.get(p, "")
            if text != before.get(p, ""):
                self._cells.set_cell(str(p), "reading", Text(text, "bold cyan"))

    def _row(self, p: PartitionInfo) -> list[Text]:
        """The row's cells; a cell whose data did not change is the same object as last time (the cell updater
        then skips it without a look). On a busy topic the watermarks and rates move every refresh, the rest
        rarely."""
        grew = p.partition in self._previous_high and p.high != self._previous_high[p.partition]
        rate, trend = self.pictures.rate(p.topic, p.partition) if self.pictures is not None else NO_RATE
        reading = self.reading.get(p.partition, "")
        old = self._built.get(p.partition)
        if old is not None:
            was, was_grew, was_reading, cells = old
            if was == p and was_grew == grew and was_reading == reading and cells[4] is rate and cells[5] is trend:
                return cells
            number_cell, leader, reading_cell = cells[0], cells[6], cells[7]
            low = cells[1] if was.low == p.low else Text(number(p.low), justify="right")
            if (was.leader, was.led_here) != (p.leader, p.led_here):
                leader = _leader_cell(p)
            if was_reading != reading:
                reading_cell = Text(reading, "bold cyan")
        else:
            number_cell, low = Text(str(p.partition), "bold", justify="right"), Text(number(p.low), justify="right")
            leader, reading_cell = _leader_cell(p), Text(reading, "bold cyan")
        style = "bold green" if grew else ""
        cells = [number_cell, low, Text(number(p.high), style, justify="right"),
                 Text(number(p.count), style or ("dim" if p.count == 0 else ""), justify="right"),
                 rate, trend, leader, reading_cell]
        self._built[p.partition] = (p, grew, reading, cells)
        return cells

    @property
    def selected_partition(self) -> int | None:
        """The partition under the cursor."""
        if not self.partitions or self.cursor_row < 0:
            return None
        try:
            key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key
        except Exception:  # noqa: BLE001
            return None
        return int(key.value) if key.value is not None else None

    def select_partition(self, partition: int) -> None:
        """Move the cursor to ``partition``."""
        try:
            self.move_cursor(row=self.get_row_index(str(partition)))
        except Exception:  # noqa: BLE001
            pass

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Open the partition of the selected row."""
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Opened(int(event.row_key.value)))
