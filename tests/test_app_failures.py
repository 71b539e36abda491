"""What the user is told when a background operation finishes or fails: each kind of result reaches the screen
as a toast (title and text) or in its dialog, with the words describe_error gives for the error.

The failures are real: a topic deleted under the app (works against ``FLYMQ_TEST_SERVER`` too) or the
built-in broker stopped under it.
"""

from __future__ import annotations

import base64
import json

import pytest

from flytui.service import describe_error
from pyflymq.errors import FlyMQError
from tests.conftest import EXTERNAL_SERVER
from tests.flytui_helpers import make_app, pilot_test, screen_text, wait_for, wait_ready

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

STOPS_THE_BROKER = pytest.mark.skipif(
    bool(EXTERNAL_SERVER), reason="stops the broker under the app: needs a built-in broker of its own")


def toasts(app) -> dict[str, str]:
    """Each toast on the screen: what it shows (its title over its text) → its severity."""
    # Toast is not exported by textual.widgets: found by its CSS type name (as flytui_helpers.toast_texts does).
    return {toast.render().plain: next((s for s in ("information", "warning", "error") if toast.has_class(f"-{s}")),
                                       "") for toast in app.screen.query("Toast")}


def shows(app, title: str, text: str, severity: str) -> bool:
    """True when a toast titled ``title`` (no title: "") says ``text`` with ``severity``."""
    return toasts(app).get(f"{title}\n{text}" if title else text) == severity


def lost_connection(app, title: str, address: str) -> bool:
    """True when an error toast titled ``title`` says the connection to ``address`` is lost (the error in
    between is pyflymq's own words)."""
    return any(shown.startswith(f"{title}\nLost the connection to {address} (") and shown.endswith("); retrying.")
               and severity == "error" for shown, severity in toasts(app).items())


def name(app) -> str:
    return app.screen.__class__.__name__


def dead_letter(topic: str, i: int) -> str:
    """A FlyMQ DLQ record of ``topic`` (as the broker writes one)."""
    return json.dumps({"id": f"m{i}", "original_topic": topic, "original_offset": i,
                       "payload": base64.b64encode(f"payload {i}".encode()).decode(),
                       "reason": "max_retries_exceeded", "error_message": f"boom {i}", "retry_count": 1})


def topic_with(flymq, prefix: str, partitions: int, values: list[str]):
    """A client of the server and a new topic holding ``values``, dealt over its partitions in turn."""
    client = flymq.client()
    topic = flymq.topic(prefix)
    client.create_topic(topic, partitions)
    for i, value in enumerate(values):
        client.produce(topic, value, partition=i % partitions)
    return client, topic


def fetch_error(client, topic: str, partition: int) -> str:
    """What describe_error says for a FETCH of ``topic`` now (it is expected to fail)."""
    with pytest.raises(FlyMQError) as caught:
        client.fetch(topic, partition, 0, 1)
    return describe_error(caught.value)


# ----------------------------------------------------------------------------------------------- reads


@pilot_test
async def test_a_page_of_a_deleted_topic_says_why_it_cannot_be_read(flymq):
    client, topic = topic_with(flymq, "gone", 2, [f"record {i}" for i in range(6)])
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await wait_ready(pilot, app, topic)
        client.delete_topic(topic)
        expected = fetch_error(client, topic, 1)
        app.action_focus_pane("partitions")
        await pilot.press("j", "enter")  # partition 1: its page is read now
        await wait_for(pilot, lambda: app.partition == 1, what="partition 1 opened")
        text = f"Could not read {topic} partition 1: {expected}"
        await wait_for(pilot, lambda: shows(app, "", text, "error"), what="the read's error")
    app.service.close()


@pilot_test
async def test_a_search_step_on_a_deleted_topic_says_why(flymq):
    client, topic = topic_with(flymq, "gone", 1, ["needle" if i in (3, 6) else "hay" for i in range(8)])
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("slash")
        await wait_for(pilot, lambda: name(app) == "FilterScreen", what="filter dialog")
        await pilot.press(*"needle", "enter")
        await wait_for(pilot, lambda: app.stream.selected_record is not None
                       and app.stream.selected_record.offset == 3, what="the first match")
        client.delete_topic(topic)
        expected = fetch_error(client, topic, 0)
        await pilot.press("N")  # before the first match shown: the server is searched backwards
        await wait_for(pilot, lambda: shows(app, "Search", expected, "error"), what="the search step's error")
    app.service.close()


# ----------------------------------------------------------------------------------------------- writes


