"""Pilot tests of flytui at every terminal size: 80×24 works, resizing keeps what is selected, wide terminals give
the stream the room.

Each test seeds its own topic through the client (so they also run against ``FLYMQ_TEST_SERVER``).
"""

from __future__ import annotations

import json

import pytest

from flytui.widgets.groups import COLUMNS, fit_columns
from tests.flytui_helpers import (
    border_title_text,
    make_app,
    pilot_test,
    screen_text,
    wait_for,
    wait_idle,
    wait_ready,
)

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def seed(flymq, *, partitions: int = 2, per_partition: int = 20, value_pad: int = 0,
         groups: tuple[str, ...] = ("billing",)) -> str:
    """A fresh topic with keyed JSON records on every partition, and ``groups`` committed on partition 0."""
    topic = flymq.topic("sizes")
    client = flymq.client()
    client.create_topic(topic, partitions)
    for partition in range(partitions):
        for i in range(per_partition):
            value = json.dumps({"p": partition, "i": i, "pad": "x" * value_pad})
            client.produce(topic, value, key=f"key-{partition}-{i:03d}", partition=partition)
    for group in groups:
        client.commit_offset(topic, group, 0, 5)
    return topic


def header_line(app, first: str) -> str:
    """The screen line that holds the groups table's header (the one starting with ``first``)."""
    lines = [line for line in screen_text(app).splitlines() if first in line and "Lag" in line]
    assert lines, screen_text(app)
    return lines[0]


def lag_lines_up(app, group: str, lag: str) -> bool:
    """True when ``group``'s row is on screen with ``lag`` ending where the groups table's Lag header ends."""
    header = header_line(app, "Group")
    lag_end = header.index("Lag", header.index("Group")) + len("Lag")
    rows = [line for line in screen_text(app).splitlines() if group in line]
    return bool(rows) and rows[0].find(lag, rows[0].index(group)) + len(lag) == lag_end


def test_columns_drop_from_the_right_and_never_from_the_middle():
    keys = [key for _, key, _ in COLUMNS]
    assert keys[:3] == ["group", "lag", "members"]
    previous: tuple[str, ...] = ()
    for width in range(20, 200):
        shown, group_width = fit_columns(width)
        assert list(shown) == keys[:len(shown)]  # a prefix: what goes is always the rightmost
        assert len(shown) >= len(previous)  # a wider table never shows fewer
        assert 14 <= group_width <= 26
        if "change" in shown:  # the group names get their full width before the change column any room
            assert group_width == 26
        previous = shown
    assert fit_columns(200)[0] == tuple(keys)


@pilot_test
async def test_groups_table_at_80x24_shows_group_lag_and_members_first(flymq):
    topic = seed(flymq, groups=("billing",))
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: app.groups.group("billing") is not None, what="groups")
        await wait_idle(pilot, app)
        line = header_line(app, "Group")
        words = line.split()
        start = words.index("Group")
        assert words[start:start + 3] == ["Group", "Lag", "Members"], line
        assert "Log end" not in line  # dropped: it does not fit, and nothing is cut half way
        assert app.groups.shown_columns[:3] == ("group", "lag", "members")
        # the billing group's total lag (partition 0 at 5 of 20, partition 1 never committed: 15 + 20) is on screen
        assert any("billing" in row and "35" in row for row in screen_text(app).splitlines())
    app.service.close()


@pilot_test
async def test_resizing_keeps_the_stream_row_the_topic_and_the_group(flymq):
    topic = seed(flymq, partitions=2, per_partition=40, groups=("alpha", "beta", "gamma"))
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: app.groups.group("gamma") is not None, what="groups")
        app.action_focus_pane("partitions")
        await pilot.press("j", "enter")
        await wait_for(pilot, lambda: app.stream.selected_record and app.stream.selected_record.partition == 1)
        app.action_focus_pane("stream")
        await pilot.press(*"jjjjjjj")
        await wait_for(pilot, lambda: app.stream.selected_record and app.stream.selected_record.offset == 7)
        app.action_focus_pane("groups")
        assert app.groups.select_group("gamma")
        app.action_focus_pane("stream")
        for size in ((80, 24), (120, 40), (220, 60), (100, 30), (160, 48)):
            await pilot.resize_terminal(*size)
            await wait_idle(pilot, app, 0.1)
            record = app.stream.selected_record
            assert (record.partition, record.offset) == (1, 7), size
            assert app.topic == topic and app.topics_pane.highlighted_topic == topic, size
            assert app.groups.selected_group == "gamma", size
            assert app.focused is app.stream, size
            assert "offset 7" in border_title_text(app.stream), size
            # the table is drawn for its new columns: gamma's lag (35 + 40) ends where the Lag header ends
            # (waited for: the table scrolls its cursor row into view after a repaint)
            await wait_for(pilot, lambda: lag_lines_up(app, "gamma", "75"),
                           what=f"gamma's lag under the Lag header at {size}")
    app.service.close()


@pilot_test
async def test_detail_opens_over_the_panes_below_130_columns_and_resizing_keeps_it(flymq):
    topic = seed(flymq, partitions=1, per_partition=10)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app, topic)
        assert app.detail.region.width == 0  # closed: the stream has the room
        app.action_focus_pane("stream")
        await pilot.press("j", "j", "j", "enter")
        await wait_for(pilot, lambda: app.focused is app.detail and app.detail.region.width > 0, what="detail")
        await wait_for(pilot, lambda: app.detail.record is not None and app.detail.record.offset == 3)
        # it covers the topic list, the partitions and the groups too: the whole width and height below the header
        assert app.detail.region.width == 120
        assert app.detail.region.height >= 40 - 2
        assert app.topics_pane.region.width == 0 and app.bottom.region.height == 0
        assert "key-0-003" in screen_text(app)
        await pilot.resize_terminal(80, 24)
        await wait_idle(pilot, app, 0.1)
        assert app.focused is app.detail and app.detail.region.width == 80
        assert app.detail.record.offset == 3
        await pilot.resize_terminal(160, 48)  # wide: stream and detail side by side, the record kept
        await wait_idle(pilot, app, 0.1)
        assert app.stream.region.width > 0 and app.detail.region.width > 0
        assert app.detail.record.offset == 3 and app.stream.selected_record.offset == 3
        await pilot.resize_terminal(100, 30)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.focused is app.stream and app.stream.region.width > 0, what="back")
        assert app.stream.selected_record.offset == 3 and app.topics_pane.region.width > 0
    app.service.close()


@pilot_test
async def test_at_220x60_the_value_takes_the_spare_width_and_the_stream_the_spare_height(flymq):
    topic = seed(flymq, partitions=1, per_partition=60, value_pad=300, groups=("solo",))
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(220, 60)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: app.groups.group("solo") is not None, what="groups")
        await wait_idle(pilot, app, 0.2)
        row = next(line for line in screen_text(app).splitlines() if "key-0-000" in line)
        value = row[row.index('{"p"'):]
        value = value[:value.index("…") + 1]
        assert len(value) >= 65, row  # (the value column stopped at ~55 cells when the detail took 2/5)
        # one group of one committed partition: its tab takes the rows it needs, not a fixed 15
        groups_rows = app.bottom.region.height
        assert groups_rows <= 2 + 2 + 1 + 3, groups_rows  # tabs, border, header, group + its two partitions
        assert app.stream.region.height >= 60 - 2 - app.partitions_pane.region.height - groups_rows
        assert app.stream.visible_records()[-1].offset >= 40
    app.service.close()
