"""Whole-topic search benchmark: the scan rate of flytui's search over a 1,000,000-record topic.

    python benchmarks/bench_search.py [--records 1000000] [--partitions 6] [--workers 4] [--tree PATH]

A broker process (``python -m pyflymq.broker``) gets ``--records`` records on a ``--partitions``-partition
topic, written by ``bench_app.py``'s pipelined producer (keys ``user-NNNNN`` spread by FlyMQ's key hash, JSON
values of 100-270 bytes) in four chunks, with one needle record (``incident-42``) after each chunk, so the
needles lie a quarter, a half, three quarters and all the way into the log.

Each search is :func:`flytui.topic_search.run_search` over every partition from its beginning to its end,
in ``--workers`` threads with a connection each, as flytui runs it (the query compiled by
:mod:`flytui.record_query`; the server filter pushed down when it has one):

* substring ``incident-42``: the broker filters, only the matches cross the wire. Target ≥ 200,000 records/s.
* predicate ``$.event == "refunded" and $.amount > 990``: no server filter; flytui decodes each value.

For each: records scanned per second (from the start to the last partition done), time to the first match,
matches found. ``--tree PATH`` measures another checkout. Prints a table; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

sys.path.insert(0, str(HERE))
from _measure import put_tree_first, report, start_broker  # noqa: E402

put_tree_first(sys.argv, ROOT)  # flytui and pyflymq from the tree measured

TOPIC = "search-1m"
NEEDLE = "incident-42"
SUBSTRING = NEEDLE
PREDICATE = '$.event == "refunded" and $.amount > 990'
SUBSTRING_TARGET = 200_000


def fill(address: str, records: int, partitions: int, tree: Path) -> float:
    """Write ``records`` records in four chunks, a needle record after each; seconds taken."""
    from pyflymq import connect

    started = time.perf_counter()
    with connect(address) as client:
        client.create_topic(TOPIC, partitions)
        chunk = records // 4
        for part in range(4):
            count = chunk if part < 3 else records - 3 * chunk
            subprocess.run([sys.executable, str(HERE / "bench_app.py"), "--producer", address, TOPIC, "0",
                            str(count), "20000"], check=True, stdout=subprocess.DEVNULL,
                           env=dict(os.environ, PYTHONPATH=str(tree)))
            client.produce(TOPIC, f'{{"event":"alert","note":"{NEEDLE} part {part}"}}', key=f"needle-{part}")
    return time.perf_counter() - started


def search(address: str, text: str, workers: int) -> tuple[object, bool]:
    """Run one whole-topic search; returns the final snapshot and whether a server filter was used."""
    from flytui.offset_plan import parse_seek_spec
    from flytui.record_query import compile_query
    from flytui.service import ConnectionSettings, FlyService
    from flytui.topic_search import SearchTally, run_search
    from pyflymq import connect

    query = compile_query(text)
    service = FlyService(ConnectionSettings(address, timeout_ms=30_000))
    try:
        ranges, _ = service.search_ranges_sync(TOPIC, parse_seek_spec("beginning"))
    finally:
        service.close()
    pushed = query.server_filter is not None
    final = run_search(lambda: connect(address, timeout_ms=30_000), TOPIC, ranges, SearchTally(),
                       server_filter=query.server_filter, matches=None if pushed else query.matches,
                       stop=threading.Event(), workers=workers)
    return final, pushed


def rows_for(name: str, text: str, final, pushed: bool, target: int | None) -> list:
    """The table rows of one search."""
    first = f"{final.first_match_after:.2f}" if final.first_match_after is not None else "no match"
    rate = final.rate
    how = "server filter" if pushed else "client-side predicate"
    rate_row = (f"{name}: records scanned per second", f"{rate:,.0f}",
                f"≥ {target:,}" if target else f"{how}; no target", rate >= target if target else None)
    return [
        (f"{name}: query", text, how),
        rate_row,
        (f"{name}: records scanned / time (s)", f"{final.scanned:,} / {final.elapsed:.2f}",
         f"{final.partitions_done}/{final.partitions_total} partitions"),
        (f"{name}: time to first match (s)", first, ""),
        (f"{name}: matches", f"{final.match_count:,}", f"{len(final.matches):,} kept"),
    ]


def main() -> None:
    """Parse arguments, fill the topic, run both searches, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--workers", type=int, default=4, help="partitions scanned at the same time")
    parser.add_argument("--tree", default=str(ROOT), help="checkout whose flytui/pyflymq are measured")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()
    tree = Path(args.tree).resolve()
    broker, address = start_broker(tree)
    try:
        filled = fill(address, args.records, args.partitions, tree)
        rows = [("records in the topic", f"{args.records + 4:,} in {args.partitions} partitions",
                 f"written in {filled:.1f} s; 4 needles")]
        final, pushed = search(address, SUBSTRING, args.workers)
        rows += rows_for("substring", SUBSTRING, final, pushed, SUBSTRING_TARGET)
        final, pushed = search(address, PREDICATE, args.workers)
        rows += rows_for("predicate", PREDICATE, final, pushed, None)
    finally:
        broker.terminate()
        broker.wait(10)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    rows.append(("workers (connections)", str(args.workers), ""))
    rows.append(("tree measured", str(tree), ""))
    rows.append(("machine: CPUs, load average 1 / 5 / 15 min", f"{os.cpu_count()}, {load}", ""))
    report(rows, args.json)


if __name__ == "__main__":
    main()
