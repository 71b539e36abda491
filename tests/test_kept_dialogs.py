"""Dialogs kept between openings show exactly what a new one would, and work the same to the end.

The commit target, seek, produce and the other incident-path dialogs are built once (or ahead, while the app is
idle) and refilled at each opening with the new topic, record and group: building one anew took 60-110 ms of
the key's time. What the last opening left (another kind chosen, all partitions, typed text, an error) must not
leak into the next one: each test compares a refilled dialog with a new one opened in the same state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import pytest
from textual.widgets import Input, RadioButton

from flytui.screens._dialog import KeptDialogs
from flytui.screens.commit_plan import CommitTargetScreen
from flytui.screens.export import ExportScreen
from flytui.screens.filter import FilterScreen
from flytui.screens.help import HelpScreen
from flytui.screens.offsets_export import OffsetsExportScreen
from flytui.screens.produce import ProduceScreen
from flytui.screens.seek import SeekScreen
from flytui.screens.tail_backlog import TailBacklogScreen
from tests.flytui_helpers import (
    LayoutCounter,
    make_app,
    pilot_test,
    screen_text,
    wait_for,
    wait_idle,
    wait_ready,
)
from tests.test_dialog_keys import ends, open_dialog, screen_name, seed

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

T = TypeVar("T")


def dialog_state(app) -> tuple[str, str | None, list[tuple[str, bool, bool]]]:
    """What the open dialog shows: its text, the focused widget, and each radio button (id, on, disabled)."""
    buttons = [(b.id or "", b.value, b.disabled) for b in app.screen.query(RadioButton)]
    return screen_text(app), app.focused.id if app.focused else None, buttons


async def settled(pilot, read: Callable[[], T], painted: Callable[[T], bool] = bool, timeout: float = 8.0) -> T:
    """``read()`` once the dialog is painted and what it reads stays the same for a moment (on a busy machine
    the first frame of a dialog can come late)."""
    deadline = time.monotonic() + timeout
    seen = read()
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        again = read()
        if again == seen and painted(seen):
            return seen
        seen = again
    raise AssertionError(f"the dialog did not settle: {seen}")


async def settled_state(pilot, app):
    """The open dialog's :func:`dialog_state`, settled."""
    return await settled(pilot, lambda: dialog_state(app), lambda state: bool(state[0].strip()))


async def close_dialog(pilot, app) -> None:
    await pilot.press("escape")
    await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="dialog closed")


async def kept_then_new(pilot, app, key: str, name: str, meddle: Sequence[str], between: Sequence[str] = ()):
    """Open the dialog, ``meddle`` with it and close it, press ``between``, open it again (it must be the
    same, refilled dialog), then open a new one in the same state; return what both showed."""
    await open_dialog(pilot, app, key, name)
    first = app.screen
    await pilot.press(*meddle)
    await pilot.pause(0.05)
    await close_dialog(pilot, app)
    await pilot.press(*between)
    await pilot.pause(0.1)
    await open_dialog(pilot, app, key, name)
    assert app.screen is first, "the dialog was built again instead of kept"
    kept = await settled_state(pilot, app)
    await close_dialog(pilot, app)
    app.dialogs = KeptDialogs(app)  # forget the kept one: the next opening builds a new dialog
    await open_dialog(pilot, app, key, name)
    assert app.screen is not first
    new = await settled_state(pilot, app)
    await close_dialog(pilot, app)
    return kept, new


