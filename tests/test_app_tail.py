"""The live tail and honest state, driven with keys in the running app against a real broker.

Stopping the tail keeps the selected record; ``T`` starts with a backlog; the filter and ``n``/``N`` work in
the tail; while the connection is down every pane says how old its data is and the tail does not look
live; the header names the server actually connected and its node.
"""

from __future__ import annotations

import json
import socket

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


def seed(client, topic: str, partitions: int, per_partition: int) -> None:
    """``topic`` with ``partitions * per_partition`` records (FlyMQ spreads unkeyed records round-robin)."""
    client.create_topic(topic, partitions)
    for i in range(partitions * per_partition):
        client.produce(topic, json.dumps({"i": i, "kind": "old"}))


def offsets_by_partition(records) -> dict[int, list[int]]:
    """``{partition: [offset, ...]}`` of ``records``, in their order."""
    out: dict[int, list[int]] = {}
    for record in records:
        out.setdefault(record.partition, []).append(record.offset)
    return out


@pilot_test
async def test_stopping_the_tail_browses_the_selected_record(flymq):
    topic = flymq.topic("tail-stop")
    client = flymq.client()
    seed(client, topic, partitions=2, per_partition=5)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        known_high = {p.partition: p.high for p in app.topic_info().partitions}
        await pilot.press("t")
        await wait_for(pilot, lambda: app.stream.mode == "tail" and app.service.tail_polled_at is not None,
                       what="tail polling")
        for i in range(10):
            client.produce(topic, json.dumps({"live": i}))
        await wait_for(pilot, lambda: app.stream.row_count == 10, what="10 live records")
        await pilot.press("k", "k", "k")
        await wait_for(pilot, lambda: app.stream.cursor_row == 6, what="cursor moved up")
        chosen = app.stream.selected_record
        assert chosen.offset >= known_high[chosen.partition], "a record newer than the last refresh knew"
        await pilot.press("t")
        await wait_for(pilot, lambda: app.stream.mode == "browse", what="tail stopped")
        await wait_for(pilot, lambda: app.stream.selected_record is not None, what="page loaded")
        selected = app.stream.selected_record
        assert (selected.partition, selected.offset, selected.value) == (chosen.partition, chosen.offset,
                                                                         chosen.value)
        assert f"p{chosen.partition} ▸ offset {chosen.offset:,} of" in screen_text(app)
        assert not app.service.tailing
    app.service.close()


@pilot_test
async def test_tail_with_a_backlog_starts_with_the_last_records_of_each_partition(flymq):
    topic = flymq.topic("tail-backlog")
    client = flymq.client()
    seed(client, topic, partitions=3, per_partition=20)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("T")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "TailBacklogScreen", what="backlog prompt")
        await pilot.press("5", "enter")  # the prefilled 100 is selected: typing replaces it
        await wait_for(pilot, lambda: app.stream.mode == "tail" and app.stream.row_count == 15,
                       what="5 records of each partition")
        marks = {p: client.watermarks(topic, p) for p in range(3)}
        held = offsets_by_partition(app.stream.loaded_records())
        assert {p: sorted(o) for p, o in held.items()} == {p: list(range(high - 5, high))
                                                           for p, (_, high) in marks.items()}
        live = client.produce(topic, json.dumps({"live": 1}))
        await wait_for(pilot, lambda: app.stream.row_count == 16, what="a live record after the backlog")
        newest = app.stream.selected_record  # following the newest
        assert (newest.partition, newest.offset) == (live.partition, live.offset)
        assert "▶ LIVE" in screen_text(app)
        # T again: the last backlog is offered, enter takes it
        await pilot.press("T")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "TailBacklogScreen", what="prompt again")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.stream.row_count == 15, what="the backlog again")
        high = live.offset + 1
        assert sorted(offsets_by_partition(app.stream.loaded_records())[live.partition]) == list(
            range(high - 5, high))
    app.service.close()


