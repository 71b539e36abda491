"""Files of committed offsets: CSV topic,partition,offset (kafka-consumer-groups --export / --from-file)."""

from __future__ import annotations

import pytest

from flytui.offset_files import format_offsets_csv, parse_offsets_csv, read_offsets_file, write_offsets_file


def test_round_trip_with_awkward_topic_names():
    for topic in ("orders", "a,b", 'quote"d', "evil[/]topic"):
        text = format_offsets_csv(topic, {1: 7, 0: 5})
        assert parse_offsets_csv(text, topic) == {0: 5, 1: 7}
    assert format_offsets_csv("orders", {1: 7, 0: 5}) == "orders,0,5\norders,1,7\n"


def test_header_blank_lines_and_other_topics():
    text = "topic,partition,offset\n\norders,0,5\npayments,0,9\norders,2,11\n"
    assert parse_offsets_csv(text, "orders") == {0: 5, 2: 11}
    with pytest.raises(ValueError, match="no offsets for topic 'audit'.*orders, payments"):
        parse_offsets_csv(text, "audit")


@pytest.mark.parametrize("text, message", [
    ("", "lists no offsets"),
    ("orders,0\n", "line 1: expected topic,partition,offset"),
    ("orders,0,-5\n", "line 1: partition and offset must be whole numbers"),
    ("orders,x,5\n", "whole numbers"),
    ("orders,0,5\norders,0,6\n", "line 2: partition 0 is listed twice"),
])
def test_bad_files_say_which_line(text, message):
    with pytest.raises(ValueError, match=message):
        parse_offsets_csv(text, "orders")


def test_read_and_write_files(tmp_path):
    path = tmp_path / "offsets.csv"
    write_offsets_file(str(path), "orders,0,5\n")
    with pytest.raises(FileExistsError):
        write_offsets_file(str(path), "orders,0,6\n")
    write_offsets_file(str(path), "orders,0,6\n", overwrite=True)
    assert read_offsets_file(str(path), "orders") == {0: 6}
    with pytest.raises(ValueError, match="Cannot read"):
        read_offsets_file(str(tmp_path / "missing.csv"), "orders")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="not a text file"):
        read_offsets_file(str(tmp_path / "bin.csv"), "orders")
    with pytest.raises(ValueError, match="Type the file"):
        read_offsets_file("  ", "orders")
