"""The consumer-groups pane: for the open topic, each group's members and per-partition committed / log end /
lag, with the total lag and a sparkline of the total lag over the last minutes (green while it drains, red
while it grows; ``v`` opens a larger chart; the refresh worker draws it, see
:class:`flytui.picture_cells.PictureCells`). Updated by the background refresh; values that changed since the
previous refresh are marked (``▲``/``▼`` with the difference).

The row under the cursor selects the group that ``c`` (commit) acts on.

Big topics stay cheap: when every group's partition rows together would pass :data:`EXPANDED_ROW_LIMIT`
(200 groups on a 64-partition topic are 13,000 rows), groups are shown collapsed, one row each, and ``enter``
expands or collapses the one under the cursor. A refresh then touches only the cells whose text or style
changed, so its cost follows what changed, not the size of the cluster.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import lru_cache, partial
from operator import itemgetter

from rich.console import JustifyMethod
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from ..decode import visible_text
from ..model import GroupPartitionLag
from ..picture_cells import PictureCells
from ..service import GroupLag
from ._cells import CellUpdater, OneRepaintTable
from ._fast_cells import FastTextCells
from ._render_style import OneStylePerPaint
from ._stale import StaleSubtitle
from ._vi_keys import vi_bindings

EXPANDED_ROW_LIMIT = 400
"""Above this many rows in all, groups start collapsed (``enter`` expands one)."""

COLUMNS = (("Group", "group", 26), ("Lag", "lag", 10), ("Members", "members", 7), ("Lag, 5 min", "trend", 12),
           ("Partition", "partition", 9), ("Committed", "committed", 11), ("Log end", "log_end", 11),
           ("Change", "change", 16))
"""(label, key, width) in the order shown: what matters most first, so a narrow table drops the least."""

GROUP_MIN_WIDTH = 14
"""Cells the group column keeps however narrow the table is; it gets up to its width in :data:`COLUMNS` when
the other columns leave room."""

CELL_PADDING = 2
"""Cells a DataTable adds to each column (one either side)."""

RESERVED = 4
"""Cells of the table's width not available to columns: its border and a vertical scrollbar."""


WIDEN_GROUP_BEFORE = "change"
"""The column that is shown only once the group column has its full width (names matter more than it)."""


def fit_columns(table_width: int) -> tuple[tuple[str, ...], int]:
    """The columns a table ``table_width`` cells wide shows, and the group column's width.

    Columns go in the order of :data:`COLUMNS` while they fit; the first that does not, and every one after
    it, is dropped (a table cut on the right never shows a column whose left neighbour is missing). Room left
    widens the group column, before :data:`WIDEN_GROUP_BEFORE` is considered.
    """
    room = table_width - RESERVED
    shown = ["group"]
    used = GROUP_MIN_WIDTH + CELL_PADDING
    group_width = GROUP_MIN_WIDTH
    widened = False
    for _, key, width in COLUMNS[1:]:
        if key == WIDEN_GROUP_BEFORE:
            widened = True
            extra = min(COLUMNS[0][2] - GROUP_MIN_WIDTH, max(0, room - used))
            group_width += extra
            used += extra
        if used + width + CELL_PADDING > room:
            break
        shown.append(key)
        used += width + CELL_PADDING
    if not widened:
        group_width += min(COLUMNS[0][2] - GROUP_MIN_WIDTH, max(0, room - used))
    return tuple(shown), group_width

@lru_cache(maxsize=1 << 15)  # every row's key is asked for on every refresh; JSON encoding is the slow part
def row_key(group: str, partition: int | None = None) -> str:
    """The table's key of a group's summary row (``partition`` None) or of one of its partition rows.

    JSON, so that any group name (NUL, quotes, brackets included) round-trips through :func:`parse_row_key`.
    """
    return json.dumps([group, partition])


def parse_row_key(key: str) -> tuple[str, int | None]:
    """``(group, partition)`` of a key made by :func:`row_key`."""
    group, partition = json.loads(key)
    return group, partition


GroupState = tuple[int, tuple[int, ...], tuple[int | None, ...]]
"""What the Change column compares between refreshes: a group's total lag, its partitions, their committed
offsets."""
_PARTITION = itemgetter(0)
_COMMITTED = itemgetter(1)


