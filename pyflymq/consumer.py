"""Consumers: :class:`HighLevelConsumer` (``client.consumer(...)``) and the low-level :class:`Consumer`.

Both run on the same machinery (:class:`_BaseConsumer`):

* **Cursors.** One per (topic, partition) the consumer owns: the *position* (next offset to deliver), records
  fetched but not delivered yet, the offset this consumer last committed or read as committed, and the
  delivery log behind ``Message.retry_count``.
* **Fetching.** FETCH (the server returns at most 1000 records a call) fills a cursor's buffer; delivery takes
  records from every partition that has some, in fair shares, starting at a partition that rotates from one
  call to the next. A partition that came back empty is asked again after a pause that grows from 5 ms to
  50 ms (longer with many partitions), so a waiting ``poll`` neither spins nor adds much latency.
* **Out of range.** FlyMQ's FETCH never fails past the end of a log: it answers "no records". So a position
  that a seek or a committed offset put there is compared with the partition's watermarks when its first
  fetch comes back empty (and an idle partition every 10 s); a position outside ``[low, high]`` makes
  ``poll`` and iteration raise :class:`~pyflymq.errors.OffsetOutOfRangeError` until a seek moves it.
* **Partition discovery.** Topics are looked up when the consumer is first used (first ``poll``, iteration,
  ``seek``, ``position``, ``commit`` or ``assignment``), then again every ``metadata_max_age_ms`` (5 s) for
  new partitions, and every second while a topic does not exist yet: a missing topic is not an error, the
  consumer simply has nothing to read there until the topic appears. Partitions that appear after the
  consumer started are read from their first record, so nothing written after the consumer started is
  missed, whatever ``auto_offset_reset`` says.

**Membership the server sees.** A consumer with a group id SUBSCRIBEs with it for each of its topics when
it is first used, as FlyMQ's other clients do, so DESCRIBE_GROUP and LIST_GROUPS count it as a member while
it lives, on the real server too, and the group exists (``get_committed_offset`` answers 0, not "group not
found") before its first commit. The server drops a member only when its connection closes, and then only
for the *last* (topic, group) that connection subscribed (flymq-wire §3.5), so each membership is held on a
connection of its own, closed by ``close()`` (or when the consumer is garbage-collected): no ghost members.
The membership is renewed on a new connection if that one breaks (a server restart forgets members).

**Group work sharing.** FlyMQ has no group protocol (flymq-wire §3.5): every consumer reads whatever it asks
for. These consumers share the partitions of a topic among the members of a group on the client side.
Each member holds one of ``MEMBER_SLOTS`` (32) slots in a registry kept as committed offsets of the hidden
pseudo-topic ``__flymq_members.<topic>`` for the same group (COMMIT accepts any topic name and partition
number; the "partition" is a member slot, the "offset" a heartbeat value ``nonce << 32 | counter``, 0 once the
member left). Only COMMIT and GET_OFFSET are used, so a user with nothing but consume permission can take
part (DESCRIBE_GROUP would need admin rights under auth). Members heartbeat from ``poll``/iteration about every
``session_timeout_ms / 3`` (at most once a second) and read the slots back; a member whose heartbeat value
has not changed for ``session_timeout_ms`` counts as gone, as does one that left with ``close()``. Every
member computes the same assignment from the sorted list of live slots (partition ``p`` goes to member
``(p + shift) % members``), so nothing needs a leader. A member that gains partitions from another one waits a
heartbeat and a half before reading them, which lets the previous owner notice and (with auto-commit) commit
first; delivery is at-least-once across a rebalance, as with Kafka. With every slot taken, a further member
reads nothing (as an extra Kafka consumer gets no partition) until a slot frees. A server that refuses the
registry ops makes ``poll`` raise :class:`~pyflymq.errors.ConsumerError` with the server's words, rather than
letting members silently read the same partitions. ``client.list_groups()`` leaves the registry out.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import weakref
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from .client import INTERNAL_TOPIC_PREFIX, FlyMQClient
from .errors import (
    AuthError,
    ConsumerConnectionError,
    ConsumerError,
    FlyMQConnectionError,
    FlyMQError,
    GroupNotFoundError,
    OffsetOutOfRangeError,
    PartitionNotFoundError,
    TopicNotFoundError,
    UnsupportedOperationError,
)
from .models import Message, SubscribeMode

__all__ = ["MEMBERS_TOPIC_PREFIX", "MEMBER_SLOTS", "CommitCallback", "Consumer", "HighLevelConsumer",
           "TopicPartition"]

log = logging.getLogger(__name__)

TopicPartition = tuple[str, int]
"""A ``(topic, partition)`` pair, the key of committed-offset dicts."""

CommitCallback = Callable[[dict[TopicPartition, int], "BaseException | None"], Any]
"""``callback(offsets, error)`` given to ``commit_async``."""
_ConsumerT = TypeVar("_ConsumerT", bound="_BaseConsumer")

MEMBERS_TOPIC_PREFIX = INTERNAL_TOPIC_PREFIX
"""Prefix of the pseudo-topics whose committed offsets hold a group's member registry (never a real topic)."""

MEMBER_SLOTS = 32
"""Slots per (topic, group) registry: the most members that share a topic's partitions. Each heartbeat reads
every slot with GET_OFFSET (pipelined: one round trip), so the number is kept small."""

_FETCH_CAP = 1000             # the server scans at most 1000 records per FETCH
_MIN_BACKOFF = 0.005          # first pause after an empty fetch of a partition
_MAX_BACKOFF = 0.05           # longest pause, for up to 8 partitions (scaled up beyond, at most 0.5 s)
_VERIFY_INTERVAL = 10.0       # an idle partition's position is checked against its watermarks this often
_MISSING_TOPIC_RECHECK = 1.0  # a topic that does not exist yet is looked up again this often
_ITER_WAIT = 1.0              # iteration polls in slices of this length (it blocks until close())
_MAX_RANGES = 64              # delivery-log limits (per partition)
_MAX_COUNTS = 10_000


# ------------------------------------------------------------------------------------------ helpers

@contextmanager
def _consumer_errors() -> Iterator[None]:
    """Turn a connection failure into :class:`ConsumerConnectionError` (a ``ConsumerError`` as well)."""
    try:
        yield
    except ConsumerError:
        raise
    except FlyMQConnectionError as exc:
        raise ConsumerConnectionError(f"consumer lost the connection to the server: {exc}") from exc


