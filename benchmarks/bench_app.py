"""Whole-app benchmarks: the full FlyTUIApp tailing a real broker under load, memory, start-up time.

    python benchmarks/bench_app.py [--seconds 10] [--rate 20000] [--records 1000000] [--runs 5]
                                   [--skip-tail] [--skip-memory] [--skip-startup]

Unlike ``bench_stream.py`` (the MessageStream widget alone), everything here goes through the real app: the
built-in broker runs in its own process (``python -m pyflymq.broker``, so it does not share the app's GIL), a
producer runs in another process, and the full ``FlyTUIApp`` runs headless (``run_test(size=(160, 48))``) in
this process with its real ``FlyService`` (tail worker thread: FETCH from every partition, TailBatch messages
to the UI), refresh timer, detail pane and partitions pane.

1. Live tail end to end. A topic with 4 partitions; the app opens it and ``t`` is pressed through the pilot.
   The producer process then writes ``--rate`` records/s for ``--seconds`` (keyed, JSON-ish values of
   100-300 bytes), pipelined: every 50 ms it writes the slot's PRODUCE frames in one ``sendall`` while a
   reader thread counts the replies; it reports the rate the broker acknowledged. Meanwhile ``up``/``down``
   (every tenth press ``end``, which resumes following) are pressed every ~100 ms with ``pilot.press``, run
   as a task: it sends the key at once, but then waits for the app to go idle, which under a steady flood
   takes up to 1 s per key, so awaiting it would slow the presses down.
   * records/s reaching the view: records ``MessageStream.append_live`` received (the benchmark wraps it)
     from the producer's first write until its last acknowledgement, per second of that window.
   * lag at end: records acknowledged by the broker minus records the view received, at the moment the
     producer got its last acknowledgement (and again 1 s later, once the tail had time to drain).
   * record latency: from the end of the 50 ms slot in which the producer wrote a record to the
     ``append_live`` call that brought it, for the oldest record of each batch (sampled).
   * key -> handled: from sending the key to the stream's cursor action having run (and moved the cursor).
   * key -> painted: from sending the key to the end of the next compositor update (the next frame).
   * frame render: each compositor update; full layouts: calls of ``Screen._refresh_layout``.
   * full GC pauses: generation-2 collections (``gc.callbacks``) while the keys were pressed.
   * RSS: VmRSS of this process (the app, its tail worker and the client) before and after.
   Targets: the view keeps up with 20,000 records/s; a key press is handled within 100 ms.
2. Memory: another 4-partition topic is opened while the tail is on (so the tail moves to it), and the
   producer writes ``--records`` records as fast as the broker acknowledges them (pipelined, 20,000 in
   flight). Reported: RSS when the view has received them all (target < 300 MB), peak RSS (VmHWM), and the
   records the view received.
3. Start-up. As a user sees it: ``python -m flytui --demo`` is launched in a 160x48 tmux session and
   ``tmux capture-pane -p`` is polled every 20 ms until the screen shows the topic list (``sensor-readings``,
   the last demo topic) and a record row of the stream (``0  0  cust-NNNN  {"order_id"…``: partition 0,
   offset 0 of ``orders``); ``--runs`` runs, min / median / max (target < 1.5 s). Headless: the demo broker is
   started (timed on its own), then the time from constructing ``FlyTUIApp`` in ``run_test`` to the first
   refresh (topics, watermarks, groups) loaded, to the first record in the stream, and to the first frame
   painted after it. (In the tmux figure, Python start-up and imports take about 0.5 s before any of that.)

Prints a table; nothing here is a pass/fail test. Uses three processes on a shared machine: the figures
depend on what else runs (the load average is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _measure import GcPauses, percentiles, report, rss_mb, start_broker, triple  # noqa: E402  (benchmarks/ is on sys.path)

from pyflymq import connect, wire  # noqa: E402
from pyflymq.wire import Op  # noqa: E402

TAIL_TOPIC = "bench-tail"
MEMORY_TOPIC = "bench-memory"
PARTITIONS = 4
SLOT = 0.05  # the producer's pacing slot (s)
KEY_INTERVAL = 0.1  # a key press every ~100 ms

# ------------------------------------------------------------------------------------------- the producer

EVENTS = (b"created", b"paid", b"shipped", b"cancelled", b"refunded")
PAD = b"lorem-ipsum-dolor-sit-amet-consectetur-adipiscing-elit-" * 4


def make_record(n: int) -> tuple[bytes, bytes]:
    """Record ``n``: key ``user-NNNNN`` (10,007 keys, so FlyMQ's key hash spreads them over the partitions)
    and a JSON value of 100-270 bytes."""
    key = b"user-%05d" % (n * 7919 % 10007)
    value = (b'{"seq":%d,"user":"%s","event":"%s","amount":%d.%02d,"ts":%d,"note":"%s"}'
             % (n, key, EVENTS[n % 5], n % 997, n % 100, 1_700_000_000_000 + n * 3, PAD[:(n * 37) % 171]))
    return key, value


def produce_frames(topic: str, first: int, count: int) -> bytes:
    """``count`` PRODUCE frames (records ``first`` ...) in one buffer, for one ``sendall``."""
    frames = []
    for n in range(first, first + count):
        key, value = make_record(n)
        frames.append(wire.encode_frame(Op.PRODUCE, wire.encode_produce_request(topic, value, key)))
    return b"".join(frames)


def producer_main(address: str, topic: str, rate: float, total: int, window: int) -> int:
    """The producer process: write ``total`` records, ``rate`` a second (0: as fast as acknowledged).

    Prints ``start <time.monotonic()>`` before the first write and, at the end, one JSON line with
    ``acked``, ``errors``, ``elapsed`` (first write to last acknowledgement), ``rate`` and ``behind`` (slots
    in which the in-flight window was full, i.e. the broker did not keep up).
    """
    host, _, port = address.rpartition(":")
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    state = {"acked": 0, "errors": 0, "last": 0.0, "error_text": ""}
    done = threading.Event()

    def read_replies() -> None:
        reader = wire.FrameReader()
        while state["acked"] < total:
            data = sock.recv(1 << 20)
            if not data:
                break
            for frame in reader.feed(data):
                if frame.op == Op.ERROR:
                    state["errors"] += 1
                    if not state["error_text"]:
                        state["error_text"] = frame.payload[:200].decode("utf-8", "replace")
                state["acked"] += 1
            state["last"] = time.monotonic()
        done.set()

    threading.Thread(target=read_replies, daemon=True).start()
    start = time.monotonic()
    print(f"start {start}", flush=True)
    sent = behind = 0
    chunk = 2000
    while sent < total:
        now = time.monotonic()
        due = total if rate <= 0 else min(total, int((now - start) * rate))
        if due > sent:
            room = window - (sent - state["acked"])
            if room <= 0:
                behind += 1
            count = min(due - sent, max(0, room), chunk if rate <= 0 else total)
            if count:
                sock.sendall(produce_frames(topic, sent, count))
                sent += count
                continue
        if rate <= 0:
            time.sleep(0.001)
        else:
            time.sleep(max(0.0, SLOT - (time.monotonic() - start) % SLOT))
    done.wait(60)
    elapsed = (state["last"] or time.monotonic()) - start
    print(json.dumps({"acked": state["acked"], "sent": sent, "errors": state["errors"],
                      "error_text": state["error_text"], "elapsed": elapsed,
                      "rate": state["acked"] / elapsed if elapsed > 0 else 0.0, "behind": behind}),
          flush=True)
    sock.close()
    return 0


class Producer:
    """The producer process seen from the benchmark: when it started writing, and its final report."""

    def __init__(self, address: str, topic: str, rate: float, total: int, window: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--producer", address, topic, str(rate),
             str(total), str(window)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self.started = threading.Event()
        self.finished = threading.Event()
        self.start_time = 0.0
        self.end_time = 0.0  # time.monotonic() of the last acknowledgement
        self.report: dict = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.startswith("start "):
                self.start_time = float(line.split()[1])
                self.started.set()
            elif line.startswith("{"):
                self.report = json.loads(line)
                self.end_time = self.start_time + self.report["elapsed"]
        self.started.set()
        self.finished.set()

    def stop(self) -> None:
        """Kill the process if it still runs."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


# ------------------------------------------------------------------------------------------- helpers


class ViewCounter:
    """Wraps the stream's ``append_live``: counts the records it received (with their arrival time)."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.received = 0
        self.batches = 0
        self.costs: list[float] = []
        self.history: list[tuple[float, int]] = []  # (time.monotonic(), records received so far)
        self.sent_at = None  # record number -> when the producer wrote it (time.monotonic()), if known
        self.latencies: list[float] = []  # producer write -> append_live, oldest record of each batch
        original = stream.append_live

        def append_live(records, generation=None):
            start = time.perf_counter()
            try:
                return original(records, generation)
            finally:
                self.costs.append(time.perf_counter() - start)
                self.received += len(records)
                self.batches += 1
                now = time.monotonic()
                self.history.append((now, self.received))
                if self.sent_at is not None and records:
                    # every 50th record's sequence number (values start with b'{"seq":N,')
                    oldest = min(int(r.value[7:r.value.index(b",", 7)]) for r in records[::50])
                    self.latencies.append(now - self.sent_at(oldest))

        stream.append_live = append_live

    def reset(self) -> None:
        """Start counting from zero."""
        self.received = self.batches = 0
        self.costs.clear()
        self.history.clear()
        self.latencies.clear()

    def at(self, moment: float) -> int:
        """Records received up to ``moment`` (time.monotonic())."""
        count = 0
        for when, total in self.history:
            if when > moment:
                break
            count = total
        return count


class KeyProbe:
    """Times key presses: until the stream's cursor action ran, and until the next frame was rendered."""

    ACTIONS = ("action_cursor_up", "action_cursor_down", "action_cursor_last")

    def __init__(self, app, stream) -> None:
        self.stream = stream
        self.handled: list[float] = []
        self.painted: list[float] = []
        self.frames: list[float] = []
        self.unmoved = 0
        self.sent = 0.0
        self.armed = False
        self.done_handled = False
        self.done_painted = False
        self.tasks: set = set()
        for name in self.ACTIONS:
            self._hook(name)
        compositor = app.screen._compositor
        render_update = compositor.render_update

        def timed_render_update(*args, **kwargs):
            start = time.perf_counter()
            try:
                return render_update(*args, **kwargs)
            finally:
                end = time.perf_counter()
                self.frames.append(end - start)
                if self.armed and self.done_handled and not self.done_painted:
                    self.done_painted = True
                    self.painted.append(end - self.sent)

        compositor.render_update = timed_render_update
        self.layouts = 0
        refresh_layout = app.screen._refresh_layout  # a full layout (then a full render)

        def counted_refresh_layout(*args, **kwargs):
            self.layouts += 1
            return refresh_layout(*args, **kwargs)

        app.screen._refresh_layout = counted_refresh_layout

    def _hook(self, name: str) -> None:
        stream = self.stream
        original = getattr(stream, name)

        def wrapped(*args, **kwargs):
            before = stream.cursor_row
            try:
                return original(*args, **kwargs)
            finally:
                if self.armed and not self.done_handled:
                    self.done_handled = True
                    self.handled.append(time.perf_counter() - self.sent)
                    resumed = name == "action_cursor_last" and stream.following
                    if stream.cursor_row == before and not resumed:
                        self.unmoved += 1

        setattr(stream, name, wrapped)

    async def press(self, pilot, key: str, timeout: float = 1.0) -> None:
        """Press ``key`` through the pilot; return once the next frame was painted (or after ``timeout``)."""
        self.sent = time.perf_counter()
        self.done_handled = self.done_painted = False
        self.armed = True
        # Pilot.press sends the key at once, then waits for the app to be idle (up to 1 s twice under a
        # steady flood): run it as a task so the presses keep their ~100 ms pace, as a user's would.
        task = asyncio.ensure_future(pilot.press(key))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        deadline = self.sent + timeout
        while not self.done_painted and time.perf_counter() < deadline:
            await asyncio.sleep(0.002)
        self.armed = False

    async def finish(self) -> None:
        """Let the pilot's waits of the last presses end."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def next_key(self, presses: int) -> str:
        """``end`` every tenth press (resume following), else up, or down near the top of the buffer."""
        if presses % 10 == 9:
            return "end"
        if self.stream.cursor_row < 3:
            return "down"
        return "up" if presses % 3 else "down"


async def wait_until(condition, timeout: float, step: float = 0.01) -> bool:
    """Poll ``condition()`` until true or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except Exception:  # noqa: BLE001 - widgets not mounted yet
            pass
        await asyncio.sleep(step)
    return False


async def drain(counter: ViewCounter, produced: int, quiet: float = 5.0, limit: float = 120.0) -> float:
    """Wait until the view received ``produced`` records, or nothing arrived for ``quiet`` s; the wait (s)."""
    start = time.monotonic()
    last_count, last_change = counter.received, start
    while counter.received < produced and time.monotonic() - start < limit:
        await asyncio.sleep(0.02)
        if counter.received != last_count:
            last_count, last_change = counter.received, time.monotonic()
        elif time.monotonic() - last_change > quiet:
            break
    return time.monotonic() - start


# ------------------------------------------------------------------------------------------- 1 + 2: the app


async def run_app(args: argparse.Namespace, address: str) -> list[tuple[str, str, str]]:
    """The live tail under load and the memory run, in one app session; returns table rows."""
    from flytui.app import FlyTUIApp
    from flytui.service import ConnectionSettings, FlyService

    with connect(address) as client:
        client.create_topic(TAIL_TOPIC, PARTITIONS)
        client.create_topic(MEMORY_TOPIC, PARTITIONS)
    rows: list[tuple[str, str, str]] = []
    service = FlyService(ConnectionSettings(address, timeout_ms=5000))
    app = FlyTUIApp(service, server_label=address, topic=TAIL_TOPIC, refresh=5.0)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            if not await wait_until(lambda: app.ready and app.topic == TAIL_TOPIC, 10):
                raise SystemExit("the app did not open the benchmark topic")
            await pilot.pause(0.2)
            stream = app.stream
            counter = ViewCounter(stream)
            probe = KeyProbe(app, stream)
            await pilot.press("t")
            if not await wait_until(lambda: app.tailing and stream.mode == "tail", 5):
                raise SystemExit("the live tail did not start")
            await pilot.pause(0.5)  # the tail worker has read the (empty) partitions' watermarks
            if not args.skip_tail:
                rows += await live_tail(args, app, pilot, address, counter, probe)
            if not args.skip_memory:
                rows += await memory(args, app, pilot, address, counter)
    finally:
        service.close()
    return rows


async def live_tail(args, app, pilot, address, counter: ViewCounter, probe: KeyProbe) -> list:
    """Part 1 (see the module docstring)."""
    stream = app.stream
    gc.collect()
    rss_before, _ = rss_mb()
    counter.reset()
    total = int(args.rate * args.seconds)
    producer = Producer(address, TAIL_TOPIC, args.rate, total, window=max(int(args.rate), 1000))
    try:
        await asyncio.get_running_loop().run_in_executor(None, producer.started.wait, 10)
        # the producer writes record n in the 50 ms slot in which n/rate falls (at the slot's end)
        counter.sent_at = lambda n: producer.start_time + math.ceil((n + 1) / args.rate / SLOT - 1e-9) * SLOT
        await wait_until(lambda: counter.received > 0, 5, 0.005)
        probe.frames.clear()
        probe.layouts = 0
        gc_pauses = GcPauses()
        wall, cpu, ui_cpu = time.perf_counter(), time.process_time(), time.thread_time()
        presses = 0
        while not producer.finished.is_set():
            began = time.perf_counter()
            await probe.press(pilot, probe.next_key(presses))
            presses += 1
            await asyncio.sleep(max(0.0, KEY_INTERVAL - (time.perf_counter() - began)))
        await probe.finish()
        gc_summary = gc_pauses.close()
        span = time.perf_counter() - wall
        cpu, ui_cpu = (time.process_time() - cpu) / span, (time.thread_time() - ui_cpu) / span
        produced = producer.report
        acked = produced.get("acked", 0)
        window = producer.end_time - producer.start_time
        in_window = counter.at(producer.end_time)
        lag_end = acked - in_window
        await asyncio.sleep(1.0)
        lag_later = acked - counter.received
        await drain(counter, acked, quiet=2.0, limit=10)
    finally:
        producer.stop()
        counter.sent_at = None
    rss_after, hwm = rss_mb()
    rows = [
        ("1. LIVE TAIL END TO END", f"{PARTITIONS} partitions, {args.seconds:g} s", ""),
        ("producer: records/s acknowledged (asked)", f"{produced.get('rate', 0):,.0f} ({args.rate:,.0f})",
         f"{acked:,} records, {produced.get('errors', 0)} errors, {produced.get('behind', 0)} slots behind"),
        ("view: records/s received while producing", f"{in_window / window if window > 0 else 0:,.0f}",
         f">= {args.rate:,.0f} ({in_window / max(acked, 1):.1%} of the records produced by then)"),
        ("lag at end: produced - received (records)", f"{lag_end:,}", f"1 s later: {lag_later:,}; "
         f"finally {acked - counter.received:,}"),
        ("record latency: producer write -> view p50 / p99 / max (ms)",
         triple(percentiles(counter.latencies)), "oldest record of each batch"),
        ("tail batches: count, records per batch (mean)",
         f"{counter.batches:,}, {counter.received / max(counter.batches, 1):,.0f}", ""),
        ("append_live of one batch p50 / p99 / max (ms)", triple(percentiles(counter.costs), 2), ""),
        ("key presses measured (cursor did not move)", f"{len(probe.handled)} ({probe.unmoved})",
         "up/down, end every 10th"),
        ("key -> handled p50 / p99 / max (ms)", triple(percentiles(probe.handled)), "p99 < 100",
         percentiles(probe.handled)[1] < 100),
        ("key -> painted p50 / p99 / max (ms)", triple(percentiles(probe.painted)), "p99 < 100",
         percentiles(probe.painted)[1] < 100),
        ("frame render p50 / p99 / max (ms)", triple(percentiles(probe.frames)),
         f"{len(probe.frames) / span:.0f} frames/s, {probe.layouts / span:.0f} full layouts/s"),
        ("app process CPU / UI thread CPU", f"{cpu:.0%} / {ui_cpu:.0%}", "of one core"),
        ("full GC (gen 2) pauses: count, max (ms)", gc_summary, "while keys were pressed"),
        ("RSS before / after (MB)", f"{rss_before:.0f} / {rss_after:.0f}", f"peak {hwm:.0f}"),
        ("records in the view buffer", f"{stream.row_count:,}", "bounded"),
    ]
    if produced.get("error_text"):
        rows.append(("producer error", produced["error_text"][:60], ""))
    return rows


async def memory(args, app, pilot, address, counter: ViewCounter) -> list:
    """Part 2 (see the module docstring)."""
    app._refresh()
    if not await wait_until(lambda: app.topic_info(MEMORY_TOPIC) is not None, 10):
        raise SystemExit("the app did not learn about the memory topic")
    app.open_topic(MEMORY_TOPIC, focus=True)  # the tail is on: it moves to the new topic
    if not await wait_until(lambda: app.tailing and app.stream.topic == MEMORY_TOPIC, 5):
        raise SystemExit("the tail did not move to the memory topic")
    await pilot.pause(0.5)
    gc.collect()
    rss_before, _ = rss_mb()
    counter.reset()
    producer = Producer(address, MEMORY_TOPIC, 0, args.records, window=20_000)
    gc_pauses = GcPauses()
    try:
        await asyncio.get_running_loop().run_in_executor(None, producer.started.wait, 10)
        while not producer.finished.is_set():
            await asyncio.sleep(0.05)
        produced = producer.report
        acked = produced.get("acked", 0)
        lag_end = acked - counter.at(producer.end_time)
        waited = await drain(counter, acked)
    finally:
        producer.stop()
        gc_summary = gc_pauses.close()
    await pilot.pause(0.2)
    rss, hwm = rss_mb()
    gc.collect()
    rss_gc, _ = rss_mb()
    total_time = producer.end_time - producer.start_time + waited
    return [
        (f"2. MEMORY AFTER {args.records:,} RECORDS", "", ""),
        ("producer: records/s acknowledged (max speed)", f"{produced.get('rate', 0):,.0f}",
         f"{acked:,} in {produced.get('elapsed', 0):.1f} s, {produced.get('errors', 0)} errors"),
        ("records the view received", f"{counter.received:,}",
         f"lag at producer end {lag_end:,}, drained in {waited:.1f} s"),
        ("view: records/s received over the whole run", f"{counter.received / total_time:,.0f}", ""),
        ("append_live of one batch p50 / p99 / max (ms)", triple(percentiles(counter.costs), 2),
         f"{counter.batches:,} batches"),
        ("RSS before / at the end (MB)", f"{rss_before:.0f} / {rss:.0f}", f"< 300 ({rss_gc:.0f} after gc)",
         rss < 300),
        ("peak RSS, VmHWM (MB)", f"{hwm:.0f}", ""),
        ("records in the view buffer", f"{app.stream.row_count:,}", "bounded"),
        ("full GC (gen 2) pauses: count, max (ms)", gc_summary, ""),
    ]


# ------------------------------------------------------------------------------------------- 3: start-up

SCREEN_TOPICS = re.compile(r"sensor-readings")
SCREEN_RECORD = re.compile(r"\b0\s+0\s+cust-\d{4}\s+\{\"order_id\"")


def startup_tmux(runs: int, timeout: float = 20.0) -> tuple[list[float], str]:
    """Seconds from launching ``python -m flytui --demo`` in tmux until the full first screen, per run."""
    if shutil.which("tmux") is None:
        return [], "tmux not found"
    times: list[float] = []
    note = ""
    command = f"cd {shlex.quote(str(ROOT))} && exec {shlex.quote(sys.executable)} -m flytui --demo"
    for run in range(runs):
        session = f"flytui-bench-{os.getpid()}-{run}"
        start = time.perf_counter()
        subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "48", command],
                       check=True)
        screen = ""
        try:
            while time.perf_counter() - start < timeout:
                screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                        text=True).stdout
                if SCREEN_TOPICS.search(screen) and SCREEN_RECORD.search(screen):
                    times.append(time.perf_counter() - start)
                    break
                time.sleep(0.02)
            else:
                note = "timed out; last screen: " + " | ".join(screen.strip().splitlines()[:3])[:80]
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        time.sleep(0.3)  # let the killed app and its demo broker go away before the next run
    return times, note


