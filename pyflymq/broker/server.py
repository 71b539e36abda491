"""The :class:`Broker`: a FlyMQ-compatible server, one thread per connection.

Usage::

    from pyflymq.broker import Broker

    with Broker() as broker:                 # 127.0.0.1, a free port, the real server's defaults
        broker.produce("orders", b"hello")   # seed data in-process, no socket needed
        client = connect(broker.address)     # "127.0.0.1:PORT"
        ...

In-process helpers for tests and the demo (safe to call from any thread while clients are connected):
:meth:`~Broker.produce`, :meth:`~Broker.create_topic`, :meth:`~Broker.delete_topic`, :meth:`~Broker.commit`,
and for inspection :meth:`~Broker.topic_names`, :meth:`~Broker.partition_count`,
:meth:`~Broker.high_watermark`, :meth:`~Broker.records`, :meth:`~Broker.committed`,
:meth:`~Broker.group_members`, :meth:`~Broker.groups`, :meth:`~Broker.connection_count`.

Threads rather than an event loop: a blocking ``recv``/``sendall`` per connection answers a synchronous
client's round trip faster in CPython, and back-pressure comes for free.
"""

from __future__ import annotations

import logging
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable

from pyflymq.models import GroupInfo, RecordMetadata

from .auth import Authenticator, UserSpec
from .connection import Connection, refuse
from .handlers import Dispatcher, Options
from .scheduler import Scheduler
from .state import BrokerState
from .storage import Storage

log = logging.getLogger("pyflymq.broker")

IDLE_TIMEOUT = 300.0
MAX_CONNECTIONS = 1024


