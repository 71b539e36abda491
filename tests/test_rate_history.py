"""The session's history of watermarks and lags (flytui/rate_history.py) and its pictures (flytui/sparkline.py)."""

from __future__ import annotations

import pytest
from rich.text import Text

from flytui.model import Overview, PartitionInfo, TopicInfo
from flytui.rate_history import (
    History,
    Ring,
    SessionHistory,
    lag_slope,
    latest_rate,
    level_buckets,
    rate_buckets,
    total_lags,
)
from flytui.sparkline import BLOCKS, chart, compact_number, sparkline
from pyflymq.models import GroupInfo

# ------------------------------------------------------------------------------------------- ring buffer


def test_ring_keeps_the_last_samples_in_fixed_memory():
    ring = Ring(4)
    for i in range(3):
        ring.append(float(i), i * 10.0)
    assert list(ring) == [(0.0, 0.0), (1.0, 10.0), (2.0, 20.0)]
    for i in range(3, 1003):
        ring.append(float(i), i * 10.0)
        assert len(ring) <= 4
    assert list(ring) == [(999.0, 9990.0), (1000.0, 10000.0), (1001.0, 10010.0), (1002.0, 10020.0)]
    assert ring.last() == (1002.0, 10020.0)
    assert ring.nbytes == 4 * 16
    assert ring.since(1001.5) == [(1001.0, 10010.0), (1002.0, 10020.0)], "and the one before, for the interval"
    assert ring.since(0) == list(ring)
    with pytest.raises(ValueError):
        Ring(1)


def test_history_bounds_the_number_of_series_and_drops_the_stalest():
    history = History(capacity=3, max_series=2)
    history.add("a", 1, 1)
    history.add("b", 1, 1)
    history.add("a", 2, 2)  # a is now the most recently updated
    history.add("c", 1, 1)  # b goes
    assert history.samples("b") == [] and history.samples("a") == [(1, 1), (2, 2)] and len(history) == 2
    history.add("a", 2, 99)
    assert history.samples("a")[-1] == (2, 2), "a sample not newer than the last one is ignored"
    for t in range(3, 100):
        history.add("a", t, t)
    assert len(history.samples("a")) == 3 and history.nbytes <= 2 * 3 * 16


def test_session_history_memory_does_not_grow_with_the_session():
    overview = make_overview(0)
    history = SessionHistory(capacity=10)
    for n in range(200):
        history.record(make_overview(n, taken_at=1000.0 + 5 * n))
    assert history.version == 200 and history.latest == 1000.0 + 5 * 199
    series = sum(len(t.partitions) for t in overview.topics) + len(overview.groups)
    assert history.nbytes == series * 10 * 16, "16 bytes a sample, capacity samples a series"
    history.record(make_overview(1, taken_at=10.0))
    assert history.version == 200, "an older refresh arriving late is ignored"


# ------------------------------------------------------------------------------------------- numbers


def make_overview(n: int, taken_at: float = 1000.0) -> Overview:
    parts = (PartitionInfo("orders", 0, 0, 100 + 10 * n), PartitionInfo("orders", 1, 5, 50))
    groups = (GroupInfo(topic="orders", group_id="billing", offsets={0: 90}, members=1),)
    return Overview("c", (TopicInfo("orders", parts), TopicInfo("other", (PartitionInfo("other", 0, 0, 9),))),
                    groups, taken_at)


def test_total_lags_agree_with_the_groups_pane():
    overview = make_overview(3)
    (topic, group, lag), = total_lags(overview)
    assert (topic, group) == ("orders", "billing")
    assert lag == overview.group_lags("orders")[0].total_lag == (130 - 90) + (50 - 5)
    assert list(total_lags(overview, {"other"})) == []


def test_record_only_takes_fresh_topics():
    history = SessionHistory()
    history.record(make_overview(0), fresh={"orders"})
    assert history.partitions.samples(("orders", 0)) == [(1000.0, 100.0)]
    assert history.partitions.samples(("other", 0)) == [], "watermarks reused from an older pass are skipped"
    assert history.lags.samples(("orders", "billing")) == [(1000.0, 55.0)]