def group_changes(now: GroupState, before: GroupState | None, marks: dict[int | None, Text]
                  ) -> dict[int | None, Text]:
    """The Change marks of one group's rows (``None``: the summary row) from its state ``now`` and at the
    previous refresh: a row whose value moved gets a fresh mark; a fresh mark of a row that did not move again
    stays one more refresh, dimmed, so a slow reader still sees it. A group whose committed offsets all stayed
    costs a comparison of two tuples, not a look at each partition."""
    changed: dict[int | None, Text] = {}
    total, partitions, committed = now
    moved_partitions: set[int | None] = set()
    if before is not None:
        before_total, before_partitions, before_committed = before
        if before_partitions == partitions:
            if before_committed != committed:
                for index in [i for i, offset in enumerate(committed) if offset != before_committed[i]]:
                    moved_partitions.add(partitions[index])
                    delta = _delta(committed[index], before_committed[index])
                    if delta.plain:
                        changed[partitions[index]] = delta
        else:
            was = dict(zip(before_partitions, before_committed, strict=True))
            for partition, offset in zip(partitions, committed, strict=True):
                if partition in was and was[partition] != offset:
                    moved_partitions.add(partition)
                    delta = _delta(offset, was[partition])
                    if delta.plain:
                        changed[partition] = delta
        if before_total != total:
            moved_partitions.add(None)
            diff = total - before_total
            changed[None] = Text(f"lag {diff:+,}", "bold red" if diff > 0 else "bold green")
    for key, text in marks.items():
        if key not in changed and key not in moved_partitions and str(text.style) != "dim" and (
                key is None or key in partitions):
            changed[key] = Text(text.plain, "dim")
    return changed


def lag_style(lag: int) -> str:
    """Green when caught up, yellow when behind, red when far behind."""
    if lag == 0:
        return "green"
    if lag < 100:
        return "yellow"
    return "bold red"


def _delta(now: int | None, before: int | None) -> Text:
    if now is None or before is None or now == before:
        return Text("")
    diff = now - before
    return Text(f"{'▲' if diff > 0 else '▼'} {diff:+,}", "bold green" if diff > 0 else "bold yellow")


SummaryCells = tuple[tuple[bool, bool, int, int], tuple[Text, Text, Text], int, Text]
"""A summary row's (expanded, collapsed by default, members, partitions), its Group / Members / Partition
cells made from them, its total lag and its Lag cell."""

NO_TEXT = Text("")
"""An empty cell (shared: cells are never changed once made)."""


def _partition_cells(row: GroupPartitionLag, last: bool, mark: Text) -> list[Text]:
    """Every cell of a group's row for one partition, in the order of :data:`COLUMNS`."""
    committed = (Text("—", "dim", justify="right") if row.committed is None
                 else Text(f"{row.committed:,}", justify="right"))
    return [Text("  └" if last else "  ├", "dim"), Text(f"{row.lag:,}", lag_style(row.lag), justify="right"),
            Text(""), Text(""), Text(str(row.partition), justify="right"), committed,
            Text(f"{row.log_end:,}", justify="right"), mark]


class GroupsTable(StaleSubtitle, OneStylePerPaint, FastTextCells, OneRepaintTable):
    """The table of groups and their partitions."""

    BINDINGS = vi_bindings()


