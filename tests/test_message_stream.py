"""MessageStream: a virtual view over a partition (browse) or the newest records (tail); no broker needed."""

from __future__ import annotations

import re

import pytest
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult

from flytui.stream_model import GAP, BrowseModel, FilteredModel, TailModel
from flytui.widgets.message_stream import MessageStream
from pyflymq.models import Message
from tests.flytui_helpers import pilot_test

RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def rec(offset: int, partition: int = 0, value: bytes | None = None, key: bytes | None = b"k",
        topic: str = "orders") -> Message:
    """A record with a recognisable value."""
    return Message(topic, partition, offset, key, value if value is not None else b"value-%d" % offset)


class StreamApp(App):
    """A tiny app around one MessageStream that records what it posts."""

    def __init__(self, **stream_options) -> None:
        super().__init__()
        self.stream_options = stream_options
        self.wanted: list[MessageStream.PageWanted] = []
        self.highlighted: list[Message | None] = []

    def compose(self) -> ComposeResult:
        yield MessageStream(id="stream", **self.stream_options)

    def on_mount(self) -> None:
        self.query_one(MessageStream).focus()

    def on_message_stream_page_wanted(self, event: MessageStream.PageWanted) -> None:
        self.wanted.append(event)

    def on_message_stream_record_highlighted(self, event: MessageStream.RecordHighlighted) -> None:
        self.highlighted.append(event.record)

    def answer(self, records_for=rec) -> int:
        """Answer every pending PageWanted with records 1:1 to offsets; returns how many pages."""
        stream = self.query_one(MessageStream)
        pending, self.wanted = self.wanted, []
        for event in pending:
            records = [records_for(offset) for offset in range(event.offset, event.offset + event.count)]
            stream.add_page(event.generation, event.partition, event.offset, records)
        return len(pending)


def screen_lines(stream: MessageStream) -> list[str]:
    """The text of every line the stream renders right now."""
    return [stream.render_line(y).text for y in range(stream.scrollable_content_region.height)]


SIZE = (100, 24)


@pilot_test
async def test_browse_a_million_offsets_renders_only_visible_rows():
    app = StreamApp()
    async with app.run_test(size=SIZE) as pilot:
        stream = app.query_one(MessageStream)
        rendered: list[int] = []
        original = stream._row_text

        def counting(record, width, style):
            rendered.append(record.offset)
            return original(record, width, style)

        stream._row_text = counting
        generation = stream.set_browse("orders", 0, 0, 1_000_000, 500_000)
        assert stream.virtual_size.height == 1_000_000 + 2  # header + rows + end-of-partition line
        await pilot.pause(0.1)
        asked = sorted((event.offset, event.count) for event in app.wanted)
        assert asked and all(event.generation == generation for event in app.wanted)
        assert all(count == 200 and offset % 200 == 0 for offset, count in asked)
        assert any(offset <= 500_000 < offset + count for offset, count in asked)
        assert len(asked) <= 4
        lines = screen_lines(stream)
        assert "loading…" in lines[5]
        app.answer()
        await pilot.pause(0.1)
        lines = screen_lines(stream)
        assert lines[0].split() == ["P", "OFFSET", "KEY", "VALUE", "SIZE"]
        assert any("500000" in line and "value-500000" in line for line in lines)
        assert stream.selected_record.offset == 500_000
        visible = stream.scrollable_content_region.height - 1
        assert 0 < len(set(rendered)) <= visible
        assert stream.border_title == "orders ▸ p0 ▸ offset 500,000 of 0..1,000,000"
        records = stream.visible_records()
        assert len(records) == visible and records == sorted(records, key=lambda r: r.offset)


