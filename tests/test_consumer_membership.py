"""Consumers are members the server can see, and group sharing works for a user who may only consume.

* A consumer with a group id SUBSCRIBEs with it for each of its topics, each on a connection of its own,
  so DESCRIBE_GROUP / LIST_GROUPS count it while it lives, closing it (or dropping it) leaves no ghost, and
  the group answers ``get_committed_offset`` (0) before its first commit (pyflymq-api.md, flymq-wire §3.5).
* The group coordination reads its slots with GET_OFFSET and writes them with COMMIT, which consume
  permission allows, and ``list_groups()`` leaves those entries out.
"""

from __future__ import annotations

import gc

import pytest

from pyflymq import Consumer, ConsumerError, GroupNotFoundError
from pyflymq.consumer import MEMBERS_TOPIC_PREFIX
from tests.consumer_helpers import wait_for


def members(admin, topic: str, group: str) -> int:
    """The member count the server reports for (topic, group); 0 for an unknown group."""
    for info in admin.list_groups():
        if (info.topic, info.group_id) == (topic, group):
            return info.members
    return 0


def test_a_polling_consumer_is_a_member_and_closing_leaves_no_ghost(flymq):
    admin = flymq.client()
    topic = flymq.topic()
    admin.create_topic(topic, partitions=2)
    first = admin.consumer(topic, "workers", auto_commit=False)
    second = flymq.client().consumer(topic, "workers", auto_commit=False)
    try:
        assert first.poll(timeout_ms=50) == []
        assert admin.describe_group(topic, "workers").members == 1
        assert admin.get_committed_offset(topic, "workers", 0) == 0     # before any commit: 0, not "not found"
        assert second.poll(timeout_ms=50) == []
        assert admin.describe_group(topic, "workers").members == 2
        second.close()
        wait_for(lambda: admin.describe_group(topic, "workers").members == 1, 5, "the closed member to go")
    finally:
        first.close()
        second.close()
    wait_for(lambda: admin.describe_group(topic, "workers").members == 0, 5, "no member left")


def test_each_topic_of_a_consumer_has_its_own_membership(flymq):
    admin = flymq.client()
    topics = [flymq.topic(), flymq.topic()]
    for topic in topics:
        admin.create_topic(topic, partitions=1)
    consumer = admin.consumer(topics, "multi", auto_commit=False)
    try:
        consumer.poll(timeout_ms=50)
        assert [admin.describe_group(t, "multi").members for t in topics] == [1, 1]
    finally:
        consumer.close()
    # one connection holding both would leave the first topic's member behind (flymq-wire §3.5)
    wait_for(lambda: [members(admin, t, "multi") for t in topics] == [0, 0], 5, "both memberships to end")


def test_a_low_level_consumer_with_a_group_is_a_member(flymq):
    admin = flymq.client()
    topic = flymq.topic()
    admin.produce(topic, b"x")
    consumer = Consumer(admin, topic, group_id="low", partition=0)
    try:
        assert [m.value for m in consumer.poll(timeout_ms=1000)] == [b"x"]
        assert admin.describe_group(topic, "low").members == 1
    finally:
        consumer.close()
    wait_for(lambda: members(admin, topic, "low") == 0, 5, "the member to go")


def test_a_consumer_without_a_group_is_no_member(flymq):
    admin = flymq.client()
    topic = flymq.topic()
    admin.produce(topic, b"x")
    consumer = Consumer(admin, topic)
    try:
        assert len(consumer.poll(timeout_ms=1000)) == 1
        assert not [g for g in admin.list_groups(include_internal=True) if g.topic == topic]
    finally:
        consumer.close()


def test_a_consumer_dropped_without_close_leaves_no_ghost(flymq):
    admin = flymq.client()
    topic = flymq.topic()
    admin.create_topic(topic, partitions=1)
    consumer = admin.consumer(topic, "dropped", auto_commit=False)
    consumer.poll(timeout_ms=50)
    assert admin.describe_group(topic, "dropped").members == 1
    del consumer
    gc.collect()
    wait_for(lambda: members(admin, topic, "dropped") == 0, 5, "the dropped consumer's member to go")


@pytest.mark.broker(idle_timeout=300)  # a broker of its own, to restart
def test_membership_comes_back_after_a_server_restart(flymq):
    admin = flymq.client()
    topic = flymq.topic()
    admin.create_topic(topic, partitions=1)
    consumer = admin.consumer(topic, "restart", auto_commit=False, session_timeout_ms=300)
    try:
        consumer.poll(timeout_ms=50)
        assert admin.describe_group(topic, "restart").members == 1
        flymq.broker.stop()
        flymq.broker.start()  # same port; members are not kept across a restart

        def member_again() -> bool:
            try:
                consumer.poll(timeout_ms=50)
            except ConsumerError:
                return False  # the first poll after the restart may meet the broken connection
            return members(admin, topic, "restart") == 1

        wait_for(member_again, 5, "the membership to be renewed")
    finally:
        consumer.close()


