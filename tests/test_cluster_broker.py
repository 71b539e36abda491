"""The built-in broker's cluster mode against flymq-wire §7, byte for byte over raw sockets (no client
library in between). Also runs against ``FLYMQ_TEST_CLUSTER``; what stops nodes is built-in only."""

from __future__ import annotations

import socket

import pytest

from pyflymq import wire
from pyflymq.broker.testing import BrokerProcess, RawConnection
from pyflymq.wire import Op
from tests.cluster_helpers import raw_error, wait_until


def _request(address: str, op: int, payload: bytes = b"") -> wire.Frame:
    with RawConnection(address, timeout=5.0) as conn:
        return conn.request(op, payload)


def _create(address: str, topic: str, partitions: int) -> wire.Frame:
    return _request(address, Op.CREATE_TOPIC, wire.encode_create_topic_request(topic, partitions))


def _visible(address: str, topic: str) -> bool:
    return _request(address, Op.CLUSTER_METADATA, wire.encode_topic_request(topic)).op == Op.CLUSTER_METADATA


def _produce(address: str, topic: str, value: bytes, key: bytes | None = None) -> wire.Frame:
    return _request(address, Op.PRODUCE, wire.encode_produce_request(topic, value, key))


def _fetch(address: str, topic: str, partition: int = 0) -> list[bytes]:
    reply = _request(address, Op.FETCH, wire.encode_fetch_request(topic, partition, 0, 100))
    assert reply.op == Op.FETCH, raw_error(reply)
    return [m.value for m in wire.decode_fetch_response(reply.payload, topic, partition).messages]


def _made_topic(cluster, partitions: int = 6) -> tuple[str, int]:
    """A topic created through the leader and visible on every node; returns it and the leader's index."""
    leader = cluster.leader_index()
    topic = cluster.topic()
    assert _create(cluster.addresses[leader], topic, partitions).op == Op.CREATE_TOPIC
    for address in cluster.addresses:
        wait_until(lambda address=address: _visible(address, topic))
    return topic, leader


def test_topic_changes_through_a_follower_name_the_leader(cluster):
    leader = cluster.leader_index()
    follower = (leader + 1) % len(cluster.addresses)
    topic = cluster.topic()
    for reply in (_create(cluster.addresses[follower], topic, 3),
                  _request(cluster.addresses[follower], Op.DELETE_TOPIC, wire.encode_topic_request(topic))):
        text = raw_error(reply)
        assert text.startswith("not leader: leader_id=")
        assert text.endswith(f" leader_addr={cluster.addresses[leader]}")  # the client address: safe to follow
        assert reply.flags == 0  # E1, raw text
    assert not _visible(cluster.addresses[follower], topic)


def test_a_create_is_acknowledged_by_the_leader_and_applied_on_every_node(cluster):
    topic, _leader = _made_topic(cluster, 4)
    for address in cluster.addresses:
        meta = wire.decode_cluster_metadata_response(
            _request(address, Op.CLUSTER_METADATA, wire.encode_topic_request(topic)).payload)
        assert [len(t.partitions) for t in meta.topics] == [4]


def test_the_leader_acknowledges_before_it_applies():
    from pyflymq.broker.cluster import Cluster, ClusterTiming

    slow = ClusterTiming(leader_apply_delay=0.5, follower_apply_delay=(0.5, 0.6))
    with Cluster(3, timing=slow) as built:
        leader = built.nodes[0]
        assert _create(leader.address, "late", 2).op == Op.CREATE_TOPIC
        assert raw_error(_request(leader.address, Op.CLUSTER_METADATA, wire.encode_topic_request("late"))) \
            == "topic not found: late"  # acknowledged, not yet applied (E3 like every metadata error)
        for node in built.nodes:
            wait_until(lambda node=node: _visible(node.address, "late"))


