"""Startup work (issue 10): what the first screen does not need is not imported, and a bindings change
repaints the footer's line instead of mounting a widget per key. Timings are for benchmarks/bench_startup.py."""

from __future__ import annotations

import subprocess
import sys

import pytest

from flytui.widgets.key_footer import KeyFooter
from tests.flytui_helpers import make_app, pilot_test, screen_text, wait_idle, wait_ready

LOADED_AT_FIRST_USE = ("fastavro", "msgpack", "tomllib", "tomli")


def test_the_first_screen_imports_no_decoder_or_config_packages():
    code = ("import sys, flytui.cli, flytui.app, flytui.demo, flytui.service; "
            f"print(' '.join(m for m in {LOADED_AT_FIRST_USE!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == []


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pilot_test
async def test_bindings_changes_repaint_the_footer_line_and_mount_nothing(flymq):
    topic = flymq.topic()
    flymq.client().create_topic(topic, 1)
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_idle(pilot, app)
        footer = app.query_one(KeyFooter)
        widgets = len(list(app.screen.walk_children()))
        for _ in range(6):
            app.screen.refresh_bindings()
        await pilot.pause(0.3)
        assert not footer.children, "the footer mounted widgets"
        assert len(list(app.screen.walk_children())) == widgets
        assert {"q", "question_mark", "s"} <= {entry.key for entry in footer.entries}
        shown = screen_text(app).splitlines()[-1]
        assert "Quit" in shown and "Help" in shown and "Seek" in shown
    app.service.close()
