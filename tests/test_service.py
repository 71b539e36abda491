"""FlyService without the UI: what it reads, what it writes, and what it never does (join groups, commit)."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid

import pytest

from flytui.service import (
    ConnectionSettings,
    DeadLettersLoaded,
    FlyService,
    OverviewLoaded,
    ReadOnlyError,
    TailBatch,
    probe,
)
from tests.flytui_helpers import pilot_test, screen_text, wait_for


class FakeApp:
    """Stands in for the Textual app: runs "workers" as plain threads and collects posted messages."""

    def __init__(self) -> None:
        self.messages: list = []
        self.threads: list[threading.Thread] = []

    def run_worker(self, work, **kwargs):
        thread = threading.Thread(target=work, daemon=True)
        self.threads.append(thread)
        thread.start()
        return thread

    def post_message(self, message) -> bool:
        self.messages.append(message)
        return True

    def join(self, timeout: float = 10) -> None:
        for thread in self.threads:
            thread.join(timeout)

    def of(self, kind) -> list:
        return [m for m in self.messages if isinstance(m, kind)]


@pytest.fixture(scope="module")
def broker():
    from pyflymq.broker import Broker

    with Broker(host="127.0.0.1", port=0, dlq=True) as b:
        yield b


@pytest.fixture(scope="module")
def plain_broker():
    """A broker with the real server's defaults: DLQ ops off."""
    from pyflymq.broker import Broker

    with Broker(host="127.0.0.1", port=0) as b:
        yield b


def new_topic(broker, partitions: int = 2, n: int = 20) -> str:
    topic = f"s-{uuid.uuid4().hex[:8]}"
    broker.create_topic(topic, partitions)
    for i in range(n):
        broker.produce(topic, f"value {i}" + (" needle" if i % 5 == 2 else ""), key=f"k{i}")
    return topic


def service(broker, **kwargs) -> FlyService:
    return FlyService(ConnectionSettings(broker.address, timeout_ms=3000), **kwargs)


def groups_of(broker) -> list:
    return sorted((g.topic, g.group_id, g.members, tuple(sorted(g.offsets.items()))) for g in broker.groups())


def test_probe_reads_cluster_id(broker):
    info = probe(ConnectionSettings(broker.address))
    assert info.cluster_id and info.user is None


def test_probe_with_credentials_on_a_server_with_auth_off_is_not_logged_in(broker):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        info = probe(ConnectionSettings(broker.address, username="alice", password="pw"))
    assert info.user is None  # the header must not claim a login that never happened
    assert info.login_warning and "authentication turned off" in info.login_warning


@pilot_test
async def test_header_says_not_logged_in_when_the_login_was_not_sent(broker):
    from flytui.app import FlyTUIApp

    settings = ConnectionSettings(broker.address, username="alice", password="pw")
    service = FlyService(settings)
    service.user, service.login_warning = None, "the login as 'alice' was not sent"
    app = FlyTUIApp(service, server_label="flymq-test:9092", refresh=0)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.ready, what="first refresh")
        assert "NOT LOGGED IN" in screen_text(app)
        assert "user alice" not in screen_text(app)
    service.close()


@pilot_test
async def test_a_result_arriving_during_shutdown_is_dropped_not_a_crash(broker):
    from flytui.app import FlyTUIApp
    from flytui.messages import PageLoaded

    app = FlyTUIApp(FlyService(ConnectionSettings(broker.address)), server_label="x", refresh=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.ready, what="first refresh")
        topic = app.topic
    app.service.close()
    # the screens are gone now; a page posted just before the exit reaches its handler like this
    assert app.on_page_loaded(PageLoaded(topic, 0, 0, 1, [], 0)) is None