def _tls_context(cert: str, key: str, ca: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    if ca:
        ctx.load_verify_locations(ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def _format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _listen(host: str, port: int) -> socket.socket:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    # "localhost" may resolve to ::1 first; IPv4 is what most clients try first.
    info = sorted(infos, key=lambda i: i[0] != socket.AF_INET)[0]
    sock = socket.socket(info[0], socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(info[4])
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock


class Broker:
    """A FlyMQ broker for tests and demos, faithful to the real server's wire behaviour and quirks.

    Options default to the real server's defaults: ``dlq`` (``.dlq`` topics and the DLQ ops),
    ``transactions`` (the buffering coordinator), ``delayed`` (PRODUCE_DELAYED schedules instead of writing
    at once) and ``schemas`` (PRODUCE_WITH_SCHEMA validates; the registry ops always work, as on the real
    server) are off; auth is off unless ``users`` are given (``"NAME:PASSWORD:ROLE"`` strings or
    ``(name, password, role)`` tuples; roles ``admin``, ``producer``, ``consumer``, ``guest``; every op is
    checked, see ``auth.OP_PERMISSIONS``). With auth on, a connection that has not logged in may send frames
    of at most 64 KiB, and failed logins make the next attempts wait (:mod:`.throttle`).
    ``tls_cert``/``tls_key`` turn on TLS, ``tls_ca`` additionally requires client certificates.
    ``data_dir`` keeps topics, records and committed offsets across restarts. CLUSTER_METADATA reports
    ``node_id`` and ``advertised_addr`` (default: the bound ``host:port``). A connection whose next request
    takes longer than ``idle_timeout`` seconds to arrive is closed. At most ``max_connections`` clients are
    served at once: the next one gets an error frame saying so and is closed (a TLS client is just closed).
    Delayed messages still pending at :meth:`stop` are dropped.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, dlq: bool = False, transactions: bool = False,
                 delayed: bool = False, schemas: bool = False, users: Iterable[UserSpec] | None = None,
                 tls_cert: str | None = None,
                 tls_key: str | None = None, tls_ca: str | None = None, data_dir: str | None = None,
                 node_id: str = "local-1", advertised_addr: str | None = None,
                 idle_timeout: float = IDLE_TIMEOUT, max_connections: int = MAX_CONNECTIONS) -> None:
        if bool(tls_cert) != bool(tls_key):
            raise ValueError("tls_cert and tls_key must be given together")
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {max_connections}")
        self.max_connections = max_connections
        self._refusing = False
        self.host = host
        self.port = port
        self._advertised = advertised_addr
        self._idle_timeout = idle_timeout
        self._ssl = _tls_context(tls_cert, tls_key, tls_ca) if tls_cert and tls_key else None
        self._storage = Storage(data_dir) if data_dir else None
        self.state = BrokerState(self._storage)
        self._options = Options(dlq=dlq, transactions=transactions, delayed=delayed, schemas=schemas,
                                node_id=node_id)
        self._scheduler: Scheduler | None = Scheduler()
        self.dispatcher = Dispatcher(self.state, self._options, Authenticator(users), self._schedule)
        self._connections: dict[Connection, threading.Thread] = {}
        self._conn_lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self._acceptor: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    # ------------------------------------------------------------------------------------ lifecycle

    @property
    def address(self) -> str:
        """``host:port`` to connect to (the real port once started)."""
        return _format_address(self.host, self.port)

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._acceptor is not None

    def start(self) -> Broker:
        """Bind and start accepting; returns once the port is listening. Idempotent."""
        with self._lifecycle:
            if self._acceptor is not None:
                return self
            listener = _listen(self.host, self.port)
            self.port = listener.getsockname()[1]
            self._options.advertised_addr = self._advertised or self.address
            self._listener = listener
            self._wake = socket.socketpair()
            if self._scheduler is None:
                self._scheduler = Scheduler()
            self.dispatcher.login_throttle.reopen()
            self._acceptor = threading.Thread(target=self._accept_loop, name=f"pyflymq-broker-{self.port}",
                                              daemon=True)
            self._acceptor.start()
            return self

    def _accept_loop(self) -> None:
        listener, wake_pair = self._listener, self._wake
        assert listener is not None and wake_pair is not None  # start() sets both before this thread runs
        wake = wake_pair[0]
        with selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            selector.register(wake, selectors.EVENT_READ)
            while True:
                ready = [key.fileobj for key, _ in selector.select()]
                if wake in ready:
                    return
                try:
                    sock, _addr = listener.accept()
                except OSError as exc:  # e.g. out of file descriptors: back off instead of spinning
                    log.warning("accept failed: %s", exc)
                    time.sleep(0.05)
                    continue
                self._spawn(sock)

    def _spawn(self, sock: socket.socket) -> None:
        with self._conn_lock:
            full = len(self._connections) >= self.max_connections
        if full:
            # one warning per flood, not one per refused client
            (log.debug if self._refusing else log.warning)("refusing connections: %d already open",
                                                           self.max_connections)
            self._refusing = True
            if self._ssl is None:  # wait=0: the accept loop must never wait on one client
                refuse(sock, f"too many connections: this broker serves at most {self.max_connections} "
                             "clients at once; try again later", wait=0)
            else:
                sock.close()
            return
        self._refusing = False
        conn = Connection(sock, self.dispatcher, self._idle_timeout, self._ssl)
        thread = threading.Thread(target=self._serve, args=(conn,), name=f"pyflymq-conn-{conn.session.peer}",
                                  daemon=True)
        with self._conn_lock:
            self._connections[conn] = thread
        try:
            thread.start()
        except RuntimeError as exc:  # out of threads: refuse this client, keep serving the others
            log.warning("cannot serve %s: %s", conn.session.peer, exc)
            with self._conn_lock:
                self._connections.pop(conn, None)
            conn.close()

    def _serve(self, conn: Connection) -> None:
        try:
            conn.serve()
        finally:
            with self._conn_lock:
                self._connections.pop(conn, None)

    def stop(self) -> None:
        """Stop accepting, close every connection, join every thread. Idempotent."""
        with self._lifecycle:
            if self._acceptor is None:
                return
            assert self._listener is not None and self._wake is not None  # set together with _acceptor
            self._wake[1].send(b"x")
            self._acceptor.join(timeout=10)
            self._listener.close()
            for end in self._wake:
                end.close()
            self._acceptor = self._listener = self._wake = None
            self.dispatcher.login_throttle.close()  # no thread may sit out a login delay
            with self._conn_lock:
                connections = list(self._connections.items())
            for conn, _thread in connections:
                conn.shutdown()
            deadline = time.monotonic() + 10
            for _conn, thread in connections:
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
            if self._scheduler is not None:
                self._scheduler.stop()
            self._scheduler = None
            if self._storage is not None:
                with self.state.lock:
                    self._storage.close()

    def __enter__(self) -> Broker:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Broker {self.address} {'running' if self.running else 'stopped'}>"

    def _schedule(self, delay: float, callback: Callable[[], object]) -> None:
        scheduler = self._scheduler
        if scheduler is not None:
            scheduler.schedule(delay, callback)

    # ------------------------------------------------------------------------------------ in-process API

    def produce(self, topic: str, value: bytes | str, key: bytes | str | None = None) -> RecordMetadata:
        """Write a record as PRODUCE would (auto-create, key hash or round-robin), without a socket.

        Raises :class:`~.errors.OpError` for a record too large for any FETCH reply, as PRODUCE refuses it.
        """
        raw_value = value.encode() if isinstance(value, str) else bytes(value)
        raw_key = (key.encode() if isinstance(key, str) else bytes(key)) if key else b""
        partition, offset = self.state.produce(topic, raw_key, raw_value)
        return RecordMetadata(topic, partition, offset, time.time_ns() // 1_000_000,
                              len(raw_key) if raw_key else -1, len(raw_value))

    def create_topic(self, topic: str, partitions: int = 1) -> None:
        """Create a topic as CREATE_TOPIC would (an existing topic is left unchanged)."""
        self.state.create_topic(topic, partitions)

    def delete_topic(self, topic: str) -> None:
        """Delete a topic as DELETE_TOPIC would."""
        self.state.delete_topic(topic)

    def commit(self, topic: str, group: str, partition: int, offset: int) -> None:
        """Commit an offset as COMMIT would."""
        self.state.commit(topic, group, partition, offset)

    def topic_names(self) -> list[str]:
        """Every topic, ``__`` ones included, in byte order."""
        return self.state.topic_names()

    def partition_count(self, topic: str) -> int | None:
        """Partitions of ``topic``, or None if it does not exist."""
        return self.state.partition_count(topic)

    def high_watermark(self, topic: str, partition: int = 0) -> int:
        """Records in the partition (the true exclusive high watermark, 0 when empty)."""
        return self.state.high_watermark(topic, partition)

    def records(self, topic: str, partition: int = 0) -> list[tuple[int, bytes | None, bytes]]:
        """Every record of a partition as ``(offset, key or None, value)``."""
        return self.state.records(topic, partition)

    def committed(self, topic: str, group: str, partition: int = 0) -> int | None:
        """The committed offset of (topic, group, partition), or None."""
        return self.state.committed(topic, group, partition)

    def group_members(self, topic: str, group: str) -> list[str]:
        """Member connections (``ip:port``) of a group."""
        return self.state.group_members(topic, group)

    def groups(self) -> list[GroupInfo]:
        """Every consumer group, as LIST_GROUPS reports them."""
        return self.state.list_groups()

    def connection_count(self) -> int:
        """Open client connections."""
        with self._conn_lock:
            return len(self._connections)
