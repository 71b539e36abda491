"""Snapshot of the lag chart (``v``) over the rates and sparklines, from the deterministic demo data and a
made-up history with fixed times (:func:`flytui.demo.fill_history`), never the wall clock."""

from __future__ import annotations

import pytest

from flytui.demo import DemoEnvironment, fill_history
from tests.flytui_helpers import make_app, notifications, wait_for, wait_idle, wait_ready

SIZE = (160, 48)
END = 1_767_436_923.0


@pytest.fixture(scope="module")
def demo():
    with DemoEnvironment(deterministic=True) as env:
        yield env


def test_snapshot_lag_chart(demo, snap_compare):
    app = make_app(demo.address, demo=True, label="demo broker", topic="orders", group="shipping-service")

    async def run_before(pilot):
        await wait_ready(pilot, app, "orders")
        await wait_for(pilot, lambda: "→" in notifications(app), what="start seek")
        await wait_for(pilot, lambda: app.groups.selected_group == "shipping-service", what="group row selected")
        await wait_idle(pilot, app, 0.1)
        fill_history(app.history, app.overview, end=END)
        app.redraw_history()
        app.clear_notifications()
        await pilot.press("v")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LagChartScreen", what="chart")
        await wait_idle(pilot, app, 0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
