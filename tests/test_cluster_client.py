"""pyflymq on a FlyMQ cluster (pyflymq-api "Clusters", flymq-wire §7): data pinned to one node and said
which, node changes never silent, topic changes routed to the Raft leader, ``not partition leader`` never
followed. Runs on the built-in cluster, or on ``FLYMQ_TEST_CLUSTER`` (what stops nodes is skipped there)."""

from __future__ import annotations

import pytest

from pyflymq import connect
from pyflymq.broker.cluster import Cluster
from pyflymq.broker.log import fnv1a32
from pyflymq.errors import ConsumerConnectionError, FlyMQConnectionError, NodeChangedError, NotLeaderError
from tests.cluster_helpers import FAST, unanswering_servers, wait_until

TIMEOUT_MS = 3000


def _client(servers, **kwargs):
    kwargs.setdefault("timeout_ms", TIMEOUT_MS)
    return connect(servers, **kwargs)


def _starting_at(cluster, index: int) -> list[str]:
    """The server list with node ``index`` first (the node a client connects to)."""
    addresses = cluster.addresses
    return addresses[index:] + addresses[:index]


def _topic_on_all(cluster, partitions: int = 6) -> str:
    topic = cluster.topic()
    with _client(cluster.servers) as admin:
        admin.create_topic(topic, partitions)
    for address in cluster.addresses:  # every node shows it before the test goes on
        with _client(address) as one:
            one.create_topic(topic, partitions)  # returns once visible there (idempotent)
    return topic


def test_node_names_the_cluster_node_in_use(cluster):
    with _client(_starting_at(cluster, 1)) as client:
        node = client.node
        assert node.address == cluster.addresses[1]
        assert node.in_cluster
        if cluster.cluster is not None:
            assert node.node_id == "node-2"


def test_create_and_delete_through_a_follower_go_to_the_leader_and_return_once_visible(cluster):
    leader = cluster.leader_index()
    follower = (leader + 1) % len(cluster.addresses)
    topic = cluster.topic()
    with _client(_starting_at(cluster, follower)) as client:
        client.create_topic(topic, 3)
        assert client.address == cluster.addresses[follower]  # data traffic did not move to the leader
        assert client.partitions(topic) == 3                   # visible on this node when create returned
        client.delete_topic(topic)
        assert topic not in client.list_topics()               # gone from this node when delete returned


def test_create_waits_for_the_leader_to_apply_it_on_the_leader_itself(cluster):
    leader = cluster.leader_index()
    topic = cluster.topic()
    with _client(cluster.addresses[leader]) as client:
        client.create_topic(topic, 2)
        assert client.partitions(topic) == 2  # the leader acknowledges before it applies


def test_unkeyed_produce_is_placed_on_a_partition_this_node_leads(cluster):
    topic = _topic_on_all(cluster)
    with _client(cluster.addresses[0]) as client:
        leaders = {p.partition for p in client.cluster_metadata(topic).topics[0].partitions
                   if p.leader_addr == cluster.addresses[0]}
        placed = [client.produce(topic, f"v{i}").partition for i in range(6)]
    assert set(placed) <= leaders and 0 in leaders
    if cluster.cluster is not None:
        assert all(node.raft_connections == 0 for node in cluster.cluster.nodes)  # never followed


def test_keyed_produce_to_a_partition_led_elsewhere_fails_with_the_servers_words(cluster):
    topic = _topic_on_all(cluster)
    with _client(cluster.addresses[0]) as client:
        led = {p.partition: p.leader_addr for p in client.cluster_metadata(topic).topics[0].partitions}
        key = next(f"k{i}" for i in range(1000) if led[fnv1a32(f"k{i}".encode()) % 6] != cluster.addresses[0])
        partition = fnv1a32(key.encode()) % 6
        with pytest.raises(NotLeaderError) as info:
            client.produce(topic, b"v", key=key)
        assert str(info.value) == f"not partition leader: partition={partition} leader_addr={led[partition]}"
        assert info.value.partition_leader
        assert client.fetch(topic, partition).messages == []  # nothing written here
    if cluster.cluster is not None:
        assert all(node.raft_connections == 0 for node in cluster.cluster.nodes)


