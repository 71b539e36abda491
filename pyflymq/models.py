"""Value types returned by pyflymq: messages, record metadata, fetch results, group and DLQ views."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from operator import itemgetter
from typing import TYPE_CHECKING

_new_tuple = tuple.__new__


class Message(tuple):
    """One record read from a partition.

    A ``Message`` is an immutable tuple ``(topic, partition, offset, key, value, retry_count)`` with named
    attributes; it is a tuple because decoding a FETCH reply builds thousands of them per call.
    ``key`` is ``None`` when the record has no key. ``timestamp`` is always ``None``: FlyMQ stores no
    per-record time. ``retry_count`` counts earlier deliveries of the same (topic, partition, offset) to the
    same consumer (0 on first delivery).
    """

    __slots__ = ()

    def __new__(cls, topic: str, partition: int, offset: int, key: bytes | None, value: bytes,
                retry_count: int = 0) -> Message:
        return _new_tuple(cls, (topic, partition, offset, key, value, retry_count))

    if TYPE_CHECKING:  # the fields' types; at run time they are the item getters below
        @property
        def topic(self) -> str: ...
        @property
        def partition(self) -> int: ...
        @property
        def offset(self) -> int: ...
        @property
        def key(self) -> bytes | None: ...
        @property
        def value(self) -> bytes: ...
        @property
        def data(self) -> bytes: ...
        @property
        def retry_count(self) -> int: ...
    else:
        topic = property(itemgetter(0), doc="Topic the record was read from.")
        partition = property(itemgetter(1), doc="Partition the record was read from.")
        offset = property(itemgetter(2), doc="Offset of the record within its partition.")
        key = property(itemgetter(3), doc="Record key as bytes, or None when the record has no key.")
        value = property(itemgetter(4), doc="Record value as bytes (may be empty).")
        data = property(itemgetter(4), doc="Alias of ``value``.")
        retry_count = property(itemgetter(5),
                               doc="How many times this consumer delivered this record before.")
    timestamp = None

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The value decoded as text."""
        return self[4].decode(encoding, errors)

    def decode_key(self, encoding: str = "utf-8", errors: str = "strict") -> str | None:
        """The key decoded as text, or None when there is no key."""
        key = self[3]
        return None if key is None else key.decode(encoding, errors)

    def with_retry_count(self, retry_count: int) -> Message:
        """A copy of this message with another ``retry_count``."""
        return _new_tuple(type(self), (*self[:5], retry_count))

    def __repr__(self) -> str:
        return (f"Message(topic={self[0]!r}, partition={self[1]}, offset={self[2]}, key={self[3]!r}, "
                f"value={self[4][:64]!r}{'...' if len(self[4]) > 64 else ''}, retry_count={self[5]})")

    def __reduce__(self) -> tuple[type[Message], tuple[object, ...]]:
        return (Message, tuple(self))


@dataclass(frozen=True)
class RecordMetadata:
    """Where a produced record went: the server's answer to a PRODUCE-family request.

    ``timestamp`` is the server's clock (ms) when it replied; FlyMQ does not store it with the record.
    ``key_size`` is -1 for a record without key.
    """

    topic: str
    partition: int
    offset: int
    timestamp: int
    key_size: int
    value_size: int


@dataclass
class FetchResult:
    """Records returned by one FETCH, and the offset to fetch next (one past the last record scanned)."""

    messages: list[Message]
    next_offset: int

    def __len__(self) -> int:
        return len(self.messages)

    def __iter__(self) -> Iterator[Message]:
        return iter(self.messages)


@dataclass
class GroupInfo:
    """A consumer group as FlyMQ knows it: one (topic, group) pair, its member count, committed offsets."""

    topic: str
    group_id: str
    members: int
    offsets: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Lag:
    """A group's lag on one partition: ``lag = max(0, latest - committed)``."""

    committed: int
    latest: int
    lag: int


@dataclass
class DLQEntry:
    """A dead-letter record.

    From FETCH_DLQ only ``id``, ``topic``, ``value``, ``error`` and ``retry_count`` are known; the other
    fields are filled when the entry is read from the ``.dlq`` record itself (:meth:`from_record`).
    """

    id: str
    topic: str
    value: bytes
    error: str
    retry_count: int
    original_topic: str | None = None
    original_offset: int | None = None
    reason: str | None = None
    first_failed_at: str | None = None
    last_failed_at: str | None = None
    headers: dict[str, str] | None = None

    @property
    def data(self) -> bytes:
        """Alias of ``value``: the failed record's payload."""
        return self.value

    @classmethod
    def from_record(cls, topic: str, raw: bytes) -> DLQEntry | None:
        """Parse a FlyMQ DLQ JSON record (the value of a ``<topic>.dlq`` record); None if it is not one."""
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(doc, dict):
            return None
        try:
            payload = base64.b64decode(doc.get("payload") or "", validate=False)
        except (ValueError, TypeError):
            payload = b""

        def text(name: str) -> str | None:
            value = doc.get(name)
            return value if isinstance(value, str) else None

        def integer(name: str) -> int | None:
            value = doc.get(name)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        headers = doc.get("headers")
        return cls(
            id=text("id") or "",
            topic=topic,
            value=payload,
            error=text("error_message") or "",
            retry_count=integer("retry_count") or 0,
            original_topic=text("original_topic"),
            original_offset=integer("original_offset"),
            reason=text("reason"),
            first_failed_at=text("first_failed_at"),
            last_failed_at=text("last_failed_at"),
            headers={str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else None,
        )


@dataclass(frozen=True)
class PartitionMetadata:
    """Leadership of one partition, from CLUSTER_METADATA."""

    partition: int
    leader_id: str
    leader_addr: str
    epoch: int
    state: str
    replicas: list[str]
    isr: list[str]


@dataclass(frozen=True)
class TopicMetadata:
    """A topic's partitions, from CLUSTER_METADATA."""

    topic: str
    partitions: list[PartitionMetadata]


@dataclass(frozen=True)
class ClusterMetadata:
    """The CLUSTER_METADATA reply: cluster id (``standalone`` outside cluster mode) and topics."""

    cluster_id: str
    topics: list[TopicMetadata]


@dataclass(frozen=True)
class AuthResult:
    """The AUTH / WHOAMI reply: whether the connection is signed in, as whom, with which roles."""

    success: bool
    username: str
    roles: list[str]
    error: str = ""


@dataclass(frozen=True)
class SchemaInfo:
    """A registered schema (GET_SCHEMA reply)."""

    id: str
    topic: str
    version: int
    type: str
    definition: bytes
    compatibility: str


class SubscribeMode(str, Enum):
    """Where a consumer starts: the group's committed offset, the earliest record, or only new records."""

    COMMIT = "commit"
    EARLIEST = "earliest"
    LATEST = "latest"
