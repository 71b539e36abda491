"""MessageStream benchmarks: live tail under load, key-press latency, memory after a million records.

    python benchmarks/bench_stream.py [--seconds 10] [--rate 20000] [--total 1000000] [--no-detail]

A tiny headless App (``run_test``) shows a ``MessageStream`` in tail mode next to a ``RecordDetail`` that
follows the cursor, as the real app does.

1. Tail under load: a thread produces ``--rate`` records/s (JSON values of ~120 bytes, keys, 3 partitions)
   and hands them to the UI every 50 ms with ``app.call_from_thread(stream.append_live, batch)``. Meanwhile
   the pilot presses up/down/j/k (and now and then End) every 20-60 ms; for each press we time, from the
   moment the key is sent, until the stream's action ran ("handled") and until the stream was next painted
   ("painted"). Targets: p99 < 100 ms. Also reported: the records/s actually delivered and the cost of one
   ``append_live`` call.
Garbage collection is set up as ``FlyTUIApp`` sets it up (``gc.freeze()`` once mounted, full passes while
no key is pressed: ``flytui.gc_policy``); ``--gc python`` measures with Python's defaults instead.

2. Memory: 1,000,000 records more are streamed through the view in 2,000-record batches (following), then
   VmRSS and VmHWM are read from /proc/self/status. Target: RSS < 300 MB.

Prints a table; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _measure import GcPauses, percentiles, report, rss_mb, triple  # noqa: E402  (benchmarks/ is on sys.path)
from textual import events  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.containers import Horizontal  # noqa: E402

from flytui.gc_policy import IdleCollector  # noqa: E402
from flytui.widgets.message_stream import MessageStream  # noqa: E402
from flytui.widgets.record_detail import RecordDetail  # noqa: E402
from pyflymq.models import Message  # noqa: E402

TOPIC = "orders"


def make_batch(first: int, count: int) -> list[Message]:
    """``count`` distinct records numbered from ``first``: keyed, JSON values of about 120 bytes."""
    return [
        Message(TOPIC, n % 3, n // 3, b"customer-%06d" % (n % 100_000),
                b'{"order_id": %d, "status": "created", "amount": %d.%02d, "items": [%d, %d], '
                b'"note": "benchmark record number %d"}' % (n, n % 997, n % 100, n % 13, n % 7, n))
        for n in range(first, first + count)
    ]


class BenchApp(App):
    """The stream (and the detail pane following it) and nothing else."""

    def __init__(self, with_detail: bool) -> None:
        super().__init__()
        self.with_detail = with_detail

    def compose(self) -> ComposeResult:
        """The stream, and the detail pane unless --no-detail."""
        with Horizontal():
            yield MessageStream(id="stream")
            if self.with_detail:
                yield RecordDetail(id="detail")

    collector: IdleCollector | None = None

    def on_key(self) -> None:
        """Tell the collector a key came, as FlyTUIApp does."""
        if self.collector is not None:
            self.collector.user_active()

    def on_message_stream_record_highlighted(self, event: MessageStream.RecordHighlighted) -> None:
        """The detail follows the cursor, as in the app."""
        if self.with_detail:
            self.query_one(RecordDetail).show_record(event.record)


class Feeder(threading.Thread):
    """Delivers ``rate`` records/s to the stream in batches every ``interval`` seconds, from a thread."""

    def __init__(self, app: App, stream: MessageStream, rate: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.app = app
        self.stream = stream
        self.rate = rate
        self.interval = interval
        self.sent = 0
        self.elapsed = 0.0
        self.append_times: list[float] = []
        self.stop = threading.Event()

    def _append(self, batch: list[Message]) -> None:
        start = time.perf_counter()
        self.stream.append_live(batch)
        self.append_times.append(time.perf_counter() - start)

    def run(self) -> None:
        """Feed until stopped, catching up on the schedule when a hand-over took long."""
        start = time.perf_counter()
        tick = start
        while True:
            now = time.perf_counter()
            due = int((now - start) * self.rate)
            if due > self.sent:
                batch = make_batch(self.sent, due - self.sent)
                self.app.call_from_thread(self._append, batch)
                self.sent += len(batch)
            self.elapsed = now - start  # the records due by ``now`` have been delivered
            if self.stop.is_set():
                break
            tick += self.interval
            time.sleep(max(0.0, tick - time.perf_counter()))


async def measure_keys(app: BenchApp, stream: MessageStream, seconds: float) -> tuple[list, list]:
    """Press keys for ``seconds``; return (handled, painted) latencies in seconds."""
    handled: list[float] = []
    painted: list[float] = []
    state = {"sent": 0.0, "handled": False, "painted": False}

    def hook_action(name: str) -> None:
        original = getattr(stream, name)

        def wrapped(*args, **kwargs):
            if not state["handled"]:
                state["handled"] = True
                handled.append(time.perf_counter() - state["sent"])
            return original(*args, **kwargs)

        setattr(stream, name, wrapped)

    for name in ("action_cursor_up", "action_cursor_down", "action_cursor_last"):
        hook_action(name)
    original_render_line = stream.render_line

    def render_line(y: int):
        if state["handled"] and not state["painted"]:
            state["painted"] = True
            painted.append(time.perf_counter() - state["sent"])
        return original_render_line(y)

    stream.render_line = render_line
    keys = ["up", "up", "k", "down", "j", "up", "down"]
    deadline = time.perf_counter() + seconds
    presses = 0
    while time.perf_counter() < deadline:
        key = "end" if presses % 25 == 24 else random.choice(keys)
        state.update(sent=time.perf_counter(), handled=False, painted=False)
        # what a terminal driver does on a key press (Pilot.press would also wait for the app to be idle,
        # which under a steady flood of batches takes long and is not what a user sees)
        app.post_message(events.Key(key, key if len(key) == 1 else None))
        presses += 1
        for _ in range(50):  # wait (up to 0.5 s) for the repaint that shows the move
            if state["painted"]:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(random.uniform(0.02, 0.06))
    return handled, painted


async def run(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    """Both measurements; returns the table rows (measure, result, target)."""
    app = BenchApp(with_detail=not args.no_detail)
    rows: list[tuple[str, str, str]] = []
    async with app.run_test(size=(180, 50)) as pilot:
        stream = app.query_one(MessageStream)
        stream.focus()
        stream.set_tail(TOPIC, [0, 1, 2])
        await pilot.pause(0.1)
        if args.gc in ("app", "freeze"):
            gc.freeze()  # what the app does once mounted: start-up objects leave the collector's scans
        if args.gc == "app":  # and its full passes run while no key is pressed (flytui.gc_policy)
            app.collector = IdleCollector()
            app.collector.install()
            app.set_interval(1.0, app.collector.tick)
        gc_pauses = GcPauses()
        base_rss, _ = rss_mb()

        # 1. tail under load, keys pressed meanwhile
        frames: list[float] = []
        layouts = [0]
        compositor = app.screen._compositor
        render_update = compositor.render_update  # renders what changed into the next frame
        refresh_layout = app.screen._refresh_layout  # a full layout (then a full render)

        def timed_render_update(*args, **kwargs):
            start = time.perf_counter()
            try:
                return render_update(*args, **kwargs)
            finally:
                frames.append(time.perf_counter() - start)

        def counted_refresh_layout(*args, **kwargs):
            layouts[0] += 1
            return refresh_layout(*args, **kwargs)

        compositor.render_update = timed_render_update
        app.screen._refresh_layout = counted_refresh_layout
        feeder = Feeder(app, stream, args.rate)
        feeder.start()
        await asyncio.sleep(0.5)
        frames.clear()
        layouts[0] = 0
        wall, cpu = time.perf_counter(), time.thread_time()
        handled, painted = await measure_keys(app, stream, args.seconds)
        ui_cpu = (time.thread_time() - cpu) / (time.perf_counter() - wall)
        feeder.stop.set()
        while feeder.is_alive():
            await asyncio.sleep(0.01)
        del compositor.render_update, app.screen._refresh_layout
        rate = feeder.sent / feeder.elapsed if feeder.elapsed else 0.0
        rows.append(("tail: records/s delivered", f"{rate:,.0f}", f">= {args.rate:,}"))
        rows.append(("tail: records in view buffer", f"{stream.row_count:,}", "bounded (50,000)"))
        rows.append(("key presses measured", f"{len(handled):,}", ""))
        rows.append(("key -> handled p50 / p99 / max (ms)", triple(percentiles(handled)), "p99 < 100",
                     percentiles(handled)[1] < 100))
        rows.append(("key -> painted p50 / p99 / max (ms)", triple(percentiles(painted)), "p99 < 100",
                     percentiles(painted)[1] < 100))
        rows.append(("append_live of one 50 ms batch p50 / p99 / max (ms)",
                     triple(percentiles(feeder.append_times), 2), ""))
        rows.append(("frame render p50 / p99 / max (ms)", triple(percentiles(frames)),
                     f"{len(frames) / args.seconds:.0f} frames/s, {layouts[0]} full layouts"))
        rows.append(("UI thread CPU while tailing", f"{ui_cpu:.0%}", "of one core"))
        rows.append(("full GC (gen 2) pauses: count, max (ms)", gc_pauses.summary(),
                     {"app": "collector as in the app (gc.freeze, full passes when idle)",
                      "freeze": "gc.freeze() at start", "python": "Python's defaults"}[args.gc]))
        gc_pauses.close()

        # 2. a million records through the view
        stream.follow()
        done = threading.Event()
        cost: list[float] = []

        def append(batch: list[Message]) -> None:
            start = time.perf_counter()
            stream.append_live(batch)
            cost.append(time.perf_counter() - start)

        def pump() -> None:
            for first in range(0, args.total, 2_000):
                app.call_from_thread(append, make_batch(10_000_000 + first, min(2_000, args.total - first)))
            done.set()

        start = time.perf_counter()
        threading.Thread(target=pump, daemon=True).start()
        while not done.is_set():
            await asyncio.sleep(0.05)
        await pilot.pause(0.2)
        elapsed = time.perf_counter() - start
        rss, hwm = rss_mb()
        gc.collect()
        rss_after_gc, _ = rss_mb()
        rows.append((f"stream {args.total:,} records: time (s)", f"{elapsed:.1f}", ""))
        rows.append(("append_live of 2,000 records p50 / p99 / max (ms)", triple(percentiles(cost), 2),
                     "O(batch)"))
        rows.append(("RSS before streaming (MB)", f"{base_rss:.0f}", ""))
        rows.append((f"RSS after {args.total:,} records (MB)", f"{rss:.0f} ({rss_after_gc:.0f} after gc)", "< 300",
                     rss < 300))
        rows.append(("peak RSS, VmHWM (MB)", f"{hwm:.0f}", ""))
        rows.append(("records held by the view", f"{stream.row_count:,} of {stream.model.total:,} seen", ""))
    return rows


def main() -> None:
    """Parse arguments, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to press keys under load")
    parser.add_argument("--rate", type=int, default=20_000, help="live records per second")
    parser.add_argument("--total", type=int, default=1_000_000, help="records streamed for the memory figure")
    parser.add_argument("--no-detail", action="store_true", help="without the RecordDetail pane")
    parser.add_argument("--gc", choices=("app", "freeze", "python"), default="app",
                        help="garbage collection: as FlyTUIApp sets it up (default), gc.freeze() only, or Python's "
                             "defaults")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()
    report(asyncio.run(run(args)), args.json)


if __name__ == "__main__":
    main()
