"""The live tail below the UI: FlyService.start_tail's backlog, start positions and server-side filter, what a
refresh says about the server it read from, the tail model's first offsets and the backlog prompt's parser."""

from __future__ import annotations

import socket
import time

import pytest

from flytui.screens.tail_backlog import BACKLOG_MAX, parse_backlog
from flytui.service import ConnectionSettings, FlyService, TailBatch
from flytui.stream_model import TailModel
from pyflymq.models import Message
from tests.test_service import FakeApp


def tail_records(flymq, topic: str, want: int, **options) -> list:
    """Start a tail of partition 0 with ``options``, collect until ``want`` records (at most 10 s), stop."""
    app = FakeApp()
    svc = FlyService(ConnectionSettings(flymq.address, timeout_ms=3000))
    svc.attach(app)
    try:
        svc.start_tail(topic, [0], generation=7, idle_sleep=0.02, **options)
        deadline = time.monotonic() + 10
        while sum(len(b.records) for b in app.of(TailBatch)) < want and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)  # anything beyond ``want`` would arrive now
        svc.stop_tail()
        app.join(2)
    finally:
        svc.close()
    return [record for batch in app.of(TailBatch) for record in batch.records]


def test_backlog_starts_with_the_last_records(flymq):
    topic = flymq.topic("backlog")
    client = flymq.client()
    client.create_topic(topic, 1)
    for i in range(30):
        client.produce(topic, f"r{i}")
    records = tail_records(flymq, topic, 10, backlog=10)
    assert [r.offset for r in records] == list(range(20, 30))


def test_start_positions_are_used_as_given(flymq):
    topic = flymq.topic("start")
    client = flymq.client()
    client.create_topic(topic, 1)
    for i in range(12):
        client.produce(topic, f"r{i}")
    records = tail_records(flymq, topic, 5, start={0: 7}, backlog=2)  # start wins over backlog
    assert [r.offset for r in records] == list(range(7, 12))


def test_filtered_tail_scans_past_records_that_do_not_match(flymq):
    topic = flymq.topic("filtered")
    client = flymq.client()
    client.create_topic(topic, 1)
    for i in range(1200):  # more than one FETCH scans (1000): the scan must move on without matches
        client.produce(topic, f"hay {i}")
    client.produce(topic, "the needle")
    records = tail_records(flymq, topic, 1, start={0: 0}, filter="needle")
    assert [(r.offset, r.value) for r in records] == [(1200, b"the needle")]


def test_overview_names_the_server_it_read_from_and_its_node(flymq):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{sock.getsockname()[1]}"
    svc = FlyService(ConnectionSettings(f"{dead},{flymq.address}", timeout_ms=3000))
    try:
        overview = svc.overview_sync()
    finally:
        svc.close()
    assert overview.address == flymq.address
    meta = flymq.client().cluster_metadata()
    if meta.cluster_id == "standalone" and meta.topics:
        assert overview.node == f"{meta.topics[0].partitions[0].leader_id} (standalone)"
    elif meta.cluster_id != "standalone":
        assert overview.node == meta.cluster_id


def test_tail_model_first_offsets_per_partition():
    tail = TailModel(capacity=4)
    tail.append([Message("t", p, o, None, b"v") for p, o in [(0, 5), (1, 9), (0, 6), (1, 10), (0, 7)]])
    assert tail.first_offsets() == {1: 9, 0: 6}  # (0, 5) left the buffer


@pytest.mark.parametrize(("typed", "value"), [("100", 100), ("-100", 100), ("1,000", 1000), (" 0 ", 0)])
def test_parse_backlog(typed, value):
    assert parse_backlog(typed) == value


@pytest.mark.parametrize("typed", ["", "ten", "1.5", str(BACKLOG_MAX + 1)])
def test_parse_backlog_refuses(typed):
    with pytest.raises(ValueError):
        parse_backlog(typed)
