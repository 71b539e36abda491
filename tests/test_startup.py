"""Startup work (issue 10): what the first screen does not need is not imported, and the footer is rebuilt once
for a burst of bindings changes instead of once per change. Timings are for benchmarks/bench_startup.py."""

from __future__ import annotations

import subprocess
import sys

import pytest

from flytui.widgets.footer import CoalescingFooter
from tests.flytui_helpers import make_app, pilot_test, screen_text, wait_for, wait_idle, wait_ready

LOADED_AT_FIRST_USE = ("fastavro", "msgpack", "tomllib", "tomli")


def test_the_first_screen_imports_no_decoder_or_config_packages():
    code = ("import sys, flytui.cli, flytui.app, flytui.demo, flytui.service; "
            f"print(' '.join(m for m in {LOADED_AT_FIRST_USE!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == []


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pilot_test
async def test_a_burst_of_bindings_changes_rebuilds_the_footer_once(flymq):
    topic = flymq.topic()
    flymq.client().create_topic(topic, 1)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_idle(pilot, app)
        footer = app.query_one(CoalescingFooter)
        rebuilds = []
        rebuild = footer.recompose

        async def counted() -> None:
            rebuilds.append(1)
            await rebuild()

        footer.recompose = counted  # type: ignore[method-assign]
        for _ in range(6):
            app.screen.refresh_bindings()
        await wait_for(pilot, lambda: rebuilds, what="a footer rebuild")
        await pilot.pause(0.3)
        assert len(rebuilds) == 1
        app.screen.refresh_bindings()  # a change after that rebuild started gets a rebuild of its own
        await wait_for(pilot, lambda: len(rebuilds) == 2, what="a second footer rebuild")
        await pilot.pause(0.3)
        assert len(rebuilds) == 2
        shown = screen_text(app).splitlines()[-1]
        assert "Quit" in shown and "Help" in shown
    app.service.close()
