"""Make the screenshots of flytui's main views from the deterministic demo data.

    python screenshots/make_screenshots.py [--size 160x48] [--out screenshots]

Starts the built-in demo broker without the live producer, drives the app headless (``App.run_test``) into
each view and saves ``<view>.svg`` next to this file; with ``rsvg-convert`` on the PATH (Debian/Ubuntu:
``apt-get install librsvg2-bin``) each SVG is also converted to ``<view>.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flytui.app import FlyTUIApp  # noqa: E402
from flytui.demo import DemoData, DemoEnvironment, fill_history  # noqa: E402
from flytui.service import ConnectionSettings, FlyService  # noqa: E402


async def wait_for(pilot, condition, timeout: float = 10.0) -> None:
    """Let the app run until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # noqa: BLE001 - widgets not there yet
            pass
        await pilot.pause(0.02)
    raise TimeoutError(f"view did not come up: {condition}")


async def settle(pilot, app: FlyTUIApp) -> None:
    """Workers done, toasts gone, cursors not blinking."""
    from textual.widgets import Input

    await wait_for(pilot, lambda: not [w for w in app.workers if w.is_running and w.group != "tail"])
    await pilot.pause(0.3)
    app.clear_notifications()
    for box in app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause(0.2)


async def ready(pilot, app: FlyTUIApp) -> None:
    """The first refresh opened ``orders`` and its dead letters are loaded."""
    await wait_for(pilot, lambda: app.ready and app.topic == "orders" and app.stream.selected_record)
    await wait_for(pilot, lambda: app.dlq_records)


async def view_main(pilot, app, demo) -> None:
    """Topics, partitions, the message stream and the record detail."""
    await settle(pilot, app)


async def view_detail(pilot, app, demo) -> None:
    """A JSON order in the detail pane."""
    app.action_focus_pane("partitions")
    await pilot.press("j", "j", "enter")
    await wait_for(pilot, lambda: app.stream.selected_record.partition == 2)
    await pilot.press(*"jjjjj", "enter")
    await settle(pilot, app)


async def view_groups(pilot, app, demo) -> None:
    """Consumer groups of ``orders`` with their lag."""
    await pilot.press("5")
    await wait_for(pilot, lambda: app.focused is app.groups.table)
    await pilot.press(*"jjjjjjjjjjjjjj")
    await settle(pilot, app)


async def view_commit_plan(pilot, app, demo) -> None:
    """The dry-run plan for moving shipping-service to latest on all partitions."""
    from textual.widgets import RadioButton

    await pilot.press("5")
    await wait_for(pilot, lambda: app.focused is app.groups.table)
    await pilot.press(*"jjjjjjjjjjjjjj", "c")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "CommitTargetScreen")
    app.screen.query_one("#kind-latest", RadioButton).value = True
    app.screen.query_one("#scope-all", RadioButton).value = True
    await pilot.pause(0.1)
    await pilot.press("p")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "CommitPlanScreen")
    await settle(pilot, app)


async def view_undo_plan(pilot, app, demo) -> None:
    """``u``: the plan back to the offsets a commit replaced (a commit journaled at a fixed time)."""
    from flytui.commit_journal import append_commit

    saved = {0: (120, 200), 1: (95, 200), 2: (130, 200), 3: (101, 200), 4: (88, 200), 5: (None, 200)}
    append_commit(demo.address, "orders", "shipping-service", saved, now=1767436923.0)
    await pilot.press("3", "u")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "CommitPlanScreen")
    await settle(pilot, app)


async def view_dead_letters(pilot, app, demo) -> None:
    """The dead letters of ``orders``, the poison message selected."""
    await pilot.press("6")
    await wait_for(pilot, lambda: app.focused is app.dlq.table)
    await pilot.press("G")
    await wait_for(pilot, lambda: getattr(app.detail.record, "id", None) == "dlq-0010")
    await settle(pilot, app)


