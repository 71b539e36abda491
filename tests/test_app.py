"""Pilot tests of flytui against the built-in broker: what the screen shows, and what the broker holds after.

Each test seeds its own topic on the module's built-in broker (``flymq`` marked ``broker(dlq=True,
scope="module")``) and opens the app on it.
"""

from __future__ import annotations

import json
import uuid

import pytest

from flytui.service import ReadOnlyError
from tests.flytui_helpers import (
    make_app,
    notifications,
    pilot_test,
    screen_text,
    wait_for,
    wait_idle,
    wait_ready,
)

pytestmark = [pytest.mark.filterwarnings("ignore::ResourceWarning"), pytest.mark.broker(dlq=True, scope="module")]


@pytest.fixture
def broker(flymq):
    """The module's built-in broker: these tests seed it and read what it holds directly."""
    return flymq.broker


def seed(broker, partitions: int = 3, per_partition: int = 30, prefix: str = "t") -> str:
    """A fresh topic with JSON records; record i of partition p has value {"p": p, "i": i, ...}."""
    topic = f"{prefix}-{uuid.uuid4().hex[:8]}"
    broker.create_topic(topic, partitions)
    # keyed so each partition gets a known share; offsets are per partition
    for i in range(per_partition * partitions):
        key = f"k{i}"
        value = json.dumps({"n": i, "kind": "needle" if i % 10 == 7 else "hay", "text": f"record {i}"})
        broker.produce(topic, value, key=key)
    return topic


def group_state(broker) -> list:
    """Every group the broker knows, with members and offsets (to compare before/after)."""
    return sorted((g.topic, g.group_id, g.members, tuple(sorted(g.offsets.items()))) for g in broker.groups())


# ----------------------------------------------------------------------------------------------- browsing


@pilot_test
async def test_browsing_shows_records_and_changes_nothing_on_the_broker(broker):
    topic = seed(broker)
    broker.commit(topic, "billing", 0, 3)
    before = group_state(broker)
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        text = screen_text(app)
        assert topic in text
        assert "billing" in text  # the groups pane shows the group with its lag
        first = app.stream.selected_record
        assert first is not None and first.topic == topic
        assert app.detail.record == first
        # move around: other partitions, scroll, the DLQ tab, a refresh
        app.action_focus_pane("partitions")
        await pilot.press("j", "enter")
        await wait_for(pilot, lambda: app.stream.selected_record is not None
                       and app.stream.selected_record.partition == 1, what="partition 1")
        await pilot.press("j", "j", "j", "G", "g")
        app.action_focus_pane("dlq")
        app.action_refresh_now()
        await wait_idle(pilot, app)
        assert "▶" in screen_text(app)  # the partitions pane says where the stream reads
        # seeks (a group's offset read at enter), dialogs opened and left, undo with nothing journaled
        await pilot.press("2", "k", "enter")  # back to partition 0, where billing committed
        await wait_for(pilot, lambda: app.stream.selected_record is not None
                       and app.stream.selected_record.partition == 0, what="partition 0")
        await pilot.press("s")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "SeekScreen", what="seek dialog")
        await pilot.press(*"group:billing", "enter")
        await wait_for(pilot, lambda: "group:billing → 3" in notifications(app), what="seek to billing")
        for key, dialog in (("c", "CommitTargetScreen"), ("X", "OffsetsExportScreen")):
            await pilot.press(key)
            await wait_for(pilot, lambda dialog=dialog: app.screen.__class__.__name__ == dialog, what=dialog)
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="dialog closed")
        await pilot.press("u")
        await wait_for(pilot, lambda: "No commit made with flytui" in notifications(app), what="nothing to undo")
        await wait_idle(pilot, app)
    app.service.close()
    assert group_state(broker) == before, "browsing must not create groups, members or commits"
    assert broker.group_members(topic, "billing") == []


