"""Keys live with what they act on (issue 12 §3): each key's help is in its binding, the README's key table
matches the bindings, the dead-letter keys are the dead-letter pane's and enter is the stream's, the topic list
keeps the letters typed into it, and the footer is refreshed when the state it shows changes, not on every key.

The app tests set up through a pyflymq client, so they run against ``FLYMQ_TEST_SERVER`` too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flytui.app import FlyTUIApp
from flytui.keys import KeyBinding
from flytui.widgets.dlq import DeadLettersPane
from flytui.widgets.message_stream import MessageStream
from tests.flytui_helpers import make_app, pilot_test, screen_text, wait_for, wait_idle, wait_ready

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

README = Path(__file__).resolve().parent.parent / "README.md"
CELL_SPLIT = re.compile(r"(?<!\\)\|")
NOT_KEYS = {"/", "…", "or", "a", "letter"}
"""Words of the help screen's key column that join keys (``/`` alone is the filter key)."""
LIST_KEYS = {"pgup", "pgdn"}
"""Keys the README names that Textual's scrolling lists handle (no flytui binding, no help line)."""


def readme_key_table() -> list[list[str]]:
    """The cells of each row of the README's ``## Keys`` table (header and rule left out)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Keys\n", 1)[1]
    rows = []
    for line in section.splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in CELL_SPLIT.split(line.strip())[1:-1]]
        if cells and not set(cells[0]) <= set("-: "):
            rows.append(cells)
    return rows[1:]  # the header


def ticked(text: str) -> set[str]:
    """The ``code`` spans of a Markdown text."""
    return set(re.findall(r"`([^`]+)`", text))


def help_keys(shown: str) -> set[str]:
    """The keys a help row names (``"j / k, ↑ / ↓"`` -> j, k, ↑, ↓)."""
    if shown.strip() == "/":
        return {"/"}
    return {token for token in re.split(r"[\s,]+", shown) if token and token not in NOT_KEYS}


def test_the_readme_key_table_matches_the_bindings():
    rows = readme_key_table()
    assert len(rows) >= 15, rows
    documented = set().union(*(ticked(" ".join(cells)) for cells in rows))
    listed = set().union(*(ticked(cells[0]) for cells in rows))
    bound = set().union(*(help_keys(key) for key, _, _ in FlyTUIApp.help_rows()))
    assert bound - documented == set(), "keys with a help line that the README's key table does not name"
    assert listed - bound - LIST_KEYS == set(), "keys in the README's key column that no binding has"


def test_help_is_read_from_the_bindings():
    rows = FlyTUIApp.help_rows()
    for binding in FlyTUIApp.BINDINGS:
        if isinstance(binding, KeyBinding) and binding.tooltip:
            where = binding.section or "Everywhere"
            key = binding.help_key or binding.key_display or binding.key
            assert (key, binding.tooltip, where) in rows, binding
    assert ("r", "Replay the selected dead letter to its original topic", "Dead letters") in rows
    assert ("ctrl+a", "All partitions on / off (seek and commit)", "Dialogs") in rows
    written = {row for row in rows if row[0] in ("c", "u", "p", "e", "r", "R", "D")}
    assert len(written) == 7
    assert not written & set(FlyTUIApp.help_rows(read_only=True)), "read-only help lists no write key"


def test_keys_of_one_pane_are_that_panes():
    app_actions = {b.action for b in FlyTUIApp.BINDINGS if isinstance(b, KeyBinding)}
    dead_letters = {b.action for b in DeadLettersPane.BINDINGS if isinstance(b, KeyBinding)}
    assert dead_letters == {"replay_one", "replay_all", "purge_dlq"}
    assert not dead_letters & app_actions
    stream_enter = [b for b in MessageStream.BINDINGS if isinstance(b, KeyBinding) and b.key == "enter"]
    assert [b.action for b in stream_enter] == ["request_detail"]
    assert not any(isinstance(b, KeyBinding) and b.key == "enter" for b in FlyTUIApp.BINDINGS)


def one_partition_topic(flymq, prefix: str, values: list[bytes | str]) -> tuple[str, object]:
    """A fresh one-partition topic holding ``values`` (record ``i`` at offset ``i``); returns it and a client."""
    client = flymq.client()
    topic = flymq.topic(prefix)
    client.create_topic(topic, 1)
    for value in values:
        client.produce(topic, value)
    return topic, client


def enabled_actions(app) -> set[str]:
    return {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}


def footer_text(app) -> str:
    return screen_text(app).splitlines()[-1]


@pilot_test
async def test_dead_letter_keys_apply_only_while_the_dead_letters_have_the_focus(flymq):
    topic, client = one_partition_topic(flymq, "dlqkeys", [b"x"])
    client.produce(f"{topic}.dlq", json.dumps({"id": "m1", "original_topic": topic, "original_offset": 0,
                                               "payload": "aGk=", "error_message": "boom", "retry_count": 3}))
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: app.dlq_records, what="dead letters")
        await pilot.press("6", "3")  # the dead letters' tab stays open, the stream has the focus
        await wait_for(pilot, lambda: app.focused is app.stream, what="stream focused")
        assert app.bottom.active == "tab-dlq"
        assert not enabled_actions(app) & {"replay_one", "replay_all", "purge_dlq"}
        assert "Replay" not in footer_text(app)
        await pilot.press("r")
        await wait_idle(pilot, app)
        assert app.screen is app.screen_stack[0], "r replays only from the dead letters"
        await pilot.press("6")
        await wait_for(pilot, lambda: "Replay" in footer_text(app), what="the pane's keys in the footer")
        assert {"replay_one", "replay_all", "purge_dlq"} <= enabled_actions(app)
        await pilot.press("r")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="replay confirmation")
        assert "Replay dead letter m1?" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="confirmation closed")
    app.service.close()
    assert client.watermarks(topic, 0)[1] == 1, "nothing was replayed"


@pilot_test
async def test_letters_typed_in_the_topic_list_filter_it_instead_of_running_keys(flymq):
    topic, _ = one_partition_topic(flymq, "letters", [b"x"])
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("1")
        await wait_for(pilot, lambda: app.focused is app.topics_pane.option_list, what="topic list focused")
        shown = enabled_actions(app)
        assert {"quit", "help"} <= shown
        assert not shown & {"seek", "tail", "commit", "decode_mode", "export", "produce"}
        assert "Seek" not in footer_text(app) and "Quit" in footer_text(app)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.topics_pane.filter_input.value == "s", what="typed into the filter")
        assert app.screen is app.screen_stack[0], "s typed into the topic filter must not open the seek dialog"
    app.service.close()


@pilot_test
async def test_the_footer_follows_the_filter_but_is_not_rebuilt_by_moving_the_cursor(flymq):
    topic, _ = one_partition_topic(flymq, "footer", [json.dumps({"i": i, "kind": "needle" if i % 5 == 0 else "hay"})
                                                     for i in range(30)])
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: app.stream.selected_record is not None, what="first record")
        await wait_idle(pilot, app)
        assert "Next match" not in footer_text(app)
        refreshes: list[object] = []
        app.screen.bindings_updated_signal.subscribe(app, refreshes.append)
        for _ in range(5):
            await pilot.press("j")
            await pilot.pause(0.12)  # past the stream's highlight interval: each move reaches the app
        await wait_idle(pilot, app)
        assert app.stream.selected_record is not None and app.stream.selected_record.offset == 5
        assert refreshes == [], "moving the cursor must not rebuild the footer"
        await pilot.press("slash")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "FilterScreen", what="filter dialog")
        await pilot.press(*"needle", "enter")
        await wait_for(pilot, lambda: app.search_pattern == "needle", what="filter applied")
        await wait_for(pilot, lambda: "Next match" in footer_text(app), what="n in the footer")
        app.screen.bindings_updated_signal.unsubscribe(app)
    app.service.close()
