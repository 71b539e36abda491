"""The safe commit (issue 6 §3), driven in the app with keys: the journal of replaced offsets, undo through
the same plan → type ``commit`` → read-back path, the warning about offsets that moved during the last
refreshes (even with no member), a commit that creates a group, saving offsets to a CSV file and planning a
commit from it, and no commit at all when the journal cannot be written.

Setup and checks go through a pyflymq client, so these run against ``FLYMQ_TEST_SERVER`` too.
"""

from __future__ import annotations

import json

import pytest

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


def topic_with(flymq, partitions: int = 2, total: int = 40) -> tuple[str, object]:
    client = flymq.client()
    topic = flymq.topic("safe")
    client.create_topic(topic, partitions)
    for i in range(total):
        client.produce(topic, f"record {i}")
    return topic, client


def ends(client, topic: str, partitions: int = 2) -> list[int]:
    return [client.watermarks(topic, p)[1] for p in range(partitions)]


def committed(client, topic: str, group: str, partitions: int = 2) -> list[int]:
    return [client.get_committed_offset(topic, group, p) for p in range(partitions)]


def journal_lines(state_home) -> list[dict]:
    path = state_home / "flytui" / "commits.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def refreshed_offsets(app, topic: str, group: str) -> dict[int, int] | None:
    """The group's committed offsets as the app's last background refresh saw them."""
    for info in app.overview.groups if app.overview else ():
        if (info.topic, info.group_id) == (topic, group):
            return dict(info.offsets)
    return None


def name(app) -> str:
    return app.screen.__class__.__name__


async def plan_latest_all(pilot, app) -> None:
    """c → latest → all partitions → plan (keys only)."""
    await pilot.press("c")
    await wait_for(pilot, lambda: name(app) == "CommitTargetScreen", what="target")
    await pilot.press("down", "down", "down", "enter", "ctrl+a", "enter")
    await wait_for(pilot, lambda: name(app) == "CommitPlanScreen", what="plan")


def shown(app, selector: str) -> str:
    """The text of one widget of the open dialog (long lines are wrapped on the screen)."""
    return str(app.screen.query_one(selector).render())


async def confirm_and_close(pilot, app) -> str:
    """Type ``commit`` on the plan, wait for the read-back, return its text and close it."""
    await pilot.press(*"commit", "enter")
    await wait_for(pilot, lambda: name(app) == "CommitResultScreen", what="read-back")
    text = screen_text(app)
    for note in app.screen.query("#journal-note, #errors"):
        text += "\n" + str(note.render())
    await pilot.press("escape")
    await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="result closed")
    return text


@pilot_test
async def test_commit_journals_the_replaced_offsets_and_undo_restores_them(flymq, _state_home):
    topic, client = topic_with(flymq)
    client.commit_offset(topic, "billing", 0, 5)
    client.commit_offset(topic, "billing", 1, 7)
    high = ends(client, topic)
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await plan_latest_all(pilot, app)
        assert journal_lines(_state_home) == [], "nothing is journaled before the confirmation"
        result = await confirm_and_close(pilot, app)
        assert "commits.jsonl: u plans the undo" in result
        assert committed(client, topic, "billing") == high
        lines = journal_lines(_state_home)
        assert [(line["partition"], line["old"], line["new"]) for line in lines] == [(0, 5, high[0]),
                                                                                     (1, 7, high[1])]
        assert {line["server"] for line in lines} == {flymq.address}
        assert {(line["topic"], line["group"], line["kind"]) for line in lines} == {(topic, "billing", "commit")}
        assert len({line["commit"] for line in lines}) == 1 and lines[0]["time"].endswith("Z")
        # undo: the same plan → type commit → read back
        await pilot.press("ctrl+r")  # a refresh sees our own commit: that is no warning on the undo plan
        await wait_for(pilot, lambda: refreshed_offsets(app, topic, "billing") == dict(enumerate(high)),
                       what="refresh after the commit")
        await pilot.press("u")
        await wait_for(pilot, lambda: name(app) == "CommitPlanScreen", what="undo plan")
        assert not app.screen.query("#moves-warning")
        text = screen_text(app)
        assert "Undo plan (dry run): back to the offsets saved before the commit of" in text
        assert committed(client, topic, "billing") == high, "the undo plan writes nothing"
        result = await confirm_and_close(pilot, app)
        assert "read back as requested" in result
        await wait_idle(pilot, app)
    app.service.close()
    assert committed(client, topic, "billing") == [5, 7]
    undo = journal_lines(_state_home)[2:]
    assert [(line["partition"], line["old"], line["new"], line["kind"]) for line in undo] == [
        (0, high[0], 5, "undo"), (1, high[1], 7, "undo")]


@pilot_test
async def test_undo_with_nothing_journaled_says_so_and_writes_nothing(flymq):
    topic, client = topic_with(flymq, partitions=1, total=5)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("3", "u")
        await wait_for(pilot, lambda: "No commit made with flytui on this server" in notifications(app),
                       what="nothing to undo")
        assert app.screen is app.screen_stack[0]
    app.service.close()
    assert not [g for g in client.list_groups() if g.topic == topic]