def test_killing_the_clients_node_raises_node_changed_once_then_reads_the_new_node(cluster):
    built = cluster.builtin_only("kills a node")
    topic = _topic_on_all(cluster)
    built.nodes[0].produce(topic, b"on node 1")
    built.nodes[1].produce(topic, b"on node 2")
    with _client(cluster.servers) as client:
        assert [m.value for m in client.fetch(topic, 0).messages] == [b"on node 1"]
        built.stop_node(0)
        with pytest.raises(NodeChangedError) as info:
            client.fetch(topic, 0)
        error = info.value
        assert error.previous.node_id == "node-1" and error.current.node_id == "node-2"
        assert "node-1" in str(error) and "node-2" in str(error)
        assert client.node.address == cluster.addresses[1]
        assert [m.value for m in client.fetch(topic, 0).messages] == [b"on node 2"]  # told once, then works


def test_a_write_after_the_node_died_is_not_sent_to_the_new_node_silently(cluster):
    built = cluster.builtin_only("kills a node")
    topic = _topic_on_all(cluster)
    with _client(cluster.servers) as client:
        client.commit_offset(topic, "g", 0, 5)
        built.stop_node(0)
        with pytest.raises(NodeChangedError):
            client.produce(topic, b"x")
        assert built.nodes[1].records(topic, 0) == []
        assert built.nodes[1].committed(topic, "g", 0) is None  # the commit stayed on the dead node


def test_follow_moves_to_the_next_node_without_an_error(cluster):
    built = cluster.builtin_only("kills a node")
    topic = _topic_on_all(cluster)
    built.nodes[1].produce(topic, b"on node 2")
    with _client(cluster.servers, on_node_change="follow") as client:
        assert client.fetch(topic, 0).messages == []
        built.stop_node(0)
        assert [m.value for m in client.fetch(topic, 0).messages] == [b"on node 2"]
        assert client.node.node_id == "node-2"


def test_on_node_change_is_checked():
    with pytest.raises(ValueError):
        connect("127.0.0.1:1", on_node_change="ignore")


def test_create_while_the_leader_is_dead_waits_for_the_election(cluster):
    built = cluster.builtin_only("kills the leader")
    built.stop_node(0)
    topic = cluster.topic()
    with _client(_starting_at(cluster, 1), timeout_ms=10_000) as client:
        client.create_topic(topic, 2)  # the dead leader is named first, then no leader, then a new one
        assert client.partitions(topic) == 2
        assert client.address == cluster.addresses[1]


def test_create_through_a_follower_that_names_no_address_tries_the_other_servers():
    with Cluster(3, timing=FAST, leader_addr_in_errors=False) as built:
        servers = built.addresses[1:] + built.addresses[:1]
        with _client(servers) as client:
            client.create_topic("t", 1)
            assert client.partitions("t") == 1
            assert client.address == built.addresses[1]


def test_create_without_a_majority_fails_with_the_servers_words(cluster):
    built = cluster.builtin_only("stops two nodes")
    built.stop_node(0)
    built.stop_node(1)
    with _client(cluster.addresses[2], timeout_ms=800) as client:
        with pytest.raises(NotLeaderError) as info:
            client.create_topic("never", 1)
    assert "not leader" in str(info.value)


def test_consumer_and_its_membership_stay_on_the_clients_node(cluster):
    built = cluster.builtin_only("looks into each node's groups")
    topic = _topic_on_all(cluster, 3)
    built.nodes[1].produce(topic, b"a")
    with _client(_starting_at(cluster, 1)) as client:
        consumer = client.consumer(topic, "g", auto_commit=False)
        try:
            messages = []
            for _ in range(20):
                messages += consumer.poll(timeout_ms=100)
                if messages:
                    break
            assert [m.value for m in messages] == [b"a"]
            consumer.commit()
            assert built.nodes[1].committed(topic, "g", 0) == 1
            assert len(built.nodes[1].group_members(topic, "g")) == 1
            assert built.nodes[0].groups() == [] and built.nodes[2].groups() == []
            built.stop_node(1)
            with pytest.raises(ConsumerConnectionError) as info:
                for _ in range(20):
                    consumer.poll(timeout_ms=50)
            assert isinstance(info.value.__cause__, NodeChangedError)
            assert built.nodes[2].groups() == []
        finally:
            consumer.close()


