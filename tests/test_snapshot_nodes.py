"""Snapshot of the nodes view (``C``) on a seeded three-node built-in cluster: two nodes whose logs and group
offsets differ, and a stopped node whose cells say it refuses connections.

The nodes listen on fixed ports of a loopback address of their own (127.0.83.1), so the addresses on screen are
the same on every run; when those ports are taken the test is skipped, saying so. Regenerate with
``--snapshot-update``.
"""

from __future__ import annotations

import pytest

from flytui.app import FlyTUIApp
from flytui.service import ConnectionSettings, FlyService
from pyflymq.broker.cluster import Cluster
from tests.cluster_helpers import FAST
from tests.flytui_helpers import screen_text, wait_for, wait_idle

HOST = "127.0.83.1"
BASE_PORT = 29092
SIZE = (160, 48)


@pytest.fixture
def seeded_cluster():
    """Three nodes on HOST:BASE_PORT+i with a fixed data set; node 3 stopped."""
    built = Cluster(3, HOST, base_port=BASE_PORT, timing=FAST, seed=8)
    try:
        built.start()
    except OSError as exc:
        built.stop()
        pytest.skip(f"the snapshot's fixed ports {HOST}:{BASE_PORT}-{BASE_PORT + 2} are taken ({exc})")
    try:
        built.create_topic("orders", 3)
        built.create_topic("payments", 2)
        one, two = built.nodes[0], built.nodes[1]
        for i in range(9):
            one.produce("orders", f"o{i}")      # round-robin: 3 records on each partition of node 1
            two.produce("orders", f"o{i}")      # the same on node 2
        for i in range(1200):
            two.produce("payments", f"p{i}")    # 600 on each partition, on node 2 only
        one.commit("orders", "billing", 0, 3)
        two.commit("orders", "billing", 0, 1)   # the same group, another position on node 2
        two.commit("payments", "audit", 1, 600)  # a group node 1 never heard of
        built.stop_node(2)
        yield built
    finally:
        built.stop()


def test_snapshot_nodes_view(seeded_cluster, snap_compare):
    service = FlyService(ConnectionSettings(seeded_cluster.servers, timeout_ms=3000))
    app = FlyTUIApp(service, server_label="cluster", refresh=0, auto_open=False)

    async def run_before(pilot):
        await wait_for(pilot, lambda: app.ready, what="first refresh")
        await pilot.press("2", "C")  # in the topic list a letter would go to its filter
        await wait_for(pilot, lambda: "differ" in screen_text(app), what="the nodes' readings")
        await wait_idle(pilot, app, 0.3)
        app.clear_notifications()
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