def test_list_groups_hides_the_coordination_entries(flymq):
    admin = flymq.client()
    topic = flymq.topic()
    admin.create_topic(topic, partitions=2)
    consumer = admin.consumer(topic, "hidden", auto_commit=False)
    try:
        consumer.poll(timeout_ms=50)
        shown = [(g.topic, g.group_id) for g in admin.list_groups()]
        everything = [(g.topic, g.group_id) for g in admin.list_groups(include_internal=True)]
        assert (topic, "hidden") in shown
        assert not [t for t, _ in shown if t.startswith(MEMBERS_TOPIC_PREFIX)]
        assert (MEMBERS_TOPIC_PREFIX + topic, "hidden") in everything
    finally:
        consumer.close()


# The other helper's broker change lets consume-only users COMMIT/GET_OFFSET on any topic name; the broker
# of today does not check COMMIT at all and lets them GET_OFFSET, so this runs on both.
@pytest.mark.broker(users=["root:pw:admin", "bob:pw:consumer"])
def test_group_sharing_works_for_a_user_who_may_only_consume(flymq):
    admin = flymq.client(username="root", password="pw")
    topic = flymq.topic()
    admin.create_topic(topic, partitions=2)
    for i in range(20):
        admin.produce(topic, f"m{i}", key=f"k{i}")
    bob1 = flymq.client(username="bob", password="pw").consumer(topic, "shared", auto_commit=False,
                                                                  session_timeout_ms=900)
    bob2 = flymq.client(username="bob", password="pw").consumer(topic, "shared", auto_commit=False,
                                                                  session_timeout_ms=900)
    got: dict[str, list] = {"1": [], "2": []}
    everything = {(topic, 0), (topic, 1)}
    try:
        def split() -> bool:
            got["1"] += bob1.poll(timeout_ms=20)
            got["2"] += bob2.poll(timeout_ms=20)
            one, two = bob1.assignment(), bob2.assignment()
            return len(one) == 1 and len(two) == 1 and one | two == everything

        wait_for(split, 10, "the two members to split the partitions")
        for consumer in (bob1, bob2):
            consumer.seek_to_beginning()
        got = {"1": [], "2": []}
        wait_for(lambda: (got["1"].extend(bob1.poll(timeout_ms=20)), got["2"].extend(bob2.poll(timeout_ms=20)),
                          len(got["1"]) + len(got["2"]) >= 20)[2], 10, "every record")
        offsets = [(m.partition, m.offset) for m in got["1"] + got["2"]]
        assert len(offsets) == len(set(offsets)) == 20                 # each record read once, by one member
        assert {m.partition for m in got["1"]} == {p for _, p in bob1.assignment()}
        assert {m.partition for m in got["2"]} == {p for _, p in bob2.assignment()}
        assert admin.describe_group(topic, "shared").members == 2
    finally:
        bob1.close()
        bob2.close()


def test_pipelined_committed_offsets_read_like_single_ones(flymq):
    client = flymq.client()
    topic = flymq.topic()
    client.commit_offset(topic, "g", 0, 5)
    client.commit_offset(topic, "g", 3, 7)
    assert client._committed_offsets(topic, "g", [0, 1, 2, 3]) == {0: 5, 1: 0, 2: 0, 3: 7}
    assert client._committed_offsets(topic, "g", [3]) == {3: client.get_committed_offset(topic, "g", 3)}
    with pytest.raises(GroupNotFoundError):
        client._committed_offsets(topic, "nobody", [0, 1])
    with pytest.raises(ValueError):
        client._committed_offsets(topic, "g", [0, -1])
    assert client.get_committed_offset(topic, "g", 0) == 5        # the connection is still in step


@pytest.mark.broker(users=["root:pw:admin", "bob:pw:consumer"])
def test_a_consume_only_user_still_gets_auto_offset_reset_and_committed_offsets(flymq):
    # Joining creates the group, so GET_OFFSET (all a consume-only user may use) answers 0 for partitions
    # never committed: that must not turn "latest" into "from the start".
    admin = flymq.client(username="root", password="pw")
    topic = flymq.topic()
    for i in range(3):
        admin.produce(topic, f"old{i}")
    bob = flymq.client(username="bob", password="pw")
    with bob.consumer(topic, "late", auto_offset_reset="latest", auto_commit=False) as consumer:
        assert consumer.poll(timeout_ms=100) == []
        assert consumer.position(0) == 3
    admin.commit_offset(topic, "resumed", 0, 2)
    with bob.consumer(topic, "resumed", auto_offset_reset="latest", auto_commit=False) as consumer:
        assert [m.value for m in consumer.poll(timeout_ms=1000)] == [b"old2"]
