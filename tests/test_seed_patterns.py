"""Every snippet of ``seed/CONSUMER_PATTERNS.md``, run as written against a broker, checking that it does what
its prose says.

Changes to the snippets' text are only these: ``localhost:9092`` is the test server's address, topic names
come from ``flymq.topic()`` (unique per test), ``process``/``log_error`` record what they get, and loops that
would run forever stop after the expected records (by a ``break``, by closing the consumer, or by a
``_Stop`` raised from ``process``), each marked ``# test:``.
"""

from __future__ import annotations

import threading
import time

import pytest

from pyflymq import (
    Consumer,
    ConsumerError,
    FlyMQClient,
    OffsetOutOfRangeError,
    SubscribeMode,
    connect,
)
from tests.consumer_helpers import take, wait_for


class _Stop(BaseException):
    """Ends a snippet's endless loop from inside ``process`` (a BaseException: the snippets' ``except
    Exception`` must not swallow it)."""


def committed(flymq, topic: str, group: str, partition: int = 0) -> int:
    """The group's committed offset, read by a fresh client."""
    return flymq.client().get_committed_offset(topic, group, partition)


# ----------------------------------------------------------------------------------- Quick Start

def test_quick_start_auto_commits_on_close_and_next_consumer_resumes(flymq, capsys):
    topic = flymq.topic("my-topic")
    client = connect(flymq.address)
    try:
        for i in range(5):
            client.produce(topic, f"hello {i}")

        received = []
        # High-level consumer with Kafka-like API
        with client.consumer(topic, "my-group") as consumer:
            for message in consumer:
                print(f"Received: {message.decode()}")
                # Auto-commit enabled by default
                received.append(message.decode())
                if len(received) == 5:  # test: stop the endless loop
                    break

        assert received == [f"hello {i}" for i in range(5)]
        assert "Received: hello 0\n" in capsys.readouterr().out
        assert committed(flymq, topic, "my-group") == 5          # committed when the with-block closed it

        client.produce(topic, "hello 5")
        with client.consumer(topic, "my-group") as consumer:     # the same group resumes after the commit
            assert [m.decode() for m in consumer.poll(timeout_ms=2000)] == ["hello 5"]
    finally:
        client.close()


# ------------------------------------------------------------------------------ High-Level Consumer

def test_high_level_basic_usage(flymq, capsys):
    topic = flymq.topic("my-topic")
    client = connect(flymq.address)
    try:
        client.produce(topic, "v0", key="k0")
        client.produce(topic, "v1")

        seen = []
        with client.consumer(topic, "my-group") as consumer:
            for message in consumer:
                print(f"Key: {message.key}")
                print(f"Value: {message.decode()}")
                print(f"Offset: {message.offset}")
                seen.append((message.key, message.decode(), message.offset))
                if len(seen) == 2:  # test: stop
                    break

        assert seen == [(b"k0", "v0", 0), (None, "v1", 1)]
        out = capsys.readouterr().out
        assert "Key: b'k0'\nValue: v0\nOffset: 0\n" in out
        assert "Key: None\nValue: v1\nOffset: 1\n" in out
    finally:
        client.close()


def test_poll_based_consumption_with_manual_commit(flymq):
    topic1, topic2 = flymq.topic("topic1"), flymq.topic("topic2")
    client = connect(flymq.address)
    try:
        client.create_topic(topic2, partitions=2)
        expected = set()
        for i in range(30):
            meta = client.produce(topic1 if i % 3 else topic2, f"m{i}")
            expected.add((meta.topic, meta.partition, meta.offset))
        processed = []

        def process(msg):
            processed.append((msg.topic, msg.partition, msg.offset))

        consumer = client.consumer(
            topics=[topic1, topic2],
            group_id="my-group",
            auto_commit=False  # Manual commit
        )

        while True:
            messages = consumer.poll(timeout_ms=1000, max_records=100)

            for msg in messages:
                process(msg)

            consumer.commit()  # Commit after processing batch
            if len(processed) >= len(expected):  # test: stop
                break

        consumer.close()

        assert sorted(processed) == sorted(expected)
        for t, p in [(topic1, 0), (topic2, 0), (topic2, 1)]:
            assert committed(flymq, t, "my-group", p) == 1 + max(o for tt, pp, o in expected if (tt, pp) == (t, p))

        client.produce(topic1, "late")
        again = client.consumer(topics=[topic1, topic2], group_id="my-group", auto_commit=False)
        try:
            assert [m.decode() for m in again.poll(timeout_ms=2000)] == ["late"]
        finally:
            again.close()
    finally:
        client.close()


