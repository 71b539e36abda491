"""Paging benchmark: the full app browsing a 1,000,000-record partition with page down held.

    python benchmarks/bench_paging.py [--records 1000000] [--seconds 8] [--rate 30] [--tree PATH]

A broker process (``python -m pyflymq.broker``) gets ``--records`` records on a one-partition topic, written
by ``bench_app.py``'s pipelined producer. The full ``FlyTUIApp`` runs headless (160x48) in this process,
opens the topic (browsing from offset 0), and ``pagedown`` is pressed ``--rate`` times a second for
``--seconds`` seconds, as a held key repeats: each press is sent on time, whether or not the previous page has
arrived.

* key -> record shown: from sending a press to the end of the first frame painted after it in which the row
  under the cursor holds a record (not the "loading…" placeholder); p50 / p99 / max, target p99 < 100 ms.
  A press still waiting when a later one is shown is counted with that later frame (what a user holding the
  key sees).
* presses never shown: none expected (each would mean a page that never arrived within a second).

``--tree PATH`` measures another checkout's flytui/pyflymq (before/after figures side by side).
Prints a table; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


sys.path.insert(0, str(HERE))
from _measure import percentiles, put_tree_first, report, start_broker, triple  # noqa: E402

put_tree_first(sys.argv, ROOT)  # flytui and pyflymq from the tree measured

TOPIC = "paging-1m"


def fill(address: str, records: int, tree: Path) -> float:
    """Write ``records`` records to the one-partition topic with bench_app's pipelined producer; seconds."""
    from pyflymq import connect

    with connect(address) as client:
        client.create_topic(TOPIC, 1)
    started = time.perf_counter()
    subprocess.run([sys.executable, str(HERE / "bench_app.py"), "--producer", address, TOPIC, "0", str(records),
                    "20000"], check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, PYTHONPATH=str(tree)))
    return time.perf_counter() - started


async def measure(args, address: str) -> list:
    """Open the topic, hold page down, time each press until a record is shown under the cursor."""
    from flytui.app import FlyTUIApp
    from flytui.service import ConnectionSettings, FlyService

    service = FlyService(ConnectionSettings(address, timeout_ms=10_000))
    app = FlyTUIApp(service, server_label=address, topic=TOPIC, refresh=5.0)
    shown: list[float] = []
    pending: list[float] = []
    presses = 0
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            deadline = time.perf_counter() + 30
            while not (app.ready and app.topic == TOPIC and app.stream.selected_record is not None):
                if time.perf_counter() > deadline:
                    raise SystemExit("the app did not open the topic")
                await asyncio.sleep(0.02)
            app.stream.focus()
            await pilot.pause(0.5)
            compositor = app.screen._compositor
            render_update = compositor.render_update

            def timed_render_update(*a, **k):
                try:
                    return render_update(*a, **k)
                finally:
                    if pending and app.stream.selected_record is not None:
                        now = time.perf_counter()
                        shown.extend(now - sent for sent in pending)
                        pending.clear()

            compositor.render_update = timed_render_update
            tasks = set()
            interval = 1.0 / args.rate
            start = time.perf_counter()
            while time.perf_counter() - start < args.seconds:
                pending.append(time.perf_counter())
                task = asyncio.ensure_future(pilot.press("pagedown"))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                presses += 1
                await asyncio.sleep(max(0.0, start + presses * interval - time.perf_counter()))
            end = time.perf_counter() + 1.0
            while pending and time.perf_counter() < end:
                await asyncio.sleep(0.01)
            for task in list(tasks):
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            offset = app.stream.selected_record.offset if app.stream.selected_record else None
            never = len(pending)
    finally:
        service.close()
    late = percentiles(shown)
    return [
        ("page down presses (held at the given rate)", f"{presses} at {args.rate:g}/s", f"cursor ended at offset {offset:,}"
         if offset is not None else "no record under the cursor at the end"),
        ("key -> record shown (ms): p50 / p99 / max", triple(late), "p99 < 100", late[1] < 100),
        ("presses never shown within 1 s", str(never), "0", never == 0),
    ]


def main() -> None:
    """Parse arguments, fill the topic, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=8.0, help="how long page down is held")
    parser.add_argument("--rate", type=float, default=30.0, help="presses per second while held")
    parser.add_argument("--tree", default=str(ROOT), help="checkout whose flytui/pyflymq are measured")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()
    tree = Path(args.tree).resolve()
    broker, address = start_broker(tree)
    try:
        filled = fill(address, args.records, tree)
        rows = [("records in the partition", f"{args.records:,}", f"written in {filled:.1f} s")]
        rows += asyncio.run(measure(args, address))
    finally:
        broker.terminate()
        broker.wait(10)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    rows.append(("tree measured", str(tree), ""))
    rows.append(("machine: CPUs, load average 1 / 5 / 15 min", f"{os.cpu_count()}, {load}", ""))
    report(rows, args.json)


if __name__ == "__main__":
    main()