@pilot_test
async def test_commit_to_a_group_typed_in_the_dialog_creates_it_and_undo_plans_back_to_lowest(flymq):
    topic, client = topic_with(flymq)
    high = ends(client, topic)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("3", "c")
        await wait_for(pilot, lambda: name(app) == "CommitTargetScreen", what="target")
        assert app.focused.id == "group", "no group selected: the dialog asks for one first"
        await pilot.press(*"fresh-group", "tab")  # to the kind list
        assert app.focused.id == "kind"
        await pilot.press("down", "down", "down", "enter", "ctrl+a", "enter")  # latest, all partitions, preview
        await wait_for(pilot, lambda: name(app) == "CommitPlanScreen", what="plan")
        text = shown(app, "#new-group")
        assert "New group: fresh-group has no committed offset on this topic yet" in text
        assert f"partition 0: none → {high[0]}" in text and f"partition 1: none → {high[1]}" in text
        await confirm_and_close(pilot, app)
        assert committed(client, topic, "fresh-group") == high
        await pilot.press("u")
        await wait_for(pilot, lambda: name(app) == "CommitPlanScreen", what="undo plan")
        assert "had no committed offset before" in shown(app, "#notes")
        await confirm_and_close(pilot, app)
    app.service.close()
    assert committed(client, topic, "fresh-group") == [0, 0]  # the lowest offsets: where a new group starts


@pilot_test
async def test_plan_warns_when_offsets_moved_in_the_last_refreshes_with_no_member(flymq):
    topic, client = topic_with(flymq)
    client.commit_offset(topic, "billing", 0, 5)
    client.commit_offset(topic, "billing", 1, 5)
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        client.commit_offset(topic, "billing", 1, 9)  # another tool commits; it is no member
        await pilot.press("3", "ctrl+r")
        await wait_for(pilot, lambda: refreshed_offsets(app, topic, "billing") == {0: 5, 1: 9},
                       what="refresh saw the move")
        await plan_latest_all(pilot, app)
        text = shown(app, "#moves-warning")
        assert "moved during the last refreshes on partition(s) 1," in text
        assert "with no live member" in text
        assert "partition 1: 5 → 9 seen at" in text
        assert "partition 0:" not in text
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="closed")
    app.service.close()
    assert committed(client, topic, "billing") == [5, 9]


@pilot_test
async def test_save_offsets_to_csv_then_plan_a_commit_from_the_file(flymq, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a short relative path to type: every key press is a full app round trip
    topic, client = topic_with(flymq)
    client.commit_offset(topic, "billing", 0, 5)
    client.commit_offset(topic, "billing", 1, 7)
    saved = tmp_path / "billing.csv"
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("3", "X")
        await wait_for(pilot, lambda: name(app) == "OffsetsExportScreen", what="save dialog")
        assert app.focused.id == "path"
        await pilot.press("ctrl+u", *saved.name, "enter")
        await wait_for(pilot, lambda: saved.exists() and "Saved 2 committed offset(s)" in notifications(app),
                       what="file written")
        assert saved.read_text() == f"{topic},0,5\n{topic},1,7\n"
        client.commit_offset(topic, "billing", 0, 12)
        client.commit_offset(topic, "billing", 1, 14)
        await pilot.press("c")
        await wait_for(pilot, lambda: name(app) == "CommitTargetScreen", what="target")
        await pilot.press(*["down"] * 6, "enter")  # the last kind: a CSV file; the focus moves to its path
        assert app.focused.id == "path"
        await pilot.press(*saved.name, "enter")
        await wait_for(pilot, lambda: name(app) == "CommitPlanScreen", what="plan from the file")
        assert "to the offsets in billing.csv on partitions 0, 1" in screen_text(app)
        await pilot.press("escape")  # back to the target: the file kind and its path are kept
        await wait_for(pilot, lambda: name(app) == "CommitTargetScreen", what="target again")
        assert app.screen.kind == "file" and app.screen.query_one("#path").value == saved.name
        await pilot.press("p")
        await wait_for(pilot, lambda: name(app) == "CommitPlanScreen", what="plan again")
        await confirm_and_close(pilot, app)
    app.service.close()
    assert committed(client, topic, "billing") == [5, 7]


@pilot_test
async def test_a_commit_whose_journal_cannot_be_written_writes_nothing(flymq, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))  # flytui/ cannot be made under a file
    topic, client = topic_with(flymq)
    client.commit_offset(topic, "billing", 0, 5)
    client.commit_offset(topic, "billing", 1, 7)
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await plan_latest_all(pilot, app)
        result = await confirm_and_close(pilot, app)
        assert "could not save the undo journal" in result and "nothing was committed" in result
    app.service.close()
    assert committed(client, topic, "billing") == [5, 7]
