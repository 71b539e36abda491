"""Pilot tests of the pictures: records per second in the partitions pane, the lag sparkline and the lag chart."""

from __future__ import annotations

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


def cell(app, row: str, column: str) -> str:
    """What a partitions-pane cell shows."""
    return app.partitions_pane.get_cell(row, column).plain


@pilot_test
async def test_partitions_pane_shows_the_rate_of_produced_records(flymq):
    client = flymq.client()
    topic = flymq.topic("rate")
    client.create_topic(topic, 2)
    busy = str(client.produce(topic, b"first", key=b"same").partition)  # FlyMQ picks partitions by key
    quiet = "1" if busy == "0" else "0"
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_idle(pilot, app)
        assert cell(app, busy, "rate") == "–", "one refresh: no rate yet"
        for i in range(50):
            assert str(client.produce(topic, f"v{i}".encode(), key=b"same").partition) == busy
        version = app.history.version
        app.action_refresh_now()
        await wait_for(pilot, lambda: app.history.version > version, what="second refresh recorded")
        await wait_idle(pilot, app)
        rate = cell(app, busy, "rate")
        assert rate not in ("–", "0") and float(rate.rstrip("kM")) > 0
        assert cell(app, quiet, "rate") == "0"
        trend = cell(app, busy, "trend")
        assert trend.strip() and set(trend.strip()) <= set("▁▂▃▄▅▆▇█") and "█" in trend
        assert set(cell(app, quiet, "trend").strip()) == {"▁"}, "a quiet partition is a flat line"
        text = screen_text(app)
        assert "Rate/s" in text and "Last 5 min" in text and trend.strip() in text


@pilot_test
async def test_lag_chart_opens_by_key_and_shows_the_groups_history(flymq):
    client = flymq.client()
    topic = flymq.topic("lagchart")
    client.create_topic(topic, 1)
    for i in range(40):
        client.produce(topic, f"v{i}".encode())
    client.commit_offset(topic, "drainer", 0, 10)
    app = make_app(flymq.address, topic=topic, group="drainer")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: app.groups.group("drainer") is not None, what="group shown")
        await wait_idle(pilot, app)
        # the history as five refreshes would have left it: the lag drains from 500 to 30
        app.history.clear()
        for n, lag in enumerate((500, 400, 260, 120, 30)):
            app.history.add_lag(topic, "drainer", 1_000.0 + 30 * n, lag)
        app.groups.select_group("drainer")
        await pilot.press("5", "v")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LagChartScreen", what="chart open")
        await pilot.pause(0.1)
        text = screen_text(app)
        assert f"Lag of drainer on {topic}" in text
        assert "lag 30" in text and "draining" in text
        assert "500 ┤" in text and "█" in text and "-5 min" in text
        await pilot.press("w")
        await pilot.pause(0.1)
        assert "-15 min" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ != "LagChartScreen", what="chart closed")


@pilot_test
async def test_lag_chart_without_a_group_says_so(flymq):
    client = flymq.client()
    topic = flymq.topic("nogroup")
    client.create_topic(topic, 1)
    client.produce(topic, b"x")
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("3", "v")
        await wait_for(pilot, lambda: "No consumer group" in notifications(app), what="warning")
        assert type(app.screen).__name__ != "LagChartScreen"


@pilot_test
async def test_groups_pane_sparkline_follows_the_lag(flymq):
    client = flymq.client()
    topic = flymq.topic("lagspark")
    client.create_topic(topic, 1)
    for i in range(100):
        client.produce(topic, f"v{i}".encode())
    client.commit_offset(topic, "reader", 0, 0)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: app.groups.group("reader") is not None, what="group shown")
        await wait_idle(pilot, app)
        # as if a refresh 100 s earlier had seen the same lag (the sparkline's columns are 25 s wide)
        (first, lag), = app.history.lags.samples((topic, "reader"))
        app.history.clear()
        app.history.add_lag(topic, "reader", first - 100, lag)
        app.history.add_lag(topic, "reader", first, lag)
        client.commit_offset(topic, "reader", 0, 90)
        version = app.history.version
        app.action_refresh_now()
        await wait_for(pilot, lambda: app.history.version > version and app.groups.group("reader").total_lag == 10,
                       what="lag refreshed")
        await wait_idle(pilot, app)
        from flytui.widgets.groups import row_key

        trend = app.groups.table.get_cell(row_key("reader"), "trend")
        assert trend.plain.strip() == "████▁" and str(trend.style) == "green", "drained from 100 to 10"