def test_ttl_delayed_and_transactional_writes_are_placed_on_partitions_this_node_leads(cluster):
    # The node refuses the partitions its round-robin picks that it does not lead; as for an unkeyed
    # produce, the client sends the write to the same node again and never follows the Raft address.
    topic = _topic_on_all(cluster)
    with _client(cluster.addresses[0]) as client:
        leaders = {p.partition for p in client.cluster_metadata(topic).topics[0].partitions
                   if p.leader_addr == cluster.addresses[0]}
        for i in range(4):
            client.produce_with_ttl(topic, f"ttl{i}", 60_000)
            client.produce_delayed(topic, f"delayed{i}", 1)  # delayed delivery is off by default: written now
            client.begin_transaction().produce(topic, f"txn{i}")  # coordinator off by default: written now
        held = {p: [m.value for m in client.fetch(topic, p).messages] for p in range(6)}
    assert {p for p, values in held.items() if values} <= leaders
    assert sorted(v for values in held.values() for v in values) == sorted(
        f"{kind}{i}".encode() for kind in ("ttl", "delayed", "txn") for i in range(4))
    if cluster.cluster is not None:
        assert all(node.raft_connections == 0 for node in cluster.cluster.nodes)


def test_a_node_that_hangs_and_one_that_refuses_are_skipped_when_the_clients_node_dies(cluster):
    built = cluster.builtin_only("kills a node")
    topic = _topic_on_all(cluster, 3)
    built.nodes[1].produce(topic, b"on node 2")
    with unanswering_servers() as (hanging, refusing):
        servers = [cluster.addresses[0], hanging, refusing, cluster.addresses[1]]
        with _client(servers) as client:
            built.stop_node(0)
            with pytest.raises(NodeChangedError) as info:  # bounded by the client's timeout, not a hang
                client.fetch(topic, 0)
            assert info.value.current.address == cluster.addresses[1]
            assert [m.value for m in client.fetch(topic, 0).messages] == [b"on node 2"]


def test_when_only_a_hanging_and_a_refusing_server_are_left_the_client_says_so_and_recovers(cluster):
    built = cluster.builtin_only("kills and restarts a node")
    topic = _topic_on_all(cluster, 3)
    built.nodes[0].produce(topic, b"on node 1")
    with unanswering_servers() as (hanging, refusing):
        with _client([cluster.addresses[0], hanging, refusing], timeout_ms=2000) as client:
            built.stop_node(0)
            for _ in range(2):  # every call is bounded and says what each server did
                with pytest.raises(FlyMQConnectionError) as info:
                    client.fetch(topic, 0)
                assert not isinstance(info.value, NodeChangedError)
                text = str(info.value)
                assert f"{hanging}: did not answer" in text
                assert f"{refusing}: Connection refused" in text
            built.start_node(0)
            assert [m.value for m in client.fetch(topic, 0).messages] == [b"on node 1"]  # the same node again
            assert client.node.node_id == "node-1"


def test_two_consumers_of_one_group_on_two_clients_of_the_cluster_share_its_partitions(cluster):
    # FlyMQ does not share a group's members between nodes: members on two nodes would each take every
    # partition. Both clients start from the same server list and so keep to the same node.
    topic = _topic_on_all(cluster, 6)
    everything = {(topic, p) for p in range(6)}
    with _client(cluster.servers) as first, _client(cluster.servers) as second:
        assert first.node.address == second.node.address
        one = first.consumer(topic, "shared", auto_commit=False, session_timeout_ms=900)
        two = second.consumer(topic, "shared", auto_commit=False, session_timeout_ms=900)
        try:
            def split() -> bool:
                one.poll(timeout_ms=20)
                two.poll(timeout_ms=20)
                mine, theirs = one.assignment(), two.assignment()
                return bool(mine) and bool(theirs) and not mine & theirs and mine | theirs == everything

            wait_until(split, timeout=10.0)
        finally:
            one.close()
            two.close()
