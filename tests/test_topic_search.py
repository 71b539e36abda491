"""The whole-topic scan engine (flytui.topic_search) and the service's search, on a real broker.

Every partition is scanned from its start to its end in parallel readers; the server filter narrows what
crosses the wire and the predicate decides; results are capped but counted; a stop ends the scan early; a
failing partition is reported while the others finish.
"""

from __future__ import annotations

import json
import threading

import pytest

from flytui.offset_plan import parse_seek_spec
from flytui.service import ConnectionSettings, FlyService
from flytui.topic_search import (
    FETCH_MAX,
    PartitionRange,
    SearchTally,
    parse_partitions,
    run_search,
    search_ranges,
)

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def seed(client, topic: str, partitions: int, count: int, needles: set[int] = frozenset()) -> dict[int, tuple[int, int]]:
    """``count`` keyed JSON records (FlyMQ picks each one's partition by its key); record ``i`` in ``needles``
    carries ``incident-42``. Returns ``{i: (partition, offset)}``."""
    client.create_topic(topic, partitions)
    where = {}
    for i in range(count):
        note = "incident-42" if i in needles else "routine"
        meta = client.produce(topic, json.dumps({"i": i, "amount": i, "note": note}), key=f"cust-{i:04d}")
        where[i] = (meta.partition, meta.offset)
    return where


def full_ranges(client, topic: str, partitions: int) -> list[PartitionRange]:
    """Every partition from its low to its high watermark."""
    return [PartitionRange(p, *client.watermarks(topic, p)) for p in range(partitions)]


def test_every_partition_is_scanned_and_the_server_filter_finds_the_needles(flymq):
    topic = flymq.topic("search-needles")
    client = flymq.client()
    where = seed(client, topic, 3, 180, {3, 30, 100, 179})
    assert len({where[i][0] for i in (3, 30, 100, 179)}) > 1, "the needles lie in more than one partition"
    tally = SearchTally()
    final = run_search(flymq.client, topic, full_ranges(client, topic, 3), tally, server_filter="incident-42",
                       matches=None, stop=threading.Event(), workers=2)
    assert final.finished and final.partitions_done == 3 and final.partitions_total == 3
    assert final.scanned == final.total == 180
    found = sorted((m.partition, m.offset) for m in final.matches)
    assert found == sorted(where[i] for i in (3, 30, 100, 179))
    assert final.match_count == 4 and not final.capped
    assert final.first_match_after is not None
    match = next(m for m in final.matches if (m.partition, m.offset) == where[30])
    assert match.key == b"cust-0030" and b"incident-42" in match.value


def test_a_client_side_predicate_decides_without_a_server_filter(flymq):
    topic = flymq.topic("search-predicate")
    client = flymq.client()
    where = seed(client, topic, 2, 100)

    def big(record) -> bool:
        return json.loads(record.value)["amount"] > 95

    final = run_search(flymq.client, topic, full_ranges(client, topic, 2), SearchTally(), server_filter=None,
                       matches=big, stop=threading.Event())
    assert sorted((m.partition, m.offset) for m in final.matches) == sorted(where[i] for i in range(96, 100))
    assert final.scanned == 100


def test_the_predicate_narrows_what_the_server_filter_returns(flymq):
    topic = flymq.topic("search-both")
    client = flymq.client()
    where = seed(client, topic, 2, 80, {5, 35, 60})
    checked: list[int] = []

    def late(record) -> bool:
        checked.append(json.loads(record.value)["i"])
        return json.loads(record.value)["i"] > 50

    final = run_search(flymq.client, topic, full_ranges(client, topic, 2), SearchTally(), server_filter="incident",
                       matches=late, stop=threading.Event())
    assert [(m.partition, m.offset) for m in final.matches] == [where[60]]
    assert sorted(checked) == [5, 35, 60], "only the server's matches reach the predicate"


def test_the_results_are_capped_but_every_match_is_counted(flymq):
    topic = flymq.topic("search-cap")
    client = flymq.client()
    seed(client, topic, 1, 30, set(range(0, 30, 2)))
    final = run_search(flymq.client, topic, full_ranges(client, topic, 1), SearchTally(limit=4),
                       server_filter="incident", matches=None, stop=threading.Event())
    assert final.match_count == 15 and len(final.matches) == 4 and final.capped
    assert [m.offset for m in final.matches] == [0, 2, 4, 6]


def test_a_long_value_is_kept_as_a_preview_only(flymq):
    topic = flymq.topic("search-preview")
    client = flymq.client()
    client.create_topic(topic, 1)
    client.produce(topic, b"incident-42 " + b"x" * 100_000)
    final = run_search(flymq.client, topic, full_ranges(client, topic, 1), SearchTally(), server_filter="incident",
                       matches=None, stop=threading.Event())
    (match,) = final.matches
    assert len(match.value) < 1000 and match.value_size == 100_012


