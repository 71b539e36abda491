"""Every background operation of FlyService, on a server that does not answer: each posts its own failure
message with describe_error's text, in the worker group it always ran in.

No server is needed: the address is a port on 127.0.0.1 that nothing listens on, so every connection is
refused for real (this runs the same with ``FLYMQ_TEST_SERVER`` set).
"""

from __future__ import annotations

import json
import socket

import pytest

from flytui import messages
from flytui.actions.commit import CommitRequest
from flytui.model import DLQRecord
from flytui.offset_plan import CommitTarget, PartitionState, parse_seek_spec, plan_commit
from flytui.screens.seek import SeekRequest
from flytui.service import ConnectionSettings, FlyService, describe_error
from pyflymq import connect
from pyflymq.errors import FlyMQConnectionError
from pyflymq.models import DLQEntry


class RunsAtOnce:
    """Stands in for the app: runs each worker at once, keeps the group it ran in and what it posted."""

    def __init__(self) -> None:
        self.posted: list = []
        self.groups: list[tuple[str, bool]] = []

    def run_worker(self, work, *, thread: bool, group: str, exclusive: bool, name: str, exit_on_error: bool):
        assert thread and not exit_on_error
        self.groups.append((group, exclusive))
        work()

    def post_message(self, message) -> bool:
        self.posted.append(message)
        return True


@pytest.fixture
def nothing_listens() -> str:
    """``127.0.0.1:port`` where nothing listens (the port was free a moment ago and is closed again)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"127.0.0.1:{port}"


@pytest.fixture
def refused(nothing_listens):
    """A service on that address attached to a :class:`RunsAtOnce`, and the text describe_error gives for the
    refused connection."""
    settings = ConnectionSettings(nothing_listens, timeout_ms=1000)
    with pytest.raises(FlyMQConnectionError) as caught:
        connect(settings.servers, **settings.client_kwargs()).list_topics()
    service = FlyService(settings)
    host = RunsAtOnce()
    service.attach(host)
    yield service, host, describe_error(caught.value, settings)
    service.close()


def only(host: RunsAtOnce, kind: type):
    """The one message of ``kind`` posted."""
    found = [m for m in host.posted if isinstance(m, kind)]
    assert len(found) == 1, (kind.__name__, host.posted)
    return found[0]


def test_reads_post_their_failure_with_the_connection_error(refused):
    service, host, error = refused
    service.fetch_page("orders", 2, 40, 100, generation=7)
    service.find_match("orders", 2, 40, "needle", True, 0, 100, generation=7)
    service.resolve_seek("orders", 2, SeekRequest(parse_seek_spec("end"), False, None, "end"), 40, 7,
                         messages.SeekPurpose.START, stream_generation=5)
    service.load_schema("orders", "orders-value", generation=7)
    service.list_schemas("orders")
    service.load_dlq("orders", generation=7)
    commit = CommitRequest(CommitTarget.latest(), "undo")
    service.load_commit_state("orders", "billing", commit)
    service.search_topic("orders", 3, parse_seek_spec("beginning"))
    assert only(host, messages.PageFailed) == messages.PageFailed("orders", 2, 40, 7, error)
    assert only(host, messages.MatchFailed) == messages.MatchFailed("orders", 2, 7, "needle", True, error)
    seek = only(host, messages.SeekResolved)
    assert (seek.offset, seek.error, seek.purpose, seek.stream_generation) == (
        None, error, messages.SeekPurpose.START, 5)
    assert only(host, messages.SchemaLoaded) == messages.SchemaLoaded("orders", "orders-value", 7, None, error)
    assert only(host, messages.SchemasListed) == messages.SchemasListed("orders", [], error)
    assert only(host, messages.DeadLettersLoaded) == messages.DeadLettersLoaded("orders", 7, [], error)
    assert only(host, messages.CommitStateLoaded) == messages.CommitStateLoaded("orders", "billing", {}, 0, error,
                                                                                commit)
    search = only(host, messages.TopicSearchProgress)
    assert (search.search_id, search.error, search.snapshot.matches) == (3, error, ())
    assert host.groups == [("page-2", False), ("search", True), ("seek", True), ("schema", True),
                           ("schema-list", True), ("dlq", True), ("commit-state", True), ("topic-search", False)]


def test_writes_post_their_failure_with_the_connection_error(refused):
    service, host, error = refused
    raw = json.dumps({"id": "m0", "original_topic": "orders", "original_offset": 3, "payload": "eA=="}).encode()
    dead = DLQRecord("orders.dlq", 0, 0, raw, DLQEntry.from_record("orders.dlq", raw))
    plan = plan_commit("orders", "billing", CommitTarget.latest(),
                       {0: PartitionState(low=0, high=10, committed=4)})
    service.produce("orders", b"x")
    service.replay([dead])
    service.purge("orders")
    service.execute_commit(plan)
    assert only(host, messages.ProduceFailed) == messages.ProduceFailed("orders", error)
    assert only(host, messages.ReplayFailed) == messages.ReplayFailed("orders", error)
    assert only(host, messages.PurgeFailed) == messages.PurgeFailed("orders", error)
    commit = only(host, messages.CommitExecuted)
    assert (commit.plan, commit.readback, commit.errors) == (plan, {0: None}, {0: error})
    assert host.groups == [("admin", False)] * 4


def test_saving_to_files_posts_the_failure_and_writes_nothing(refused, tmp_path):
    service, host, error = refused
    offsets, records = tmp_path / "offsets.csv", tmp_path / "records.jsonl"
    service.export_group_offsets("orders", "billing", str(offsets))
    service.export("orders", {0: (0, 10)}, str(records))
    assert only(host, messages.OffsetsSaved) == messages.OffsetsSaved("orders", "billing", str(offsets), 0, error)
    assert only(host, messages.ExportProgress) == messages.ExportProgress(str(records), 0, 10, True, error)
    assert not offsets.exists() and not records.exists()
    assert host.groups == [("export-offsets", False), ("export", False)]


def test_a_failed_refresh_reports_through_the_connection_state_and_can_run_again(refused):
    service, host, error = refused
    service.refresh()
    service.refresh()  # the first one's lock was released though it failed
    assert host.groups == [("refresh", False)] * 2
    assert [type(m) for m in host.posted] == [messages.ConnectionChanged]
    assert service.state == "reconnecting" and service.reason
