"""Dialogs kept between openings show exactly what a new one would, and work the same to the end.

The commit target is built once and shown again at the next ``c`` with the new topic, record and group
(building it anew took ~110 ms of the key's time). What the last opening left (another kind chosen, all
partitions, an error) must not leak into the next one.
"""

from __future__ import annotations

import pytest
from textual.widgets import RadioButton

from flytui.screens._dialog import KeptDialogs
from tests.flytui_helpers import make_app, pilot_test, screen_text, wait_for, wait_idle, wait_ready
from tests.test_dialog_keys import ends, open_dialog, screen_name, seed

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def dialog_state(app) -> tuple[str, str | None, list[tuple[str, bool, bool]]]:
    """What the open dialog shows: its text, the focused widget, and each radio button (id, on, disabled)."""
    buttons = [(b.id or "", b.value, b.disabled) for b in app.screen.query(RadioButton)]
    return screen_text(app), app.focused.id if app.focused else None, buttons


@pilot_test
async def test_a_kept_commit_dialog_shows_what_a_new_one_shows(flymq):
    topic, client = seed(flymq, partitions=2, per_partition=20, prefix="kept")
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_dialog(pilot, app, "c", "CommitTargetScreen")
        first = app.screen
        await pilot.press("down", "down", "down", "enter", "ctrl+a")  # latest, all partitions
        await pilot.pause(0.05)
        assert first.query_one("#scope-all", RadioButton).value
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="dialog closed")
        await pilot.press("3", "down", "down")  # another record: the labels name its offset
        await pilot.pause(0.1)
        await open_dialog(pilot, app, "c", "CommitTargetScreen")
        assert app.screen is first, "the dialog was built again instead of kept"
        await pilot.pause(0.1)
        kept = dialog_state(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="dialog closed")

        app.dialogs = KeptDialogs(app)  # forget the kept one: the next c builds a new dialog
        await open_dialog(pilot, app, "c", "CommitTargetScreen")
        assert app.screen is not first
        await pilot.pause(0.1)
        new = dialog_state(app)
        assert "offset 2" in new[0]
        assert kept == new
        await pilot.press("escape")
        await wait_idle(pilot, app)
    app.service.close()


@pilot_test
async def test_a_kept_commit_dialog_commits_like_a_new_one(flymq):
    topic, client = seed(flymq, partitions=2, per_partition=10, prefix="kept")
    client.commit_offset(topic, "billing", 0, 1)
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_dialog(pilot, app, "c", "CommitTargetScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="dialog closed")
        await open_dialog(pilot, app, "c", "CommitTargetScreen")
        await pilot.press("down", "down", "down", "enter", "ctrl+a", "enter")  # latest, all partitions, plan
        await wait_for(pilot, lambda: screen_name(app) == "CommitPlanScreen", what="plan")
        await pilot.press(*"commit", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "CommitResultScreen", what="result")
        await pilot.press("escape")
        await wait_idle(pilot, app)
    app.service.close()
    assert [client.get_committed_offset(topic, "billing", p) for p in (0, 1)] == ends(client, topic, 2)


@pilot_test
async def test_a_kept_produce_dialog_shows_what_a_new_one_shows_and_sends_what_is_typed(flymq):
    topic, client = seed(flymq, partitions=1, per_partition=3, prefix="kept")
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_dialog(pilot, app, "p", "ProduceScreen")
        first = app.screen
        await pilot.press("shift+tab", "shift+tab", "shift+tab", *"left-over key", "tab", "tab", "tab",
                          *"left-over value")
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="dialog closed")
        await open_dialog(pilot, app, "p", "ProduceScreen")
        assert app.screen is first
        await pilot.pause(0.1)
        kept = dialog_state(app)
        assert "left-over" not in kept[0]
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="dialog closed")
        app.dialogs = KeptDialogs(app)
        await open_dialog(pilot, app, "p", "ProduceScreen")
        assert app.screen is not first
        await pilot.pause(0.1)
        assert dialog_state(app) == kept
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="dialog closed")
        await open_dialog(pilot, app, "p", "ProduceScreen")  # the second kept one, used to the end
        await pilot.press("shift+tab", "shift+tab", "shift+tab", *"order-42", "tab", "tab", "tab", *"paid")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="sent")
        await wait_idle(pilot, app)
    app.service.close()
    records = client.fetch(topic, 0, 0, 10).messages
    assert (len(records), records[-1].key, records[-1].value) == (4, b"order-42", b"paid")


@pilot_test
async def test_a_kept_seek_dialog_shows_what_a_new_one_shows_and_seeks(flymq):
    topic, client = seed(flymq, partitions=2, per_partition=20, prefix="kept")
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_dialog(pilot, app, "s", "SeekScreen")
        first = app.screen
        await pilot.press(*"bogus", "ctrl+a")  # an error in the preview, all partitions
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="dialog closed")
        await pilot.press("3", "down", "down", "down")
        await pilot.pause(0.1)
        await open_dialog(pilot, app, "s", "SeekScreen")
        assert app.screen is first
        await pilot.pause(0.1)
        kept = dialog_state(app)
        assert "You are at offset 3" in kept[0] and "bogus" not in kept[0]
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="dialog closed")
        app.dialogs = KeptDialogs(app)
        await open_dialog(pilot, app, "s", "SeekScreen")
        assert app.screen is not first
        await pilot.pause(0.1)
        assert dialog_state(app) == kept
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="dialog closed")
        await open_dialog(pilot, app, "s", "SeekScreen")
        await pilot.press(*"12", "enter")
        await wait_for(pilot, lambda: app.stream.selected_record is not None
                       and app.stream.selected_record.offset == 12, what="the stream at offset 12")
    app.service.close()


@pytest.mark.parametrize("key, name, meddle", [
    ("X", "OffsetsExportScreen", ["shift+tab", *"other-group", "tab", "tab", "space"]),
    ("question_mark", "HelpScreen", ["pagedown", "pagedown"]),
    ("slash", "FilterScreen", [*"needle"]),
    ("T", "TailBacklogScreen", [*"7"]),
    ("x", "ExportScreen", [*"-extra", "tab", "space", "tab", "down", "space"]),
])
@pilot_test
async def test_other_kept_dialogs_show_what_a_new_one_shows(flymq, key, name, meddle):
    topic, client = seed(flymq, partitions=1, per_partition=5, prefix="kept")
    client.commit_offset(topic, "billing", 0, 2)
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_dialog(pilot, app, key, name)
        first = app.screen
        await pilot.press(*meddle)
        await pilot.pause(0.05)
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="dialog closed")
        await open_dialog(pilot, app, key, name)
        assert app.screen is first
        await pilot.pause(0.1)
        kept = dialog_state(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="dialog closed")
        app.dialogs = KeptDialogs(app)
        await open_dialog(pilot, app, key, name)
        assert app.screen is not first
        await pilot.pause(0.1)
        assert dialog_state(app) == kept
        await pilot.press("escape")
        await wait_idle(pilot, app)
    app.service.close()


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
        await pilot.pause(0.1)
        shown = dialog_state(app)
        assert f"on topic {topic}" in shown[0] and "offset 0" in shown[0]
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1, what="dialog closed")
        app.dialogs = KeptDialogs(app)
        await open_dialog(pilot, app, "c", "CommitTargetScreen")
        assert app.screen is not ahead
        await pilot.pause(0.1)
        assert dialog_state(app) == shown
        await pilot.press("escape")
        await wait_idle(pilot, app)
    app.service.close()
