"""Pipelined PRODUCE frames written as one run: the broker's hottest path (issue 10).

A producer that pipelines sends hundreds of PRODUCE frames in one read. Answering them one by one through
:meth:`Dispatcher.handle` costs a dispatch, a request split, a lock and a reply build per record; here a run
of consecutive PRODUCE payloads is written under one acquisition of the state lock per :data:`RUN_MAX`
payloads, each payload read with one ``unpack_from`` for the topic and key length seen last (producers
repeat both), and each record stored as its offset plus the payload's own key-and-value bytes, which are
already in the stored layout. The keys' partition hashes are found before the lock is taken, for the whole
run at once: looked up among the remembered ones, the others computed together.

Only the common shape takes this path: a topic that exists, a record that fits in a FETCH reply. Anything
else (a new topic, a malformed payload, a record too large) is handed to the ``fallback`` (the dispatcher's
ordinary handling of one frame), so every reply, error or not, is the one the frame would get alone, in
order. The replies written under one acquisition of the lock share one timestamp, taken as it starts: at
most :data:`RUN_MAX` records, well under a millisecond of work.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from operator import itemgetter

from pyflymq import wire

from .log import MAX_RECORD_DATA, Partition
from .replies import ProduceReplies
from .state import CACHED_KEY_MAX, BrokerState

RUN_MAX = 256
"""PRODUCE frames written under one acquisition of the state lock at most (other connections wait that long)."""

_pack_offset = wire.pack_fetch_record_offset
_reply_layout = wire.record_metadata_frame_layout
_record_layout = wire.fetch_record_layout
_head_for = wire.produce_request_head
_time_ns = time.time_ns
_PREHASH_FROM = 8  # payloads in a run worth looking up and hashing their keys together


def _run_key_hashes(state: BrokerState, topic_name: Callable[[bytes], str],
                    payloads: list[bytes]) -> tuple[bytes, int, Sequence[int | None]] | None:
    """Before the lock is taken: ``(topic field, key length, hashes)`` for the shape of the first payload,
    when it is keyed and goes to a topic of several partitions, else None. ``hashes[i]`` is ``fnv1a32`` of the
    bytes where that shape puts the key of ``payloads[i]``: its key whenever that payload has the shape (the
    writer checks), None when those bytes are too short. Remembered hashes are looked up; the others are
    computed together (:func:`~.log.fnv1a32_many`) and remembered, so a key seen before is not hashed again."""
    fields = wire.split_produce_request(payloads[0])
    if fields is None or not 0 < len(fields[1]) <= CACHED_KEY_MAX:
        return None
    topic = state.topics.get(topic_name(fields[0]))
    if topic is None or len(topic.partitions) < 2:
        return None
    key_at = 2 + len(fields[0])
    size = len(fields[1])
    keys = list(map(itemgetter(slice(key_at + 4, key_at + 4 + size)), payloads))
    hashes: list[int | None] = list(map(state.key_hashes.get, keys))
    new = hashes.count(None)
    state.count_key_lookups(len(keys), len(keys) - new)
    if not new:
        return payloads[0][:key_at], size, hashes
    if new == len(keys):
        with suppress(ValueError):  # unless a payload is too short for the shape: then the keys one by one
            return payloads[0][:key_at], size, state.remember_key_hashes(keys)
    missing = [i for i, h in enumerate(hashes) if h is None and len(keys[i]) == size]
    for i, h in zip(missing, state.remember_key_hashes([keys[i] for i in missing]), strict=True):
        hashes[i] = h
    return payloads[0][:key_at], size, hashes


def write_run(state: BrokerState, replies: ProduceReplies, topic_name: Callable[[bytes], str],
              payloads: list[bytes], fallback: Callable[[bytes], bytes]) -> list[bytes]:
    """Write the records of ``payloads`` (PRODUCE payloads, in arrival order); return their reply frames.

    ``topic_name`` turns a topic's raw bytes into its name; ``fallback(payload)`` answers one PRODUCE payload
    the ordinary way (it may take the state lock again: the lock is reentrant). The state lock is taken once
    for every :data:`RUN_MAX` payloads.
    """
    out: list[bytes] = []
    pre = _run_key_hashes(state, topic_name, payloads) if len(payloads) >= _PREHASH_FROM else None
    pre_field, pre_size, pre_hashes = pre if pre is not None else (b"", -1, [None] * len(payloads))
    for start in range(0, len(payloads), RUN_MAX):
        stop = start + RUN_MAX
        _write_locked(state, replies, topic_name, payloads[start:stop], fallback, out,
                      pre_field, pre_size, pre_hashes[start:stop])
    return out


def _write_locked(state: BrokerState, replies: ProduceReplies, topic_name: Callable[[bytes], str],
                  payloads: list[bytes], fallback: Callable[[bytes], bytes], out: list[bytes],
                  pre_field: bytes, pre_size: int, pre_hashes: Sequence[int | None]) -> None:
    """Write ``payloads`` under one acquisition of the state lock, appending their replies to ``out``.
    ``pre_hashes[i]`` is the key hash of ``payloads[i]`` if it has the shape ``(pre_field, pre_size)``."""
    append_reply = out.append
    topics = state.topics
    hashes = state.key_hashes
    key_hash = state.key_hash
    stamp = _time_ns() // 1_000_000
    # the shape guessed for the next payload: its topic (as str16 bytes) and key length; the topic is looked
    # up again under this acquisition of the lock (it may have been deleted and made anew meanwhile)
    topic_field = b""
    key_at = 0
    unpack_head = _head_for(0, 0, False).unpack_from
    head_size = 0
    key_size = 0
    reply_key_size = -1  # key_size as the reply gives it: -1 for no key
    value_max = MAX_RECORD_DATA  # the longest value that keeps a record of the shape's key servable
    topic = None
    prefix = b""
    pack_reply = _reply_layout(0).pack
    shape_vlen = -1  # the value length of the payload that set the shape, whose records pack_record builds
    pack_record = _record_layout(0).pack
    partitions: list[Partition] = []
    count = 1
    hashed = False  # whether pre_hashes hold the keys of the guessed shape
    klen = vlen = 0
    with state.lock:
        for payload, pre_hash in zip(payloads, pre_hashes, strict=True):
            try:
                field, klen, vlen = unpack_head(payload, 0)
            except struct.error:  # shorter than the guessed head: not the guessed shape
                field = None
            value_end = head_size + vlen
            if field != topic_field or klen != key_size or value_end + 4 > len(payload) or vlen > value_max:
                fields = wire.split_produce_request(payload)
                known = topics.get(topic_name(fields[0])) if fields is not None else None
                if fields is None or known is None or len(fields[1]) + len(fields[2]) > MAX_RECORD_DATA:
                    append_reply(fallback(payload))
                    topic_field = b""  # the fallback may have created a topic: look it up again next time
                    continue
                topic_raw, key, value = fields
                topic, key_size, vlen = known, len(key), len(value)
                reply_key_size = key_size if key_size else -1
                value_max = MAX_RECORD_DATA - key_size
                key_at = 2 + len(topic_raw)
                head = _head_for(len(topic_raw), key_size, False)
                unpack_head, head_size = head.unpack_from, head.size
                topic_field = payload[:key_at]
                prefix = replies.prefix(topic_raw)
                pack_reply = _reply_layout(len(prefix)).pack
                value_end = head_size + vlen
                shape_vlen = vlen
                pack_record = _record_layout(value_end - key_at).pack
                partitions = topic.partitions
                count = len(partitions)
                hashed = topic_field == pre_field and key_size == pre_size
            if not key_size:
                slot = topic.round_robin  # type: ignore[union-attr]  # set with topic_field
                topic.round_robin = slot + 1  # type: ignore[union-attr]
                p = slot % count
            elif count > 1:
                if hashed and pre_hash is not None:
                    p = pre_hash % count
                else:
                    key = payload[key_at + 4:key_at + 4 + key_size]
                    h = hashes.get(key)
                    p = (key_hash(key) if h is None else h) % count
            else:
                p = 0
            entries = partitions[p].entries
            offset = len(entries)
            if vlen == shape_vlen:
                entries.append(pack_record(offset, payload[key_at:value_end]))
            else:
                entries.append(_pack_offset(offset) + payload[key_at:value_end])
            append_reply(pack_reply(prefix, p, offset, stamp, reply_key_size, vlen))
