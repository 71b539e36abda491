"""Cluster mode of the built-in broker, as FlyMQ 1.26.11 behaves with ``peers`` set (flymq-wire §7).

A :class:`Cluster` runs N :class:`ClusterNode` brokers in this process, on loopback ports of their own::

    with Cluster(3) as cluster:
        client = connect(cluster.servers)          # "127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3"
        cluster.stop_node(0)                       # the node's clients get EOF, new ones "connection refused"

What is shared and what is not, as on the real server:

* **Topic metadata** goes through a Raft leader (:class:`RaftGroup`, a simulation of the outcome, not of the
  protocol). CREATE_TOPIC / DELETE_TOPIC on another node answer ``not leader: leader_id=<id>
  leader_addr=<client address>`` (or ``not leader: no leader elected`` during an election). The leader
  acknowledges first and applies later: on itself after ``leader_apply_delay``, on every follower that is up
  after a random delay in ``follower_apply_delay``. A node that is down at that moment never learns it.
* **Records and committed offsets** are per node: each node has its own :class:`BrokerState`.
* **Partition leaders** are assigned by each node on its own when it applies a create: itself first, then the
  peers it believes alive (stopped less than ``dead_after`` seconds ago), partition ``i`` to entry ``i % n``.
  PRODUCE to a partition the node does not lead answers ``not partition leader: partition=<p>
  leader_addr=<raft address>``; the Raft address is a port that accepts and then says nothing until it closes
  the connection ``raft_hang`` seconds later (what following it gets you on the real server).
* **Elections**: when the leader stops, the others go on naming it until their election timeout
  (``election_timeout`` plus a random part up to ``election_jitter``, per node) runs out, then answer
  ``no leader elected`` until the first of them wins, ``vote_time`` later, provided a majority is up.
  The first leader is node 0, at once. The defaults are the real server's timings; tests pass short ones.

PRODUCE to a missing topic creates it with 6 partitions on the Raft leader; a follower answers ``not leader:
leader_addr=<addr>`` (or ``not leader: no leader elected``). CLUSTER_METADATA's ``cluster_id`` is the answering
node's id and peers appear with their Raft address as id and address. Every other write path (PRODUCE_DELAYED,
PRODUCE_WITH_TTL, TXN_PRODUCE and a transaction's commit, PRODUCE_WITH_SCHEMA, REPLAY_DLQ) goes through the
same placement as an unkeyed PRODUCE, as on the real server where they all end in its one produce function:
the node's round-robin picks the partition, and a partition led elsewhere gets the same ``not partition
leader`` answer (a failed commit answers success 0, a failed replay its status text).
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyflymq import wire
from pyflymq.models import ClusterMetadata, PartitionMetadata, TopicMetadata
from pyflymq.wire import Op

from .errors import OpError
from .handlers import Dispatcher, Session
from .log import fnv1a32
from .replies import frame
from .scheduler import Scheduler
from .server import Broker, _format_address, _listen
from .state import MAX_PARTITIONS

log = logging.getLogger("pyflymq.broker")

AUTO_CREATE_PARTITIONS = 6
REPLICATION_FACTOR = 3


@dataclass
class ClusterTiming:
    """The cluster's clocks, in seconds. The defaults are FlyMQ 1.26.11's (flymq-wire §7.1, §7.2, §7.3)."""

    election_timeout: float = 2.0
    election_jitter: float = 2.0
    vote_time: float = 0.2
    leader_apply_delay: float = 0.01
    follower_apply_delay: tuple[float, float] = (0.02, 0.2)
    dead_after: float = 30.0
    raft_hang: float = 5.0


@dataclass
class _Election:
    """An election in progress: when it started, each live follower's timeout, the winner and when it wins."""

    started: float
    timeouts: dict[int, float]
    winner: int | None
    wins_at: float
    old_leader: int | None


