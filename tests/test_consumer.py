"""HighLevelConsumer and Consumer behaviour beyond the seed's snippets, against a broker over real sockets.

The only instrumentation is a counting wrapper put on one client object's ``fetch`` method, to show that a
waiting ``poll`` does not spin.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from pyflymq import (
    Consumer,
    ConsumerError,
    FlyMQConnectionError,
    GroupNotFoundError,
    HighLevelConsumer,
    OffsetOutOfRangeError,
)
from pyflymq.consumer import MEMBERS_TOPIC_PREFIX, _DeliveryLog
from pyflymq.errors import ConsumerConnectionError
from tests.consumer_helpers import take, wait_for


def produce(client, topic: str, n: int, prefix: str = "m") -> list:
    return [client.produce(topic, f"{prefix}{i}") for i in range(n)]


def committed(flymq, topic: str, group: str, partition: int = 0) -> int | None:
    try:
        return flymq.client().describe_group(topic, group).offsets.get(partition)
    except GroupNotFoundError:
        return None


def drain(consumer, timeout_ms: int = 100) -> list:
    out = []
    while batch := consumer.poll(timeout_ms=timeout_ms):
        out.extend(batch)
    return out


# -------------------------------------------------------------------------------------- polling

def test_empty_poll_waits_without_spinning(flymq):
    topic = flymq.topic()
    client = flymq.client()
    client.create_topic(topic, partitions=1)
    calls = Counter()
    real_fetch = client.fetch

    def counting_fetch(*args, **kwargs):
        calls["fetch"] += 1
        return real_fetch(*args, **kwargs)

    client.fetch = counting_fetch
    with client.consumer(topic, "g") as consumer:
        consumer.poll(timeout_ms=0)                      # join first: measure only the wait
        calls.clear()
        started = time.monotonic()
        assert consumer.poll(timeout_ms=1000) == []
        elapsed = time.monotonic() - started
    assert 0.95 <= elapsed < 1.5
    assert 5 <= calls["fetch"] < 60, calls


def test_poll_returns_as_soon_as_records_arrive(flymq):
    topic = flymq.topic()
    client = flymq.client()
    client.create_topic(topic, partitions=2)
    with client.consumer(topic, "g") as consumer:
        consumer.poll(timeout_ms=0)
        timer = threading.Timer(0.3, lambda: flymq.client().produce(topic, "late"))
        timer.start()
        started = time.monotonic()
        records = consumer.poll(timeout_ms=5000)
        elapsed = time.monotonic() - started
        timer.join()
    assert [m.decode() for m in records] == ["late"]
    assert 0.25 <= elapsed < 1.0


def test_max_records_and_max_poll_records(flymq):
    topic = flymq.topic()
    client = flymq.client()
    produce(client, topic, 30)
    with client.consumer(topic, "g", max_poll_records=10) as consumer:
        assert len(consumer.poll(timeout_ms=1000, max_records=7)) == 7
        assert len(consumer.poll(timeout_ms=1000)) == 10
        rest = drain(consumer)
        assert len(rest) == 13
        assert all(len(batch) <= 10 for batch in [rest[:10], rest[10:]])
    with client.consumer(topic, "g2") as consumer:
        assert [m.offset for m in drain(consumer)] == list(range(30))   # nothing lost or repeated
        with pytest.raises(ValueError):
            consumer.poll(max_records=0)


def test_fair_across_partitions(flymq):
    topic = flymq.topic()
    client = flymq.client()
    client.create_topic(topic, partitions=3)
    per_partition = Counter(meta.partition for meta in produce(client, topic, 300))
    assert per_partition == {0: 100, 1: 100, 2: 100}
    with client.consumer(topic, "g") as consumer:
        first = consumer.poll(timeout_ms=1000, max_records=1)[0]   # this round fetched every partition
        batch = consumer.poll(timeout_ms=1000, max_records=30)
        assert Counter(m.partition for m in batch) == {0: 10, 1: 10, 2: 10}
        singles = [consumer.poll(timeout_ms=1000, max_records=1)[0].partition for _ in range(6)]
        assert sorted(singles) == [0, 0, 1, 1, 2, 2]             # one record a call rotates partitions
        for p in range(3):                                       # and offsets stay in order per partition
            start = 1 if p == first.partition else 0
            assert [m.offset for m in batch if m.partition == p] == list(range(start, start + 10))


def test_multi_partition_multi_topic_discovery(flymq):
    t1, t2 = flymq.topic(), flymq.topic()
    client = flymq.client()
    client.create_topic(t1, partitions=2)
    client.create_topic(t2, partitions=3)
    produced = {(m.topic, m.partition, m.offset) for m in produce(client, t1, 10) + produce(client, t2, 12)}
    with client.consumer([t1, t2], "g") as consumer:
        assert consumer.assignment() == {(t1, 0), (t1, 1), (t2, 0), (t2, 1), (t2, 2)}
        got = {(m.topic, m.partition, m.offset) for m in drain(consumer)}
    assert got == produced
    with client.consumer([t1, t2], "g") as consumer:
        with pytest.raises(ValueError, match="topic="):
            consumer.seek(0, 0)
        consumer.seek(0, 1, topic=t2)
        assert consumer.position(0, topic=t2) == 1


def test_topic_created_later_is_picked_up(flymq):
    topic = flymq.topic()
    client = flymq.client()
    with client.consumer(topic, "g", auto_offset_reset="latest", metadata_max_age_ms=200) as consumer:
        assert consumer.poll(timeout_ms=200) == []               # no such topic yet: not an error
        assert consumer.assignment() == set()
        client.produce(topic, "first")                           # auto-creates the topic
        records = consumer.poll(timeout_ms=3000)
        # a partition that appeared after the consumer started is read from its start, even with "latest"
        assert [(m.offset, m.decode()) for m in records] == [(0, "first")]


# ------------------------------------------------------------------------------ start and commits

def test_resume_from_committed_offsets_after_close(flymq):
    topic = flymq.topic()
    client = flymq.client()
    client.create_topic(topic, partitions=2)
    produce(client, topic, 10)
    with client.consumer(topic, "g", auto_commit=False) as consumer:
        first = consumer.poll(timeout_ms=1000, max_records=4)
        assert consumer.commit() == {(topic, p): 1 + max(m.offset for m in first if m.partition == p)
                                     for p in {m.partition for m in first}}
        assert consumer.commit() == {}                           # nothing changed since
        consumer.poll(timeout_ms=1000, max_records=2)            # delivered but never committed
    with client.consumer(topic, "g") as consumer:
        rest = drain(consumer)
    seen = {(m.partition, m.offset) for m in first} | {(m.partition, m.offset) for m in rest}
    assert len(first) + len(rest) == 10 == len(seen)             # resumed exactly at the commit


def test_auto_commit_false_commits_nothing(flymq):
    topic = flymq.topic()
    client = flymq.client()
    produce(client, topic, 3)
    with client.consumer(topic, "g", auto_commit=False, auto_commit_interval_ms=0) as consumer:
        assert len(drain(consumer)) == 3
    assert committed(flymq, topic, "g") is None


def test_auto_offset_reset_latest_and_committed_wins(flymq):
    topic = flymq.topic()
    client = flymq.client()
    produce(client, topic, 5)
    with client.consumer(topic, "g", auto_offset_reset="latest") as consumer:
        assert consumer.poll(timeout_ms=200) == []
        assert consumer.position(0) == 5
        produce(client, topic, 2, prefix="n")
        assert [m.offset for m in consumer.poll(timeout_ms=2000)] == [5, 6]
    client.commit_offset(topic, "g2", 0, 2)
    with client.consumer(topic, "g2", auto_offset_reset="latest") as consumer:
        assert consumer.position(0) == 2                          # a committed offset beats the reset policy
    with pytest.raises(ValueError):
        client.consumer(topic, "g3", auto_offset_reset="middle")


def test_commit_explicit_offsets(flymq):
    topic = flymq.topic()
    client = flymq.client()
    client.create_topic(topic, partitions=2)
    with client.consumer(topic, "g", auto_commit=False) as consumer:
        assert consumer.commit({(topic, 0): 2, (topic, 1): 7}) == {(topic, 0): 2, (topic, 1): 7}
        with pytest.raises(TypeError):
            consumer.commit({"bad": 1})
        with pytest.raises(ValueError):
            consumer.commit({(topic, 0): -1})
    assert committed(flymq, topic, "g", 0) == 2
    assert committed(flymq, topic, "g", 1) == 7
    with client.consumer(topic, "g") as consumer:
        assert (consumer.position(0), consumer.position(1)) == (2, 7)


def test_commit_async_returns_future_and_keeps_order(flymq):
    topic = flymq.topic()
    client = flymq.client()
    produce(client, topic, 6)
    with client.consumer(topic, "g", auto_commit=False) as consumer:
        consumer.poll(timeout_ms=1000, max_records=2)
        older = consumer.commit_async()
        consumer.poll(timeout_ms=1000, max_records=3)
        assert consumer.commit() == {(topic, 0): 5}
        assert older.result(5) == {(topic, 0): 2}
        assert committed(flymq, topic, "g") == 5                  # the older async commit did not win
        newest = consumer.commit_async(offsets={(topic, 0): 6})
    assert newest.done() and newest.result() == {(topic, 0): 6}  # close waited for it
    assert committed(flymq, topic, "g") == 6


def test_consumer_without_group_cannot_commit(flymq):
    topic = flymq.topic()
    client = flymq.client()
    produce(client, topic, 2)
    with Consumer(client, topic) as consumer:
        assert [m.offset for m in take(consumer, 2)] == [0, 1]
        with pytest.raises(ConsumerError, match="group_id"):
            consumer.commit()


# -------------------------------------------------------------------------- out of range, seeks

def test_out_of_range_position_raises_and_seek_to_beginning_recovers(flymq):
    topic = flymq.topic()
    client = flymq.client()
    produce(client, topic, 5)
    with client.consumer(topic, "g") as consumer:
        consumer.seek(0, 50)
        for _ in range(2):                                        # raised until a seek moves the position
            with pytest.raises(OffsetOutOfRangeError) as info:
                consumer.poll(timeout_ms=200)
            err = info.value
            assert (err.topic, err.partition, err.offset, err.low, err.high) == (topic, 0, 50, 0, 5)
        consumer.seek_to_beginning()
        assert [m.offset for m in consumer.poll(timeout_ms=1000)] == [0, 1, 2, 3, 4]
        consumer.seek(0, 5)                                      # the end itself is a valid position
        assert consumer.poll(timeout_ms=100) == []


def test_committed_offset_past_the_end_raises_in_iteration(flymq):
    topic = flymq.topic()
    client = flymq.client()
    produce(client, topic, 3)
    client.commit_offset(topic, "g", 0, 10)
    with Consumer(client, topic, group_id="g") as consumer:
        with pytest.raises(OffsetOutOfRangeError):
            next(iter(consumer))
        consumer.seek_to_end()
        assert consumer.position() == 3


def test_seek_on_unassigned_partition_raises(flymq):
    topic = flymq.topic()
    client = flymq.client()
    client.create_topic(topic, partitions=1)
    with client.consumer(topic, "g") as consumer:
        with pytest.raises(ConsumerError, match="not assigned"):
            consumer.seek(3, 0)
        with pytest.raises(ValueError):
            consumer.seek(0, -1)


def test_retry_count_counts_redeliveries(flymq):
    topic = flymq.topic()
    client = flymq.client()
    produce(client, topic, 5)
    client.commit_offset(topic, "g", 0, 3)
    with client.consumer(topic, "g") as consumer:
        assert [(m.offset, m.retry_count) for m in drain(consumer)] == [(3, 0), (4, 0)]
        consumer.seek(0, 0)                                       # 0-2 were never delivered here
        assert [(m.offset, m.retry_count) for m in drain(consumer)] == [(0, 0), (1, 0), (2, 0), (3, 1), (4, 1)]
        consumer.seek(0, 2)
        assert [(m.offset, m.retry_count) for m in drain(consumer)] == [(2, 1), (3, 2), (4, 2)]
    with client.consumer(topic, "g2") as consumer:                # another consumer: its own count
        assert {m.retry_count for m in drain(consumer)} == {0}


def test_delivery_log_ranges():
    log = _DeliveryLog()
    assert [log.record(o) for o in (0, 1, 2, 10, 11)] == [0, 0, 0, 0, 0]
    assert log.ranges == [[0, 3], [10, 12]]
    assert [log.record(o) for o in (5, 4, 3, 6)] == [0, 0, 0, 0]   # fills and merges
    assert log.ranges == [[0, 7], [10, 12]]
    assert [log.record(o) for o in (1, 1, 10, 9)] == [1, 2, 1, 0]
    assert log.ranges == [[0, 7], [9, 12]]


# ------------------------------------------------------------------------------- close, threads

def test_close_is_idempotent_and_final(flymq):
    topic = flymq.topic()
    client = flymq.client()
    produce(client, topic, 1)
    consumer = client.consumer(topic, "g")
    assert len(consumer.poll(timeout_ms=1000)) == 1
    consumer.close()
    consumer.close()
    assert consumer.closed
    assert list(consumer) == []
    with pytest.raises(ConsumerError):
        consumer.poll(timeout_ms=0)
    with pytest.raises(ConsumerError):
        consumer.commit()
    assert committed(flymq, topic, "g") == 1
    assert not client.closed                                      # the client is the caller's


def test_iteration_ends_when_closed_from_another_thread(flymq):
    topic = flymq.topic()
    client = flymq.client()
    produce(client, topic, 2)
    consumer = Consumer(client, topic, group_id="g")
    got = []
    thread = threading.Thread(target=lambda: got.extend(consumer))
    thread.start()
    wait_for(lambda: len(got) == 2, 5, "two records")
    time.sleep(0.2)
    assert thread.is_alive()                                      # blocked waiting for more
    started = time.monotonic()
    consumer.close()
    thread.join(3)
    assert not thread.is_alive()
    assert time.monotonic() - started < 1.0


def test_low_level_consumer_single_partition(flymq):
    topic = flymq.topic()
    client = flymq.client()
    client.create_topic(topic, partitions=2)
    metas = produce(client, topic, 6)
    mine = [m.offset for m in metas if m.partition == 1]
    with Consumer(client, topic, group_id="g", partition=1) as consumer:
        assert consumer.assignment() == {(topic, 1)}
        assert [m.offset for m in take(consumer, len(mine))] == mine
        assert consumer.position() == len(mine)
        assert consumer.commit() == {(topic, 1): len(mine)}
    with pytest.raises(Exception, match="partition 5"):
        Consumer(client, topic, partition=5).assignment()


# ---------------------------------------------------------------------------- group work sharing

def _converged(consumers, everything) -> bool:
    parts = [c.assignment() for c in consumers]
    return all(parts) and set().union(*parts) == everything and sum(len(p) for p in parts) == len(everything)


def test_group_members_share_and_take_over(flymq):
    topic = flymq.topic()
    client = flymq.client()
    client.create_topic(topic, partitions=4)
    everything = {(topic, p) for p in range(4)}
    c1 = client.consumer(topic, "g", session_timeout_ms=900)
    c2 = client.consumer(topic, "g", session_timeout_ms=900)
    got: dict[str, list] = {"1": [], "2": []}
    try:
        def poll_both():
            got["1"].extend(c1.poll(timeout_ms=20))
            got["2"].extend(c2.poll(timeout_ms=20))
            return _converged([c1, c2], everything)

        wait_for(poll_both, 5, "the members to split the partitions")
        assert len(c1.assignment()) == len(c2.assignment()) == 2
        produce(client, topic, 40)
        wait_for(lambda: (poll_both(), len(got["1"]) + len(got["2"]) >= 40)[1], 5, "all records")
        assert {m.partition for m in got["1"]} == {p for _, p in c1.assignment()}
        assert {m.partition for m in got["2"]} == {p for _, p in c2.assignment()}

        # c2 stops polling: after session_timeout_ms c1 owns everything, and reads c2's new records
        c2_parts = {p for _, p in c2.assignment()}
        c2.commit()
        started = time.monotonic()
        wait_for(lambda: (c1.poll(timeout_ms=20), c1.assignment() == everything)[1], 5, "the takeover")
        assert time.monotonic() - started >= 0.5        # not before c2's session (0.9 s) ran out
        produce(client, topic, 8, prefix="n")
        late = []
        wait_for(lambda: (late.extend(c1.poll(timeout_ms=50)), len(late) >= 8)[1], 5, "records after takeover")
        assert {m.partition for m in late} >= c2_parts
        assert all(m.decode().startswith("n") for m in late)      # nothing of c2's was read twice
    finally:
        c1.close()
        c2.close()


def test_silent_member_does_not_commit_over_the_new_owner(flymq):
    topic = flymq.topic()
    client = flymq.client()
    client.create_topic(topic, partitions=2)
    everything = {(topic, 0), (topic, 1)}
    c1 = client.consumer(topic, "g", auto_commit=False, session_timeout_ms=900)
    c2 = client.consumer(topic, "g", auto_commit=False, session_timeout_ms=900)
    try:
        wait_for(lambda: (c1.poll(timeout_ms=20), c2.poll(timeout_ms=20),
                          _converged([c1, c2], everything))[2], 5, "the split")
        (lost,) = {p for _, p in c2.assignment()}
        produce(client, topic, 20)
        wait_for(lambda: (c2.poll(timeout_ms=20), c2.position(lost) == 10)[1], 5, "c2 to read its partition")
        # c2 goes silent without committing; c1 takes its partition over, re-reads it, reads on, commits
        wait_for(lambda: (c1.poll(timeout_ms=20), c1.assignment() == everything)[1], 5, "the takeover")
        produce(client, topic, 6, prefix="n")
        wait_for(lambda: (c1.poll(timeout_ms=20), c1.position(lost) == 13)[1], 5, "c1 to read on")
        assert c1.commit()[(topic, lost)] == 13
        # c2 wakes up: its position 10 is stale, and committing it would rewind the group
        assert (topic, lost) not in c2.commit()
        c2.close()
        assert committed(flymq, topic, "g", lost) == 13
    finally:
        c1.close()
        c2.close()


def test_close_hands_partitions_over_at_once(flymq):
    topic = flymq.topic()
    client = flymq.client()
    client.create_topic(topic, partitions=2)
    everything = {(topic, 0), (topic, 1)}
    c1 = Consumer(client, topic, group_id="g")            # default 30 s session: only close() can be quick
    c2 = Consumer(client, topic, group_id="g")
    try:
        wait_for(lambda: (c1.poll(timeout_ms=20), c2.poll(timeout_ms=20),
                          _converged([c1, c2], everything))[2], 5, "the split")
        c2.close()
        started = time.monotonic()
        wait_for(lambda: (c1.poll(timeout_ms=20), c1.assignment() == everything)[1], 5, "the handover")
        assert time.monotonic() - started < 2.0
        registry = flymq.client().describe_group(MEMBERS_TOPIC_PREFIX + topic, "g").offsets
        assert sum(1 for v in registry.values() if v) == 1       # c2's slot was cleared
        assert not any(t.startswith("__") for t in flymq.client().list_topics())   # the registry is hidden
    finally:
        c1.close()


def test_abandoned_consumer_of_this_process_does_not_hold_partitions(flymq):
    topic = flymq.topic()
    client = flymq.client()
    client.create_topic(topic, partitions=1)
    produce(client, topic, 3)
    first = Consumer(client, topic, group_id="g")
    assert take(first, 1)[0].offset == 0
    first.commit()
    del first                                                    # dropped without close(), as the seed's
    second = Consumer(client, topic, group_id="g")               # recovery pattern does
    try:
        assert [m.offset for m in take(second, 2, timeout=3)] == [1, 2]
    finally:
        second.close()


# ------------------------------------------------------------------------------- connection loss

@pytest.mark.broker(idle_timeout=300)
def test_connection_loss_is_a_consumer_error(flymq):
    topic = flymq.topic()
    client = flymq.client(retries=1, timeout_ms=1000)
    produce(client, topic, 2)
    consumer = client.consumer(topic, "g", auto_commit=False)
    assert len(consumer.poll(timeout_ms=1000)) == 2
    flymq.broker.stop()
    with pytest.raises(ConsumerError) as info:
        consumer.poll(timeout_ms=200)
    assert isinstance(info.value, ConsumerConnectionError)
    assert isinstance(info.value, FlyMQConnectionError)
    outcome = []
    done = threading.Event()
    consumer.commit_async(callback=lambda offsets, error: (outcome.append((offsets, error)), done.set()))
    assert done.wait(10)
    assert outcome[0][0] == {(topic, 0): 2}
    assert isinstance(outcome[0][1], ConsumerConnectionError)
    consumer.close()


def test_constructor_validation(flymq):
    client = flymq.client()
    with pytest.raises(ValueError):
        HighLevelConsumer(client, [], "g")
    with pytest.raises(ValueError):
        client.consumer("t", "g", max_poll_records=0)
    with pytest.raises(ValueError):
        client.consumer("t", "")
    with pytest.raises(ValueError):
        Consumer(client, "")
