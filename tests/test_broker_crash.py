"""Crash consistency of ``--data-dir``: ``kill -9`` at random moments loses nothing acknowledged and brings
nothing deleted back (issue 7, item 1). Loopback only, bounded in kills and time, seeded."""

from __future__ import annotations

import copy
import os
import random
import time

import pytest

from pyflymq import wire
from pyflymq.broker import Broker
from pyflymq.broker.log import fnv1a32
from pyflymq.broker.storage import _safe_name
from pyflymq.broker.testing import BrokerProcess, RawConnection
from pyflymq.wire import Op

pytestmark = pytest.mark.skipif(bool(os.environ.get("FLYMQ_TEST_SERVER")),
                                reason="kills and restarts the built-in broker with a data directory")

KILLS = 12
SEED = 20261203
TOPICS = [f"crash-{i}" for i in range(4)]
GROUPS = ["g1", "g2"]


# ------------------------------------------------------------------------------------ the model


class Model:
    """What the broker must hold: topics with their records, and committed offsets."""

    def __init__(self) -> None:
        self.topics: dict[str, list[list[tuple[bytes, bytes]]]] = {}
        self.offsets: dict[tuple[str, str], dict[int, int]] = {}
        self.committed_keys: set[tuple[str, str, int]] = set()

    def apply(self, op: tuple) -> tuple[int, int] | None:
        """Apply one op; for a produce, return the (partition, offset) the broker must answer."""
        kind = op[0]
        if kind == "create":
            self.topics.setdefault(op[1], [[] for _ in range(op[2])])
        elif kind == "delete":
            self.topics.pop(op[1], None)
        elif kind == "produce":
            _kind, topic, key, value = op
            partitions = self.topics.setdefault(topic, [[]])
            p = fnv1a32(key) % len(partitions) if len(partitions) > 1 else 0
            partitions[p].append((key, value))
            return p, len(partitions[p]) - 1
        elif kind == "commit":
            _kind, topic, group, p, offset = op
            self.offsets.setdefault((topic, group), {})[p] = offset
            self.committed_keys.add((topic, group, p))
        return None

    def observed(self, keys: set[tuple[str, str, int]]) -> dict:
        """The state as the read-back below reports it."""
        offsets = {}
        for topic, group, p in keys:
            found = self.offsets.get((topic, group))
            offsets[(topic, group, p)] = None if found is None else found.get(p, 0)
        return {"topics": copy.deepcopy(self.topics), "offsets": offsets}


def encode(op: tuple) -> bytes:
    """The request frame for a model op."""
    kind = op[0]
    if kind == "create":
        return wire.encode_frame(Op.CREATE_TOPIC, wire.encode_create_topic_request(op[1], op[2]))
    if kind == "delete":
        return wire.encode_frame(Op.DELETE_TOPIC, wire.encode_topic_request(op[1]))
    if kind == "produce":
        return wire.encode_frame(Op.PRODUCE, wire.encode_produce_request(op[1], op[3], key=op[2]))
    return wire.encode_frame(Op.COMMIT, wire.encode_commit_request(*op[1:]))


def produce_op(rng: random.Random, topic: str, serial: int) -> tuple:
    """A keyed record (the key decides the partition, so the model knows where it goes)."""
    value = f"v{serial}-".encode() + rng.randbytes(rng.randrange(0, 200))
    return ("produce", topic, f"k{rng.randrange(500)}".encode(), value)


def random_op(rng: random.Random, model: Model, serial: int, kind: str | None = None) -> tuple:
    """One op, biased towards what makes crashes interesting: many partitions, deletes of full topics."""
    kind = kind or rng.choices(["create", "delete", "produce", "commit"], [1, 1, 12, 2])[0]
    topic = rng.choice(TOPICS)
    if kind == "create":
        return ("create", topic, rng.choice([1, 3, 16, 64]))
    if kind == "delete":
        return ("delete", rng.choice(list(model.topics) or TOPICS))
    if kind == "produce":
        return produce_op(rng, rng.choice(list(model.topics) or TOPICS), serial)
    return ("commit", topic, rng.choice(GROUPS), rng.randrange(4), rng.randrange(1000))


# ------------------------------------------------------------------------------------ the broker's view


def read_state(conn: RawConnection, keys: set[tuple[str, str, int]]) -> dict:
    """Every topic (partition count and all records) and the committed offset of every key, over the wire."""
    topics = {}
    for name in wire.decode_list_topics_response(conn.request(Op.LIST_TOPICS).payload):
        meta = wire.decode_cluster_metadata_response(
            conn.request(Op.CLUSTER_METADATA, wire.encode_topic_request(name)).payload)
        partitions = []
        for p in range(len(meta.topics[0].partitions)):
            records: list[tuple[bytes, bytes]] = []
            while True:
                reply = conn.request(Op.FETCH, wire.encode_fetch_request(name, p, len(records), 1000))
                assert reply.op == Op.FETCH, wire.decode_error(reply.payload, reply.flags)
                result = wire.decode_fetch_response(reply.payload, name, p)
                for message in result.messages:
                    assert message.offset == len(records)
                    records.append((message.key or b"", message.value))
                if not result.messages:
                    break
            partitions.append(records)
        topics[name] = partitions
    offsets = {}
    for topic, group, p in keys:
        reply = conn.request(Op.GET_OFFSET, wire.encode_group_partition_request(topic, group, p))
        offsets[(topic, group, p)] = wire.decode_u64_response(reply.payload) if reply.op == Op.GET_OFFSET else None
    return {"topics": topics, "offsets": offsets}


