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


def test_the_difference_says_which_node_holds_how_many_more_records_or_lacks_the_row():
    one = NodeReading("h:1", "node-1", {("orders", 3): (0, 10), ("orders", 4): (5, 8), ("t", 0): (0, 1)},
                      {("orders", "g"): {0: 7}})
    two = NodeReading("h:2", "node-2", {("orders", 3): (0, 1210), ("orders", 4): (0, 3)}, {("orders", "g"): {0: 9}})
    down = NodeReading("h:3", error="timeout: no answer in 2 s")
    rows = {(r.topic, r.partition, r.group): r for r in compare([one, two, down])}
    assert rows[("orders", 3, None)].difference == "+1,200 records on node-2"
    assert rows[("orders", 4, None)].difference == "other range"  # 3 records each, at other offsets
    assert rows[("t", 0, None)].difference == "missing on node-2"
    assert rows[("orders", 0, "g")].difference == "+2 on node-2"


def test_rows_where_the_answering_nodes_agree_have_no_difference():
    same = [NodeReading("h:1", marks={("t", 0): (0, 4)}), NodeReading("h:2", marks={("t", 0): (0, 4)}),
            NodeReading("h:3", error="connection refused")]
    assert [r.difference for r in compare(same)] == [""]


def test_a_row_missing_on_several_nodes_says_how_many():
    rows = compare([NodeReading("h:1", "node-1", groups={("t", "g"): {0: 5}}), NodeReading("h:2", "node-2"),
                    NodeReading("h:3", "node-3")])
    assert rows[0].difference == "missing on 2 nodes"