def test_records_and_offsets_are_per_node(cluster):
    topic, _leader = _made_topic(cluster)
    first, second = cluster.addresses[0], cluster.addresses[1]
    assert _produce(first, topic, b"from-1").op == Op.PRODUCE
    assert _produce(second, topic, b"from-2").op == Op.PRODUCE
    assert _fetch(first, topic, 0) == [b"from-1"]        # each node's partition 0 is its own log:
    assert _fetch(second, topic, 0) == [b"from-2"]       # the same (topic, 0, 0) holds different records
    commit = wire.encode_commit_request(topic, "g", 0, 1)
    assert _request(first, Op.COMMIT, commit).op == Op.COMMIT
    text = raw_error(_request(second, Op.GET_OFFSET, wire.encode_group_partition_request(topic, "g", 0)))
    assert text == f"consumer group not found: {topic}:g"


def test_every_node_leads_partition_zero_and_refuses_the_partitions_of_its_peers(cluster):
    topic, _leader = _made_topic(cluster, 6)
    nodes = len(cluster.addresses)
    for address in cluster.addresses:
        meta = wire.decode_cluster_metadata_response(
            _request(address, Op.CLUSTER_METADATA, wire.encode_topic_request(topic)).payload)
        parts = meta.topics[0].partitions
        assert parts[0].leader_addr == address and parts[0].leader_id == meta.cluster_id
        for p in parts[1:]:
            if p.partition % nodes:
                assert p.leader_addr not in cluster.addresses and p.leader_id == p.leader_addr  # a Raft address
    assert len({wire.decode_cluster_metadata_response(_request(a, Op.CLUSTER_METADATA, b"").payload).cluster_id
                for a in cluster.addresses}) == nodes  # cluster_id is the answering node's id
    refused = []
    for _ in range(6):  # the node's own round-robin walks all 6 partitions
        reply = _produce(cluster.addresses[0], topic, b"v")
        if reply.op == Op.ERROR:
            refused.append(raw_error(reply))
        else:
            assert wire.decode_record_metadata(reply.payload).partition % nodes == 0
    assert len(refused) == 6 - 6 // nodes
    assert all(t.startswith("not partition leader: partition=") and " leader_addr=" in t for t in refused)


def test_the_raft_address_in_a_partition_error_never_answers(cluster):
    cluster.builtin_only("connects to a node's Raft port")
    topic, _leader = _made_topic(cluster, 6)
    text = ""
    for _ in range(3):
        reply = _produce(cluster.addresses[0], topic, b"v")
        if reply.op == Op.ERROR:
            text = raw_error(reply)
            break
    raft = text.rpartition("leader_addr=")[2]
    assert raft and raft not in cluster.addresses
    with RawConnection(raft, timeout=0.3) as conn:
        conn.send(wire.encode_frame(Op.LIST_TOPICS, b""))
        with pytest.raises((TimeoutError, socket.timeout, ConnectionError)):
            conn.read_frame()


def test_produce_to_a_missing_topic_creates_six_partitions_on_the_leader_only(cluster):
    leader = cluster.leader_index()
    follower = (leader + 1) % len(cluster.addresses)
    topic = cluster.topic()
    text = raw_error(_produce(cluster.addresses[follower], topic, b"v"))
    assert text == f"not leader: leader_addr={cluster.addresses[leader]}"
    assert _produce(cluster.addresses[leader], topic, b"v").op == Op.PRODUCE
    meta = wire.decode_cluster_metadata_response(
        _request(cluster.addresses[leader], Op.CLUSTER_METADATA, wire.encode_topic_request(topic)).payload)
    assert len(meta.topics[0].partitions) == 6


def test_a_stopped_node_gives_eof_and_refuses_new_connections(cluster):
    built = cluster.builtin_only("stops a node")
    address = cluster.addresses[2]
    conn = RawConnection(address, timeout=5.0)
    try:
        built.stop_node(2)
        assert conn.closed_by_peer(timeout=2.0)
    finally:
        conn.close()
    with pytest.raises(ConnectionRefusedError):
        RawConnection(address, timeout=2.0)


