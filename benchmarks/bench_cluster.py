"""pyflymq on the built-in FlyMQ cluster (flymq-wire §7), with the real server's timings.

    python benchmarks/bench_cluster.py [--creates 30] [--kills 5] [--elections 2] [--json FILE]

1. Create through a follower: a client pinned to a follower creates ``--creates`` topics; for each, the time
   from the leader applying the create (on itself) to ``create_topic`` returning on the follower-pinned
   client, which waits until its own node shows the topic. Target: within 1 s of the leader applying it.
2. Kill the node a client is on: a client reads from node 1, node 1 is killed, and the client's next FETCH
   raises ``NodeChangedError``; time from the start of the kill (which includes stopping the node's
   threads) to the error, over ``--kills`` fresh clusters. Target: within the client's timeout (10 s).
3. Create while the leader is dead: the leader is killed and a client on a follower creates a topic at once;
   time until it returns (Raft re-election, 2-4 s on the real server). No target: it says what to expect.
4. Nodes view: flytui's nodes view gets the readings of 3 nodes x 50 topics x 6 partitions (plus 50 groups)
   and is drawn; time from handing it the last answer to the screen showing the table, in a headless app.
   Target: under 1 s.

The cluster runs in this process (the benchmark must kill its nodes). Prints a table; nothing here is a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import put_tree_first, report  # noqa: E402  (benchmarks/ is on sys.path)

put_tree_first(sys.argv, Path(__file__).resolve().parent.parent)

from pyflymq import connect  # noqa: E402
from pyflymq.broker.cluster import Cluster, ClusterNode  # noqa: E402
from pyflymq.errors import NodeChangedError  # noqa: E402

TIMEOUT_MS = 10_000


def _record_applies(node: ClusterNode, applied: dict[str, float]) -> None:
    """Note when ``node`` applies each create (wraps its apply_create)."""
    original = node.apply_create

    def apply_create(topic: str, partitions: int) -> None:
        original(topic, partitions)
        applied.setdefault(topic, time.perf_counter())

    node.apply_create = apply_create  # type: ignore[method-assign]


def create_through_follower(creates: int) -> tuple[list[float], list[float]]:
    """Per create: (seconds from the leader's apply to the call returning, seconds the whole call took)."""
    after_apply, whole = [], []
    with Cluster(3) as cluster:
        applied: dict[str, float] = {}
        _record_applies(cluster.nodes[0], applied)
        servers = cluster.addresses[1:] + cluster.addresses[:1]
        with connect(servers, timeout_ms=TIMEOUT_MS) as client:
            for i in range(creates):
                topic = f"bench-{i}"
                start = time.perf_counter()
                client.create_topic(topic, 6)
                done = time.perf_counter()
                assert client.partitions(topic) == 6
                after_apply.append(done - applied[topic])
                whole.append(done - start)
    return after_apply, whole


def kill_the_clients_node(kills: int) -> list[float]:
    """Seconds from killing the client's node to the NodeChangedError of its next FETCH."""
    times = []
    for _ in range(kills):
        with Cluster(3) as cluster:
            cluster.create_topic("t", 6)
            with connect(cluster.servers, timeout_ms=TIMEOUT_MS) as client:
                client.fetch("t", 0)
                start = time.perf_counter()
                cluster.stop_node(0)
                try:
                    client.fetch("t", 0)
                except NodeChangedError:
                    times.append(time.perf_counter() - start)
                else:
                    raise SystemExit("the fetch after the kill did not raise NodeChangedError")
    return times


def create_while_leader_dead(elections: int) -> list[float]:
    """Seconds a create through a follower takes when the leader was killed just before it."""
    times = []
    for _ in range(elections):
        with Cluster(3) as cluster:
            servers = cluster.addresses[1:] + cluster.addresses[:1]
            with connect(servers, timeout_ms=TIMEOUT_MS) as client:
                cluster.stop_node(0)
                start = time.perf_counter()
                client.create_topic("after", 1)
                times.append(time.perf_counter() - start)
    return times


def nodes_view_render(nodes: int = 3, topics: int = 50, partitions: int = 6) -> float:
    """Seconds from giving the nodes view every node's reading to the table being on screen."""
    import asyncio

    from textual.app import App

    from flytui.node_compare import NodeReading
    from flytui.screens.nodes import NodesScreen

    readings = []
    for n in range(nodes):
        marks = {(f"topic-{t:02d}", p): (0, 1000 + (n * 37 if p == n else 0)) for t in range(topics)
                 for p in range(partitions)}
        groups = {(f"topic-{t:02d}", "billing"): {p: 500 + n for p in range(partitions)} for t in range(topics)}
        readings.append(NodeReading(f"127.0.0.1:{9092 + n}", f"node-{n + 1}", marks, groups))

    class Host(App[None]):
        pass

    async def run() -> float:
        app = Host()
        async with app.run_test(size=(200, 50)) as pilot:
            screen = NodesScreen()
            await app.push_screen(screen)
            await pilot.pause()
            start = time.perf_counter()
            screen.show_readings(readings)
            await pilot.pause()
            await app.animator.wait_until_complete()
            await pilot.wait_for_scheduled_animations()
            app.screen.refresh()
            await pilot.pause()
            elapsed = time.perf_counter() - start
            assert len(screen.rows) == topics * partitions * 2
        return elapsed

    return asyncio.run(run())


def main() -> None:
    """Run the measurements and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=30)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--elections", type=int, default=2)
    parser.add_argument("--tree", help="measure the pyflymq of this checkout")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    rows: list[tuple] = []

    after_apply, whole = create_through_follower(args.creates)
    worst = max(after_apply)
    rows.append(("create through a follower: leader applied -> call returned, median / max (ms)",
                 f"{statistics.median(after_apply) * 1000:.0f} / {worst * 1000:.0f}",
                 f"<= 1000 ms ({args.creates} creates)", worst <= 1.0))
    rows.append(("create through a follower: whole call, median / max (ms)",
                 f"{statistics.median(whole) * 1000:.0f} / {max(whole) * 1000:.0f}", ""))

    kills = kill_the_clients_node(args.kills)
    rows.append(("client's node killed -> NodeChangedError on the next fetch, median / max (ms)",
                 f"{statistics.median(kills) * 1000:.0f} / {max(kills) * 1000:.0f}",
                 f"<= {TIMEOUT_MS} ms, the client's timeout ({args.kills} kills)", max(kills) * 1000 <= TIMEOUT_MS))

    if args.elections:
        elections = create_while_leader_dead(args.elections)
        rows.append(("create right after the leader was killed (election), median / max (s)",
                     f"{statistics.median(elections):.1f} / {max(elections):.1f}",
                     "no target: the real server re-elects in 2-4 s"))
    render = nodes_view_render()
    rows.append(("nodes view, 3 nodes x 50 topics x 6 partitions: last answer -> drawn (ms)",
                 f"{render * 1000:.0f}", "< 1000 ms", render < 1.0))
    report(rows, args.json)


if __name__ == "__main__":
    main()