@pilot_test
async def test_pages_are_asked_once_and_stale_generations_dropped():
    app = StreamApp()
    async with app.run_test(size=SIZE) as pilot:
        stream = app.query_one(MessageStream)
        old = stream.set_browse("orders", 3, 0, 10_000, 0)
        await pilot.pause(0.1)
        first = [(e.offset, e.count) for e in app.wanted]
        assert first == [(0, 200)]
        await pilot.press("down", "up")
        await pilot.pause(0.1)
        assert len(app.wanted) == 1  # in flight: not asked again
        new = stream.set_browse("orders", 3, 0, 10_000, 5_000)
        assert new == old + 1 == stream.generation
        await pilot.pause(0.1)
        assert stream.add_page(old, 3, 0, [rec(o, 3) for o in range(200)]) is False
        assert stream.model.cached_pages == 0
        assert stream.add_page(new, 2, 4_800, [rec(o, 2) for o in range(4_800, 5_000)]) is False  # other partition
        assert all(e.generation in (old, new) for e in app.wanted)
        app.wanted = [e for e in app.wanted if e.generation == new]
        assert app.answer() >= 1
        await pilot.pause()
        assert stream.selected_record.offset == 5_000


@pilot_test
async def test_holding_page_down_asks_only_for_where_the_user_stops():
    app = StreamApp(page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        stream = app.query_one(MessageStream)
        stream.set_browse("orders", 0, 0, 1_000_000, 0)
        await pilot.pause(0.1)
        app.answer()
        for _ in range(60):  # a burst of page-downs passing 60 pages
            stream.action_cursor_page_down()
        await pilot.pause(0.2)
        asked = [event.offset for event in app.wanted]
        assert 0 < len(asked) <= 4  # not one request per page passed on the way
        assert any(o <= stream.cursor_row < o + 20 for o in asked)
        app.wanted.clear()
        await pilot.press("pagedown", "pagedown")  # a few more, at a human pace
        await pilot.pause(0.2)
        assert 0 < len(app.wanted) <= 8


@pilot_test
async def test_page_cache_stays_bounded():
    app = StreamApp(max_pages=10)
    async with app.run_test(size=SIZE) as pilot:
        stream = app.query_one(MessageStream)
        stream.set_browse("orders", 0, 0, 1_000_000, 0)
        for target in range(0, 200_000, 5_000):
            stream.jump_to_offset(target)
            await pilot.pause(0.08)
            app.answer()
        assert stream.model.cached_pages <= 10
        assert stream.selected_record.offset == 195_000


@pilot_test
async def test_end_of_partition_is_said_and_keys_move_the_cursor():
    app = StreamApp()
    async with app.run_test(size=SIZE) as pilot:
        stream = app.query_one(MessageStream)
        stream.set_browse("orders", 1, 100, 150, 100)
        await pilot.pause(0.1)
        app.answer(lambda o: rec(o, 1))
        await pilot.press("j", "j", "down", "k")
        assert stream.cursor_row == 2
        await pilot.press("G")
        await pilot.pause()
        assert stream.selected_record.offset == 149
        lines = screen_lines(stream)
        assert any("end of partition at offset 150" in line for line in lines)
        assert stream.border_subtitle == "end of partition at offset 150"
        await pilot.press("g")
        assert stream.cursor_row == 0
        await pilot.press("pagedown")
        assert stream.cursor_row == stream.scrollable_content_region.height - 2
        await pilot.press("pageup", "home")
        assert stream.cursor_row == 0
        await pilot.press("end")
        assert stream.cursor_row == 49


@pilot_test
async def test_set_before_mount_asks_once_mounted():
    class EarlyApp(StreamApp):
        def compose(self) -> ComposeResult:
            stream = MessageStream(id="stream")
            stream.set_browse("orders", 0, 0, 1_000, 10)
            yield stream

    app = EarlyApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        assert [(e.offset, e.count) for e in app.wanted] == [(0, 200)]
        assert app.highlighted == [None]
        app.answer()
        await pilot.pause(0.15)
        assert app.highlighted[-1].offset == 10


@pilot_test
async def test_click_selects_a_row():
    app = StreamApp()
    async with app.run_test(size=SIZE) as pilot:
        stream = app.query_one(MessageStream)
        stream.set_browse("orders", 0, 0, 1_000, 0)
        await pilot.pause(0.1)
        app.answer()
        # content starts inside the border; line 0 is the header, so row 4 is content line 5
        await pilot.click(MessageStream, offset=(5, 1 + 5))
        await pilot.pause(0.2)
        assert stream.cursor_row == 4
        assert app.highlighted[-1].offset == 4


@pilot_test
async def test_empty_partition():
    app = StreamApp()
    async with app.run_test(size=SIZE) as pilot:
        stream = app.query_one(MessageStream)
        stream.set_browse("orders", 0, 7, 7, None)
        await pilot.pause(0.1)
        assert app.wanted == []
        assert stream.selected_record is None
        assert "partition is empty" in screen_lines(stream)[1]
        await pilot.press("down", "end", "up")


@pilot_test
async def test_gaps_are_shown_and_not_asked_for_forever():
    app = StreamApp()
    async with app.run_test(size=SIZE) as pilot:
        stream = app.query_one(MessageStream)
        generation = stream.set_browse("orders", 0, 0, 1_000, 0)
        await pilot.pause(0.1)
        app.wanted.clear()
        # offsets 0..9 present, 10..19 skipped by the broker, fetch continues at 20
        stream.add_page(generation, 0, 0, [rec(o) for o in range(10)], next_offset=20)
        await pilot.pause(0.1)
        assert [(e.offset, e.count) for e in app.wanted] == [(20, 180)]
        assert stream.model.record_at(12) is GAP
        assert "(no record at this offset)" in screen_lines(stream)[13]
        # an answer with nothing in it and no progress: the rest of the page becomes a gap
        stream.add_page(generation, 0, 20, [], next_offset=20)
        await pilot.pause(0.1)
        assert len(app.wanted) == 1
        assert stream.model.record_at(150) is GAP


@pilot_test
async def test_filtered_browse_appends_matches_and_asks_for_more():
    app = StreamApp(page_size=50)
    async with app.run_test(size=SIZE) as pilot:
        stream = app.query_one(MessageStream)
        generation = stream.set_browse("orders", 0, 0, 1_000, 100, filter_text="status=[failed]")
        assert stream.filtered
        await pilot.pause(0.1)
        assert [(e.offset, e.count) for e in app.wanted] == [(100, 50)]
        app.wanted.clear()
        # the scan found 3 matches between 100 and 400
        assert stream.add_page(generation, 0, 100, [rec(150), rec(220), rec(390)], next_offset=400)
        await pilot.pause(0.1)
        assert stream.row_count == 3
        assert [(e.offset, e.count) for e in app.wanted] == [(400, 50)]  # near the end: scan on
        assert stream.add_page(generation, 0, 100, [rec(150)], next_offset=400) is False  # not where the scan is
        assert stream.row_count == 3
        assert "filter status=[failed]" in Text.from_markup(stream.border_title).plain
        await pilot.press("down", "down")
        assert stream.selected_record.offset == 390
        app.wanted.clear()
        stream.add_page(generation, 0, 400, [rec(999)], next_offset=1_000)
        await pilot.pause(0.1)
        assert stream.model.exhausted and app.wanted == []
        assert "end of partition at offset 1,000" in screen_lines(stream)[5]
        stream.jump_to_offset(500)
        assert stream.generation == generation + 1 and stream.row_count == 0


@pilot_test
async def test_tail_follows_and_counts_new_records_when_scrolled_up():
    app = StreamApp(tail_capacity=1_000)
    async with app.run_test(size=SIZE) as pilot:
        stream = app.query_one(MessageStream)
        generation = stream.set_tail("orders", [0, 1, 2])
        stream.append_live([rec(i, i % 3) for i in range(100)])
        await pilot.pause()
        assert stream.following and stream.selected_record.offset == 99
        assert stream.scroll_offset.y == stream.max_scroll_y
        assert stream.border_title == "orders ▸ live ▸ 3 partitions"
        await pilot.press("up")
        assert not stream.following
        stream.append_live([rec(i) for i in range(100, 130)])
        await pilot.pause()
        assert stream.pending_new == 30
        assert stream.selected_record.offset == 98  # the view kept its place
        assert stream.border_subtitle == "▼ 30 new — press End to follow"
        stream.append_live([rec(1)], generation=generation - 1)  # stale tail: dropped
        assert stream.pending_new == 30
        await pilot.press("G")
        await pilot.pause()
        assert stream.following and stream.pending_new == 0
        assert stream.selected_record.offset == 129
        await pilot.press("end")
        assert stream.following


@pilot_test
async def test_mouse_wheel_up_stops_following():
    app = StreamApp()
    async with app.run_test(size=SIZE) as pilot:
        stream = app.query_one(MessageStream)
        stream.set_tail("orders", 1)
        stream.append_live([rec(i) for i in range(500)])
        await pilot.pause()
        assert stream.following
        stream.post_message(events.MouseScrollUp(stream, 5, 5, 0, -1, 0, False, False, False))
        await pilot.pause()
        assert not stream.following
        stream.append_live([rec(i) for i in range(500, 510)])
        assert stream.pending_new == 10


@pilot_test
async def test_tail_buffer_is_bounded_and_the_selected_record_stays_put():
    app = StreamApp(tail_capacity=1_000)
    async with app.run_test(size=SIZE) as pilot:
        stream = app.query_one(MessageStream)
        stream.set_tail("orders", 1)
        stream.append_live([rec(i) for i in range(1_000)])
        await pilot.pause()
        await pilot.press("up", "up")
        selected = stream.selected_record
        assert selected.offset == 997
        stream.append_live([rec(i) for i in range(1_000, 1_100)])
        await pilot.pause()
        assert stream.row_count == 1_000 and stream.model.base == 100
        assert stream.selected_record == selected
        assert any("value-997" in line for line in screen_lines(stream))
        stream.append_live([rec(i) for i in range(1_100, 5_000)])
        assert stream.row_count == 1_000
        assert stream.pending_new == 4_000


@pilot_test
async def test_a_flood_of_batches_costs_one_repaint():
    app = StreamApp()
    async with app.run_test(size=SIZE) as pilot:
        stream = app.query_one(MessageStream)
        stream.set_tail("orders", 1)
        await pilot.pause()
        rendered = []
        original = stream._row_text
        stream._row_text = lambda record, width, style: rendered.append(record) or original(record, width, style)
        for batch in range(20):
            stream.append_live([rec(batch * 2_000 + i) for i in range(2_000)])
        await pilot.pause()
        visible = stream.scrollable_content_region.height - 1
        assert len(rendered) <= visible  # only the last screen was ever rendered
        assert stream.selected_record.offset == 39_999


@pilot_test
async def test_highlight_messages_are_throttled_to_the_latest():
    app = StreamApp()
    async with app.run_test(size=SIZE) as pilot:
        stream = app.query_one(MessageStream)
        stream.set_browse("orders", 0, 0, 1_000, 0)
        await pilot.pause(0.1)
        app.answer()
        await pilot.pause(0.15)
        app.highlighted.clear()
        for _ in range(30):  # a burst, as when a key is held down
            stream.action_cursor_down()
        await pilot.pause(0.3)
        assert 1 <= len(app.highlighted) <= 2
        assert app.highlighted[-1].offset == 30


HOSTILE = [b"\x1b[31mred\x1b[0m", b"[bold]not bold[/]", b"[/]", b"carriage\rreturn", b"\x1b]52;c;AAAA\x07",
           b"\x9b2J", "\u202eevil".encode()]


@pilot_test
async def test_hostile_content_renders_as_literal_visible_text():
    app = StreamApp()
    async with app.run_test(size=(120, 24)) as pilot:
        stream = app.query_one(MessageStream)
        stream.set_tail("[red]topic[/]", 1)
        huge = b"\x1b[2J" + b"A" * (10 * 1024 * 1024)
        stream.append_live([rec(i, value=value, key=value) for i, value in enumerate(HOSTILE)]
                           + [rec(len(HOSTILE), value=huge)])
        await pilot.pause()
        lines = screen_lines(stream)
        assert not any(RAW_CONTROL.search(line) for line in lines)
        text = "\n".join(lines)
        assert "␛[31mred␛[0m" in text
        assert "[bold]not bold[/]" in text
        assert "carriage␍return" in text
        assert "<U+202E>evil" in text
        assert "10.0 MiB" in text and "␛[2JAAAA" in text
        assert Text.from_markup(stream.border_title).plain == "[red]topic[/] ▸ live ▸ 1 partition"
        assert all(len(line) == stream.scrollable_content_region.width for line in lines)


def test_models_in_isolation():
    browse = BrowseModel("t", 0, 10, 1_010, page_size=100, max_pages=3)
    assert browse.missing_pages(0, 150) == [(10, 100), (110, 100)]
    assert browse.missing_pages(0, 150) == []  # in flight
    assert browse.missing_pages(0, 150, now=1e12) != []  # timed out: asked again
    for start in (10, 110, 210, 310):
        browse.add_page(start, [rec(o) for o in range(start, start + 100)])
    assert browse.cached_pages == 3 and browse.record_at(0) is None
    assert browse.record_at(399).offset == 409

    filtered = FilteredModel("t", 0, 0, 100, page_size=10)
    assert filtered.want_more(0) == (0, 10)
    assert filtered.want_more(0) is None
    assert filtered.add_page(5, [rec(6)], 10) == -1

    tail = TailModel(capacity=5)
    assert tail.append([rec(i) for i in range(3)]) == 0
    assert tail.append([rec(i) for i in range(3, 12)]) == 7
    assert [tail.record_at(row).offset for row in range(5)] == [7, 8, 9, 10, 11]
    assert tail.total == 12 and tail.base == 7
    small = TailModel(capacity=100, max_bytes=1_000)
    small.append([rec(i, value=b"x" * 300) for i in range(10)])
    assert small.row_count == 3 and small.cached_bytes <= 1_000


@pytest.mark.parametrize("capacity", [1, 7])
def test_tail_ring_wraps_correctly(capacity):
    tail = TailModel(capacity=capacity)
    expected: list[int] = []
    for size in (3, 1, 5, 2, 8):
        start = len(expected)
        batch = [rec(i) for i in range(start, start + size)]
        expected.extend(range(start, start + size))
        tail.append(batch)
        assert [tail.record_at(r).offset for r in range(tail.row_count)] == expected[-capacity:]


@pilot_test
async def test_a_focus_change_restyles_the_rows_without_previewing_them_again():
    app = StreamApp()
    async with app.run_test(size=SIZE) as pilot:
        stream = app.query_one(MessageStream)
        stream.set_browse("orders", 0, 0, 1_000, 0)
        await pilot.pause(0.1)
        app.answer()
        await pilot.pause(0.1)
        focused = [list(stream.render_line(y)) for y in range(stream.scrollable_content_region.height)]
        previewed: list[int] = []
        original = stream._plain_row_text

        def counting(record, width):
            previewed.append(record.offset)
            return original(record, width)

        stream._plain_row_text = counting
        app.set_focus(None)
        await pilot.pause()
        blurred = [list(stream.render_line(y)) for y in range(stream.scrollable_content_region.height)]
        assert previewed == [], "rows already previewed are only restyled"
        assert blurred != focused, "the cursor row looks different without the focus"
        stream._row_texts.clear()
        stream._line_cache.clear()
        assert [list(stream.render_line(y)) for y in range(len(blurred))] == blurred, "kept texts draw the same"
        assert previewed, "drawn afresh once the kept texts are gone"