async def view_filter(pilot, app, demo) -> None:
    """Partition 0 of ``orders`` through the server-side filter ``cancelled``."""
    await pilot.press("3", "slash")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "FilterScreen")
    await pilot.press(*"cancelled", "enter")
    await wait_for(pilot, lambda: app.stream.filtered and app.stream.selected_record)
    await settle(pilot, app)


async def view_tail(pilot, app, demo) -> None:
    """The live tail of ``orders`` after 40 new orders (written in-process, deterministically)."""
    await pilot.press("3", "t")
    await wait_for(pilot, lambda: app.stream.mode == "tail")
    await pilot.pause(0.4)
    data = DemoData(seed=7)
    for _ in range(40):
        key, value = data.order()
        demo.broker.produce("orders", value, key=key)
    await wait_for(pilot, lambda: app.stream.row_count >= 40)
    await settle(pilot, app)


async def view_search(pilot, app, demo) -> None:
    """``F``: a whole-topic search of ``orders`` with a predicate on decoded values, finished."""
    import dataclasses

    await pilot.press("3", "F")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "TopicSearchScreen")
    await pilot.press(*'$.items[*].sku == "SKU-7002" and $.status == "cancelled"', "enter")
    await wait_for(pilot, lambda: app.topic_search.snapshot is not None and app.topic_search.snapshot.finished)
    state = app.topic_search  # the rate and timings depend on the machine: show fixed ones
    state.snapshot = dataclasses.replace(state.snapshot, elapsed=0.5, first_match_after=0.01)
    app.screen.show(state)


async def view_lag_chart(pilot, app, demo) -> None:
    """``v``: the lag chart of shipping-service over rates and sparklines (a made-up 15 minutes, fixed times)."""
    fill_history(app.history, app.overview, end=1767436923.0)
    app.redraw_history()
    await wait_for(pilot, lambda: app.groups.select_group("shipping-service"))
    await pilot.press("3", "v")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "LagChartScreen")
    await settle(pilot, app)


async def view_help(pilot, app, demo) -> None:
    """The key reference (``?``)."""
    await pilot.press("question_mark")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
    await settle(pilot, app)


VIEWS = [("main", view_main), ("detail", view_detail), ("groups", view_groups),
         ("commit-plan", view_commit_plan), ("undo-plan", view_undo_plan), ("dead-letters", view_dead_letters),
         ("filter", view_filter), ("search", view_search), ("lag-chart", view_lag_chart), ("help", view_help),
         ("live-tail", view_tail)]  # the tail writes to the broker: keep it last


async def shoot(demo: DemoEnvironment, name: str, view, out: Path, size: tuple[int, int]) -> Path:
    """Run one view and save its SVG."""
    service = FlyService(ConnectionSettings(demo.address))
    app = FlyTUIApp(service, server_label="demo broker", demo=True, topic="orders", refresh=0)
    try:
        async with app.run_test(size=size) as pilot:
            await ready(pilot, app)
            await view(pilot, app, demo)
            path = out / f"{name}.svg"
            app.save_screenshot(filename=path.name, path=str(out))
    finally:
        service.close()
    return path


def main(argv: list[str] | None = None) -> int:
    """Make every screenshot; prints what it wrote."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="160x48", help="terminal size WIDTHxHEIGHT (default 160x48)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent), help="output folder")
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rsvg = shutil.which("rsvg-convert")
    # the undo view journals a commit by hand: into a state directory of its own, never the user's
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="flytui-screenshots-")
    with DemoEnvironment(deterministic=True) as demo:
        for name, view in VIEWS:
            svg = asyncio.run(shoot(demo, name, view, out, (width, height)))
            line = f"wrote {svg}"
            if rsvg:
                png = svg.with_suffix(".png")
                subprocess.run([rsvg, str(svg), "-o", str(png)], check=True)
                line += f" and {png.name}"
            print(line)
    if not rsvg:
        print("rsvg-convert not found: SVGs only (apt-get install librsvg2-bin for PNGs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
