"""Seeks are resolved when the user presses enter, against watermarks and committed offsets read then
(issue 6 §2), and ``--group G`` at launch opens the stream at G's committed offset.

The partition grows between opening the dialog and pressing enter: records are produced in between.
Everything goes through a pyflymq client, so these run against ``FLYMQ_TEST_SERVER`` too.
"""

from __future__ import annotations

import pytest

from tests.flytui_helpers import make_app, notifications, pilot_test, screen_text, wait_for, wait_ready

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def one_partition_topic(flymq, count: int) -> tuple[str, object]:
    client = flymq.client()
    topic = flymq.topic("seek")
    client.create_topic(topic, 1)
    for i in range(count):
        client.produce(topic, f"record {i}")
    return topic, client


async def open_seek(pilot, app) -> None:
    await pilot.press("s")
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "SeekScreen", what="seek dialog")


@pilot_test
async def test_end_minus_10_lands_10_before_the_end_at_enter_time(flymq):
    topic, client = one_partition_topic(flymq, 50)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_seek(pilot, app)
        for i in range(30):  # the partition grows while the dialog is open
            client.produce(topic, f"late {i}")
        assert client.watermarks(topic, 0)[1] == 80
        await pilot.press(*"end-10", "enter")
        await wait_for(pilot, lambda: app.stream.selected_record is not None
                       and app.stream.selected_record.offset == 70, what="offset 70 (80 - 10)")
        assert app.stream.selected_record.value == b"late 20"
        assert "end-10 → 70" in notifications(app)
    app.service.close()


@pilot_test
async def test_group_offset_past_the_watermarks_read_at_open_succeeds(flymq):
    topic, client = one_partition_topic(flymq, 50)
    client.commit_offset(topic, "billing", 0, 10)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_seek(pilot, app)
        for i in range(30):
            client.produce(topic, f"late {i}")
        client.commit_offset(topic, "billing", 0, 75)  # past the end known when the dialog opened (50)
        await pilot.press(*"group:billing", "enter")
        await wait_for(pilot, lambda: app.stream.selected_record is not None
                       and app.stream.selected_record.offset == 75, what="the group's offset 75")
        assert "group:billing → 75" in notifications(app)
        assert app.screen is app.screen_stack[0]
    app.service.close()


@pilot_test
async def test_a_seek_that_has_no_offset_reopens_the_dialog_with_the_reason(flymq):
    topic, client = one_partition_topic(flymq, 20)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_seek(pilot, app)
        await pilot.press(*"500", "enter")
        await wait_for(pilot, lambda: "past the end: the next offset to be written is 20" in screen_text(app),
                       what="the reason, in the reopened dialog")
        assert app.screen.__class__.__name__ == "SeekScreen"
        assert app.screen.query_one("#seek-input").value == "500"  # the text is kept
        await pilot.press("ctrl+u", *"group:nobody", "enter")
        await wait_for(pilot, lambda: "There is no group 'nobody'" in screen_text(app), what="no such group")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="closed")
    app.service.close()


@pilot_test
async def test_group_at_launch_opens_the_stream_at_its_committed_offset(flymq):
    topic, client = one_partition_topic(flymq, 60)
    client.commit_offset(topic, "billing", 0, 33)
    # as flytui.cli passes --topic and --group to the app
    app = make_app(flymq.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: app.stream.selected_record is not None
                       and app.stream.selected_record.offset == 33, what="billing's committed offset")
        assert app.stream.selected_record.value == b"record 33"
        assert "group:billing → 33" in notifications(app)
    app.service.close()


@pilot_test
async def test_group_seek_on_all_partitions_falls_back_where_the_group_never_committed(flymq):
    client = flymq.client()
    topic = flymq.topic("seek")
    client.create_topic(topic, 2)
    for i in range(40):
        client.produce(topic, f"record {i}")
    client.commit_offset(topic, "billing", 0, 12)  # nothing on partition 1
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await open_seek(pilot, app)
        await pilot.press(*"group:billing", "ctrl+a", "enter")
        await wait_for(pilot, lambda: app.stream.selected_record.offset == 12, what="billing on partition 0")
        await pilot.press("2", "j", "enter")
        await wait_for(pilot, lambda: "no committed offset on partition 1" in notifications(app),
                       what="the reason for partition 1")
        await wait_for(pilot, lambda: app.stream.selected_record is not None
                       and app.stream.selected_record.partition == 1
                       and app.stream.selected_record.offset == 0, what="partition 1 from its beginning")
    app.service.close()
