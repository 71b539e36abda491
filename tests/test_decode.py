"""flytui.decode: pure decoders; content is data, never markup, and never reaches the terminal raw."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flytui import decode
from flytui.decode import (
    DecodeMode,
    available_modes,
    decode_value,
    hexdump,
    human_size,
    next_mode,
    preview,
    visible_text,
)

# C0 controls except newline, DEL, C1 controls, bidi overrides/isolates, separators, BOM, lone surrogates
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff"
                         "\ud800-\udfff]")


def test_modes_cycle_through_the_available_ones():
    modes = available_modes()
    assert modes[:5] == (DecodeMode.AUTO, DecodeMode.TEXT, DecodeMode.JSON, DecodeMode.HEX, DecodeMode.BASE64)
    assert (DecodeMode.MSGPACK in modes) == (decode.msgpack_module() is not None)
    mode = modes[0]
    seen = []
    for _ in modes:
        seen.append(mode)
        mode = next_mode(mode)
    assert seen == list(modes) and mode is modes[0]


def test_modes_without_msgpack(monkeypatch):
    monkeypatch.setattr(decode, "msgpack_module", lambda: None)
    assert DecodeMode.MSGPACK not in available_modes()
    result = decode_value(b"\x81\xa1a\x01", DecodeMode.MSGPACK)
    assert result.mode_used is DecodeMode.HEX
    assert "not installed" in result.error


def test_auto_pretty_prints_and_highlights_json():
    result = decode_value(b'{"b": [1, true, null], "a": "[bold]x[/]"}')
    assert result.mode_used is DecodeMode.JSON and result.error is None
    assert result.renderable.plain == json.dumps({"b": [1, True, None], "a": "[bold]x[/]"}, indent=2)
    styles = {str(span.style) for span in result.renderable.spans}
    assert "json.key" in styles and "json.str" in styles
    assert "[bold]x[/]" in result.renderable.plain  # markup-looking data stays literal


def test_auto_text_and_binary():
    assert decode_value(b"hello\nworld").mode_used is DecodeMode.TEXT
    assert decode_value(b"hello\nworld").renderable.plain == "hello\nworld"
    binary = decode_value(bytes(range(32)) * 4)
    assert binary.mode_used is DecodeMode.HEX
    assert binary.renderable.plain.startswith("00000000  00 01 02 03")
    assert decode_value(b"{not json").mode_used is DecodeMode.TEXT


def test_json_mode_falls_back_to_hex_with_a_visible_marker():
    result = decode_value(b"\xff\x00 nope", DecodeMode.JSON)
    assert result.mode_used is DecodeMode.HEX
    assert result.error.startswith("not valid JSON:")
    first = result.renderable.plain.splitlines()[0]
    assert first.startswith("⚠ not valid JSON") and first.endswith("shown as hex")
    assert "ff 00 20 6e" in result.renderable.plain


def test_json_nested_too_deeply_does_not_raise():
    result = decode_value(b"[" * 100_000 + b"]" * 100_000, DecodeMode.JSON)
    assert result.mode_used is DecodeMode.HEX and result.error


def test_text_mode_shows_bad_utf8_as_escapes():
    result = decode_value(b"ok \xff end", DecodeMode.TEXT)
    assert result.mode_used is DecodeMode.TEXT
    assert result.renderable.plain == "ok \\xff end"
    assert "not valid UTF-8" in result.error


def test_escape_sequences_and_controls_are_visible():
    text = decode_value(b"\x1b[31mred\x1b[0m\r\n\ttab\x00\x7f\xc2\x9b\xe2\x80\xae", DecodeMode.TEXT).renderable
    assert text.plain == "␛[31mred␛[0m␍\n␉tab␀␡\\x9b<U+202E>"
    marked = {text.plain[span.start:span.end] for span in text.spans}
    assert {"␛", "␍", "␉", "␀", "␡", "\\x9b", "<U+202E>"} <= marked


def test_visible_text_one_line_and_lone_surrogates():
    assert visible_text("a\nb").plain == "a⏎b"
    assert visible_text("a\nb", multiline=True).plain == "a\nb"
    surrogate = decode_value(b'"\\ud800"', DecodeMode.JSON).renderable.plain
    assert surrogate == '"\\ud800"'
    surrogate.encode("utf-8")  # encodable: the lone surrogate was made visible


def test_hexdump_layout_and_cap():
    dump = hexdump(b"Hello, world!\n\x00\x01\x02", max_bytes=16).plain.splitlines()
    assert dump[0] == "00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 01  |Hello, world!...|"
    assert dump[1] == "… 1 more bytes"
    assert hexdump(b"").plain == "(no bytes)"


def test_base64_mode():
    result = decode_value(b"\x00\x01\x02hello", DecodeMode.BASE64)
    assert result.renderable.plain == "AAECaGVsbG8="
    long = decode_value(bytes(200), DecodeMode.BASE64)
    assert [len(line) for line in long.renderable.plain.splitlines()] == [76, 76, 76, 40]


@pytest.mark.skipif(decode.msgpack_module() is None, reason="msgpack not installed")
def test_msgpack_mode():
    import msgpack

    packed = msgpack.packb({"id": 7, "tags": ["a", "b"], "blob": b"\x00\x1b", 1: None})
    result = decode_value(packed, DecodeMode.MSGPACK)
    assert result.mode_used is DecodeMode.MSGPACK and result.error is None
    document = json.loads(result.renderable.plain)
    assert document == {"id": 7, "tags": ["a", "b"], "blob": "hex:001b", "1": None}
    bad = decode_value(b"\xc1", DecodeMode.MSGPACK)
    assert bad.mode_used is DecodeMode.HEX and bad.error.startswith("not valid msgpack")


def test_limit_truncates_and_says_so():
    value = json.dumps({"k": "v" * 100_000}).encode()
    cut = decode_value(value, DecodeMode.AUTO, limit=1024)
    assert cut.truncated and cut.shown_bytes == 1024 and cut.total_bytes == len(value)
    assert cut.mode_used is DecodeMode.TEXT  # a cut JSON value cannot parse: its head is shown as text
    as_json = decode_value(value, DecodeMode.JSON, limit=1024)
    assert as_json.mode_used is DecodeMode.HEX and "load all" in as_json.error
    assert decode_value(value, DecodeMode.JSON).mode_used is DecodeMode.JSON


def test_lines_are_built_on_demand_for_huge_values():
    data = bytes(range(256)) * 40_000  # 10 MB
    result = decode_value(data, DecodeMode.HEX)
    assert len(result.lines) == len(data) // 16
    assert result.lines[len(result.lines) - 1].plain.startswith(f"{len(data) - 16:08x}")
    assert result.lines.max_cell_length() == 78


def test_empty_and_none():
    assert decode_value(b"").renderable.plain == "(empty)"
    assert decode_value(None).renderable.plain == "null (no key)"
    assert preview(None, 10).plain == "null"
    assert preview(b"", 10).plain == "(empty)"


def test_preview_is_one_visible_line_cut_with_an_ellipsis():
    line = preview(b"\x1b[31m[bold]red[/]\r\nnext line", 80)
    assert line.plain == "␛[31m[bold]red[/]␍⏎next line"
    assert preview(b"x" * 100, 10).plain == "x" * 9 + "…"
    assert preview(b"x" * 10_000_000, 20).cell_len == 20
    wide = preview("日本語テキスト".encode() * 10, 11)
    assert wide.cell_len <= 11 and wide.plain.endswith("…")


def test_preview_of_binary_is_marked_hex():
    line = preview(bytes(range(0, 250, 10)), 30)
    assert line.plain.startswith("‹bin› 00 0a 14")
    assert line.cell_len <= 30


def test_human_size():
    assert [human_size(n) for n in (None, 0, 1023, 1024, 1536, 10 * 2**20, 3 * 2**30, 5 * 2**40)] == [
        "-", "0 B", "1023 B", "1.0 KiB", "1.5 KiB", "10.0 MiB", "3.0 GiB", "5.0 TiB"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(
    st.binary(max_size=600),
    st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                 lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children,
                                                                                   max_size=4),
                 max_leaves=12).map(lambda doc: json.dumps(doc, ensure_ascii=False).encode("utf-8",
                                                                                          "surrogatepass")),
), limit=st.sampled_from([None, 7, 64]))
def test_every_mode_is_total_and_never_emits_raw_controls(data, limit):
    for mode in DecodeMode:
        result = decode_value(data, mode, limit=limit)
        plain = result.renderable.plain
        assert RAW_CONTROL.search(plain) is None, (mode, plain)
        assert len(result.lines) == plain.count("\n") + 1
    line = preview(data, 40).plain
    assert "\n" not in line and RAW_CONTROL.search(line) is None
    assert preview(data, 40).cell_len <= 40


def test_auto_recognises_msgpack_records():
    import msgpack

    from flytui.demo import msgpack_map

    reading = msgpack_map({"sensor": "sensor-01", "temp_c": 21.5, "battery": 80, "ok": True})
    result = decode_value(reading, DecodeMode.AUTO)
    assert result.mode_used is DecodeMode.MSGPACK
    assert json.loads(result.renderable.plain) == {"sensor": "sensor-01", "temp_c": 21.5, "battery": 80, "ok": True}
    assert decode_value(msgpack.packb([1, "a"]), DecodeMode.AUTO).mode_used is DecodeMode.MSGPACK
    # not a record, bytes left over, or cut: stays hex
    for data in (msgpack.packb({}), msgpack.packb({1: 2}), reading + b"\x00", bytes([0x81]) + bytes(range(32))):
        assert decode_value(data, DecodeMode.AUTO).mode_used is DecodeMode.HEX, data
    assert decode_value(reading, DecodeMode.AUTO, limit=8).mode_used is DecodeMode.HEX