def _check_ms(name: str, value: object, minimum: int = 0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ValueError(f"{name} must be a number >= {minimum}, not {value!r}")
    return value / 1000.0


def _check_offset(offset: object) -> int:
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be an int >= 0, not {offset!r}")
    return offset


def _check_partition(partition: object) -> int:
    if isinstance(partition, bool) or not isinstance(partition, int) or partition < 0:
        raise ValueError(f"partition must be an int >= 0, not {partition!r}")
    return partition


def _reset_name(value: str | SubscribeMode) -> str:
    name = value.value if isinstance(value, SubscribeMode) else value
    if name not in ("earliest", "latest"):
        raise ValueError(f"auto_offset_reset must be 'earliest' or 'latest', not {value!r}")
    return name


# Consumers of this process, by heartbeat nonce: a registry slot whose nonce belongs to a consumer of this
# process that is closed or garbage-collected is dead at once (no need to wait for the session timeout).
_local_lock = threading.Lock()
_local_nonces: set[int] = set()
_local_consumers: weakref.WeakValueDictionary[int, _BaseConsumer] = weakref.WeakValueDictionary()
_rng = random.SystemRandom()


def _new_nonce(consumer: _BaseConsumer) -> int:
    with _local_lock:
        while True:
            nonce = _rng.randrange(1, 1 << 31)
            if nonce not in _local_nonces:
                break
        _local_nonces.add(nonce)
        _local_consumers[nonce] = consumer
    return nonce


def _local_member_gone(nonce: int) -> bool:
    if nonce not in _local_nonces:
        return False
    consumer = _local_consumers.get(nonce)
    return consumer is None or consumer._closed


class _DeliveryLog:
    """Which offsets of one partition this consumer delivered, and how often: the source of ``retry_count``.

    Delivered offsets are a short sorted list of ``[start, end)`` ranges (a run of consecutive deliveries is
    one range); an exact count is kept only for offsets delivered more than once. Both are bounded; past the
    limits the oldest knowledge is dropped.
    """

    __slots__ = ("ranges", "counts")

    def __init__(self) -> None:
        self.ranges: list[list[int]] = []
        self.counts: dict[int, int] = {}

    def record(self, offset: int) -> int:
        """Note one delivery of ``offset``; return how many times it had been delivered before."""
        ranges = self.ranges
        if ranges:
            last = ranges[-1]
            if last[1] == offset:           # the common case: the next record in sequence
                last[1] = offset + 1
                return 0
            if last[0] <= offset < last[1]:
                return self._again(offset)
        i, n = 0, len(ranges)
        while i < n and ranges[i][1] < offset:
            i += 1
        if i < n:
            start, end = ranges[i]
            if start <= offset < end:
                return self._again(offset)
            if end == offset:
                ranges[i][1] = offset + 1
                if i + 1 < n and ranges[i + 1][0] == offset + 1:
                    ranges[i][1] = ranges[i + 1][1]
                    del ranges[i + 1]
                return 0
            if start == offset + 1:
                ranges[i][0] = offset
                return 0
        ranges.insert(i, [offset, offset + 1])
        if len(ranges) > _MAX_RANGES:
            del ranges[0]
        return 0

    def _again(self, offset: int) -> int:
        counts = self.counts
        count = counts.pop(offset, 0) + 1
        counts[offset] = count
        if len(counts) > _MAX_COUNTS:
            del counts[next(iter(counts))]
        return count


class _Cursor:
    """Read state of one owned partition. ``position is None`` while the start position is not known yet."""

    __slots__ = ("topic", "partition", "tp", "log", "position", "fetch_offset", "buffer", "committed", "verify",
                 "verified_at", "backoff", "next_fetch_at", "error", "start_at", "use_committed", "fallback")

    def __init__(self, topic: str, partition: int, delivery_log: _DeliveryLog, *, use_committed: bool,
                 fallback: str, start_at: float) -> None:
        self.topic = topic
        self.partition = partition
        self.tp = (topic, partition)
        self.log = delivery_log
        self.position: int | None = None
        self.fetch_offset = 0
        self.buffer: deque[Message] = deque()
        self.committed: int | None = None
        self.verify = False
        self.verified_at = 0.0
        self.backoff = 0.0
        self.next_fetch_at = 0.0
        self.error: tuple[int, int] | None = None   # (low, high) when the position is out of range
        self.start_at = start_at
        self.use_committed = use_committed
        self.fallback = fallback

    def move(self, offset: int, *, verify: bool, now: float = 0.0) -> None:
        """Set the position (dropping anything buffered); ``verify``: check it against the watermarks."""
        self.position = self.fetch_offset = offset
        self.buffer.clear()
        self.error = None
        self.verify = verify
        if not verify:
            self.verified_at = now
        self.backoff = 0.0
        self.next_fetch_at = 0.0


class _Membership:
    """This consumer's membership of one (topic, group): its heartbeat slot and the live members it sees."""

    def __init__(self, client: FlyMQClient, topic: str, group_id: str, nonce: int,
                 session_timeout: float) -> None:
        self.client = client
        self.topic = topic
        self.group_id = group_id
        self.registry = MEMBERS_TOPIC_PREFIX + topic
        self.nonce = nonce
        self.session_timeout = session_timeout
        self.slot: int | None = None
        self.counter = 0
        self.last_beat: float | None = None
        self.seen: dict[int, tuple[int, float]] = {}   # other slots: (value, when it last changed)
        self.members: list[int] = []
        self.full = False                              # every slot was taken at the last heartbeat
        self._shift = zlib.crc32(topic.encode("utf-8", "surrogatepass"))

    def _read_slots(self) -> dict[int, int]:
        """Every slot's heartbeat value (0: free), read with GET_OFFSET, which consume permission allows."""
        try:
            values = self.client._committed_offsets(self.registry, self.group_id, list(range(MEMBER_SLOTS)))
        except GroupNotFoundError:
            return {}                                  # nobody ever registered in this group
        except (AuthError, UnsupportedOperationError) as exc:
            raise ConsumerError(
                f"group {self.group_id!r}, topic {self.topic!r}: the server refused the group coordination "
                f"(GET_OFFSET on {self.registry!r}: {exc}), so members cannot share partitions; the user "
                "needs consume permission (COMMIT and GET_OFFSET) on every topic name, or use partition= "
                "to read a fixed partition") from exc
        return {slot: value for slot, value in values.items() if value}

    def refresh(self, now: float) -> bool:
        """Read the registry, heartbeat, and recompute the live members; True when they changed."""
        view = self._read_slots()
        seen = self.seen
        for slot, value in list(view.items()):
            if value and slot != self.slot and _local_member_gone(value >> 32):
                self._reap(slot)
                view[slot] = 0
        for slot in [s for s in seen if not view.get(s)]:
            del seen[slot]
        for slot, value in view.items():
            if value and slot != self.slot:
                previous = seen.get(slot)
                if previous is None or previous[0] != value:
                    seen[slot] = (value, now)
        if self.slot is not None:
            current = view.get(self.slot, 0)
            if current and current >> 32 != self.nonce:     # another member took this slot: move
                seen[self.slot] = (current, now)
                self.slot = None
        if self.slot is None:
            free = [s for s in range(MEMBER_SLOTS) if not view.get(s) and s not in seen]
            if free:
                self.slot = _rng.choice(free)
            elif not self.full:
                log.warning("group %r, topic %r: all %d member slots are taken; this consumer reads nothing "
                            "until one frees", self.group_id, self.topic, MEMBER_SLOTS)
        self.full = self.slot is None
        if self.slot is not None:
            self.counter = self.counter % 0xFFFFFFFF + 1
            self.client.commit_offset(self.registry, self.group_id, self.slot, (self.nonce << 32) | self.counter)
        self.last_beat = now
        live = [] if self.slot is None else [self.slot]
        for slot, (_value, changed_at) in list(seen.items()):
            if now - changed_at <= self.session_timeout:
                live.append(slot)
            else:
                del seen[slot]
                self._reap(slot)
        live.sort()
        changed = live != self.members
        self.members = live
        return changed

    def owns(self, partition: int) -> bool:
        """Whether ``partition`` of this topic belongs to this member under the current view."""
        if self.full:
            return False
        members = self.members
        if len(members) <= 1 or self.slot not in members:
            return True
        k = len(members)
        return (partition + self._shift) % k == members.index(self.slot)

    def leave(self) -> None:
        """Give the slot back (best effort): other members take over at their next heartbeat."""
        if self.slot is not None:
            self._reap(self.slot)
        self.slot = None

    def _reap(self, slot: int) -> None:
        try:
            self.client.commit_offset(self.registry, self.group_id, slot, 0)
        except FlyMQError as exc:
            log.debug("could not clear member slot %s of %r: %s", slot, self.registry, exc)


class _GroupPresence:
    """This consumer's group membership as the server counts it: one SUBSCRIBE with the group id per topic,
    each held on a connection of its own (flymq-wire §3.5: closing a connection drops only the last
    (topic, group) it subscribed), renewed when that connection breaks."""

    def __init__(self, client: FlyMQClient, topics: tuple[str, ...], group_id: str) -> None:
        self._client = client
        self._topics = topics
        self._group_id = group_id
        self._holders: dict[str, Any] = {}     # topic -> its own FlyMQClient
        self._joined_on: dict[str, Any] = {}   # topic -> the connection the SUBSCRIBE went out on
        self._lock = threading.Lock()
        self._closed = False

    def ensure(self) -> None:
        """Join every topic not joined yet, or whose connection is gone."""
        with self._lock:
            if self._closed:
                return
            for topic in self._topics:
                holder = self._holders.get(topic)
                if holder is None:
                    holder = self._holders[topic] = self._client._clone()
                if holder._membership_holds(self._joined_on.get(topic)):
                    continue
                try:
                    holder.subscribe(topic, self._group_id, 0, SubscribeMode.COMMIT)
                except (TopicNotFoundError, PartitionNotFoundError):
                    pass  # the server registers the member before it checks the topic
                self._joined_on[topic] = holder._conn

    def close(self) -> None:
        """Close the membership connections: the server drops these members at once."""
        with self._lock:
            self._closed = True
            holders, self._holders = list(self._holders.values()), {}
        for holder in holders:
            try:
                holder.close()
            except Exception:  # noqa: BLE001 - best effort, also from a finalizer
                pass


# ------------------------------------------------------------------------------------- the engine

class _BaseConsumer:
    """The machinery both consumers share: discovery, group sharing, fetching, delivery, commits, seeks."""

    def __init__(self, client: FlyMQClient, topics: tuple[str, ...], group_id: str | None, *,
                 partition: int | None, start: tuple[bool, str], reset: str, auto_commit: bool,
                 auto_commit_interval_ms: float, max_poll_records: int, session_timeout_ms: float,
                 metadata_max_age_ms: float) -> None:
        if group_id is not None and (not isinstance(group_id, str) or not group_id):
            raise ValueError(f"group_id must be a non-empty string or None, not {group_id!r}")
        if isinstance(max_poll_records, bool) or not isinstance(max_poll_records, int) or max_poll_records < 1:
            raise ValueError(f"max_poll_records must be an int >= 1, not {max_poll_records!r}")
        self._client = client
        self._topics = topics
        self._group_id = group_id
        self._fixed_partition = None if partition is None else _check_partition(partition)
        self._share = group_id is not None and partition is None
        self._start_use_committed, self._start_fallback = start
        self._reset = reset
        self._auto_commit = bool(auto_commit) and group_id is not None
        self._auto_commit_interval = _check_ms("auto_commit_interval_ms", auto_commit_interval_ms)
        self._max_poll_records = max_poll_records
        self._fetch_size = min(_FETCH_CAP, max(100, max_poll_records))
        self._session_timeout = _check_ms("session_timeout_ms", session_timeout_ms, 1)
        self._beat_interval = min(1.0, max(0.1, self._session_timeout / 3))
        self._meta_age = _check_ms("metadata_max_age_ms", metadata_max_age_ms, 1)
        self._lock = threading.RLock()
        self._close_lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self._wake = threading.Event()
        self._worker_local = threading.local()
        self._closed = False
        self._started = False
        self._initial = True
        self._cursors: dict[TopicPartition, _Cursor] = {}
        self._order: list[_Cursor] = []
        self._rr = 0
        self._errors: dict[TopicPartition, _Cursor] = {}
        self._pending: set[TopicPartition] = set()
        self._logs: dict[TopicPartition, _DeliveryLog] = {}
        self._counts: dict[str, int] = {}
        self._first_counts: dict[str, int] = {}
        self._next_meta: dict[str, float] = {}
        self._members: dict[str, _Membership] = {}
        self._presence: _GroupPresence | None = None
        self._next_presence_check = 0.0
        self._next_beat = 0.0
        self._next_auto_commit = 0.0
        self._max_backoff = _MAX_BACKOFF
        self._commit_seq = 0
        self._sent_seq: dict[TopicPartition, int] = {}
        self._executor: ThreadPoolExecutor | None = None

    # ------------------------------------------------------------------ context manager and close

    def __enter__(self: _ConsumerT) -> _ConsumerT:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    @property
    def group_id(self) -> str | None:
        """The consumer group, or None for a consumer without one (it cannot commit)."""
        return self._group_id

    def close(self) -> None:
        """Stop consuming: wake a blocked ``poll`` or iteration (it returns / ends), wait for pending async
        commits, commit delivered positions when auto-commit is on, and leave the group so other members
        take over this consumer's partitions at once. Idempotent. The client stays open: it is the caller's.
        Auto-commit failures at close are logged, not raised (as Kafka's ``close`` does).
        """
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._wake.set()
        executor = self._executor
        if executor is not None:
            executor.shutdown(wait=not getattr(self._worker_local, "active", False))
        with self._lock:
            try:
                if self._auto_commit and self._started:
                    self._commit_quietly(None, "at close")
            finally:
                if self._presence is not None:
                    self._presence.close()
                for membership in self._members.values():
                    membership.leave()
                self._cursors.clear()
                self._order = []
                self._errors.clear()
                self._pending.clear()
                self._members = {}

    def _check_open(self) -> None:
        if self._closed:
            raise ConsumerError("this consumer is closed")

    def _need_group(self) -> str:
        if self._group_id is None:
            raise ConsumerError("this consumer has no group_id, so it has nothing to commit to")
        return self._group_id

    # ---------------------------------------------------------------------------- start, discovery

    def _ensure_started(self) -> None:
        if not self._started:
            self._start(time.monotonic())

    def _start(self, now: float) -> None:
        if self._group_id is not None and self._presence is None:
            self._presence = _GroupPresence(self._client, self._topics, self._group_id)
            weakref.finalize(self, self._presence.close)  # a consumer dropped without close() leaves no member
        if self._presence is not None:
            self._presence.ensure()
            self._next_presence_check = now + self._beat_interval
        if self._share and not self._members:
            assert self._group_id is not None  # _share implies a group
            nonce = _new_nonce(self)
            self._members = {topic: _Membership(self._client, topic, self._group_id, nonce,
                                                self._session_timeout) for topic in self._topics}
        self._refresh(now, force=True)
        self._started = True
        self._next_auto_commit = now + self._auto_commit_interval

    def _refresh(self, now: float, force: bool = False) -> None:
        changed = False
        for topic in self._topics:
            if force or now >= self._next_meta.get(topic, 0.0):
                try:
                    count = int(self._client.partitions(topic))
                except TopicNotFoundError:
                    count = 0
                self._first_counts.setdefault(topic, count)
                self._next_meta[topic] = now + (self._meta_age if count else
                                                min(self._meta_age, _MISSING_TOPIC_RECHECK))
                if self._counts.get(topic) != count:
                    self._counts[topic] = count
                    changed = True
        if self._presence is not None and now >= self._next_presence_check:
            self._next_presence_check = now + self._beat_interval
            self._presence.ensure()
        if self._members and (force or now >= self._next_beat):
            self._next_beat = now + self._beat_interval
            for topic, membership in self._members.items():
                expired = (membership.last_beat is not None
                           and now - membership.last_beat > self._session_timeout)
                if membership.refresh(now):
                    changed = True
                if expired and len(membership.members) > 1:
                    log.warning("group %r, topic %r: no heartbeat for more than session_timeout_ms; other "
                                "members may have taken over, so this consumer restarts its partitions from "
                                "the committed offsets", self._group_id, topic)
                    self._drop_topic(topic)
                    changed = True
        if changed:
            self._reassign(now)

    def _reassign(self, now: float) -> None:
        desired: list[TopicPartition] = []
        for topic in self._topics:
            count = self._counts.get(topic, 0)
            if not count:
                continue
            if self._fixed_partition is not None:
                if self._fixed_partition >= count:
                    raise PartitionNotFoundError(f"partition {self._fixed_partition} not found: topic {topic!r} "
                                                 f"has {count} partition(s)")
                desired.append((topic, self._fixed_partition))
                continue
            membership = self._members.get(topic)
            desired.extend((topic, p) for p in range(count) if membership is None or membership.owns(p))
        wanted = set(desired)
        revoked = [tp for tp in self._cursors if tp not in wanted]
        if revoked:
            if self._auto_commit:
                self._commit_quietly(self._dirty(revoked), "for revoked partitions")
            for tp in revoked:
                self._remove(tp)
        for tp in desired:
            if tp in self._cursors:
                continue
            topic, partition = tp
            if self._initial:
                use_committed, fallback = self._start_use_committed, self._start_fallback
            elif partition >= self._first_counts.get(topic, 0):
                use_committed, fallback = True, "earliest"    # created after this consumer started
            else:
                use_committed, fallback = True, self._reset
            membership = self._members.get(topic)
            delay = 1.5 * self._beat_interval if membership is not None and len(membership.members) > 1 else 0.0
            delivery_log = self._logs.setdefault(tp, _DeliveryLog())
            self._cursors[tp] = _Cursor(topic, partition, delivery_log, use_committed=use_committed,
                                        fallback=fallback, start_at=now + delay)
            self._pending.add(tp)
        self._rebuild_order()
        self._initial = False

    def _rebuild_order(self) -> None:
        self._order = [self._cursors[tp] for tp in sorted(self._cursors)]
        self._max_backoff = min(0.5, _MAX_BACKOFF * max(1.0, len(self._order) / 8))

    def _remove(self, tp: TopicPartition) -> None:
        self._cursors.pop(tp, None)
        self._errors.pop(tp, None)
        self._pending.discard(tp)

    def _drop_topic(self, topic: str) -> None:
        for tp in [tp for tp in self._cursors if tp[0] == topic]:
            self._remove(tp)
        self._rebuild_order()

    def _topic_gone(self, topic: str, now: float) -> None:
        """The topic (or one of its partitions) vanished under us: forget it, look it up again soon."""
        self._drop_topic(topic)
        self._counts[topic] = 0
        self._next_meta[topic] = now + 0.1

    def _read_committed(self, topic: str, partitions: list[int]) -> dict[int, int]:
        """The group's committed offsets for these partitions; absent where the group never committed."""
        if self._group_id is None:
            return {}
        try:
            info = self._client.describe_group(topic, self._group_id)
        except GroupNotFoundError:
            return {}
        except (AuthError, UnsupportedOperationError):
            # DESCRIBE_GROUP needs admin rights. GET_OFFSET answers 0 both for "never committed" and for a
            # committed 0, and this consumer's own SUBSCRIBE has created the group by now: take 0 as "never",
            # so that auto_offset_reset applies (a committed 0 means nothing was consumed yet anyway).
            try:
                found = self._client._committed_offsets(topic, self._group_id, partitions)
            except GroupNotFoundError:
                return {}
            return {partition: offset for partition, offset in found.items() if offset}
        wanted = set(partitions)
        return {p: o for p, o in info.offsets.items() if p in wanted}

    def _init_pending(self, now: float, force: Iterable[TopicPartition] = ()) -> None:
        """Give a start position to the cursors that wait for one and are due (or forced)."""
        if not self._pending:
            return
        forced = set(force)
        due = [self._cursors[tp] for tp in sorted(self._pending)
               if tp in forced or now >= self._cursors[tp].start_at]
        by_topic: dict[str, list[_Cursor]] = {}
        for cursor in due:
            by_topic.setdefault(cursor.topic, []).append(cursor)
        for topic, cursors in by_topic.items():
            try:
                committed = self._read_committed(topic, [c.partition for c in cursors])
                for cursor in cursors:
                    offset = committed.get(cursor.partition)
                    cursor.committed = offset
                    if cursor.use_committed and offset is not None:
                        cursor.move(offset, verify=True)
                    else:
                        low, high = self._client.watermarks(topic, cursor.partition)
                        cursor.move(low if cursor.fallback == "earliest" else high, verify=False, now=now)
                    self._pending.discard(cursor.tp)
            except (TopicNotFoundError, PartitionNotFoundError):
                self._topic_gone(topic, now)

    # ------------------------------------------------------------------------------------ polling

    def _poll(self, timeout: float, limit: int) -> list[Message]:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if self._closed:
                    return []
                now = time.monotonic()
                if not self._started:
                    self._start(now)
                if self._auto_commit and now >= self._next_auto_commit:
                    self._next_auto_commit = now + self._auto_commit_interval
                    self._commit_quietly(None, "(auto-commit)")
                self._refresh(now)
                self._init_pending(now)
                self._raise_out_of_range()
                self._fetch_round(now)
                self._raise_out_of_range()
                records = self._take(limit)
                if records:
                    return records
                wake_at = self._next_wakeup()
            now = time.monotonic()
            if now >= deadline:
                return []
            self._wake.wait(max(0.001, min(deadline, wake_at) - now))

    def _fetch_round(self, now: float) -> None:
        order = self._order
        n = len(order)
        if not n:
            return
        start = self._rr % n
        for k in range(n):
            cursor = order[(start + k) % n]
            if (cursor.buffer or cursor.position is None or cursor.error is not None
                    or now < cursor.next_fetch_at):
                continue
            try:
                result = self._client.fetch(cursor.topic, cursor.partition, offset=cursor.fetch_offset,
                                            max_messages=self._fetch_size)
            except (TopicNotFoundError, PartitionNotFoundError):
                self._topic_gone(cursor.topic, now)
                return
            messages = result.messages
            if messages:
                cursor.buffer.extend(messages)
                cursor.fetch_offset = max(result.next_offset, messages[-1].offset + 1)
                cursor.backoff = 0.0
                cursor.next_fetch_at = 0.0
                cursor.verify = False
                cursor.verified_at = now
                continue
            if result.next_offset > cursor.fetch_offset:     # only with server-side filters
                cursor.fetch_offset = result.next_offset
            if cursor.verify or now - cursor.verified_at >= _VERIFY_INTERVAL:
                try:
                    low, high = self._client.watermarks(cursor.topic, cursor.partition)
                except (TopicNotFoundError, PartitionNotFoundError):
                    self._topic_gone(cursor.topic, now)
                    return
                cursor.verify = False
                cursor.verified_at = now
                if not low <= cursor.position <= high:
                    cursor.error = (low, high)
                    self._errors[cursor.tp] = cursor
                    continue
            cursor.backoff = min(max(_MIN_BACKOFF, cursor.backoff * 2), self._max_backoff)
            cursor.next_fetch_at = time.monotonic() + cursor.backoff

    def _raise_out_of_range(self) -> None:
        if not self._errors:
            return
        for cursor in self._order:
            if cursor.error is not None:
                low, high = cursor.error
                raise OffsetOutOfRangeError(
                    f"position {cursor.position} of {cursor.topic!r} partition {cursor.partition} is out of range: "
                    f"the log holds offsets {low} to {high - 1}, so a position must lie in [{low}, {high}]; "
                    "seek (e.g. seek_to_beginning()) to go on", topic=cursor.topic, partition=cursor.partition,
                    offset=cursor.position, low=low, high=high)

    def _take(self, limit: int) -> list[Message]:
        """Deliver up to ``limit`` buffered records, in fair shares across partitions."""
        order = self._order
        n = len(order)
        if not n:
            return []
        start = self._rr % n
        self._rr = start + 1
        active = [c for c in (order[(start + k) % n] for k in range(n)) if c.buffer]
        out: list[Message] = []
        remaining = limit
        while active and remaining:
            quota = max(1, remaining // len(active))
            still: list[_Cursor] = []
            for cursor in active:
                buffer = cursor.buffer
                for _ in range(min(quota, len(buffer), remaining)):
                    message = buffer.popleft()
                    cursor.position = message.offset + 1
                    again = cursor.log.record(message.offset)
                    out.append(message.with_retry_count(again) if again else message)
                    remaining -= 1
                if buffer:
                    still.append(cursor)
                if not remaining:
                    break
            active = still
        return out

    def _next_wakeup(self) -> float:
        wake_at = min(self._next_meta.values(), default=float("inf"))
        if self._members:
            wake_at = min(wake_at, self._next_beat)
        if self._auto_commit:
            wake_at = min(wake_at, self._next_auto_commit)
        for cursor in self._order:
            if cursor.position is None:
                wake_at = min(wake_at, cursor.start_at)
            elif cursor.error is None and not cursor.buffer:
                wake_at = min(wake_at, cursor.next_fetch_at)
        return wake_at

    def _public_poll(self, timeout_ms: float, max_records: int | None) -> list[Message]:
        self._check_open()
        timeout = _check_ms("timeout_ms", timeout_ms)
        if max_records is None:
            limit = self._max_poll_records
        elif isinstance(max_records, bool) or not isinstance(max_records, int) or max_records < 1:
            raise ValueError(f"max_records must be an int >= 1, not {max_records!r}")
        else:
            limit = max_records
        with _consumer_errors():
            return self._poll(timeout, limit)

    def __iter__(self: _ConsumerT) -> _ConsumerT:
        """The consumer is its own iterator: ``for message in consumer`` yields records until :meth:`close`."""
        return self

    def __next__(self) -> Message:
        """The next record, waiting as long as it takes; ``StopIteration`` once the consumer is closed."""
        while True:
            if self._closed:
                raise StopIteration
            with _consumer_errors():
                records = self._poll(_ITER_WAIT, 1)
            if records:
                return records[0]

    # ---------------------------------------------------------------------------------- commits

    def _dirty(self, tps: Iterable[TopicPartition] | None = None) -> dict[TopicPartition, int]:
        cursors = self._order if tps is None else [self._cursors[tp] for tp in tps if tp in self._cursors]
        return {c.tp: c.position for c in cursors if c.position is not None and c.position != c.committed}

    def _normalize_offsets(self, offsets: object) -> dict[TopicPartition, int]:
        if not isinstance(offsets, Mapping):
            raise TypeError("offsets must be a dict {(topic, partition): offset}")
        out: dict[TopicPartition, int] = {}
        for key, offset in offsets.items():
            if isinstance(key, tuple) and len(key) == 2:
                topic, partition = key
                if not isinstance(topic, str):
                    raise TypeError(f"bad offsets key {key!r}: expected (topic, partition)")
            elif isinstance(key, int) and not isinstance(key, bool):
                topic, partition = self._topic_arg(None), key
            else:
                raise TypeError(f"bad offsets key {key!r}: expected (topic, partition)")
            out[(topic, _check_partition(partition))] = _check_offset(offset)
        return out

    def _snapshot(self, offsets: object) -> tuple[int, dict[TopicPartition, int]]:
        """Under the lock: what to commit, stamped with a sequence number (so an older commit never lands
        after a newer one for the same partition)."""
        if offsets is None:
            now = time.monotonic()
            if not self._started:
                self._start(now)
            elif any(m.last_beat is not None and now - m.last_beat > self._session_timeout
                     for m in self._members.values()):
                # this member went silent for longer than the session: others may own its partitions now
                # and have committed past its positions; find out first (Kafka would refuse the commit)
                self._refresh(now, force=True)
        snapshot = self._dirty() if offsets is None else self._normalize_offsets(offsets)
        self._commit_seq += 1
        return self._commit_seq, snapshot

    def _send_commits(self, seq: int, offsets: dict[TopicPartition, int]) -> None:
        group_id = self._need_group()
        with self._commit_lock:
            for tp, offset in offsets.items():
                if self._sent_seq.get(tp, 0) > seq:
                    continue            # a newer commit of this partition already went out
                self._client.commit_offset(tp[0], group_id, tp[1], offset)
                self._sent_seq[tp] = seq
                cursor = self._cursors.get(tp)
                if cursor is not None:
                    cursor.committed = offset

    def _commit_quietly(self, tps_or_offsets: object, why: str) -> None:
        """Commit (``None``: every changed position), logging rather than raising: auto-commit and close."""
        try:
            seq, snapshot = (self._snapshot(None) if tps_or_offsets is None
                             else self._snapshot(tps_or_offsets))
            if snapshot:
                self._send_commits(seq, snapshot)
        except FlyMQError as exc:
            log.warning("group %r: commit %s failed: %s", self._group_id, why, exc)

    def _commit(self, offsets: object) -> dict[TopicPartition, int]:
        self._check_open()
        self._need_group()
        with _consumer_errors():
            with self._lock:
                seq, snapshot = self._snapshot(offsets)
            self._send_commits(seq, snapshot)
        return snapshot

    def _commit_async(self, callback: CommitCallback | None, offsets: object) -> Future:
        self._check_open()
        self._need_group()
        with _consumer_errors():
            with self._lock:
                seq, snapshot = self._snapshot(offsets)
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyflymq-commit")
                executor = self._executor
        try:
            return executor.submit(self._run_async_commit, seq, snapshot, callback)
        except RuntimeError:    # executor shut down by a concurrent close()
            raise ConsumerError("this consumer is closed") from None

    def _run_async_commit(self, seq: int, snapshot: dict[TopicPartition, int],
                          callback: CommitCallback | None) -> dict[TopicPartition, int]:
        self._worker_local.active = True
        error: BaseException | None = None
        try:
            with _consumer_errors():
                self._send_commits(seq, snapshot)
        except Exception as exc:
            error = exc
        if callback is not None:
            try:
                callback(dict(snapshot), error)
            except Exception:
                log.exception("commit_async callback raised")
        if error is not None:
            raise error
        return snapshot

    # ------------------------------------------------------------------------------------ seeking

    def _topic_arg(self, topic: str | None) -> str:
        if topic is None:
            if len(self._topics) != 1:
                raise ValueError(f"this consumer reads {len(self._topics)} topics {list(self._topics)}: "
                                 "pass topic=")
            return self._topics[0]
        if topic not in self._topics:
            raise ValueError(f"topic {topic!r} is not one this consumer reads ({list(self._topics)})")
        return topic

    def _cursor_for(self, partition: object, topic: str | None) -> _Cursor:
        tp = (self._topic_arg(topic), _check_partition(partition))
        self._ensure_started()
        cursor = self._cursors.get(tp)
        if cursor is None:
            self._refresh(time.monotonic(), force=True)
            cursor = self._cursors.get(tp)
        if cursor is None:
            raise ConsumerError(f"{tp[0]!r} partition {tp[1]} is not assigned to this consumer (it does not "
                                f"exist, or another member of the group owns it); assigned: "
                                f"{sorted(self._cursors)}")
        return cursor

    def _select(self, partition: object, topic: str | None) -> list[_Cursor]:
        if partition is not None:
            return [self._cursor_for(partition, topic)]
        self._ensure_started()
        if topic is None:
            return list(self._order)
        topic = self._topic_arg(topic)
        return [c for c in self._order if c.topic == topic]

    def _seek_cursor(self, cursor: _Cursor, offset: int, verify: bool, now: float) -> None:
        cursor.move(offset, verify=verify, now=now)
        self._pending.discard(cursor.tp)
        self._errors.pop(cursor.tp, None)

    def seek(self, partition: int, offset: int, topic: str | None = None) -> None:
        """Make ``partition`` (of ``topic``, which may be left out while the consumer reads one topic) continue
        at ``offset``: the next record delivered there is the one at ``offset``.

        The offset is not checked here; if it lies outside the partition's ``[low, high]`` the next ``poll``
        raises :class:`~pyflymq.errors.OffsetOutOfRangeError` (Kafka's behaviour with no reset policy).
        Records delivered again after a seek back carry ``retry_count >= 1``.
        """
        offset = _check_offset(offset)
        self._check_open()
        with _consumer_errors(), self._lock:
            self._seek_cursor(self._cursor_for(partition, topic), offset, True, 0.0)

    def seek_to_beginning(self, partition: int | None = None, topic: str | None = None) -> None:
        """Move to the first retained record (the low watermark) of ``partition``, or of every partition this
        consumer owns when ``partition`` is None (of ``topic`` only, when given). Clears an out-of-range error."""
        self._seek_watermark(partition, topic, 0)

    def seek_to_end(self, partition: int | None = None, topic: str | None = None) -> None:
        """Move past the last record (the high watermark), so only records written from now on are delivered;
        ``partition=None`` means every owned partition (of ``topic`` only, when given)."""
        self._seek_watermark(partition, topic, 1)

    def _seek_watermark(self, partition: object, topic: str | None, which: int) -> None:
        self._check_open()
        with _consumer_errors(), self._lock:
            for cursor in self._select(partition, topic):
                offset = self._client.watermarks(cursor.topic, cursor.partition)[which]
                self._seek_cursor(cursor, offset, False, time.monotonic())

    def _position(self, partition: object, topic: str | None) -> int:
        self._check_open()
        with _consumer_errors(), self._lock:
            cursor = self._cursor_for(partition, topic)
            if cursor.position is None:
                self._init_pending(time.monotonic(), force=[cursor.tp])
                cursor = self._cursor_for(partition, topic)
                if cursor.position is None:
                    raise ConsumerError(f"{cursor.topic!r} partition {cursor.partition}: no position yet")
            return cursor.position

    def assignment(self) -> set[TopicPartition]:
        """The ``(topic, partition)`` pairs this consumer currently reads. The first call joins the group
        (looks the topics up, takes this member's share) if nothing did yet."""
        self._check_open()
        with _consumer_errors(), self._lock:
            self._ensure_started()
            return set(self._cursors)

    def _describe(self) -> str:
        state = "closed" if self._closed else ("started" if self._started else "new")
        return f"topics={list(self._topics)!r}, group_id={self._group_id!r}, {state}"


# --------------------------------------------------------------------------------- public classes

class HighLevelConsumer(_BaseConsumer):
    """A Kafka-like consumer of one or more topics in a consumer group; made by ``client.consumer(...)``.

    ``HighLevelConsumer(client, topics, group_id, *, auto_commit=True, auto_commit_interval_ms=5000,
    max_poll_records=500, session_timeout_ms=30000, auto_offset_reset="earliest", metadata_max_age_ms=5000)``

    * ``topics``: a name or a list of names; every partition of every topic is read (shared with the other
      members of ``group_id``, see below). A topic that does not exist yet is waited for, not an error.
    * Start: each partition resumes at the group's committed offset; where the group never committed, at
      ``auto_offset_reset`` (``"earliest"`` or ``"latest"``), taken when the consumer is first used (like
      Kafka, nothing happens on the network before the first ``poll``, iteration, seek or commit).
      Partitions created after that are read from their first record.
    * ``poll(timeout_ms, max_records)`` returns as soon as records are there, else waits up to ``timeout_ms``;
      iterating the consumer yields records one at a time and blocks until :meth:`close`.
    * ``auto_commit=True``: every ``auto_commit_interval_ms`` during ``poll``/iteration, and at ``close()``,
      the positions of records already delivered are committed (a record counts as processed once the next
      ``poll`` or the next iteration step starts, as in Kafka). ``auto_commit=False``: only :meth:`commit`
      and :meth:`commit_async` commit.
    * ``session_timeout_ms``: members of one group share partitions; one that stops polling for longer than
      this loses its partitions to the others. FlyMQ has no group protocol, so this is done by the clients
      (see the :mod:`pyflymq.consumer` module documentation); ``close()`` hands partitions over at once.
    * ``metadata_max_age_ms``: how often partitions are looked up again (new topics: every second).
    * Membership: once used, the consumer is a member of ``group_id`` on every topic as the server counts it
      (DESCRIBE_GROUP / LIST_GROUPS), through one extra connection per topic that :meth:`close` closes.

    Records come back with ``retry_count`` = how many times this consumer delivered the same
    (topic, partition, offset) before (0 the first time, 1 after a seek back, ...).
    A consumer may be used from several threads (``commit_async`` and ``close`` from another thread are fine);
    as in Kafka, ``poll`` is meant for one thread at a time.
    """

    def __init__(self, client: FlyMQClient, topics: str | Iterable[str], group_id: str | None, *,
                 auto_commit: bool = True,
                 auto_commit_interval_ms: int = 5000, max_poll_records: int = 500,
                 session_timeout_ms: int = 30000, auto_offset_reset: str = "earliest",
                 metadata_max_age_ms: int = 5000) -> None:
        if isinstance(topics, str):
            names = [topics]
        elif isinstance(topics, Iterable):
            names = list(topics)
        else:
            raise TypeError(f"topics must be a topic name or a list of names, not {topics!r}")
        if not names or not all(isinstance(t, str) and t for t in names):
            raise ValueError(f"topics must be one or more non-empty names, not {topics!r}")
        reset = _reset_name(auto_offset_reset)
        super().__init__(client, tuple(dict.fromkeys(names)), group_id, partition=None, start=(True, reset),
                         reset=reset, auto_commit=auto_commit, auto_commit_interval_ms=auto_commit_interval_ms,
                         max_poll_records=max_poll_records, session_timeout_ms=session_timeout_ms,
                         metadata_max_age_ms=metadata_max_age_ms)
        self._config = {
            "topics": list(self._topics), "group_id": group_id, "auto_commit": bool(auto_commit),
            "auto_commit_interval_ms": auto_commit_interval_ms, "max_poll_records": max_poll_records,
            "session_timeout_ms": session_timeout_ms, "auto_offset_reset": reset,
            "metadata_max_age_ms": metadata_max_age_ms,
        }

    def __repr__(self) -> str:
        return f"HighLevelConsumer({self._describe()})"

    @property
    def topics(self) -> list[str]:
        """The topics this consumer reads."""
        return list(self._topics)

    @property
    def config(self) -> dict[str, Any]:
        """The settings this consumer was made with (a copy)."""
        return dict(self._config)

    def subscription(self) -> set[str]:
        """The topics this consumer is subscribed to (Kafka's name for :attr:`topics`)."""
        return set(self._topics)

    def poll(self, timeout_ms: int = 1000, max_records: int | None = None) -> list[Message]:
        """Records ready to process: at most ``max_records`` (default ``max_poll_records``), taken fairly
        from every partition that has some.

        Returns as soon as there are records; with none, waits up to ``timeout_ms`` (0: just check) and returns
        an empty list, or earlier when :meth:`close` is called from another thread. Raises
        :class:`~pyflymq.errors.OffsetOutOfRangeError` while a position lies outside its partition's log, and
        :class:`~pyflymq.errors.ConsumerConnectionError` when the server cannot be reached.
        """
        return self._public_poll(timeout_ms, max_records)

    def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> dict[TopicPartition, int]:
        """Commit synchronously and return what was committed; errors raise.

        Without ``offsets``: per partition, the position, i.e. the offset after the last record delivered (or
        where a seek moved it), for every partition whose position differs from what this consumer last
        committed or found committed. With ``offsets``: exactly ``{(topic, partition): offset}``, where
        ``offset`` is the next offset to read (last processed + 1).
        """
        return self._commit(offsets)

    def commit_async(self, callback: CommitCallback | None = None,
                     offsets: Mapping[TopicPartition, int] | None = None) -> Future:
        """Commit without blocking the caller; then call ``callback(offsets, error)`` from the commit thread.

        ``offsets`` (the callback's first argument) is the ``{(topic, partition): offset}`` dict committed,
        taken when this method is called, as :meth:`commit` would; ``error`` is None, or the exception. Commits
        are sent in order by one background thread, and an older commit never overwrites a newer one of the
        same partition. Returns a :class:`concurrent.futures.Future` of the offsets; :meth:`close` waits for
        pending commits.
        """
        return self._commit_async(callback, offsets)

    def position(self, partition: int, topic: str | None = None) -> int:
        """The offset of the next record ``poll`` returns for ``partition`` (of ``topic``, which may be left
        out while the consumer reads one topic)."""
        return self._position(partition, topic)


class Consumer(_BaseConsumer):
    """A low-level consumer of one topic: all its partitions, or the single ``partition`` given.

    ``Consumer(client, topic, group_id=None, *, partition=None, max_poll_records=500,
    session_timeout_ms=30000, metadata_max_age_ms=5000)``

    * Start: :meth:`subscribe` chooses it (``SubscribeMode.COMMIT``, the default: the group's committed offset,
      else the earliest record; ``EARLIEST``; ``LATEST``). Without a call, ``COMMIT`` applies when the consumer
      is first used.
    * Iterating yields records one at a time and blocks waiting for new ones until :meth:`close`;
      :meth:`poll` returns a batch.
    * :meth:`commit` saves the position after the last record yielded. Nothing is committed automatically.
    * With a ``group_id`` and no ``partition``, consumers of the same group share the topic's partitions
      ("same group, shares work"), as :class:`HighLevelConsumer` does; give ``partition`` to read one partition
      whatever other members do. Call :meth:`close` (or use ``with``) when done so that the others take over
      at once; a consumer that simply stops keeps its partitions until ``session_timeout_ms`` has passed.
    * With a ``group_id`` the consumer is, once used, a member of the group as the server counts it, through
      an extra connection that :meth:`close` closes.
    * ``group_id=None``: no group, no commits, no sharing.
    """

    def __init__(self, client: FlyMQClient, topic: str, group_id: str | None = None, *,
                 partition: int | None = None,
                 max_poll_records: int = 500, session_timeout_ms: int = 30000,
                 metadata_max_age_ms: int = 5000) -> None:
        if not isinstance(topic, str) or not topic:
            raise ValueError(f"topic must be a non-empty name, not {topic!r}")
        super().__init__(client, (topic,), group_id, partition=partition, start=(True, "earliest"),
                         reset="earliest", auto_commit=False, auto_commit_interval_ms=0,
                         max_poll_records=max_poll_records, session_timeout_ms=session_timeout_ms,
                         metadata_max_age_ms=metadata_max_age_ms)

    def __repr__(self) -> str:
        partition = "" if self._fixed_partition is None else f", partition={self._fixed_partition}"
        return f"Consumer({self._describe()}{partition})"

    @property
    def topic(self) -> str:
        """The topic this consumer reads."""
        return self._topics[0]

    def subscribe(self, mode: SubscribeMode | str = SubscribeMode.COMMIT) -> dict[int, int]:
        """Set where consumption starts, on every partition this consumer reads; returns
        ``{partition: start offset}``.

        ``COMMIT``: the group's committed offset, else the earliest record (FlyMQ's own rule). ``EARLIEST``: the
        first retained record. ``LATEST``: only records written from now on. Records buffered but not yet
        yielded are dropped. Partitions still being handed over by another group member are started the same
        way once they arrive, and are not in the returned dict. Partitions this consumer gains later (from another group member) start at the
        committed offset, else at the earliest record (``LATEST``: at the end).
        """
        mode = SubscribeMode(mode)
        self._check_open()
        with _consumer_errors(), self._lock:
            self._reset = "latest" if mode is SubscribeMode.LATEST else "earliest"
            spec = (mode is SubscribeMode.COMMIT, "latest" if mode is SubscribeMode.LATEST else "earliest")
            if not self._started:
                self._start_use_committed, self._start_fallback = spec
                self._start(time.monotonic())
            else:
                for cursor in self._order:
                    cursor.use_committed, cursor.fallback = spec
                    cursor.position = None
                    cursor.start_at = 0.0
                    cursor.buffer.clear()
                    cursor.error = None
                    self._errors.pop(cursor.tp, None)
                    self._pending.add(cursor.tp)
            self._init_pending(time.monotonic())
            return {c.partition: c.position for c in self._order if c.position is not None}

    def poll(self, timeout_ms: int = 1000, max_records: int | None = None) -> list[Message]:
        """Up to ``max_records`` (default ``max_poll_records``) records, waiting up to ``timeout_ms`` when none
        are there; the records count as yielded (``commit`` saves the position after them)."""
        return self._public_poll(timeout_ms, max_records)

    def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> dict[TopicPartition, int]:
        """Save the position after the last record yielded, for every partition whose position changed since
        the last commit; or exactly ``offsets`` (``{(topic, partition): next offset}``, or
        ``{partition: next offset}``). Returns what was committed; errors raise. Needs a ``group_id``."""
        return self._commit(offsets)

    def position(self, partition: int | None = None, topic: str | None = None) -> int:
        """The offset of the next record to be yielded from ``partition``; it may be left out when the consumer
        reads a single partition."""
        if partition is None:
            if self._fixed_partition is not None:
                partition = self._fixed_partition
            else:
                with _consumer_errors(), self._lock:
                    self._check_open()
                    self._ensure_started()
                    if self._counts.get(self.topic) != 1:
                        raise ValueError("this consumer reads several partitions: pass partition=")
                partition = 0
        return self._position(partition, topic)
