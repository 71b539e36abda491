"""Startup: ``flytui --demo`` from launch to a full first screen, in a real terminal (tmux).

    python benchmarks/bench_startup.py [--runs 7] [--baseline DIR] [--json FILE]

Each run starts ``python -m flytui --demo`` in a detached tmux session of 160x45 and reads the screen
(``tmux capture-pane``) every 10 ms until it shows the whole first screen: the topic list (``7 topics``),
the first record of ``orders`` partition 0 (``ord-100003``), the consumer groups (``billing-service``) and
the dead-letter count (``Dead letters 10``). The figure is the time from launching the process to the first
capture that shows all four; min / median / max over ``--runs``. Python's bytecode cache is on, as for a
user (``--no-bytecode-cache``: flytui and pyflymq compiled at every start, as in a checkout run with
PYTHONDONTWRITEBYTECODE set). ``--baseline DIR`` is another checkout (or
``git archive`` of one, holding ``flytui`` and ``pyflymq``): it is measured too, run by run in turn with this
one, so both see the same machine load. Needs tmux. Prints a table; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import report  # noqa: E402  (benchmarks/ is on sys.path)

HERE = Path(__file__).resolve().parent.parent
MARKERS = ("7 topics", "ord-100003", "billing-service", "Dead letters 10")
TARGET_S = 1.0
TIMEOUT_S = 30.0


def _capture(session: str) -> str:
    done = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True,
                          check=False)
    return done.stdout


def _cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and of its child processes (the demo broker's, if any)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def time_to_first_screen(tree: Path, bytecode_cache: bool = True) -> tuple[float, float]:
    """Seconds from launching ``flytui --demo`` (the code in ``tree``) to a full first screen. With
    ``bytecode_cache`` Python reads and writes ``__pycache__`` as it does for a user (an environment with
    PYTHONDONTWRITEBYTECODE set compiles every module of flytui and pyflymq from source at each start).
    Also returns the CPU seconds the process and its children (the demo broker, where it has a process of
    its own) used by then: less sensitive to other load than the wall time."""
    session = f"bench-startup-{uuid.uuid4().hex[:8]}"
    cache = "env -u PYTHONDONTWRITEBYTECODE " if bytecode_cache else "env PYTHONDONTWRITEBYTECODE=1 "
    command = f"cd {tree} && exec {cache}PYTHONPATH={tree} {sys.executable} -m flytui --demo"
    started = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "45", command], check=True)
    try:
        pid = int(subprocess.run(["tmux", "display-message", "-p", "-t", session, "#{pane_pid}"],
                                 capture_output=True, text=True, check=True).stdout)
        while True:
            screen = _capture(session)
            if all(marker in screen for marker in MARKERS):
                return time.perf_counter() - started, _cpu_seconds(pid)
            if time.perf_counter() - started > TIMEOUT_S:
                raise SystemExit(f"no full first screen after {TIMEOUT_S:.0f} s; the screen shows:\n{screen}")
            time.sleep(0.01)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False, capture_output=True)


def _without_bytecode(tree: Path, copy: Path) -> Path:
    """``copy`` holding ``tree``'s flytui and pyflymq packages without their ``__pycache__`` folders."""
    for package in ("flytui", "pyflymq"):
        shutil.copytree(tree / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _triple(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def main() -> None:
    """Measure, interleaved with the baseline when one is given, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", help="another checkout to measure side by side (before)")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="compile flytui and pyflymq from source at every start (copies of the trees without "
                             "__pycache__, run with PYTHONDONTWRITEBYTECODE=1)")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()
    cache = not args.no_bytecode_cache
    if shutil.which("tmux") is None:
        raise SystemExit("bench_startup needs tmux")
    trees = [("before", Path(args.baseline).resolve())] if args.baseline else []
    trees.append(("after", HERE))
    scratch = tempfile.TemporaryDirectory(prefix="bench-startup-")
    if not cache:  # copies without __pycache__, so flytui and pyflymq are compiled at every start
        trees = [(name, _without_bytecode(tree, Path(scratch.name) / name)) for name, tree in trees]
    times: dict[str, list[float]] = {name: [] for name, _ in trees}
    cpu: dict[str, list[float]] = {name: [] for name, _ in trees}
    # one idle session keeps the tmux server up between runs (a server that exits with its last session can
    # refuse the next new-session while it shuts down)
    keeper = f"bench-startup-keeper-{uuid.uuid4().hex[:8]}"
    subprocess.run(["tmux", "new-session", "-d", "-s", keeper, "sleep 3600"], check=True)
    try:
        for _name, tree in trees:  # warm-up: byte-code caches and the page cache
            time_to_first_screen(tree, cache)
        for run in range(args.runs):
            for name, tree in trees:
                wall, used = time_to_first_screen(tree, cache)
                times[name].append(wall)
                cpu[name].append(used)
                print(f"  run {run + 1} {name}: {wall:.2f} s, {used:.2f} s of CPU", flush=True)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", keeper], check=False, capture_output=True)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    how = "" if cache else ", no bytecode cache"
    rows = []
    if args.baseline:
        rows.append((f"flytui --demo to a full first screen{how}, before: min / median / max (s)",
                     _triple(times["before"]), ""))
        ratios = [a / b for a, b in zip(times["after"], times["before"], strict=True)]
        rows.append(("  after / before, run by run: min / median / max", _triple(ratios), ""))
        rows.append(("  CPU seconds of the processes by then, before", _triple(cpu["before"]), ""))
        cpu_ratios = [a / b for a, b in zip(cpu["after"], cpu["before"], strict=True)]
        rows.append(("  CPU after / before, run by run", _triple(cpu_ratios), ""))
    median = statistics.median(times["after"])
    rows.append((f"flytui --demo to a full first screen{how}: min / median / max (s)", _triple(times["after"]),
                 f"median < {TARGET_S:.1f} s on a quiet machine (load average now {load})", median < TARGET_S))
    rows.append(("  CPU seconds of the processes by then", _triple(cpu["after"]), ""))
    report(rows, args.json)


if __name__ == "__main__":
    main()