class RaftGroup:
    """Who leads the cluster, as each node sees it, worked out from when nodes stopped and started."""

    def __init__(self, size: int, timing: ClusterTiming, rng: random.Random) -> None:
        self._size = size
        self._timing = timing
        self._rng = rng
        self._lock = threading.Lock()
        self._up: set[int] = set()
        self.leader: int | None = None
        self.term = 0
        self._election: _Election | None = None

    def _plan(self, now: float, old_leader: int | None) -> None:
        t = self._timing
        timeouts = {i: t.election_timeout + self._rng.uniform(0.0, t.election_jitter) for i in self._up}
        majority = len(self._up) * 2 > self._size
        winner = min(timeouts, key=timeouts.__getitem__) if timeouts and majority else None
        wins_at = now + timeouts[winner] + t.vote_time if winner is not None else float("inf")
        self._election = _Election(now, timeouts, winner, wins_at, old_leader)

    def _advance(self, now: float) -> None:
        election = self._election
        if election is None or now < election.wins_at:
            return
        if election.winner in self._up:
            self.leader, self.term, self._election = election.winner, self.term + 1, None
        else:
            self._plan(now, election.old_leader)

    def started(self, index: int, first: bool) -> None:
        """Node ``index`` is up. The very first node to start leads at once; later ones join as followers."""
        with self._lock:
            self._up.add(index)
            if first and self.leader is None and self._election is None:
                self.leader, self.term = index, 1
                return
            election = self._election
            if election is not None and election.winner is None:
                self._plan(time.monotonic(), election.old_leader)  # a majority may be back

    def stopped(self, index: int) -> None:
        """Node ``index`` went down; if it led, an election starts among the others."""
        with self._lock:
            self._up.discard(index)
            now = time.monotonic()
            self._advance(now)
            if self.leader == index:
                self.leader = None
                self._plan(now, index)
            elif self._election is not None:  # one voter fewer: the winner or the majority may be gone
                self._plan(now, self._election.old_leader)

    def elected(self) -> int | None:
        """The elected leader, or None while there is none."""
        with self._lock:
            self._advance(time.monotonic())
            return self.leader if self._election is None else None

    def view(self, index: int) -> int | None:
        """The leader node ``index`` names right now (possibly a dead one it has not given up on), or None
        while it is waiting for an election to end."""
        with self._lock:
            now = time.monotonic()
            self._advance(now)
            election = self._election
            if election is None:
                return self.leader
            timeout = election.timeouts.get(index)
            if timeout is not None and now < election.started + timeout:
                return election.old_leader
            return None


class _RaftPort:
    """A node's Raft (cluster) port: it accepts connections, never answers a client, and closes them after
    ``hang`` seconds, which is what a client that follows ``not partition leader … leader_addr`` meets."""

    def __init__(self, host: str, hang: float) -> None:
        self.host = host
        self.port = 0
        self._hang = hang
        self._listener: socket.socket | None = None
        self._held: list[tuple[float, socket.socket]] = []
        self.accepted = 0
        """Connections accepted so far (a client that followed a partition leader's address)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        """``host:port`` of the Raft port."""
        return _format_address(self.host, self.port)

    def start(self) -> None:
        """Listen (on the same port as before, after a restart)."""
        listener = _listen(self.host, self.port)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"pyflymq-raft-{self.port}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._stop.is_set():
            try:
                sock, _ = listener.accept()
                self.accepted += 1
                self._held.append((time.monotonic() + self._hang, sock))
            except OSError:
                pass
            now = time.monotonic()
            for entry in [e for e in self._held if e[0] <= now]:
                self._held.remove(entry)
                entry[1].close()

    def stop(self) -> None:
        """Close the port and every connection it holds."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for _, sock in self._held:
            sock.close()
        self._held.clear()


