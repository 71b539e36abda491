"""Plain data flytui shows: connection settings, topics and partitions, group lag, dead letters, overviews.

No Textual and no network here; :mod:`flytui.service` fills these from pyflymq, the panes render them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from pyflymq.models import DLQEntry, GroupInfo

DLQ_SUFFIX = ".dlq"
"""FlyMQ's dead-letter topic for ``T`` is ``T.dlq`` (flymq-wire §3.7)."""

# --------------------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class ConnectionSettings:
    """How to reach the FlyMQ server: the command line's connection options, ready for ``connect``."""

    servers: str = "localhost:9092"
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure: bool = False
    timeout_ms: int = 5000
    retries: int = 1

    def client_kwargs(self, *, timeout_ms: int | None = None) -> dict[str, Any]:
        """Keyword arguments for :func:`pyflymq.connect`."""
        kwargs: dict[str, Any] = {"timeout_ms": timeout_ms or self.timeout_ms, "retries": self.retries}
        if self.username:
            kwargs["username"] = self.username
            kwargs["password"] = self.password or ""
        if self.tls or self.ca_file or self.cert_file or self.insecure:
            kwargs["tls"] = True
            kwargs["tls_ca_file"] = self.ca_file
            kwargs["tls_cert_file"] = self.cert_file
            kwargs["tls_key_file"] = self.key_file
            kwargs["tls_insecure_skip_verify"] = self.insecure
        return kwargs

    @property
    def first_server(self) -> str:
        """The first ``host:port`` of the server list (for messages)."""
        first = self.servers.split(",")[0].strip() or "localhost:9092"
        return first if ":" in first.rsplit("]", 1)[-1] else f"{first}:9092"


# --------------------------------------------------------------------------------------------- plain data


@dataclass(frozen=True)
class PartitionInfo:
    """One partition as the panes show it: watermarks (``high`` exclusive) and leader."""

    topic: str
    partition: int
    low: int
    high: int
    leader: str = ""
    led_here: bool | None = None
    """On a cluster: whether the node read leads this partition (False: it only holds its own local log of
    it); None on a standalone server."""

    @property
    def count(self) -> int:
        """Number of records retained in the partition."""
        return max(0, self.high - self.low)


@dataclass(frozen=True)
class TopicInfo:
    """A topic with its partitions; ``dlq`` is True when ``<topic>.dlq`` exists."""

    name: str
    partitions: tuple[PartitionInfo, ...]
    dlq: bool = False

    @property
    def partition_count(self) -> int:
        """Number of partitions."""
        return len(self.partitions)

    @cached_property
    def messages(self) -> int:
        """Records retained over all partitions."""
        return sum(p.count for p in self.partitions)

    @property
    def is_dlq(self) -> bool:
        """True for a dead-letter topic (name ends in ``.dlq``)."""
        return self.name.endswith(DLQ_SUFFIX)

    @property
    def internal(self) -> bool:
        """True for broker-internal topics (``__`` prefix)."""
        return self.name.startswith("__")

    @property
    def first_partition(self) -> PartitionInfo | None:
        """The partition browsed when the topic is opened: the first that holds records, else the first."""
        return next((p for p in self.partitions if p.count), self.partitions[0] if self.partitions else None)


class GroupPartitionLag(NamedTuple):
    """A group's position on one partition. ``committed`` is None when the group never committed there.

    A named tuple, not a dataclass: a refresh of a wide topic builds one per group and partition (12,800 for
    200 groups on 64 partitions), and a tuple of numbers is quick to build and ignored by the garbage collector.
    """

    partition: int
    committed: int | None
    log_end: int
    low: int

    @property
    def lag(self) -> int:
        """Records the group still has to read (an uncommitted partition starts at the lowest offset)."""
        start = self.low if self.committed is None else self.committed
        return max(0, self.log_end - start)


@dataclass(frozen=True)
class GroupLag:
    """One consumer group on one topic: members and per-partition lag."""

    topic: str
    group_id: str
    members: int
    partitions: tuple[GroupPartitionLag, ...]

    @cached_property
    def total_lag(self) -> int:
        """Sum of the per-partition lag (computed once: a group on a wide topic has many partitions)."""
        return sum(p.lag for p in self.partitions)


