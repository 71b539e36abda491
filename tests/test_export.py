"""flytui.export (JSONL writer), flytui.clipboard, and the export dialog's path check."""

from __future__ import annotations

import asyncio
import base64
import json
import os

import pytest

from flytui.clipboard import copy_to_clipboard, osc52, record_as_json, value_as_text
from flytui.export import ExportCancelled, record_to_dict, write_jsonl
from flytui.screens.export import check_export_path
from pyflymq.models import Message


def msg(offset: int, value: bytes = b"v", key: bytes | None = b"k", partition: int = 0) -> Message:
    return Message("orders", partition, offset, key, value)


def read_lines(path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def leftovers(directory) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".part"))


# ------------------------------------------------------------------------------------------ records


def test_record_to_dict_text():
    assert record_to_dict(msg(7, b'{"a": 1}', b"user-1")) == {
        "topic": "orders", "partition": 0, "offset": 7, "key": "user-1", "value": '{"a": 1}'}


def test_record_to_dict_no_key_and_unicode():
    out = record_to_dict(msg(1, "héllo ✓".encode(), None))
    assert out["key"] is None and out["value"] == "héllo ✓"
    assert "key_encoding" not in out and "value_encoding" not in out


def test_record_to_dict_binary_uses_base64():
    key, value = b"\xff\x00", b"\x80\x81\x82"
    out = record_to_dict(msg(2, value, key))
    assert out["key_encoding"] == "base64" and out["value_encoding"] == "base64"
    assert base64.b64decode(out["key"]) == key and base64.b64decode(out["value"]) == value


# ------------------------------------------------------------------------------------------ write_jsonl


def test_write_jsonl_round_trip(tmp_path):
    records = [msg(0, b"plain"), msg(1, b"\x00\x01\xfe", None), msg(2, b"a\nb\x1b[31m", b"\xff")]
    path = tmp_path / "out.jsonl"
    assert write_jsonl(path, iter(records)) == 3
    lines = read_lines(path)
    assert [line["offset"] for line in lines] == [0, 1, 2]
    assert lines[0]["value"] == "plain"
    assert base64.b64decode(lines[1]["value"]) == b"\x00\x01\xfe" and lines[1]["key"] is None
    assert lines[2]["value"] == "a\nb\x1b[31m"  # control characters are escaped by JSON, kept exactly
    raw = path.read_text(encoding="utf-8")
    assert raw.count("\n") == 3 and "\x1b" not in raw
    assert leftovers(tmp_path) == []


def test_write_jsonl_empty(tmp_path):
    path = tmp_path / "empty.jsonl"
    assert write_jsonl(path, []) == 0
    assert path.read_text() == ""


def test_write_jsonl_never_overwrites_silently(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text("precious\n")
    consumed = []

    def records():
        consumed.append(True)
        yield msg(0)

    with pytest.raises(FileExistsError):
        write_jsonl(path, records())
    assert path.read_text() == "precious\n"
    assert consumed == []  # refused before reading anything
    assert write_jsonl(path, records(), overwrite=True) == 1
    assert read_lines(path)[0]["offset"] == 0


def test_write_jsonl_refuses_a_file_that_appears_meanwhile(tmp_path):
    path = tmp_path / "race.jsonl"

    def records():
        yield msg(0)
        path.write_text("someone else's\n")
        yield msg(1)

    with pytest.raises(FileExistsError):
        write_jsonl(path, records())
    assert path.read_text() == "someone else's\n"
    assert leftovers(tmp_path) == []


def test_write_jsonl_progress_and_cancel(tmp_path):
    seen = []
    path = tmp_path / "p.jsonl"
    assert write_jsonl(path, (msg(i) for i in range(25)), seen.append, progress_every=10) == 25
    assert seen == [10, 20, 25]

    def stop_at_20(written):
        return written < 20

    path2 = tmp_path / "cancelled.jsonl"
    with pytest.raises(ExportCancelled) as info:
        write_jsonl(path2, (msg(i) for i in range(100)), stop_at_20, progress_every=10)
    assert info.value.written == 20
    assert not path2.exists() and leftovers(tmp_path) == []


def test_write_jsonl_failure_leaves_nothing(tmp_path):
    def records():
        yield msg(0)
        raise ConnectionError("broker went away")

    path = tmp_path / "broken.jsonl"
    with pytest.raises(ConnectionError):
        write_jsonl(path, records())
    assert not path.exists() and leftovers(tmp_path) == []


def test_write_jsonl_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_jsonl(tmp_path / "nope" / "x.jsonl", [msg(0)])


def test_write_jsonl_file_is_private(tmp_path):
    path = tmp_path / "mode.jsonl"
    write_jsonl(path, [msg(0)])
    assert os.stat(path).st_mode & 0o077 == 0


# ------------------------------------------------------------------------------------------ path check


def test_check_export_path(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert check_export_path("~/a.jsonl", False) == str(tmp_path / "a.jsonl")
    with pytest.raises(ValueError, match="Type the file"):
        check_export_path("  ", False)
    with pytest.raises(ValueError, match="is a folder"):
        check_export_path(str(tmp_path), True)
    with pytest.raises(ValueError, match="does not exist"):
        check_export_path(str(tmp_path / "missing" / "a.jsonl"), False)
    (tmp_path / "b.jsonl").write_text("x")
    with pytest.raises(ValueError, match="already exists: tick 'overwrite'"):
        check_export_path(str(tmp_path / "b.jsonl"), False)
    assert check_export_path(str(tmp_path / "b.jsonl"), True) == str(tmp_path / "b.jsonl")


# ------------------------------------------------------------------------------------------ clipboard


def test_record_as_json():
    text = record_as_json(msg(41, b"\xff", b"key"))
    assert json.loads(text) == record_to_dict(msg(41, b"\xff", b"key"))
    assert "\n" in text  # indented for reading


def test_value_as_text():
    assert value_as_text(msg(0, b"hello")) == ("hello", "value")
    text, what = value_as_text(msg(0, b"\xff\xfe"))
    assert base64.b64decode(text) == b"\xff\xfe" and "base64" in what


def test_osc52():
    seq = osc52("héllo")
    assert seq.startswith("\x1b]52;c;") and seq.endswith("\a")
    assert base64.b64decode(seq[7:-1]).decode() == "héllo"
    assert osc52("x", "p").startswith("\x1b]52;p;")


def test_copy_to_clipboard_uses_the_app():
    class FakeApp:
        copied: list[str] = []

        def copy_to_clipboard(self, text):
            self.copied.append(text)

    app = FakeApp()
    message = copy_to_clipboard(app, "héllo", "value")
    assert app.copied == ["héllo"]
    assert "value" in message and "6 bytes" in message


def test_copy_to_clipboard_with_textual():
    from textual.app import App

    async def main():
        app = App()
        async with app.run_test():
            copy_to_clipboard(app, record_as_json(msg(1)), "record")
            return app.clipboard

    assert json.loads(asyncio.run(main()))["offset"] == 1
