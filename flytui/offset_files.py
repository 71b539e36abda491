"""Files of committed offsets: CSV ``topic,partition,offset``, the form ``kafka-consumer-groups --export``
writes and ``--from-file`` reads. Pure functions, no Textual, no network.

* :func:`format_offsets_csv` ``(topic, offsets) -> str``: one line per partition, no header.
* :func:`parse_offsets_csv` ``(text, topic) -> {partition: offset}``: the lines for ``topic``; a header line
  ``topic,partition,offset`` and blank lines are allowed. :class:`ValueError` with the line number for
  anything else, including offsets of other topics only.
* :func:`read_offsets_file` ``(path, topic)`` reads and parses a file; :func:`write_offsets_file` writes one,
  never replacing an existing file unless asked.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping

__all__ = ["MAX_OFFSETS_FILE_BYTES", "format_offsets_csv", "parse_offsets_csv", "read_offsets_file",
           "write_offsets_file"]

MAX_OFFSETS_FILE_BYTES = 4 << 20
"""A file of offsets larger than this is refused (it cannot be one topic's offsets)."""


def format_offsets_csv(topic: str, offsets: Mapping[int, int]) -> str:
    """The CSV text for ``{partition: committed offset}`` of ``topic`` (topic names are quoted as needed)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for partition, offset in sorted(offsets.items()):
        writer.writerow([topic, partition, offset])
    return out.getvalue()


def parse_offsets_csv(text: str, topic: str) -> dict[int, int]:
    """``{partition: offset}`` for ``topic`` from CSV text (see the module docstring)."""
    offsets: dict[int, int] = {}
    other_topics: set[str] = set()
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if number == 1 and [cell.strip().lower() for cell in row] == ["topic", "partition", "offset"]:
            continue
        if len(row) != 3:
            raise ValueError(f"line {number}: expected topic,partition,offset, got {len(row)} field(s)")
        name, partition_text, offset_text = row[0], row[1].strip(), row[2].strip()
        if not partition_text.isdigit() or not offset_text.isdigit():
            raise ValueError(f"line {number}: partition and offset must be whole numbers")
        if name != topic:
            other_topics.add(name)
            continue
        partition = int(partition_text)
        if partition in offsets:
            raise ValueError(f"line {number}: partition {partition} is listed twice")
        offsets[partition] = int(offset_text)
    if not offsets:
        if other_topics:
            shown = ", ".join(sorted(other_topics)[:3])
            raise ValueError(f"no offsets for topic {topic!r} in the file (it lists: {shown})")
        raise ValueError("the file lists no offsets (expected lines topic,partition,offset)")
    return offsets


def read_offsets_file(path: str, topic: str) -> dict[int, int]:
    """Read and parse a file of offsets (``~`` expanded); :class:`ValueError` with a message for the user."""
    full = os.path.abspath(os.path.expanduser(path.strip()))
    if not path.strip():
        raise ValueError("Type the file to read, e.g. ~/billing-offsets.csv.")
    try:
        if os.path.getsize(full) > MAX_OFFSETS_FILE_BYTES:
            raise ValueError(f"{full} is too large to be a file of offsets.")
        with open(full, encoding="utf-8") as source:
            text = source.read()
    except OSError as exc:
        raise ValueError(f"Cannot read {full}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise ValueError(f"{full} is not a text file.") from None
    try:
        return parse_offsets_csv(text, topic)
    except ValueError as exc:
        raise ValueError(f"{full}: {exc}.") from None


def write_offsets_file(path: str, text: str, *, overwrite: bool = False) -> None:
    """Write ``text`` to ``path``; :class:`FileExistsError` when it exists and ``overwrite`` is false."""
    with open(path, "w" if overwrite else "x", encoding="utf-8", newline="\n") as out:
        out.write(text)
