"""Startup work (issue 10): what the first screen does not need is not imported, ``--demo`` starts its broker
process before the heavy imports, the first refresh pass is read before the app runs and shown as it is, and a
bindings change repaints the footer's line instead of mounting a widget per key. Timings are for
benchmarks/bench_startup.py."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

import flytui.app
from flytui.app import FlyTUIApp
from flytui.service import ConnectionSettings, FlyService
from flytui.widgets.key_footer import KeyFooter
from tests.flytui_helpers import make_app, pilot_test, screen_text, wait_for, wait_idle, wait_ready

LOADED_AT_FIRST_USE = (
    "fastavro", "msgpack", "tomllib", "tomli",
    # the dialogs and what only they use: imported when a key opens one, or while idle after the first screen
    "flytui.screens.commit_plan", "flytui.screens.offsets_export", "flytui.screens.produce",
    "flytui.screens.export", "flytui.screens.filter", "flytui.screens.topic_search", "flytui.screens.schema_pick",
    "flytui.screens.tail_backlog", "flytui.screens.confirm", "flytui.commit_journal", "flytui.clipboard",
    "flytui.record_query", "flytui.topic_search", "flytui.export",
)
HEAVY_FOR_THE_DEMO_LAUNCH = ("pyflymq", "textual", "rich", "flytui.service", "flytui.app")
"""What ``flytui --demo`` has not imported yet when it starts the demo's process (it makes its data meanwhile)."""


def _run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def test_the_first_screen_imports_no_decoder_config_or_dialog_modules():
    code = ("import sys, flytui.cli, flytui.app, flytui.demo, flytui.service; "
            f"print(' '.join(m for m in {LOADED_AT_FIRST_USE!r} if m in sys.modules))")
    assert _run_python(code).split() == []


def test_the_demo_process_is_launched_before_pyflymq_and_textual_are_imported():
    # The launch is stopped right there (the OSError is reported like a demo that cannot start): what matters
    # is what was imported by then.
    code = f"""
import sys
from flytui import demo_process

seen = []

def launch(self):
    seen.extend(m for m in {HEAVY_FOR_THE_DEMO_LAUNCH!r} if m in sys.modules)
    raise OSError("stopped by the test")

demo_process.DemoProcess.launch = launch
from flytui.cli import main

status = main(["--demo"])
print(status, *seen)
"""
    assert _run_python(code).split() == ["2"]


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pilot_test
async def test_the_first_refresh_read_before_the_app_runs_is_shown_then_the_next_reads_anew(flymq):
    client = flymq.client()
    topic, later = flymq.topic(), flymq.topic()
    client.create_topic(topic, 2)
    client.produce(topic, b"first-value", key=b"k")
    app = make_app(flymq.address, topic=topic)
    app.service.start_first_refresh()
    assert app.service.wait_first_refresh(30)
    client.create_topic(later, 1)  # after the first pass was read: the first screen does not know it yet
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_idle(pilot, app)
        names = {t.name for t in app.overview.topics} if app.overview else set()
        assert topic in names and later not in names
        assert app.header.state == "connected"  # set by the pass read before the app was attached
        assert "connected" in screen_text(app).splitlines()[0]
        app.action_refresh_now()
        await wait_for(pilot, lambda: app.topic_info(later) is not None, what="the next refresh reads anew")
    app.service.close()


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pilot_test
async def test_a_first_refresh_that_failed_before_the_app_runs_shows_the_connection_state():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    app = make_app(address)
    app.service.start_first_refresh()
    assert app.service.wait_first_refresh(30)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.header.state == "reconnecting", what="the header says reconnecting")
        await wait_idle(pilot, app)
        assert app.overview is None
        assert "reconnecting" in screen_text(app).splitlines()[0]
    app.service.close()


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


@pytest.mark.parametrize(("size", "expected"), [((160, 45), {"-wide", "-tall"}), ((100, 30), {"-narrow", "-short"})])
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pilot_test
async def test_the_screen_has_its_size_classes_before_its_first_layout(flymq, size, expected):
    # Without them at mount, Textual adds them at its first resize and styles and lays out every widget again.
    at_mount: list[set[str]] = []

    class RecordingApp(FlyTUIApp):
        CSS_PATH = str(Path(flytui.app.__file__).with_name("flytui.tcss"))  # (relative: to this file)

        def on_mount(self) -> None:
            super().on_mount()
            at_mount.append(set(self.screen.classes) & {"-wide", "-narrow", "-tall", "-short"})

    app = RecordingApp(FlyService(ConnectionSettings(flymq.address, timeout_ms=3000)), refresh=0)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: at_mount, what="the app mounted")
        assert at_mount == [expected]
        await wait_idle(pilot, app)
        assert set(app.screen.classes) & {"-wide", "-narrow", "-tall", "-short"} == expected
    app.service.close()


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pilot_test
async def test_the_first_records_and_dead_letters_read_before_the_app_runs_are_handed_to_it(flymq):
    client = flymq.client()
    topic = flymq.topic()
    dlq = f"{topic}.dlq"
    client.create_topic(topic, 1)
    client.create_topic(dlq, 1)
    for i in range(5):
        client.produce(topic, f"value-{i}".encode(), key=f"key-{i}".encode())
    for i in range(2):
        client.produce(dlq, f"dead letter {i}".encode())
    fetched: list[tuple[int, int]] = []

    class CountingService(FlyService):
        """Notes every read of the topic's records (the reads still go to the broker)."""

        def fetch_page_sync(self, topic_name, partition, offset, count, filter=None, role="browse"):
            if topic_name == topic:
                fetched.append((partition, offset))
            return super().fetch_page_sync(topic_name, partition, offset, count, filter, role)

    service = CountingService(ConnectionSettings(flymq.address, timeout_ms=3000))
    app = FlyTUIApp(service, server_label="flymq-test:9092", topic=topic, refresh=0)
    service.start_first_refresh(topic, 50)
    assert service.wait_first_refresh(30)
    assert fetched == [(0, 0)]
    client.produce(dlq, b"dead letter read after the first screen's")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_idle(pilot, app)
        assert fetched == [(0, 0)], "the app read the first records again"
        record = app.stream.selected_record
        assert record is not None and (record.offset, record.value) == (0, b"value-0")
        shown = screen_text(app)
        assert "value-4" in shown and "Dead letters 2" in shown
        assert "Key mode" in shown  # the detail pane shows the selected record
        app.action_refresh_now()
        await wait_for(pilot, lambda: "Dead letters 3" in screen_text(app), what="the dead letters read anew")
        await wait_idle(pilot, app)
    service.close()
