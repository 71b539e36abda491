"""Every dialog driven inside the running app with key presses only, from the key that opens it to what the
broker holds afterwards (issue 6 §1). No clicks, no calls on the screens.

Setup and checks go through a pyflymq client, so these run against ``FLYMQ_TEST_SERVER`` too.
"""

from __future__ import annotations

import json

import pytest
from textual.widgets import RadioButton

from tests.flytui_helpers import (
    make_app,
    notifications,
    pilot_test,
    screen_text,
    wait_for,
    wait_idle,
    wait_ready,
)

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def seed(flymq, partitions: int = 2, per_partition: int = 20, prefix: str = "keys") -> tuple[str, object]:
    """A fresh topic with about ``per_partition`` JSON records on each partition (FlyMQ spreads unkeyed records
    round-robin and ignores a requested partition: tests read the ends with :func:`ends`); returns it and a
    client. On a one-partition topic record ``i`` is at offset ``i``."""
    client = flymq.client()
    topic = flymq.topic(prefix)
    client.create_topic(topic, partitions)
    for i in range(per_partition * partitions):
        kind = "needle" if i % 10 == 7 else "hay"
        client.produce(topic, json.dumps({"i": i, "kind": kind}))
    return topic, client


def ends(client, topic: str, partitions: int) -> list[int]:
    """The next offset to be written on each partition."""
    return [client.watermarks(topic, p)[1] for p in range(partitions)]


def groups_on(client, topic: str) -> list:
    """Every (group, members, offsets) the broker knows on ``topic``."""
    return sorted((g.group_id, g.members, tuple(sorted(g.offsets.items())))
                  for g in client.list_groups() if g.topic == topic)


def screen_name(app) -> str:
    return app.screen.__class__.__name__


async def open_dialog(pilot, app, key: str, name: str) -> None:
    await pilot.press(key)
    await wait_for(pilot, lambda: screen_name(app) == name, what=name)
    await pilot.pause(0.05)


async def visit_by_tab(pilot, app, key: str) -> tuple[list, list]:
    """Press ``key`` (tab / shift+tab) once per focusable widget; return the chain and what got the focus."""
    chain = list(app.screen.focus_chain)
    seen = []
    for _ in range(len(chain)):
        await pilot.press(key)
        await pilot.pause(0.02)
        seen.append(app.focused)
    return chain, seen


# ------------------------------------------------------------------------------------------ tab everywhere


@pytest.mark.parametrize("key, name", [("s", "SeekScreen"), ("slash", "FilterScreen"),
                                       ("c", "CommitTargetScreen"), ("p", "ProduceScreen"),
                                       ("x", "ExportScreen"), ("X", "OffsetsExportScreen"),
                                       ("D", "ConfirmScreen"), ("R", "ConfirmScreen")])
@pilot_test
async def test_tab_and_shift_tab_reach_every_field_of_the_dialog(flymq, key, name):
    topic, client = seed(flymq, partitions=1, per_partition=5)
    client.commit_offset(topic, "billing", 0, 2)
    client.produce(f"{topic}.dlq", json.dumps({"id": "m1", "original_topic": topic, "original_offset": 1,
                                               "payload": "aGk=", "error_message": "boom", "retry_count": 3}))
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        if key in ("D", "R"):  # purge (typed word) and replay all (y / n) act on the dead letters
            await wait_for(pilot, lambda: app.dlq_records, what="dead letters")
            await pilot.press("6")
        await open_dialog(pilot, app, key, name)
        start = app.focused
        chain, forward = await visit_by_tab(pilot, app, "tab")
        assert len(chain) >= 2, chain  # a field or the buttons
        assert set(forward) == set(chain), f"tab never reached {set(chain) - set(forward)}"
        assert app.focused is start  # round trip
        _, backward = await visit_by_tab(pilot, app, "shift+tab")
        assert set(backward) == set(chain)
        assert screen_name(app) == name, "tab must not leave the dialog"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="dialog closed")
    app.service.close()


# ------------------------------------------------------------------------------------------ seek