@pytest.mark.parametrize("key, name, meddle, between, expected", [
    # latest on all partitions, then another record (the stream opens at billing's offset 2): the labels name it
    ("c", "CommitTargetScreen", ["down", "down", "down", "enter", "ctrl+a"], ["3", "down", "down"], "offset 4"),
    ("s", "SeekScreen", [*"bogus", "ctrl+a"], ["3", "down", "down", "down"], "You are at offset 5"),
    ("p", "ProduceScreen", ["shift+tab", "shift+tab", "shift+tab", *"left-over", "tab", "tab", "tab", *"typed"],
     [], "Produce a message"),
    ("X", "OffsetsExportScreen", ["shift+tab", *"other-group", "tab", "tab", "space"], [], "billing"),
    ("question_mark", "HelpScreen", ["pagedown", "pagedown"], [], "Keys"),
    ("slash", "FilterScreen", [*"needle"], [], "Filter"),
    ("T", "TailBacklogScreen", [*"7"], [], "last N records"),
    ("x", "ExportScreen", [*"-extra", "tab", "space", "tab", "down", "space"], [], "the current view"),
])
@pilot_test
async def test_a_kept_dialog_shows_what_a_new_one_shows(flymq, key, name, meddle, between, expected):
    topic, client = seed(flymq, partitions=2, per_partition=20, prefix="kept")
    client.commit_offset(topic, "billing", 0, 2)
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        kept, new = await kept_then_new(pilot, app, key, name, meddle, between)
        assert expected in new[0]
        assert not {"bogus", "left-over", "other-group", "needle", "-extra"} & set(kept[0].split())
        assert kept == new
        await wait_idle(pilot, app)
    app.service.close()


@pilot_test
async def test_kept_dialogs_commit_produce_and_seek_like_new_ones(flymq):
    topic, client = seed(flymq, partitions=2, per_partition=10, prefix="kept")
    client.commit_offset(topic, "billing", 0, 1)
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        for key, name in (("c", "CommitTargetScreen"), ("p", "ProduceScreen"), ("s", "SeekScreen")):
            await open_dialog(pilot, app, key, name)  # each is kept from its second opening on
            await close_dialog(pilot, app)
        await open_dialog(pilot, app, "c", "CommitTargetScreen")
        await pilot.press("down", "down", "down", "enter", "ctrl+a", "enter")  # latest, all partitions, plan
        await wait_for(pilot, lambda: screen_name(app) == "CommitPlanScreen", what="plan")
        await pilot.press(*"commit", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "CommitResultScreen", what="result")
        moved = ends(client, topic, 2)  # where latest was, before the produce below adds a record
        await close_dialog(pilot, app)
        await open_dialog(pilot, app, "p", "ProduceScreen")
        await pilot.press("shift+tab", "shift+tab", "shift+tab", *"order-42", "tab", "tab", "tab", *"paid")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="sent")
        await pilot.press("3")
        await open_dialog(pilot, app, "s", "SeekScreen")
        await pilot.press(*"4", "enter")
        await wait_for(pilot, lambda: app.stream.selected_record is not None
                       and app.stream.selected_record.offset == 4, what="the stream at offset 4")
        await wait_idle(pilot, app)
    app.service.close()
    assert [client.get_committed_offset(topic, "billing", p) for p in (0, 1)] == moved
    produced = [m for p in (0, 1) for m in client.fetch(topic, p, 0, 100).messages if m.key == b"order-42"]
    assert [m.value for m in produced] == [b"paid"]


@pilot_test
async def test_dialogs_built_ahead_while_idle_open_with_the_right_content(flymq):
    from flytui.screens.commit_plan import CommitTargetScreen
    from flytui.screens.seek import SeekScreen

    topic, client = seed(flymq, partitions=2, per_partition=10, prefix="ahead")
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: app.dialogs.is_kept(CommitTargetScreen) and app.dialogs.is_kept(SeekScreen),
                       timeout=10, what="dialogs built ahead while no key was pressed")
        assert len(app.screen_stack) == 1, "building ahead showed nothing"
        await open_dialog(pilot, app, "c", "CommitTargetScreen")
        ahead = app.screen
        shown = await settled_state(pilot, app)
        assert f"on topic {topic}" in shown[0] and "offset 0" in shown[0], shown[0].replace("  ", "")
        await close_dialog(pilot, app)
        app.dialogs = KeptDialogs(app)
        await open_dialog(pilot, app, "c", "CommitTargetScreen")
        assert app.screen is not ahead
        assert await settled_state(pilot, app) == shown
        await close_dialog(pilot, app)
        await wait_idle(pilot, app)
    app.service.close()


def styled_lines(app) -> list[list[tuple[str, object]]]:
    """Every line of the screen as (text, style) pairs, with the text inputs' cursors held still."""
    for box in app.screen.query(Input):
        box.cursor_blink = False
    return [[(segment.text, segment.style) for segment in strip] for strip in app.screen._compositor.render_strips()]


async def settled_look(pilot, app):
    """:func:`styled_lines`, settled."""
    return await settled(pilot, lambda: styled_lines(app))


