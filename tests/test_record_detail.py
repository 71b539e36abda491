"""RecordDetail: one record's metadata, key and value decoded, DLQ envelope; content is never markup."""

from __future__ import annotations

import base64
import json
import re

from rich.console import Console
from textual.app import App, ComposeResult
from textual.widgets import Static

from flytui.decode import DETAIL_LIMIT, DecodeMode, available_modes
from flytui.widgets.decoded_view import DecodedView
from flytui.widgets.record_detail import RecordDetail
from pyflymq.models import DLQEntry, Message
from tests.flytui_helpers import pilot_test

RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


class DetailApp(App):
    """A tiny app around one RecordDetail."""

    def __init__(self) -> None:
        super().__init__()
        self.modes: list[DecodeMode] = []

    def compose(self) -> ComposeResult:
        yield RecordDetail(id="detail")

    def on_mount(self) -> None:
        self.query_one(RecordDetail).focus()

    def on_record_detail_mode_changed(self, event: RecordDetail.ModeChanged) -> None:
        self.modes.append(event.mode)


def shown_text(detail: RecordDetail) -> str:
    """Everything the pane shows: visible Static sections rendered to plain text, then the value lines."""
    console = Console(width=120, record=True, file=open("/dev/null", "w"), color_system=None)  # noqa: SIM115
    for static in detail.query(Static):
        if static.display and static.parent.display:
            console.print(static.content)
    view = detail.query_one(DecodedView)
    body = "\n".join(view.render_line(y).text.rstrip() for y in range(view.scrollable_content_region.height))
    return console.export_text() + body


def value_text(detail: RecordDetail) -> str:
    """The whole decoded value as plain text."""
    return detail.last_value.renderable.plain


SIZE = (110, 40)
JSON_VALUE = b'{"order": 7, "note": "[bold]not markup[/]", "esc": "\\u001b[2J"}'


@pilot_test
async def test_shows_metadata_and_decoded_json():
    app = DetailApp()
    async with app.run_test(size=SIZE) as pilot:
        detail = app.query_one(RecordDetail)
        assert "No record selected." in shown_text(detail)
        detail.show_record(Message("orders", 2, 1234, b"user-1", JSON_VALUE))
        await pilot.pause()
        text = shown_text(detail)
        for expected in ("orders", "Partition 2", "Offset    1,234", "Key       6 B", f"{len(JSON_VALUE)} B",
                         "auto → json", '"order": 7', '"note": "[bold]not markup[/]"', "user-1"):
            assert expected in text, expected
        assert detail.last_value.mode_used is DecodeMode.JSON
        assert RAW_CONTROL.search(text) is None


@pilot_test
async def test_cycling_modes_with_m():
    app = DetailApp()
    async with app.run_test(size=SIZE) as pilot:
        detail = app.query_one(RecordDetail)
        detail.show_record(Message("orders", 0, 1, None, b"hello"))
        await pilot.pause()
        seen = []
        for _ in available_modes():
            await pilot.press("m")
            seen.append(detail.mode)
        assert seen == [*available_modes()[1:], DecodeMode.AUTO]
        assert app.modes == seen
        detail.set_mode(DecodeMode.HEX)
        await pilot.pause()
        assert value_text(detail).startswith("00000000  68 65 6c 6c 6f")
        detail.set_mode("json")
        await pilot.pause()
        text = shown_text(detail)
        assert "not valid JSON" in text and "shown as hex" in text
        detail.set_mode("base64")
        await pilot.pause()
        assert value_text(detail) == "aGVsbG8="