def test_consumer_configuration(flymq):
    topic = flymq.topic("my-topic")
    client = flymq.client()
    client.produce(topic, "x")

    consumer = client.consumer(
        topics=topic,
        group_id="my-group",
        auto_commit=True,              # Enable auto-commit
        auto_commit_interval_ms=5000,  # Commit every 5 seconds
        max_poll_records=500,          # Max records per poll
        session_timeout_ms=30000       # Session timeout
    )

    with consumer:
        assert consumer.config["auto_commit_interval_ms"] == 5000
        assert consumer.config["max_poll_records"] == 500
        assert consumer.config["session_timeout_ms"] == 30000
        assert consumer.topics == [topic]
        assert [m.decode() for m in consumer.poll(timeout_ms=2000)] == ["x"]
        assert committed_or_none(client, topic, "my-group") is None   # 5 s have not passed
    assert committed(flymq, topic, "my-group") == 1                   # auto-commit at close


def committed_or_none(client, topic, group):
    from pyflymq import GroupNotFoundError

    try:
        return client.describe_group(topic, group).offsets.get(0)
    except GroupNotFoundError:
        return None


def test_seek_operations(flymq, capsys):
    topic = flymq.topic("my-topic")
    client = flymq.client()
    for i in range(150):
        client.produce(topic, f"m{i}")

    consumer = client.consumer(topic, "my-group")

    # Seek to specific offset
    consumer.seek(partition=0, offset=100)
    assert consumer.position(partition=0) == 100
    assert consumer.poll(timeout_ms=1000, max_records=1)[0].offset == 100

    # Seek to beginning of partition
    consumer.seek_to_beginning(partition=0)
    assert consumer.position(partition=0) == 0
    assert consumer.poll(timeout_ms=1000, max_records=1)[0].offset == 0

    # Seek to end (only new messages)
    consumer.seek_to_end(partition=0)

    # Get current position
    position = consumer.position(partition=0)
    print(f"Current position: {position}")

    assert position == 150
    assert "Current position: 150" in capsys.readouterr().out
    assert consumer.poll(timeout_ms=200) == []
    client.produce(topic, "new")
    assert [(m.offset, m.decode()) for m in consumer.poll(timeout_ms=2000)] == [(150, "new")]
    consumer.close()


def test_async_commit(flymq, capsys):
    topic = flymq.topic("my-topic")
    client = flymq.client()
    for i in range(5):
        client.produce(topic, f"m{i}")
    consumer = client.consumer(topic, "my-group", auto_commit=False)
    assert len(consumer.poll(timeout_ms=2000)) == 5
    calls = []
    done = threading.Event()

    def on_commit_complete(offsets, error):
        if error:
            print(f"Commit failed: {error}")
        else:
            print(f"Committed: {offsets}")
        calls.append((offsets, error, threading.current_thread()))  # test: record
        done.set()

    consumer.commit_async(callback=on_commit_complete)

    assert done.wait(5)
    assert calls[0][:2] == ({(topic, 0): 5}, None)
    assert calls[0][2] is not threading.current_thread()          # did not block the caller
    assert f"Committed: {{('{topic}', 0): 5}}" in capsys.readouterr().out
    assert committed(flymq, topic, "my-group") == 5
    consumer.close()


# ------------------------------------------------------------------------------- Basic Consumption

def test_simple_consume(flymq, capsys):
    topic = flymq.topic("my-topic")
    flymq.client().produce(topic, "hello")

    client = FlyMQClient(flymq.address)
    message = client.consume(topic, offset=0)
    print(message.decode())
    client.close()

    assert capsys.readouterr().out == "hello\n"


