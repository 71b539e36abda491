"""The footer: one line of the keys that apply, none cut in the middle, the palette's key at the right edge,
disabled keys dimmed, and a click presses the key under the pointer."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding

from flytui.widgets.key_footer import KeyFooter
from tests.flytui_helpers import pilot_test

DESCRIPTIONS = ["Seek", "Filter", "Tail", "Decode", "Copy value", "Commit", "Lag chart", "Export", "Produce"]


class Keys(App[None]):
    """An app with more shown keys than an 80-column footer holds."""

    BINDINGS = [Binding(key, f"press('{key}')", description)
                for key, description in zip("sftdycvxp", DESCRIPTIONS, strict=True)]

    def __init__(self) -> None:
        super().__init__()
        self.pressed: list[str] = []

    def compose(self) -> ComposeResult:
        yield KeyFooter()

    def action_press(self, key: str) -> None:
        self.pressed.append(key)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if parameters == ("c",) else True  # c: shown, but does nothing here (dimmed)


def footer_line(app: App[None]) -> str:
    strip = app.screen._compositor.render_strips()[-1]
    return "".join(segment.text for segment in strip)


@pilot_test
async def test_keys_that_do_not_fit_are_left_out_whole_and_the_palette_stays_right():
    app = Keys()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause(0.1)
        line = footer_line(app)
        footer = app.query_one(KeyFooter)
        shown = [entry.description for entry in footer._placed if entry.key != "ctrl+p"]
        assert 3 <= len(shown) < len(DESCRIPTIONS)
        assert shown == DESCRIPTIONS[:len(shown)]
        for description in shown:
            assert f" {description} " in line
        assert line.rstrip().endswith("palette")
        cut = DESCRIPTIONS[len(shown)]
        assert cut[:3] not in line.split("▏")[0][-12:], "the first key left out shows a piece of itself"


@pilot_test
async def test_a_click_presses_the_key_and_a_disabled_one_only_rings():
    app = Keys()
    async with app.run_test(size=(160, 10)) as pilot:
        await pilot.pause(0.1)
        footer = app.query_one(KeyFooter)
        where = {entry.key: entry for entry in footer._placed}
        await pilot.click(KeyFooter, offset=(where["t"].start + 1, 0))
        await pilot.click(KeyFooter, offset=(where["c"].start + 1, 0))
        await pilot.pause(0.1)
        assert app.pressed == ["t"]
        assert not where["c"].enabled