def test_overview_and_browsing_leave_groups_unchanged(broker):
    topic = new_topic(broker)
    broker.commit(topic, "billing", 0, 2)
    before = groups_of(broker)
    svc = service(broker)
    try:
        overview = svc.overview_sync()
        info = overview.topic(topic)
        assert info.partition_count == 2 and info.messages == 20
        lags = overview.group_lags(topic)
        assert [g.group_id for g in lags] == ["billing"]
        assert lags[0].partitions[0].committed == 2
        assert lags[0].partitions[1].committed is None  # never committed: lag counted from low
        for p in range(2):
            records, _ = svc.fetch_page_sync(topic, p, 0, 100)
            assert records and all(r.partition == p for r in records)
        assert svc.find_match_sync(topic, 0, -1, "needle", True, 0, 100)[0] is not None
        svc.commit_state_sync(topic, "billing")
        svc.dlq_sync(topic) if overview.topic(f"{topic}.dlq") else None
    finally:
        svc.close()
    assert groups_of(broker) == before
    assert broker.group_members(topic, "billing") == []


def test_filtered_page_is_one_server_scan(broker):
    topic = new_topic(broker, partitions=1, n=30)
    svc = service(broker)
    try:
        records, next_offset = svc.fetch_page_sync(topic, 0, 0, 200, filter="needle")
        assert [r.offset for r in records] == [2, 7, 12, 17, 22, 27]
        assert next_offset == 30
    finally:
        svc.close()


def test_find_match_forward_and_backward(broker):
    topic = new_topic(broker, partitions=1, n=30)
    svc = service(broker)
    try:
        forward, _ = svc.find_match_sync(topic, 0, 7, "needle", True, 0, 30)
        backward, _ = svc.find_match_sync(topic, 0, 7, "needle", False, 0, 30)
        none, reached = svc.find_match_sync(topic, 0, 27, "needle", True, 0, 30)
        assert (forward.offset, backward.offset, none) == (12, 2, None)
        assert reached == 30
    finally:
        svc.close()


def test_commit_writes_then_reads_back(broker):
    topic = new_topic(broker)
    broker.commit(topic, "g", 0, 1)
    svc = service(broker)
    try:
        states, members = svc.commit_state_sync(topic, "g")
        assert states[0].committed == 1 and states[1].committed is None and members == 0
        readback, errors, _ = svc.execute_commit_sync(topic, "g", {0: 5, 1: 3}, [0, 1])
    finally:
        svc.close()
    assert readback == {0: 5, 1: 3} and not errors
    assert broker.committed(topic, "g", 0) == 5 and broker.committed(topic, "g", 1) == 3


def test_read_only_refuses_every_write_before_the_network(broker):
    topic = new_topic(broker)
    svc = service(broker, read_only=True)
    svc.attach(FakeApp())
    before = groups_of(broker)
    try:
        for call in (lambda: svc.produce(topic, b"x"), lambda: svc.purge(topic), lambda: svc.replay([]),
                     lambda: svc.replay_sync([]), lambda: svc.purge_sync(topic),
                     lambda: svc.execute_commit_sync(topic, "g", {0: 1})):
            with pytest.raises(ReadOnlyError, match="--read-only"):
                call()
    finally:
        svc.close()
    assert groups_of(broker) == before
    assert broker.high_watermark(topic, 0) + broker.high_watermark(topic, 1) == 20


def dead_letters(broker, topic: str, n: int) -> None:
    for i in range(n):
        broker.produce(f"{topic}.dlq", json.dumps({
            "id": f"m{i}", "original_topic": topic, "original_offset": i,
            "payload": base64.b64encode(f"dead {i}".encode()).decode(), "reason": "max_retries_exceeded",
            "error_message": "boom", "retry_count": 2}))
    broker.produce(f"{topic}.dlq", b"not json at all")