def test_killing_the_leader_elects_another_and_followers_name_the_dead_one_meanwhile(cluster):
    built = cluster.builtin_only("stops the leader")
    old = built.nodes[0]
    built.stop_node(0)
    first = raw_error(_create(built.nodes[1].address, "after", 1))
    assert first == f"not leader: leader_id={old.node_id} leader_addr={old.address}"  # still the dead leader
    new = built.wait_for_leader(timeout=5.0)
    assert new is not old
    assert _create(new.address, "after", 1).op == Op.CREATE_TOPIC
    other = next(n for n in built.nodes[1:] if n is not new)
    wait_until(lambda: raw_error(_create(other.address, "x", 1)).endswith(f"leader_addr={new.address}"))


def test_no_leader_is_elected_without_a_majority(cluster):
    built = cluster.builtin_only("stops two nodes")
    built.stop_node(0)
    built.stop_node(1)
    last = built.nodes[2].address
    wait_until(lambda: raw_error(_create(last, "t", 1)) == "not leader: no leader elected", timeout=5.0)
    assert raw_error(_produce(last, "missing", b"v")) == "not leader: no leader elected"


def test_a_restarted_node_never_learns_topics_created_while_it_was_down(cluster):
    built = cluster.builtin_only("restarts a node")
    built.stop_node(2)
    assert _create(built.nodes[0].address, "while-down", 1).op == Op.CREATE_TOPIC
    wait_until(lambda: _visible(built.nodes[1].address, "while-down"))
    built.start_node(2)
    assert not _visible(built.nodes[2].address, "while-down")
    raw = raw_error(_create(built.nodes[2].address, "y", 1))
    assert raw.endswith(f"leader_addr={built.nodes[0].address}")  # back as a follower


def test_follower_answers_without_the_leader_address_when_configured():
    from pyflymq.broker.cluster import Cluster

    with Cluster(2, leader_addr_in_errors=False) as built:
        assert raw_error(_create(built.nodes[1].address, "t", 1)) == "not leader: leader_id=node-1"


def test_cli_runs_a_cluster():
    with BrokerProcess("--cluster", "3") as proc:
        addresses = proc.address.split(",")
        assert len(addresses) == 3
        assert _create(addresses[0], "cli", 2).op == Op.CREATE_TOPIC
        assert raw_error(_create(addresses[1], "cli", 2)).endswith(f"leader_addr={addresses[0]}")
        status, _out, _err = proc.stop()
        assert status == 0


# ------------------------------------------------------------------------- the other write paths

def _refusals(address: str, op: int, payloads: list[bytes]) -> list[str]:
    """Send each write once; the error texts of the refused ones (the accepted ones must answer ``op``)."""
    refused = []
    for payload in payloads:
        reply = _request(address, op, payload)
        if reply.op == Op.ERROR:
            refused.append(raw_error(reply))
        else:
            assert reply.op == op
    return refused


def _held_partitions(address: str, topic: str, partitions: int) -> set[int]:
    return {p for p in range(partitions) if _fetch(address, topic, p)}


@pytest.mark.parametrize("op, encode", [
    (Op.PRODUCE_WITH_TTL, lambda topic, i: wire.encode_timed_produce_request(topic, b"v%d" % i, 60_000)),
    (Op.PRODUCE_DELAYED, lambda topic, i: wire.encode_timed_produce_request(topic, b"v%d" % i, 5_000)),
    (Op.TXN_PRODUCE, lambda topic, i: wire.encode_txn_produce_request("txn-1", topic, b"v%d" % i)),
], ids=["ttl", "delayed", "txn"])
def test_ttl_delayed_and_transactional_writes_refuse_partitions_led_elsewhere_like_produce(cluster, op, encode):
    # With delayed delivery and the transaction coordinator off (the defaults) all three write at once, and on
    # FlyMQ they all go through the node's one produce path: its round-robin and its partition-leader check.
    topic, _leader = _made_topic(cluster, 6)
    nodes = len(cluster.addresses)
    address = cluster.addresses[0]
    refused = _refusals(address, op, [encode(topic, i) for i in range(6)])
    assert len(refused) == 6 - 6 // nodes
    assert all(t.startswith("not partition leader: partition=") and " leader_addr=" in t for t in refused)
    assert all(t.rpartition("leader_addr=")[2] not in cluster.addresses for t in refused)  # Raft addresses
    led_here = {p for p in range(6) if p % nodes == 0}
    assert _held_partitions(address, topic, 6) == led_here
    for other in cluster.addresses[1:]:
        assert _held_partitions(other, topic, 6) == set()  # written to this node's log only