@pilot_test
async def test_topic_filter_by_typing(broker):
    topic = seed(broker, partitions=1, per_partition=5, prefix="zebra")
    other = seed(broker, partitions=1, per_partition=5, prefix="yak")
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        app.action_focus_pane("topic-list")
        await pilot.press("slash", *"yak")
        await wait_idle(pilot, app)
        names = [o.id for o in app.topics_pane.option_list.options]
        assert other in names and topic not in names
        await pilot.press("enter")  # one match: opens it
        await wait_for(pilot, lambda: app.topic == other, what="filtered topic opened")
        await pilot.press("escape")
    app.service.close()


@pilot_test
async def test_seek_to_offset(broker):
    topic = seed(broker, partitions=1, per_partition=80)
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "SeekScreen", what="seek dialog")
        await pilot.press(*"42", "enter")
        await wait_for(pilot, lambda: app.stream.selected_record is not None
                       and app.stream.selected_record.offset == 42, what="offset 42 selected")
        assert "offset 42" in screen_text(app)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "SeekScreen")
        await pilot.press(*"end-1", "enter")
        await wait_for(pilot, lambda: app.stream.selected_record is not None
                       and app.stream.selected_record.offset == 79, what="offset 79 (end-1)")
    app.service.close()


@pilot_test
async def test_filter_shows_matches_and_n_steps(broker):
    topic = seed(broker, partitions=1, per_partition=60)
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("slash")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "FilterScreen", what="filter dialog")
        await pilot.press(*"needle", "enter")
        await wait_for(pilot, lambda: app.stream.filtered and app.stream.selected_record is not None,
                       what="filtered view")
        assert b"needle" in app.stream.selected_record.value
        first = app.stream.selected_record.offset
        assert first == 7
        await pilot.press("n")
        await wait_for(pilot, lambda: app.stream.selected_record.offset == 17, what="next match")
        await pilot.press("N")
        await wait_for(pilot, lambda: app.stream.selected_record.offset == 7, what="previous match")
        assert "filter" in screen_text(app)
        await pilot.press("escape")  # leaves the filter, same partition
        await wait_for(pilot, lambda: not app.stream.filtered, what="filter cleared")
    app.service.close()


# ----------------------------------------------------------------------------------------------- commit


@pilot_test
async def test_commit_plan_confirm_execute_read_back(broker):
    topic = seed(broker, partitions=2, per_partition=20)
    broker.commit(topic, "billing", 0, 15)
    broker.commit(topic, "billing", 1, 15)
    app = make_app(broker.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        app.action_focus_pane("partitions")
        await pilot.press("enter")  # partition 0, cursor on offset 0
        await wait_for(pilot, lambda: app.stream.selected_record is not None)
        await pilot.press("j", "j", "j", "j", "j")  # offset 5
        await wait_for(pilot, lambda: app.stream.selected_record.offset == 5)
        await pilot.press("c")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommitTargetScreen", what="target")
        await pilot.press("p")  # default target: the selected record (replay it), this partition
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommitPlanScreen", what="plan")
        plan_text = screen_text(app)
        assert "billing" in plan_text and "replay 10" in plan_text
        assert broker.committed(topic, "billing", 0) == 15, "nothing is written before the confirmation"
        await pilot.press(*"commit", "enter")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommitResultScreen", what="result")
        result_text = screen_text(app)
        assert "OK" in result_text and "5" in result_text
        await pilot.press("escape")
        await wait_idle(pilot, app)
    app.service.close()
    assert broker.committed(topic, "billing", 0) == 5
    assert broker.committed(topic, "billing", 1) == 15  # untouched
    assert broker.group_members(topic, "billing") == []


@pilot_test
async def test_commit_cancelled_writes_nothing(broker):
    topic = seed(broker, partitions=1, per_partition=10)
    broker.commit(topic, "g1", 0, 4)
    app = make_app(broker.address, topic=topic, group="g1")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("c")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommitTargetScreen")
        await pilot.press("down", "down", "enter", "enter")  # earliest, then "Preview plan"
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommitPlanScreen")
        await pilot.press("escape")  # back to the target, choices kept
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommitTargetScreen", what="target again")
        assert app.screen.kind == "earliest"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="flow closed")
        await wait_idle(pilot, app)
    app.service.close()
    assert broker.committed(topic, "g1", 0) == 4