def test_rates_from_watermarks():
    samples = [(0.0, 0.0), (10.0, 100.0), (20.0, 100.0), (30.0, 400.0)]
    assert latest_rate(samples) == 30.0
    assert latest_rate(samples[:1]) is None
    assert latest_rate([(0.0, 500.0), (5.0, 10.0)]) == 0.0, "a topic made again counts as no traffic"
    assert rate_buckets(samples, end=30.0, window=30.0, columns=3) == [10.0, 0.0, 30.0]
    # a slice half covered takes the rate of what covers it; no data at all is None
    assert rate_buckets(samples, end=40.0, window=40.0, columns=4) == [10.0, 0.0, 30.0, None]
    # an interval longer than a slice fills every slice it spans
    assert rate_buckets([(0.0, 0.0), (30.0, 60.0)], end=30.0, window=30.0, columns=3) == [2.0, 2.0, 2.0]
    assert rate_buckets([(0.0, 0.0), (1.0, 60.0)], end=100.0, window=30.0, columns=3) == [None] * 3


def test_levels_hold_the_last_sample():
    samples = [(10.0, 5.0), (20.0, 7.0)]
    assert level_buckets(samples, end=30.0, window=30.0, columns=3) == [5.0, 7.0, 7.0]
    assert level_buckets(samples, end=30.0, window=60.0, columns=6) == [None, None, None, 5.0, 7.0, 7.0]


def test_lag_slope_over_the_last_minute():
    samples = [(0.0, 1000.0), (50.0, 900.0), (100.0, 700.0), (120.0, 600.0)]
    assert lag_slope(samples, 60.0) == (600.0 - 900.0) / 70.0
    assert lag_slope(samples, 1000.0) == (600.0 - 1000.0) / 120.0
    assert lag_slope(samples[:1]) is None


# ------------------------------------------------------------------------------------------- pictures


def test_sparkline_scales_to_the_largest_and_shows_gaps():
    line = sparkline([None, 0, 1, 2, 4, 8], style="green")
    assert isinstance(line, Text) and line.style == "green"
    assert line.plain == " ▁▁▂▄█"
    assert sparkline([0, 0, 0]).plain == "▁▁▁", "a quiet partition is a flat line, not nothing"
    assert sparkline([]).plain == ""
    assert sparkline([1, 2], top=16).plain == "▁▁"
    assert sparkline([20], top=10).plain == "█", "values above top are clipped"
    assert len(sparkline([i / 7 for i in range(8)]).plain) == 8
    assert sparkline([i + 1 for i in range(8)]).plain == BLOCKS


def test_chart_draws_bars_in_eighths():
    lines = chart([0, 1, 2, 4, None], height=2)
    assert [line.plain for line in lines] == ["   █ ", " ▄██ "]  # 1/4, 2/4, 4/4 of two lines
    assert [line.plain for line in chart([1, 100], height=3)] == [" █", " █", "▁█"], "a small value still shows"


@pytest.mark.parametrize(("value", "text"), [(0, "0"), (0.25, "0.2"), (4.0, "4"), (37.4, "37"), (999, "999"),
                                            (1234, "1.2k"), (35_000, "35k"), (1_200_000, "1.2M"), (-3, "-3")])
def test_compact_numbers(value, text):
    assert compact_number(value) == text


def test_lag_trend_colours_say_draining_or_growing():
    from flytui.picture_cells import lag_trend

    assert lag_trend([None, None, 40.0]).plain == "", "one value says nothing"
    assert str(lag_trend([100.0, 50.0, 10.0]).style) == "green"
    assert str(lag_trend([10.0, 50.0, 100.0]).style) == "red"
    assert str(lag_trend([10.0, 50.0, 10.0]).style) == "dim"
    assert str(lag_trend([41.0, 44.0, 42.0]).style) == "dim", "a lag that wobbles is steady"


def test_ring_since_agrees_with_a_scan_at_every_fill_and_wrap():
    for capacity in (2, 3, 7):
        ring = Ring(capacity)
        for i in range(3 * capacity):
            ring.append(10.0 * i, float(i))
            everything = list(ring)
            for when in [-5.0, *(10.0 * k + d for k in range(3 * capacity) for d in (0.0, 5.0))]:
                newer = [s for s in everything if s[0] >= when]
                before = [s for s in everything if s[0] < when][-1:]
                assert ring.since(when) == before + newer, (capacity, i, when)
