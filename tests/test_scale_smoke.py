"""The big-cluster shape that once stalled the UI for seconds per refresh, at a smaller size, as a smoke test.

It checks the structure that keeps refreshes cheap, not a timing (timings live in ``benchmarks/bench_scale.py``):
groups of a wide topic start collapsed, ``enter`` expands one, and a refresh in which one group moved rewrites
only a handful of cells and topic rows instead of every one.
"""

from __future__ import annotations

import pytest

from flytui.widgets.groups import row_key
from tests.flytui_helpers import make_app, pilot_test, wait_for, wait_idle, wait_ready
from tests.scale import SMOKE, WIDE_TOPIC, seed_big_cluster

pytestmark = [pytest.mark.broker(own=True), pytest.mark.filterwarnings("ignore::ResourceWarning")]


def _count_calls(obj, name: str) -> list:
    calls: list = []
    original = getattr(obj, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    setattr(obj, name, counted)
    return calls


@pilot_test
async def test_a_wide_topic_with_many_groups_refreshes_only_what_changed(flymq):
    seed_big_cluster(flymq.broker, SMOKE)
    app = make_app(flymq.address, topic=WIDE_TOPIC)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, WIDE_TOPIC)
        await wait_for(pilot, lambda: app.groups.loaded and app.groups.table.row_count, what="groups shown")
        table = app.groups.table
        assert app.groups.collapsed_by_default
        assert table.row_count == SMOKE.groups  # one row per group, not groups x partitions
        assert "enter expands a group" in str(table.border_subtitle)

        await pilot.press("5")
        await pilot.press("enter")
        first = app.groups.groups[0].group_id
        await wait_for(pilot, lambda: table.row_count == SMOKE.groups + SMOKE.wide_partitions,
                       what="first group expanded")
        assert app.groups.expanded(first)
        assert app.groups.selected_group == first

        moved = app.groups.groups[5].group_id
        app.groups.select_group(moved)  # on screen (rows far from it are updated once scrolled near)
        await wait_idle(pilot, app)
        cell_updates = _count_calls(table, "update_cell")
        flymq.broker.commit(WIDE_TOPIC, moved, 1, 0 if flymq.broker.committed(WIDE_TOPIC, moved, 1) else 1)
        app.action_refresh_now()
        await wait_for(pilot, lambda: cell_updates, what="the refresh reached the groups pane")
        await wait_idle(pilot, app)
        assert {args[0] for args in cell_updates} == {row_key(moved)}  # only the moved group's summary row
        assert len(cell_updates) <= 3  # its lag and its change mark (and nothing else)
        assert table.get_cell(row_key(moved), "change").plain.startswith("lag ")

        row_updates = _count_calls(app.topics_pane.option_list, "replace_option_prompt_at_index")
        rebuilt = _count_calls(app.topics_pane.option_list, "clear_options")
        flymq.broker.produce(WIDE_TOPIC, b"one more", key=b"k")
        app.action_refresh_now()
        await wait_for(pilot, lambda: row_updates, what="the refresh reached the topic list")
        await wait_idle(pilot, app)
        assert len(row_updates) == 1 and not rebuilt  # one topic row rewritten, the list not rebuilt

        app.groups.select_group(first)
        await pilot.press("enter")  # collapse again
        await wait_for(pilot, lambda: table.row_count == SMOKE.groups, what="collapsed")
    app.service.close()