@pilot_test
async def test_a_kept_dialog_is_styled_as_a_new_one_also_after_a_theme_change(flymq):
    from flytui.screens.commit_plan import CommitTargetScreen

    topic, client = seed(flymq, partitions=2, per_partition=10, prefix="look")
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: app.dialogs.is_kept(CommitTargetScreen), timeout=10, what="built ahead")
        looks = {}
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            await pilot.pause(0.1)
            await open_dialog(pilot, app, "c", "CommitTargetScreen")  # kept (built ahead, or kept from before)
            await pilot.press("down", "down", "tab")  # meddle: another target, the focus elsewhere
            await close_dialog(pilot, app)
            await open_dialog(pilot, app, "c", "CommitTargetScreen")
            kept = await settled_look(pilot, app)
            await close_dialog(pilot, app)
            app.dialogs = KeptDialogs(app)
            await open_dialog(pilot, app, "c", "CommitTargetScreen")  # new
            new = await settled_look(pilot, app)
            await close_dialog(pilot, app)
            for y, (mine, theirs) in enumerate(zip(kept, new, strict=True)):
                assert mine == theirs, f"{theme}: line {y} of the kept dialog differs from a new one's"
            looks[theme] = new
        assert looks["textual-dark"] != looks["textual-light"], "the theme change shows"
        await wait_idle(pilot, app)
    app.service.close()


LOOK_MEDDLES = [
    ("c", "CommitTargetScreen", ["down", "down", "down", "enter", "ctrl+a", "tab"]),
    ("s", "SeekScreen", [*"bogus", "ctrl+a", "tab"]),
    ("p", "ProduceScreen", ["shift+tab", "shift+tab", *"left-over", "tab"]),
    ("X", "OffsetsExportScreen", ["shift+tab", *"other-group", "tab", "tab", "space"]),
    ("question_mark", "HelpScreen", ["pagedown", "pagedown"]),
    ("slash", "FilterScreen", [*"needle"]),
    ("T", "TailBacklogScreen", [*"7"]),
    ("x", "ExportScreen", [*"-extra", "tab", "space", "tab", "down", "space"]),
]


@pilot_test
async def test_every_kept_dialog_is_styled_as_a_new_one(flymq):
    """Each kept dialog, meddled with, closed and opened again, against a new one: segment by segment (one app
    for all of them: a run of the app each cost more than the comparisons)."""
    topic, client = seed(flymq, partitions=2, per_partition=10, prefix="looks")
    client.commit_offset(topic, "billing", 0, 2)
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        for key, name, meddle in LOOK_MEDDLES:
            await open_dialog(pilot, app, key, name)
            kept_dialog = app.screen
            await pilot.press(*meddle)
            await pilot.pause(0.05)
            await close_dialog(pilot, app)
            await open_dialog(pilot, app, key, name)
            assert app.screen is kept_dialog
            kept = await settled_look(pilot, app)
            await close_dialog(pilot, app)
            app.dialogs = KeptDialogs(app)
            await open_dialog(pilot, app, key, name)
            new = await settled_look(pilot, app)
            await close_dialog(pilot, app)
            for y, (mine, theirs) in enumerate(zip(kept, new, strict=True)):
                assert mine == theirs, f"{name}: line {y} of the kept dialog differs from a new one's"
        await wait_idle(pilot, app)
    app.service.close()


@pilot_test
async def test_typing_into_a_reopened_dialog_replaces_its_value_as_in_a_new_one(flymq):
    topic, client = seed(flymq, partitions=2, per_partition=10, prefix="typed")
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_dialog(pilot, app, "T", "TailBacklogScreen")
        await pilot.press("7")
        await close_dialog(pilot, app)
        await open_dialog(pilot, app, "T", "TailBacklogScreen")
        await pilot.press("5")
        await wait_for(pilot, lambda: app.screen.query_one(Input).value == "5", what="the typed 5 replaced 100")
        await close_dialog(pilot, app)
        await wait_idle(pilot, app)
    app.service.close()


DIALOGS = {"c": CommitTargetScreen, "s": SeekScreen, "slash": FilterScreen, "question_mark": HelpScreen,
           "X": OffsetsExportScreen, "x": ExportScreen, "T": TailBacklogScreen, "p": ProduceScreen}
