"""Whole-topic search and the filter that stays, driven with keys in the running app against a real broker.

``F`` opens the search; an expression typed and ``enter`` scans every partition with one progress line and a
results list; ``enter`` on a match opens it in the stream at its partition and offset; ``esc`` cancels a
running scan. The stream's filter stays when another partition is opened and in the tail, and the filter
dialog takes the query language with a message at the failing position.
"""

from __future__ import annotations

import json
import threading

import pytest
from textual.widgets import DataTable

from flytui.screens.topic_search import TopicSearchScreen
from tests.flytui_helpers import make_app, pilot_test, screen_text, wait_for, wait_ready

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def seed(client, topic: str, partitions: int, count: int, needles: set[int]) -> dict[int, tuple[int, int]]:
    """``count`` keyed JSON orders; order ``i`` in ``needles`` has status ``stuck``. ``{i: (partition, offset)}``."""
    client.create_topic(topic, partitions)
    where = {}
    for i in range(count):
        status = "stuck" if i in needles else "paid"
        meta = client.produce(topic, json.dumps({"order": i, "status": status, "amount": i}), key=f"cust-{i:04d}")
        where[i] = (meta.partition, meta.offset)
    return where


def results(app) -> list[tuple[int, int]]:
    """The (partition, offset) of each row of the results list, in its order."""
    table = app.screen.query_one("#search-results", DataTable)
    return [tuple(int(x) for x in str(row.key.value).split(":")) for row in table.ordered_rows]


@pilot_test
async def test_search_every_partition_and_open_a_match(flymq):
    topic = flymq.topic("find-all")
    where = seed(flymq.client(), topic, 4, 200, {17, 101, 150})
    assert len({where[i][0] for i in (17, 101, 150)}) > 1
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, TopicSearchScreen), what="search view")
        await pilot.press(*'$.status == "stuck"', "enter")
        await wait_for(pilot, lambda: "Done:" in screen_text(app), what="search done")
        text = screen_text(app)
        assert "200 of 200 records" in text and "partitions 4/4" in text and "3 matches" in text
        assert sorted(results(app)) == sorted(where[i] for i in (17, 101, 150))
        assert "cust-0101" in text
        wanted = where[101]
        row = results(app).index(wanted)
        await pilot.press("tab", "tab", "tab")  # expression -> start -> partitions -> results
        await wait_for(pilot, lambda: isinstance(app.focused, DataTable), what="results focused")
        for _ in range(row):
            await pilot.press("down")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, TopicSearchScreen), what="search closed")
        await wait_for(pilot, lambda: app.stream.selected_record is not None
                       and (app.stream.selected_record.partition, app.stream.selected_record.offset) == wanted,
                       what="the match selected in the stream")
        assert app.partition == wanted[0]
        assert f"p{wanted[0]} ▸ offset {wanted[1]:,} of" in screen_text(app)
        assert b'"order": 101' in app.stream.selected_record.value
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: "Search every partition of the topic" in screen_text(app), what="F in help")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ != "HelpScreen", what="help closed")
        await pilot.press("F")  # the last search is still there
        await wait_for(pilot, lambda: isinstance(app.screen, TopicSearchScreen), what="search view again")
        assert sorted(results(app)) == sorted(where[i] for i in (17, 101, 150))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, TopicSearchScreen), what="closed by esc")
    app.service.close()


@pilot_test
async def test_search_from_the_end_on_chosen_partitions(flymq):
    topic = flymq.topic("find-some")
    where = seed(flymq.client(), topic, 3, 90, set(range(90)))
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, TopicSearchScreen), what="search view")
        await pilot.press(*"stuck", "tab")
        await pilot.press(*"end-5", "tab")  # tab selects the field's text ("beginning"): typing replaces it
        await pilot.press(*"1", "enter")
        await wait_for(pilot, lambda: "Done:" in screen_text(app), what="search done")
        expected = sorted(pos for pos in where.values() if pos[0] == 1)[-5:]
        assert sorted(results(app)) == expected
        assert "partitions 1/1" in screen_text(app)
    app.service.close()


@pilot_test
async def test_a_bad_expression_shows_the_position_and_no_search_runs(flymq):
    topic = flymq.topic("find-bad")
    seed(flymq.client(), topic, 2, 10, set())
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, TopicSearchScreen), what="search view")
        await pilot.press(*"$.amount >", "enter")
        await wait_for(pilot, lambda: "character" in screen_text(app), what="the error")
        lines = screen_text(app).splitlines()
        shown = next(i for i, line in enumerate(lines[:-1]) if "$.amount >" in line and "^" in lines[i + 1])
        caret = lines[shown + 1].index("^")
        assert caret == lines[shown].index("$.amount >") + len("$.amount >")
        assert app.topic_search is not None and app.topic_search.snapshot is None
        assert isinstance(app.screen, TopicSearchScreen)
    app.service.close()