def test_stop_ends_the_scan_early(flymq):
    topic = flymq.topic("search-stop")
    client = flymq.client()
    client.create_topic(topic, 2)
    for _ in range(2 * FETCH_MAX + 20):
        client.produce(topic, b"row")  # round-robin: both partitions hold more than one FETCH
    stop = threading.Event()

    def stop_at_first(record) -> bool:
        stop.set()  # as the user pressing esc while the first page is checked
        return True

    final = run_search(flymq.client, topic, full_ranges(client, topic, 2), SearchTally(), server_filter=None,
                       matches=stop_at_first, stop=stop, workers=1)
    assert final.finished
    assert final.scanned <= FETCH_MAX < final.total
    assert final.partitions_done < final.partitions_total


def test_a_failing_partition_is_reported_and_the_others_finish(flymq):
    topic = flymq.topic("search-fail")
    client = flymq.client()
    seed(client, topic, 1, 10, {4})
    ranges = [PartitionRange(0, 0, 10), PartitionRange(7, 0, 10)]  # the topic has no partition 7
    final = run_search(flymq.client, topic, ranges, SearchTally(), server_filter="incident", matches=None,
                       stop=threading.Event())
    assert [(m.partition, m.offset) for m in final.matches] == [(0, 4)]
    assert final.partitions_done == 2
    assert len(final.errors) == 1 and final.errors[0].startswith("partition 7:")


def test_progress_is_reported_while_scanning(flymq):
    topic = flymq.topic("search-progress")
    client = flymq.client()
    seed(client, topic, 1, 20, {1})
    seen = []
    release = threading.Event()

    def slow(record) -> bool:
        release.wait(2.0)  # hold the scan until a progress report arrived (bounded)
        return True

    def progress(snapshot) -> None:
        seen.append(snapshot)
        release.set()

    final = run_search(flymq.client, topic, full_ranges(client, topic, 1), SearchTally(), server_filter=None,
                       matches=slow, stop=threading.Event(), progress=progress, interval=0.02)
    assert seen and not seen[0].finished
    assert final.finished and final.scanned == 20


def test_ranges_from_a_start_and_a_choice_of_partitions():
    marks = [(0, 0, 100), (1, 10, 20), (2, 0, 0)]
    spec = parse_seek_spec("end-30")
    ranges, skipped = search_ranges(marks, lambda p, low, high: spec.resolve(low, low, high, clamp=True))
    assert ranges == [PartitionRange(0, 70, 100), PartitionRange(1, 10, 20), PartitionRange(2, 0, 0)]
    assert skipped == []
    committed = {0: 95}
    ranges, skipped = search_ranges(marks, lambda p, low, high: committed.get(p), partitions=[0, 1])
    assert ranges == [PartitionRange(0, 95, 100)] and skipped == [1]


@pytest.mark.parametrize(("text", "expected"), [("", None), ("all", None), ("0,2", [0, 2]), ("1-3", [1, 2, 3]),
                                                ("3, 0-1", [0, 1, 3])])
def test_partition_choices(text, expected):
    assert parse_partitions(text, 6) == expected


@pytest.mark.parametrize(("text", "message"), [("7", "partitions 0-5"), ("x", "not a number"),
                                               ("3-1", "backwards"), (",", "none given")])
def test_bad_partition_choices_say_why(text, message):
    with pytest.raises(ValueError, match=message):
        parse_partitions(text, 6)


def test_the_service_starts_from_a_groups_committed_offsets(flymq):
    topic = flymq.topic("search-group")
    client = flymq.client()
    client.create_topic(topic, 3)
    for _ in range(30):
        client.produce(topic, b"row")  # round-robin: 10 in each partition
    assert [client.watermarks(topic, p) for p in range(3)] == [(0, 10)] * 3
    client.commit_offset(topic, "billing", 0, 4)
    client.commit_offset(topic, "billing", 2, 9)
    service = FlyService(ConnectionSettings(flymq.address, timeout_ms=3000))
    try:
        ranges, skipped = service.search_ranges_sync(topic, parse_seek_spec("group:billing"))
        assert ranges == [PartitionRange(0, 4, 10), PartitionRange(2, 9, 10)] and skipped == [1]
        ranges, skipped = service.search_ranges_sync(topic, parse_seek_spec("end-3"), [1])
        assert ranges == [PartitionRange(1, 7, 10)] and skipped == []
        with pytest.raises(ValueError, match="no group 'nobody'"):
            service.search_ranges_sync(topic, parse_seek_spec("group:nobody"))
    finally:
        service.close()