@pilot_test
async def test_seek_all_partitions_to_beginning_with_keys_only(flymq):
    topic, client = seed(flymq, partitions=2, per_partition=20)
    before = groups_on(client, topic)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("3", *"jjjjjjjjjj")
        await wait_for(pilot, lambda: app.stream.selected_record.offset == 10, what="offset 10")
        await open_dialog(pilot, app, "s", "SeekScreen")
        await pilot.press(*"beginning")
        await pilot.press("tab")  # to the scope radio set
        assert app.focused.id == "scope"
        await pilot.press("down", "space")  # "all partitions"
        await pilot.pause(0.05)
        assert app.screen.query_one("#scope-all", RadioButton).value
        await pilot.press("tab", "tab")  # Cancel, Seek
        assert app.focused.id == "seek"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "beginning → 0" in notifications(app), what="resolved offset shown")
        await wait_for(pilot, lambda: app.stream.selected_record.offset == 0, what="offset 0")
        assert app.seek_all is not None and app.seek_all.all_partitions
        await pilot.press("2", "j", "enter")  # partition 1: the same seek applies
        await wait_for(pilot, lambda: app.stream.selected_record is not None
                       and app.stream.selected_record.partition == 1, what="partition 1")
        assert app.stream.selected_record.offset == 0
        await wait_idle(pilot, app)
    app.service.close()
    assert groups_on(client, topic) == before, "a seek writes nothing"


@pilot_test
async def test_seek_ctrl_a_applies_end_minus_n_to_each_partition_opened(flymq):
    topic, client = seed(flymq, partitions=2, per_partition=20)
    high = ends(client, topic, 2)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_dialog(pilot, app, "s", "SeekScreen")
        assert "ctrl+a: all partitions" in screen_text(app)
        await pilot.press(*"end-3", "ctrl+a")
        await pilot.pause(0.05)
        assert app.screen.query_one("#scope-all", RadioButton).value
        assert "on every partition" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.stream.selected_record.offset == high[0] - 3, what="end-3 on partition 0")
        await pilot.press("2", "j", "enter")
        await wait_for(pilot, lambda: app.stream.selected_record.partition == 1
                       and app.stream.selected_record.offset == high[1] - 3, what="end-3 on partition 1")
        assert f"end-3 → {high[1] - 3}" in notifications(app)
    app.service.close()


# ------------------------------------------------------------------------------------------ filter


@pilot_test
async def test_filter_with_keys_only_through_the_apply_button(flymq):
    topic, _ = seed(flymq, partitions=1, per_partition=30)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_dialog(pilot, app, "slash", "FilterScreen")
        await pilot.press(*"needle", "tab", "tab", "tab")  # Cancel, Clear, Apply
        assert app.focused.id == "apply"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.stream.filtered and app.stream.selected_record is not None,
                       what="filtered view")
        assert app.stream.selected_record.offset == 7
        await pilot.press("n")
        await wait_for(pilot, lambda: app.stream.selected_record.offset == 17, what="next match")
    app.service.close()


# ------------------------------------------------------------------------------------------ commit


@pilot_test
async def test_commit_latest_on_all_partitions_with_keys_only(flymq):
    topic, client = seed(flymq, partitions=2, per_partition=20)
    client.commit_offset(topic, "billing", 0, 5)
    client.commit_offset(topic, "billing", 1, 7)
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_dialog(pilot, app, "c", "CommitTargetScreen")
        assert app.focused.id == "kind"
        await pilot.press("down", "down", "down", "enter")  # selected → after → earliest → latest
        await pilot.pause(0.05)
        assert app.screen.query_one("#kind-latest", RadioButton).value
        await pilot.press("ctrl+a")  # all partitions
        await pilot.pause(0.05)
        assert app.screen.query_one("#scope-all", RadioButton).value
        assert app.focused.id == "plan"
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "CommitPlanScreen", what="plan")
        assert "to latest on all partitions" in screen_text(app)
        # esc steps back to the target with the choices kept
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "CommitTargetScreen", what="back to the target")
        assert app.screen.query_one("#kind-latest", RadioButton).value
        assert app.screen.query_one("#scope-all", RadioButton).value
        assert client.get_committed_offset(topic, "billing", 0) == 5, "nothing written yet"
        await pilot.press("p")
        await wait_for(pilot, lambda: screen_name(app) == "CommitPlanScreen", what="plan again")
        await pilot.press(*"commit", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "CommitResultScreen", what="result")
        assert "All 2 partition(s) read back as requested" in screen_text(app)
        await pilot.press("escape")
        await wait_idle(pilot, app)
    app.service.close()
    assert [client.get_committed_offset(topic, "billing", p) for p in (0, 1)] == ends(client, topic, 2)


