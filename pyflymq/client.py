"""The FlyMQ client: :func:`connect`, :class:`FlyMQClient` and :class:`Transaction`.

One client keeps one connection (:class:`~pyflymq.connection.Connection`) to one server of its list and
shares it between threads, one request at a time. Every method is a single FlyMQ operation (or a few, where
the server has no direct op: :meth:`FlyMQClient.watermarks`, :meth:`FlyMQClient.partitions`); the wire
layouts live in :mod:`pyflymq.wire` and the quirks they account for in ``flymq-wire.md``.
"""

from __future__ import annotations

import base64
import json
import struct
import threading
import time
import uuid
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from . import wire
from .connection import Connection, ConnectionLostError, ServerList, format_address, parse_servers
from .errors import (
    AuthDisabledWarning,
    AuthenticationError,
    AuthError,
    AuthNotEnabledError,
    DLQError,
    FlyMQConnectionError,
    FlyMQError,
    FlyMQTimeoutError,
    NodeChangedError,
    NotLeaderError,
    OffsetOutOfRangeError,
    ProtocolError,
    SchemaError,
    ServerError,
    TLSConfigurationError,
    TopicNotFoundError,
    TransactionError,
    error_from_server,
)
from .models import (
    AuthResult,
    ClusterMetadata,
    DLQEntry,
    FetchResult,
    GroupInfo,
    Lag,
    Message,
    RecordMetadata,
    SchemaInfo,
    SubscribeMode,
)
from .tls import TLSSettings, explain_plain_to_tls, make_ssl_context
from .wire import Op

if TYPE_CHECKING:
    from .consumer import HighLevelConsumer

__all__ = ["INTERNAL_TOPIC_PREFIX", "FlyMQClient", "NodeInfo", "Transaction", "connect"]

INTERNAL_TOPIC_PREFIX = "__flymq_members."
"""Pseudo-topics whose committed offsets hold the consumers' group coordination (never real topics);
:meth:`FlyMQClient.list_groups` leaves their entries out unless asked."""

# Requests that change something on the server: when one of them times out or its connection breaks after it
# went out, the caller is told that the server may or may not have applied it.
_WRITE_OPS = frozenset({
    Op.PRODUCE, Op.PRODUCE_WITH_SCHEMA, Op.PRODUCE_DELAYED, Op.PRODUCE_WITH_TTL, Op.TXN_BEGIN, Op.TXN_COMMIT,
    Op.TXN_ABORT, Op.TXN_PRODUCE, Op.COMMIT, Op.RESET_OFFSET, Op.CREATE_TOPIC, Op.DELETE_TOPIC, Op.DELETE_GROUP,
    Op.REPLAY_DLQ, Op.PURGE_DLQ, Op.REGISTER_SCHEMA, Op.DELETE_SCHEMA,
})
_I32_MAX = 2**31 - 1
_U32_MAX = 2**32 - 1
_I64_MAX = 2**63 - 1
_U64_MAX = 2**64 - 1
Payload = bytes | bytearray | memoryview | str
"""A record value or key as given: bytes-like, or str (sent UTF-8 encoded)."""
_ConnectionErrorT = TypeVar("_ConnectionErrorT", bound=FlyMQConnectionError)


class _ClientSettings(TypedDict):
    """The keyword settings of a :class:`FlyMQClient`, kept to build another client like it."""

    username: str | None
    password: str | None
    tls: bool
    tls_ca_file: str | None
    tls_cert_file: str | None
    tls_key_file: str | None
    tls_server_name: str | None
    tls_insecure_skip_verify: bool
    timeout_ms: int
    retries: int
    connect_timeout_ms: int | None
    require_auth: bool
    on_node_change: str


_PROBE_TOPIC_PREFIX = "__pyflymq_auth_probe."

_ERROR = Op.ERROR
_FETCH = Op.FETCH
_decode_fetch = wire.decode_fetch_response
_pack_fetch_position = wire.pack_fetch_position
_NO_FILTER = wire.NO_FILTER
_TOPIC_CACHE_MAX = 4096
_BACKOFF_S = 0.05
_BACKOFF_MAX_S = 0.5
DLQ_SUFFIX = ".dlq"
_PLACEMENT_RETRIES = 16      # unkeyed PRODUCEs re-sent to the same node after "not partition leader"
_LEADER_BACKOFF_S = 0.05     # first pause after "no leader elected"; doubles up to the next value
_LEADER_BACKOFF_MAX_S = 1.0
_VISIBLE_POLL_S = 0.005      # first pause while waiting for a topic change to reach this node; doubles
_VISIBLE_POLL_MAX_S = 0.1
_STANDALONE = "standalone"   # CLUSTER_METADATA's cluster_id on a server that is not part of a cluster
# Ops that may go out after a node change without first telling the caller: topic metadata is the same on
# every node of a cluster (flymq-wire §7), and the login ops concern the connection only.
_NODE_NEUTRAL_OPS = frozenset({Op.LIST_TOPICS, Op.CREATE_TOPIC, Op.DELETE_TOPIC, Op.WHOAMI, Op.AUTH})


def _to_bytes(value: object, what: str = "value") -> bytes:
    """Accept bytes-like or str (UTF-8); ``None`` is an empty value."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if value is None:
        return b""
    raise TypeError(f"{what} must be bytes or str, not {type(value).__name__}")


def _check_int(name: str, value: object, low: int, high: int) -> int:
    """``value`` if it is an int in ``[low, high]``; else ValueError, before anything is sent."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an int from {low} to {high}, not {value!r}; nothing was sent")
    return value


def _check_partition(partition: int) -> int:
    # A negative partition crashes the upstream FlyMQ server (flymq-wire §3.10): refuse it here.
    return _check_int("partition", partition, 0, _I32_MAX)


def _check_offset(offset: int) -> int:
    return _check_int("offset", offset, 0, _U64_MAX)


def _check_count(name: str, value: int) -> int:
    return _check_int(name, value, 0, _I32_MAX)


def _op_name(op: int) -> str:
    return Op(op).name if op in Op._value2member_map_ else f"op 0x{op:02x}"


def _mode_name(mode: object) -> str:
    return mode.value if isinstance(mode, SubscribeMode) else str(mode)


def _rfc3339_now() -> str:
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class NodeInfo:
    """The FlyMQ node a client is talking to: ``address`` (``host:port`` connected) and ``node_id`` (the
    ``cluster_id`` its CLUSTER_METADATA answers: the node's own id in a cluster, ``"standalone"`` on a single
    server; None when the server does not answer that op)."""

    address: str
    node_id: str | None

    @property
    def in_cluster(self) -> bool:
        """True when this node answered as a member of a cluster (a node id other than ``standalone``)."""
        return self.node_id not in (None, _STANDALONE)

    def __str__(self) -> str:
        return f"{self.node_id or 'unknown node'} at {self.address}"


def _same_node(previous: NodeInfo, current: NodeInfo) -> bool:
    """Whether moving from ``previous`` to ``current`` keeps the same data. Failing over between servers
    that are not cluster nodes stays silent, as it always was; a cluster node is only the same as itself."""
    return not previous.in_cluster or previous.node_id == current.node_id