async def startup_headless() -> tuple[float, float, float, float]:
    """(demo start, app constructed -> first refresh, -> first record in the stream, -> first frame painted
    after it), in seconds."""
    from flytui.app import FlyTUIApp
    from flytui.demo import DemoEnvironment
    from flytui.service import ConnectionSettings, FlyService

    begin = time.perf_counter()
    demo = DemoEnvironment()
    address = demo.start()
    demo_time = time.perf_counter() - begin
    try:
        start = time.perf_counter()
        service = FlyService(ConnectionSettings(servers=address))
        app = FlyTUIApp(service, server_label=f"demo broker {address}", demo=True, topic="orders",
                        refresh=5.0)
        painted: list[float] = []
        async with app.run_test(size=(160, 48)):
            await wait_until(lambda: app.overview is not None, 20, 0.002)
            overview = time.perf_counter() - start
            await wait_until(lambda: app.stream.selected_record is not None, 20, 0.002)
            records = time.perf_counter() - start
            compositor = app.screen._compositor
            render_update = compositor.render_update

            def timed(*a, **k):
                try:
                    return render_update(*a, **k)
                finally:
                    painted.append(time.perf_counter() - start)

            compositor.render_update = timed
            await wait_until(lambda: painted, 5, 0.002)
        service.close()
    finally:
        demo.stop()
    return demo_time, overview, records, painted[0] if painted else float("nan")


