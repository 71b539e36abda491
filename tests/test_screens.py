"""flytui's dialogs, each in a tiny host App driven by Pilot: typing, validation, esc, confirmation."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from textual.app import App
from textual.widgets import Button, Checkbox, DataTable, Input, RadioButton, Select, Static, TextArea

from flytui.offset_plan import CommitTarget, PartitionState, SeekKind, plan_commit
from flytui.screens.commit_plan import CommitPlanScreen, CommitResultScreen, CommitTargetScreen
from flytui.screens.confirm import ConfirmScreen
from flytui.screens.export import ExportProgressScreen, ExportRequest, ExportScope, ExportScreen
from flytui.screens.filter import FILTER_MAX_BYTES, FilterScreen, describe_filter
from flytui.screens.help import HelpScreen, group_rows
from flytui.screens.offsets_export import OffsetsExportRequest, OffsetsExportScreen
from flytui.screens.produce import ProduceRequest, ProduceScreen, encode_field, guess_encoding, render_field
from flytui.screens.seek import SeekRequest, SeekScreen

NOTHING = object()


class Host(App):
    """Pushes one dialog and records what it dismisses with."""

    def __init__(self, dialog):
        super().__init__()
        self.dialog = dialog
        self.results: list = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


def drive(dialog, script, size=(130, 50)):
    """Run ``await script(pilot, dialog)`` with ``dialog`` pushed; return what it was dismissed with
    (``NOTHING`` if it is still open)."""

    async def main():
        app = Host(dialog)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await script(pilot, dialog)
            await pilot.pause()
        return app.results

    results = asyncio.run(main())
    assert len(results) <= 1, "a dialog must dismiss at most once"
    return results[0] if results else NOTHING


def text(dialog, selector: str) -> str:
    """The plain text a Static shows."""
    return str(dialog.query_one(selector, Static).render())


def table_rows(dialog, selector: str) -> list[list[str]]:
    table = dialog.query_one(selector, DataTable)
    return [[cell.plain if hasattr(cell, "plain") else str(cell) for cell in table.get_row_at(i)]
            for i in range(table.row_count)]


def table_headers(dialog, selector: str) -> list[str]:
    table = dialog.query_one(selector, DataTable)
    return [str(column.label) for column in table.columns.values()]


async def type_into(pilot, dialog, selector: str, value: str) -> None:
    """Focus an Input and set its text, as if typed (Changed is posted; the cursor goes to the end).
    Tests that care about real key presses press the keys themselves."""
    widget = dialog.query_one(selector, Input)
    widget.focus()
    widget.value = value
    widget.cursor_position = len(value)
    await pilot.pause()


async def nothing(pilot, dialog):
    return None


async def press(*keys):
    async def script(pilot, dialog):
        await pilot.press(*keys)
    return script


# ------------------------------------------------------------------------------------------ ConfirmScreen


def test_confirm_key_mode():
    async def yes(pilot, dialog):
        assert "This will:" in text(dialog, "#consequences")
        assert "deletes topic orders.dlq" in text(dialog, "#consequences")
        await pilot.press("x")  # any other key does nothing
        await pilot.pause()
        assert dialog.is_current
        await pilot.press("y")

    screen = ConfirmScreen("Purge the DLQ?", "orders.dlq", ["deletes topic orders.dlq", "cannot be undone"])
    assert drive(screen, yes) is True
    for key in ("n", "escape", "enter"):  # enter lands on Cancel, which has the focus
        async def cancel(pilot, dialog, key=key):
            await pilot.press(key)
        assert drive(ConfirmScreen("t", "b"), cancel) is False


def test_confirm_custom_key_and_button():
    async def script(pilot, dialog):
        await pilot.press("y")  # not the confirm key here
        await pilot.pause()
        assert dialog.is_current
        await pilot.click("#confirm")

    assert drive(ConfirmScreen("Replay all", "12 records", confirm_key="r"), script) is True


def test_confirm_word_mode_requires_the_word():
    async def script(pilot, dialog):
        assert dialog.query_one("#confirm", Button).disabled
        await pilot.press("y", "enter")
        await pilot.pause()
        assert dialog.is_current
        assert "Type purge exactly" in text(dialog, "#error")
        await type_into(pilot, dialog, "#confirm-word", "purge")
        assert not dialog.query_one("#confirm", Button).disabled
        await pilot.press("enter")

    assert drive(ConfirmScreen("Purge", "orders.dlq", confirm_word="purge"), script) is True
    assert drive(ConfirmScreen("Purge", "x", confirm_word="purge"), press_escape) is False


async def press_escape(pilot, dialog):
    await pilot.press("escape")


def test_confirm_shows_markup_as_data():
    async def script(pilot, dialog):
        assert "[b]bold?[/b]" in str(dialog.query_one(".confirm-body", Static).render())
        assert "[red]x" in text(dialog, "#consequences")
        await pilot.press("escape")

    assert drive(ConfirmScreen("[i]t", "[b]bold?[/b]", ["[red]x"]), script) is False


# ------------------------------------------------------------------------------------------ CommitTargetScreen


def target_screen(selected=41, count=4, **kwargs):
    return CommitTargetScreen("orders", "billing", 2, selected, partition_count=count, **kwargs)


def target_of(result):
    """The CommitTarget a target dialog was dismissed with (None when cancelled)."""
    return result if result is None or result is NOTHING else result.target


def test_target_defaults_to_the_selected_record():
    async def script(pilot, dialog):
        assert dialog.query_one("#scope-all", RadioButton).disabled
        assert dialog.query_one("#amount", Input).disabled
        await pilot.press("p")

    assert target_of(drive(target_screen(), script)) == CommitTarget.selected(2, 41)


def test_target_after_selected_by_keyboard():
    async def script(pilot, dialog):
        await pilot.press("down", "enter")  # highlight "just after", press it: focus moves to Preview
        await pilot.pause()
        await pilot.press("enter")

    assert target_of(drive(target_screen(), script)) == CommitTarget.after_selected(2, 41)


def test_target_without_a_selected_record():
    async def script(pilot, dialog):
        assert dialog.query_one("#kind-selected", RadioButton).disabled
        assert dialog.query_one("#kind-after_selected", RadioButton).disabled
        assert "no record selected" in str(dialog.query_one("#kind-selected", RadioButton).label)
        await pilot.click("#scope-all")
        await pilot.pause()
        await pilot.press("p")

    assert target_of(drive(target_screen(selected=None), script)) == CommitTarget.earliest(None)


def test_target_latest_on_this_partition():
    async def script(pilot, dialog):
        await pilot.click("#kind-latest")
        await pilot.pause()
        await pilot.click("#plan")

    assert target_of(drive(target_screen(), script)) == CommitTarget.latest(2)


def test_target_shift_needs_a_sign():
    async def script(pilot, dialog):
        await pilot.click("#kind-shift")
        await pilot.pause()
        assert dialog.focused is dialog.query_one("#amount", Input)
        await pilot.press("enter")
        await pilot.pause()
        assert "Type the shift" in text(dialog, "#error")
        await type_into(pilot, dialog, "#amount", "5")
        await pilot.press("enter")
        await pilot.pause()
        assert "A shift needs a sign: +5 skips 5 records, -5 replays them." in text(dialog, "#error")
        assert dialog.is_current
        await type_into(pilot, dialog, "#amount", "-5")
        assert text(dialog, "#error") == ""  # cleared while typing
        await pilot.press("enter")

    assert target_of(drive(target_screen(), script)) == CommitTarget.shift_by(-5, 2)


def test_target_explicit_offset_on_all_partitions():
    async def script(pilot, dialog):
        await pilot.click("#kind-offset")
        await pilot.pause()
        await pilot.click("#scope-all")
        await pilot.pause()
        await type_into(pilot, dialog, "#amount", "")
        await pilot.press("p")  # typed into the field, not the "preview" key
        await pilot.pause()
        assert dialog.is_current and dialog.query_one("#amount", Input).value == "p"
        await type_into(pilot, dialog, "#amount", "+7")
        await pilot.press("enter")
        await pilot.pause()
        assert "is a shift" in text(dialog, "#error")
        await type_into(pilot, dialog, "#amount", "abc")
        await pilot.press("enter")
        await pilot.pause()
        assert "not an offset" in text(dialog, "#error")
        await type_into(pilot, dialog, "#amount", "1234")
        await pilot.press("enter")

    assert target_of(drive(target_screen(), script)) == CommitTarget.to_offset(1234, None)


def test_target_selected_kinds_force_this_partition():
    async def script(pilot, dialog):
        await pilot.click("#kind-earliest")
        await pilot.pause()
        await pilot.click("#scope-all")
        await pilot.pause()
        assert dialog.query_one("#scope-all", RadioButton).value
        await pilot.click("#kind-after_selected")
        await pilot.pause()
        assert dialog.query_one("#scope-one", RadioButton).value
        assert dialog.query_one("#scope-all", RadioButton).disabled
        await pilot.press("p")

    assert target_of(drive(target_screen(), script)) == CommitTarget.after_selected(2, 41)


def test_target_escape_cancels():
    assert drive(target_screen(), press_escape) is None


# ------------------------------------------------------------------------------------------ CommitPlanScreen

STATES = {0: PartitionState(0, 100, 90), 1: PartitionState(0, 50, 50), 2: PartitionState(5, 20, None)}


def shift_plan(amount=-20, group="billing", states=STATES):
    return plan_commit("orders", group, CommitTarget.shift_by(amount), states)


def test_plan_table_content():
    async def script(pilot, dialog):
        assert table_headers(dialog, "#plan-table") == [
            "GROUP", "TOPIC", "PARTITION", "CURRENT", "NEW", "LAG BEFORE", "LAG AFTER", "REPLAY/SKIP"]
        assert table_rows(dialog, "#plan-table") == [
            ["billing", "orders", "0", "90", "70", "10", "30", "replay 20"],
            ["billing", "orders", "1", "50", "30", "0", "20", "replay 20"],
            ["billing", "orders", "2", "none", "5", "15", "15", "no records"],
        ]
        assert text(dialog, "#totals") == ("3 of 3 partition(s) change: 40 record(s) replayed, 0 skipped; "
                                           "lag 25 -> 65")
        assert "partition 2: never committed" in text(dialog, "#notes")
        assert "clamped to 5" in text(dialog, "#notes")
        assert dialog.query(".banner-warning")  # clamped warning
        assert not dialog.query("#members-warning")
        assert "shift by -20 on all partitions" in text(dialog, "#plan-heading")
        assert "write 3 committed offset(s)" in text(dialog, "#confirm-prompt")
        await pilot.press("escape")

    assert drive(CommitPlanScreen(shift_plan()), script) is False


def test_plan_live_members_warning():
    async def script(pilot, dialog):
        warning = text(dialog, "#members-warning")
        assert ("2 live member(s) in this group: they may overwrite this commit — stop the consumers first"
                in warning)
        assert dialog.query_one("#dialog").has_class("-danger")
        await pilot.press("escape")

    assert drive(CommitPlanScreen(shift_plan(), members=2), script) is False
    assert CommitPlanScreen(shift_plan(), members=0).members_warning() == ""


def test_plan_requires_typing_the_word():
    async def script(pilot, dialog):
        assert dialog.focused is dialog.query_one("#confirm-word", Input)
        assert dialog.query_one("#confirm", Button).disabled
        await pilot.press("enter")
        await pilot.pause()
        assert dialog.is_current
        assert "Type commit exactly" in text(dialog, "#error")
        await pilot.press("y", "enter")  # a reflex "y" does not confirm
        await pilot.pause()
        assert dialog.is_current
        await type_into(pilot, dialog, "#confirm-word", "commi")
        assert dialog.query_one("#confirm", Button).disabled
        await pilot.press("t")
        await pilot.pause()
        assert not dialog.query_one("#confirm", Button).disabled
        await pilot.press("enter")

    assert drive(CommitPlanScreen(shift_plan(), members=1), script) is True


def test_plan_confirm_button_after_the_word():
    async def script(pilot, dialog):
        await pilot.click("#confirm")  # disabled: nothing happens
        await pilot.pause()
        assert dialog.is_current
        await type_into(pilot, dialog, "#confirm-word", "commit")
        await pilot.click("#confirm")

    assert drive(CommitPlanScreen(shift_plan()), script) is True


def test_plan_cancel_button():
    async def script(pilot, dialog):
        await type_into(pilot, dialog, "#confirm-word", "commit")
        await pilot.click("#cancel")

    assert drive(CommitPlanScreen(shift_plan()), script) is False


def test_plan_that_changes_nothing_can_only_be_closed():
    plan = plan_commit("orders", "billing", CommitTarget.shift_by(0), {0: PartitionState(0, 10, 4)})

    async def script(pilot, dialog):
        assert not dialog.query("#confirm-word")
        assert "Nothing to change" in text(dialog, "#noop")
        assert table_rows(dialog, "#plan-table")[0][-1] == "unchanged"
        await pilot.press("enter")

    assert drive(CommitPlanScreen(plan), script) is False


def test_plan_shows_names_as_data():
    plan = shift_plan(group="[red]g\x1b")

    async def script(pilot, dialog):
        assert table_rows(dialog, "#plan-table")[0][0] == "[red]g\\x1b"
        assert "[red]g" in text(dialog, "#plan-heading")
        await pilot.press("escape")

    drive(CommitPlanScreen(plan), script)


def test_plan_skip_counts():
    plan = plan_commit("orders", "billing", CommitTarget.after_selected(0, 95), STATES)

    async def script(pilot, dialog):
        assert table_rows(dialog, "#plan-table") == [
            ["billing", "orders", "0", "90", "96", "10", "4", "skip 6"]]
        await pilot.press("escape")

    drive(CommitPlanScreen(plan), script)


# ------------------------------------------------------------------------------------------ CommitResultScreen


def test_result_all_ok():
    plan = shift_plan()

    async def script(pilot, dialog):
        assert "All 3 partition(s) read back as requested" in text(dialog, "#verdict")
        assert table_headers(dialog, "#result-table") == ["PARTITION", "BEFORE", "REQUESTED", "READ BACK",
                                                          "STATUS"]
        assert table_rows(dialog, "#result-table") == [
            ["0", "90", "70", "70", "OK"], ["1", "50", "30", "30", "OK"], ["2", "none", "5", "5", "OK"]]
        await pilot.press("enter")

    assert drive(CommitResultScreen(plan, {0: 70, 1: 30, 2: 5}), script) is None


def test_result_marks_mismatches_loudly():
    plan = shift_plan()

    async def script(pilot, dialog):
        assert "2 of 3 partition(s) do NOT hold the requested offset" in text(dialog, "#verdict")
        assert dialog.query_one("#dialog").has_class("-danger")
        rows = table_rows(dialog, "#result-table")
        assert rows[0][-1] == "OK"
        assert rows[1] == ["1", "50", "30", "31", "✗ MISMATCH"]
        assert rows[2] == ["2", "none", "5", "?", "✗ ERROR"]
        assert "partition 2: connection reset" in text(dialog, "#errors")
        assert "1 live member(s)" in text(dialog, "#members-warning")
        await pilot.press("escape")

    screen = CommitResultScreen(plan, {0: 70, 1: 31, 2: None}, {2: "connection reset"}, members=1)
    assert drive(screen, script) is None


def test_result_with_an_error_for_the_whole_execution():
    plan = shift_plan()

    async def script(pilot, dialog):
        assert [row[-1] for row in table_rows(dialog, "#result-table")] == ["✗ ERROR"] * 3
        assert "broker unreachable" in text(dialog, "#errors")
        await pilot.click("#close")

    assert drive(CommitResultScreen(plan, {}, {-1: "broker unreachable"}), script) is None


# ------------------------------------------------------------------------------------------ SeekScreen


def seek_screen(**kwargs):
    kwargs.setdefault("groups", ["billing", "audit"])
    return SeekScreen(0, 40, 10, 100, partition_count=3, **kwargs)


def test_seek_relative_with_live_preview():
    async def script(pilot, dialog):
        assert "holds offsets 10..99" in text(dialog, "#range-info")
        assert "You are at offset 40" in text(dialog, "#range-info")
        await pilot.press("+", "5")
        await pilot.pause()
        assert text(dialog, "#preview").startswith("→ offset 45")
        await pilot.press("enter")

    result = drive(seek_screen(), script)
    assert isinstance(result, SeekRequest)
    assert (result.offset, result.all_partitions, result.text, result.spec.kind) == (45, False, "+5",
                                                                                    SeekKind.RELATIVE)
    assert result.resolve(current=0, low=0, high=10) == 5  # relative to each partition's own position
    with pytest.raises(ValueError):
        result.resolve(current=8, low=0, high=10)  # one partition: strict


def test_seek_errors_inline():
    async def script(pilot, dialog):
        await pilot.press(*"abc")
        await pilot.pause()
        assert "'abc' is not an offset" in text(dialog, "#preview")
        await pilot.press("enter")
        await pilot.pause()
        assert "'abc' is not an offset" in text(dialog, "#error")
        assert dialog.is_current
        await type_into(pilot, dialog, "#seek-input", "end-10")
        await pilot.press("enter")

    assert drive(seek_screen(), script).offset == 90


def test_seek_out_of_range_is_a_warning_resolved_again_at_enter():
    async def script(pilot, dialog):
        await type_into(pilot, dialog, "#seek-input", "500")
        preview = text(dialog, "#preview")
        assert "past the end: the next offset to be written is 100" in preview
        assert "Checked again against the partition when you press enter" in preview
        await pilot.press("enter")  # the partition may have grown: the caller decides with fresh watermarks

    result = drive(seek_screen(), script)
    assert result.spec.kind is SeekKind.ABSOLUTE and result.spec.value == 500 and result.offset is None


def test_seek_reopened_with_the_resolution_error_and_scope():
    async def script(pilot, dialog):
        assert dialog.query_one("#seek-input", Input).value == "900"
        assert "past the end" in text(dialog, "#error")
        assert dialog.query_one("#scope-all", RadioButton).value
        await pilot.press("escape")

    screen = seek_screen(initial="900", error="Offset 900 is past the end", all_partitions=True)
    assert drive(screen, script) is None


def test_seek_all_partitions_clamps():
    async def script(pilot, dialog):
        await type_into(pilot, dialog, "#seek-input", "500")
        await pilot.click("#scope-all")
        await pilot.pause()
        assert "on every partition" in text(dialog, "#preview")
        await pilot.click("#seek")

    result = drive(seek_screen(), script)
    assert result.all_partitions and result.offset == 100
    assert result.resolve(current=0, low=0, high=7) == 7


def test_seek_group():
    async def script(pilot, dialog):
        await type_into(pilot, dialog, "#seek-input", "group:nobody")
        assert "no group 'nobody' is known on this topic yet" in text(dialog, "#preview")
        await type_into(pilot, dialog, "#seek-input", "group:billing")
        assert "read from the broker" in text(dialog, "#preview")
        await pilot.press("enter")

    result = drive(seek_screen(), script)
    assert result.group == "billing" and result.offset is None
    assert result.resolve(current=0, low=0, high=100, committed=42) == 42


def test_seek_initial_text_beginning_and_escape():
    async def script(pilot, dialog):
        assert "→ offset 10" in text(dialog, "#preview")
        await pilot.press("enter")

    assert drive(seek_screen(initial="b"), script).offset == 10
    assert drive(seek_screen(), press_escape) is None


def test_seek_empty_partition():
    async def script(pilot, dialog):
        assert "holds no records" in text(dialog, "#range-info")
        await pilot.press("e", "enter")

    assert drive(SeekScreen(1, 0, 0, 0), script).offset == 0


# ------------------------------------------------------------------------------------------ FilterScreen


def test_filter_apply_keeps_the_text_exactly():
    async def script(pilot, dialog):
        assert dialog.query_one("#filter-input", Input).value == "old"
        await type_into(pilot, dialog, "#filter-input", " ERR ")
        assert "begins or ends with spaces" in text(dialog, "#filter-warning")
        await pilot.press("enter")

    assert drive(FilterScreen("old"), script) == " ERR "


def test_filter_empty_clears_and_escape_keeps():
    async def clear_by_typing(pilot, dialog):
        await type_into(pilot, dialog, "#filter-input", "")
        await pilot.press("enter")

    assert drive(FilterScreen("old"), clear_by_typing) == ""

    async def clear_button(pilot, dialog):
        await pilot.click("#clear")

    assert drive(FilterScreen("old"), clear_button) == ""
    assert drive(FilterScreen("old"), press_escape) is None


def test_filter_describes_the_rule():
    async def script(pilot, dialog):
        dialog.query_one("#filter-input", Input).value = "$.user.id"
        await pilot.pause()
        assert text(dialog, "#filter-kind").startswith("Query")
        dialog.query_one("#filter-input", Input).value = "a[b"
        await pilot.pause()
        assert "not a valid regular expression" in text(dialog, "#filter-warning")
        await pilot.press("escape")

    drive(FilterScreen(), script)


def test_filter_too_long():
    async def script(pilot, dialog):
        dialog.query_one("#filter-input", Input).value = "é" * 40000
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert "80000 bytes long" in text(dialog, "#error")
        assert dialog.is_current
        await pilot.press("escape")

    assert drive(FilterScreen(), script) is None


@pytest.mark.parametrize("value, summary, warning", [
    ("", "No filter", ""),
    ("ERR", "Case-insensitive substring, or regular expression", ""),
    ("^a.c$", "Case-insensitive substring, or regular expression", ""),
    ("[", "Case-insensitive substring on key and value.", "not a valid regular expression"),
    ("(?=x)", "Case-insensitive substring on key and value.", "RE2 does not support"),
    (r"(a)\1", "Case-insensitive substring on key and value.", "RE2 does not support"),
    ("$.user.id", "Query: flytui decodes each record", ""),
    ('$.status == "paid" and key ~ /^cust-01/', "Query: flytui decodes each record", ""),
    ("$.", "Query: does not parse yet", "at character 3"),
    ("$.a..b", "Query: does not parse yet", "at character"),
    ("$.amount >", "Query: does not parse yet", "at character 11"),
])
def test_describe_filter(value, summary, warning):
    got_summary, got_warning = describe_filter(value)
    assert got_summary.startswith(summary)
    assert warning in got_warning if warning else got_warning == ""


# ------------------------------------------------------------------------------------------ ProduceScreen


def test_produce_new_message():
    async def script(pilot, dialog):
        assert dialog.focused is dialog.query_one("#topic", Input)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Type the topic" in text(dialog, "#error")
        await pilot.press(*"t1", "enter")  # enter moves on to the key
        await pilot.pause()
        assert dialog.focused is dialog.query_one("#key", Input)
        await pilot.press(*"k-1")
        dialog.query_one("#value", TextArea).focus()
        await pilot.press("h", "é", "enter")
        await pilot.pause()
        assert "key 3 bytes, value 4 bytes (text)" in text(dialog, "#status")
        await pilot.press("ctrl+s")

    assert drive(ProduceScreen(), script) == ProduceRequest("t1", b"k-1", "hé\n".encode())


def test_produce_edit_and_resend_keeps_bytes():
    value = json.dumps({"id": 7, "note": "é"}).encode()

    async def script(pilot, dialog):
        assert "Edit and resend orders partition 2 offset 41" in str(
            dialog.query_one(".dialog-title", Static).render())
        assert dialog.query_one("#value-encoding", Select).value == "json"
        assert dialog.focused is dialog.query_one("#value", TextArea)
        await pilot.click("#send")

    screen = ProduceScreen("orders", b"k1", value, source="orders partition 2 offset 41")
    assert drive(screen, script) == ProduceRequest("orders", b"k1", value)


def test_produce_binary_prefill_opens_in_hex():
    value, key = b"\x00\xffabc", b"\xfe"

    async def script(pilot, dialog):
        assert dialog.query_one("#value-encoding", Select).value == "hex"
        assert dialog.query_one("#value", TextArea).text == "00 ff 61 62 63"
        assert dialog.query_one("#key-encoding", Select).value == "hex"
        await pilot.press("ctrl+s")

    assert drive(ProduceScreen("t", key, value), script) == ProduceRequest("t", key, value)


def test_produce_invalid_json_is_refused():
    async def script(pilot, dialog):
        dialog.query_one("#value-encoding", Select).value = "json"
        await pilot.pause()
        dialog.query_one("#value", TextArea).text = '{"a": '
        await pilot.pause()
        assert "Value: not valid JSON" in text(dialog, "#status")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Value: not valid JSON" in text(dialog, "#error")
        assert dialog.is_current
        dialog.query_one("#value", TextArea).text = '{"a": 1}'
        await pilot.press("ctrl+s")

    assert drive(ProduceScreen("t"), script) == ProduceRequest("t", None, b'{"a": 1}')


def test_produce_switching_encoding_converts():
    async def script(pilot, dialog):
        area = dialog.query_one("#value", TextArea)
        area.text = "hi"
        dialog.query_one("#value-encoding", Select).value = "hex"
        await pilot.pause()
        assert area.text == "68 69"
        dialog.query_one("#value-encoding", Select).value = "base64"
        await pilot.pause()
        assert area.text == "aGk="
        area.text = "!!!"
        await pilot.pause()
        assert "Value: not valid base64" in text(dialog, "#status")
        area.text = "aGk="
        key = dialog.query_one("#key", Input)
        key.value = "k"
        dialog.query_one("#key-encoding", Select).value = "hex"
        await pilot.pause()
        assert key.value == "6b"
        await pilot.press("ctrl+s")

    assert drive(ProduceScreen("t"), script) == ProduceRequest("t", b"k", b"hi")


def test_produce_escape_cancels():
    assert drive(ProduceScreen("t", None, b"x"), press_escape) is None


def test_produce_conversions():
    assert encode_field("00 ff", "hex") == b"\x00\xff"
    assert encode_field("0x00ff", "hex") == b"\x00\xff"
    assert encode_field("aGk=\n", "base64") == b"hi"
    with pytest.raises(ValueError, match="not valid hex"):
        encode_field("0g", "hex")
    with pytest.raises(ValueError, match="not valid JSON"):
        encode_field("{", "json")
    with pytest.raises(ValueError, match="not UTF-8"):
        render_field(b"\xff", "text")
    assert guess_encoding(b'{"a": 1}') == "json"
    assert guess_encoding(b"plain\nlines") == "text"
    assert guess_encoding(b"\x1b[31m") == "hex"
    assert guess_encoding(b"\xff") == "hex"
    for data in (b"", b"\x00\x01", "é".encode()):
        for encoding in ("hex", "base64"):
            assert encode_field(render_field(data, encoding), encoding) == data


# ------------------------------------------------------------------------------------------ ExportScreen


def export_screen(path, **kwargs):
    kwargs.setdefault("view_count", 12)
    return ExportScreen(str(path), partition=1, low=10, high=100, **kwargs)


def test_export_current_view(tmp_path):
    async def script(pilot, dialog):
        assert dialog.query_one("#range-from", Input).disabled
        assert dialog.query_one("#scope-matches", RadioButton).disabled  # no filter
        await pilot.press("enter")

    result = drive(export_screen(tmp_path / "v.jsonl"), script)
    assert result == ExportRequest(str(tmp_path / "v.jsonl"), ExportScope.VIEW, 1, None, None, False)


def test_export_never_overwrites_silently(tmp_path):
    existing = tmp_path / "exists.jsonl"
    existing.write_text("keep me")

    async def script(pilot, dialog):
        assert "exists: tick 'overwrite'" in text(dialog, "#path-warning")
        await pilot.press("enter")
        await pilot.pause()
        assert "already exists" in text(dialog, "#error")
        assert dialog.is_current
        dialog.query_one("#overwrite", Checkbox).value = True
        await pilot.pause()
        assert "will be REPLACED" in text(dialog, "#path-warning")
        await pilot.click("#export")

    result = drive(export_screen(existing), script)
    assert result.overwrite is True and result.path == str(existing)


def test_export_range_validation(tmp_path):
    async def script(pilot, dialog):
        await pilot.click("#scope-range")
        await pilot.pause()
        assert not dialog.query_one("#range-from", Input).disabled
        for start, end, message in (("5", "50", "before the lowest retained offset 10"),
                                    ("20", "101", "past the end"),
                                    ("50", "50", "must be below"),
                                    ("x", "50", "Range:")):
            dialog.query_one("#range-from", Input).value = start
            dialog.query_one("#range-to", Input).value = end
            dialog.query_one("#range-to", Input).focus()
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            assert message in text(dialog, "#error"), (start, end)
        dialog.query_one("#range-from", Input).value = "20"
        dialog.query_one("#range-to", Input).value = "60"
        await pilot.click("#export")

    result = drive(export_screen(tmp_path / "r.jsonl"), script)
    assert (result.scope, result.start, result.end, result.partition) == (ExportScope.RANGE, 20, 60, 1)


def test_export_filter_matches(tmp_path):
    async def script(pilot, dialog):
        await pilot.click("#scope-matches")
        await pilot.pause()
        await pilot.click("#export")

    result = drive(export_screen(tmp_path / "m.jsonl", filter_text="ERR"), script)
    assert (result.scope, result.start, result.end, result.filter_text) == (ExportScope.MATCHES, 10, 100, "ERR")


def test_export_empty_view_and_escape(tmp_path):
    async def script(pilot, dialog):
        await pilot.press("enter")
        await pilot.pause()
        assert "holds no records" in text(dialog, "#error")
        await pilot.press("escape")

    assert drive(export_screen(tmp_path / "e.jsonl", view_count=0), script) is None


def test_export_progress_screen():
    async def script(pilot, dialog):
        dialog.update_progress(50)
        await pilot.pause()
        assert text(dialog, "#progress-status") == "50 of 200 record(s) written…"
        dialog.update_progress(200, finished=True)
        await pilot.pause()
        assert "200 record(s) written to /tmp/x.jsonl" in text(dialog, "#progress-status")
        dialog.update_progress(3, error="disk full")
        await pilot.pause()
        assert "Export failed after 3 record(s): disk full" in text(dialog, "#progress-status")
        await pilot.press("enter")

    assert drive(ExportProgressScreen("/tmp/x.jsonl", 200), script) is None


def test_export_progress_cancel():
    cancel = threading.Event()

    async def script(pilot, dialog):
        dialog.update_progress(10)
        await pilot.press("c")
        await pilot.pause()
        assert cancel.is_set()
        assert "cancelling after 10 record(s)" in text(dialog, "#progress-status")
        dialog.update_progress(10, error="export cancelled after 10 record(s); no file was written")
        await pilot.pause()
        assert dialog.query_one("#cancel-export", Button).disabled
        await pilot.press("escape")

    assert drive(ExportProgressScreen("/tmp/x.jsonl", 200, cancel=cancel), script) is None


# ------------------------------------------------------------------------------------------ HelpScreen

HELP_ROWS = [("q", "Quit", ""), ("c", "Commit offsets…", "Messages"), ("/", "Filter [red]", "Messages"),
             ("ctrl+p", "Palette", "")]


def test_help_groups_and_closes():
    assert group_rows(HELP_ROWS) == [("Global", [("q", "Quit"), ("ctrl+p", "Palette")]),
                                     ("Messages", [("c", "Commit offsets…"), ("/", "Filter [red]")])]

    async def script(pilot, dialog):
        rows = table_rows(dialog, "#help-table")
        assert rows[0] == ["Global", ""]
        assert ["c", "Commit offsets…"] in rows
        assert ["/", "Filter [red]"] in rows  # data, not markup
        assert "Read-only mode" in text(dialog, "#read-only")
        await pilot.press("question_mark")

    assert drive(HelpScreen(HELP_ROWS, read_only=True), script) is None
    assert drive(HelpScreen(HELP_ROWS), press_escape) is None


# ------------------------------------------------------------------------------------------ every form dialog


FORM_DIALOGS = [
    pytest.param(lambda tmp: target_screen(), id="commit-target"),
    pytest.param(lambda tmp: seek_screen(), id="seek"),
    pytest.param(lambda tmp: FilterScreen("old"), id="filter"),
    pytest.param(lambda tmp: ProduceScreen("t", b"k", b"v"), id="produce"),
    pytest.param(lambda tmp: export_screen(tmp / "out.jsonl"), id="export"),
    pytest.param(lambda tmp: OffsetsExportScreen("orders", "billing"), id="offsets-export"),
]


@pytest.mark.parametrize("make", FORM_DIALOGS)
def test_the_cancel_button_of_every_form_dialog_dismisses_with_nothing(make, tmp_path):
    async def script(pilot, dialog):
        await type_into(pilot, dialog, "Input", "typed but not submitted")
        await pilot.click("#cancel")

    assert drive(make(tmp_path), script) is None


def test_filter_apply_button_submits_and_a_too_long_filter_stays_open():
    async def apply(pilot, dialog):
        await type_into(pilot, dialog, "#filter-input", "needle")
        await pilot.click("#apply")

    assert drive(FilterScreen("old"), apply) == "needle"

    async def too_long(pilot, dialog):
        await type_into(pilot, dialog, "#filter-input", "x" * (FILTER_MAX_BYTES + 1))
        await pilot.click("#apply")
        await pilot.pause()
        assert f"the broker accepts at most {FILTER_MAX_BYTES}" in text(dialog, "#error")

    assert drive(FilterScreen("old"), too_long) is NOTHING


def test_offsets_export_save_button_submits_and_an_empty_group_stays_open(tmp_path):
    target = str(tmp_path / "offsets.json")

    async def save(pilot, dialog):
        await type_into(pilot, dialog, "#path", target)
        await pilot.click("#save")

    assert drive(OffsetsExportScreen("orders", "billing"), save) == OffsetsExportRequest("billing", target, False)

    async def no_group(pilot, dialog):
        await type_into(pilot, dialog, "#path", target)
        await pilot.click("#save")
        await pilot.pause()
        assert "Type the consumer group" in text(dialog, "#error")

    assert drive(OffsetsExportScreen("orders"), no_group) is NOTHING