def acknowledged_run(conn: RawConnection, rng: random.Random, model: Model, count: int, serial: int) -> int:
    """``count`` random ops, pipelined, each checked against the model once its reply is in."""
    ops = []
    for _ in range(count):
        ops.append(random_op(rng, model, serial))
        serial += 1
    conn.send(b"".join(encode(op) for op in ops))
    for op in ops:
        reply = conn.read_frame()
        assert reply.op != Op.ERROR, (op, wire.decode_error(reply.payload, reply.flags))
        expected = model.apply(op)
        if expected is not None:
            meta = wire.decode_record_metadata(reply.payload)
            assert (meta.partition, meta.offset) == expected, op
    return serial


def test_random_kills_lose_nothing_acknowledged_and_resurrect_nothing(tmp_path):
    rng = random.Random(SEED)
    data_dir = str(tmp_path / "data")
    model = Model()
    in_flight: list[tuple] = []
    serial = 0
    started = time.monotonic()
    for kill in range(KILLS + 1):
        with BrokerProcess("--data-dir", data_dir) as broker:
            with RawConnection(broker.address, timeout=10) as conn:
                # The broker holds the model plus some prefix of the ops in flight at the last kill.
                keys = model.committed_keys | {(op[1], op[2], op[3]) for op in in_flight if op[0] == "commit"}
                seen = read_state(conn, keys)
                candidates = []
                for applied in range(len(in_flight) + 1):
                    candidate = copy.deepcopy(model)
                    for op in in_flight[:applied]:
                        candidate.apply(op)
                    candidates.append(candidate)
                matching = [c for c in candidates if c.observed(keys) == seen]
                assert matching, (f"after kill {kill}: broker state matches no prefix of the "
                                  f"{len(in_flight)} ops in flight: {in_flight}")
                model = matching[-1]
                if kill == KILLS:
                    break
                serial = acknowledged_run(conn, rng, model, rng.randrange(50, 300), serial)
                # Ops in flight at the kill: a burst of one kind, sent and not waited for.
                kind = rng.choice(["create", "delete", "produce", "commit"])
                in_flight = []
                if kind == "delete":  # delete and re-create every topic: many logs removed while it dies
                    for topic in TOPICS:
                        in_flight.append(("delete", topic))
                        in_flight.append(("create", topic, 64))
                        for _ in range(3):
                            in_flight.append(produce_op(rng, topic, serial))
                            serial += 1
                for _ in range(rng.randrange(1, 6)):
                    in_flight.append(random_op(rng, model, serial, kind))
                    serial += 1
                conn.send(b"".join(encode(op) for op in in_flight))
                time.sleep(rng.uniform(0, 0.012))
                broker.kill()
    assert time.monotonic() - started < 120, "the crash test must stay bounded"


# ------------------------------------------------------------------------------------ what a crash leaves


def test_a_half_deleted_topic_is_purged_at_start_and_never_read_again(tmp_path):
    """What an interrupted delete used to leave: logs without topic.json, a tombstone, a half-built create."""
    topics_dir = tmp_path / "topics"
    for leftover in (_safe_name("orders"), ".deleted-7", ".creating-8"):
        (topics_dir / leftover).mkdir(parents=True)
        (topics_dir / leftover / "0.log").write_bytes(b"\x00\x00\x00\x00\x00\x00\x00\x03old")
    with Broker(data_dir=str(tmp_path)) as broker:
        assert broker.topic_names() == []
        broker.create_topic("orders")
        meta = broker.produce("orders", b"new")
        assert meta.offset == 0
        assert broker.records("orders") == [(0, None, b"new")]
    assert not any(entry.startswith(".") for entry in os.listdir(topics_dir))
    assert _safe_name("orders") not in os.listdir(topics_dir)
    with Broker(data_dir=str(tmp_path)) as broker:
        assert broker.records("orders") == [(0, None, b"new")]


def test_a_topic_created_again_gets_a_fresh_log(tmp_path):
    with Broker(data_dir=str(tmp_path)) as broker:
        broker.create_topic("t", 2)
        for i in range(4):
            broker.produce("t", f"old-{i}")
        broker.delete_topic("t")
        broker.create_topic("t", 2)
        broker.produce("t", "new")
    with Broker(data_dir=str(tmp_path)) as broker:
        values = [v for p in range(2) for _o, _k, v in broker.records("t", p)]
        assert values == [b"new"]
        assert len(os.listdir(tmp_path / "topics")) == 1


def test_a_torn_last_record_is_cut_off(tmp_path):
    with Broker(data_dir=str(tmp_path)) as broker:
        broker.produce("t", b"whole")
    (directory,) = os.listdir(tmp_path / "topics")
    with open(tmp_path / "topics" / directory / "0.log", "ab") as fh:
        fh.write(b"\x00\x00\x00\x00\x00\x00\x01\x00torn")
    with Broker(data_dir=str(tmp_path)) as broker:
        assert broker.records("t") == [(0, None, b"whole")]
        broker.produce("t", b"next")
        assert broker.records("t") == [(0, None, b"whole"), (1, None, b"next")]


def test_leftover_offset_temp_files_are_removed(tmp_path):
    with Broker(data_dir=str(tmp_path)) as broker:
        broker.commit("t", "g", 0, 5)
    stray = tmp_path / "__consumer_offsets" / "x.json.tmp"
    stray.write_text("{")
    with Broker(data_dir=str(tmp_path)) as broker:
        assert broker.committed("t", "g", 0) == 5
    assert not stray.exists()

