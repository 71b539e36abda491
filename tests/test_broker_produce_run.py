"""Pipelined PRODUCE frames answered as one run give what the same frames give one at a time (issue 10).

Each case sends one sequence of frames twice to the same server, each time to its own family of topics:
all frames in one write (the broker reads them together, so consecutive PRODUCE frames take the run path),
then frame by frame, waiting for each reply. Replies (timestamps aside, topic names mapped) and the records
stored in every partition must be the same. Runs against FLYMQ_TEST_SERVER too.
"""

from __future__ import annotations

import gzip

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyflymq import wire
from pyflymq.broker.log import fnv1a32, fnv1a32_many
from pyflymq.broker.state import BrokerState
from pyflymq.broker.testing import RawConnection
from pyflymq.errors import FlyMQError
from pyflymq.wire import Op

PARTITIONS = (3, 1)  # topic 0 has three partitions, topic 1 one; topic 2 is not created beforehand

# A step: ("p", topic index, key, value) a PRODUCE; ("z", topic index, key, value) the same gzipped;
# ("bad", bytes) a malformed PRODUCE payload; ("c", topic index) a CONSUME of partition 0, offset 0.
keys = st.one_of(st.none(), st.sampled_from([b"user-0001", b"user-0002", b"user-0003"]),
                 st.binary(min_size=1, max_size=12), st.binary(min_size=65, max_size=80))
steps = st.one_of(
    st.tuples(st.just("p"), st.integers(0, 2), keys, st.binary(max_size=30)),
    st.tuples(st.just("p"), st.just(0), st.sampled_from([b"same-0001", b"same-0002"]), st.just(b"v" * 20)),
    st.tuples(st.just("z"), st.integers(0, 2), keys, st.binary(max_size=30)),
    st.tuples(st.just("bad"), st.binary(max_size=20)),
    st.tuples(st.just("c"), st.integers(0, 2)),
)


def frames_for(sequence: list[tuple], names: list[str]) -> list[bytes]:
    """The frames of ``sequence`` addressed to the topics ``names``."""
    out = []
    for step in sequence:
        if step[0] in ("p", "z"):
            _, index, key, value = step
            payload = wire.encode_produce_request(names[index], value, key=key)
            if step[0] == "z":
                out.append(wire.encode_frame(Op.PRODUCE, gzip.compress(payload),
                                             wire.FLAG_BINARY | wire.FLAG_GZIP))
            else:
                out.append(wire.encode_frame(Op.PRODUCE, payload))
        elif step[0] == "bad":
            out.append(wire.encode_frame(Op.PRODUCE, step[1]))
        else:
            out.append(wire.encode_frame(Op.CONSUME, wire.encode_consume_request(names[step[1]], 0, 0)))
    return out


def comparable(reply: bytes, names: list[str]) -> tuple:
    """A reply frame without its timestamp, with the topic names replaced by their index."""
    op = reply[2]
    payload = reply[wire.HEADER_SIZE:]
    if op == Op.PRODUCE:
        meta = wire.decode_record_metadata(payload)
        return ("produced", names.index(meta.topic), meta.partition, meta.offset, meta.key_size, meta.value_size)
    text = payload.decode("utf-8", "replace")
    for index, name in enumerate(names):
        text = text.replace(name, f"<topic {index}>")
    return (op, text)


def stored(flymq, names: list[str]) -> list:
    """Every record of the topics ``names``, partition by partition (an error text for a missing topic)."""
    client = flymq.client()
    out: list = []
    for name, count in zip(names, (*PARTITIONS, 1), strict=True):
        for partition in range(count):
            try:
                result = client.fetch(name, partition, 0, 1000)
            except FlyMQError as exc:
                out.append(str(exc).replace(name, "<topic>"))
                continue
            out.append([(m.offset, m.key, m.value) for m in result.messages])
    return out


def send_both_ways(flymq, sequence: list[tuple]) -> tuple[tuple, tuple]:
    """``(replies, records)`` of the pipelined send and of the one-by-one send."""
    results = []
    for pipelined in (True, False):
        names = [flymq.topic("run") for _ in range(3)]
        admin = flymq.client()
        for name, count in zip(names, PARTITIONS, strict=False):
            admin.create_topic(name, count)
        frames = frames_for(sequence, names)
        with RawConnection(flymq.address, timeout=30) as conn:
            if pipelined:
                conn.send(b"".join(frames))
                replies = [conn.read_frame_bytes() for _ in frames]
            else:
                replies = []
                for frame in frames:
                    conn.send(frame)
                    replies.append(conn.read_frame_bytes())
        results.append(([comparable(reply, names) for reply in replies], stored(flymq, names)))
    return results[0], results[1]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(steps, min_size=1, max_size=40))
def test_pipelined_produce_answers_as_one_by_one(flymq, sequence):
    pipelined, one_by_one = send_both_ways(flymq, sequence)
    assert pipelined == one_by_one


