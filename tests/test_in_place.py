"""update_in_place: a Static's new content is shown; the screen is laid out again only when its height changes."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static

from flytui.widgets._in_place import update_in_place
from tests.flytui_helpers import LayoutCounter, pilot_test


class OneLine(App[None]):
    CSS = "Static { width: 1fr; height: auto; }"

    def compose(self) -> ComposeResult:
        yield Static("first", id="line")


@pilot_test
async def test_same_height_repaints_in_place_and_a_taller_content_is_laid_out():
    app = OneLine()
    async with app.run_test(size=(40, 10)) as pilot:
        line = app.query_one("#line", Static)
        await pilot.pause()
        layouts = LayoutCounter(app.screen)
        update_in_place(line, Text("second"))
        await pilot.pause()
        assert "second" in line.render_line(0).text and layouts.count == 0
        update_in_place(line, Text("third\nand a fourth line"))
        await pilot.pause()
        assert layouts.count >= 1 and line.size.height == 2, "taller: laid out"
        assert "and a fourth line" in line.render_line(1).text
        repaints = 0
        refresh = line.refresh

        def counted_refresh(*args, **kwargs):
            nonlocal repaints
            repaints += 1
            return refresh(*args, **kwargs)

        line.refresh = counted_refresh
        update_in_place(line, Text("third\nand a fourth line"))
        assert repaints == 0, "the same content changes nothing"
        line.update("set directly")  # another path changed it: the next update must not be skipped
        update_in_place(line, Text("third\nand a fourth line"))
        await pilot.pause()
        assert "third" in line.render_line(0).text
        layouts.stop()
