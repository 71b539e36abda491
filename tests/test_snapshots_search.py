"""Snapshot of the whole-topic search's results view, from the deterministic demo data.

The scan's rate and timings depend on the machine: the snapshot shows fixed ones (set on the finished
search's state), everything else as the search left it. Regenerate with ``--snapshot-update``.
"""

from __future__ import annotations

import dataclasses

import pytest

from flytui.demo import DemoEnvironment
from flytui.screens.topic_search import TopicSearchScreen
from tests.flytui_helpers import make_app, wait_for, wait_idle, wait_ready

SIZE = (160, 48)
QUERY = '$.items[*].sku == "SKU-7002" and $.status == "cancelled"'


@pytest.fixture(scope="module")
def demo():
    with DemoEnvironment(deterministic=True) as env:
        yield env


def test_snapshot_search_results(demo, snap_compare):
    app = make_app(demo.address, demo=True, label="demo broker", topic="orders")

    async def run_before(pilot):
        from textual.widgets import Input

        await wait_ready(pilot, app, "orders")
        await pilot.press("3", "F")
        await wait_for(pilot, lambda: isinstance(app.screen, TopicSearchScreen), what="search view")
        await pilot.press(*QUERY, "enter")
        await wait_for(pilot, lambda: app.topic_search.snapshot is not None and app.topic_search.snapshot.finished,
                       what="search done")
        state = app.topic_search
        state.snapshot = dataclasses.replace(state.snapshot, elapsed=0.5, first_match_after=0.01)
        app.screen.show(state)
        await wait_idle(pilot, app, 0.3)
        app.clear_notifications()
        for box in app.screen.query(Input):
            box.cursor_blink = False
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
