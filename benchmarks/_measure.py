"""Measuring helpers shared by the benchmark scripts: memory, latency percentiles, GC pauses."""

from __future__ import annotations

import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path


def put_tree_first(argv: list[str], default: Path) -> Path:
    """Put the checkout named by ``--tree PATH`` in ``argv`` (else ``default``) first on ``sys.path``.

    Call it before importing flytui or pyflymq, so that a benchmark measures that checkout's code (for
    before/after figures side by side); returns the checkout.
    """
    import sys

    tree = Path(argv[argv.index("--tree") + 1]).resolve() if "--tree" in argv else default
    sys.path.insert(0, str(tree))
    return tree


def start_broker(tree: Path | None = None) -> tuple[subprocess.Popen, str]:
    """The built-in broker of ``tree`` (default: the installed one) in its own process, so the client side
    gets this process's core; returns it and its address. Not ``pyflymq.broker.testing.BrokerProcess``: a
    tree measured with ``--tree`` may predate it."""
    proc = subprocess.Popen([sys.executable, "-m", "pyflymq.broker", "--host", "127.0.0.1", "--port", "0"],
                            stdout=subprocess.PIPE, text=True, cwd=tree)
    assert proc.stdout is not None  # a PIPE
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"broker did not start: {line!r}")
    return proc, line.removeprefix("listening on ")


def rss_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            name, amount, _unit = line.split()
            values[name.rstrip(":")] = int(amount) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p99 and max of ``samples`` (seconds) in milliseconds."""
    if not samples:
        return (float("nan"),) * 3
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000, ordered[-1] * 1000


def triple(values: tuple[float, float, float], digits: int = 1) -> str:
    """``a / b / c`` with ``digits`` decimals."""
    return " / ".join(f"{value:.{digits}f}" for value in values)


class GcPauses:
    """Records how long each full (generation 2) garbage collection takes, from now until close()."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._start)

    def summary(self) -> str:
        """``count, max ms``."""
        return f"{len(self.pauses)}, {max(self.pauses, default=0) * 1000:.0f}"

    def close(self) -> str:
        """Stop recording (idempotent) and return :meth:`summary`."""
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)
        return self.summary()


Row = tuple
"""A table row: ``(figure, value, target or note)`` or ``(figure, value, target, met)`` with met a bool."""


def report(rows: list[Row], json_path: str | None = None) -> None:
    """Print ``rows`` as a table (with a "met" column: yes / NO / blank) and, with ``json_path``, save them."""
    import json

    def met_text(row: Row) -> str:
        if len(row) < 4 or row[3] is None:
            return ""
        return "yes" if row[3] else "NO"

    width = max(len(row[0]) for row in rows)
    value_width = max(20, *(len(row[1]) for row in rows))
    print(f"{'measure':<{width}}  {'result':>{value_width}}  {'met':<3}  target / note")
    for row in rows:
        print(f"{row[0]:<{width}}  {row[1]:>{value_width}}  {met_text(row):<3}  {row[2]}")
    if json_path:
        records = [{"figure": row[0], "value": row[1], "target": row[2],
                    "met": row[3] if len(row) > 3 else None} for row in rows]
        Path(json_path).write_text(json.dumps(records, indent=1))