class ClusterDispatcher(Dispatcher):
    """A node's op handlers: the standalone ones, with the cluster's answers for topic create/delete,
    PRODUCE and CLUSTER_METADATA (flymq-wire §7.2)."""

    node: ClusterNode

    def _not_leader(self, with_id: bool = True) -> OpError:
        cluster = self.node.cluster
        leader = cluster.raft.view(self.node.index)
        if leader is None:
            return OpError("not leader: no leader elected")
        named = cluster.nodes[leader]
        parts = [f"leader_id={named.node_id}"] if with_id else []
        if cluster.leader_addr_in_errors or not with_id:
            parts.append(f"leader_addr={named.address}")
        return OpError("not leader: " + " ".join(parts))

    def _leads_cluster(self) -> bool:
        return self.node.cluster.raft.view(self.node.index) == self.node.index

    def create_topic(self, session: Session, payload: bytes) -> bytes:
        """CREATE_TOPIC: on the Raft leader, acknowledged and then applied everywhere; elsewhere refused."""
        req = wire.decode_create_topic_request(payload)
        if req.partitions < 0 or req.partitions > MAX_PARTITIONS:
            raise OpError(f"invalid partition count: {req.partitions}")
        if not self._leads_cluster():
            raise self._not_leader()
        self.node.cluster.replicate(self.node, lambda node: node.apply_create(req.topic, req.partitions or 1))
        return frame(Op.CREATE_TOPIC, wire.OK_BYTE)

    def delete_topic(self, session: Session, payload: bytes) -> bytes:
        """DELETE_TOPIC: as CREATE_TOPIC, through the Raft leader."""
        topic = wire.decode_topic_request(payload)
        if not self._leads_cluster():
            raise self._not_leader()
        self.node.cluster.replicate(self.node, lambda node: node.apply_delete(topic))
        return frame(Op.DELETE_TOPIC, wire.OK_BYTE)

    def _place(self, name: str, key: bytes) -> int:
        """The partition this node writes a record of ``name`` to: key hash or its own round-robin, after
        creating a missing topic when it leads the cluster. OpError with the real server's words when it
        does not lead the cluster (missing topic) or that partition (in its own view)."""
        node = self.node
        if self.state.partition_count(name) is None:
            if not self._leads_cluster():
                raise self._not_leader(with_id=False)
            node.apply_create(name, AUTO_CREATE_PARTITIONS)
            node.cluster.replicate(node, lambda other: other.apply_create(name, AUTO_CREATE_PARTITIONS),
                                   skip_origin=True)
        with self.state.lock:
            topic = self.state.topics.get(name)
            if topic is None:
                raise OpError(f"topic not found: {name}")
            count = len(topic.partitions)
            partition = fnv1a32(key) % count if key and count > 1 else topic.choose_partition(key)
        leader = node.partition_leader(name, partition)
        if leader is not node:
            raise OpError(f"not partition leader: partition={partition} leader_addr={leader.raft_address}")
        return partition

    def produce(self, session: Session, payload: bytes) -> bytes:
        """PRODUCE: the node places the record (key hash or its own round-robin) and writes it to its own
        log, or refuses a partition it does not lead in its own view."""
        fields = wire.split_produce_request(payload)
        if fields is None:
            wire.decode_produce_request(payload)
            raise OpError(wire.INVALID_FORMAT)
        topic_raw, key, value = fields
        name = self._topic_name(topic_raw)
        partition = self._place(name, key)
        offset = self.state.append(name, partition, key, value)
        return self._produce_replies.reply(topic_raw, partition, offset, len(key) if key else -1, len(value))

    def _produce_keyless(self, topic: str, value: bytes) -> int:
        """The delayed, TTL, transactional, schema and DLQ-replay writes: placed as an unkeyed PRODUCE."""
        return self.state.append(topic, self._place(topic, b""), b"", value)

    def cluster_metadata(self, session: Session, payload: bytes) -> bytes:
        """CLUSTER_METADATA: this node's own opinion of every partition's leader."""
        try:
            topic = wire.decode_cluster_metadata_request(payload)
        except Exception as exc:  # noqa: BLE001 - a decode error, answered as E3 like the standalone handler
            raise OpError(f"invalid request: {exc}", "E3") from None
        names = [topic] if topic else self.state.topic_names()
        topics = []
        for name in names:
            count = self.state.partition_count(name)
            if count is None:
                if topic:
                    raise OpError(f"topic not found: {topic}", "E3")
                continue
            topics.append(TopicMetadata(name, [self.node.partition_metadata(name, p) for p in range(count)]))
        meta = ClusterMetadata(self.node.node_id, topics)
        return frame(Op.CLUSTER_METADATA, wire.encode_cluster_metadata_response(meta))


