"""flytui on a FlyMQ cluster (issue 8, part 3): the header names the node read and the cluster's size, the
partitions pane says which partitions this node leads, and when the node dies a banner says the data now
comes from another node and every pane is read again from it (no mix of two nodes' data). Built-in cluster
only: it kills a node."""

from __future__ import annotations

from pyflymq.broker.cluster import Cluster
from tests.cluster_helpers import FAST, unanswering_servers
from tests.flytui_helpers import (
    make_app,
    notifications,
    pilot_test,
    screen_text,
    wait_for,
    wait_idle,
    wait_ready,
)


def _value(app) -> bytes | None:
    record = app.stream.selected_record
    return None if record is None else record.value


@pilot_test
async def test_the_app_names_the_node_and_reloads_every_pane_from_the_next_node_when_it_dies():
    with Cluster(3, timing=FAST) as built:
        built.create_topic("orders", 6)
        built.nodes[0].produce("orders", b"written on node one")
        built.nodes[1].produce("orders", b"written on node two")
        built.nodes[0].commit("orders", "billing", 0, 1)  # a group that exists on node 1 only
        app = make_app(built.servers, topic="orders", label="")
        async with app.run_test(size=(200, 40)) as pilot:
            await wait_ready(pilot, app, "orders")
            text = screen_text(app)
            header = text.splitlines()[0]
            assert "node-1" in header and built.addresses[0] in header
            assert "cluster of 3 known nodes" in header
            assert "this node" in text and "local only" in text  # partitions led here vs held locally
            assert _value(app) == b"written on node one"
            await wait_for(pilot, lambda: "billing" in screen_text(app), what="the group of node 1")

            built.stop_node(0)
            app.action_refresh_now()
            await wait_for(pilot, lambda: "OTHER NODE" in screen_text(app).splitlines()[0], what="banner")
            await wait_for(pilot, lambda: _value(app) == b"written on node two", what="node 2's record")
            await wait_for(pilot, lambda: "node-2" in screen_text(app).splitlines()[0], what="header")
            await wait_for(pilot, lambda: "billing" not in screen_text(app), what="groups read again")
            text = screen_text(app)
            assert "written on node one" not in text  # neither in the stream nor in the detail pane
            assert "written on node two" in text
            assert "Now reading node node-2" in notifications(app)


@pilot_test
async def test_the_nodes_view_shows_each_nodes_log_side_by_side_and_a_dead_nodes_error_in_its_cells():
    with Cluster(3, timing=FAST) as built:
        built.create_topic("orders", 3)
        for _ in range(4):
            built.nodes[1].produce("orders", b"only on node two")  # round-robin over partitions 0, 1, 2, 0
        built.nodes[0].commit("orders", "billing", 0, 1)
        app = make_app(built.servers, topic="orders", label="")
        async with app.run_test(size=(200, 50)) as pilot:
            await wait_ready(pilot, app, "orders")
            built.stop_node(2)
            app.action_compare_nodes()
            await wait_for(pilot, lambda: "differ" in screen_text(app), what="the nodes' readings")
            text = screen_text(app)
            assert "node-1 at " + built.addresses[0] in text and "node-2 at " + built.addresses[1] in text
            assert "not answering: " + built.addresses[2] in text
            row = next(line for line in text.splitlines() if "orders" in line and " 0 " in line
                       and "billing" not in line)
            assert "≠" in row and "0-0" in row and "0-2" in row  # node 1 is empty, node 2 holds 2 records
            billing = next(line for line in text.splitlines() if "billing" in line)
            assert "≠" in billing and "missing" in billing
            await pilot.press("escape")
        # the view only read: no group joined or created, no record written on any node
        assert [(g.topic, g.group_id) for g in built.nodes[0].groups()] == [("orders", "billing")]
        assert built.nodes[1].groups() == []
        assert [len(built.nodes[1].records("orders", p)) for p in range(3)] == [2, 1, 1]
        assert [len(built.nodes[0].records("orders", p)) for p in range(3)] == [0, 0, 0]


@pilot_test
async def test_the_nodes_key_shows_a_hanging_node_as_a_timeout_and_a_refusing_one_as_refused_and_the_app_stays_usable():
    from pyflymq.wire import Op
    from tests.standin_server import StandInServer

    with Cluster(3, timing=FAST) as built, unanswering_servers() as (hanging, refusing):
        # a third way to stop answering: connects fine, then never answers the node's metadata
        stalls = StandInServer(silent_ops=(Op.CLUSTER_METADATA,))
        try:
            built.create_topic("orders", 2)
            built.nodes[1].produce("orders", b"only on node two")
            servers = ",".join([built.addresses[0], built.addresses[1], hanging, refusing, stalls.address])
            app = make_app(servers, topic="orders", label="")
            async with app.run_test(size=(250, 50)) as pilot:
                await wait_ready(pilot, app, "orders")
                await pilot.press("C")
                await wait_for(pilot, lambda: "differ" in screen_text(app), what="the nodes' readings")
                text = screen_text(app)
                assert "node-1 at " + built.addresses[0] in text and "node-2 at " + built.addresses[1] in text
                row = next(line for line in text.splitlines() if "orders" in line and " 0 " in line)
                assert "0-0" in row and "0-1" in row and "≠" in row  # the two live nodes, side by side
                assert row.count("timeout: no answer in 2 s") == 2  # the hanging node and the stalling one
                assert row.count("connection refused") == 1
                summary = next(line for line in text.splitlines() if "not answering" in line)
                assert hanging in summary and refusing in summary and stalls.address in summary

                await pilot.press("escape")
                await wait_for(pilot, lambda: "differ" not in screen_text(app), what="the view closed")
                await pilot.press("C")  # again, and leave before the slow nodes have answered
                await pilot.press("escape")
                await wait_idle(pilot, app)  # the late readings arrive with no view to show them in
                await pilot.press("2")
                assert app.focused_pane == "partitions"  # the main screen still takes keys
                assert "differ" not in screen_text(app)
        finally:
            stalls.close()


@pilot_test
async def test_after_a_node_change_the_groups_change_column_marks_no_movement_between_the_two_nodes():
    with Cluster(3, timing=FAST) as built:
        built.create_topic("orders", 1)
        for node, records, committed in ((built.nodes[0], 4, 1), (built.nodes[1], 6, 3)):
            for i in range(records):
                node.produce("orders", f"r{i}".encode())
            node.commit("orders", "billing", 0, committed)  # the same group, a different position per node
        app = make_app(built.servers, topic="orders", label="")
        async with app.run_test(size=(200, 40)) as pilot:
            await wait_ready(pilot, app, "orders")
            await wait_for(pilot, lambda: app.groups.loaded and app.groups.groups, what="node 1's groups")
            assert [row.committed for g in app.groups.groups for row in g.partitions] == [1]

            built.stop_node(0)
            app.action_refresh_now()
            await wait_for(pilot, lambda: "OTHER NODE" in screen_text(app).splitlines()[0], what="banner")
            await wait_for(pilot, lambda: [row.committed for g in app.groups.groups for row in g.partitions] == [3],
                           what="node 2's groups")
            await wait_idle(pilot, app)
            text = screen_text(app)
            assert "billing" in text
            assert "▲" not in text and "▼" not in text and "lag +" not in text and "lag -" not in text
