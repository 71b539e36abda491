"""``flytui SERVERS --topic T --print``: JSON Lines on stdout, exit codes, filters, seeks, pipes and Ctrl-C.

The command runs as a subprocess against the ``flymq`` server (built in, or FLYMQ_TEST_SERVER), so what is
checked is what a shell sees: stdout, stderr and the exit status.
"""

from __future__ import annotations

import base64
import io
import json
import os
import select
import signal
import socket
import subprocess
import sys
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flytui.model import ConnectionSettings
from flytui.one_shot import (
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_SERVER,
    EXIT_USAGE,
    PrintOptions,
    _line_from_object,
    record_line,
    run_print,
)
from pyflymq import connect
from pyflymq.broker.testing import BrokerProcess
from pyflymq.models import Message

RUN_SECONDS = 60  # every subprocess is bounded by this
EXTERNAL_SERVER = os.environ.get("FLYMQ_TEST_SERVER", "").strip()


def flytui(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m flytui ARGS`` to its end."""
    return subprocess.run([sys.executable, "-m", "flytui", *args], capture_output=True, timeout=RUN_SECONDS,
                          check=False)


def start_flytui(*args: str, stdout: int = subprocess.PIPE) -> subprocess.Popen[bytes]:
    """Start ``python -m flytui ARGS`` (the caller ends it)."""
    return subprocess.Popen([sys.executable, "-m", "flytui", *args], stdout=stdout, stderr=subprocess.PIPE)


def lines(result: subprocess.CompletedProcess[bytes]) -> list[dict[str, object]]:
    """The JSON objects printed on stdout."""
    return [json.loads(line) for line in result.stdout.splitlines()]


def fill_partitions(client, topic: str, partitions: int, per_partition: int) -> dict[int, list[bytes]]:
    """Produce JSON records with keys spread until every partition holds ``per_partition``; returns the keys
    by partition in offset order."""
    client.create_topic(topic, partitions)
    keys: dict[int, list[bytes]] = defaultdict(list)
    index = 0
    while min((len(keys[p]) for p in range(partitions)), default=0) < per_partition:
        key = f"cust-{index:04d}".encode()
        index += 1
        value = json.dumps({"n": index, "amount": index * 10, "note": f"incident-{index}"})
        meta = client.produce(topic, value, key=key)
        keys[meta.partition].append(key)
        assert index < 100 * partitions * per_partition, "the server sends every key to the same partition"
    return keys


@pytest.fixture
def orders(flymq):
    """A 3-partition topic with at least 4 JSON records in each partition: (address, topic, keys by partition)."""
    topic = flymq.topic("orders")
    keys = fill_partitions(flymq.client(), topic, 3, 4)
    return flymq.address, topic, keys


def test_prints_every_record_of_every_partition_in_offset_order(orders) -> None:
    address, topic, keys = orders
    result = flytui(address, "--topic", topic, "--print")
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stderr == b""
    printed = lines(result)
    by_partition: dict[int, list[dict[str, object]]] = defaultdict(list)
    for record in printed:
        by_partition[record["partition"]].append(record)
    assert sorted(by_partition) == [0, 1, 2]
    for partition, records in by_partition.items():
        assert [r["offset"] for r in records] == list(range(len(keys[partition])))
        assert [r["key"] for r in records] == [k.decode() for k in keys[partition]]
    first = by_partition[0][0]
    assert set(first) == {"topic", "partition", "offset", "key", "key_encoding", "value", "value_encoding"}
    assert first["topic"] == topic and first["key_encoding"] == "text" and first["value_encoding"] == "json"
    assert isinstance(first["value"], dict) and {"n", "amount", "note"} <= set(first["value"])


def test_text_binary_and_keyless_records_are_shaped_for_jq(flymq) -> None:
    topic = flymq.topic("shapes")
    client = flymq.client()
    client.produce(topic, b"plain words", key=b"k1")
    client.produce(topic, b"\xff\x00\x01", key=b"\xfe\xfd")
    client.produce(topic, b"[1, 2]")
    client.produce(topic, b"")
    result = flytui(flymq.address, "--topic", topic, "--print")
    assert result.returncode == EXIT_OK, result.stderr
    text, binary, keyless, empty = lines(result)
    assert (text["key"], text["key_encoding"], text["value"], text["value_encoding"]) == \
        ("k1", "text", "plain words", "text")
    assert base64.b64decode(binary["key"]) == b"\xfe\xfd" and binary["key_encoding"] == "base64"
    assert base64.b64decode(binary["value"]) == b"\xff\x00\x01" and binary["value_encoding"] == "base64"
    assert keyless["key"] is None and "key_encoding" not in keyless
    assert keyless["value"] == [1, 2] and keyless["value_encoding"] == "json"
    assert empty["value"] == "" and empty["value_encoding"] == "text"


def test_filters_search_every_partition(orders) -> None:
    address, topic, keys = orders
    wanted = {keys[p][1].decode() for p in range(3)}  # the second record of each partition
    expression = " or ".join(f'key == "{key}"' for key in sorted(wanted))
    result = flytui(address, "--topic", topic, "--print", "--filter", expression)
    assert result.returncode == EXIT_OK, result.stderr
    assert {r["key"] for r in lines(result)} == wanted
    assert {r["partition"] for r in lines(result)} == {0, 1, 2}


def test_plain_and_predicate_filters(orders) -> None:
    address, topic, _ = orders
    plain = lines(flytui(address, "--topic", topic, "--print", "--filter", "INCIDENT-3"))
    assert {r["value"]["note"] for r in plain} >= {"incident-3"}
    assert all("incident-3" in r["value"]["note"] for r in plain)
    big = lines(flytui(address, "--topic", topic, "--print", "--filter", "$.amount > 100 and not $.n == 12"))
    assert big and all(r["value"]["amount"] > 100 and r["value"]["n"] != 12 for r in big)
    everything = lines(flytui(address, "--topic", topic, "--print"))
    assert len(big) == sum(1 for r in everything if r["value"]["amount"] > 100 and r["value"]["n"] != 12)


def test_count_stops_after_n_records(orders) -> None:
    address, topic, _ = orders
    result = flytui(address, "--topic", topic, "--print", "--count", "5")
    assert result.returncode == EXIT_OK
    assert len(lines(result)) == 5
    one = flytui(address, "--topic", topic, "--print", "--count", "1", "--filter", "$.n > 0")
    assert len(lines(one)) == 1


def test_from_seeks_each_partition(flymq, orders) -> None:
    address, topic, keys = orders
    last_two = lines(flytui(address, "--topic", topic, "--print", "--from", "end-2"))
    assert sorted((r["partition"], r["offset"]) for r in last_two) == sorted(
        (p, len(keys[p]) - i) for p in range(3) for i in (2, 1))
    assert lines(flytui(address, "--topic", topic, "--print", "--from", "-1", "--partition", "1")) == [
        r for r in last_two if r["partition"] == 1 and r["offset"] == len(keys[1]) - 1]
    from_three = lines(flytui(address, "--topic", topic, "--print", "--from", "3", "--partition", "0,2"))
    assert sorted((r["partition"], r["offset"]) for r in from_three) == sorted(
        (p, o) for p in (0, 2) for o in range(3, len(keys[p])))
    assert lines(flytui(address, "--topic", topic, "--print", "--from", "end")) == []

    group = f"g-{topic}"
    client = flymq.client()
    for partition in range(3):
        client.commit_offset(topic, group, partition, len(keys[partition]) - 1)
    from_group = lines(flytui(address, "--topic", topic, "--print", "--from", f"group:{group}"))
    assert sorted((r["partition"], r["offset"]) for r in from_group) == sorted(
        (p, len(keys[p]) - 1) for p in range(3))


def test_bad_expression_exits_2_with_the_position_on_stderr(orders) -> None:
    address, topic, _ = orders
    result = flytui(address, "--topic", topic, "--print", "--filter", "$.amount > ")
    assert result.returncode == EXIT_USAGE
    assert result.stdout == b""
    message = result.stderr.decode()
    assert "expected a value" in message and "at character 12" in message
    assert message.splitlines()[-1] == "  " + " " * 11 + "^"
    assert "Traceback" not in message


@pytest.mark.parametrize(("args", "words"), [
    (["--print"], "--print needs --topic"),
    (["--topic", "x", "--from", "beginning"], "only apply with --print"),
    (["--topic", "x", "--print", "--from", "sometime"], "bad --from"),
    (["--topic", "x", "--print", "--count", "0"], "must be 1 or more"),
    (["--topic", "x", "--print", "--partition", "a"], "partition numbers"),
])
def test_bad_usage_exits_2(flymq, args: list[str], words: str) -> None:
    result = flytui(flymq.address, *args)
    assert result.returncode == EXIT_USAGE
    assert words in result.stderr.decode()


def test_missing_topic_and_partition_exit_3(flymq, orders) -> None:
    address, topic, _ = orders
    missing = flytui(address, "--topic", flymq.topic("missing"), "--print")
    assert missing.returncode == EXIT_NOT_FOUND
    assert "not found" in missing.stderr.decode() and "Traceback" not in missing.stderr.decode()
    no_partition = flytui(address, "--topic", topic, "--print", "--partition", "7")
    assert no_partition.returncode == EXIT_NOT_FOUND
    assert "no partition 7" in no_partition.stderr.decode()
    no_group = flytui(address, "--topic", topic, "--print", "--from", f"group:{flymq.topic('nobody')}")
    assert no_group.returncode == EXIT_NOT_FOUND


def test_unreachable_server_exits_1() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = flytui(f"127.0.0.1:{port}", "--topic", "t", "--print")
    assert result.returncode == EXIT_SERVER
    assert "cannot connect" in result.stderr.decode() and "Traceback" not in result.stderr.decode()


def _pipe_into_head(*args: str) -> tuple[int, bytes, bytes]:
    """Run ``flytui ARGS | head -1``: flytui's exit status and stderr, and what head printed."""
    producer = start_flytui(*args)
    head = subprocess.Popen(["head", "-1"], stdin=producer.stdout, stdout=subprocess.PIPE)
    assert producer.stdout is not None
    producer.stdout.close()  # head holds the only reading end now
    try:
        head_out, _ = head.communicate(timeout=RUN_SECONDS)
        _, err = producer.communicate(timeout=RUN_SECONDS)
    finally:
        for process in (producer, head):
            if process.poll() is None:
                process.kill()
                process.wait()
    return producer.returncode, err, head_out


def test_closed_pipe_ends_quietly(flymq) -> None:
    topic = flymq.topic("many")
    client = flymq.client()
    big = "x" * 500
    for index in range(1500):  # far more than a pipe buffer holds
        client.produce(topic, f'{{"n": {index}, "pad": "{big}"}}')
    status, err, head_out = _pipe_into_head(flymq.address, "--topic", topic, "--print")
    assert json.loads(head_out)["offset"] == 0
    assert status == EXIT_OK
    assert err == b""


def test_closed_pipe_ends_a_quiet_follow(flymq) -> None:
    topic = flymq.topic("quiet")
    flymq.client().produce(topic, b"only one")
    status, err, head_out = _pipe_into_head(flymq.address, "--topic", topic, "--print", "--follow")
    assert json.loads(head_out)["value"] == "only one"
    assert status == EXIT_OK
    assert err == b""


def _read_line(process: subprocess.Popen[bytes], seconds: float) -> bytes:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], seconds)
    assert ready, "no output in time"
    return process.stdout.readline()