@pilot_test
async def test_esc_cancels_a_running_search_and_keeps_what_it_found(flymq):
    topic = flymq.topic("find-cancel")
    seed(flymq.client(), topic, 2, 2400, set(range(0, 2400, 100)))
    app = make_app(flymq.address, topic=topic)
    gate = threading.Event()
    checked = threading.Event()
    start = app.service.search_topic

    def gated_search(*args, **kwargs):
        matches = kwargs["matches"]

        def held(record) -> bool:
            checked.set()
            gate.wait(10.0)  # the scan waits here until the test has pressed esc (bounded)
            return matches(record)

        kwargs["matches"] = held
        return start(*args, **kwargs)

    app.service.search_topic = gated_search
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, TopicSearchScreen), what="search view")
        await pilot.press(*'$.status == "stuck"', "enter")
        await wait_for(pilot, checked.is_set, what="the scan started")
        await wait_for(pilot, lambda: "Scanning:" in screen_text(app), what="progress shown")
        await pilot.press("escape")
        gate.set()
        await wait_for(pilot, lambda: app.topic_search.snapshot is not None and app.topic_search.snapshot.finished,
                       what="scan ended")
        await wait_for(pilot, lambda: "Cancelled:" in screen_text(app), what="cancelled shown")
        snapshot = app.topic_search.snapshot
        assert snapshot.scanned < snapshot.total == 2400
        assert isinstance(app.screen, TopicSearchScreen), "the first esc cancels, the view stays"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, TopicSearchScreen), what="closed")
    app.service.close()


@pilot_test
async def test_the_filter_stays_on_another_partition_and_in_the_tail(flymq):
    topic = flymq.topic("filter-stays")
    client = flymq.client()
    where = seed(client, topic, 3, 60, {5, 20, 33, 47})
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("slash")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "FilterScreen", what="filter dialog")
        await pilot.press(*'$.status == "stuck"', "enter")
        await wait_for(pilot, lambda: app.stream.filtered and app.stream.selected_record is not None,
                       what="filtered view")
        assert b'"stuck"' in app.stream.selected_record.value
        other = next(p for p in range(3) if p != app.partition)
        await pilot.press("2")  # the partitions pane
        await wait_for(pilot, lambda: app.focused_pane == "partitions", what="partitions focused")
        await pilot.press("home", *["down"] * other, "enter")
        await wait_for(pilot, lambda: app.partition == other and app.stream.row_count > 0, what="other partition")
        await wait_for(pilot, lambda: app.stream.filtered, what="still filtered")
        await wait_for(pilot, lambda: len(app.stream.loaded_records()) == app.stream.row_count, what="rows loaded")
        assert [(r.partition, r.offset) for r in app.stream.loaded_records()] == sorted(
            pos for i, pos in where.items() if i in {5, 20, 33, 47} and pos[0] == other)
        assert app.stream_filter == '$.status == "stuck"'
        await pilot.press("t")
        await wait_for(pilot, lambda: app.stream.mode == "tail" and app.service.tail_polled_at is not None,
                       what="tail polling")
        for i in range(200, 206):
            client.produce(topic, json.dumps({"order": i, "status": "stuck" if i % 2 else "paid"}))
        await wait_for(pilot, lambda: app.stream.row_count == 3, what="the 3 live matches")
        values = [json.loads(r.value) for r in app.stream.loaded_records()]
        assert sorted(v["order"] for v in values) == [201, 203, 205]
        await pilot.press("t")  # stop: browse the selected record's partition, still filtered
        await wait_for(pilot, lambda: app.stream.mode == "browse" and app.stream.filtered, what="filtered browse")
        assert app.stream_filter == '$.status == "stuck"'
    app.service.close()


@pilot_test
async def test_the_filter_dialog_shows_where_a_query_fails(flymq):
    topic = flymq.topic("filter-bad")
    seed(flymq.client(), topic, 1, 5, set())
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("slash")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "FilterScreen", what="filter dialog")
        await pilot.press(*"key == ", "enter")
        await wait_for(pilot, lambda: "^" in screen_text(app), what="the caret")
        assert app.screen.__class__.__name__ == "FilterScreen"
        assert app.stream_filter is None
        assert "character 8" in screen_text(app)
    app.service.close()