@pilot_test
async def test_filter_and_match_steps_work_in_the_tail(flymq):
    topic = flymq.topic("tail-filter")
    client = flymq.client()
    seed(client, topic, partitions=1, per_partition=3)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.stream.mode == "tail" and app.service.tail_polled_at is not None,
                       what="tail polling")
        for i in range(8):
            client.produce(topic, json.dumps({"i": i, "kind": "needle" if i % 2 else "hay"}))
        await wait_for(pilot, lambda: app.stream.row_count == 8, what="8 live records")
        await pilot.press("slash")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "FilterScreen", what="filter dialog")
        await pilot.press(*"needle", "enter")
        await wait_for(pilot, lambda: app.stream.mode == "tail" and app.stream.row_count == 4,
                       what="the 4 needles held before the filter")
        assert app.service.tailing, "setting a filter must not stop the tail"
        assert all(b"needle" in r.value for r in app.stream.loaded_records())
        assert [r.offset for r in app.stream.loaded_records()] == [4, 6, 8, 10]
        client.produce(topic, json.dumps({"kind": "hay"}))
        client.produce(topic, json.dumps({"kind": "needle"}))
        await wait_for(pilot, lambda: app.stream.row_count == 5, what="a new needle, not the hay")
        text = screen_text(app)
        assert "filter needle ▸ match 5 of 5" in text and "following ▸ 5 matches" in text
        # n / N step between the matches
        await pilot.press("g", "n")
        await wait_for(pilot, lambda: app.stream.cursor_row == 1, what="next match")
        assert app.stream.selected_record.offset == 6
        await pilot.press("N", "N")
        await wait_for(pilot, lambda: "No earlier match for “needle”" in notifications(app), what="no earlier")
        assert app.stream.cursor_row == 0
        # esc clears the filter: the tail goes on unfiltered, from the oldest match it held
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.stream.filter_text is None and app.stream.row_count == 9,
                       what="unfiltered tail from offset 4")
        assert app.service.tailing and app.stream.mode == "tail"
        assert [r.offset for r in app.stream.loaded_records()] == list(range(4, 13))
    app.service.close()


@pilot_test
async def test_panes_are_marked_stale_while_the_connection_is_down():  # its own broker: it stops and restarts it
    from pyflymq.broker import Broker

    own = Broker(host="127.0.0.1", port=0)
    own.start()
    own.create_topic("orders", 2)
    own.produce("orders", "x")
    port = int(own.address.rsplit(":", 1)[1])
    app = make_app(own.address, topic="orders")
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_ready(pilot, app, "orders")
            await pilot.press("t")
            await wait_for(pilot, lambda: app.service.tail_polled_at is not None, what="tail polling")
            assert "▶ LIVE" in screen_text(app) and "following ▸" in screen_text(app)
            own.stop()
            app.action_refresh_now()
            await wait_for(pilot, lambda: app.header.state == "reconnecting", what="reconnecting shown")
            await wait_for(pilot, lambda: "‖ PAUSED" in screen_text(app), what="tail shown paused")
            text = screen_text(app)
            assert "▶ LIVE" not in text and "following ▸" not in text
            assert "received before the connection dropped" in text
            for pane in (app.topics_pane, app.partitions_pane, app.groups.table, app.dlq.table):
                assert pane.stale_age is not None, pane
            assert text.count("stale ") >= 4  # header, stream, topics, partitions (the visible tab too)
            own = Broker(host="127.0.0.1", port=port)
            own.start()
            own.create_topic("orders", 2)
            await wait_for(pilot, lambda: app.header.state == "connected", timeout=10, what="reconnected")
            await wait_idle(pilot, app)
            text = screen_text(app)
            assert "stale" not in text and "‖ PAUSED" not in text
            assert "▶ LIVE" in text and "following ▸" in text
    finally:
        app.service.close()
        own.stop()


def _dead_address() -> str:
    """A 127.0.0.1 port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


@pilot_test
async def test_header_names_the_server_connected_and_its_node(flymq):
    topic = flymq.topic("header")
    seed(flymq.client(), topic, partitions=1, per_partition=2)
    dead = _dead_address()
    app = make_app(f"{dead},{flymq.address}", topic=topic, label="")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        header = screen_text(app).splitlines()[0]
        assert flymq.address in header and dead not in header
        meta = flymq.client().cluster_metadata(topic)
        if meta.cluster_id != "standalone":
            assert f"node {meta.cluster_id}" in header
        else:
            assert f"node {meta.topics[0].partitions[0].leader_id} (standalone)" in header
    app.service.close()