class ClusterNode(Broker):
    """One node of a :class:`Cluster`: a :class:`Broker` with its own log and groups, a Raft port, and the
    partition-leader table it worked out itself. Stop it (:meth:`stop`) to kill it; start it again to rejoin."""

    def __init__(self, cluster: Cluster, index: int, host: str, port: int, **options: Any) -> None:
        super().__init__(host, port, node_id=f"node-{index + 1}", **options)
        self.cluster = cluster
        self.index = index
        self.node_id = f"node-{index + 1}"
        self._raft_port = _RaftPort(host, cluster.timing.raft_hang)
        self._leaders: dict[str, list[ClusterNode]] = {}
        self._leaders_lock = threading.Lock()
        self._started_once = False
        old = self.dispatcher
        dispatcher = ClusterDispatcher(self.state, self._options, old.auth, self._schedule)
        dispatcher.node = self
        self.dispatcher = dispatcher

    @property
    def raft_address(self) -> str:
        """The node's Raft (cluster) address: what peers' answers name it by."""
        return self._raft_port.address

    @property
    def raft_connections(self) -> int:
        """How many connections the Raft port has accepted (clients must never follow it)."""
        return self._raft_port.accepted

    def start(self) -> ClusterNode:
        """Start serving (again); a restarted node is a follower and keeps what it had."""
        if self.running:
            return self
        super().start()
        self._raft_port.start()
        self.cluster.raft.started(self.index, first=not self.cluster.has_started_node())
        self._started_once = True
        self.cluster.node_changed(self, up=True)
        return self

    def stop(self) -> None:
        """Kill the node: open connections get EOF, new ones are refused, elections start if it led."""
        if not self.running:
            return
        self.cluster.raft.stopped(self.index)
        self.cluster.node_changed(self, up=False)
        super().stop()
        self._raft_port.stop()

    kill = stop

    # --------------------------------------------------------------------------------- metadata

    def apply_create(self, topic: str, partitions: int) -> None:
        """Apply a replicated create: the topic, and this node's own partition-leader table for it."""
        if self.state.partition_count(topic) is None:
            self.state.create_topic(topic, partitions)
            with self._leaders_lock:
                self._leaders[topic] = self._leader_entries()

    def apply_delete(self, topic: str) -> None:
        """Apply a replicated delete."""
        self.state.delete_topic(topic)
        with self._leaders_lock:
            self._leaders.pop(topic, None)

    def _leader_entries(self) -> list[ClusterNode]:
        peers = [n for n in self.cluster.nodes if n is not self and self.cluster.believed_alive(n)]
        return [self, *peers]

    def partition_leader(self, topic: str, partition: int) -> ClusterNode:
        """The node this one believes leads ``partition`` of ``topic`` (itself for partition 0)."""
        with self._leaders_lock:
            entries = self._leaders.get(topic)
            if entries is None:  # a topic made in-process (seeding): assigned the first time it is asked
                entries = self._leaders[topic] = self._leader_entries()
        return entries[partition % len(entries)]

    def partition_metadata(self, topic: str, partition: int) -> PartitionMetadata:
        """CLUSTER_METADATA's entry for one partition, in this node's view."""
        with self._leaders_lock:
            entries = self._leaders.get(topic) or [self]
        n = len(entries)
        replicas = [entries[(partition + k) % n] for k in range(min(REPLICATION_FACTOR, n))]
        names = [self._name_of(node) for node in replicas]
        leader = replicas[0]
        address = self.address if leader is self else leader.raft_address
        return PartitionMetadata(partition, names[0], address, 1, "online", names, list(names))

    def _name_of(self, node: ClusterNode) -> str:
        return self.node_id if node is self else node.raft_address

    def __repr__(self) -> str:
        return f"<ClusterNode {self.node_id} {self.address} {'running' if self.running else 'stopped'}>"


