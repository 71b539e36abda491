"""Big-cluster benchmark: the full app on 502 topics, a 64-partition topic and 200 groups, refreshing while
keys are pressed.

    python benchmarks/bench_scale.py [--seconds 20] [--refresh 1.0] [--tree PATH]

The cluster is ``tests/scale.py``'s ``FULL`` shape (the one that once cost 1.3-2.3 s of UI thread per refresh).
A broker process holds it and keeps it live: every 0.5 s it adds records to 70 small topics and to the wide
topic, and moves 60 groups' committed offsets, so every refresh has something to show. The full ``FlyTUIApp``
runs headless (160x48) in this process with the wide topic open and refreshes every ``--refresh`` seconds,
while ``up``/``down`` are pressed on the message stream every ~100 ms (as in ``bench_app.py``).

* refresh on the UI thread: time spent in ``on_overview_loaded`` per refresh (min / median / max);
* UI-thread stalls: a task that sleeps 5 ms measures how late it wakes (p99 / max): every piece of UI-thread
  work longer than that shows, handlers and rendering alike (target: none over 50 ms);
* key -> painted: from sending the key to the next frame (p50 / p99 / max; target p99 < 100 ms);
* topic list: ``TopicsPane.set_topics`` with nothing changed (target < 20 ms), and with one count changed plus
  the frame it causes.

``--tree PATH`` runs the same measurement on another checkout (for before/after figures side by side).
Prints a table; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))  # tests.scale (the cluster's shape) always comes from this checkout
from _measure import GcPauses, percentiles, put_tree_first, report, triple  # noqa: E402

put_tree_first(sys.argv, ROOT)  # flytui and pyflymq from the tree measured


def broker_main() -> None:
    """The broker process: seed the big cluster, print the address, keep it live until stdin closes."""
    from pyflymq.broker import Broker
    from tests.scale import FULL, WIDE_TOPIC, seed_big_cluster

    with Broker(host="127.0.0.1", port=0) as broker:
        seed_big_cluster(broker, FULL)
        print(broker.address, flush=True)
        stop = threading.Event()
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
        tick = 0
        while not stop.wait(0.5):
            tick += 1
            for j in range(0, FULL.small_topics, 7):
                broker.produce(f"svc-{(j + tick) % FULL.small_topics:03d}.events", b'{"live": true}')
            for n in range(20):
                broker.produce(WIDE_TOPIC, b'{"live": %d}' % n, key=b"cust-%06d" % (tick * 20 + n))
            for g in range(tick % 3, FULL.groups, 3):
                broker.commit(WIDE_TOPIC, f"consumer-group-{g:03d}", (g + tick) % FULL.wide_partitions,
                              FULL.records_per_wide_partition + tick)


class StallProbe:
    """Measures how late a 5 ms sleep on the UI's event loop wakes up: the length of UI-thread work."""

    def __init__(self) -> None:
        self.late: list[float] = []
        self._task: asyncio.Task | None = None
        self._running = False

    async def _run(self) -> None:
        while self._running:
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            self.late.append(max(0.0, time.perf_counter() - start - 0.005))

    def start(self) -> None:
        """Begin measuring."""
        self._running = True
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Stop measuring."""
        self._running = False
        if self._task:
            await self._task


def timed(owner, name: str, into: list[float]) -> None:
    """Wrap ``owner.name`` so each call's duration (s) is appended to ``into``."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            into.append(time.perf_counter() - start)

    setattr(owner, name, wrapper)