def startup_rows(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    """Part 3 (see the module docstring)."""
    demo_time, overview, records, painted = asyncio.run(startup_headless())
    rows = [("3. START-UP", "", "")]
    times, note = startup_tmux(args.runs)
    if times:
        rows.append((f"tmux: launch -> topics + records shown ({len(times)} runs) min / median / max (s)",
                     f"{min(times):.2f} / {statistics.median(times):.2f} / {max(times):.2f}", "median < 1.0",
                     statistics.median(times) < 1.0))
    if note:
        rows.append(("tmux: problem", note, ""))
    rows += [
        ("headless: demo broker started and seeded (s)", f"{demo_time:.2f}", "before the app"),
        ("headless: app constructed -> first refresh (topics) loaded (s)", f"{overview:.2f}", ""),
        ("headless: app constructed -> first record in the stream (s)", f"{records:.2f}", ""),
        ("headless: app constructed -> first frame with it (s)", f"{painted:.2f}", ""),
    ]
    return rows


# ------------------------------------------------------------------------------------------- main


def main() -> None:
    """Parse arguments, run, print the table (or, with --producer, be the producer process)."""
    if len(sys.argv) > 1 and sys.argv[1] == "--producer":
        address, topic, rate, total, window = sys.argv[2:7]
        sys.exit(producer_main(address, topic, float(rate), int(total), int(window)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="live tail: how long to produce (s)")
    parser.add_argument("--rate", type=float, default=20_000, help="live tail: records per second")
    parser.add_argument("--records", type=int, default=1_000_000, help="memory: records to push through")
    parser.add_argument("--runs", type=int, default=5, help="start-up: tmux runs")
    parser.add_argument("--skip-tail", action="store_true", help="skip the live-tail run")
    parser.add_argument("--skip-memory", action="store_true", help="skip the memory run")
    parser.add_argument("--skip-startup", action="store_true", help="skip the start-up runs")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    if not (args.skip_tail and args.skip_memory):
        broker, address = start_broker(ROOT)
        try:
            rows += asyncio.run(run_app(args, address))
        finally:
            broker.terminate()
            broker.wait(10)
    if not args.skip_startup:
        rows += startup_rows(args)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    rows.append(("machine: CPUs, load average 1 / 5 / 15 min", f"{os.cpu_count()}, {load}", ""))
    report(rows, args.json)


if __name__ == "__main__":
    main()