def test_consume_with_key(flymq, capsys):
    client = flymq.client()
    orders = flymq.topic("orders")
    client.produce(orders, '{"id": 1}', key="order-1")

    # Consume message and get its key
    msg = client.consume(orders, offset=0)
    print(f"Key: {msg.key}, Data: {msg.decode()}")

    assert capsys.readouterr().out == 'Key: b\'order-1\', Data: {"id": 1}\n'


# --------------------------------------------------------------------------- Consumer Groups (low level)

def test_basic_consumer_group_commits_and_resumes(flymq):
    topic = flymq.topic("my-topic")
    client = flymq.client()
    for i in range(5):
        client.produce(topic, f"m{i}")
    processed = []

    def process(text):
        processed.append(text)

    consumer = Consumer(client, topic, group_id="my-group")

    for message in consumer:
        process(message.decode())
        consumer.commit()  # Save position
        if len(processed) == 3:  # test: stop
            break

    consumer.close()  # test: leave the group, so the next consumer takes the partition at once
    assert processed == ["m0", "m1", "m2"]
    assert committed(flymq, topic, "my-group") == 3
    with Consumer(client, topic, group_id="my-group") as again:
        assert [m.decode() for m in take(again, 2)] == ["m3", "m4"]


def test_multiple_consumers_share_work(flymq):
    tasks = flymq.topic("tasks")
    client = flymq.client()
    client.create_topic(tasks, partitions=4)
    processed: dict[str, list] = {"1": [], "2": []}
    lock = threading.Lock()

    def make_process(name):
        def process(msg):
            with lock:
                processed[name].append((msg.partition, msg.offset, msg.decode()))
        return process

    def worker1():
        process = make_process("1")
        # Consumer 1 (process A)
        for msg in consumer1:
            process(msg)
            consumer1.commit()

    def worker2():
        process = make_process("2")
        # Consumer 2 (process B) - same group, shares work
        for msg in consumer2:
            process(msg)
            consumer2.commit()

    consumer1 = Consumer(client, tasks, group_id="workers")
    consumer2 = Consumer(client, tasks, group_id="workers")
    threads = [threading.Thread(target=worker1), threading.Thread(target=worker2)]
    for thread in threads:
        thread.start()
    try:
        everything = {(tasks, p) for p in range(4)}
        wait_for(lambda: (consumer1.assignment() | consumer2.assignment()) == everything
                 and not consumer1.assignment() & consumer2.assignment()
                 and consumer1.assignment() and consumer2.assignment(), 10, "the two members to split the work")
        for i in range(40):
            client.produce(tasks, f"task-{i}")
        wait_for(lambda: len(processed["1"]) + len(processed["2"]) >= 40, 10, "all tasks processed")
        time.sleep(0.2)
    finally:
        consumer1.close()
        consumer2.close()
        for thread in threads:
            thread.join(5)

    values = [v for name in "12" for _, _, v in processed[name]]
    assert sorted(values) == sorted(f"task-{i}" for i in range(40))       # every task exactly once
    assert processed["1"] and processed["2"]                               # both did some
    parts1 = {p for p, _, _ in processed["1"]}
    parts2 = {p for p, _, _ in processed["2"]}
    assert not parts1 & parts2                                             # by partition, no overlap
    for p in range(4):
        assert committed(flymq, tasks, "workers", p) == 10


def test_subscribe_modes(flymq):
    topic = flymq.topic("my-topic")
    client = flymq.client()
    for i in range(5):
        client.produce(topic, f"m{i}")
    client.commit_offset(topic, "my-group", 0, 2)
    consumer = Consumer(client, topic, group_id="my-group")

    # Start from committed offset (default)
    consumer.subscribe(mode=SubscribeMode.COMMIT)
    assert consumer.position(0) == 2
    assert take(consumer, 1)[0].decode() == "m2"

    # Start from beginning
    consumer.subscribe(mode=SubscribeMode.EARLIEST)
    assert consumer.position(0) == 0
    assert take(consumer, 1)[0].decode() == "m0"

    # Start from end (new messages only)
    consumer.subscribe(mode=SubscribeMode.LATEST)
    assert consumer.position(0) == 5
    client.produce(topic, "m5")
    assert take(consumer, 1)[0].decode() == "m5"
    consumer.close()


