"""The nodes view's data: what each node of a FlyMQ cluster holds, side by side, with divergence marked.

FlyMQ 1.26 does not replicate records or committed offsets (flymq-wire §7), so every node has its own
watermarks per partition and its own committed offsets per group. :class:`NodeReading` is what one node
answered (or why it did not); :func:`compare` lines the readings up into :class:`CompareRow` rows, one per
(topic, partition) and one per (topic, group, partition), each with one cell per node.

Pure: no Textual, no network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["CompareRow", "NodeReading", "compare", "difference"]

MISSING = "missing"


@dataclass(frozen=True)
class NodeReading:
    """One node's answers: ``marks`` maps (topic, partition) to (low, high); ``groups`` maps (topic, group) to
    ``{partition: committed}``. ``error`` is why the node could not be read at all; ``cell_errors`` holds
    the error of each (topic, partition) that failed on its own."""

    address: str
    node_id: str | None = None
    marks: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    groups: dict[tuple[str, str], dict[int, int]] = field(default_factory=dict)
    error: str | None = None
    cell_errors: dict[tuple[str, int], str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``node-id at host:port``, or the address alone."""
        return f"{self.node_id} at {self.address}" if self.node_id else self.address


@dataclass(frozen=True)
class CompareRow:
    """One line of the nodes view: a partition (``group`` None) or a group's partition, one cell per node.

    A cell is ``"low-high"`` / a committed offset, ``"missing"`` when that node does not have it, or the
    error text (``errors`` says which cells are errors). ``diverges`` is True when the nodes that answered
    do not all say the same; ``difference`` then says how, in a few words (see :func:`difference`)."""

    topic: str
    partition: int
    group: str | None
    cells: tuple[str, ...]
    errors: tuple[bool, ...]
    diverges: bool
    difference: str = ""


def _name(reading: NodeReading) -> str:
    return reading.node_id or reading.address


def difference(names: Sequence[str], amounts: Sequence[int | None], unit: str) -> str:
    """How the nodes that answered differ, in a few words: ``"missing on node-1"`` when a node lacks the row
    (``"missing on 2 nodes"`` when several do),
    else ``"+1,200 on node-2"``, what the node with the most has over the node with the least (records held
    for a partition, the committed offset for a group), or ``"other range"`` when the counts are equal but
    the offsets are not. ``names`` and ``amounts`` are the answering nodes' names and amounts (None:
    missing); ``unit`` follows the number (``" records"`` or ``""``)."""
    missing = [name for name, amount in zip(names, amounts, strict=True) if amount is None]
    if len(missing) == 1:
        return f"missing on {missing[0]}"
    if missing:
        return f"missing on {len(missing)} nodes"
    known = [amount for amount in amounts if amount is not None]
    most, least = max(known), min(known)
    if most == least:
        return "other range"
    leader = names[known.index(most)]
    return f"+{most - least:,}{unit} on {leader}"


def _row(topic: str, partition: int, group: str | None, cells: list[str], errors: list[bool],
         answering: list[tuple[str, int | None]], unit: str) -> CompareRow:
    answered = {cell for cell, failed in zip(cells, errors, strict=True) if not failed}
    diverges = len(answered) > 1
    note = difference([n for n, _ in answering], [a for _, a in answering], unit) if diverges else ""
    return CompareRow(topic, partition, group, tuple(cells), tuple(errors), diverges, note)


def compare(readings: Sequence[NodeReading]) -> list[CompareRow]:
    """Every partition and every group partition any node knows, sorted, with one cell per reading."""
    partitions = sorted({key for r in readings for key in r.marks} | {key for r in readings for key in r.cell_errors})
    rows: list[CompareRow] = []
    for topic, partition in partitions:
        cells, errors = [], []
        held: list[tuple[str, int | None]] = []
        for r in readings:
            if r.error is not None:
                cells.append(r.error)
                errors.append(True)
            elif (topic, partition) in r.cell_errors:
                cells.append(r.cell_errors[(topic, partition)])
                errors.append(True)
            elif (topic, partition) in r.marks:
                low, high = r.marks[(topic, partition)]
                cells.append(f"{low:,}-{high:,}")
                errors.append(False)
                held.append((_name(r), high - low))
            else:
                cells.append(MISSING)
                errors.append(False)
                held.append((_name(r), None))
        rows.append(_row(topic, partition, None, cells, errors, held, " records"))
    group_keys = sorted({(topic, group, p) for r in readings for (topic, group), offsets in r.groups.items()
                         for p in offsets})
    for topic, group, partition in group_keys:
        cells, errors = [], []
        committed: list[tuple[str, int | None]] = []
        for r in readings:
            if r.error is not None:
                cells.append(r.error)
                errors.append(True)
                continue
            offset = r.groups.get((topic, group), {}).get(partition)
            cells.append(MISSING if offset is None else f"{offset:,}")
            errors.append(False)
            committed.append((_name(r), offset))
        rows.append(_row(topic, partition, group, cells, errors, committed, ""))
    return rows