# ----------------------------------------------------------------------------------------------- read-only


@pilot_test
async def test_read_only_writes_nothing(broker):
    topic = seed(broker, partitions=1, per_partition=10)
    broker.commit(topic, "g1", 0, 4)
    broker.produce(f"{topic}.dlq", json.dumps({"id": "m1", "original_topic": topic, "original_offset": 1,
                                               "payload": "aGk=", "error_message": "boom", "retry_count": 3}))
    before = group_state(broker)
    app = make_app(broker.address, topic=topic, group="g1", read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        assert "READ-ONLY" in screen_text(app)
        shown = {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}
        assert not shown & {"commit", "undo_commit", "produce", "replay_one", "replay_all", "purge_dlq",
                            "edit_resend"}
        app.action_focus_pane("dlq")
        await wait_for(pilot, lambda: app.dlq_records, what="dead letters")
        await pilot.press("c", "u", "p", "e", "r", "R", "D")
        await wait_idle(pilot, app)
        assert app.screen is app.screen_stack[0], "no dialog may open in read-only mode"
        # the service refuses too, whatever the UI does
        for call in (lambda: app.service.produce(topic, b"x"), lambda: app.service.purge(topic),
                     lambda: app.service.replay(app.dlq_records),
                     lambda: app.service.execute_commit_sync(topic, "g1", {0: 0})):
            with pytest.raises(ReadOnlyError):
                call()
        app.action_commit()  # a direct call (palette, key) is refused with a message
        app.action_undo_commit()
        await pilot.pause(0.1)
        assert app.screen is app.screen_stack[0]
    app.service.close()
    assert group_state(broker) == before
    assert broker.high_watermark(topic, 0) == 10
    assert broker.high_watermark(f"{topic}.dlq", 0) == 1


# ----------------------------------------------------------------------------------------------- produce


@pilot_test
async def test_produce_and_edit_resend(broker):
    topic = seed(broker, partitions=1, per_partition=3)
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("p")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ProduceScreen", what="produce dialog")
        screen = app.screen
        from textual.widgets import Input, TextArea

        screen.query_one("#key", Input).value = "new-key"
        screen.query_one(TextArea).text = '{"hello": "world"}'
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: broker.high_watermark(topic, 0) == 4, what="record produced")
        await wait_for(pilot, lambda: "Produced to" in notifications(app), what="toast")
        # edit and resend the selected record (offset 0)
        app.action_focus_pane("stream")
        await pilot.press("e")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ProduceScreen")
        assert "record 0" in app.screen.query_one(TextArea).text
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: broker.high_watermark(topic, 0) == 5, what="record resent")
    app.service.close()
    records = broker.records(topic, 0)
    assert records[3][1] == b"new-key" and json.loads(records[3][2]) == {"hello": "world"}
    assert records[4][1:] == records[0][1:]


# ----------------------------------------------------------------------------------------------- DLQ


def seed_dlq(broker, topic: str, n: int = 3) -> None:
    import base64

    for i in range(n):
        doc = {"id": f"m{i}", "original_topic": topic, "original_offset": i,
               "payload": base64.b64encode(f"payload {i}".encode()).decode(), "reason": "max_retries_exceeded",
               "error_message": f"boom {i}", "retry_count": i + 1, "first_failed_at": "2024-01-02T03:04:05Z",
               "last_failed_at": "2024-01-02T03:04:05Z"}
        broker.produce(f"{topic}.dlq", json.dumps(doc))


