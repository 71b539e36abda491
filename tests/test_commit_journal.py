"""The commit journal: one JSON line per partition change, append-only, in the XDG state dir; the newest
commit of a server is what undo plans back to."""

from __future__ import annotations

import json

import pytest

from flytui.commit_journal import JournalError, append_commit, journal_path, last_commit


def test_journal_path_follows_xdg_state_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert journal_path() == tmp_path / "flytui" / "commits.jsonl"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert journal_path() == tmp_path / "home" / ".local" / "state" / "flytui" / "commits.jsonl"


def test_append_writes_one_line_per_partition_and_never_rewrites(tmp_path):
    path = tmp_path / "state" / "flytui" / "commits.jsonl"
    append_commit("prod:9092", "orders", "billing", {1: (7, 20), 0: (None, 20)}, path=path, now=1767436923.5)
    first = path.read_text()
    append_commit("prod:9092", "orders", "billing", {0: (20, 3)}, kind="undo", path=path, now=1767436930.0)
    assert path.read_text().startswith(first), "append-only"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(d["partition"], d["old"], d["new"], d["kind"]) for d in lines] == [
        (0, None, 20, "commit"), (1, 7, 20, "commit"), (0, 20, 3, "undo")]
    assert lines[0]["time"] == "2026-01-03T10:42:03.500Z"
    assert set(lines[0]) == {"commit", "time", "server", "topic", "group", "partition", "old", "new", "kind"}
    assert lines[0]["commit"] == lines[1]["commit"] != lines[2]["commit"]


def test_last_commit_is_the_newest_of_that_server(tmp_path):
    path = tmp_path / "commits.jsonl"
    assert last_commit("prod:9092", path=path) == []
    append_commit("prod:9092", "orders", "billing", {0: (5, 9), 1: (6, 9)}, path=path, now=100.0)
    append_commit("staging:9092", "orders", "billing", {0: (1, 2)}, path=path, now=200.0)
    with open(path, "a") as out:
        out.write("not json\n{\"commit\": 1}\n")  # damaged lines are skipped
    entries = last_commit("prod:9092", path=path)
    assert [(e.partition, e.old, e.new) for e in entries] == [(0, 5, 9), (1, 6, 9)]
    assert [e.server for e in last_commit("staging:9092", path=path)] == ["staging:9092"]


def test_names_are_stored_exactly(tmp_path):
    path = tmp_path / "commits.jsonl"
    append_commit("h:1", "evil[/]topic\n", "[bold]g\x1b", {0: (None, 1)}, path=path)
    entry = last_commit("h:1", path=path)[0]
    assert (entry.topic, entry.group) == ("evil[/]topic\n", "[bold]g\x1b")
    assert len(path.read_text().splitlines()) == 1


def test_an_unwritable_journal_raises(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(JournalError, match="could not save the undo journal"):
        append_commit("h:1", "t", "g", {0: (1, 2)}, path=blocker / "flytui" / "commits.jsonl")