@dataclass(frozen=True)
class DLQRecord:
    """A record of ``<topic>.dlq``: where it is stored, and the parsed FlyMQ DLQ entry (None if not JSON)."""

    dlq_topic: str
    partition: int
    offset: int
    raw: bytes
    entry: DLQEntry | None

    @property
    def original_topic(self) -> str:
        """The topic the failed record came from."""
        if self.entry and self.entry.original_topic:
            return self.entry.original_topic
        return self.dlq_topic[: -len(DLQ_SUFFIX)] if self.dlq_topic.endswith(DLQ_SUFFIX) else self.dlq_topic


def node_label(cluster_id: str, leader_ids: Iterable[str] = ()) -> str:
    """The node a CLUSTER_METADATA reply came from, for the header.

    In cluster mode ``cluster_id`` is the answering node's id (flymq-wire §7.2). A standalone server says
    ``standalone`` there and names itself as the leader of every partition, so its id is that leader's.
    """
    if cluster_id and cluster_id != "standalone":
        return cluster_id
    leaders = {leader for leader in leader_ids if leader}
    if len(leaders) == 1:
        return f"{leaders.pop()} (standalone)"
    return cluster_id


@dataclass(frozen=True)
class Overview:
    """Everything the background refresh learns in one pass."""

    cluster_id: str
    topics: tuple[TopicInfo, ...]
    groups: tuple[GroupInfo, ...]
    taken_at: float = 0.0
    address: str = ""
    """``host:port`` of the server this pass was read from (one of the servers given)."""
    node: str = ""
    """That server's node id, as :func:`node_label` describes it."""
    known_nodes: int = 0
    """On a cluster: how many nodes this node's metadata names (itself and the peers in its replica lists;
    FlyMQ has no node list). 0 on a standalone server."""
    # Derived views, computed once per overview (the refresh worker fills the open topic's lags before the
    # overview reaches the UI thread, so the UI does not compute them).
    # (init=False: dataclasses.replace() of an overview starts them empty instead of copying stale ones)
    _by_name: dict[str, TopicInfo] = field(default_factory=dict, init=False, compare=False, repr=False)
    _lags: dict[str, list[GroupLag]] = field(default_factory=dict, init=False, compare=False, repr=False)

    def first_topic(self) -> TopicInfo | None:
        """The topic opened when none is asked for: the first that is neither internal nor a dead-letter queue."""
        return next((t for t in self.topics if not t.internal and not t.is_dlq), None)

    def topic(self, name: str) -> TopicInfo | None:
        """The topic called ``name``, or None."""
        if not self._by_name and self.topics:
            self._by_name.update((t.name, t) for t in self.topics)
        return self._by_name.get(name)

    def group_lags(self, topic: str) -> list[GroupLag]:
        """Per-partition lag of every group that has committed (or is registered) on ``topic``.

        Computed once per overview and then shared: treat the list as read-only.
        """
        lags = self._lags.get(topic)
        if lags is None:
            lags = self._lags[topic] = self._compute_group_lags(topic)
        return lags

    def group_lags_cheap(self, topic: str) -> bool:
        """True when :meth:`group_lags` of ``topic`` is already computed or small enough for the UI thread."""
        if topic in self._lags:
            return True
        info = self.topic(topic)
        width = len(info.partitions) if info else 0
        return width * sum(1 for group in self.groups if group.topic == topic) <= 2000

    def _compute_group_lags(self, topic: str) -> list[GroupLag]:
        info = self.topic(topic)
        marks = {p.partition: p for p in info.partitions} if info else {}
        result = []
        for group in self.groups:
            if group.topic != topic:
                continue
            rows = []
            for partition, mark in sorted(marks.items()):
                committed = group.offsets.get(partition)
                rows.append(GroupPartitionLag(partition, committed, mark.high, mark.low))
            for partition in sorted(set(group.offsets) - set(marks)):
                rows.append(GroupPartitionLag(partition, group.offsets[partition], 0, 0))
            lag = GroupLag(topic, group.group_id, group.members, tuple(rows))
            lag.total_lag  # noqa: B018 - computed (and cached) where the lags are built, off the UI thread
            result.append(lag)
        result.sort(key=lambda g: g.group_id)
        return result


@dataclass(frozen=True)
class ServerInfo:
    """What :func:`probe` learned: the cluster id and who we are signed in as."""

    cluster_id: str
    user: str | None
    login_warning: str | None = None
    """Set when credentials were given but not sent: the server has authentication off (pyflymq's words)."""
