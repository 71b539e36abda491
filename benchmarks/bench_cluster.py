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
    report(rows, args.json)


if __name__ == "__main__":
    main()