"""The dialogs the app builds ahead, by the key that opens each."""


@pilot_test
async def test_dialogs_open_without_a_layout_once_built_and_laid_out_ahead(flymq):
    """While the app is idle it builds the incident path's dialogs and lays them out at the screen's size; their
    first opening, and every later one, then lays nothing out (a first layout was 20-60 ms of the key, and a
    refill that asked for layouts of lines and labels that kept their size 10-20 ms)."""
    dialogs = DIALOGS
    topic, client = seed(flymq, partitions=2, per_partition=10, prefix="nolayout")
    client.commit_offset(topic, "billing", 0, 2)
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: all(app.dialogs.is_laid_out_ahead(cls) for cls in dialogs.values()),
                       timeout=15, what="every dialog built and laid out ahead")
        await pilot.pause(0.1)
        for opening in ("first", "second"):
            for key, cls in dialogs.items():
                dialog = app.dialogs.kept(cls)
                layouts = LayoutCounter(dialog)
                try:
                    await open_dialog(pilot, app, key, cls.__name__)
                    assert app.screen is dialog
                    await settled_look(pilot, app)
                    await close_dialog(pilot, app)
                finally:
                    layouts.stop()
                assert layouts.count == 0, f"{cls.__name__}, {opening} opening: {layouts.count} layouts"
        await wait_idle(pilot, app)
    app.service.close()


def label_colour(lines, label: str):
    """The foreground colour of the segment that shows ``label``."""
    for line in lines:
        for text, style in line:
            if label in text:
                return style.color
    raise AssertionError(f"{label!r} is not on the screen")


@pilot_test
async def test_a_choice_that_cannot_be_taken_looks_dimmer_in_a_new_and_in_a_kept_dialog(flymq):
    """"all partitions" cannot be chosen with "the selected record" (the default target): its radio button is drawn
    dimmer than "this partition", when the dialog is new and when it is shown again. (Textual dims a disabled
    widget only while it can take the focus, which a radio set's buttons stop being once mounted: a disabled
    choice looked like the others in a kept dialog.)"""
    topic, client = seed(flymq, partitions=2, per_partition=10, prefix="dim")
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        for opening in ("new", "kept"):
            await open_dialog(pilot, app, "c", "CommitTargetScreen")
            assert app.screen.query_one("#scope-all", RadioButton).disabled
            look = await settled_look(pilot, app)
            enabled, disabled = label_colour(look, "this partition"), label_colour(look, "all partitions")
            assert enabled != disabled, f"{opening}: the disabled choice looks like the enabled one"
            assert sum(disabled.triplet) < sum(enabled.triplet), f"{opening}: the disabled choice is not dimmer"
            await pilot.press("tab", "down")  # meddle: the focus on the scope, then back to the default
            await close_dialog(pilot, app)
        await wait_idle(pilot, app)
    app.service.close()


@pilot_test
async def test_a_dialog_opens_with_one_whole_screen_paint(flymq):
    """Textual repaints the screen under a dialog being pushed whole, which made the dialog paint the whole
    screen twice; once is enough (its own first frame covers the whole screen; checked in tmux: as before)."""
    topic, client = seed(flymq, partitions=2, per_partition=10, prefix="underneath")
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: all(app.dialogs.is_laid_out_ahead(cls) for cls in DIALOGS.values()),
                       timeout=15, what="every dialog built and laid out ahead")
        await pilot.pause(0.2)
        dialog = app.dialogs.kept(CommitTargetScreen)
        compositor = dialog._compositor
        paints = []
        paint_whole = compositor.render_full_update

        def kept_paint(*args, **kwargs):
            update = paint_whole(*args, **kwargs)
            paints.append(["".join(segment.text for segment in strip) for strip in update.strips])
            return update

        compositor.render_full_update = kept_paint
        try:
            await open_dialog(pilot, app, "c", "CommitTargetScreen")
            await pilot.pause(0.3)
        finally:
            del compositor.render_full_update
        assert len(paints) == 1, f"{len(paints)} whole-screen paints to open the dialog"
        assert "Move the committed offset" in "\n".join(paints[0])
        await close_dialog(pilot, app)
        await wait_idle(pilot, app)
    app.service.close()
