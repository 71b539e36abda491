"""update_in_place: a Static's new content is shown; the screen is laid out again only when its height changes."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static

from flytui.widgets._in_place import update_in_place
from tests.flytui_helpers import LayoutCounter, RefreshCounter, pilot_test


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
        refreshes = RefreshCounter(line)
        update_in_place(line, Text("third\nand a fourth line"))
        refreshes.stop()
        assert refreshes.count == 0, "the same content changes nothing"
        line.update("set directly")  # another path changed it: the next update must not be skipped
        update_in_place(line, Text("third\nand a fourth line"))
        await pilot.pause()
        assert "third" in line.render_line(0).text
        layouts.stop()


class Fields(App[None]):
    CSS = """
    #auto-box { width: 40; height: auto; }
    #in-auto { width: auto; }
    RadioSet { width: 30; }
    FieldInput { width: 20; }
    """

    def compose(self) -> ComposeResult:
        from textual.containers import Vertical
        from textual.widgets import RadioButton, RadioSet

        from flytui.widgets.field_input import FieldInput

        yield Static("fills the width", id="fill")  # no width: fills its container, whatever it shows
        with Vertical(id="auto-box"):
            yield Static("short", id="in-auto")  # as wide as what it shows
        with RadioSet(id="set"):
            yield RadioButton("first", id="first")
            yield RadioButton("second", id="second")
        yield FieldInput(id="field")


@pilot_test
async def test_a_line_that_fills_its_container_is_updated_in_place_and_an_auto_width_one_is_laid_out():
    app = Fields()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        layouts = LayoutCounter(app.screen)
        update_in_place(app.query_one("#fill", Static), Text("another text of the same height"))
        await pilot.pause()
        assert layouts.count == 0
        assert "another text" in app.query_one("#fill", Static).render_line(0).text
        update_in_place(app.query_one("#in-auto", Static), Text("a much longer text than before"))
        await pilot.pause()
        assert layouts.count >= 1, "the box's width follows the text: laid out"
        assert app.query_one("#in-auto", Static).size.width >= len("a much longer text than before")
        layouts.stop()


@pilot_test
async def test_a_radio_button_is_relabelled_without_a_layout_unless_the_label_no_longer_fits():
    from textual.widgets import RadioButton

    from flytui.widgets._in_place import relabel_in_place

    app = Fields()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        button = app.query_one("#second", RadioButton)
        layouts = LayoutCounter(app.screen)
        relabel_in_place(button, Text("renamed"))
        await pilot.pause()
        assert layouts.count == 0 and button.label.plain == "renamed"
        assert "renamed" in button.render_line(0).text
        refreshes = RefreshCounter(button)
        relabel_in_place(button, "renamed")
        refreshes.stop()
        assert refreshes.count == 0, "the same label changes nothing"
        relabel_in_place(button, Text("a label far too long for the set's thirty cells"))
        await pilot.pause()
        assert layouts.count >= 1, "a label that does not fit is laid out"
        assert button.label.plain == "a label far too long for the set's thirty cells"
        layouts.stop()


@pilot_test
async def test_typing_into_a_field_lays_nothing_out_and_a_long_value_keeps_its_end_in_view():
    from flytui.widgets.field_input import FieldInput

    app = Fields()
    async with app.run_test(size=(60, 20)) as pilot:
        field = app.query_one("#field", FieldInput)
        field.focus()
        await pilot.pause()
        layouts = LayoutCounter(app.screen)
        await pilot.press(*"abc")
        await pilot.pause()
        assert field.value == "abc" and layouts.count == 0
        await pilot.press(*"-and-a-value-longer-than-the-field-END")
        await pilot.pause()
        assert layouts.count == 0
        assert field.value.endswith("field-END")
        assert "END" in field.render_line(0).text, "the cursor's end of a long value stays in view"
        layouts.stop()
