"""The nodes view's pure core: readings of several nodes lined up, divergence and errors per cell."""

from __future__ import annotations

from flytui.node_compare import NodeReading, compare


def test_partitions_and_groups_are_lined_up_with_divergence_marked():
    one = NodeReading("h:1", "node-1", {("orders", 0): (0, 10), ("orders", 1): (0, 5)}, {("orders", "g"): {0: 7}})
    two = NodeReading("h:2", "node-2", {("orders", 0): (0, 1210), ("orders", 1): (0, 5)}, {})
    rows = compare([one, two])
    assert [(r.topic, r.partition, r.group, r.cells, r.diverges) for r in rows] == [
        ("orders", 0, None, ("0-10", "0-1,210"), True),
        ("orders", 1, None, ("0-5", "0-5"), False),
        ("orders", 0, "g", ("7", "missing"), True),
    ]


def test_a_node_that_cannot_be_read_shows_its_error_in_its_own_cells_and_does_not_count_as_divergence():
    one = NodeReading("h:1", "node-1", {("t", 0): (0, 3)}, cell_errors={("t", 1): "partition 1 not found"})
    two = NodeReading("h:2", "node-2", {("t", 0): (0, 3), ("t", 1): (0, 0)})
    down = NodeReading("h:3", error="Connection refused")
    rows = compare([one, two, down])
    assert rows[0].cells == ("0-3", "0-3", "Connection refused") and rows[0].errors == (False, False, True)
    assert not rows[0].diverges
    assert rows[1].cells == ("partition 1 not found", "0-0", "Connection refused")
    assert not rows[1].diverges


def test_a_topic_missing_on_one_node_diverges():
    rows = compare([NodeReading("h:1", marks={("t", 0): (0, 0)}), NodeReading("h:2")])
    assert rows[0].cells == ("0-0", "missing") and rows[0].diverges