def test_long_runs_with_new_keys_and_interruptions(flymq):
    # more frames than one run holds, keys never seen before (hashed together), keyless and single-partition
    # records, and frames the run path hands back (a new topic, a malformed payload, a gzipped frame, a CONSUME)
    sequence: list[tuple] = [("p", 0, f"user-{i:05d}".encode(), b"x%d" % i) for i in range(600)]
    sequence += [("p", 1, None, b"keyless")] * 20 + [("p", 2, b"k", b"new topic")] + [("bad", b"\x00\x05ab")]
    sequence += [("p", 0, f"order-{i:04d}".encode(), b"y") for i in range(300)]
    sequence += [("z", 0, b"user-00001", b"zipped"), ("c", 0)] + [("p", 0, None, b"rr")] * 30
    pipelined, one_by_one = send_both_ways(flymq, sequence)
    assert pipelined == one_by_one
    assert sum(len(records) for records in pipelined[1] if isinstance(records, list)) == len(sequence) - 2


@given(st.integers(0, 70), st.lists(st.binary(min_size=70, max_size=70), max_size=40))
def test_hashing_keys_together_gives_each_key_hash(length, blobs):
    keys = [blob[:length] for blob in blobs]
    assert fnv1a32_many(keys) == [fnv1a32(key) for key in keys]


def test_hashing_keys_together_needs_one_length():
    try:
        fnv1a32_many([b"ab", b"abc"])
    except ValueError:
        return
    raise AssertionError("keys of two lengths were hashed together")


def test_a_run_of_mixed_shapes_puts_every_key_where_its_hash_says(flymq):
    # The run path hashes keys together where the first payload's shape puts them, before it writes: a payload
    # of another shape (another key length, or a topic name of another length: its key sits elsewhere) must be
    # placed by its own key's hash, fnv1a32(key) % partitions (flymq-wire §3.1), like every other.
    short, long_ = flymq.topic("s"), flymq.topic("a-much-longer-name")
    admin = flymq.client()
    for name in (short, long_):
        admin.create_topic(name, 3)
    records = [(short, b"user-%04d" % i) for i in range(40)]
    for i in range(150):
        records += [(short, b"user-%04d" % i), (long_, b"user-%04d" % i), (short, b"u%d" % i),
                    (long_, b"longer-key-%06d" % i)]
    frames = [wire.encode_frame(Op.PRODUCE, wire.encode_produce_request(name, b"v", key=key))
              for name, key in records]
    with RawConnection(flymq.address, timeout=30) as conn:
        conn.send(b"".join(frames))
        replies = [wire.decode_record_metadata(conn.read_frame_bytes()[wire.HEADER_SIZE:]) for _ in frames]
    assert [(meta.topic, meta.partition) for meta in replies] == [(name, fnv1a32(key) % 3) for name, key in records]
    written = {(name, p): [m.key for m in admin.fetch(name, p, 0, 1000).messages] for name in (short, long_)
               for p in range(3)}
    assert written == {(name, p): [key for topic, key in records if topic == name and fnv1a32(key) % 3 == p]
                       for name in (short, long_) for p in range(3)}


def test_the_key_hash_cache_samples_new_keys_while_keys_do_not_repeat():
    # In-process, on the broker's state: the cache of key hashes stops remembering every new key while the keys
    # looked up are (almost) never found, keeps remembering a sample, and remembers every key again once keys
    # repeat. Every hash given is the key's own.
    state = BrokerState()
    batches = [[b"key-%05d-%04d" % (b, i) for i in range(1024)] for b in range(40)]

    def remembered(keys: list[bytes]) -> int:
        return sum(key in state.key_hashes for key in keys)

    for batch in batches[:15]:  # a window of lookups that find nothing: every key is remembered meanwhile
        state.count_key_lookups(len(batch), 0)
        assert state.remember_key_hashes(batch) == [fnv1a32(key) for key in batch]
        assert remembered(batch) == len(batch)
    sampled = []
    for batch in batches[15:31]:  # the window closed: one batch in eight
        state.count_key_lookups(len(batch), 0)
        assert state.remember_key_hashes(batch) == [fnv1a32(key) for key in batch]
        sampled.append(remembered(batch))
    assert sorted(sampled) == [0] * 14 + [1024] * 2
    for _ in range(32):  # the sampled keys come back: windows in which every key looked up was found
        state.count_key_lookups(1024, 1024)
    for batch in batches[31:]:
        state.count_key_lookups(len(batch), 0)
        assert state.remember_key_hashes(batch) == [fnv1a32(key) for key in batch]
        assert remembered(batch) == len(batch)


def test_the_key_hash_cache_stays_bounded():
    state = BrokerState()
    keys = [b"k%07d" % i for i in range(20_000)]
    assert state.remember_key_hashes(keys) == [fnv1a32(key) for key in keys]
    assert len(state.key_hashes) <= 16_384 and keys[-1] in state.key_hashes
