"""The quick cell drawing of flytui's tables gives exactly the lines Textual's DataTable draws.

Two tables with the same rows side by side, one of them drawing one-line ``Text`` cells through
``FastTextCells``: every line of both must be the same segments (text and style), focused and not, with the
cursor on different rows, for cells that are justified, cropped, too wide, styled in parts, wide characters.
"""

from __future__ import annotations

import pytest
from flytui_helpers import pilot_test
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.geometry import Region
from textual.widgets import DataTable

from flytui.widgets import _fast_cells
from flytui.widgets._fast_cells import FastTextCells
from flytui.widgets._render_style import OneStylePerPaint


class QuickTable(FastTextCells):
    """A table drawing through the quick path."""


def rows() -> list[list[object]]:
    """Cells covering what the quick path has to get right (and some it must leave to Textual)."""
    styled = Text.assemble(("cust-", "bold"), ("0144", "red on blue"), " ok")
    return [
        [Text("analytics", style="bold"), Text("1,406", justify="right", style="red"), Text("0", justify="center")],
        [Text("├"), Text("a value far too long for its column", overflow="ellipsis"), styled],
        [Text("crop me please, I am long", overflow="crop"), Text("fold me, I am long too"), Text("")],
        [Text("注文の状態", justify="right"), Text("▁▂▃▄▅▆▇█", style="green"), Text("tab\there")],
        ["plain [b]markup[/b] string", None, 3.5],
        [Text("two\nlines"), Text("x", justify="full"), Text(" padded ", style="reverse")],
    ]


class TwoTables(App[None]):
    """The same rows in a plain DataTable and in a QuickTable."""

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield DataTable(id="plain", cursor_type="row")
            yield QuickTable(id="quick", cursor_type="row")

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            table.add_column("Group", width=12)
            table.add_column("Lag", width=9)
            table.add_column("Change", width=10)
            for row in rows():
                table.add_row(*row)


def lines_of(table: DataTable) -> list[list[tuple[str, object]]]:
    """Every line the table draws now, as (text, style) pairs."""
    table._line_cache.clear()
    table._cell_render_cache.clear()
    return [[(segment.text, segment.style) for segment in table.render_line(y)]
            for y in range(table.size.height)]


@pilot_test
async def test_quick_cells_draw_what_the_data_table_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_calls = 0
    original = _fast_cells.render_text_cell

    def counted(*args, **kwargs):
        nonlocal quick_calls
        quick_calls += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(_fast_cells, "render_text_cell", counted)
    app = TwoTables()
    async with app.run_test(size=(80, 12)) as pilot:
        plain = app.query_one("#plain", DataTable)
        quick = app.query_one("#quick", QuickTable)
        await pilot.pause()
        for cursor_row in (0, 1, 3, 5):
            for focused in (False, True):
                plain.move_cursor(row=cursor_row)
                quick.move_cursor(row=cursor_row)
                app.set_focus(plain if focused else None)
                await pilot.pause()
                plain_lines = lines_of(plain)
                app.set_focus(quick if focused else None)
                await pilot.pause()
                quick_lines = lines_of(quick)
                assert len(quick_lines) == len(plain_lines) > len(rows())
                for y, (mine, theirs) in enumerate(zip(quick_lines, plain_lines, strict=True)):
                    assert mine == theirs, f"line {y} differs (focused {focused}, cursor on row {cursor_row})"
    assert quick_calls > 12, "the quick path was not taken"


@pilot_test
async def test_a_changed_cell_is_the_only_one_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[str] = []
    original = _fast_cells.render_text_cell

    def counted(console, cell, *args, **kwargs):
        drawn.append(cell.plain)
        return original(console, cell, *args, **kwargs)

    monkeypatch.setattr(_fast_cells, "render_text_cell", counted)
    app = TwoTables()
    async with app.run_test(size=(80, 12)) as pilot:
        plain = app.query_one("#plain", DataTable)
        quick = app.query_one("#quick", QuickTable)
        app.set_focus(None)
        await pilot.pause()
        quick._drawn_cells = None
        lines_of(quick)
        assert {"Group", "Lag", "Change"} <= set(drawn), "the header takes the quick path too"
        drawn.clear()
        for table in (plain, quick):
            row_key = next(iter(table.rows))
            column_key = table.ordered_columns[1].key
            table.update_cell(row_key, column_key, Text("2,000", justify="right", style="red"))
        await pilot.pause()
        for y, (mine, theirs) in enumerate(zip(lines_of(quick), lines_of(plain), strict=True)):
            assert mine == theirs, f"line {y} differs"
        assert drawn == ["2,000"], "only the changed cell is drawn again"
        drawn.clear()
        app.set_focus(quick)
        await pilot.pause()
        lines_of(quick)
        drawn.clear()
        app.set_focus(None)
        await pilot.pause()
        for y, (mine, theirs) in enumerate(zip(lines_of(quick), lines_of(plain), strict=True)):
            assert mine == theirs, f"line {y} differs"
        assert "analytics" not in drawn, "cells drawn unfocused before are kept across a focus change"


class PaintedTable(OneStylePerPaint, FastTextCells):
    """A table working out its own and its components' styles once per paint, as flytui's tables do."""


class PaintedTables(App[None]):
    """The same rows in a plain DataTable and in a PaintedTable, both with zebra stripes."""

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield DataTable(id="plain", cursor_type="row", zebra_stripes=True)
            yield PaintedTable(id="painted", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            table.add_column("Group", width=12)
            table.add_column("Lag", width=9)
            for _ in range(3):
                for row in rows():
                    table.add_row(*row[:2])


def painted_lines(table: DataTable) -> list[list[tuple[str, object]]]:
    """What one paint of the whole table draws, as (text, style) pairs."""
    table._line_cache.clear()
    table._styles_cache.clear()
    return [[(segment.text, segment.style) for segment in strip]
            for strip in table.render_lines(Region(0, 0, table.size.width, table.size.height))]


@pilot_test
async def test_a_table_works_out_its_styles_once_per_paint_and_paints_the_same(monkeypatch):
    """A paint used to work out the table's style and its header's and rows' component styles on every line
    (each an ancestor walk of ~0.4 ms); now once per paint, and the lines are the same as a plain DataTable's."""
    from textual.dom import DOMNode

    app = PaintedTables()
    async with app.run_test(size=(60, 24)) as pilot:
        await pilot.pause()
        plain, painted = app.query_one("#plain", DataTable), app.query_one("#painted", PaintedTable)
        walks = 0
        walk = DOMNode.rich_style.fget

        def counted(node):
            nonlocal walks
            walks += 1
            return walk(node)

        monkeypatch.setattr(DOMNode, "rich_style", property(counted))
        looks = {}
        for focused, other in ((plain, painted), (painted, plain)):
            focused.focus()
            await pilot.pause()
            looks[focused.id, "focused"] = painted_lines(focused)
            looks[other.id, "not focused"] = painted_lines(other)
        for state in ("focused", "not focused"):
            assert looks["plain", state] == looks["painted", state], f"{state}: the paints differ"
        walks = 0
        painted_lines(plain)
        plain_walks, walks = walks, 0
        painted_lines(painted)
        assert plain_walks >= painted.size.height, "the plain table walks per line"
        assert walks <= 6, f"{walks} style walks for one paint of {painted.size.height} lines"