class Cluster:
    """N FlyMQ nodes on loopback, each on a free port (or ``base_port + i``), faithful to flymq-wire §7.

    ``timing`` (a :class:`ClusterTiming`) sets elections and replication delays; ``seed`` makes the random
    parts repeatable. ``leader_addr_in_errors=False`` makes followers answer ``not leader: leader_id=<id>``
    without the address. Other keyword arguments go to every node's :class:`Broker`.
    """

    def __init__(self, size: int = 3, host: str = "127.0.0.1", *, base_port: int = 0,
                 timing: ClusterTiming | None = None, seed: int | None = None,
                 leader_addr_in_errors: bool = True, **broker_options: Any) -> None:
        if size < 1:
            raise ValueError(f"a cluster needs at least one node, not {size}")
        self.timing = timing or ClusterTiming()
        self.leader_addr_in_errors = leader_addr_in_errors
        self._rng = random.Random(seed)
        self.raft = RaftGroup(size, self.timing, self._rng)
        self._scheduler = Scheduler()
        self._down_since: dict[int, float] = {}
        self.nodes = [ClusterNode(self, i, host, base_port + i if base_port else 0, **broker_options)
                      for i in range(size)]

    # ------------------------------------------------------------------------------------ lifecycle

    def start(self) -> Cluster:
        """Start every node (node 0 first: it is the first leader)."""
        for node in self.nodes:
            node.start()
        return self

    def stop(self) -> None:
        """Stop every node and the replication timers."""
        for node in self.nodes:
            node.stop()
        self._scheduler.stop()

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def addresses(self) -> list[str]:
        """Every node's client address, in node order."""
        return [node.address for node in self.nodes]

    @property
    def servers(self) -> str:
        """The ``servers`` string for :func:`pyflymq.connect`: ``"h:p1,h:p2,..."``."""
        return ",".join(self.addresses)

    def stop_node(self, index: int) -> None:
        """Kill node ``index`` (its clients get EOF at once, new connections are refused)."""
        self.nodes[index].stop()

    def start_node(self, index: int) -> None:
        """Restart node ``index`` on its old ports, as a follower that missed what happened meanwhile."""
        self.nodes[index].start()

    def leader(self) -> ClusterNode | None:
        """The elected Raft leader, or None during an election."""
        leader = self.raft.elected()
        return None if leader is None else self.nodes[leader]

    def wait_for_leader(self, timeout: float = 10.0) -> ClusterNode:
        """Wait until a leader is elected (at most ``timeout`` seconds) and return it."""
        deadline = time.monotonic() + timeout
        while True:
            for node in self.nodes:
                if node.running and self.raft.view(node.index) == node.index:
                    return node
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no leader elected within {timeout:g}s")
            time.sleep(0.01)

    def create_topic(self, topic: str, partitions: int = 1) -> None:
        """Create a topic on every running node at once (seeding, no Raft delay)."""
        for node in self.nodes:
            if node.running:
                node.apply_create(topic, partitions)

    # ------------------------------------------------------------------------------------ internals

    def has_started_node(self) -> bool:
        """True once any node has been started."""
        return any(node._started_once for node in self.nodes)

    def node_changed(self, node: ClusterNode, up: bool) -> None:
        """Note when a node went down (peers believe it alive for ``dead_after`` seconds more)."""
        if up:
            self._down_since.pop(node.index, None)
        else:
            self._down_since[node.index] = time.monotonic()

    def believed_alive(self, node: ClusterNode) -> bool:
        """Whether the peers still count ``node`` alive when they assign partition leaders."""
        since = self._down_since.get(node.index)
        return since is None or time.monotonic() - since < self.timing.dead_after

    def replicate(self, origin: ClusterNode, apply: Callable[[ClusterNode], None], *,
                  skip_origin: bool = False) -> None:
        """Apply a metadata change after the Raft delays: on ``origin`` (the leader) soon, on the followers
        that are up a little later; a node that is down when its turn comes never sees it."""
        t = self.timing
        for node in self.nodes:
            if node is origin:
                if skip_origin:
                    continue
                delay = t.leader_apply_delay
            elif node.running:
                delay = self._rng.uniform(*t.follower_apply_delay)
            else:
                continue
            self._scheduler.schedule(delay, self._applier(node, apply))

    @staticmethod
    def _applier(node: ClusterNode, apply: Callable[[ClusterNode], None]) -> Callable[[], None]:
        """``apply(node)``, run later, only if the node is up by then."""
        def run() -> None:
            if node.running:
                apply(node)
        return run