class ThreadApp:
    """Runs the service's workers as plain threads and keeps what they post (the refresh without a UI)."""

    def __init__(self) -> None:
        self.messages: list = []
        self.threads: list = []

    def run_worker(self, work, **kwargs):
        import threading

        thread = threading.Thread(target=work, daemon=True)
        self.threads.append(thread)
        thread.start()
        return thread

    def post_message(self, message) -> bool:
        self.messages.append(message)
        return True

    def join(self) -> None:
        for thread in self.threads:
            thread.join(10)


def test_refresh_records_only_the_watermarks_it_read(flymq, monkeypatch):
    """On a big cluster a refresh re-reads only the open topic's watermarks; the others' reused ones must not
    enter the history (they would draw a flat rate and then a spike)."""
    from flytui import service as service_module
    from flytui.rate_history import SessionHistory
    from flytui.service import ConnectionSettings, FlyService

    client = flymq.client()
    opened, other = flymq.topic("open"), flymq.topic("other")
    for topic in (opened, other):
        client.create_topic(topic, 1)
        client.produce(topic, b"x")
    client.commit_offset(opened, "g", 0, 0)
    monkeypatch.setattr(service_module, "FULL_REFRESH_PARTITIONS", 0)  # every cluster counts as big
    svc = FlyService(ConnectionSettings(flymq.address, timeout_ms=3000))
    svc.history = history = SessionHistory()
    app = ThreadApp()
    svc.attach(app)
    try:
        svc.refresh([opened])  # the first pass reads every watermark
        app.join()
        for topic in (opened, other):
            client.produce(topic, b"y")
        svc.refresh([opened])  # within FULL_REFRESH_SECONDS: only the open topic's
        app.join()
    finally:
        svc.close()
    assert sum(type(m).__name__ == "OverviewLoaded" for m in app.messages) == 2 and svc.fresh_topics == {opened}
    assert [high for _, high in history.partition_recent(opened, 0, 3600)[1]] == [1, 2]
    assert [high for _, high in history.partition_recent(other, 0, 3600)[1]] == [1]
    assert [lag for _, lag in history.lag_recent(opened, "g", 3600)[1]] == [1, 2]


@pilot_test
async def test_refresh_draws_the_pictures_off_the_ui_thread(flymq, monkeypatch):
    """The rate and lag sparklines of a refresh are drawn by the refresh worker; the UI thread only shows them
    (drawing them there cost tens of ms a refresh on a wide topic and delayed key presses)."""
    import threading

    from flytui import picture_cells

    drawn_on: list[str] = []
    for name in ("rate_buckets", "level_buckets"):
        original = getattr(picture_cells, name)

        def counted(*args, original=original):
            drawn_on.append(threading.current_thread().name)
            return original(*args)

        monkeypatch.setattr(picture_cells, name, counted)
    client = flymq.client()
    topic = flymq.topic("offthread")
    client.create_topic(topic, 3)
    for i in range(30):
        client.produce(topic, f"v{i}".encode(), key=f"k{i}".encode())
    for group in ("alpha", "beta"):
        client.commit_offset(topic, group, 0, 1)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: app.groups.group("beta") is not None, what="groups shown")
        await wait_idle(pilot, app)
        for n in range(2):
            client.produce(topic, b"more", key=b"k1")
            client.commit_offset(topic, "alpha", 0, 2 + n)
            version = app.history.version
            drawn_on.clear()
            app.action_refresh_now()
            await wait_for(pilot, lambda v=version: app.history.version > v, what="refresh recorded")
            await wait_idle(pilot, app)
            main = threading.main_thread().name
            assert drawn_on, "the refresh drew the pictures"
            assert main not in drawn_on, f"{drawn_on.count(main)} of {len(drawn_on)} drawn on the UI thread"
        rate = app.partitions_pane.get_cell("1", "rate").plain
        assert rate not in ("", "–"), "the worker's cells are the ones shown"
        from flytui.widgets.groups import row_key

        assert set(app.groups.table.get_cell(row_key("alpha"), "trend").plain.strip()) <= set("▁▂▃▄▅▆▇█")
