"""History benchmark: what the pictures' session history costs, in memory and per refresh.

    python benchmarks/bench_history.py [--partitions 500] [--groups 200] [--hours 2] [--step 5] [--timed 200]
                                       [--ui-partitions 64] [--ui-groups 200] [--ui-refreshes 60] [--tree PATH]

Feeds :class:`flytui.rate_history.SessionHistory` with made-up refreshes (no broker: the history only sees
overviews): ``--partitions`` partitions over topics of 50, ``--groups`` groups spread over those topics, each
committed on every partition of its topic, one refresh every ``--step`` seconds of made-up time for
``--hours`` hours. Watermarks and offsets move a little each refresh.

* memory held by one hour of history: Python allocations still held after the refreshes, measured with
  tracemalloc (the overviews themselves are dropped after each refresh, as in the app); target < 20 MB.
* memory after ``--hours`` hours: the same as after one (the rings are full): bounded whatever the session.
* time of one refresh's ``record()`` (``--timed`` refreshes on the full history, without tracemalloc), in the
  refresh worker: p50 / p99 / max; target p99 < 10 ms (it holds the GIL, so it delays the UI thread as much).
* time to draw one refresh's pictures of the open topic (its 50 partitions' rate and sparkline, and the lag
  sparkline of each of its groups), wherever the tree draws them: p50 / p99 / max.
* UI-thread time of a refresh of the open topic as the app does it, in a headless app holding the real
  partitions and groups panes: one topic of ``--ui-partitions`` partitions and ``--ui-groups`` groups with an
  hour of history; each refresh every watermark grows and a third of the groups commit on one partition
  (as ``bench_scale.py``'s live cluster). What the refresh worker does (record, group lags, and the picture
  cells where the tree has them) runs first in a thread and is not counted; counted is ``set_partitions`` +
  ``set_groups`` and every cell batch they queue, until all are applied: p50 / p99 / max over
  ``--ui-refreshes`` refreshes, wall time and CPU time (``time.thread_time``, which leaves out the waits for a
  core on a loaded machine), with the pictures and without them; target p99 < 10 ms with them. Automatic full
  garbage collections are off meanwhile, as the app has them (``flytui.gc_policy``).

``--tree PATH`` measures another checkout's flytui. Prints a table; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
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
    """Made-up topics and groups whose watermarks and offsets move a little each refresh.

    ``every_commit_moves``: every group commits on every partition each refresh; else, as in
    ``bench_scale.py``'s live cluster, a third of the groups (in turn) commit on one partition each.
    """

    def __init__(self, partitions: int, groups: int, width: int = TOPIC_WIDTH, every_commit_moves: bool = True) -> None:
        self.rng = random.Random(1)
        self.every_commit_moves = every_commit_moves
        self.tick = 0
        self.topics = [f"topic-{i:03d}" for i in range((partitions + width - 1) // width)]
        self.width = {t: min(width, partitions - i * width) for i, t in enumerate(self.topics)}
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
        self.tick += 1
        if self.every_commit_moves:
            moving = list(self.committed)
        else:
            moving = [(g, t, (n + self.tick) % self.width[t])
                      for n, (g, t) in enumerate(self.groups) if n % 3 == self.tick % 3]
        for group_key in moving:
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


UI_TOPIC = "topic-000"


def ui_panes(history, charts: bool):
    """The partitions and groups panes of the tree measured, with or without the pictures; and what the refresh
    worker computes for them (None when the tree computes the pictures on the UI thread)."""
    import flytui
    from flytui.widgets.groups import GroupsPane
    from flytui.widgets.partitions import PartitionsPane

    # looked up by file: pip's editable-install finder would import a missing module from this checkout
    if not (Path(flytui.__file__).parent / "picture_cells.py").exists():  # before the worker drew the pictures
        source = history if charts else None
        return PartitionsPane(id="partitions", history=source), GroupsPane(id="groups", history=source), None
    from flytui.picture_cells import PictureCells

    pictures = PictureCells(history) if charts else None
    return (PartitionsPane(id="partitions", pictures=pictures), GroupsPane(id="groups", pictures=pictures),
            pictures)


async def ui_refreshes(args: argparse.Namespace, charts: bool) -> tuple[list[float], list[float], list[float], int]:
    """Run the two panes in a headless app and time ``--ui-refreshes`` refreshes of the open topic on the UI
    thread: ``set_partitions`` and ``set_groups`` plus the cell batches they queue, until all are applied.

    Returns (UI time per refresh, its CPU time, every single UI-thread slice, rows of the groups table), in
    seconds. The CPU time (``time.thread_time``) leaves out the waits for a core on a loaded machine.
    """
    from textual.app import App, ComposeResult
    from textual.containers import Vertical

    from flytui.rate_history import SessionHistory
    from flytui.widgets import _cells

    cluster = Cluster(args.ui_partitions, args.ui_groups, width=args.ui_partitions, every_commit_moves=False)
    per_hour = int(3600 / args.step)
    history = SessionHistory(capacity=per_hour)
    for n in range(per_hour):  # a full hour of history before the first timed refresh
        history.record(cluster.overview(START + n * args.step))
    partitions_pane, groups_pane, pictures = ui_panes(history, charts)

    class Panes(App):
        def compose(self) -> ComposeResult:
            with Vertical():
                yield partitions_pane
                yield groups_pane

    slices: list[float] = []
    slices_cpu: list[float] = []
    apply = _cells.CellUpdater._apply

    def timed_apply(self) -> None:
        started, started_cpu = time.perf_counter(), time.thread_time()
        try:
            apply(self)
        finally:
            slices.append(time.perf_counter() - started)
            slices_cpu.append(time.thread_time() - started_cpu)

    _cells.CellUpdater._apply = timed_apply
    saved_thresholds = gc.get_threshold()
    gc.collect()
    gc.set_threshold(saved_thresholds[0], saved_thresholds[1], 1 << 30)  # as flytui.gc_policy does in the app
    per_refresh: list[float] = []
    per_refresh_cpu: list[float] = []
    every_slice: list[float] = []
    app = Panes()
    try:
        async with app.run_test(size=(160, 60)) as pilot:
            for n in range(per_hour, per_hour + args.ui_refreshes + 1):
                overview = cluster.overview(START + n * args.step)

                def worker(overview=overview) -> None:  # what the refresh worker does, off the UI thread
                    history.record(overview)
                    overview.group_lags(UI_TOPIC)
                    if pictures is not None:
                        pictures.prepare(overview, [UI_TOPIC])

                await asyncio.to_thread(worker)
                slices.clear()
                slices_cpu.clear()
                started, started_cpu = time.perf_counter(), time.thread_time()
                info = overview.topic(UI_TOPIC)
                partitions_pane.set_partitions(UI_TOPIC, info.partitions)
                groups_pane.set_groups(UI_TOPIC, overview.group_lags(UI_TOPIC))
                handler = time.perf_counter() - started
                handler_cpu = time.thread_time() - started_cpu
                while any(getattr(pane, "_cells", None) is not None and pane._cells.pending
                          for pane in (partitions_pane, groups_pane)):
                    await asyncio.sleep(0)
                await pilot.pause()
                if n > per_hour:  # the first pass builds the tables
                    per_refresh.append(handler + sum(slices))
                    per_refresh_cpu.append(handler_cpu + sum(slices_cpu))
                    every_slice.extend([handler, *slices])
            rows = groups_pane.table.row_count
    finally:
        _cells.CellUpdater._apply = apply
        gc.set_threshold(*saved_thresholds)
    return per_refresh, per_refresh_cpu, every_slice, rows


def measure_ui(args: argparse.Namespace) -> list[tuple]:
    """The UI thread's share of a refresh of the open topic, with the pictures and without; the report's rows."""
    size = f"{args.ui_partitions} partitions x {args.ui_groups} groups, {args.ui_refreshes} refreshes"
    rows: list[tuple] = []
    for charts in (True, False):
        per_refresh, per_refresh_cpu, slices, table_rows = asyncio.run(ui_refreshes(args, charts))
        p_refresh, p_cpu, p_slice = percentiles(per_refresh), percentiles(per_refresh_cpu), percentiles(slices)
        label = "charts on" if charts else "charts off"
        rows.append((f"UI thread per refresh, {label}, ms p50 / p99 / max", triple(p_refresh, 1),
                     f"{size} ({table_rows} group rows)" + (": p99 < 10 ms" if charts else ""),
                     p_refresh[1] < 10 if charts else None))
        rows.append((f"  of which CPU time, {label}, ms p50 / p99 / max", triple(p_cpu, 1),
                     "time.thread_time(): without the waits for a core"))
        rows.append((f"  longest UI-thread slice, {label}, ms p50 / p99 / max", triple(p_slice, 1),
                     "handler or one cell batch"))
    return rows


def main() -> None:
    """Parse arguments, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partitions", type=int, default=500)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--step", type=float, default=5.0, help="seconds between refreshes (made-up time)")
    parser.add_argument("--timed", type=int, default=200, help="refreshes timed once the history is full")
    parser.add_argument("--ui-partitions", type=int, default=64, help="partitions of the open topic (UI part)")
    parser.add_argument("--ui-groups", type=int, default=200, help="groups on the open topic (UI part)")
    parser.add_argument("--ui-refreshes", type=int, default=60, help="refreshes timed on the UI thread")
    parser.add_argument("--tree", default=str(ROOT), help="checkout whose flytui is measured")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()
    rows = measure(args)
    rows.extend(measure_ui(args))
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    rows.append(("tree measured", str(Path(args.tree).resolve()), ""))
    rows.append(("machine: CPUs, load average 1 / 5 / 15 min", f"{os.cpu_count()}, {load}", ""))
    report(rows, args.json)


if __name__ == "__main__":
    main()