class GroupsPane(Vertical):
    """Consumer groups of the open topic: a state line (loading / none) or the table."""

    def __init__(self, *, id: str | None = None, pictures: PictureCells | None = None) -> None:
        super().__init__(id=id)
        self.pictures = pictures
        self.topic: str | None = None
        self.groups: list[GroupLag] = []
        # per group: (total lag, partitions, committed offsets) at the previous refresh
        self._previous: dict[str, GroupState] = {}
        # per group: the Change marks of its summary row (None) and of its partition rows
        self._changes: dict[str, dict[int | None, Text]] = {}
        # per row key: what the row was built from, and its cells (rows whose data did not move are reused)
        self._built: dict[str, tuple[tuple[object, ...], tuple[Text, ...], list[Text]]] = {}
        # per group: its summary row's rarely changing cells and its lag cell, with what they were made from
        self._summary_built: dict[str, SummaryCells] = {}
        self.preferred_group: str | None = None
        self.loaded = False
        self.collapsed_by_default = False
        self._toggled: set[str] = set()  # groups the user expanded (or collapsed) against the default
        self._cells: CellUpdater | None = None
        self._layout: tuple[tuple[str, ...], int] = ((), 0)

    def expanded(self, group_id: str) -> bool:
        """True when ``group_id``'s partition rows are shown."""
        return (group_id in self._toggled) == self.collapsed_by_default

    def toggle(self, group_id: str) -> None:
        """Expand or collapse ``group_id`` (keeps the cursor on its summary row)."""
        self._toggled ^= {group_id}
        self._render_rows(group_id)
        self.select_group(group_id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """``enter`` on a group's row expands or collapses it."""
        key = event.row_key.value
        if not key:
            return
        group, partition = parse_row_key(key)
        if partition is None and self.group(group) is not None:
            event.stop()
            self.toggle(group)

    def compose(self) -> ComposeResult:
        """State line and table."""
        yield Static("", id="groups-message", markup=False)
        yield GroupsTable(id="groups-table", cursor_type="row")

    @property
    def table(self) -> GroupsTable:
        """The table."""
        return self.query_one(GroupsTable)

    def on_mount(self) -> None:
        """Create the columns."""
        self._fit_columns()
        self.show_message("Open a topic to see its consumer groups.")

    def on_resize(self) -> None:
        """Show the columns that fit the new width (rows and the cursor are kept)."""
        self._fit_columns()

    @property
    def shown_columns(self) -> tuple[str, ...]:
        """Keys of the columns shown, left to right (see :func:`fit_columns`)."""
        return self._layout[0]

    def _fit_columns(self) -> bool:
        """Lay out the columns for the pane's width; True when they changed (then the rows are rebuilt).

        A change of the group column's width alone rebuilds too: the table caches rendered rows by its own
        update count, which a column's new width does not move.
        """
        width = self.size.width or 80
        layout = fit_columns(width)
        if layout == self._layout:
            return False
        shown, group_width = layout
        table = self.table
        cursor_key = self._cursor_key()
        self._layout = layout
        table.clear(columns=True)
        for label, key, column_width in COLUMNS:
            if key in shown:
                justify: JustifyMethod = "left" if key in ("group", "trend", "change") else "right"
                table.add_column(Text(label, justify=justify), key=key,
                                 width=group_width if key == "group" else column_width)
        self._cells = CellUpdater(table, shown)
        if self.groups:
            self._render_rows(parse_row_key(cursor_key)[0] if cursor_key else self.preferred_group)
            keys = [row.key.value for row in table.ordered_rows]
            if cursor_key in keys:
                table.move_cursor(row=keys.index(cursor_key))
        return True

    def show_message(self, text: str) -> None:
        """Show a one-line state instead of groups (loading, none, error)."""
        if self._cells is not None:
            self._cells.rebuild([])
        else:
            self.table.clear()
        message = self.query_one("#groups-message", Static)
        message.update(visible_text(text, style="italic"))
        message.display = True

    def forget_changes(self) -> None:
        """Drop what the Change column compares with (the data now comes from another node)."""
        self._previous = {}
        self._changes = {}

    def set_groups(self, topic: str, groups: Iterable[GroupLag]) -> None:
        """Show the groups of ``topic``; changes since the previous call for the same topic are marked."""
        groups = list(groups)
        self.collapsed_by_default = sum(len(g.partitions) + 1 for g in groups) > EXPANDED_ROW_LIMIT
        if topic != self.topic:
            self._previous = {}
            self._changes = {}
            self._built = {}
            self._summary_built = {}
            # on a big topic the group asked for (--group) opens expanded
            self._toggled = {self.preferred_group} if self.preferred_group and self.collapsed_by_default else set()
        previous, marks_before = self._previous, self._changes
        current: dict[str, GroupState] = {}
        changes: dict[str, dict[int | None, Text]] = {}
        for group in groups:
            gid = group.group_id
            rows = group.partitions
            state = current[gid] = (group.total_lag, tuple(map(_PARTITION, rows)), tuple(map(_COMMITTED, rows)))
            before = previous.get(gid)
            marks = group_changes(state, before, marks_before.get(gid, {}))
            if marks:
                changes[gid] = marks
        self._previous, self._changes = current, changes
        selected = self.selected_group or self.preferred_group
        self.topic, self.groups, self.loaded = topic, groups, True
        self._render_rows(selected)

    def _rows(self) -> list[tuple[str, list[Text]]]:
        """Every row's key and its shown cells. A cell made from the same data as at the previous call is the
        same ``Text`` object, which the cell updater skips without looking at it."""
        shown = [index for index, (_, key, _) in enumerate(COLUMNS) if key in self.shown_columns]
        built_before, built = self._built, {}
        rows: list[tuple[str, list[Text]]] = []

        def add(key: str, values: tuple[object, ...], texts: tuple[Text, ...], make: Callable[[], list[Text]]) -> None:
            old = built_before.get(key)
            if (old is not None and old[0] == values and len(old[1]) == len(texts)
                    and all(a is b for a, b in zip(old[1], texts, strict=True))):
                cells = old[2]
            else:
                every = make()
                cells = [every[index] for index in shown]
            built[key] = (values, texts, cells)
            rows.append((key, cells))

        summary_before, summary = self._summary_built, {}
        for group in self.groups:
            gid = group.group_id
            expanded = self.expanded(gid)
            marks = self._changes.get(gid, {})
            # the summary row cell by cell: on a busy topic every group's lag moves each refresh, the rest rarely
            before = summary_before.get(gid)
            fixed = (expanded, self.collapsed_by_default, group.members, len(group.partitions))
            name, members, scope = (before[1] if before is not None and before[0] == fixed
                                    else self._fixed_cells(group, expanded))
            total = group.total_lag
            lag = (before[3] if before is not None and before[2] == total
                   else Text(f"{total:,}", lag_style(total) + " bold", justify="right"))
            summary[gid] = (fixed, (name, members, scope), total, lag)
            every = (name, lag, members, self._trend(gid), scope, NO_TEXT, NO_TEXT, marks.get(None, NO_TEXT))
            rows.append((row_key(gid), [every[index] for index in shown]))
            if not expanded:
                continue
            last = len(group.partitions) - 1
            for index, row in enumerate(group.partitions):
                mark = marks.get(row.partition, NO_TEXT)
                add(row_key(gid, row.partition), (self.shown_columns, index == last, row), (mark,),
                    partial(_partition_cells, row, index == last, mark))
        self._built, self._summary_built = built, summary
        return rows

    def _fixed_cells(self, group: GroupLag, expanded: bool) -> tuple[Text, Text, Text]:
        """The Group, Members and Partition cells of a group's summary row (they rarely change)."""
        name = Text(no_wrap=True, overflow="ellipsis")
        if self.collapsed_by_default or not expanded:
            name.append("▾ " if expanded else "▸ ", "dim")
        name.append_text(visible_text(group.group_id, style="bold"))
        members = Text(str(group.members), "bold" if group.members else "dim", justify="right")
        scope = "all" if expanded else f"{len(group.partitions)} parts"
        return name, members, Text(scope, "dim", justify="right")

    def _trend(self, group_id: str) -> Text:
        if self.pictures is None or self.topic is None:
            return Text("")
        return self.pictures.lag(self.topic, group_id)

    def _render_rows(self, selected: str | None) -> None:
        table = self.table
        cells = self._cells
        assert cells is not None, "mounted"
        if not self.groups:
            cells.rebuild([])
            self.show_message(f"No consumer group has committed offsets on {self.topic}. Groups appear here "
                              "once a consumer commits (or after c → commit).")
            table.set_subtitle("")
            return
        self.query_one("#groups-message", Static).display = False
        rows = self._rows()
        keys = [key for key, _ in rows]
        current = [row.key.value for row in table.ordered_rows]
        if keys == current:  # same rows: only the cells that changed (keeps cursor and scroll)
            cells.update(rows)
        else:
            cursor_key = current[table.cursor_row] if 0 <= table.cursor_row < len(current) else None
            cells.rebuild(rows)
            if cursor_key in keys:
                table.move_cursor(row=keys.index(cursor_key))
            elif cursor_key and row_key(parse_row_key(cursor_key)[0]) in keys:  # its group, now collapsed
                table.move_cursor(row=keys.index(row_key(parse_row_key(cursor_key)[0])))
            elif selected:
                self.select_group(selected)
        total = sum(g.total_lag for g in self.groups)
        hint = " · enter expands a group" if self.collapsed_by_default else ""
        table.set_subtitle(f"{len(self.groups)} groups · total lag {total:,}{hint}")

    def set_stale(self, age: float | None) -> None:
        """Mark the groups as ``age`` seconds old (the connection is down), or fresh again with None."""
        self.table.set_stale(age)

    def select_group(self, group: str) -> bool:
        """Move the cursor to ``group``'s summary row; False if the group is not shown."""
        try:
            self.table.move_cursor(row=self.table.get_row_index(row_key(group)))
        except Exception:  # noqa: BLE001
            return False
        return True

    def _cursor_key(self) -> str | None:
        """The row key under the cursor (see :func:`row_key`)."""
        table = self.table
        if not self.groups or table.row_count == 0:
            return None
        try:
            return table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        except Exception:  # noqa: BLE001
            return None

    @property
    def selected_group(self) -> str | None:
        """The group of the row under the cursor."""
        key = self._cursor_key()
        return parse_row_key(key)[0] if key else None

    @property
    def selected_partition(self) -> int | None:
        """The partition of the row under the cursor (None on a group's summary row)."""
        key = self._cursor_key()
        return parse_row_key(key)[1] if key else None

    def group(self, group_id: str) -> GroupLag | None:
        """The shown data of ``group_id``."""
        for group in self.groups:
            if group.group_id == group_id:
                return group
        return None
