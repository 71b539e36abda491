"""``flytui --print`` benchmark: memory and rate printing a million records, and how soon output starts.

    python benchmarks/bench_print.py [--records 1000000] [--partitions 3] [--server HOST:PORT] [--json FILE]

A built-in broker process (``python -m pyflymq.broker``; or ``--server``) gets ``--records`` keyed JSON records
(100-270 bytes, ``bench_app.py``'s pipelined producer) on a ``--partitions``-partition topic. Then
``python -m flytui ADDRESS --topic T --print`` runs as the user would run it:

1. ``> /dev/null``: records/s over the whole topic, and the command's RSS sampled every 50 ms (peak, and
   the first sample after 1 s for comparison: flat memory means the two are close). Target: peak RSS < 100 MB
   (the point is that it does not grow with the topic).
2. ``--filter '$.amount > 900'`` (evaluated by flytui, every value decoded) ``> /dev/null``: records/s scanned.
3. stdout read by this script: seconds from start to the first record (output starts before the scan ends).

Prints a table; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from _measure import report  # noqa: E402  (benchmarks/ is on sys.path)

from pyflymq import connect  # noqa: E402
from pyflymq.broker.testing import BrokerProcess  # noqa: E402

TOPIC = "bench-print"
RSS_TARGET_MB = 100.0


def fill(address: str, records: int, partitions: int) -> float:
    """Write ``records`` records with bench_app's pipelined producer; returns seconds taken."""
    with connect(address) as client:
        client.create_topic(TOPIC, partitions)
    started = time.perf_counter()
    subprocess.run([sys.executable, str(HERE / "bench_app.py"), "--producer", address, TOPIC, "0", str(records),
                    "20000"], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - started


def rss_of(pid: int) -> float:
    """VmRSS of process ``pid`` in MB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def print_command(address: str, *extra: str) -> list[str]:
    """The ``flytui --print`` command line."""
    return [sys.executable, "-m", "flytui", address, "--topic", TOPIC, "--print", *extra]


def run_to_devnull(address: str, *extra: str) -> tuple[float, float, float]:
    """Run ``--print`` into /dev/null; (seconds, peak RSS MB, RSS MB after 1 s)."""
    with open(os.devnull, "wb") as devnull:
        started = time.perf_counter()
        proc = subprocess.Popen(print_command(address, *extra), stdout=devnull, cwd=ROOT)
        peak = early = 0.0
        while proc.poll() is None:
            rss = rss_of(proc.pid)
            peak = max(peak, rss)
            if not early and time.perf_counter() - started >= 1.0:
                early = rss
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"flytui --print exited with {proc.returncode}")
    return elapsed, peak, early


def first_record_seconds(address: str) -> float:
    """Seconds from starting ``--print`` to the first line on its stdout (the process is then stopped)."""
    started = time.perf_counter()
    proc = subprocess.Popen(print_command(address), stdout=subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    proc.kill()
    proc.communicate()
    if not line:
        raise SystemExit("flytui --print printed nothing")
    return elapsed


def main() -> None:
    """Fill the topic, run the three measurements, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--server", help="an external FlyMQ server (the topic is written there)")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()

    broker = None if args.server else BrokerProcess()
    address = broker.address if broker is not None else args.server
    try:
        fill_seconds = fill(address, args.records, args.partitions)
        print(f"wrote {args.records:,} records in {fill_seconds:.1f} s", flush=True)
        seconds, peak, early = run_to_devnull(address)
        filtered_seconds, filtered_peak, _ = run_to_devnull(address, "--filter", "$.amount > 900")
        first = first_record_seconds(address)
    finally:
        if broker is not None:
            broker.kill()
    rows = [
        ("records printed", f"{args.records:,}", f"{args.partitions} partitions, JSON values of 100-270 bytes"),
        ("print rate (records/s)", f"{args.records / seconds:,.0f}", f"{seconds:.1f} s, stdout to /dev/null"),
        ("peak RSS (MB)", f"{peak:.1f}", f"< {RSS_TARGET_MB:.0f} MB whatever the topic size", peak < RSS_TARGET_MB),
        ("RSS after 1 s (MB)", f"{early:.1f}", "for comparison with the peak: flat memory"),
        ("filtered scan rate (records/s)", f"{args.records / filtered_seconds:,.0f}",
         f"--filter '$.amount > 900' evaluated by flytui; peak RSS {filtered_peak:.1f} MB"),
        ("time to first record (s)", f"{first:.2f}", "output starts before the scan ends"),
    ]
    report(rows, args.json)


if __name__ == "__main__":
    main()