@pilot_test
async def test_dlq_replay_one_all_and_purge(broker):
    topic = seed(broker, partitions=1, per_partition=2)
    seed_dlq(broker, topic, 3)
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: len(app.dlq_records) == 3, what="dead letters loaded")
        app.action_focus_pane("dlq")
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "boom 0" in text and "Dead letters 3" in text
        await pilot.press("j")  # m1
        await pilot.press("r")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen", what="confirm replay")
        await pilot.press("y")
        await wait_for(pilot, lambda: broker.high_watermark(topic, 0) == 3, what="one replayed")
        assert broker.records(topic, 0)[2][2] == b"payload 1"
        await pilot.press("R")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen", what="confirm all")
        await pilot.press("y")
        await wait_for(pilot, lambda: broker.high_watermark(topic, 0) == 6, what="all replayed")
        assert broker.high_watermark(f"{topic}.dlq", 0) == 3, "replay keeps the dead letters"
        await pilot.press("D")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen", what="confirm purge")
        await pilot.press(*"purge", "enter")
        await wait_for(pilot, lambda: f"{topic}.dlq" not in broker.topic_names(), what="DLQ purged")
        await wait_for(pilot, lambda: not app.dlq_records, what="DLQ pane emptied")
    app.service.close()


# ----------------------------------------------------------------------------------------------- copy


@pilot_test
async def test_copy_value_and_record_as_json(broker):
    topic = seed(broker, partitions=1, per_partition=3)
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        app.action_focus_pane("stream")
        await pilot.press("y")
        assert json.loads(app.clipboard)["n"] == 0
        await pilot.press("Y")
        doc = json.loads(app.clipboard)
        assert doc["topic"] == topic and doc["offset"] == 0 and doc["key"] == "k0"
        assert json.loads(doc["value"])["text"] == "record 0"
    app.service.close()


# ----------------------------------------------------------------------------------------------- tail


@pilot_test
async def test_live_tail_shows_new_records(broker):
    topic = seed(broker, partitions=2, per_partition=5)
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.stream.mode == "tail", what="tail mode")
        assert "LIVE" in screen_text(app)
        await pilot.pause(0.3)
        for i in range(5):
            broker.produce(topic, f"live {i}", key=f"live-{i}")
        await wait_for(pilot, lambda: app.stream.row_count == 5, what="5 live records")
        loaded = app.stream.loaded_records()
        assert {r.value for r in loaded} == {f"live {i}".encode() for i in range(5)}
        assert app.stream.selected_record == loaded[-1]  # following the newest
        await pilot.press("t")
        await wait_for(pilot, lambda: app.stream.mode == "browse", what="tail stopped")
        assert not app.service.tailing
    app.service.close()


# ----------------------------------------------------------------------------------------------- help, palette


@pilot_test
async def test_help_and_command_palette_list_the_actions(broker):
    topic = seed(broker, partitions=1, per_partition=3)
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        commands = [c.title for c in app.get_system_commands(app.screen)]
        for name in ("Seek", "Filter", "Commit", "Export", "Produce", "Tail", "Copy value"):
            assert any(c.startswith(name) for c in commands), name
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "HelpScreen", what="help")
        assert "Jump to an offset" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0])
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CommandPalette", what="palette")
        await pilot.press(*"seek")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "SeekScreen", what="seek via palette")
        await pilot.press("escape")
    app.service.close()


# ----------------------------------------------------------------------------------------------- export


@pilot_test
async def test_export_range_writes_the_file(broker, tmp_path):
    topic = seed(broker, partitions=1, per_partition=40)
    target = tmp_path / "out.jsonl"
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("x")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ExportScreen", what="export dialog")
        from textual.widgets import Input, RadioButton

        screen = app.screen
        screen.query_one("#path", Input).value = str(target)
        screen.query_one("#scope-range", RadioButton).value = True
        await pilot.pause(0.1)
        screen.query_one("#range-from", Input).value = "10"
        screen.query_one("#range-to", Input).value = "30"
        await pilot.pause(0.05)
        screen.action_submit()
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ExportProgressScreen", what="progress")
        await wait_for(pilot, lambda: "Exported 20 records" in notifications(app), what="export done")
        assert "20 record(s) written" in screen_text(app)
        await pilot.press("escape")
    app.service.close()
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["offset"] for line in lines] == list(range(10, 30))
    assert lines[0]["topic"] == topic and json.loads(lines[0]["value"])["text"].startswith("record")


