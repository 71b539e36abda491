"""Snapshot tests of the main view and the record detail at 80×24, 120×40 and 200×60 (pytest-textual-snapshot).

The same deterministic demo data as tests/test_app_snapshots.py. Below 130 columns the detail opens over the
panes; at 200 columns it sits beside the stream. Regenerate with ``--snapshot-update`` and look at each one.
"""

from __future__ import annotations

import pytest

from flytui.demo import DemoEnvironment
from tests.flytui_helpers import make_app, wait_for, wait_idle, wait_ready

SIZES = [(80, 24), (120, 40), (200, 60)]


@pytest.fixture(scope="module")
def demo():
    with DemoEnvironment(deterministic=True) as env:
        yield env


async def settle(pilot, app) -> None:
    """Wait for workers, let the layout settle, drop toasts, stop cursor blinking."""
    from textual.widgets import Input

    await wait_idle(pilot, app, 0.3)
    app.clear_notifications()
    for box in app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause(0.2)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_snapshot_main_view(demo, snap_compare, size):
    app = make_app(demo.address, demo=True, label="demo broker", topic="orders")

    async def run_before(pilot):
        await wait_ready(pilot, app, "orders")
        await wait_for(pilot, lambda: app.dlq_records, what="dead letters")
        await settle(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_snapshot_detail(demo, snap_compare, size):
    app = make_app(demo.address, demo=True, label="demo broker", topic="orders")

    async def run_before(pilot):
        await wait_ready(pilot, app, "orders")
        app.action_focus_pane("partitions")
        await pilot.press("j", "j", "enter")  # partition 2
        await wait_for(pilot, lambda: app.stream.selected_record and app.stream.selected_record.partition == 2)
        await pilot.press(*"jjjjj")
        await wait_for(pilot, lambda: app.detail.record and app.detail.record.offset == 5, what="detail")
        await pilot.press("enter")  # into the detail
        await wait_for(pilot, lambda: app.focused is app.detail, what="detail focused")
        await settle(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
