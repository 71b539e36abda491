"""History benchmark: what the pictures' session history costs, in memory and per refresh.

    python benchmarks/bench_history.py [--partitions 500] [--groups 200] [--hours 2] [--step 5] [--timed 200]
                                       [--tree PATH]

Feeds :class:`flytui.rate_history.SessionHistory` with made-up refreshes (no broker: the history only sees
overviews): ``--partitions`` partitions over topics of 50, ``--groups`` groups spread over those topics, each
committed on every partition of its topic, one refresh every ``--step`` seconds of made-up time for
``--hours`` hours. Watermarks and offsets move a little each refresh.

* memory held by one hour of history: Python allocations still held after the refreshes, measured with
  tracemalloc (the overviews themselves are dropped after each refresh, as in the app); target < 20 MB.
* memory after ``--hours`` hours: the same as after one (the rings are full): bounded whatever the session.
* time of one refresh's ``record()`` (``--timed`` refreshes on the full history, without tracemalloc), in the
  refresh worker: p50 / p99 / max; target p99 < 10 ms (it holds the GIL, so it delays the UI thread as much).
* UI-thread time of one refresh's pictures of the open topic (its 50 partitions' rate and sparkline, and the
  lag sparkline of each of its groups): p50 / p99 / max; target p99 < 10 ms.

``--tree PATH`` measures another checkout's flytui. Prints a table; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

sys.path.insert(0, str(HERE))
from _measure import percentiles, put_tree_first, report, triple  # noqa: E402

put_tree_first(sys.argv, ROOT)  # flytui from the tree measured

TOPIC_WIDTH = 50
START = 1_767_000_000.0


class Cluster:
    """Made-up topics and groups whose watermarks and offsets move a little each refresh."""

    def __init__(self, partitions: int, groups: int) -> None:
        self.rng = random.Random(1)
        self.topics = [f"topic-{i:03d}" for i in range((partitions + TOPIC_WIDTH - 1) // TOPIC_WIDTH)]
        self.width = {t: min(TOPIC_WIDTH, partitions - i * TOPIC_WIDTH) for i, t in enumerate(self.topics)}
        self.high = {(t, p): 1000 for t in self.topics for p in range(self.width[t])}
        self.groups = [(f"group-{g:03d}", self.topics[g % len(self.topics)]) for g in range(groups)]
        self.committed = {(g, t, p): 900 for g, t in self.groups for p in range(self.width[t])}

    def overview(self, when: float):
        """The next refresh's overview."""
        from flytui.model import Overview, PartitionInfo, TopicInfo
        from pyflymq.models import GroupInfo

        rng = self.rng
        for key in self.high:
            self.high[key] += rng.randint(0, 20)
        for group_key in self.committed:
            self.committed[group_key] = min(self.high[group_key[1], group_key[2]],
                                            self.committed[group_key] + rng.randint(0, 20))
        topics = tuple(TopicInfo(t, tuple(PartitionInfo(t, p, 0, self.high[t, p]) for p in range(self.width[t])))
                       for t in self.topics)
        groups = tuple(GroupInfo(topic=t, group_id=g, members=1,
                                 offsets={p: self.committed[g, t, p] for p in range(self.width[t])})
                       for g, t in self.groups)
        return Overview("bench", topics, groups, when)


def held_bytes() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def measure(args: argparse.Namespace) -> list[tuple]:
    """Feed the history and measure it; returns the report's rows."""
    from flytui.rate_history import SessionHistory, latest_rate, level_buckets, rate_buckets
    from flytui.sparkline import compact_number, sparkline

    cluster = Cluster(args.partitions, args.groups)
    per_hour = int(3600 / args.step)
    history = SessionHistory(capacity=per_hour)
    refreshes = int(args.hours * per_hour)
    # memory: under tracemalloc, which slows every allocation, so nothing is timed here
    tracemalloc.start()
    baseline = held_bytes()
    after_one_hour = 0
    for n in range(refreshes):
        history.record(cluster.overview(START + n * args.step))
        if n + 1 == per_hour:
            after_one_hour = held_bytes() - baseline
    after_all = held_bytes() - baseline
    tracemalloc.stop()
    # time: the same, full history, without tracemalloc
    record_times: list[float] = []
    picture_times: list[float] = []
    open_topic = cluster.topics[0]
    open_groups = [g for g, t in cluster.groups if t == open_topic]
    for n in range(refreshes, refreshes + args.timed):
        overview = cluster.overview(START + n * args.step)
        started = time.perf_counter()
        history.record(overview)
        record_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        for p in range(cluster.width[open_topic]):
            end, samples = history.partition_recent(open_topic, p, 300)
            compact_number(latest_rate(samples) or 0.0)
            sparkline(rate_buckets(samples, end, 300, 20))
        for group in open_groups:
            end, samples = history.lag_recent(open_topic, group, 300)
            sparkline(level_buckets(samples, end, 300, 12))
        picture_times.append(time.perf_counter() - started)
    series = len(history.partitions) + len(history.lags)
    p_record = percentiles(record_times)
    p_picture = percentiles(picture_times)
    return [
        ("partitions, groups (series kept)", f"{args.partitions}, {args.groups} ({series})",
         f"one refresh every {args.step:g} s of made-up time"),
        ("memory held by 1 hour of history", f"{after_one_hour / 2**20:.1f} MB", "< 20 MB",
         after_one_hour < 20 * 2**20),
        ("  of which sample arrays (16 B a sample)", f"{history.nbytes / 2**20:.1f} MB", ""),
        (f"memory held after {args.hours:g} hours", f"{after_all / 2**20:.1f} MB",
         "no more than after 1 hour (+1%)", after_all <= after_one_hour * 1.01 + 65536),
        ("record() per refresh ms p50 / p99 / max", triple(p_record, 2), "p99 < 10 ms (refresh worker)",
         p_record[1] < 10),
        ("open topic's pictures per refresh ms p50 / p99 / max", triple(p_picture, 2),
         f"{cluster.width[open_topic]} partitions + {len(open_groups)} groups: p99 < 10 ms",
         p_picture[1] < 10),
    ]


def main() -> None:
    """Parse arguments, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partitions", type=int, default=500)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--step", type=float, default=5.0, help="seconds between refreshes (made-up time)")
    parser.add_argument("--timed", type=int, default=200, help="refreshes timed once the history is full")
    parser.add_argument("--tree", default=str(ROOT), help="checkout whose flytui is measured")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()
    rows = measure(args)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    rows.append(("tree measured", str(Path(args.tree).resolve()), ""))
    rows.append(("machine: CPUs, load average 1 / 5 / 15 min", f"{os.cpu_count()}, {load}", ""))
    report(rows, args.json)


if __name__ == "__main__":
    main()