@pilot_test
async def test_dlq_record_shows_the_envelope_and_decodes_the_payload():
    envelope = {
        "id": "dlq-9", "original_topic": "orders", "original_offset": 77, "reason": "max_retries_exceeded",
        "error_message": "handler failed: \x1b[31mboom[/]", "retry_count": 5,
        "first_failed_at": "2024-05-01T10:00:00Z", "last_failed_at": "2024-05-01T10:05:00Z",
        "payload": base64.b64encode(b'{"order": 77}').decode(), "headers": {"trace": "abc"},
    }
    app = DetailApp()
    async with app.run_test(size=SIZE) as pilot:
        detail = app.query_one(RecordDetail)
        detail.show_record(Message("orders.dlq", 0, 3, b"k", json.dumps(envelope).encode()))
        await pilot.pause()
        text = shown_text(detail)
        for expected in ("DLQ envelope", "Original topic  orders", "Original offset 77", "max_retries_exceeded",
                         "handler failed: ␛[31mboom[/]", "Retry count     5", "2024-05-01T10:00:00Z",
                         "2024-05-01T10:05:00Z", "trace=abc", "Payload (failed record)", '"order": 77'):
            assert expected in text, expected
        assert RAW_CONTROL.search(text) is None
        detail.set_mode("hex")
        await pilot.pause()
        assert value_text(detail).startswith("00000000  7b 22 6f 72")  # the payload, decoded the same way

        detail.show_record(Message("orders.dlq", 0, 4, None, b"not an envelope"))
        await pilot.pause()
        text = shown_text(detail)
        assert "not a FlyMQ DLQ envelope" in text and "DLQ envelope\n" not in text

        detail.show_record(DLQEntry(id="x", topic="orders.dlq", value=b"payload", error="bad", retry_count=2,
                                    original_topic="orders", original_offset=5))
        await pilot.pause()
        text = shown_text(detail)
        assert "Original offset 5" in text and "bad" in text
        detail.set_mode("text")
        await pilot.pause()
        assert value_text(detail) == "payload"


@pilot_test
async def test_huge_values_are_cut_until_load_all():
    big = b"line of text\n" * 1_000_000  # 13 MB
    app = DetailApp()
    async with app.run_test(size=SIZE) as pilot:
        detail = app.query_one(RecordDetail)
        detail.show_record(Message("logs", 0, 1, None, big))
        await pilot.pause()
        assert detail.last_value.truncated and detail.last_value.shown_bytes == DETAIL_LIMIT
        assert "press L to load all" in shown_text(detail)
        await pilot.press("L")
        await pilot.pause()
        assert detail.fully_loaded and not detail.last_value.truncated
        assert len(detail.last_value.lines) == 1_000_001
        assert "press L to load all" not in shown_text(detail)
        await pilot.press("end")
        await pilot.pause()
        view = detail.query_one(DecodedView)
        assert view.scroll_offset.y == view.max_scroll_y > 900_000
        detail.show_record(Message("logs", 0, 2, None, big))  # a new record starts cut again
        assert not detail.fully_loaded


@pilot_test
async def test_hostile_values_are_literal_and_visible():
    app = DetailApp()
    async with app.run_test(size=SIZE) as pilot:
        detail = app.query_one(RecordDetail)
        hostile = b"\x1b[31mred\x1b[0m [bold]x[/] [/] \r\n\x1b]52;c;AAAA\x07 \xe2\x80\xaeevil"
        detail.show_record(Message("[red]t[/]\x1b[2J", 0, 1, hostile, hostile))
        await pilot.pause()
        text = shown_text(detail)
        assert RAW_CONTROL.search(text) is None
        assert "␛[31mred␛[0m [bold]x[/] [/] ␍" in text
        assert "<U+202E>evil" in text
        assert "[red]t[/]␛[2J" in text


@pilot_test
async def test_updates_in_place_without_mounting_widgets():
    app = DetailApp()
    async with app.run_test(size=SIZE) as pilot:
        detail = app.query_one(RecordDetail)
        before = len(list(detail.walk_children()))
        for offset in range(200):
            detail.show_record(Message("orders", offset % 3, offset, b"k%d" % offset, b'{"n": %d}' % offset))
        await pilot.pause()
        assert len(list(detail.walk_children())) == before
        assert '"n": 199' in value_text(detail)
        record = detail.record
        detail.show_record(record)  # the same record: nothing to do
        detail.show_record(None)
        await pilot.pause()
        assert "No record selected." in shown_text(detail)