@pilot_test
async def test_commit_plan_buttons_reachable_by_tab(flymq):
    topic, client = seed(flymq, partitions=1, per_partition=10)
    client.commit_offset(topic, "billing", 0, 4)
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_dialog(pilot, app, "c", "CommitTargetScreen")
        await pilot.press("down", "down", "enter")  # earliest; the focus moves to "Preview plan"
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "CommitPlanScreen", what="plan")
        await pilot.press(*"commit", "tab")
        visited = {app.focused.id}
        for _ in range(4):
            await pilot.press("tab")
            visited.add(app.focused.id)
        assert {"confirm-word", "cancel", "confirm"} <= visited
        while app.focused.id != "cancel":
            await pilot.press("tab")
        await pilot.press("enter")  # Cancel drops the whole flow
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="flow dropped")
        assert "Commit cancelled: nothing was written" in notifications(app)
    app.service.close()
    assert client.get_committed_offset(topic, "billing", 0) == 4


# ------------------------------------------------------------------------------------------ produce


@pilot_test
async def test_produce_a_keyed_record_with_keys_only(flymq):
    topic, client = seed(flymq, partitions=1, per_partition=3)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_dialog(pilot, app, "p", "ProduceScreen")
        assert app.focused.id == "value"  # the topic is filled in
        await pilot.press("shift+tab", "shift+tab", "shift+tab")  # value encoding, key encoding, key
        assert app.focused.id == "key"
        await pilot.press(*"order-42", "tab", "tab", "tab")
        assert app.focused.id == "value"
        await pilot.press(*"paid in full")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Produced to" in notifications(app), what="produced")
    app.service.close()
    records = client.fetch(topic, 0, 0, 10).messages
    assert len(records) == 4
    assert (records[-1].key, records[-1].value) == (b"order-42", b"paid in full")


# ------------------------------------------------------------------------------------------ export


@pilot_test
async def test_export_a_range_with_keys_only(flymq, tmp_path):
    topic, _ = seed(flymq, partitions=1, per_partition=40)
    target = tmp_path / "range.jsonl"
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_dialog(pilot, app, "x", "ExportScreen")
        assert app.focused.id == "path"
        await pilot.press("ctrl+u", *str(target))
        await pilot.press("tab", "tab")  # overwrite box, scope
        assert app.focused.id == "scope"
        await pilot.press("down", "enter")  # an offset range
        await pilot.pause(0.05)
        await pilot.press("tab")
        assert app.focused.id == "range-from"
        await pilot.press("ctrl+u", "1", "0", "tab", "ctrl+u", "3", "0", "enter")
        await wait_for(pilot, lambda: "Exported 20 records" in notifications(app), what="export done")
        await pilot.press("escape")
    app.service.close()
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["offset"] for line in lines] == list(range(10, 30))


@pilot_test
async def test_help_lists_the_dialog_keys_undo_and_saving_offsets(flymq):
    topic, _ = seed(flymq, partitions=1, per_partition=3)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 60)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_dialog(pilot, app, "question_mark", "HelpScreen")
        table = app.screen.query_one("#help-table")  # it scrolls: read every row, not just the visible ones
        text = "\n".join(" ".join(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count))
        for line in ("Undo the last commit", "Save a group's committed offsets", "All partitions on / off",
                     "Next / previous field, radio set or button"):
            assert line in text, line
        await pilot.press("escape")
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert any(c.startswith("Undo commit (u)") for c in commands)
        assert any(c.startswith("Save offsets (X)") for c in commands)
    app.service.close()


@pilot_test
async def test_a_tall_dialog_scrolls_to_the_focused_field_in_a_short_terminal(flymq):
    topic, client = seed(flymq, partitions=2, per_partition=5)
    client.commit_offset(topic, "billing", 0, 1)
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_dialog(pilot, app, "c", "CommitTargetScreen")
        while app.focused.id != "plan":
            await pilot.press("tab")
        await pilot.pause(0.2)
        button = app.screen.query_one("#plan")
        box = app.screen.query_one("#dialog").region
        assert button.region.height > 0 and box.contains_region(button.region), (button.region, box)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "CommitPlanScreen", what="plan")
        await pilot.press("escape", "escape")
    app.service.close()
