"""Incident-path benchmark: every key of the keyboard-only incident path, timed on the demo with its live producer.

    python benchmarks/bench_incident.py [--rounds 3]

As ``flytui --demo`` runs it: the demo broker and its live producer in their own process, the full ``FlyTUIApp``
headless (160x48) on ``orders`` with ``--group billing-service``. A fixed script of keys walks the incident
path from the keyboard alone, ``--rounds`` times, starting 2 s after the first screen (the app builds its
dialogs ahead while no key is pressed; a first opening before that costs 90-170 ms): focus the groups, seek
(``s``, type ``end-10``, tab through the dialog, enter), filter and step through matches (``/``, ``n``, ``N``), tail and stop it (``t``), tail with a
backlog (``T``), open the commit target and tab through it, open the plan and step back with ``esc``, undo
with nothing to undo (``u``), save offsets (``X``), help, export and produce dialogs (cancelled: nothing is
written), decode modes and copy.

key -> painted, per press: the key is sent as the terminal driver sends it; once the app, then the screen, then
the focused widget have handled everything queued up to it (the path a key takes), the time to the end of the
next frame painted, when the screen then has something to paint; when it has nothing left to paint (the key
changed nothing on screen, or its frame came while it was handled), the time it was handled: a later frame
(a cursor blink, a refresh) is not the key's. Target: p99 < 100 ms. Prints a table; not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from _measure import percentiles, report, triple  # noqa: E402

SCRIPT: list[str] = [
    "5", "down", "up",
    "3", "s", *"end-10", "tab", "tab", "shift+tab", "shift+tab", "enter",
    "slash", *"SKU-7002", "enter", "n", "n", "N", "slash", "ctrl+u", "enter",
    "t", "up", "up", "down", "t",
    "T", "enter", "t",
    "c", "tab", "tab", "tab", "shift+tab", "escape",
    "c", "p", "escape", "escape",
    "u",
    "X", "tab", "escape",
    "question_mark", "escape",
    "x", "tab", "escape",
    "p", "shift+tab", "shift+tab", "shift+tab", *"k1", "tab", "tab", "tab", *"v1", "escape",
    "d", "d", "y",
]


async def _drain(pump) -> None:
    """Wait until ``pump`` has processed every message queued before now."""
    done = asyncio.Event()
    if pump.call_later(done.set):
        await asyncio.wait_for(done.wait(), 5)


async def send_key(app, key: str) -> bool:
    """Send ``key`` as the terminal would, and return once the app, the screen and the focused widget have
    handled it (each in turn: the app forwards the key to the screen, the screen to the focused widget), and
    the screen has taken the repaints that handling asked for."""
    from textual import events
    from textual.keys import _character_to_key

    names = {"slash": "/", "question_mark": "?", "space": " "}
    char = key if len(key) == 1 else names.get(key)
    event = events.Key(_character_to_key(key) if len(key) == 1 else key, char)  # "-" comes as "minus"
    event.set_sender(app)
    app._driver.send_message(event)
    try:
        await _drain(app)
        await _drain(app.screen)
        if app.focused is not None:
            await _drain(app.focused)
        await _drain(app.screen)  # the repaints the focused widget asked for reach the screen
    except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - a widget went away while handling
        return False
    return True


def needs_paint(screen) -> bool:
    """Whether the screen has changes waiting for its next frame (widgets to repaint, a layout, a scroll)."""
    return bool(screen._dirty_widgets or screen._layout_required or screen._repaint_required
                or screen._scroll_required)


async def run(args) -> list:
    """Drive the script; return the table rows."""
    from flytui.app import FlyTUIApp
    from flytui.demo_process import DemoProcess
    from flytui.service import ConnectionSettings, FlyService

    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="flytui-bench-state-")  # no journal of the user's
    demo = DemoProcess()  # as flytui --demo runs it: broker, data and live producer in their own process
    demo.launch()
    address = demo.wait_address()
    service = FlyService(ConnectionSettings(address, timeout_ms=5000))
    app = FlyTUIApp(service, server_label=f"demo broker {address}", demo=True, topic="orders",
                    group="billing-service", refresh=5.0)
    samples: list[float] = []
    cpu_samples: list[float] = []  # the UI thread's CPU time over the same spans
    by_key_cpu: dict[str, list[float]] = defaultdict(list)
    by_key: dict[str, list[float]] = defaultdict(list)
    errors = 0
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            deadline = time.perf_counter() + 20
            while not (app.ready and app.stream.selected_record is not None):
                if time.perf_counter() > deadline:
                    raise SystemExit("the demo did not open")
                await asyncio.sleep(0.02)
            await pilot.pause(2.0)  # a person reads the first screen; the app builds its dialogs ahead meanwhile
            frames: list[float] = []
            frame_cpu: list[float] = []  # the UI thread's CPU clock at the end of each frame

            def hook(screen) -> None:
                compositor = screen._compositor
                if getattr(compositor, "_bench_hooked", False):
                    return
                original = compositor.render_update

                def timed(*a, **k):
                    try:
                        return original(*a, **k)
                    finally:
                        frames.append(time.perf_counter())
                        frame_cpu.append(time.thread_time())

                compositor.render_update = timed
                compositor._bench_hooked = True

            for _ in range(args.rounds):
                for key in SCRIPT:
                    hook(app.screen)
                    frames.clear()
                    frame_cpu.clear()
                    sent, cpu_sent = time.perf_counter(), time.thread_time()
                    if not await send_key(app, key):
                        errors += 1
                    handled, cpu_handled = time.perf_counter(), time.thread_time()
                    hook(app.screen)  # a dialog may have opened: its screen paints from now on
                    if needs_paint(app.screen):
                        end = handled + 0.25
                        while time.perf_counter() < end and not any(f > handled for f in frames):
                            await asyncio.sleep(0.001)
                        index = next((i for i, f in enumerate(frames) if f > handled), None)
                        painted = handled if index is None else frames[index]
                        cpu_painted = cpu_handled if index is None else frame_cpu[index]
                    else:  # painted while it was handled, or nothing to paint: not a later, unrelated frame
                        painted, cpu_painted = handled, cpu_handled
                    samples.append(painted - sent)
                    cpu_samples.append(cpu_painted - cpu_sent)
                    by_key_cpu[key].append(cpu_painted - cpu_sent)
                    by_key[key].append(painted - sent)
                    await asyncio.sleep(0.08)  # a person's pace, not a flood
                while len(app.screen_stack) > 1:  # leave any dialog the script left open
                    await send_key(app, "escape")
    finally:
        service.close()
        demo.stop()
    late = percentiles(samples)
    slowest = sorted(by_key.items(), key=lambda item: -max(item[1]))[:4]
    return [
        ("presses timed", f"{len(samples)}", f"{args.rounds} rounds of {len(SCRIPT)} keys; {errors} failed"),
        ("key -> painted (ms): p50 / p99 / max", triple(late), "p99 < 100", late[1] < 100),
        ("UI thread's own CPU over those spans (ms): p50 / p99 / max", triple(percentiles(cpu_samples)),
         "the rest is waiting: for the CPU, the GIL, the screen's next frame"),
        ("UI-thread CPU, costliest keys (median ms)", ", ".join(
            f"{key} {sorted(v)[len(v) // 2] * 1000:.0f}" for key, v in
            sorted(by_key_cpu.items(), key=lambda i: -sorted(i[1])[len(i[1]) // 2])[:5]), ""),
        ("slowest keys (max ms)", ", ".join(f"{key} {max(v) * 1000:.0f}" for key, v in slowest), ""),
        ("slowest keys (median ms)", ", ".join(f"{key} {sorted(v)[len(v) // 2] * 1000:.0f}" for key, v in
                                               sorted(by_key.items(), key=lambda i: -sorted(i[1])[len(i[1]) // 2])[:5]),
         ""),
    ]


def main() -> None:
    """Parse arguments, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()
    rows = asyncio.run(run(args))
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    rows.append(("machine: CPUs, load average 1 / 5 / 15 min", f"{os.cpu_count()}, {load}", ""))
    report(rows, args.json)


if __name__ == "__main__":
    main()