# ------------------------------------------------------------------------------- Offset Management

def test_manual_commit_failed_message_is_reprocessed(flymq):
    topic = flymq.topic("topic")
    client = flymq.client()
    for i in range(5):
        client.produce(topic, f"m{i}")
    processed, errors = [], []

    def process(message):
        if message.decode() == "m2":
            raise ValueError("cannot process m2")
        processed.append(message.decode())

    def log_error(e):
        errors.append(str(e))
        consumer.close()  # test: the worker stops after the error

    consumer = client.consumer(topic, "group", auto_commit=False)

    for message in consumer:
        try:
            process(message)
            consumer.commit()  # Commit after successful processing
        except Exception as e:
            # Don't commit - message will be reprocessed
            log_error(e)

    assert processed == ["m0", "m1"]
    assert errors == ["cannot process m2"]
    assert committed(flymq, topic, "group") == 2                  # m2 was not committed
    with client.consumer(topic, "group", auto_commit=False) as next_consumer:
        assert [m.decode() for m in take(next_consumer, 3)] == ["m2", "m3", "m4"]   # m2 is reprocessed


def test_auto_commit_every_interval(flymq):
    topic = flymq.topic("topic")
    client = flymq.client()
    for i in range(5):
        client.produce(topic, f"m{i}")
    processed = []

    def process(message):
        processed.append(message.decode())

    # Auto-commit is enabled by default
    consumer = client.consumer(
        topic,
        "group",
        auto_commit=True,
        auto_commit_interval_ms=300  # test: 300 ms instead of 5000, to keep the test fast
    )

    def run():
        for message in consumer:
            process(message)
            # Offsets committed automatically every 5 seconds

    thread = threading.Thread(target=run)
    thread.start()
    try:
        wait_for(lambda: len(processed) == 5, 5, "5 records")
        started = time.monotonic()
        wait_for(lambda: committed_or_none(flymq.client(), topic, "group") == 5, 3, "an auto-commit")
        assert time.monotonic() - started < 1.5
        assert not consumer.closed                                  # committed while still running
    finally:
        consumer.close()
        thread.join(5)
    assert not thread.is_alive()


def test_seeking(flymq):
    topic = flymq.topic("topic")
    client = flymq.client()
    client.create_topic(topic, partitions=2)
    for i in range(300):
        client.produce(topic, f"m{i}")
    highs = {p: client.watermarks(topic, p)[1] for p in range(2)}
    assert highs[0] > 100

    consumer = client.consumer(topic, "group")

    # Seek to specific offset
    consumer.seek(partition=0, offset=100)
    assert consumer.position(partition=0) == 100

    # Seek to beginning
    consumer.seek_to_beginning()
    assert consumer.position(partition=0) == 0 and consumer.position(partition=1) == 0

    # Seek to end
    consumer.seek_to_end()
    assert consumer.position(partition=1) == highs[1]

    # Get current position
    position = consumer.position(partition=0)

    assert position == highs[0]
    assert consumer.poll(timeout_ms=200) == []
    consumer.close()


# -------------------------------------------------------------------------------- Batch Processing

def test_fetch_multiple_messages(flymq):
    topic = flymq.topic("topic")
    client = flymq.client()
    for i in range(150):
        client.produce(topic, f"m{i}")
    processed = []

    def process(msg):
        processed.append(msg.offset)

    result = client.fetch(topic, partition=0, offset=0, max_messages=100)

    for msg in result.messages:
        process(msg)

    next_offset = result.next_offset

    assert processed == list(range(100))
    assert next_offset == 100
    assert [m.offset for m in client.fetch(topic, offset=next_offset, max_messages=100).messages] == \
        list(range(100, 150))