async def check_vi_keys(pilot, pane: str, rows, cursor) -> None:
    """``g``, ``j``, ``k`` and ``G`` in ``pane`` put its cursor on rows 0, 1, 0 and the last."""
    await wait_for(pilot, lambda: rows() >= 2, what=f"{pane} rows")
    for key, row in (("g", lambda: 0), ("j", lambda: 1), ("k", lambda: 0), ("G", lambda: rows() - 1)):
        await pilot.press(key)
        await wait_for(pilot, lambda row=row: cursor() == row(), what=f"{key} in {pane}")


@pilot_test
async def test_j_k_g_G_move_the_cursor_in_every_list_pane(broker):
    topic = seed(broker, partitions=4, per_partition=2, prefix="vi")
    seed(broker, partitions=1, per_partition=1, prefix="vj")  # the topics pane lists at least two
    for group in ("g1", "g2", "g3"):
        broker.commit(topic, group, 0, 1)
    seed_dlq(broker, topic, 3)
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_idle(pilot, app)
        olist = app.topics_pane.option_list
        app.action_focus_pane("topic-list")
        await check_vi_keys(pilot, "topic-list", lambda: olist.option_count, lambda: olist.highlighted)
        for pane, table in (("partitions", app.partitions_pane), ("groups", app.groups.table),
                            ("dlq", app.dlq.table)):
            app.action_focus_pane(pane)
            await check_vi_keys(pilot, pane, lambda t=table: t.row_count, lambda t=table: t.cursor_row)
    app.service.close()


# ----------------------------------------------------------------------------------------------- connection


@pilot_test
async def test_lost_connection_is_shown_and_retried():
    from pyflymq.broker import Broker

    own = Broker(host="127.0.0.1", port=0)
    own.start()
    own.produce("orders", "x")
    port = int(own.address.rsplit(":", 1)[1])
    app = make_app(own.address, topic="orders")
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_ready(pilot, app, "orders")
            own.stop()
            app.action_refresh_now()
            await wait_for(pilot, lambda: app.header.state == "reconnecting", what="reconnecting shown")
            assert "reconnecting" in screen_text(app)
            assert "Lost the connection" in notifications(app)
            own = Broker(host="127.0.0.1", port=port)
            own.start()
            own.produce("orders", "y")
            await wait_for(pilot, lambda: app.header.state == "connected", timeout=10, what="reconnected")
            assert "● connected" in screen_text(app)
    finally:
        app.service.close()
        own.stop()


@pilot_test
async def test_narrow_terminal_detail_replaces_stream(broker):
    topic = seed(broker, partitions=1, per_partition=5)
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app, topic)
        assert not app.detail.display or app.detail.region.width == 0
        app.action_focus_pane("stream")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.focused is app.detail and app.detail.region.width > 0, what="detail")
        assert app.stream.region.width == 0
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.focused is app.stream and app.stream.region.width > 0, what="back")
    app.service.close()


@pilot_test
async def test_mouse_opens_topics_and_partitions(broker):
    first = seed(broker, partitions=1, per_partition=3, prefix="aaa")
    topic = seed(broker, partitions=3, per_partition=3, prefix="aab")
    app = make_app(broker.address, topic=first)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, first)
        index = app.topics_pane.option_list.get_option_index(topic)
        await pilot.click("#topic-list", offset=(3, index))
        await wait_for(pilot, lambda: app.topic == topic, what="topic opened by click")
        await pilot.click("#partitions", offset=(5, 3))  # header row, then partitions 0, 1, ...
        await pilot.click("#partitions", offset=(5, 3))
        await wait_for(pilot, lambda: app.stream.selected_record is not None
                       and app.stream.selected_record.partition == 1, what="partition 1 by click")
    app.service.close()


@pilot_test
async def test_refresh_marks_group_changes(broker):
    topic = seed(broker, partitions=1, per_partition=20)
    broker.commit(topic, "billing", 0, 5)
    app = make_app(broker.address, topic=topic, group="billing")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        assert app.groups.selected_group == "billing"
        broker.commit(topic, "billing", 0, 12)
        app.action_refresh_now()
        await wait_for(pilot, lambda: "▲ +7" in screen_text(app), what="change marked")
        assert "lag -7" in screen_text(app)
    app.service.close()