def test_ctrl_c_stops_follow_cleanly(flymq) -> None:
    topic = flymq.topic("live")
    client = flymq.client()
    client.produce(topic, b'{"n": 1}')
    process = start_flytui(flymq.address, "--topic", topic, "--print", "--follow")
    try:
        assert json.loads(_read_line(process, RUN_SECONDS))["value"] == {"n": 1}  # printed while still running
        client.produce(topic, b'{"n": 2}')
        assert json.loads(_read_line(process, RUN_SECONDS))["value"] == {"n": 2}  # followed
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=RUN_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == EXIT_INTERRUPTED
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err


def test_print_path_does_not_import_textual() -> None:
    code = ("import sys, flytui.cli, flytui.one_shot, flytui.record_query; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=RUN_SECONDS, check=True)
    assert result.stdout.strip() == b"[]"


def test_run_print_streams_into_a_binary_stream(orders) -> None:
    address, topic, keys = orders
    out, err = io.BytesIO(), io.StringIO()
    status = run_print(ConnectionSettings(servers=address), PrintOptions(topic=topic, partitions=(2,)),
                       explain=lambda exc, settings: str(exc), stdout=out, stderr=err)
    assert status == EXIT_OK and err.getvalue() == ""
    assert [json.loads(line)["key"] for line in out.getvalue().splitlines()] == [k.decode() for k in keys[2]]


@pytest.mark.parametrize(("value", "shown", "encoding"), [
    (b'{"a": NaN}', '{"a": NaN}', "text"),  # NaN is not JSON: printing it as JSON would break jq
    (b"Infinity", "Infinity", "text"),
    (b'"\\ud800"', '"\\ud800"', None),  # a lone surrogate escape stays a valid JSON line
    (b"[" * 100_000 + b"]" * 100_000, None, "text"),  # deeper than the JSON decoder goes
])
def test_record_line_is_always_one_valid_json_line(value: bytes, shown: str | None, encoding: str | None) -> None:
    line = record_line(Message("t", 0, 5, None, value))
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    record = json.loads(line)
    if shown is not None and encoding == "text":
        assert record["value"] == shown
    if encoding is not None:
        assert record["value_encoding"] == encoding


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(topic=st.text(min_size=1, max_size=10), key=st.none() | st.binary(max_size=10) | st.text().map(str.encode),
       value=st.binary(max_size=40) | st.text().map(str.encode)
       | _JSON_VALUES.map(lambda doc: json.dumps(doc, indent=st_indent(doc)).encode()))
def test_record_line_reads_back_as_the_record(topic: str, key: bytes | None, value: bytes) -> None:
    line = record_line(Message(topic, 1, 2, key, value))
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    record = json.loads(line)
    assert record == json.loads(_line_from_object(Message(topic, 1, 2, key, value)))
    assert (record["topic"], record["partition"], record["offset"]) == (topic, 1, 2)
    if key is None:
        assert record["key"] is None
    elif record["key_encoding"] == "base64":
        assert base64.b64decode(record["key"]) == key
    else:
        assert record["key"].encode() == key
    if record["value_encoding"] == "base64":
        assert base64.b64decode(record["value"]) == value
    elif record["value_encoding"] == "text":
        assert record["value"].encode() == value
    else:
        assert record["value"] == json.loads(value)


def st_indent(doc: object) -> int | None:
    """Pretty-print some documents (raw newlines inside a JSON value must not split the line)."""
    return 1 if isinstance(doc, dict) and len(doc) % 2 else None


@pytest.mark.skipif(bool(EXTERNAL_SERVER), reason="kills a built-in broker process of its own; "
                                                  "not done to FLYMQ_TEST_SERVER")
def test_a_broker_lost_while_following_exits_1() -> None:
    with BrokerProcess() as broker:
        with connect(broker.address, timeout_ms=5000) as client:
            client.produce("lost", b"before")
        process = start_flytui(broker.address, "--topic", "lost", "--print", "--follow")
        try:
            assert json.loads(_read_line(process, RUN_SECONDS))["value"] == "before"
            broker.kill()
            _, err = process.communicate(timeout=RUN_SECONDS)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == EXIT_SERVER
    assert b"failed" in err and b"Traceback" not in err