@pilot_test
async def test_produce_replay_and_purge_say_what_they_did(flymq):
    client, topic = topic_with(flymq, "writes", 1, ["first"])
    client.produce(f"{topic}.dlq", dead_letter(topic, 0))
    client.produce(f"{topic}.dlq", b"not json at all")
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("p")
        await wait_for(pilot, lambda: name(app) == "ProduceScreen", what="produce dialog")
        from textual.widgets import TextArea

        app.screen.query_one(TextArea).text = "second"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: shows(app, "Produce", f"Produced to {topic} partition 0 at offset 1.",
                                                       "information"),
                       what="produced")
        await wait_for(pilot, lambda: len(app.dlq_records) == 2, what="dead letters loaded")
        app.action_focus_pane("dlq")
        await pilot.press("r")
        await wait_for(pilot, lambda: name(app) == "ConfirmScreen", what="confirm the replay")
        await pilot.press("y")
        await wait_for(pilot, lambda: shows(app, "Replay", f"Replayed 1 record to {topic}.", "information"),
                       what="replayed")
        await pilot.press("j", "r")  # the record that is no DLQ entry: nothing to replay, which is an error
        await wait_for(pilot, lambda: name(app) == "ConfirmScreen", what="confirm the second replay")
        await pilot.press("y")
        skipped = f"Replayed 0 records to {topic}. offset 1: not a FlyMQ DLQ record, skipped"
        await wait_for(pilot, lambda: shows(app, "Replay", skipped, "error"), what="nothing replayed: an error")
        await pilot.press("D")
        await wait_for(pilot, lambda: name(app) == "ConfirmScreen", what="confirm the purge")
        await pilot.press(*"purge", "enter")
        await wait_for(pilot, lambda: shows(app, "Purge", f"Purged the dead-letter queue of {topic}.", "information"),
                       what="purged")
        await wait_for(pilot, lambda: not app.dlq_records, what="the purged dead letters gone from the pane")
    app.service.close()
    assert [m.value for m in client.fetch(topic, 0, 0, 10).messages] == [b"first", b"second", b"payload 0"]


@STOPS_THE_BROKER
@pilot_test
async def test_writes_and_a_commit_on_a_stopped_broker_say_the_connection_is_lost():
    from pyflymq.broker import Broker

    broker = Broker(host="127.0.0.1", port=0).start()
    topic = "orders"
    broker.create_topic(topic, 1)
    for i in range(5):
        broker.produce(topic, f"record {i}")
    broker.produce(f"{topic}.dlq", dead_letter(topic, 0))
    broker.commit(topic, "billing", 0, 1)
    lost = f"Lost the connection to {broker.address} ("
    app = make_app(broker.address, topic=topic, group="billing")
    try:
        async with app.run_test(size=(160, 48), notifications=True) as pilot:
            await wait_ready(pilot, app, topic)
            await wait_for(pilot, lambda: len(app.dlq_records) == 1, what="dead letters loaded")
            await pilot.press("c")  # a commit planned while the broker runs, confirmed once it is gone
            await wait_for(pilot, lambda: name(app) == "CommitTargetScreen", what="commit target")
            await pilot.press("down", "down", "down", "enter", "ctrl+a", "enter")  # latest, every partition
            await wait_for(pilot, lambda: name(app) == "CommitPlanScreen", what="commit plan")
            broker.stop()
            await pilot.press(*"commit", "enter")
            await wait_for(pilot, lambda: name(app) == "CommitResultScreen", what="commit result")
            result = screen_text(app) + "".join(str(w.render()) for w in app.screen.query("#errors"))
            assert lost in result and "; retrying." in result
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="result closed")

            await pilot.press("p")
            await wait_for(pilot, lambda: name(app) == "ProduceScreen", what="produce dialog")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: lost_connection(app, "Produce", broker.address), what="produce failed")
            app.action_focus_pane("dlq")
            await pilot.press("r")
            await wait_for(pilot, lambda: name(app) == "ConfirmScreen", what="confirm the replay")
            await pilot.press("y")
            await wait_for(pilot, lambda: lost_connection(app, "Replay", broker.address), what="replay failed")
            await pilot.press("D")
            await wait_for(pilot, lambda: name(app) == "ConfirmScreen", what="confirm the purge")
            await pilot.press(*"purge", "enter")
            await wait_for(pilot, lambda: lost_connection(app, "Purge", broker.address), what="purge failed")
    finally:
        app.service.close()
        broker.stop()
