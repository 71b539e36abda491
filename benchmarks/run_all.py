"""Every benchmark at its stated size, one table at the end: figure, value, target, met or not.

    python benchmarks/run_all.py [--quick] [--only NAME ...] [--server HOST:PORT]

Each benchmark runs in its own process (as ``python benchmarks/<script> ... --json FILE``), builds its own data
on the built-in broker (``--server`` points the client benchmark at an external FlyMQ instead), and prints its
own table as it goes; the summary repeats the figures that have a target. ``--quick`` runs smaller sizes (a
smoke run of the scripts, not figures to quote). Nothing here is a test: the figures depend on the machine and
on what else runs on it (the load average is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name: (script, arguments at the stated size, arguments with --quick)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "client": ("bench_client.py", ["--records", "200000", "--rounds", "5"], ["--records", "20000", "--rounds", "1"]),
    "stream": ("bench_stream.py", ["--seconds", "10", "--total", "1000000"], ["--seconds", "3", "--total", "50000"]),
    "app": ("bench_app.py", ["--seconds", "10", "--records", "1000000", "--runs", "5"],
            ["--seconds", "3", "--records", "50000", "--runs", "1"]),
    "incident": ("bench_incident.py", ["--rounds", "3"], ["--rounds", "1"]),
    "scale": ("bench_scale.py", ["--seconds", "20"], ["--seconds", "4"]),
    "paging": ("bench_paging.py", ["--records", "1000000", "--seconds", "8"], ["--records", "50000", "--seconds", "3"]),
    "broker": ("bench_broker.py", ["--records", "200000", "--runs", "3"], ["--records", "20000", "--runs", "1"]),
    "startup": ("bench_startup.py", ["--runs", "7"], ["--runs", "1"]),
    "faults": ("bench_faults.py", ["--kills", "30"], ["--kills", "3"]),
    "search": ("bench_search.py", ["--records", "1000000"], ["--records", "50000"]),
    "print": ("bench_print.py", ["--records", "1000000"], ["--records", "30000"]),
    "query": ("bench_query.py", ["--records", "500000", "--rounds", "3"], ["--records", "20000", "--rounds", "1"]),
    "cluster": ("bench_cluster.py", ["--creates", "30", "--kills", "5", "--elections", "2"],
                ["--creates", "5", "--kills", "1", "--elections", "0"]),
    "history": ("bench_history.py", ["--hours", "2"], ["--partitions", "100", "--groups", "40", "--hours", "1.1",
                                                       "--timed", "20", "--ui-groups", "40", "--ui-refreshes", "10"]),
}


def run_one(name: str, quick: bool, server: str | None) -> tuple[list[dict], str]:
    """Run one benchmark; return its rows and, when it failed, what went wrong."""
    script, full, small = BENCHMARKS[name]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        command = [sys.executable, str(HERE / script), *(small if quick else full), "--json", str(out)]
        if server and name == "client":
            command += ["--server", server]
        print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        done = subprocess.run(command, check=False)
        elapsed = time.perf_counter() - started
        if done.returncode != 0 or not out.exists():
            return [], f"exit status {done.returncode} after {elapsed:.0f} s"
        return json.loads(out.read_text()), ""


def main() -> None:
    """Run the chosen benchmarks and print the summary table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: checks that every script runs")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument("--server", help="an external FlyMQ server for the client benchmark")
    args = parser.parse_args()
    summary: list[tuple[str, str, str, str]] = []
    failures = []
    for name in args.only or list(BENCHMARKS):
        rows, problem = run_one(name, args.quick, args.server)
        if problem:
            failures.append(f"{name}: {problem}")
            summary.append((name, "(did not finish)", problem, "NO"))
        for row in rows:
            if row.get("met") is not None:
                summary.append((name, row["figure"], f"{row['value']}  (target {row['target']})",
                                "yes" if row["met"] else "NO"))
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n=== summary ({'quick sizes' if args.quick else 'stated sizes'}; {os.cpu_count()} CPUs, "
          f"load average {load})")
    width = max((len(f"{bench}: {figure}") for bench, figure, _, _ in summary), default=10)
    for bench, figure, value, met in summary:
        print(f"{met:<3}  {bench + ': ' + figure:<{width}}  {value}")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
