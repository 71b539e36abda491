"""Dialogs open without parsing CSS: the app reads every dialog's styles while idle after its first screen.

Without the warm-up, the first opening of each dialog in a session added its widgets' default CSS to the
stylesheet and parsed the whole stylesheet again (benchmarks/bench_incident.py: the slowest presses).
"""

from __future__ import annotations

import pytest
from textual.css.stylesheet import Stylesheet

from flytui.screens._dialog import Dialog
from flytui.style_warmup import dialog_widget_classes, warm_dialog_styles
from tests.flytui_helpers import make_app, pilot_test, wait_for, wait_ready

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

DIALOG_KEYS = ["s", "c", "p", "x", "X", "question_mark", "T", "slash"]
"""Keys that open a dialog from the stream (each is closed with esc before the next)."""


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """A list that grows by one at each parse of a stylesheet from now on."""
    parses: list[None] = []
    original = Stylesheet.parse

    def counted(self: Stylesheet) -> None:
        parses.append(None)
        original(self)

    monkeypatch.setattr(Stylesheet, "parse", counted)
    return parses


def test_the_classes_read_include_every_dialog_and_the_widgets_they_use() -> None:
    classes = set(dialog_widget_classes())
    names = {cls.__name__ for cls in classes}
    assert {"SeekScreen", "CommitTargetScreen", "ProduceScreen", "ExportScreen", "HelpScreen"} <= names
    assert {"Input", "Button", "RadioSet", "RadioButton"} <= names
    assert Dialog in classes


@pilot_test
async def test_dialogs_open_without_parsing_css_once_the_app_is_ready(flymq, monkeypatch) -> None:
    topic = flymq.topic("warm")
    client = flymq.client()
    client.create_topic(topic, 2)
    for i in range(10):
        client.produce(topic, f'{{"n": {i}}}'.encode(), key=f"k{i}".encode())
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: warm_dialog_styles(app) == 0, what="the dialogs' styles read")
        parses = count_parses(monkeypatch)
        await pilot.press("3")
        opened = []
        for key in DIALOG_KEYS:
            await pilot.press(key)
            await wait_for(pilot, lambda: len(app.screen_stack) > 1, what=f"a dialog from {key}")
            opened.append(type(app.screen).__name__)
            await pilot.press("escape")
            await wait_for(pilot, lambda: len(app.screen_stack) == 1, what=f"the dialog from {key} closed")
        assert len(set(opened)) == len(DIALOG_KEYS), opened
        assert len(parses) == 0, f"opening {opened} parsed the stylesheet {len(parses)} times"


@pilot_test
async def test_without_the_warm_up_a_first_opening_parses_css(flymq, monkeypatch) -> None:
    """The test above can fail: the same first opening parses when nothing read the styles before."""
    monkeypatch.setattr("flytui.app.FlyTUIApp._warm_dialog_styles", lambda self: None)
    topic = flymq.topic("cold")
    client = flymq.client()
    client.create_topic(topic, 1)
    client.produce(topic, b'{"n": 1}')
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        parses = count_parses(monkeypatch)
        await pilot.press("3", "c")
        await wait_for(pilot, lambda: len(app.screen_stack) > 1, what="the commit dialog")
        assert len(parses) >= 1
