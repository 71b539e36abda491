"""The cell updater skips cells given again as the same object, without missing a change (flytui.widgets._cells),
and the groups pane's Change marks computed per group (flytui.widgets.groups.group_changes)."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from flytui.widgets import _cells
from flytui.widgets._cells import CellUpdater
from flytui.widgets.groups import group_changes
from tests.flytui_helpers import pilot_test


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable()
        table.add_column("a", key="a")
        table.add_column("b", key="b")
        yield table


@pilot_test
async def test_same_objects_are_skipped_and_a_set_cell_is_not_forgotten(monkeypatch):
    looked: list[str] = []
    signature = _cells.cell_signature
    monkeypatch.setattr(_cells, "cell_signature", lambda cell: looked.append(cell.plain) or signature(cell))
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(DataTable)
        cells = CellUpdater(table, ["a", "b"])
        a, b = Text("a"), Text("b")
        cells.rebuild([("r", [a, b])])
        looked.clear()
        cells.update([("r", [a, b])])
        cells.update([("r", [a, Text("b")])])
        assert looked == ["b"], "only the new object was looked at"
        cells.set_cell("r", "a", Text("set by hand"))
        cells.update([("r", [a, b])])  # the object given before the set_cell: the table must show it again
        await pilot.pause()
        assert table.get_cell("r", "a").plain == "a"


@pilot_test
async def test_updates_dropped_before_they_were_shown_are_not_lost(monkeypatch):
    monkeypatch.setattr(_cells, "BATCH", 1)
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(DataTable)
        cells = CellUpdater(table, ["a", "b"])
        cells.rebuild([("r", [Text("0"), Text("0")])])
        row = [Text("1"), Text("1")]
        cells.update([("r", row)])  # one cell applied now, the other queued
        assert cells.pending == 1
        cells.update([("r", row)])  # the same objects again, before the queued one was applied
        for _ in range(20):
            await pilot.pause()
        assert [table.get_cell("r", key).plain for key in ("a", "b")] == ["1", "1"]


def test_group_changes_marks_moved_rows_then_dims_them_once():
    first = (100, (0, 1), (10, 20))
    moved = (93, (0, 1), (17, 20))
    marks = group_changes(moved, first, {})
    assert marks[0].plain == "▲ +7" and marks[None].plain == "lag -7" and 1 not in marks
    still = group_changes(moved, moved, marks)
    assert {key: (text.plain, str(text.style)) for key, text in still.items()} == {
        0: ("▲ +7", "dim"), None: ("lag -7", "dim")}, "kept one more refresh, dimmed"
    assert group_changes(moved, moved, still) == {}
    assert group_changes(first, None, {}) == {}, "nothing to compare with on the first refresh"


class TallTableApp(App[None]):
    def compose(self) -> ComposeResult:
        table = _cells.OneRepaintTable()
        table.add_column("n", key="n")
        table.add_column("note", key="note")
        table.styles.height = 10
        yield table


@pilot_test
async def test_rows_far_from_the_screen_wait_until_it_scrolls_near(monkeypatch):
    app = TallTableApp()
    async with app.run_test(size=(40, 20)) as pilot:
        table = app.query_one(_cells.OneRepaintTable)
        cells = CellUpdater(table, ["n", "note"])
        cells.rebuild([(str(i), [Text(str(i)), Text("")]) for i in range(200)])
        await pilot.pause()
        repaints = 0
        refresh = DataTable.refresh  # what OneRepaintTable passes the repaints it does not hold back to

        def counted(self, *args, **kwargs):
            nonlocal repaints
            repaints += 1
            return refresh(self, *args, **kwargs)

        monkeypatch.setattr(DataTable, "refresh", counted)
        cells.update([(str(i), [Text(f"{i} new"), Text("")]) for i in range(200)])
        assert repaints <= 2, "one repaint for the batch, not one per cell"
        monkeypatch.undo()
        for _ in range(5):
            await pilot.pause()
        assert table.get_cell("0", "n").plain == "0 new", "on screen: updated"
        assert table.get_cell("150", "n").plain == "150", "far below: not looked at yet"
        cells.set_cell("150", "note", Text("set by hand"))
        table.move_cursor(row=150)  # scrolls there
        for _ in range(10):
            await pilot.pause()
        assert table.get_cell("150", "n").plain == "150 new"
        assert table.get_cell("150", "note").plain == "set by hand", "the waiting cells did not undo set_cell"


@pilot_test
async def test_one_cell_set_repaints_its_row_only():
    app = TallTableApp()
    async with app.run_test(size=(40, 20)) as pilot:
        table = app.query_one(_cells.OneRepaintTable)
        cells = CellUpdater(table, ["n", "note"])
        cells.rebuild([(str(i), [Text(str(i)), Text("")]) for i in range(30)])
        for _ in range(3):
            await pilot.pause()
        drawn: list[int] = []
        render_line = table.render_line

        def recorded(y: int):
            drawn.append(y)
            return render_line(y)

        table.render_line = recorded
        cells.set_cell("3", "note", Text("yes"))
        for _ in range(3):
            await pilot.pause()
        assert drawn == [4], "the row of the cell (line 4, under the header), and nothing else"
        assert "yes" in table.render_line(4).text
        drawn.clear()
        cells.update([(str(i), [Text(f"{i} new"), Text("")]) for i in range(30)])
        for _ in range(3):
            await pilot.pause()
        assert len(drawn) == table.size.height, "a batch repaints the table once, whole"


class PartitionsApp(App[None]):
    def compose(self) -> ComposeResult:
        from flytui.widgets.partitions import PartitionsPane

        yield PartitionsPane(id="partitions")


@pilot_test
async def test_the_reading_mark_sets_only_the_cells_it_changes():
    from flytui.model import PartitionInfo
    from flytui.widgets.partitions import PartitionsPane

    app = PartitionsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(PartitionsPane)
        pane.set_partitions("orders", [PartitionInfo("orders", p, 0, 100) for p in range(64)])
        pane.set_reading({3: "▶ 10"})
        await pilot.pause()
        updated: list[tuple[str, str]] = []
        update_cell = pane.update_cell

        def recorded(row_key, column_key, value, **kwargs):
            updated.append((str(row_key), value.plain))
            return update_cell(row_key, column_key, value, **kwargs)

        pane.update_cell = recorded
        pane.set_reading({3: "▶ 11"})
        assert updated == [("3", "▶ 11")], "one partition's mark moved: one cell"
        updated.clear()
        pane.set_reading({5: "▶ 0"})
        assert sorted(updated) == [("3", ""), ("5", "▶ 0")]
        await pilot.pause()
        assert pane.get_cell("5", "reading").plain == "▶ 0" and pane.get_cell("3", "reading").plain == ""