def connect(servers: ServerList = "localhost:9092", *, username: str | None = None,
            password: str | None = None,
            tls: bool = False, tls_ca_file: str | None = None, tls_cert_file: str | None = None,
            tls_key_file: str | None = None, tls_server_name: str | None = None,
            tls_insecure_skip_verify: bool = False, timeout_ms: int = 10_000, retries: int = 3,
            connect_timeout_ms: int | None = None, require_auth: bool = False,
            on_node_change: str = "raise") -> FlyMQClient:
    """Connect to FlyMQ and return an open :class:`FlyMQClient` (same arguments as the class).

    Time limits: ``timeout_ms`` (10 s) bounds each request as a whole, sending it and reading all of its
    reply, however slowly the server trickles it. ``connect_timeout_ms`` bounds the whole of connecting: every
    server of the list, every one of the ``retries`` rounds, the TCP connect, TLS handshake, auth probe and
    login together. Its default is ``timeout_ms``, so 10 s: a reachable FlyMQ answers in milliseconds, so the
    budget is only used up by a server that accepts and then hangs, a black-holed address or a stalled TLS
    terminator, and a caller (or a person at a terminal) should hear about that in the same time they would
    wait for any one request, not in ``retries`` × servers × ``timeout_ms`` (30 s and more before). The budget
    is shared out so that a hanging first server leaves time for the next ones in the list.

    Credentials: when ``username`` is given, the server is first asked, without logging in, whether it has
    authentication on (flymq-wire §2.18). AUTH is sent only when it does: FlyMQ 1.26 crashes on AUTH when its
    authentication is off (its default). Then the client connects without logging in, sets
    :attr:`FlyMQClient.auth_warning` and issues an :class:`~pyflymq.errors.AuthDisabledWarning`; with
    ``require_auth=True`` it refuses instead with :class:`~pyflymq.errors.AuthNotEnabledError`.
    """
    return FlyMQClient(servers, username=username, password=password, tls=tls, tls_ca_file=tls_ca_file,
                       tls_cert_file=tls_cert_file, tls_key_file=tls_key_file, tls_server_name=tls_server_name,
                       tls_insecure_skip_verify=tls_insecure_skip_verify, timeout_ms=timeout_ms, retries=retries,
                       connect_timeout_ms=connect_timeout_ms, require_auth=require_auth,
                       on_node_change=on_node_change)


