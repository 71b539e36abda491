"""The picture cells drawn by the refresh worker (flytui.picture_cells): what is drawn, when a drawn cell is
used, and that a cell drawn for an older history is never shown."""

from __future__ import annotations

from flytui.model import Overview, PartitionInfo, TopicInfo
from flytui.picture_cells import LAG_COLUMNS, RATE_COLUMNS, PictureCells
from flytui.rate_history import SessionHistory
from pyflymq.models import GroupInfo

T0 = 1_767_000_000.0


def overview(when: float, high: int, committed: int, topic: str = "orders") -> Overview:
    """Two partitions of ``topic`` and two groups on it, plus another topic nobody looks at."""
    topics = (TopicInfo(topic, (PartitionInfo(topic, 0, 0, high), PartitionInfo(topic, 1, 0, 5))),
              TopicInfo("other", (PartitionInfo("other", 0, 0, high),)))
    groups = (GroupInfo(topic=topic, group_id="fast", members=1, offsets={0: committed, 1: 5}),
              GroupInfo(topic=topic, group_id="slow", members=0, offsets={0: 0}),
              GroupInfo(topic="other", group_id="elsewhere", members=0, offsets={0: 0}))
    return Overview("test", topics, groups, when)


def recorded(history: SessionHistory, pictures: PictureCells, passes: int) -> Overview:
    """``passes`` refreshes 30 s apart (partition 0 grows by 300 each), each recorded and prepared."""
    last = overview(T0, 0, 0)
    for n in range(passes):
        last = overview(T0 + 30 * n, 300 * n, 50 * n)
        history.record(last)
        pictures.prepare(last, ["orders"])
    return last


def test_prepare_draws_the_focused_topic_and_lookups_use_it():
    history = SessionHistory()
    pictures = PictureCells(history)
    recorded(history, pictures, 3)
    rate, trend = pictures.rate("orders", 0)
    assert rate.plain == "10" and len(trend.plain) == RATE_COLUMNS and "█" in trend.plain
    assert pictures.rate("orders", 1)[0].plain == "0", "a quiet partition"
    lag = pictures.lag("orders", "slow")
    assert len(lag.plain) == LAG_COLUMNS and str(lag.style) == "red", "its lag grows"
    assert pictures.rate("orders", 0)[1] is trend, "a lookup returns the drawn cell, it does not draw"
    assert pictures.drawn_on_the_spot == 0
    pictures.rate("other", 0)  # not focused: drawn on the spot, then kept for this version
    pictures.rate("other", 0)
    assert pictures.drawn_on_the_spot == 1


def test_a_cell_drawn_for_an_older_history_is_not_shown():
    history = SessionHistory()
    pictures = PictureCells(history)
    recorded(history, pictures, 3)
    before = pictures.lag("orders", "slow")
    history.add_lag("orders", "slow", T0 + 65, 0.0)  # filled by hand after the worker drew: lag now 0
    after = pictures.lag("orders", "slow")
    assert after is not before and before.plain.endswith("█") and after.plain.endswith("▁")
    assert pictures.drawn_on_the_spot == 1


def test_a_cell_that_looks_the_same_is_the_same_object():
    """So the panes skip it by identity, without comparing text and styles."""
    history = SessionHistory()
    pictures = PictureCells(history)
    last = recorded(history, pictures, 12)  # the 5-minute window full
    quiet = pictures.rate("orders", 1)
    busy = pictures.rate("orders", 0)
    high = last.topics[0].partitions[0].high
    busier = overview(last.taken_at + 30, high + 2400, 100)  # partition 0 now at 80/s
    history.record(busier)
    pictures.prepare(busier, ["orders"])
    assert pictures.rate("orders", 1) is quiet, "partition 1 stayed at 0/s and a flat line"
    assert pictures.rate("orders", 0)[0] is not busy[0] and pictures.rate("orders", 0)[0].plain == "80"
    assert pictures.drawn_on_the_spot == 0


def test_nothing_recorded_yet_shows_a_dash():
    pictures = PictureCells(SessionHistory())
    assert pictures.rate("orders", 0)[0].plain == "–"
    assert pictures.lag("orders", "fast").plain == ""