@pytest.mark.parametrize("coordinator", [
    pytest.param(False, id="passthrough"),
    pytest.param(True, id="coordinator", marks=pytest.mark.broker(transactions=True)),
])
def test_batch_with_transactions(flymq, coordinator):
    topic, results = flymq.topic("topic"), flymq.topic("results")
    client = flymq.client()
    for i in range(250):
        client.produce(topic, f"m{i}")
    flushed = []

    def process(msg):
        return f"result-{msg.decode()}"

    consumer = client.consumer(topic, "group", auto_commit=False)

    batch = []
    for message in consumer:
        batch.append(message)

        if len(batch) >= 100:
            with client.transaction() as txn:
                for msg in batch:
                    result = process(msg)
                    txn.produce(results, result)
            consumer.commit()
            flushed.append(len(batch))  # test: record
            batch.clear()
            if len(flushed) == 2:  # test: stop after two batches
                break

    consumer.close()
    written = client.fetch(results, max_messages=1000).messages
    assert [m.decode() for m in written] == [f"result-m{i}" for i in range(200)]
    assert committed(flymq, topic, "group") == 200
    with client.consumer(topic, "group") as again:
        assert [m.offset for m in take(again, 50)] == list(range(200, 250))


# --------------------------------------------------------------------------------- Error Handling

class ProcessingError(Exception):
    """The snippet's application-level error."""


def test_graceful_error_recovery(flymq):
    topic = flymq.topic("topic")
    client = flymq.client()
    for value in ["m0", "m1", "bad", "m3", "m4"]:
        client.produce(topic, value)
    client.commit_offset(topic, "group", 0, 50)      # a committed offset past the end of the log
    processed, errors = [], []

    def process(message):
        if message.decode() == "bad":
            raise ProcessingError("bad record")
        processed.append(message.decode())
        if message.decode() == "m4":
            raise _Stop  # test: end the endless loop

    def log_error(e):
        errors.append(e)

    consumer = Consumer(client, topic, group_id="group")

    with pytest.raises(_Stop):
        while True:
            try:
                for message in consumer:
                    try:
                        process(message)
                        consumer.commit()
                    except ProcessingError as e:
                        # Log and continue
                        log_error(e)
                        consumer.commit()  # Skip bad message
            except OffsetOutOfRangeError:
                # Reset to beginning
                consumer.seek_to_beginning()
            except ConsumerError:
                # Reconnect
                time.sleep(1)
                consumer = Consumer(client, topic, group_id="group")

    assert processed == ["m0", "m1", "m3", "m4"]                   # recovered from offset 50, from the start
    assert [str(e) for e in errors] == ["bad record"]
    assert committed(flymq, topic, "group") == 4                    # "bad" skipped; m4 not committed (stop)
    consumer.close()


def test_dead_letter_queue_after_three_retries(flymq):
    topic = flymq.topic("topic")
    client = flymq.client()
    for value in ["a", "poison", "b", "last"]:
        client.produce(topic, value)
    attempts, done = [], []
    consumer = client.consumer(topic, "group", auto_commit=False)

    def process(message):
        attempts.append((message.decode(), message.retry_count))
        if message.decode() == "poison":
            if message.retry_count < 3:              # test: the retry policy redelivers a failed record
                consumer.seek(message.partition, message.offset)
            raise ValueError("cannot process")
        if message.decode() == "last":
            raise _Stop  # test: end the endless loop
        done.append(message.decode())

    with pytest.raises(_Stop):
        for message in consumer:
            try:
                process(message)
                consumer.commit()
            except Exception:
                # Send to DLQ after max retries
                if message.retry_count >= 3:
                    client.produce(f"{topic}-dlq", message.data)
                consumer.commit()

    assert attempts == [("a", 0), ("poison", 0), ("poison", 1), ("poison", 2), ("poison", 3), ("b", 0),
                        ("last", 0)]
    assert done == ["a", "b"]
    assert [m.value for m in client.fetch(f"{topic}-dlq").messages] == [b"poison"]
    assert committed(flymq, topic, "group") == 3
    consumer.close()