@pytest.mark.parametrize("which", ["dlq_on", "dlq_off"])
def test_dlq_read_replay_purge(which, broker, plain_broker):
    """With DLQ ops on the server uses REPLAY/PURGE_DLQ; with them off the same results via produce/delete."""
    b = broker if which == "dlq_on" else plain_broker
    topic = new_topic(b, partitions=1, n=1)
    dead_letters(b, topic, 2)
    svc = service(b)
    try:
        records = svc.dlq_sync(topic)
        assert [r.entry.id if r.entry else None for r in records] == ["m0", "m1", None]
        assert records[0].original_topic == topic and records[0].entry.value == b"dead 0"
        done, problems = svc.replay_sync(records)
        assert done == 2 and len(problems) == 1  # the non-JSON record is skipped, and said so
        values = [v for _, _, v in b.records(topic, 0)]
        assert values[-2:] == [b"dead 0", b"dead 1"]
        assert b.high_watermark(f"{topic}.dlq", 0) == 3  # replay keeps the dead letters
        svc.purge_sync(topic)
        assert f"{topic}.dlq" not in b.topic_names()
    finally:
        svc.close()


def test_messages_carry_their_context(broker):
    topic = new_topic(broker, partitions=1, n=3)
    dead_letters(broker, topic, 1)
    app = FakeApp()
    svc = service(broker)
    svc.attach(app)
    try:
        svc.refresh()
        svc.load_dlq(topic, generation=7)
        svc.fetch_page(topic, 0, 0, 10, generation=3)
        app.join()
    finally:
        svc.close()
    assert app.of(OverviewLoaded)[0].overview.topic(topic) is not None
    dlq = app.of(DeadLettersLoaded)[0]
    assert (dlq.topic, dlq.generation, len(dlq.records)) == (topic, 7, 2)
    page = [m for m in app.messages if type(m).__name__ == "PageLoaded"][0]
    assert (page.topic, page.partition, page.generation, len(page.records)) == (topic, 0, 3, 3)


def test_tail_batches_new_records_and_stops(broker):
    topic = new_topic(broker, partitions=3, n=9)
    app = FakeApp()
    svc = service(broker)
    svc.attach(app)
    try:
        svc.start_tail(topic, [0, 1, 2], generation=1, idle_sleep=0.02)
        time.sleep(0.3)
        for i in range(200):
            broker.produce(topic, f"live {i}", key=f"x{i}")
        deadline = time.monotonic() + 5
        while sum(len(b.records) for b in app.of(TailBatch)) < 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        batches = app.of(TailBatch)
        assert sum(len(b.records) for b in batches) == 200
        assert all(b.generation == 1 and b.topic == topic for b in batches)
        assert len(batches) < 200, "records are coalesced into batches"
        svc.stop_tail()
        app.join(2)
        assert not any(t.is_alive() for t in app.threads), "the tail thread ends when stopped"
        count = len(app.of(TailBatch))
        broker.produce(topic, "after stop")
        time.sleep(0.2)
        assert len(app.of(TailBatch)) == count
    finally:
        svc.close()


def test_tail_does_not_join_groups(broker):
    topic = new_topic(broker, partitions=2, n=2)
    before = groups_of(broker)
    app = FakeApp()
    svc = service(broker)
    svc.attach(app)
    try:
        svc.start_tail(topic, [0, 1], generation=1, idle_sleep=0.02)
        time.sleep(0.2)
        svc.stop_tail()
        app.join(2)
    finally:
        svc.close()
    assert groups_of(broker) == before


def test_connection_state_follows_the_server():
    from pyflymq.broker import Broker

    b = Broker(host="127.0.0.1", port=0)
    b.start()
    app = FakeApp()
    svc = FlyService(ConnectionSettings(b.address, timeout_ms=1000))
    svc.attach(app)
    try:
        svc.overview_sync()
        assert svc.state == "connected"
        b.stop()
        with pytest.raises(Exception):  # noqa: B017 - any connection error
            svc.overview_sync()
        assert svc.state == "reconnecting" and svc.reason
    finally:
        svc.close()
        b.stop()
    states = [m.state for m in app.messages if type(m).__name__ == "ConnectionChanged"]
    assert states[:2] == ["connected", "reconnecting"]