class FlyMQClient:
    """A connection to a FlyMQ server (or a list of them), safe to share between threads.

    ``servers`` is ``"host:port"``, ``"h1:9092,h2:9092"``, ``"[::1]:9092"`` or a list of such; the port
    defaults to 9092. The constructor connects at once, so an unreachable server, a port that does not speak
    FlyMQ, or a rejected login raises here (:class:`FlyMQConnectionError`, :class:`ProtocolError`,
    :class:`AuthenticationError`). To prove the peer speaks FlyMQ, opening a connection costs one round trip
    (a WHOAMI), two with ``username`` (an auth probe, then the AUTH login only if the server has auth on; see
    :func:`connect` and :attr:`auth_warning`).

    Connecting tries the servers in order, ``retries`` rounds with a short backoff, within a total budget of
    ``connect_timeout_ms`` (default: ``timeout_ms``), and fails with one error naming every address tried and
    why. ``timeout_ms`` bounds every request as a whole (see :func:`connect` for both limits and why).

    Failure handling, like Kafka clients:

    * A broken connection is replaced transparently on the next call, failing over to the next server.
    * Operations that are safe to repeat (every read, plus ``commit_offset``, ``create_topic``, offset resets
      to an explicit offset, ``authenticate``) are retried once on a fresh connection when the connection
      breaks under them.
    * Writes (``produce`` and friends, transactions, deletes, DLQ replay) are **not** blindly retried: when the
      connection breaks after the request went out, the server may or may not have applied it, and the call
      raises :class:`FlyMQConnectionError` saying so. A write is only resent when it provably never left
      (the connection was found closed before sending).
    * A timeout raises :class:`FlyMQTimeoutError` and is not retried. On a write (produce and friends, commit,
      resets, deletes, DLQ replay/purge, transactions) whose request had gone out, the error's
      ``outcome_unknown`` is True and its message says the server may or may not have applied it, as for a
      connection lost mid-write.

    One connection carries every request, one at a time (FlyMQ answers strictly in order); threads sharing a
    client take turns on it.

    TLS: ``tls=True`` (or any of ``tls_ca_file``/``tls_cert_file``) wraps the connection with the standard
    :mod:`ssl` module; ``tls_ca_file`` verifies the server, ``tls_cert_file``/``tls_key_file`` present a client
    certificate (mutual TLS), ``tls_server_name`` overrides the name checked against the certificate. TLS
    mistakes (plain client on a TLS port and the reverse, a certificate for another name or from an unknown
    CA, a missing client certificate) raise :class:`~pyflymq.errors.TLSConfigurationError` naming the address
    and what to check.

    Input that FlyMQ 1.26 crashes on (negative partitions, negative counts, flymq-wire §3.10) and numbers that
    do not fit their wire field are refused with :class:`ValueError` before anything is sent.

    Clusters (flymq-wire §7: each node has its own log; only topic metadata is shared): data traffic stays on
    one node, :attr:`node`. When a reconnect lands on another node of the cluster, the next data call raises
    :class:`~pyflymq.errors.NodeChangedError` once (and is not carried out), then calls work on the new node;
    ``on_node_change="follow"`` moves without telling. ``create_topic``/``delete_topic`` go to the Raft leader
    the server names (on a connection of their own, so data traffic stays put), back off while no leader is
    elected, and return once the change is visible on :attr:`node`. A PRODUCE refused with ``not partition
    leader`` is re-sent to the same node when it has no key (the node's round-robin picks the next partition);
    with a key it raises :class:`~pyflymq.errors.NotLeaderError` with the server's words. The Raft address in
    that answer is never connected to.

    Use it as a context manager, or call :meth:`close` (idempotent).
    """

    def __init__(self, servers: ServerList = "localhost:9092", *, username: str | None = None,
                 password: str | None = None,
                 tls: bool = False, tls_ca_file: str | None = None, tls_cert_file: str | None = None,
                 tls_key_file: str | None = None, tls_server_name: str | None = None,
                 tls_insecure_skip_verify: bool = False, timeout_ms: int = 10_000, retries: int = 3,
                 connect_timeout_ms: int | None = None, require_auth: bool = False,
                 on_node_change: str = "raise", _home: NodeInfo | None = None):
        if on_node_change not in ("raise", "follow"):
            raise ValueError(f"on_node_change must be 'raise' or 'follow', not {on_node_change!r}")
        self._on_node_change = on_node_change
        self._home = _home  # the node whose data the caller has seen (None: not known yet)
        self._pending_change: NodeChangedError | None = None
        self._servers = parse_servers(servers)
        self._credentials = (username, password or "") if username else None
        self._require_auth = bool(require_auth)
        self._timeout = max(timeout_ms, 1) / 1000.0
        budget_ms = timeout_ms if connect_timeout_ms is None else connect_timeout_ms
        self._connect_budget = max(budget_ms, 1) / 1000.0
        self._attempts = max(1, int(retries))
        self._ssl_context = None
        self._tls_settings = TLSSettings(tls_ca_file, tls_cert_file, tls_key_file, tls_server_name,
                                         tls_insecure_skip_verify)
        self._server_name = tls_server_name
        if tls or tls_ca_file or tls_cert_file:
            self._ssl_context = make_ssl_context(ca_file=tls_ca_file, cert_file=tls_cert_file,
                                                 key_file=tls_key_file,
                                                 insecure_skip_verify=tls_insecure_skip_verify)
        self._settings: _ClientSettings = {
            "username": username, "password": password, "tls": tls, "tls_ca_file": tls_ca_file,
            "tls_cert_file": tls_cert_file, "tls_key_file": tls_key_file, "tls_server_name": tls_server_name,
            "tls_insecure_skip_verify": tls_insecure_skip_verify, "timeout_ms": timeout_ms, "retries": retries,
            "connect_timeout_ms": connect_timeout_ms, "require_auth": require_auth,
            "on_node_change": on_node_change,
        }
        self.auth_warning: str | None = None
        """A plain sentence when credentials were given but not used (the server has authentication off),
        else None."""
        self._topic_heads: dict[str, bytes] = {}  # topic -> its str16 encoding, for fetch
        self._conn: Connection | None = None
        self._node: tuple[Connection, NodeInfo] | None = None
        self._current = 0  # index in self._servers of the server last connected to
        self._connect_lock = threading.Lock()
        self._closed = False
        self._get_connection()

    # ------------------------------------------------------------------------------------ lifecycle

    @property
    def servers(self) -> list[str]:
        """The configured server addresses, as ``host:port`` strings."""
        return [format_address(host, port) for host, port in self._servers]

    @property
    def address(self) -> str | None:
        """``host:port`` of the server currently connected to, or ``None`` when not connected."""
        conn = self._conn
        return conn.address if conn is not None and not conn.closed else None

    @property
    def connected(self) -> bool:
        """True while a connection is open (it may still turn out broken on the next call)."""
        conn = self._conn
        return conn is not None and not conn.closed

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._closed

    @property
    def node(self) -> NodeInfo:
        """The node actually in use: its address and node id (see :class:`NodeInfo`).

        Read lazily with one CLUSTER_METADATA the first time it is asked for on a connection, and again after
        a reconnect (which may have moved to another server of the list). Connects if not connected.
        """
        conn = self._get_connection()
        cached = self._node
        if cached is not None and cached[0] is conn:
            return cached[1]
        try:
            return self._identify(conn)
        except ConnectionLostError as exc:
            raise FlyMQConnectionError(str(exc)) from exc

    def _identify(self, conn: Connection) -> NodeInfo:
        """Ask ``conn``'s server who it is (one CLUSTER_METADATA) and remember it for :attr:`node`."""
        try:
            meta = wire.decode_cluster_metadata_response(self._roundtrip(conn, Op.CLUSTER_METADATA, b""))
            node_id = meta.cluster_id or None
        except ServerError:
            node_id = None
        info = NodeInfo(conn.address, node_id)
        self._node = (conn, info)
        return info

    def _note_node(self, conn: Connection) -> None:
        """After opening ``conn``: learn which node it reaches (only when the client could be on more than
        one) and, when that is another cluster node than the one the caller's data came from, keep the
        :class:`NodeChangedError` for the next data call (unless the client follows node changes)."""
        home = self._home
        if home is None and len(self._servers) < 2:
            return  # a single server: there is nowhere else to go
        try:
            info = self._identify(conn)
        except ConnectionLostError as exc:
            conn.close()
            raise FlyMQConnectionError(str(exc)) from exc
        except FlyMQError:
            conn.close()
            raise
        self._home = info
        if home is None or _same_node(home, info) or self._on_node_change == "follow":
            return
        self._pending_change = NodeChangedError(
            f"the data now comes from node {info} instead of node {home}, which is unreachable; FlyMQ does not "
            "replicate records or committed offsets, so this node holds a different log under the same "
            "offsets. This call was not carried out; the next one works on the new node (connect with "
            "on_node_change='follow' to move without this error).", previous=home, current=info)

    def _raise_node_change(self) -> None:
        """Raise the pending :class:`NodeChangedError`, once."""
        with self._connect_lock:
            error, self._pending_change = self._pending_change, None
        if error is not None:
            raise error

    def _membership_holds(self, conn: Connection | None) -> bool:
        """True while ``conn`` (the connection a group membership was taken on) is still this client's open
        connection and the server has not closed it."""
        return conn is not None and conn is self._conn and conn.idle_and_open()

    def _clone(self) -> FlyMQClient:
        """A new client with the same servers and settings, on a connection of its own (consumers hold
        their group memberships on such connections)."""
        settings = self._settings.copy()
        if self._credentials is not None:
            settings["username"], settings["password"] = self._credentials
        servers = self.servers
        servers = servers[self._current:] + servers[:self._current]  # the node this client uses comes first
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AuthDisabledWarning)  # this client's own warning already said it
            # pinned to this client's node: landing anywhere else is a node change for the clone too
            return FlyMQClient(servers, **settings, _home=self._home)

    def close(self) -> None:
        """Close the connection. Idempotent; later calls raise :class:`FlyMQConnectionError`."""
        with self._connect_lock:
            self._closed = True
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def __enter__(self) -> FlyMQClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else (self.address or "disconnected")
        return f"<FlyMQClient {','.join(self.servers)} ({state})>"

    # ---------------------------------------------------------------------------------- connecting

    def _get_connection(self, failed: Connection | None = None) -> Connection:
        """The open connection, or a new one (replacing ``failed``) after trying every server."""
        with self._connect_lock:
            if self._closed:
                raise FlyMQConnectionError("the client is closed")
            conn = self._conn
            if conn is not None and conn is not failed and not conn.closed:
                return conn
            if conn is not None:
                conn.close()
                self._conn = None
            conn = self._open_any()
            self._note_node(conn)
            self._conn = conn
            return conn

    def _open_any(self) -> Connection:
        failures: list[tuple[str, FlyMQError]] = []
        count = len(self._servers)
        deadline = time.monotonic() + self._connect_budget
        for attempt in range(self._attempts):
            if attempt:
                pause = min(_BACKOFF_S * 2 ** (attempt - 1), _BACKOFF_MAX_S, deadline - time.monotonic())
                if pause > 0:
                    time.sleep(pause)
            for step in range(count):
                index = (self._current + step) % count
                now = time.monotonic()
                if now >= deadline:
                    break
                # share what is left of the budget among the servers still to try in this round, so that one
                # server that accepts and then hangs cannot use up the time of the others
                share = (deadline - now) / (count - step)
                try:
                    conn = self._open(*self._servers[index], now + share)
                except ServerError:
                    raise  # the server speaks FlyMQ and refused us (e.g. the login): not a reachability problem
                except TLSConfigurationError:
                    raise  # a set-up mistake: trying again or elsewhere will not help
                except FlyMQError as exc:
                    failures.append((format_address(*self._servers[index]), exc))
                    continue
                self._current = index
                return conn
            if time.monotonic() >= deadline:
                break
            if failures and all(isinstance(exc, ProtocolError) for _, exc in failures[-count:]):
                break  # every server answered, none speaks FlyMQ: retrying will not help
        raise self._connect_failure(failures)

    def _connect_failure(self, failures: list[tuple[str, FlyMQError]]) -> FlyMQError:
        if not failures:
            return FlyMQTimeoutError(f"could not connect to FlyMQ within the connect budget of "
                                     f"{self._connect_budget:g}s ({', '.join(self.servers)})")
        reasons: dict[str, str] = {}
        for address, exc in failures:  # keep the latest reason per address, in the order first tried
            reasons[address] = str(exc).removeprefix(f"{address}: ").removeprefix(f"{address} ")
        tried = "; ".join(f"{address}: {reason}" for address, reason in reasons.items())
        rounds = f"{self._attempts} attempt{'s' if self._attempts > 1 else ''}"
        errors = [exc for _, exc in failures]
        protocol = next((exc for exc in errors if isinstance(exc, ProtocolError)), None)
        if protocol is not None:
            return type(protocol)(f"no FlyMQ server found ({tried})")
        if all(isinstance(e, FlyMQTimeoutError) for e in errors):
            return FlyMQTimeoutError(f"could not connect to FlyMQ within the connect budget of "
                                     f"{self._connect_budget:g}s ({tried})")
        return FlyMQConnectionError(f"could not connect to FlyMQ after {rounds} ({tried})")

    def _open(self, host: str, port: int, deadline: float) -> Connection:
        conn = Connection(host, port, timeout=self._timeout, ssl_context=self._ssl_context,
                          server_hostname=self._server_name, tls_settings=self._tls_settings, deadline=deadline)
        try:
            if self._credentials is not None:
                self._login(conn, *self._credentials, deadline=deadline)
            else:
                self._probe(conn, deadline)
        except (ConnectionLostError, ProtocolError) as exc:
            conn.close()
            explained = None if conn.tls else explain_plain_to_tls(conn.address, host, port, deadline)
            if explained is not None:
                raise explained from exc
            if isinstance(exc, ProtocolError):
                raise
            raise FlyMQConnectionError(str(exc)) from exc
        except FlyMQError:
            conn.close()
            raise
        return conn

    def _probe(self, conn: Connection, deadline: float) -> None:
        """One WHOAMI round trip: any well-formed reply, even an error frame, proves the peer speaks FlyMQ."""
        try:
            self._roundtrip(conn, Op.WHOAMI, b"", deadline=deadline)
        except ServerError:
            pass

    def _auth_state(self, conn: Connection, deadline: float | None = None) -> tuple[bool | None, str]:
        """Whether ``conn``'s server has authentication on, found without AUTH (flymq-wire §2.18): an
        anonymous FETCH of a topic that does not exist answers ``authentication required`` when auth is on and
        ``topic not found`` when it is off. Returns ``(True/False, "")``, or ``(None, what it answered)`` when
        the answer tells neither. The probe reads nothing and creates nothing."""
        topic = _PROBE_TOPIC_PREFIX + uuid.uuid4().hex[:12]
        payload = wire.encode_fetch_request(topic, 0, 0, 1)
        try:
            self._roundtrip(conn, Op.FETCH, payload, deadline=deadline)
        except AuthError:
            return True, ""
        except TopicNotFoundError:
            return False, ""
        except ServerError as exc:
            return None, str(exc)
        return False, ""  # served without a login: nothing to log in for

    def _login(self, conn: Connection, username: str, password: str,
               deadline: float | None = None) -> AuthResult | None:
        """Log ``conn`` in, but only when its server has authentication on; otherwise note why not (or refuse,
        with ``require_auth``) and return None. A rejected login raises :class:`AuthenticationError`."""
        enabled, answer = self._auth_state(conn, deadline)
        if enabled:
            result = self._auth_on(conn, username, password, deadline)
            if not result.success:
                raise AuthenticationError(result.error or "authentication failed", op=Op.AUTH)
            return result
        if enabled is None:
            why = (f"could not tell whether {conn.address} has authentication on (it answered {answer!r} to a "
                   "probe), so the login was not sent")
        else:
            why = f"{conn.address} has authentication turned off, so the login as {username!r} was not sent"
        if self._require_auth:
            raise AuthNotEnabledError(f"{why}; refusing to connect because require_auth=True", op=Op.AUTH)
        warning = (f"{why} (FlyMQ 1.26 crashes on a login it does not expect); connected without logging in, "
                   "so anyone who can reach this server can do what this client does.")
        if warning != self.auth_warning:
            self.auth_warning = warning
            warnings.warn(warning, AuthDisabledWarning, stacklevel=4)
        return None

    def _auth_on(self, conn: Connection, username: str, password: str, deadline: float | None = None) -> AuthResult:
        payload = wire.encode_auth_request(username, password)
        return wire.decode_auth_response(self._roundtrip(conn, Op.AUTH, payload, deadline=deadline))

    # ------------------------------------------------------------------------------------ requests

    @staticmethod
    def _roundtrip(conn: Connection, op: int, payload: bytes, check_alive: bool = False,
                   deadline: float | None = None) -> bytes:
        reply_op, flags, body = conn.request(op, payload, check_alive=check_alive, deadline=deadline)
        if reply_op == op or (reply_op == Op.AUTH_RESPONSE and op == Op.AUTH):
            return body
        if reply_op == _ERROR:
            err = wire.decode_error(body, flags)
            raise error_from_server(err.text, shape=err.shape, code=err.code, op=op)
        conn.close()
        raise ProtocolError(f"{conn.address} answered op 0x{reply_op:02x} to a request with op 0x{op:02x}")

    def _call(self, op: int, payload: bytes, *, idempotent: bool = False, node_neutral: bool = False) -> bytes:
        """Send one request and return the reply payload; error frames raise the mapped error.

        ``idempotent`` says the request is safe to repeat (a read, or a write whose repetition changes
        nothing): it is then retried once on a new connection even when it may have reached the server.
        Other requests are only sent on a connection checked to be alive, and never repeated once sent. The request, and its one retry after a broken connection, must finish within ``timeout_ms`` of the
        start of this call (reconnecting in between is bounded by the connect budget). After a move to another
        cluster node the call raises the pending :class:`NodeChangedError` instead, unless ``op`` (or
        ``node_neutral``) says it does not read or write the node's own data."""
        neutral = node_neutral or op in _NODE_NEUTRAL_OPS
        deadline = time.monotonic() + self._timeout
        conn = self._conn
        if conn is None or conn._closed:
            conn = self._get_connection(conn)
        if self._pending_change is not None and not neutral:
            self._raise_node_change()
        try:
            return self._roundtrip(conn, op, payload, check_alive=not idempotent, deadline=deadline)
        except ConnectionLostError as exc:
            if exc.request_sent and not idempotent:
                raise self._unknown_outcome(
                    FlyMQConnectionError, f"{exc}; {_op_name(op)} was not retried because it is not safe to "
                    "repeat: the server may or may not have applied it (the next call reconnects)") from exc
            first = exc
            conn = self._get_connection(conn)
            if self._pending_change is not None and not neutral:
                self._raise_node_change()  # never repeat a read on another node's log
        except FlyMQTimeoutError as exc:
            error = self._timed_out(op, exc)
            if error is exc:
                raise
            raise error from exc
        try:
            return self._roundtrip(conn, op, payload, check_alive=not idempotent, deadline=deadline)
        except ConnectionLostError as exc:
            message = f"{exc} (after reconnecting once)"
            if op in _WRITE_OPS and (exc.request_sent or first.request_sent):
                raise self._unknown_outcome(FlyMQConnectionError, message + f"; the server may or may not have "
                                            f"applied the {_op_name(op)}") from exc
            raise FlyMQConnectionError(message) from exc
        except FlyMQTimeoutError as exc:
            error = self._timed_out(op, exc, first.request_sent)
            if error is exc:
                raise
            raise error from exc

    @staticmethod
    def _unknown_outcome(cls: type[_ConnectionErrorT], message: str) -> _ConnectionErrorT:
        error = cls(message)
        error.outcome_unknown = True
        return error

    def _timed_out(self, op: int, exc: FlyMQTimeoutError, sent_before: bool = False) -> FlyMQTimeoutError:
        """The timeout to raise for ``op``: for a write that went out, it says the outcome is unknown."""
        if op in _WRITE_OPS and (exc.request_sent or sent_before):
            error = self._unknown_outcome(
                FlyMQTimeoutError, f"{exc}: the {_op_name(op)} timed out after it was sent, so the server may or "
                "may not have applied it; read back before writing it again")
            error.request_sent = True
            return error
        return exc

    # -------------------------------------------------------------------------------- produce/read

    def produce(self, topic: str, value: Payload, *, key: Payload | None = None,
                partition: int | None = None) -> RecordMetadata:
        """Write one record and return where it went.

        ``value`` and ``key`` are bytes or str (UTF-8 encoded). FlyMQ chooses the partition itself (by a hash
        of the key, or round-robin without one) and ignores ``partition``, which is accepted for Kafka
        compatibility and sent as given; the returned metadata names the partition actually written.
        Producing to a missing topic creates it (1 partition on a standalone server, 6 on a cluster's Raft
        leader; a cluster follower refuses with :class:`~pyflymq.errors.NotLeaderError`). On a cluster node
        that does not lead the partition it picks, an unkeyed record is re-sent to the same node (at most
        16 times) and a keyed one raises :class:`~pyflymq.errors.NotLeaderError` with the server's words.

        When this raises a :class:`FlyMQConnectionError` with ``outcome_unknown`` (a timeout or a lost
        connection after the request went out), the record may or may not have been written: see the README's
        pyflymq section for producing idempotently.
        """
        partition = -1 if partition is None else _check_int("partition", partition, -1, _I32_MAX)
        raw_key = _to_bytes(key, "key") or None
        payload = wire.encode_produce_request(topic, _to_bytes(value), raw_key, partition)
        for attempt in range(_PLACEMENT_RETRIES + 1):
            try:
                return wire.decode_record_metadata(self._call(Op.PRODUCE, payload))
            except NotLeaderError as exc:
                # A cluster node refused the partition it picked itself (flymq-wire §7.2). Nothing was written.
                # Without a key its round-robin picks another partition next time; a keyed record can only go
                # to the one partition, and the address named is a Raft port, never to be followed.
                if raw_key is not None or not exc.partition_leader or attempt == _PLACEMENT_RETRIES:
                    raise
        raise AssertionError("unreachable")

    def consume(self, topic: str, offset: int, partition: int = 0) -> Message:
        """Read the one record at ``offset`` of ``topic``/``partition``.

        Raises :class:`OffsetOutOfRangeError` when there is no record there (past the end, or below the
        retained range), :class:`TopicNotFoundError` or :class:`PartitionNotFoundError` otherwise.
        """
        payload = wire.encode_consume_request(topic, _check_partition(partition), _check_offset(offset))
        try:
            key, value = wire.decode_consume_response(self._call(Op.CONSUME, payload, idempotent=True))
        except OffsetOutOfRangeError as exc:
            raise OffsetOutOfRangeError(f"no record at offset {offset} of {topic!r} partition {partition} "
                                        f"(server: {exc.server_text})", topic=topic, partition=partition,
                                        offset=offset, server_text=exc.server_text) from None
        return Message(topic, partition, offset, key, value)

    def fetch(self, topic: str, partition: int = 0, offset: int = 0, max_messages: int = 100,
              filter: str | None = None) -> FetchResult:
        """Read up to ``max_messages`` records from ``offset`` on; ``result.next_offset`` is where to go on.

        ``filter`` is applied by the server: a ``$.a.b`` JSON path that must exist, else a case-insensitive
        substring or an RE2 regular expression matched against key or value. The server scans at most 1000
        records per call, so a filtered fetch may return nothing yet advance ``next_offset``. At the end of
        the log the result is empty and ``next_offset == offset``; that is not an error. ``max_messages`` 0
        means the server's default, 10; negative numbers are refused.
        """
        try:
            in_range = 0 <= partition <= _I32_MAX and 0 <= offset <= _U64_MAX and 0 <= max_messages <= _I32_MAX
            numbers = _pack_fetch_position(partition, offset, max_messages) if in_range else None
        except (TypeError, struct.error):
            numbers = None
        if numbers is None:
            _check_partition(partition)
            _check_offset(offset)
            _check_count("max_messages", max_messages)
            assert numbers is not None  # unreachable: a value the fast pack refused fails a check above
        head = self._topic_heads.get(topic)
        if head is None:
            head = self._topic_head(topic)
        # The same bytes as wire.encode_fetch_request, built from a cached topic prefix: this is the hot path.
        tail = wire.str16(filter) if filter else _NO_FILTER
        payload = head + numbers + tail
        body = self._call(_FETCH, payload, idempotent=True)
        return _decode_fetch(body, topic, partition)

    def _topic_head(self, topic: str) -> bytes:
        if len(self._topic_heads) >= _TOPIC_CACHE_MAX:
            self._topic_heads.clear()
        head = self._topic_heads[topic] = wire.str16(topic)
        return head

    def produce_delayed(self, topic: str, value: Payload, delay_ms: int) -> RecordMetadata:
        """Write a record to be delivered after ``delay_ms``.

        With delayed delivery disabled on the server (its default) the record is written at once. The reply
        always says partition 0; with delivery enabled, offset 0 (the record is not written yet).
        """
        delay = _check_int("delay_ms", int(delay_ms), 0, _I64_MAX)
        payload = wire.encode_timed_produce_request(topic, _to_bytes(value), delay)
        return wire.decode_record_metadata(self._call_unkeyed(Op.PRODUCE_DELAYED, payload))

    def produce_with_ttl(self, topic: str, value: Payload, ttl_ms: int) -> RecordMetadata:
        """Write a record with a time-to-live. FlyMQ records the TTL but expires nothing (flymq-wire §2.15)."""
        ttl = _check_int("ttl_ms", int(ttl_ms), 0, _I64_MAX)
        payload = wire.encode_timed_produce_request(topic, _to_bytes(value), ttl)
        return wire.decode_record_metadata(self._call_unkeyed(Op.PRODUCE_WITH_TTL, payload))

    def _call_unkeyed(self, op: int, payload: bytes) -> bytes:
        """A keyless write (delayed, TTL, schema, transactional), re-sent to the same node while a cluster
        node refuses the partition its round-robin picked: nothing was written, and the next try gets the
        next partition (flymq-wire §7.2). The address in the refusal is a Raft port, never followed."""
        for attempt in range(_PLACEMENT_RETRIES + 1):
            try:
                return self._call(op, payload)
            except NotLeaderError as exc:
                if not exc.partition_leader or attempt == _PLACEMENT_RETRIES:
                    raise
        raise AssertionError("unreachable")

    # -------------------------------------------------------------------------------------- topics

    def create_topic(self, topic: str, partitions: int = 1) -> None:
        """Create ``topic`` with ``partitions`` partitions. Creating an existing topic succeeds and changes
        nothing (its partition count stays)."""
        _check_count("partitions", partitions)  # a negative count crashes FlyMQ 1.26 (flymq-wire §3.10)
        self._change_topic(Op.CREATE_TOPIC, wire.encode_create_topic_request(topic, partitions), topic, True)

    def delete_topic(self, topic: str) -> None:
        """Delete ``topic`` and all its records; deleting a missing topic succeeds. Committed offsets of
        consumer groups on it are kept by the server. On a cluster it goes to the Raft leader, as
        :meth:`create_topic` does, and returns once the topic is gone from :attr:`node`."""
        self._change_topic(Op.DELETE_TOPIC, wire.encode_topic_request(topic), topic, False)

    def _change_topic(self, op: int, payload: bytes, topic: str, create: bool) -> None:
        """Send a topic change to the Raft leader and wait until this client's node shows it.

        On ``not leader: … leader_addr=H:P`` the change is sent to H:P on a connection of its own (the
        client's own connection, and so its data, stays where it is). With no address, ``no leader elected``,
        or a named leader that cannot be reached, it backs off (doubling, up to 1 s) and tries the servers of
        the list in turn. All within ``timeout_ms``; then the last answer is raised."""
        deadline = time.monotonic() + self._timeout
        target: str | None = None  # None: this client's own connection
        pause = _LEADER_BACKOFF_S
        next_server = 0
        while True:
            try:
                if target is None or target == self.address:
                    self._call(op, payload, idempotent=create)
                else:
                    self._call_at(target, op, payload, deadline)
                break
            except NotLeaderError as exc:
                named = exc.leader_addr
                if named and not exc.no_leader and named != target:
                    target = named  # follow the leader the server named, straight away
                    continue
                error: FlyMQError = exc
            except FlyMQConnectionError as exc:
                if target is None:
                    raise  # this client's own node: reported like any other call
                error = exc  # the named leader is gone: an election is coming
            now = time.monotonic()
            if now + pause >= deadline:
                raise error
            time.sleep(pause)
            pause = min(pause * 2, _LEADER_BACKOFF_MAX_S)
            target = self.servers[next_server % len(self._servers)]
            next_server += 1
        if self.node.in_cluster:
            self._await_topic(topic, create, deadline)

    def _call_at(self, address: str, op: int, payload: bytes, deadline: float) -> bytes:
        """One request to another server (the cluster's leader) on a connection opened for it alone."""
        host, port = parse_servers(address)[0]
        conn = self._open(host, port, deadline)
        try:
            return self._roundtrip(conn, op, payload, deadline=deadline)
        finally:
            conn.close()

    def _await_topic(self, topic: str, present: bool, deadline: float) -> None:
        """Wait until ``topic`` exists (or is gone) on this client's node: a cluster's leader acknowledges a
        change before it is applied, and followers apply it up to ~200 ms later (flymq-wire §7.2)."""
        payload = wire.encode_topic_request(topic)
        pause = _VISIBLE_POLL_S
        while True:
            try:
                self._call(Op.CLUSTER_METADATA, payload, idempotent=True, node_neutral=True)
                found = True
            except TopicNotFoundError:
                found = False
            except ServerError:
                return  # this server cannot tell (e.g. it does not implement the op): nothing to wait for
            if found == present:
                return
            if time.monotonic() + pause >= deadline:
                raise FlyMQTimeoutError(
                    f"the cluster's leader accepted {'creating' if present else 'deleting'} {topic!r}, but node "
                    f"{self.node} still {'does not show' if present else 'shows'} it after {self._timeout:g}s; "
                    "a node that was down when it happened never learns it (flymq-wire §7.3)")
            time.sleep(pause)
            pause = min(pause * 2, _VISIBLE_POLL_MAX_S)

    def list_topics(self) -> list[str]:
        """Names of all topics, sorted; names starting with ``__`` are hidden by the server."""
        return wire.decode_list_topics_response(self._call(Op.LIST_TOPICS, b"", idempotent=True))

    def cluster_metadata(self, topic: str = "") -> ClusterMetadata:
        """Partition leadership for ``topic``, or for every topic when ``topic`` is empty.

        Raises :class:`TopicNotFoundError` for an unknown topic.
        """
        payload = wire.encode_topic_request(topic)
        return wire.decode_cluster_metadata_response(self._call(Op.CLUSTER_METADATA, payload, idempotent=True))

    def partitions(self, topic: str) -> int:
        """The number of partitions of ``topic`` (from CLUSTER_METADATA); unknown topic:
        :class:`TopicNotFoundError`."""
        if not topic:
            raise ValueError("topic must not be empty")
        for entry in self.cluster_metadata(topic).topics:
            if entry.topic == topic:
                return len(entry.partitions)
        raise TopicNotFoundError(f"topic not found: {topic}", op=Op.CLUSTER_METADATA)

    def watermarks(self, topic: str, partition: int = 0) -> tuple[int, int]:
        """``(low, high)`` of a partition: the first retained offset and the next offset to be written.

        ``high`` is exclusive, so ``high - low`` records are readable and an empty partition gives
        ``(low, low)``, i.e. ``(0, 0)``: the server's own answer for an empty partition (``latest = 1``,
        flymq-wire §2.4) is checked with a one-record FETCH. No consumer group is joined.
        """
        _check_partition(partition)
        low = self._position(topic, "", partition, "earliest")
        high = self._position(topic, "", partition, "latest")
        if high <= low + 1 and not self.fetch(topic, partition, low, 1).messages:
            return low, low
        return low, max(low, high)

    # ------------------------------------------------------------------------------ consumer groups

    def _position(self, topic: str, group_id: str, partition: int, mode: str) -> int:
        payload = wire.encode_subscribe_request(topic, group_id, partition, mode)
        return wire.decode_u64_response(self._call(Op.SUBSCRIBE, payload, idempotent=True))

    def subscribe(self, topic: str, group_id: str, partition: int = 0,
                  mode: SubscribeMode | str = SubscribeMode.COMMIT) -> int:
        """The offset a consumer of ``group_id`` should start reading ``partition`` at.

        ``COMMIT`` gives the group's committed offset, or the earliest when none; ``EARLIEST`` the first
        retained offset; ``LATEST`` the next offset to be written (1 on an empty partition: a FlyMQ quirk).
        Nothing is committed. With a non-empty ``group_id`` the server counts this connection as a group member.
        """
        return self._position(topic, group_id, _check_partition(partition), _mode_name(mode))

    def commit_offset(self, topic: str, group_id: str, partition: int, offset: int) -> None:
        """Store ``offset`` (the next offset to read, i.e. last processed + 1) for the group. The server
        validates nothing and creates the group if needed."""
        payload = wire.encode_commit_request(topic, group_id, _check_partition(partition), _check_offset(offset))
        self._call(Op.COMMIT, payload, idempotent=True)

    def get_committed_offset(self, topic: str, group_id: str, partition: int = 0) -> int:
        """The group's committed offset on ``partition``; 0 when the group exists but never committed there.
        Unknown (topic, group): :class:`GroupNotFoundError`."""
        payload = wire.encode_group_partition_request(topic, group_id, _check_partition(partition))
        return wire.decode_u64_response(self._call(Op.GET_OFFSET, payload, idempotent=True))

    def _committed_offsets(self, topic: str, group_id: str, partitions: list[int]) -> dict[int, int]:
        """GET_OFFSET for several partitions in one round trip (the requests are pipelined). Unknown
        (topic, group): :class:`GroupNotFoundError`; other error frames raise as :meth:`get_committed_offset`."""
        requests = [(Op.GET_OFFSET, wire.encode_group_partition_request(topic, group_id, _check_partition(p)))
                    for p in partitions]
        if not requests:
            return {}
        deadline = time.monotonic() + self._timeout
        for attempt in range(2):
            conn = self._get_connection()
            if self._pending_change is not None:
                self._raise_node_change()
            try:
                replies = conn.pipeline(requests, deadline)
                break
            except ConnectionLostError as exc:  # reads: safe to repeat once on a new connection
                if attempt:
                    raise FlyMQConnectionError(f"{exc} (after reconnecting once)") from exc
        found: dict[int, int] = {}
        for partition, (reply_op, flags, body) in zip(partitions, replies, strict=True):
            if reply_op == Op.GET_OFFSET:
                found[partition] = wire.decode_u64_response(body)
            elif reply_op == _ERROR:
                err = wire.decode_error(body, flags)
                raise error_from_server(err.text, shape=err.shape, code=err.code, op=Op.GET_OFFSET)
            else:
                conn.close()
                raise ProtocolError(f"{conn.address} answered op 0x{reply_op:02x} to GET_OFFSET")
        return found

    def reset_offset(self, topic: str, group_id: str, partition: int, to: str | int) -> None:
        """Set the group's committed offset to ``"earliest"``, ``"latest"`` or an explicit int offset.

        ``"latest"`` stores the server's next-offset, which is 1 on an empty partition (a FlyMQ quirk).
        The group is created if needed.
        """
        _check_partition(partition)
        if isinstance(to, int) and not isinstance(to, bool):
            payload = wire.encode_reset_offset_request(topic, group_id, partition, "offset", _check_offset(to))
            self._call(Op.RESET_OFFSET, payload, idempotent=True)
            return
        mode = _mode_name(to)
        if mode not in ("earliest", "latest"):
            raise ValueError(f"reset target must be 'earliest', 'latest' or an offset, not {to!r}")
        self._call(Op.RESET_OFFSET, wire.encode_reset_offset_request(topic, group_id, partition, mode))

    def list_groups(self, *, include_internal: bool = False) -> list[GroupInfo]:
        """Every (topic, consumer group) the server knows, with member counts and committed offsets.

        The entries pyflymq's consumers write for their own coordination (pseudo-topics starting with
        ``__flymq_members.``, see :mod:`pyflymq.consumer`) are left out unless ``include_internal``.
        """
        groups = wire.decode_list_groups_response(self._call(Op.LIST_GROUPS, b"", idempotent=True))
        if include_internal:
            return groups
        return [group for group in groups if not group.topic.startswith(INTERNAL_TOPIC_PREFIX)]

    def describe_group(self, topic: str, group_id: str) -> GroupInfo:
        """One group's member count and committed offsets; unknown group: :class:`GroupNotFoundError`."""
        payload = wire.encode_group_request(topic, group_id)
        return wire.decode_describe_group_response(self._call(Op.DESCRIBE_GROUP, payload, idempotent=True))

    def get_lag(self, topic: str, group_id: str, partition: int = 0) -> Lag:
        """The group's lag on ``partition``: ``latest - committed`` (never negative).

        The server reports ``latest = 1`` for an empty partition; this method checks that case with a
        one-record FETCH and reports ``latest = 0`` for an empty partition, so its lag is 0.
        """
        payload = wire.encode_group_partition_request(topic, group_id, _check_partition(partition))
        lag = wire.decode_get_lag_response(self._call(Op.GET_LAG, payload, idempotent=True))
        if lag.latest == 1 and not self.fetch(topic, partition, 0, 1).messages:
            return Lag(lag.committed, 0, 0)
        return lag

    def delete_group(self, topic: str, group_id: str) -> None:
        """Forget the group's committed offsets and members; unknown group: :class:`GroupNotFoundError`."""
        self._call(Op.DELETE_GROUP, wire.encode_group_request(topic, group_id))

    # ------------------------------------------------------------------------------------------ DLQ

    def fetch_dlq(self, topic: str, max_messages: int = 100) -> list[DLQEntry]:
        """Dead letters of ``topic`` as the server's FETCH_DLQ returns them (from ``<topic>.dlq`` partition 0,
        always from the start). Empty when the server's DLQ is disabled (its default); see :meth:`read_dlq`."""
        payload = wire.encode_fetch_dlq_request(topic, _check_count("max_messages", max_messages))
        return wire.decode_fetch_dlq_response(self._call(Op.FETCH_DLQ, payload, idempotent=True), topic)

    def read_dlq(self, topic: str, offset: int = 0, max_messages: int = 100) -> list[DLQEntry]:
        """Dead letters of ``topic`` read straight from ``<topic>.dlq`` partition 0, with every field of the
        record (original offset, reason, timestamps). Works whether or not the server's DLQ is enabled;
        records that are not DLQ JSON are skipped, as the server does."""
        try:
            result = self.fetch(topic + DLQ_SUFFIX, 0, offset, max_messages)
        except TopicNotFoundError:
            return []
        entries = (DLQEntry.from_record(topic, msg.value) for msg in result.messages)
        return [entry for entry in entries if entry is not None]

    def _dlq_status(self, op: int, payload: bytes) -> None:
        success, message = wire.decode_status_response(self._call(op, payload))
        if not success:
            raise DLQError(message or "refused by the server", op=op)

    def replay_dlq(self, topic: str, message_id: str) -> None:
        """Copy dead letter ``message_id`` back to its original topic (the record stays in the DLQ).
        A refusal (``DLQ not enabled``, ``message not found``, ...) raises :class:`DLQError`."""
        self._dlq_status(Op.REPLAY_DLQ, wire.encode_replay_dlq_request(topic, message_id))

    def purge_dlq(self, topic: str) -> None:
        """Delete every dead letter of ``topic`` (the ``<topic>.dlq`` topic). A refusal raises
        :class:`DLQError`."""
        self._dlq_status(Op.PURGE_DLQ, wire.encode_topic_request(topic))

    def dead_letter(self, message: Message, error: BaseException | str, *,
                    reason: str = "max_retries_exceeded") -> RecordMetadata:
        """Write ``message`` to its topic's dead-letter queue, ``<topic>.dlq``, as FlyMQ's own DLQ record.

        The record is FlyMQ's JSON (id, original_topic, original_offset, base64 payload, reason,
        error_message, retry_count, RFC 3339 failure times), so the server's FETCH_DLQ / REPLAY_DLQ /
        PURGE_DLQ see it. ``error`` is an exception or a text. FlyMQ reads dead letters from partition 0
        only, so keep ``<topic>.dlq`` at one partition (as auto-creation makes it).
        """
        now = _rfc3339_now()
        record = {
            "id": f"{message.topic}-{message.partition}-{message.offset}-{uuid.uuid4().hex[:12]}",
            "original_topic": message.topic,
            "original_offset": message.offset,
            "payload": base64.b64encode(message.value).decode("ascii"),
            "reason": reason,
            "error_message": str(error) or type(error).__name__,
            "retry_count": message.retry_count,
            "first_failed_at": now,
            "last_failed_at": now,
        }
        value = json.dumps(record, separators=(",", ":")).encode("utf-8")
        return self.produce(message.topic + DLQ_SUFFIX, value)

    # -------------------------------------------------------------------------------- transactions

    def begin_transaction(self) -> Transaction:
        """Start a transaction. With the server's coordinator disabled (its default) transactional writes
        are applied at once and commit/abort do nothing."""
        txn_id, success = wire.decode_txn_response(self._call(Op.TXN_BEGIN, b""))
        if not success:
            raise TransactionError("the server refused to begin a transaction", op=Op.TXN_BEGIN)
        return Transaction(self, txn_id)

    def transaction(self) -> Transaction:
        """A transaction for a ``with`` block: commits when the block succeeds, rolls back on an exception.

        ::

            with client.transaction() as txn:
                txn.produce("results", b"...")
        """
        return self.begin_transaction()

    # -------------------------------------------------------------------------------------- auth

    def authenticate(self, username: str, password: str) -> AuthResult:
        """Log this connection in. A rejected login raises :class:`AuthenticationError` with the server's
        words; on success the credentials are kept and used again whenever the client reconnects.

        As at connect, the server is first asked whether it has authentication on, and AUTH is sent only when
        it does (FlyMQ 1.26 crashes on AUTH when it is off, flymq-wire §3.10). When it is off, nothing is sent,
        :attr:`auth_warning` says so and an :class:`~pyflymq.errors.AuthDisabledWarning` is issued, and the
        result has ``success`` False with that sentence as its ``error``; with ``require_auth=True`` this
        raises :class:`~pyflymq.errors.AuthNotEnabledError` instead.
        """
        for attempt in range(2):
            conn = self._get_connection()
            try:
                result = self._login(conn, username, password)
                break
            except ConnectionLostError as exc:  # both steps are safe to repeat on a new connection
                conn.close()
                if attempt:
                    raise FlyMQConnectionError(f"{exc} (after reconnecting once)") from exc
        self._credentials = (username, password)
        if result is None:
            return AuthResult(False, "", [], self.auth_warning or "authentication is off on this server")
        return result

    def whoami(self) -> AuthResult:
        """Who this connection is logged in as (``success`` False when anonymous)."""
        return wire.decode_auth_response(self._call(Op.WHOAMI, b"", idempotent=True))

    # ------------------------------------------------------------------------------------ schemas

    def register_schema(self, name: str, schema_type: str, schema: Payload) -> int:
        """Register a schema (``json``, ``avro`` or ``protobuf``) and return its version."""
        payload = wire.encode_register_schema_request(name, schema_type, _to_bytes(schema, "schema"))
        return wire.decode_register_schema_response(self._call(Op.REGISTER_SCHEMA, payload))[2]

    def get_schema(self, name: str, version: int = 0) -> SchemaInfo:
        """A registered schema; version 0 means the latest."""
        payload = wire.encode_name_version_request(name, _check_int("version", version, 0, _U32_MAX))
        return wire.decode_get_schema_response(self._call(Op.GET_SCHEMA, payload, idempotent=True))

    def list_schemas(self, topic: str = "") -> list[tuple[str, str, int]]:
        """Registered schemas as ``(id, type, version)``; the id is ``<name>-v<version>``."""
        payload = wire.encode_topic_request(topic)
        return wire.decode_list_schemas_response(self._call(Op.LIST_SCHEMAS, payload, idempotent=True))

    def validate_schema(self, name: str, value: Payload) -> tuple[bool, list[str]]:
        """Check ``value`` against schema ``name``: ``(valid, errors)``."""
        payload = wire.encode_validate_schema_request(name, _to_bytes(value))
        return wire.decode_validate_schema_response(self._call(Op.VALIDATE_SCHEMA, payload, idempotent=True))

    def produce_with_schema(self, topic: str, value: Payload, schema: str) -> RecordMetadata:
        """Write a record checked against schema ``schema`` (when the server validates schemas)."""
        payload = wire.encode_produce_with_schema_request(topic, schema, _to_bytes(value))
        return wire.decode_record_metadata(self._call_unkeyed(Op.PRODUCE_WITH_SCHEMA, payload))

    def delete_schema(self, name: str, version: int) -> None:
        """Delete one version of a schema."""
        success, message = wire.decode_status_response(
            self._call(Op.DELETE_SCHEMA, wire.encode_name_version_request(
                name, _check_int("version", version, 0, _U32_MAX))))
        if not success:
            raise SchemaError(message or "refused by the server", op=Op.DELETE_SCHEMA)

    # ---------------------------------------------------------------------------------- consumers

    def consumer(self, topics: str | Iterable[str], group_id: str, **config: Any) -> HighLevelConsumer:
        """A :class:`~pyflymq.consumer.HighLevelConsumer` of ``topics`` (a name or a list) in ``group_id``.

        ``config``: ``auto_commit``, ``auto_commit_interval_ms``, ``max_poll_records``,
        ``session_timeout_ms``, ``auto_offset_reset`` (see the consumer's documentation).
        """
        from .consumer import HighLevelConsumer

        return HighLevelConsumer(self, topics, group_id, **config)


