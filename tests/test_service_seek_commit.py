"""The service's blocking halves for seeks and commits: every seek form resolved against the partition as
it is at the call, and the journal recording the offsets a commit actually replaced."""

from __future__ import annotations

import json

import pytest

from flytui.commit_journal import journal_path
from flytui.messages import OffsetsSaved
from flytui.offset_plan import parse_seek_spec
from flytui.service import ConnectionSettings, FlyService


@pytest.fixture
def service(flymq):
    svc = FlyService(ConnectionSettings(flymq.address, timeout_ms=3000))
    yield svc
    svc.close()


def topic_of(flymq, count: int) -> tuple[str, object]:
    client = flymq.client()
    topic = flymq.topic("svc")
    client.create_topic(topic, 1)
    for i in range(count):
        client.produce(topic, f"r{i}")
    return topic, client


@pytest.mark.parametrize("text, expected", [("12", 12), ("+5", 25), ("-5", 15), ("beginning", 0), ("end", 60),
                                            ("end-10", 50), ("group:billing", 55)])
def test_every_seek_form_is_resolved_against_the_partition_now(flymq, service, text, expected):
    topic, client = topic_of(flymq, 30)
    for i in range(30):  # grows after "the dialog opened" at 30
        client.produce(topic, f"late {i}")
    client.commit_offset(topic, "billing", 0, 55)
    offset, low, high = service.resolve_seek_sync(topic, 0, parse_seek_spec(text), 20)
    assert (offset, low, high) == (expected, 0, 60)


def test_seek_errors_say_why(flymq, service):
    topic, client = topic_of(flymq, 10)
    with pytest.raises(ValueError, match="past the end: the next offset to be written is 10"):
        service.resolve_seek_sync(topic, 0, parse_seek_spec("11"), 0)
    assert service.resolve_seek_sync(topic, 0, parse_seek_spec("11"), 0, clamp=True)[0] == 10
    with pytest.raises(ValueError, match="There is no group 'ghost'"):
        service.resolve_seek_sync(topic, 0, parse_seek_spec("group:ghost"), 0)


def test_the_journal_records_what_the_commit_replaced_not_what_the_plan_saw(flymq, service):
    topic, client = topic_of(flymq, 30)
    client.commit_offset(topic, "billing", 0, 9)  # moved after the plan read 5
    readback, errors, _ = service.execute_commit_sync(topic, "billing", {0: 20}, [0], previous={0: 5})
    assert (readback, errors) == ({0: 20}, {})
    lines = [json.loads(line) for line in journal_path().read_text().splitlines()]
    assert [(d["partition"], d["old"], d["new"], d["server"]) for d in lines] == [(0, 9, 20, flymq.address)]


class RunsAtOnce:
    """Stands in for the app: runs each worker at once and keeps what it posts."""

    def __init__(self) -> None:
        self.posted: list = []

    def run_worker(self, work, **kwargs):
        work()

    def post_message(self, message) -> bool:
        self.posted.append(message)
        return True


def test_saving_a_groups_offsets_writes_csv_and_an_unknown_group_writes_nothing(flymq, service, tmp_path):
    topic, client = topic_of(flymq, 3)
    client.commit_offset(topic, "billing", 0, 2)
    host = RunsAtOnce()
    service.attach(host)
    good, bad = tmp_path / "billing.csv", tmp_path / "ghost.csv"
    service.export_group_offsets(topic, "billing", str(good))
    service.export_group_offsets(topic, "ghost", str(bad))
    service.export_group_offsets(topic, "billing", str(good))  # exists, no overwrite
    saved, missing, exists = [m for m in host.posted if isinstance(m, OffsetsSaved)]
    assert (saved.count, saved.error, good.read_text()) == (1, "", f"{topic},0,2\n")
    assert missing.error and not bad.exists()
    assert "already exists" in exists.error and good.read_text() == f"{topic},0,2\n"
