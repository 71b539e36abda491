"""Pipelined PRODUCE frames written as one run: the broker's hottest path (issue 10).

A producer that pipelines sends hundreds of PRODUCE frames in one read. Answering them one by one through
:meth:`Dispatcher.handle` costs a dispatch, a request split, a lock and a reply build per record; here a run
of consecutive PRODUCE payloads is written under one acquisition of the state lock, each payload read with
one ``unpack_from`` for the topic and key length seen last (producers repeat both), and each record stored
as its offset plus the payload's own key-and-value bytes, which are already in the stored layout.

Only the common shape takes this path: a topic that exists, a record that fits in a FETCH reply. Anything
else (a new topic, a malformed payload, a record too large) is handed to the ``fallback`` (the dispatcher's
ordinary handling of one frame), so every reply, error or not, is the one the frame would get alone, in
order. The replies of one run share one timestamp, taken as the run starts: the run is bounded by the
caller (see :data:`RUN_MAX`), so it spans well under a millisecond of work.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from contextlib import suppress
from operator import itemgetter

from pyflymq import wire

from .log import MAX_RECORD_DATA, Partition
from .replies import ProduceReplies
from .state import CACHED_KEY_MAX, BrokerState

RUN_MAX = 256
"""PRODUCE frames written under one acquisition of the state lock at most (other connections wait that long)."""

_pack_offset = wire.pack_fetch_record_offset
_pack_tail = wire.pack_record_metadata_tail
_head_for = wire.produce_request_head
_time_ns = time.time_ns
_HASH_TOGETHER_FROM = 8  # new keys in a run worth hashing together rather than one by one


def _hash_new_keys(state: BrokerState, topic_name: Callable[[bytes], str], payloads: list[bytes]) -> None:
    """Hash the run's new keys together, before the lock is taken, when its first record is keyed and goes
    to a topic of several partitions: keys are read where the first payload's shape puts them (a payload of
    another shape adds a useless but harmless hash to the cache)."""
    fields = wire.split_produce_request(payloads[0])
    if fields is None or not 0 < len(fields[1]) <= CACHED_KEY_MAX:
        return
    topic = state.topics.get(topic_name(fields[0]))
    if topic is None or len(topic.partitions) < 2:
        return
    start = 2 + len(fields[0]) + 4
    known = state.key_hashes
    new_keys = [key for key in map(itemgetter(slice(start, start + len(fields[1]))), payloads) if key not in known]
    if len(new_keys) >= _HASH_TOGETHER_FROM:
        with suppress(ValueError):  # a payload too short for the first one's shape: hash one by one
            state.remember_key_hashes(new_keys)


def write_run(state: BrokerState, replies: ProduceReplies, topic_name: Callable[[bytes], str],
              payloads: list[bytes], fallback: Callable[[bytes], bytes]) -> list[bytes]:
    """Write the records of ``payloads`` (PRODUCE payloads, in arrival order); return their reply frames.

    ``topic_name`` turns a topic's raw bytes into its name; ``fallback(payload)`` answers one PRODUCE payload
    the ordinary way (it may take the state lock again: the lock is reentrant).
    """
    if len(payloads) >= _HASH_TOGETHER_FROM:
        _hash_new_keys(state, topic_name, payloads)
    out: list[bytes] = []
    append_reply = out.append
    topics = state.topics
    hashes = state.key_hashes
    key_hash = state.key_hash
    stamp = _time_ns() // 1_000_000
    # the shape guessed for the next payload: its topic (as str16 bytes) and key length
    topic_field = b""
    key_at = 0
    unpack_head = _head_for(0, 0).unpack_from
    head_size = 0
    key_size = 0
    topic = None
    prefix = b""
    partitions: list[Partition] = []
    count = 1
    with state.lock:
        for payload in payloads:
            try:
                field, klen, key, vlen = unpack_head(payload, 0)
            except struct.error:  # shorter than the guessed head: not the guessed shape
                field = None
            value_end = head_size + vlen if field is not None else 0
            if (field != topic_field or klen != key_size or value_end + 4 > len(payload)
                    or key_size + vlen > MAX_RECORD_DATA):
                fields = wire.split_produce_request(payload)
                known = topics.get(topic_name(fields[0])) if fields is not None else None
                if fields is None or known is None or len(fields[1]) + len(fields[2]) > MAX_RECORD_DATA:
                    append_reply(fallback(payload))
                    topic_field = b""  # the fallback may have created a topic: look it up again next time
                    continue
                topic_raw, key, value = fields
                topic, key_size, vlen = known, len(key), len(value)
                key_at = 2 + len(topic_raw)
                head = _head_for(len(topic_raw), key_size)
                unpack_head, head_size = head.unpack_from, head.size
                topic_field = payload[:key_at]
                prefix = replies.prefix(topic_raw)
                value_end = head_size + vlen
                partitions = topic.partitions
                count = len(partitions)
            if not key_size:
                slot = topic.round_robin  # type: ignore[union-attr]  # set with topic_field
                topic.round_robin = slot + 1  # type: ignore[union-attr]
                p = slot % count
            elif count > 1:
                h = hashes.get(key)
                p = (key_hash(key) if h is None else h) % count
            else:
                p = 0
            entries = partitions[p].entries
            offset = len(entries)
            entries.append(_pack_offset(offset) + payload[key_at:value_end])
            append_reply(prefix + _pack_tail(p, offset, stamp, key_size if key_size else -1, vlen))
    return out