class Transaction:
    """A FlyMQ transaction: buffered writes applied by :meth:`commit` or dropped by :meth:`abort`.

    As a context manager it commits when the block ends normally and rolls back when it raises.
    ``state`` is ``"active"``, ``"committed"`` or ``"aborted"``. Transactional writes have no key; with the
    server's coordinator disabled they are written immediately and commit/abort change nothing.
    """

    def __init__(self, client: FlyMQClient, txn_id: str):
        self.client = client
        self.id = txn_id
        self.state = "active"

    @property
    def active(self) -> bool:
        """True until the transaction is committed or aborted."""
        return self.state == "active"

    def __repr__(self) -> str:
        return f"<Transaction {self.id} {self.state}>"

    def _require_active(self, op: int) -> None:
        if self.state != "active":
            raise TransactionError(f"transaction is not active: {self.state}", op=op)

    def produce(self, topic: str, value: Payload) -> RecordMetadata:
        """Add a record for ``topic`` to the transaction. With the coordinator enabled the reply's offset and
        partition are 0: the record is only written at commit."""
        self._require_active(Op.TXN_PRODUCE)
        payload = wire.encode_txn_produce_request(self.id, topic, _to_bytes(value))
        return wire.decode_record_metadata(self.client._call_unkeyed(Op.TXN_PRODUCE, payload))

    def _finish(self, op: int, state: str) -> None:
        self._require_active(op)
        _txn_id, success = wire.decode_txn_response(self.client._call(op, wire.encode_txn_id_request(self.id)))
        if not success:
            self.state = "failed"
            verb = "commit" if op == Op.TXN_COMMIT else "abort"
            raise TransactionError(f"the server refused to {verb} transaction {self.id} "
                                   "(unknown, expired or already finished, or a cluster node refused one of "
                                   "its writes)", op=op)
        self.state = state

    def commit(self) -> None:
        """Apply every record of the transaction. A refusal raises :class:`TransactionError`."""
        self._finish(Op.TXN_COMMIT, "committed")

    def abort(self) -> None:
        """Drop every record of the transaction. A refusal raises :class:`TransactionError`."""
        self._finish(Op.TXN_ABORT, "aborted")

    rollback = abort

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self.active:
            return
        if exc_type is None:
            self.commit()
            return
        try:
            self.abort()
        except FlyMQError:
            pass  # the original exception matters more; an expired transaction is gone anyway