def test_a_ttl_write_to_a_missing_topic_through_a_follower_names_the_leader(cluster):
    leader = cluster.leader_index()
    follower = (leader + 1) % len(cluster.addresses)
    topic = cluster.topic()
    reply = _request(cluster.addresses[follower], Op.PRODUCE_WITH_TTL,
                     wire.encode_timed_produce_request(topic, b"v", 1000))
    assert raw_error(reply) == f"not leader: leader_addr={cluster.addresses[leader]}"
    assert not _visible(cluster.addresses[follower], topic)


def test_a_transaction_commit_that_meets_a_partition_led_elsewhere_answers_success_0():
    from pyflymq.broker.cluster import Cluster

    with Cluster(3, transactions=True) as built:
        built.create_topic("t", 3)
        node = built.nodes[0]
        with RawConnection(node.address, timeout=5.0) as conn:
            txn_id, ok = wire.decode_txn_response(conn.request(Op.TXN_BEGIN, b"").payload)
            for value in (b"a", b"b", b"c"):
                assert conn.request(Op.TXN_PRODUCE, wire.encode_txn_produce_request(txn_id, "t", value)).op \
                    == Op.TXN_PRODUCE  # buffered: nothing is placed yet
            commit = conn.request(Op.TXN_COMMIT, wire.encode_txn_id_request(txn_id))
            assert wire.decode_txn_response(commit.payload) == (txn_id, False)
            again = conn.request(Op.TXN_COMMIT, wire.encode_txn_id_request(txn_id))
            assert wire.decode_txn_response(again.payload) == (txn_id, False)  # it ended aborted
        assert [value for _, _, value in node.records("t", 0)] == [b"a"]  # the write before the refusal stays
        assert node.records("t", 1) == [] and node.records("t", 2) == []


def test_schema_writes_and_dlq_replays_are_placed_like_produce():
    import json

    from pyflymq.broker.cluster import Cluster

    with Cluster(3, dlq=True) as built:
        built.create_topic("t", 3)
        node = built.nodes[0]
        record = json.dumps({"id": "m", "original_topic": "t", "payload": "eA=="}).encode()
        node.produce("t.dlq", record)  # "t.dlq" has one partition, led by the node itself
        with RawConnection(node.address, timeout=5.0) as conn:
            refused = []
            for _ in range(3):
                reply = conn.request(Op.PRODUCE_WITH_SCHEMA, wire.encode_produce_with_schema_request("t", "s", b"s"))
                if reply.op == Op.ERROR:
                    refused.append(raw_error(reply))
            assert len(refused) == 2 and all(t.startswith("not partition leader: partition=") for t in refused)
            statuses = [wire.decode_status_response(conn.request(
                Op.REPLAY_DLQ, wire.encode_replay_dlq_request("t", "m")).payload) for _ in range(3)]
        assert statuses[0] == (True, "OK")  # the round-robin is back on partition 0
        assert [ok for ok, _ in statuses[1:]] == [False, False]
        assert all(text.startswith("not partition leader: partition=") for _, text in statuses[1:])
        assert [value for _, _, value in node.records("t", 0)] == [b"s", b"x"]