async def set_and_paint(app, apply, timeout: float = 0.3) -> float:
    """Run ``apply()`` and wait for the frame it causes (if any, within ``timeout``); returns the seconds taken."""
    done: list[float] = []
    compositor = app.screen._compositor
    original = compositor.render_update

    def hooked(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        finally:
            done.append(time.perf_counter())

    compositor.render_update = hooked
    start = time.perf_counter()
    apply()
    applied = time.perf_counter()
    deadline = applied + timeout
    try:
        while not done and time.perf_counter() < deadline:
            await asyncio.sleep(0.001)
    finally:
        compositor.render_update = original
    return (done[0] if done else applied) - start


async def measure(args, address: str) -> list[tuple[str, str, str]]:
    """Run the app on the big cluster; return the table rows."""
    # flytui first, from the tree measured: importing bench_app puts this checkout first on sys.path
    from flytui.app import FlyTUIApp  # noqa: I001
    from flytui.service import ConnectionSettings, FlyService
    from tests.scale import WIDE_TOPIC
    from bench_app import KeyProbe, wait_until

    handler: list[float] = []
    timed(FlyTUIApp, "on_overview_loaded", handler)
    service = FlyService(ConnectionSettings(address, timeout_ms=10_000))
    app = FlyTUIApp(service, server_label=address, topic=WIDE_TOPIC, refresh=args.refresh)
    rows: list[tuple[str, str, str]] = []
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            if not await wait_until(lambda: app.ready and app.topic == WIDE_TOPIC and len(handler) >= 2, 60):
                raise SystemExit("the app did not open the wide topic")
            await pilot.pause(1.0)
            first = list(handler)
            handler.clear()
            probe = KeyProbe(app, app.stream)
            app.stream.focus()
            stalls = StallProbe()
            gc_pauses = GcPauses()
            stalls.start()
            presses = 0
            end = time.perf_counter() + args.seconds
            while time.perf_counter() < end:
                began = time.perf_counter()
                await probe.press(pilot, "down" if presses % 6 < 3 else "up")
                presses += 1
                await asyncio.sleep(max(0.0, 0.1 - (time.perf_counter() - began)))
            await probe.finish()
            await stalls.stop()
            gc_summary = gc_pauses.close()

            pane = app.topics_pane
            topics = pane.topics
            same: list[float] = []
            for _ in range(5):
                start = time.perf_counter()
                pane.set_topics(topics)
                same.append(time.perf_counter() - start)
                await pilot.pause(0.05)
            changed: list[float] = []
            for n in range(5):
                bumped = list(topics)
                first_part = bumped[10].partitions[0]
                bumped[10] = type(bumped[10])(bumped[10].name, (type(first_part)(
                    first_part.topic, 0, first_part.low, first_part.high + 1000 * (n + 1), first_part.leader),
                    *bumped[10].partitions[1:]), bumped[10].dlq)
                changed.append(await set_and_paint(app, lambda b=tuple(bumped): pane.set_topics(b)))
                await pilot.pause(0.05)
    finally:
        service.close()
    ms = [x * 1000 for x in handler]
    rows.append(("refreshes during the run", f"{len(handler)}", f"every {args.refresh:g} s, live cluster"))
    rows.append(("refresh handler on the UI thread (ms): min / median / max",
                 triple((min(ms), sorted(ms)[len(ms) // 2], max(ms)), 0) if ms else "none",
                 "first pass (opening): " + " / ".join(f"{x * 1000:.0f}" for x in first)))
    late = percentiles(stalls.late)
    rows.append(("UI-thread stalls (ms): p50 / p99 / max", triple(late), "max < 50", late[2] < 50))
    rows.append(("full GC (gen 2) pauses while pressing: count, max (ms)", gc_summary, ""))
    painted = percentiles(probe.painted)
    rows.append(("key -> painted while refreshing (ms): p50 / p99 / max", triple(painted),
                 f"p99 < 100 ({len(probe.painted)} presses)", painted[1] < 100))
    rows.append(("topic list, nothing changed: set_topics (ms): median",
                 f"{sorted(same)[2] * 1000:.1f}", "< 20", sorted(same)[2] < 0.020))
    rows.append(("topic list, one count changed: set + its frame (ms): median",
                 f"{sorted(changed)[2] * 1000:.1f}", ""))
    return rows


def main() -> None:
    """Parse arguments, start the broker process, measure, print the table."""
    if len(sys.argv) > 1 and sys.argv[1] == "--broker":
        broker_main()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long keys are pressed (s)")
    parser.add_argument("--refresh", type=float, default=1.0, help="the app's refresh interval (s)")
    parser.add_argument("--tree", default=str(ROOT), help="checkout whose flytui/pyflymq are measured")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(args.tree).resolve()), str(ROOT)]))
    broker = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--broker"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        address = broker.stdout.readline().strip()
        if not address:
            raise SystemExit("the broker process did not start")
        rows = asyncio.run(measure(args, address))
    finally:
        broker.stdin.close()
        broker.wait(10)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    rows.append(("tree measured", str(Path(args.tree).resolve()), ""))
    rows.append(("machine: CPUs, load average 1 / 5 / 15 min", f"{os.cpu_count()}, {load}", ""))
    report(rows, args.json)


if __name__ == "__main__":
    main()
