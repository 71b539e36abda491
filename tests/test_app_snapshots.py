"""Snapshot tests of flytui's main views, from the deterministic demo data (pytest-textual-snapshot).

No live producer, no periodic refresh, a fixed header label instead of the broker's random port; every
view waits until its data is on screen and toasts are cleared. Regenerate with ``--snapshot-update``.
"""

from __future__ import annotations

import pytest

from flytui.demo import DemoEnvironment
from tests.flytui_helpers import make_app, notifications, wait_for, wait_idle, wait_ready

SIZE = (160, 48)


@pytest.fixture(scope="module")
def demo():
    with DemoEnvironment(deterministic=True) as env:
        yield env


def demo_app(demo, **kwargs):
    return make_app(demo.address, demo=True, label="demo broker", topic="orders", **kwargs)


async def settle(pilot, app) -> None:
    """Wait for workers and throttled updates, drop toasts, stop cursor blinking."""
    from textual.widgets import Input

    await wait_idle(pilot, app, 0.3)
    app.clear_notifications()
    for box in app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause(0.2)


async def quiet_start_seek(pilot, app) -> None:
    """With --group the stream first moves to the group's offset and says so: wait, then drop that toast
    (a toast left on the main screen would show through a dialog)."""
    await wait_for(pilot, lambda: "→" in notifications(app), what="start seek")
    # the groups table behind a dialog shows where its cursor is: let it reach --group's row and scroll
    # there (the scroll runs after a repaint, which a dialog on top would hold back)
    await wait_for(pilot, lambda: app.groups.selected_group == app.preferred_group, what="group row selected")
    await wait_idle(pilot, app, 0.1)
    app.clear_notifications()
    await pilot.pause(0.2)


def test_snapshot_topics_and_stream(demo, snap_compare):
    app = demo_app(demo)

    async def run_before(pilot):
        await wait_ready(pilot, app, "orders")
        await wait_for(pilot, lambda: app.dlq_records, what="dead letters")
        await settle(pilot, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_detail_with_json(demo, snap_compare):
    app = demo_app(demo)

    async def run_before(pilot):
        await wait_ready(pilot, app, "orders")
        app.action_focus_pane("partitions")
        await pilot.press("j", "j", "enter")  # partition 2
        await wait_for(pilot, lambda: app.stream.selected_record and app.stream.selected_record.partition == 2)
        await pilot.press(*"jjjjj")
        await wait_for(pilot, lambda: app.detail.record and app.detail.record.offset == 5, what="detail")
        await pilot.press("enter")  # into the detail
        await settle(pilot, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_detail_with_avro_schema(demo, snap_compare):
    """The demo's shipments topic: Avro values decoded with the schema registered under the topic's name."""
    from flytui.decode import DecodeMode

    app = make_app(demo.address, demo=True, label="demo broker", topic="shipments")

    async def run_before(pilot):
        await wait_ready(pilot, app, "shipments")
        await wait_for(pilot, lambda: app.detail.last_value.mode_used is DecodeMode.AVRO, what="Avro decode")
        app.action_focus_pane("detail")
        await settle(pilot, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_groups_with_lag(demo, snap_compare):
    app = demo_app(demo)

    async def run_before(pilot):
        await wait_ready(pilot, app, "orders")
        await pilot.press("5")
        await wait_for(pilot, lambda: app.focused is app.groups.table, what="groups focused")
        await pilot.press("j", "j", "j", "j", "j", "j", "j", "j")  # billing-service's rows
        await settle(pilot, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_commit_plan(demo, snap_compare):
    app = demo_app(demo, group="shipping-service")

    async def run_before(pilot):
        await wait_ready(pilot, app, "orders")
        await quiet_start_seek(pilot, app)
        await pilot.press("c")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommitTargetScreen", what="target")
        from textual.widgets import RadioButton

        app.screen.query_one("#kind-latest", RadioButton).value = True
        app.screen.query_one("#scope-all", RadioButton).value = True
        await pilot.pause(0.1)
        await pilot.press("p")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommitPlanScreen", what="plan")
        await settle(pilot, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_dead_letters(demo, snap_compare):
    app = demo_app(demo)

    async def run_before(pilot):
        await wait_ready(pilot, app, "orders")
        await wait_for(pilot, lambda: app.dlq_records, what="dead letters")
        await pilot.press("6")
        await wait_for(pilot, lambda: app.focused is app.dlq.table, what="dead letters focused")
        await pilot.press("G")  # the poison message, last in the queue
        await wait_for(pilot, lambda: getattr(app.detail.record, "id", None) == "dlq-0010", what="poison detail")
        await settle(pilot, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_undo_plan(demo, snap_compare):
    """The undo of a commit made at a fixed time (journaled by hand: the snapshot must not show a clock)."""
    from flytui.commit_journal import append_commit

    app = demo_app(demo, group="shipping-service")
    saved = {0: (120, 200), 1: (95, 200), 2: (130, 200), 3: (101, 200), 4: (88, 200), 5: (None, 200)}
    append_commit(demo.address, "orders", "shipping-service", saved, now=1767436923.0)

    async def run_before(pilot):
        await wait_ready(pilot, app, "orders")
        await quiet_start_seek(pilot, app)
        await pilot.press("3", "u")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommitPlanScreen", what="undo plan")
        await settle(pilot, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
