"""FlyService: the only place in flytui that talks to pyflymq.

The UI thread never waits on the network. Every call below starts a Textual thread worker on the app and
returns at once; the worker does the blocking pyflymq call and posts one of the small ``Message``
dataclasses of :mod:`flytui.messages` back to the app: the operation's success message, or its failure
message with the error in the user's words (:meth:`FlyService._in_worker`, the one shape of every one-shot
operation). Each result carries its context (topic, partition, generation) so the app can drop results for
a topic or position the user has already left.

Clients: one per *role* (``browse`` for pages and metadata, ``tail`` for the live tail, ``refresh`` for the
background refresh, ``admin`` for writes), so a slow call in one role never queues behind another. Clients
are created lazily and re-created after a connection error; pyflymq reconnects by itself too.

Browsing is side-effect free on the broker: it uses FETCH, watermarks (SUBSCRIBE with an *empty* group id,
flymq-wire §2.4), CLUSTER_METADATA, LIST_GROUPS / DESCRIBE_GROUP and GET_OFFSET only. Nothing here ever
subscribes with a group id (that would register a member, flymq-wire §3.5) and nothing commits except
:meth:`FlyService.execute_commit`, which first appends the offsets it replaces to the commit journal
(:mod:`flytui.commit_journal`). Seeks are resolved in a worker against watermarks and DESCRIBE_GROUP read
when the user presses enter (:meth:`FlyService.resolve_seek`). With ``read_only=True`` every write method raises
:class:`ReadOnlyError` before touching the network.

The blocking halves (``*_sync`` methods and :func:`probe`) are plain functions of the service so they can be
tested without a running app.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from textual.dom import DOMNode
from textual.message import Message
from textual.worker import Worker

from pyflymq import FlyMQClient, connect
from pyflymq.errors import (
    AuthenticationError,
    AuthError,
    DLQError,
    FlyMQConnectionError,
    FlyMQError,
    FlyMQTimeoutError,
    NodeChangedError,
    ProtocolError,
    SchemaError,
    UnsupportedOperationError,
)
from pyflymq.models import DLQEntry
from pyflymq.models import Message as Record

from .messages import (
    CommitExecuted,
    CommitStateLoaded,
    ConnectionChanged,
    DeadLettersLoaded,
    ExportProgress,
    MatchFailed,
    MatchFound,
    NodeChanged,
    NodesCompared,
    OffsetsSaved,
    OverviewLoaded,
    PageFailed,
    PageLoaded,
    ProduceDone,
    ProduceFailed,
    PurgeDone,
    PurgeFailed,
    ReplayDone,
    ReplayFailed,
    SchemaLoaded,
    SchemasListed,
    SeekPurpose,
    SeekResolved,
    TailBatch,
    TopicSearchProgress,
)
from .model import (
    DLQ_SUFFIX,
    ConnectionSettings,
    DLQRecord,
    GroupLag,
    GroupPartitionLag,
    Overview,
    PartitionInfo,
    ServerInfo,
    TopicInfo,
    node_label,
)
from .node_compare import NodeReading
from .picture_cells import PictureCells
from .rate_history import SessionHistory
from .schema_decode import TopicSchema

if TYPE_CHECKING:
    from .actions.commit import CommitRequest
    from .offset_plan import CommitPlan, PartitionState, SeekSpec
    from .screens.seek import SeekRequest

NODE_READ_TIMEOUT_MS = 2000
"""The nodes view's time limit for each call to one node."""
NODE_READ_BUDGET_S = 10.0
"""The nodes view's time limit for reading all of one node's partitions."""

__all__ = [
    "DLQ_SUFFIX", "CommitExecuted", "CommitStateLoaded", "ConnectionChanged", "ConnectionSettings",
    "DLQRecord", "DeadLettersLoaded", "ExportProgress", "FlyService", "GroupLag", "GroupPartitionLag",
    "MatchFound", "NodeChanged", "NodesCompared", "Overview", "OverviewLoaded", "PageLoaded", "PartitionInfo",
    "ReadOnlyError", "SchemaLoaded", "SchemasListed", "SeekResolved", "ServerInfo", "TailBatch", "TopicInfo",
    "TopicSearchProgress", "describe_error", "probe", "record_filter",
]

ResultT = TypeVar("ResultT")
"""What the function given to :meth:`FlyService.call` returns."""
CallArgs = ParamSpec("CallArgs")
Outcome = TypeVar("Outcome")
"""What the work given to :meth:`FlyService._in_worker` returns."""
FailureTexts = Sequence[tuple[type[Exception], Callable[[Exception], str]]]
"""The texts of the errors an operation expects, by class: ``((ValueError, str), ...)``."""
USER_ERROR_TEXTS: FailureTexts = ((ValueError, str),)
"""A ValueError of the service's own says in words why a request has no answer (no such group, ...)."""

FETCH_PAGE_MAX = 1000
FULL_REFRESH_PARTITIONS = 200
"""Up to this many partitions in the cluster, every refresh re-reads every watermark."""
FULL_REFRESH_SECONDS = 30.0
"""On bigger clusters, watermarks of topics that are not open are re-read at most this often."""  # FlyMQ scans at most 1000 records per FETCH (flymq-wire §2.7)


def record_filter(text: str | None) -> tuple[str | None, Callable[[Record], bool] | None]:
    """What a filter text (:mod:`flytui.record_query`'s language) asks of a read: the broker's FETCH filter
    when that alone decides it, else the predicate flytui evaluates on every record. ``(None, None)``: no
    filter. Raises :class:`~flytui.record_query.QueryError` for a text that does not parse."""
    if not text:
        return None, None
    query = _compiled_query(text)
    if query.server_filter is not None:
        return query.server_filter, None
    if query.matches_everything:
        return None, None
    return None, query.matches


@functools.lru_cache(maxsize=32)
def _compiled_query(text: str) -> Any:
    from .record_query import compile_query

    return compile_query(text)


def _filtered_fetch(client: FlyMQClient, topic: str, partition: int, offset: int, count: int,
                    filter: str | None) -> tuple[list[Record], int]:
    """One FETCH through ``filter``: the matches among at most 1000 records scanned, and the offset the scan
    reached. The broker filters when it can decide the filter, else flytui checks each record."""
    server, predicate = record_filter(filter)
    if predicate is None:
        result = client.fetch(topic, partition, offset, count, server)
        records = list(result.messages)
    else:
        result = client.fetch(topic, partition, offset, FETCH_PAGE_MAX)
        records = [m for m in result.messages if predicate(m)][:count]
        if len(records) == count and count < len(result.messages):  # stop after the last match kept
            return records, records[-1].offset + 1
    following = max(result.next_offset, result.messages[-1].offset + 1 if result.messages else offset)
    return records, following


@dataclass
class FirstReads:
    """What :meth:`FlyService.start_first_refresh` read before the app ran."""

    overview: Overview
    page: tuple[str, int, int, list[Record], int] | None = None
    """(topic, partition, offset, records, next offset): the first records of the topic opened first."""
    dlq: tuple[str, list[DLQRecord]] | None = None
    """(topic, dead letters) of that topic."""


class ReadOnlyError(Exception):
    """A write was asked for while flytui runs with ``--read-only``."""

    def __init__(self, what: str = "this action") -> None:
        super().__init__(f"Read-only mode: {what} is disabled. Restart flytui without --read-only to write.")


# --------------------------------------------------------------------------------------------- errors


def describe_error(exc: BaseException, settings: ConnectionSettings | None = None) -> str:
    """One plain-words sentence for an error, with what to do next."""
    where = settings.first_server if settings else "the server"
    if isinstance(exc, ReadOnlyError):
        return str(exc)
    if isinstance(exc, AuthenticationError):
        return f"The server refused the login ({exc}). Check --user and the password."
    if isinstance(exc, AuthError):
        return f"Not allowed: {exc}. Ask for the permission or sign in as another user."
    if isinstance(exc, FlyMQConnectionError):
        return f"Lost the connection to {where} ({exc}); retrying."
    if isinstance(exc, ProtocolError):
        return f"{where} did not answer like a FlyMQ server ({exc})."
    if isinstance(exc, FlyMQError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


def _short_error(exc: BaseException) -> str:
    """An error as one short cell text."""
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 80 else text[:79] + "…"


def _node_error(exc: BaseException, timeout_ms: int) -> str:
    """Why one node could not be read, short enough for a cell of the nodes view: a node that hangs and one
    that refuses connections say so in the first words (the cell shows ~25 characters); anything else is the
    error's own text."""
    if isinstance(exc, FlyMQTimeoutError):
        return f"timeout: no answer in {timeout_ms / 1000:g} s"
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    return _short_error(exc)


def probe(settings: ConnectionSettings, *, timeout_ms: int = 3000,
          connect_fn: Callable[..., FlyMQClient] = connect) -> ServerInfo:
    """Connect once with a short timeout, check the server speaks FlyMQ and the login works.

    Raises the pyflymq error on failure; the CLI turns it into a message.
    """
    client = connect_fn(settings.servers, **settings.client_kwargs(timeout_ms=timeout_ms))
    try:
        meta = client.cluster_metadata()
        if not settings.username:
            # LIST_TOPICS and CLUSTER_METADATA need no login even where reads do: try one read, so that a
            # server requiring a login is reported before the UI starts.
            topics = client.list_topics()
            if topics:
                client.watermarks(topics[0], 0)
        user = None
        warning = getattr(client, "auth_warning", None)
        if settings.username and not warning:
            try:
                who = client.whoami()
                user = who.username or settings.username
            except FlyMQError:
                user = settings.username
        return ServerInfo(meta.cluster_id, user, warning)
    finally:
        try:
            client.close()
        except Exception:
            pass


# --------------------------------------------------------------------------------------------- service


class FlyService:
    """Owns the pyflymq clients and runs every network call in a worker of the attached app."""

    ROLES = ("browse", "tail", "refresh", "admin")

    def __init__(self, settings: ConnectionSettings, *, read_only: bool = False,
                 connect_fn: Callable[..., FlyMQClient] = connect) -> None:
        self.settings = settings
        self.read_only = read_only
        self._connect_fn = connect_fn
        self._clients: dict[str, FlyMQClient] = {}
        self._role_locks = {role: threading.Lock() for role in self.ROLES}
        self._state_lock = threading.Lock()
        self.state = "connecting"
        self.reason = ""
        self.user: str | None = settings.username
        self.login_warning: str | None = None  # credentials given but not sent: the server has auth off
        self.cluster_id = ""
        self._app: DOMNode | None = None
        self._tail_stop: threading.Event | None = None
        self._tail_generation = 0
        self._refreshing = threading.Lock()
        self._dlq_server_ops: bool | None = None
        self._marks: dict[tuple[str, int], tuple[int, int]] = {}
        self._node_address: str | None = None  # the cluster node every role reads from, once one moved
        self._last_full_refresh = float("-inf")
        self.refreshed_at: float | None = None
        """``time.monotonic()`` of the last refresh pass that completed (None before the first)."""
        self.tail_polled_at: float | None = None
        """``time.monotonic()`` of the live tail's last poll of every partition that succeeded."""
        self.history: SessionHistory | None = None
        """When set, every refresh pass is recorded here (in the worker) for the rates and lag pictures."""
        self.pictures: PictureCells | None = None
        """When set, the refresh worker draws the focused topics' picture cells here after recording."""
        self.fresh_topics: frozenset[str] | None = None
        """The topics whose watermarks the last :meth:`overview_sync` read (None: every topic)."""
        self.closed = False
        self._first_pass: Future[FirstReads] | None = None
        """What :meth:`start_first_refresh` reads, until the app's first :meth:`refresh` takes it."""
        self._first_page: tuple[str, int, int, list[Record], int] | None = None
        """(topic, partition, offset, records, next offset) read before the app ran, for :meth:`take_first_page`."""
        self._first_dlq: tuple[str, list[DLQRecord]] | None = None
        """(topic, dead letters) read before the app ran, for the first :meth:`load_dlq` of that topic."""

    # ----------------------------------------------------------------- lifecycle

    def attach(self, app: DOMNode) -> None:
        """Bind the service to the app whose workers run the calls and which receives the messages (and tell
        it the connection state, if a call made before it was attached changed it)."""
        self._app = app
        if self.state != "connecting":
            self._post(ConnectionChanged(self.state, self.reason))

    def close(self) -> None:
        """Stop the tail and close every client (idempotent)."""
        self.closed = True
        self.stop_tail()
        for role in list(self._clients):
            self._drop_client(role)

    def client(self, role: str = "browse") -> FlyMQClient:
        """The connected client of ``role``, connecting first if needed (blocking: call from a worker)."""
        client = self._clients.get(role)
        if client is not None:
            return client
        with self._role_locks[role]:
            client = self._clients.get(role)
            if client is None:
                client = self._connect_fn(self._servers_in_order(), **self.settings.client_kwargs())
                self._clients[role] = client
            return client

    def _servers_in_order(self) -> Any:
        """The servers to connect to: after a node change, the node moved to comes first, so that every
        role reads from the same node."""
        node = self._node_address
        if node is None:
            return self.settings.servers
        from pyflymq.connection import format_address, parse_servers

        servers = [format_address(h, p) for h, p in parse_servers(self.settings.servers)]
        return [node] + [s for s in servers if s != node]

    def _node_changed(self, exc: NodeChangedError) -> None:
        """One client moved to another cluster node: move every role there and tell the app, once per move."""
        current = getattr(exc.current, "address", None)
        with self._state_lock:
            first = current != self._node_address
            self._node_address = current
        for role in list(self._clients):
            self._drop_client(role)
        self._marks.clear()  # the old node's watermarks
        if first:
            self._post(NodeChanged(str(exc.previous), str(exc.current)))

    def _drop_client(self, role: str) -> None:
        client = self._clients.pop(role, None)
        if client is not None:
            try:
                client.close()
            except Exception:
                pass

    # ----------------------------------------------------------------- plumbing

    def _post(self, message: Message) -> None:
        app = self._app
        if app is not None and not self.closed:
            app.post_message(message)

    def _set_state(self, state: str, reason: str = "") -> None:
        with self._state_lock:
            if state == self.state and reason == self.reason:
                return
            self.state, self.reason = state, reason
        self._post(ConnectionChanged(state, reason))

    def call(self, role: str, fn: Callable[Concatenate[FlyMQClient, CallArgs], ResultT], *args: CallArgs.args,
             **kwargs: CallArgs.kwargs) -> ResultT:
        """Run ``fn(client, *args, **kwargs)`` on the client of ``role``, tracking the connection state
        (blocking)."""
        try:
            result = fn(self.client(role), *args, **kwargs)
        except AuthenticationError as exc:
            self._drop_client(role)
            self._set_state("failed", f"login refused: {exc}")
            raise
        except NodeChangedError as exc:
            self._node_changed(exc)
            raise
        except (FlyMQConnectionError, ProtocolError, OSError) as exc:
            self._drop_client(role)
            self._set_state("reconnecting", str(exc) or type(exc).__name__)
            raise
        if self.state != "connected":
            self._set_state("connected")
        return result

    def _run(self, work: Callable[[], None], *, group: str, exclusive: bool = False,
             name: str = "") -> Worker[None]:
        if self._app is None:
            raise RuntimeError("FlyService.attach(app) first")
        return self._app.run_worker(work, thread=True, group=group, exclusive=exclusive,
                                    name=name or group, exit_on_error=False)

    def _in_worker(self, work: Callable[[], Outcome], done: Callable[[Outcome], Message | None],
                   failed: Callable[[str], Message | None], *, group: str, exclusive: bool = False,
                   name: str = "", texts: FailureTexts = ()) -> Worker[None]:
        """Run ``work()`` in a worker of ``group`` (see :meth:`_run`), then post ``done(result)``, or
        ``failed(text)`` when it raised: the user's text for the error is the one ``texts`` gives for its
        class (the first that matches), else :func:`describe_error`'s. A ``None`` from either posts nothing.

        Every one-shot background operation goes through here; the live tail, which posts as it reads and
        retries by itself, runs on :meth:`_run` directly."""
        def run() -> None:
            try:
                outcome = work()
            except Exception as exc:  # noqa: BLE001 - whatever failed, the user is told in the failure message
                message = failed(self._failure_text(exc, texts))
            else:
                message = done(outcome)
            if message is not None:
                self._post(message)

        return self._run(run, group=group, exclusive=exclusive, name=name)

    def _failure_text(self, exc: Exception, texts: FailureTexts) -> str:
        """The sentence the user reads for ``exc`` (see :meth:`_in_worker`)."""
        for kind, text in texts:
            if isinstance(exc, kind):
                return text(exc)
        return describe_error(exc, self.settings)

    def _check_writable(self, what: str) -> None:
        if self.read_only:
            raise ReadOnlyError(what)

    # ----------------------------------------------------------------- overview / refresh

    def overview_sync(self, role: str = "refresh", focus: Iterable[str] = ()) -> Overview:
        """Topics with partitions, watermarks and leaders, plus every group (blocking).

        Watermarks cost a round trip per partition, so on a big cluster (more than
        :data:`FULL_REFRESH_PARTITIONS` partitions) only the ``focus`` topics (the open one and its DLQ) are
        re-read on every call and the others at most every :data:`FULL_REFRESH_SECONDS`; the rest of the
        time their last known watermarks are reused. A topic deleted meanwhile is left out.
        """
        from pyflymq.errors import PartitionNotFoundError, TopicNotFoundError

        meta = self.call(role, lambda c: c.cluster_metadata())
        self.cluster_id = meta.cluster_id
        address = self.client(role).address or ""
        node = node_label(meta.cluster_id, (p.leader_id for t in meta.topics for p in t.partitions))
        in_cluster = bool(meta.cluster_id) and meta.cluster_id != "standalone"
        known = {meta.cluster_id} | {r for t in meta.topics for p in t.partitions for r in p.replicas if r}
        known_nodes = len(known) if in_cluster else 0
        names = {t.topic for t in meta.topics}
        focus = set(focus)
        total = sum(len(t.partitions) for t in meta.topics)
        now = time.monotonic()
        full = total <= FULL_REFRESH_PARTITIONS or now - self._last_full_refresh >= FULL_REFRESH_SECONDS
        if full:
            self._last_full_refresh = now
        self.fresh_topics = None if full else frozenset(focus)
        topics = []
        for tmeta in sorted(meta.topics, key=lambda t: t.topic):
            parts = []
            try:
                for pmeta in sorted(tmeta.partitions, key=lambda p: p.partition):
                    key = (tmeta.topic, pmeta.partition)
                    if full or tmeta.topic in focus or key not in self._marks:
                        self._marks[key] = self.call(
                            role, FlyMQClient.watermarks, tmeta.topic, pmeta.partition)
                    low, high = self._marks[key]
                    led_here = pmeta.leader_id == meta.cluster_id if in_cluster else None
                    parts.append(PartitionInfo(tmeta.topic, pmeta.partition, low, high, pmeta.leader_id,
                                               led_here))
            except (TopicNotFoundError, PartitionNotFoundError):
                continue  # deleted between the metadata and the watermarks
            topics.append(TopicInfo(tmeta.topic, tuple(parts), dlq=f"{tmeta.topic}{DLQ_SUFFIX}" in names))
        try:
            groups = tuple(self.call(role, lambda c: c.list_groups()))
        except (UnsupportedOperationError, AuthError):
            groups = ()
        return Overview(meta.cluster_id, tuple(topics), groups, time.time(), address=address, node=node,
                        known_nodes=known_nodes)

    def _refresh_pass(self, focus: tuple[str, ...]) -> Overview:
        """One refresh pass (blocking): the overview, the focus topics' group lags, and the pass recorded in
        :attr:`history` and drawn into :attr:`pictures`."""
        overview = self.overview_sync("refresh", focus)
        for topic in focus:
            overview.group_lags(topic)  # computed here, not on the UI thread
        if self.history is not None:
            self.history.record(overview, self.fresh_topics)
        if self.pictures is not None:
            self.pictures.prepare(overview, focus)  # drawn here, not on the UI thread
        return overview

    def start_first_refresh(self, topic: str | None = None, page: int = 0) -> None:
        """Read the app's first refresh pass now, in a thread of its own, before the app runs (the app's first
        :meth:`refresh` then hands this pass over instead of reading one).

        With ``page`` > 0, also read what the first screen shows of the topic the app opens first (``topic``
        if it exists, else :meth:`Overview.first_topic`): up to ``page`` records of its first partition
        (:meth:`take_first_page`) and its dead letters (the first :meth:`load_dlq` of the topic).

        Read by the app's workers, these would share the interpreter with the app's first layout and paints
        and take over ten times as long, and arrive after them; read here, before them, the first screen is
        drawn with its data. :meth:`wait_first_refresh` waits for them a bounded time."""
        first: Future[FirstReads] = Future()

        def read() -> None:
            try:
                overview = self._refresh_pass(())
            except BaseException as exc:  # noqa: BLE001 - the app's first refresh reads again and reports it
                first.set_exception(exc)
                return
            reads = FirstReads(overview)
            if page > 0:
                try:
                    self._read_first_topic(reads, topic, page)
                except Exception:  # noqa: BLE001 - the app reads them itself, and reports what fails
                    pass
            first.set_result(reads)

        self._first_pass = first
        threading.Thread(target=read, name="flytui-first-refresh", daemon=True).start()

    def _read_first_topic(self, reads: FirstReads, topic: str | None, page: int) -> None:
        overview = reads.overview
        info = (overview.topic(topic) if topic else None) or overview.first_topic()
        mark = info.first_partition if info is not None else None
        if info is None or mark is None:
            return
        if mark.count:
            records, following = self.fetch_page_sync(info.name, mark.partition, mark.low, min(page, mark.count))
            reads.page = (info.name, mark.partition, mark.low, records, following)
        if info.is_dlq or info.dlq:
            reads.dlq = (info.name, self.dlq_sync(info.name))

    def take_first_page(self, topic: str, partition: int, offset: int) -> tuple[list[Record], int] | None:
        """The records of ``partition`` from ``offset`` read before the app ran, and the offset to go on from,
        if those are the ones asked for; None otherwise. Handed over once (and only until another is asked)."""
        first, self._first_page = self._first_page, None
        if first is None or first[:3] != (topic, partition, offset):
            return None
        return first[3], first[4]

    def _hand_over(self, reads: FirstReads) -> Overview:
        """Keep the page and dead letters read before the app ran for the app's first asks; the overview."""
        self._first_page, self._first_dlq = reads.page, reads.dlq
        return reads.overview

    def wait_first_refresh(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the pass :meth:`start_first_refresh` reads; True once it is in."""
        first = self._first_pass
        return first is not None and not wait([first], timeout).not_done

    def refresh(self, focus: Iterable[str] = ()) -> None:
        """Start a background refresh unless one is running; posts :class:`OverviewLoaded`.

        ``focus``: topics whose watermarks must be fresh (see :meth:`overview_sync`). The first call hands
        over the pass :meth:`start_first_refresh` read, if there is one: at once if it is in and succeeded.
        """
        if not self._refreshing.acquire(blocking=False):
            return
        focus = tuple(focus)
        first, self._first_pass = self._first_pass, None

        def done(overview: Overview) -> Message:
            self.refreshed_at = time.monotonic()
            return OverviewLoaded(overview)

        if first is not None and first.done() and first.exception() is None:
            self._refreshing.release()
            self._post(done(self._hand_over(first.result())))
            return

        def read() -> Overview:
            try:
                if first is not None:
                    try:
                        return self._hand_over(first.result())
                    except Exception:  # noqa: BLE001 - read again: that read's error is the one reported
                        pass
                return self._refresh_pass(focus)
            finally:
                self._refreshing.release()

        def failed(error: str) -> None:  # reported through the connection state
            if self.state == "connected":
                self._set_state("reconnecting", error)

        try:
            self._in_worker(read, done, failed, group="refresh")
        except Exception:
            self._refreshing.release()
            raise

    # ----------------------------------------------------------------- browsing

    def fetch_page_sync(self, topic: str, partition: int, offset: int, count: int,
                        filter: str | None = None, role: str = "browse") -> tuple[list[Record], int]:
        """Up to ``count`` records of one partition from ``offset``, and the offset to continue from.

        Without a filter this takes as many FETCHes as needed (each returns at most 1000). With a
        server-side ``filter`` it is one FETCH: the server scans at most 1000 records, so the page may
        hold fewer matches and ``next_offset`` says where the scan stopped.
        """
        if filter:
            want = min(FETCH_PAGE_MAX, count)
            return self.call(role, lambda c: _filtered_fetch(c, topic, partition, offset, want, filter))
        records: list[Record] = []
        position = offset
        while len(records) < count:
            want = min(FETCH_PAGE_MAX, count - len(records))
            result = self.call(role, FlyMQClient.fetch, topic, partition, position, want)
            records.extend(result.messages)
            if not result.messages or result.next_offset <= position:
                break
            position = result.next_offset
        return records, position

    def fetch_page(self, topic: str, partition: int, offset: int, count: int, generation: int,
                   filter: str | None = None) -> None:
        """Fetch a page for the message stream; posts :class:`PageLoaded` or :class:`PageFailed`."""
        self._in_worker(lambda: self.fetch_page_sync(topic, partition, offset, count, filter),
                        lambda page: PageLoaded(topic, partition, offset, generation, *page),
                        lambda error: PageFailed(topic, partition, offset, generation, error),
                        group=f"page-{partition}")

    def find_match_sync(self, topic: str, partition: int, start: int, pattern: str, forward: bool,
                        low: int, high: int, role: str = "browse",
                        should_stop: Callable[[], bool] = lambda: False) -> tuple[Record | None, int]:
        """The first record after (``forward``) or before ``start`` matching the server-side filter.

        Plain text goes to FETCH's filter (substring, RE2 regex or ``$.path``), so its matches are the
        server's; a query the server cannot decide is checked here (:func:`record_filter`). Returns the
        record (or None) and the offset the scan reached.
        """
        if forward:
            position = max(start + 1, low)
            while position < high and not should_stop():
                records, following = self.call(role, _filtered_fetch, topic, partition, position, 1, pattern)
                if records:
                    return records[0], records[0].offset
                if following <= position:
                    break
                position = following
            return None, position
        position = min(start, high)
        while position > low and not should_stop():
            begin = max(low, position - FETCH_PAGE_MAX)
            found, _ = self.call(role, _filtered_fetch, topic, partition, begin, position - begin, pattern)
            hits = [m for m in found if m.offset < position]
            if hits:
                return hits[-1], hits[-1].offset
            position = begin
        return None, position

    def find_match(self, topic: str, partition: int, start: int, pattern: str, forward: bool,
                   low: int, high: int, generation: int) -> None:
        """Search for the next/previous match in a worker; posts :class:`MatchFound` or :class:`MatchFailed`."""
        def found(match: tuple[Record | None, int]) -> Message:
            record, reached = match
            return MatchFound(topic, partition, generation, pattern, forward,
                              record.offset if record else None, record, reached)

        self._in_worker(lambda: self.find_match_sync(topic, partition, start, pattern, forward, low, high),
                        found, lambda error: MatchFailed(topic, partition, generation, pattern, forward, error),
                        group="search", exclusive=True)

    # ----------------------------------------------------------------- whole-topic search

    def search_ranges_sync(self, topic: str, start: Any, partitions: Iterable[int] | None = None,
                           role: str = "browse") -> tuple[list[Any], list[int]]:
        """The ranges a whole-topic search scans: each chosen partition from ``start`` (a
        :class:`~flytui.offset_plan.SeekSpec`, resolved against watermarks and, for ``group:NAME``, the group's
        committed offsets read now) to its high watermark read now. Also the partitions left out (no committed
        offset). Raises ValueError with a message for the user (no such group)."""
        from pyflymq.errors import GroupNotFoundError

        from .offset_plan import SeekKind
        from .topic_search import search_ranges

        count = self.call(role, lambda c: c.partitions(topic))
        committed: dict[int, int] = {}
        if start.kind is SeekKind.GROUP:
            try:
                committed = dict(self.call(role, FlyMQClient.describe_group, topic, start.group).offsets)
            except GroupNotFoundError:
                raise ValueError(f"There is no group {start.group!r} on {topic}.") from None
        chosen = list(partitions) if partitions is not None else list(range(count))
        marks = [(p, *self.call(role, FlyMQClient.watermarks, topic, p)) for p in chosen if p < count]

        def first(partition: int, low: int, high: int) -> int | None:
            if start.kind is SeekKind.GROUP and partition not in committed:
                return None
            return start.resolve(low, low, high, committed=committed.get(partition), clamp=True)

        return search_ranges(marks, first)

    def search_topic(self, topic: str, search_id: int, start: Any, *, partitions: Iterable[int] | None = None,
                     server_filter: str | None = None, matches: Callable[[Record], bool] | None = None,
                     limit: int | None = None, workers: int | None = None) -> threading.Event:
        """Search the whole of ``topic`` (or ``partitions``) from ``start`` to the end in a worker, the
        partitions in parallel on connections of their own; posts :class:`TopicSearchProgress` a few times a
        second and when done. Returns an event; setting it cancels the search."""
        from .topic_search import DEFAULT_WORKERS, RESULT_LIMIT, SearchTally, run_search

        cancel = threading.Event()
        chosen = list(partitions) if partitions is not None else None

        def open_reader() -> Any:
            return self._connect_fn(self.settings.servers, **self.settings.client_kwargs())

        tally = SearchTally(limit=limit or RESULT_LIMIT)

        def scan() -> Message:
            ranges, skipped = self.search_ranges_sync(topic, start, chosen)
            found = tuple(skipped)

            def progress(snapshot: Any) -> None:
                if not cancel.is_set():
                    self._post(TopicSearchProgress(topic, search_id, snapshot, found))

            final = run_search(open_reader, topic, ranges, tally, server_filter=server_filter, matches=matches,
                               stop=cancel, workers=workers or DEFAULT_WORKERS, progress=progress)
            return TopicSearchProgress(topic, search_id, final, found)

        self._in_worker(scan, lambda last: last,
                        lambda error: TopicSearchProgress(topic, search_id, tally.snapshot(), error=error),
                        group="topic-search", name=f"search {topic}", texts=USER_ERROR_TEXTS)
        return cancel

    # ----------------------------------------------------------------- seek

    def resolve_seek_sync(self, topic: str, partition: int, spec: SeekSpec, current: int, *,
                          clamp: bool = False, role: str = "browse") -> tuple[int, int, int]:
        """``(offset, low, high)``: a :class:`~flytui.offset_plan.SeekSpec` resolved on ``partition`` against
        watermarks read now and, for ``group:NAME``, the group's committed offset read now (DESCRIBE_GROUP:
        it joins nothing). Raises :class:`ValueError` with a message for the user when it has no offset."""
        from pyflymq.errors import GroupNotFoundError

        from .offset_plan import SeekKind

        low, high = self.call(role, lambda c: c.watermarks(topic, partition))
        committed = None
        if spec.kind is SeekKind.GROUP:
            group = spec.group
            assert group is not None  # parse_seek_spec names the group of every group: seek
            try:
                info = self.call(role, lambda c: c.describe_group(topic, group))
                committed = dict(info.offsets).get(partition)
            except GroupNotFoundError:
                raise ValueError(f"There is no group {spec.group!r} on {topic}.") from None
            if committed is None:
                raise ValueError(f"Group {spec.group!r} has no committed offset on partition {partition} "
                                 f"of {topic}.")
        return spec.resolve(current, low, high, committed=committed, clamp=clamp), low, high

    def resolve_seek(self, topic: str, partition: int, request: SeekRequest, current: int, generation: int,
                     purpose: SeekPurpose = SeekPurpose.SEEK, stream_generation: int | None = None) -> None:
        """Resolve a seek request in a worker; posts :class:`SeekResolved` (with ``error`` when it fails)
        carrying ``purpose`` and ``stream_generation``."""
        self._in_worker(
            lambda: self.resolve_seek_sync(topic, partition, request.spec, current, clamp=request.all_partitions),
            lambda where: SeekResolved(topic, partition, generation, request, *where, purpose=purpose,
                                       stream_generation=stream_generation),
            lambda error: SeekResolved(topic, partition, generation, request, None, error=error, purpose=purpose,
                                       stream_generation=stream_generation),
            group="seek", exclusive=True, texts=USER_ERROR_TEXTS)

    # ----------------------------------------------------------------- live tail

    def start_tail(self, topic: str, partitions: Iterable[int], generation: int, *,
                   max_rate: float = 20.0, idle_sleep: float = 0.2, backlog: int = 0,
                   start: dict[int, int] | None = None, filter: str | None = None) -> None:
        """Tail every partition of ``topic``; posts :class:`TailBatch`.

        Each partition is read from ``start[partition]`` when given, else from its high watermark, or with
        ``backlog`` N > 0 from N records before it (the last N records, like ``kcat -o -N``). With a
        ``filter`` every FETCH is filtered by the server (flymq-wire §2.7): only matches are posted, and
        the scan moves on past records that do not match.

        Records are coalesced: at most ``max_rate`` batches a second reach the UI. While records flow the
        partitions are polled at that pace; a topic quiet for a second is polled every ``idle_sleep``
        seconds. The tail stops when :meth:`stop_tail` is called (topic change, tail toggled off, app exit).
        """
        self.stop_tail()
        stop = threading.Event()
        self._tail_stop = stop
        self._tail_generation = generation
        self.tail_polled_at = None
        parts = list(partitions)
        interval = 1.0 / max_rate
        starts = dict(start or {})

        def first_position(p: int) -> int:
            if p in starts:
                return starts[p]
            low, high = self.call("tail", lambda c: c.watermarks(topic, p))
            return max(low, high - backlog) if backlog > 0 else high

        def poll(p: int, position: int) -> tuple[list[Record], int]:
            if filter:  # a filtered scan moves on without matches
                records, following = self.call("tail", lambda c: _filtered_fetch(c, topic, p, position, 500,
                                                                                   filter))
                return records, max(position, following)
            result = self.call("tail", lambda c: c.fetch(topic, p, position, 500))
            following = max(position, result.next_offset)
            if result.messages:
                following = max(following, result.messages[-1].offset + 1)
            return list(result.messages), following

        def work() -> None:
            from textual.worker import NoActiveWorker, get_current_worker

            try:
                worker = get_current_worker()
            except NoActiveWorker:  # run outside a Textual worker (tests, scripts)
                worker = None
            positions: dict[int, int] = {}
            pending: list[Record] = []
            last_post = 0.0
            last_got = float("-inf")
            while not stop.is_set() and not (worker is not None and worker.is_cancelled):
                try:
                    for p in parts:
                        if p not in positions:
                            positions[p] = first_position(p)
                    got = False
                    for p in parts:
                        records, following = poll(p, positions[p])
                        if records or following > positions[p]:
                            got = True
                            pending.extend(records)
                        positions[p] = following
                    self.tail_polled_at = time.monotonic()
                except Exception:  # noqa: BLE001 - the state is in the header; keep retrying
                    stop.wait(1.0)
                    continue
                now = time.monotonic()
                if got:
                    last_got = now
                if pending and now - last_post >= interval:
                    self._post(TailBatch(topic, generation, pending, dict(positions)))
                    pending = []
                    last_post = now
                if not got:
                    # An empty poll right after records arrived is the normal gap between a producer's
                    # writes: poll again at the batch pace. Only a topic quiet for a second is polled every
                    # ``idle_sleep`` (sleeping that long after every gap delayed a busy tail by up to 200 ms,
                    # and the backlog it let build came in batches capped at 500 records a partition).
                    stop.wait(interval if now - last_got < 1.0 else idle_sleep)
                elif pending:
                    stop.wait(max(0.0, interval - (time.monotonic() - last_post)))
            if pending and not stop.is_set():
                self._post(TailBatch(topic, generation, pending, dict(positions)))

        self._run(work, group="tail", name=f"tail {topic}")

    def stop_tail(self) -> None:
        """Stop the live tail, if running (returns at once; the thread ends within one poll)."""
        if self._tail_stop is not None:
            self._tail_stop.set()
            self._tail_stop = None

    @property
    def tailing(self) -> bool:
        """True while a live tail runs."""
        return self._tail_stop is not None

    # ----------------------------------------------------------------- schema registry

    def schema_sync(self, name: str, role: str = "browse") -> TopicSchema | None:
        """The latest version of schema ``name``, None when none is registered under it (blocking)."""
        try:
            info = self.call(role, lambda c: c.get_schema(name))
        except (SchemaError, UnsupportedOperationError):
            return None
        return TopicSchema.from_info(name, info)

    def load_schema(self, topic: str, name: str, generation: int) -> None:
        """Read schema ``name`` for decoding ``topic`` in a worker; posts :class:`SchemaLoaded`."""
        self._in_worker(lambda: self.schema_sync(name),
                        lambda schema: SchemaLoaded(topic, name, generation, schema),
                        lambda error: SchemaLoaded(topic, name, generation, None, error),
                        group="schema", exclusive=True)

    def schema_names_sync(self, role: str = "browse") -> list[str]:
        """The names of every registered schema, sorted (LIST_SCHEMAS gives ``<name>-v<version>`` ids)."""
        try:
            items = self.call(role, lambda c: c.list_schemas())
        except (SchemaError, UnsupportedOperationError):
            return []
        names = set()
        for schema_id, _kind, version in items:
            suffix = f"-v{version}"
            names.add(schema_id[:-len(suffix)] if schema_id.endswith(suffix) else schema_id)
        return sorted(names)

    def list_schemas(self, topic: str) -> None:
        """List the registered schema names in a worker (to choose one for ``topic``); posts
        :class:`SchemasListed`."""
        self._in_worker(self.schema_names_sync, lambda names: SchemasListed(topic, names),
                        lambda error: SchemasListed(topic, [], error), group="schema-list", exclusive=True)

    # ----------------------------------------------------------------- DLQ

    def dlq_sync(self, topic: str, limit: int = 5000, role: str = "browse") -> list[DLQRecord]:
        """Every record of ``<topic>.dlq`` (up to ``limit``), parsed as FlyMQ DLQ entries (FETCH only)."""
        dlq_topic = topic if topic.endswith(DLQ_SUFFIX) else f"{topic}{DLQ_SUFFIX}"
        count = self.call(role, lambda c: c.partitions(dlq_topic))
        out: list[DLQRecord] = []
        for p in range(count):
            low, high = self.call(role, FlyMQClient.watermarks, dlq_topic, p)
            records, _ = self.fetch_page_sync(dlq_topic, p, low, min(limit, high - low), role=role)
            for rec in records:
                out.append(DLQRecord(dlq_topic, p, rec.offset, rec.value, DLQEntry.from_record(dlq_topic,
                                                                                             rec.value)))
        return out

    # ----------------------------------------------------------------- nodes view

    def server_addresses(self) -> list[str]:
        """Every server of the list, as ``host:port``."""
        from pyflymq.connection import format_address, parse_servers

        return [format_address(h, p) for h, p in parse_servers(self.settings.servers)]

    def read_node_sync(self, address: str, timeout_ms: int = NODE_READ_TIMEOUT_MS) -> NodeReading:
        """Read one server's watermarks and committed offsets on a client of its own (blocking).

        Read-only (CLUSTER_METADATA, SUBSCRIBE without a group, FETCH, LIST_GROUPS). Every call is bounded
        by ``timeout_ms`` and the whole node by :data:`NODE_READ_BUDGET_S`; a node that cannot be reached
        comes back with its ``error``, a partition that fails on its own with an error in its cell."""
        kwargs = self.settings.client_kwargs(timeout_ms=timeout_ms)
        kwargs.update(retries=1, connect_timeout_ms=timeout_ms)
        deadline = time.monotonic() + NODE_READ_BUDGET_S
        try:
            client = self._connect_fn(address, **kwargs)
        except Exception as exc:  # noqa: BLE001 - any failure is this node's cell text
            return NodeReading(address, error=_node_error(exc, timeout_ms))
        node_id = None
        try:
            node_id = client.node.node_id
            meta = client.cluster_metadata()
            marks: dict[tuple[str, int], tuple[int, int]] = {}
            cell_errors: dict[tuple[str, int], str] = {}
            for tmeta in meta.topics:
                for pmeta in tmeta.partitions:
                    key = (tmeta.topic, pmeta.partition)
                    if time.monotonic() >= deadline:
                        cell_errors[key] = f"not read: the node took over {NODE_READ_BUDGET_S:g} s"
                        continue
                    try:
                        marks[key] = client.watermarks(*key)
                    except FlyMQConnectionError:
                        raise
                    except FlyMQError as exc:
                        cell_errors[key] = _short_error(exc)
            try:
                groups = {(g.topic, g.group_id): dict(g.offsets) for g in client.list_groups()}
            except (UnsupportedOperationError, AuthError):
                groups = {}
            return NodeReading(address, node_id, marks, groups, None, cell_errors)
        except Exception as exc:  # noqa: BLE001
            return NodeReading(address, node_id, error=_node_error(exc, timeout_ms))
        finally:
            try:
                client.close()
            except Exception:  # noqa: BLE001
                pass

    def compare_nodes(self) -> None:
        """Read every server of the list at once, each on its own client; posts :class:`NodesCompared` (a
        failure of the whole reading is every node's error)."""
        addresses = self.server_addresses()

        def read() -> list[NodeReading]:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=len(addresses), thread_name_prefix="flytui-node") as pool:
                return list(pool.map(self.read_node_sync, addresses))

        self._in_worker(read, NodesCompared,
                        lambda error: NodesCompared([NodeReading(address, error=error) for address in addresses]),
                        group="nodes", exclusive=True)

    def load_dlq(self, topic: str, generation: int) -> None:
        """Read the DLQ of ``topic`` in a worker; posts :class:`DeadLettersLoaded` (at once, with the dead
        letters read before the app ran, the first time they are asked for)."""
        first, self._first_dlq = self._first_dlq, None
        if first is not None and first[0] == topic:
            self._post(DeadLettersLoaded(topic, generation, first[1]))
            return

        def read() -> list[DLQRecord]:
            from pyflymq.errors import TopicNotFoundError

            try:
                return self.dlq_sync(topic)
            except TopicNotFoundError:  # no dead letters yet
                return []

        self._in_worker(read, lambda records: DeadLettersLoaded(topic, generation, records),
                        lambda error: DeadLettersLoaded(topic, generation, [], error), group="dlq", exclusive=True)

    def replay_sync(self, records: list[DLQRecord]) -> tuple[int, list[str]]:
        """Replay DLQ records to their original topics; returns (replayed, problems)."""
        self._check_writable("replaying dead letters")
        done, problems = 0, []
        for rec in records:
            target = rec.original_topic
            entry = rec.entry
            if entry is None:
                problems.append(f"offset {rec.offset}: not a FlyMQ DLQ record, skipped")
                continue
            replayed = False
            if self._dlq_server_ops is not False and entry.id:
                try:
                    base = rec.dlq_topic[: -len(DLQ_SUFFIX)] if rec.dlq_topic.endswith(DLQ_SUFFIX) else target
                    self.call("admin", FlyMQClient.replay_dlq, base, entry.id)
                    replayed = True
                    self._dlq_server_ops = True
                except (DLQError, UnsupportedOperationError) as exc:
                    if "not enabled" in str(exc).lower() or isinstance(exc, UnsupportedOperationError):
                        self._dlq_server_ops = False
                    # any other refusal (e.g. "message not found") falls back to a plain produce
            if not replayed:
                self.call("admin", FlyMQClient.produce, target, entry.value)
            done += 1
        return done, problems

    def replay(self, records: list[DLQRecord]) -> None:
        """Replay in a worker; posts :class:`ReplayDone` or :class:`ReplayFailed`."""
        self._check_writable("replaying dead letters")
        target = records[0].original_topic if records else ""
        self._in_worker(lambda: self.replay_sync(records), lambda result: ReplayDone(target, *result),
                        lambda error: ReplayFailed(target, error), group="admin")

    def purge_sync(self, topic: str) -> None:
        """Delete every dead letter of ``topic`` (PURGE_DLQ, else delete ``<topic>.dlq``)."""
        self._check_writable("purging the dead-letter queue")
        base = topic[: -len(DLQ_SUFFIX)] if topic.endswith(DLQ_SUFFIX) else topic
        if self._dlq_server_ops is not False:
            try:
                self.call("admin", lambda c: c.purge_dlq(base))
                self._dlq_server_ops = True
                return
            except (DLQError, UnsupportedOperationError) as exc:
                if not ("not enabled" in str(exc).lower() or isinstance(exc, UnsupportedOperationError)):
                    raise
                self._dlq_server_ops = False
        self.call("admin", lambda c: c.delete_topic(f"{base}{DLQ_SUFFIX}"))

    def purge(self, topic: str) -> None:
        """Purge in a worker; posts :class:`PurgeDone` or :class:`PurgeFailed`."""
        self._check_writable("purging the dead-letter queue")
        self._in_worker(lambda: self.purge_sync(topic), lambda _: PurgeDone(topic),
                        lambda error: PurgeFailed(topic, error), group="admin")

    # ----------------------------------------------------------------- produce

    def produce(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        """Produce one record in a worker; posts :class:`ProduceDone` or :class:`ProduceFailed`."""
        self._check_writable("producing")
        self._in_worker(lambda: self.call("admin", lambda c: c.produce(topic, value, key=key)),
                        lambda meta: ProduceDone(topic, meta.partition, meta.offset),
                        lambda error: ProduceFailed(topic, error), group="admin")

    # ----------------------------------------------------------------- commits

    def commit_state_sync(self, topic: str, group: str,
                          role: str = "admin") -> tuple[dict[int, PartitionState], int]:
        """Per partition (low, high, committed) and the member count of ``group`` on ``topic``."""
        from pyflymq.errors import GroupNotFoundError

        from .offset_plan import PartitionState

        count = self.call(role, lambda c: c.partitions(topic))
        try:
            info = self.call(role, lambda c: c.describe_group(topic, group))
            members, offsets = info.members, dict(info.offsets)
        except GroupNotFoundError:
            members, offsets = 0, {}
        states: dict[int, PartitionState] = {}
        for p in range(count):
            low, high = self.call(role, FlyMQClient.watermarks, topic, p)
            states[p] = PartitionState(low=low, high=high, committed=offsets.get(p))
        return states, members

    def load_commit_state(self, topic: str, group: str, request: CommitRequest) -> None:
        """Read the state the plan of ``request`` needs, in a worker; posts :class:`CommitStateLoaded`."""
        self._in_worker(lambda: self.commit_state_sync(topic, group),
                        lambda state: CommitStateLoaded(topic, group, *state, "", request),
                        lambda error: CommitStateLoaded(topic, group, {}, 0, error, request),
                        group="commit-state", exclusive=True)

    def execute_commit_sync(self, topic: str, group: str, changes: dict[int, int],
                            planned: Iterable[int] | None = None, *, previous: dict[int, int | None] | None = None,
                            kind: str = "commit") -> tuple[dict[int, int | None], dict[int, str], int]:
        """Save the offsets it replaces to the commit journal, commit each changed partition, then read the
        committed offset of every planned partition back.

        The replaced offsets are read again just before committing (``previous``, the plan's, is the
        fallback when that read fails). If the journal cannot be written nothing is committed:
        :class:`~flytui.commit_journal.JournalError`.
        """
        from pyflymq.errors import GroupNotFoundError

        from .commit_journal import append_commit

        self._check_writable("committing offsets")
        replaced: dict[int, int | None]
        try:
            replaced = dict(self.call("admin", lambda c: c.describe_group(topic, group)).offsets)
        except GroupNotFoundError:
            replaced = {}
        except FlyMQError:
            replaced = dict(previous or {})
        append_commit(self.settings.servers, topic, group,
                      {p: (replaced.get(p), new) for p, new in changes.items()}, kind=kind)
        errors: dict[int, str] = {}
        for partition, offset in sorted(changes.items()):
            try:
                self.call("admin", FlyMQClient.commit_offset, topic, group, partition, offset)
            except FlyMQError as exc:
                errors[partition] = describe_error(exc, self.settings)
        readback: dict[int, int | None] = {}
        members = 0
        try:
            info = self.call("admin", lambda c: c.describe_group(topic, group))
            members = info.members
            known = dict(info.offsets)
        except FlyMQError:
            known = {}
        for partition in sorted(set(planned or ()) | set(changes)):
            try:
                readback[partition] = self.call(
                    "admin", FlyMQClient.get_committed_offset, topic, group, partition)
            except FlyMQError as exc:
                readback[partition] = known.get(partition)
                errors.setdefault(partition, f"read-back failed: {describe_error(exc, self.settings)}")
        return readback, errors, members

    def execute_commit(self, plan: CommitPlan, kind: str = "commit") -> None:
        """Execute a :class:`~flytui.offset_plan.CommitPlan` in a worker: journal the offsets it replaces
        (``kind``: ``commit``, ``undo`` or ``file``), COMMIT per changed partition, then GET_OFFSET per planned
        partition; posts :class:`CommitExecuted` with the read-back."""
        self._check_writable("committing offsets")
        changes = dict(plan.offsets)
        planned = [row.partition for row in plan.rows]
        previous = {row.partition: row.current for row in plan.rows}

        from .commit_journal import JournalError

        self._in_worker(lambda: self.execute_commit_sync(plan.topic, plan.group, changes, planned,
                                                         previous=previous, kind=kind),
                        lambda result: CommitExecuted(plan, *result),
                        lambda error: CommitExecuted(plan, {}, {row.partition: error for row in plan.rows}),
                        group="admin", texts=((JournalError, lambda exc: f"{exc}: nothing was committed"),))

    def group_offsets_sync(self, topic: str, group: str, role: str = "admin") -> dict[int, int]:
        """``{partition: committed offset}`` of ``group`` on ``topic`` (DESCRIBE_GROUP; raises
        GroupNotFoundError for an unknown group)."""
        return dict(self.call(role, lambda c: c.describe_group(topic, group)).offsets)

    def export_group_offsets(self, topic: str, group: str, path: str, *, overwrite: bool = False) -> None:
        """Write ``group``'s committed offsets on ``topic`` to a CSV file (``topic,partition,offset``) in a
        worker; posts :class:`OffsetsSaved`. Reads only."""
        from .offset_files import format_offsets_csv, write_offsets_file

        def save() -> int:
            offsets = self.group_offsets_sync(topic, group)
            if not offsets:
                raise FlyMQError(f"group {group!r} has no committed offset on {topic}")
            write_offsets_file(path, format_offsets_csv(topic, offsets), overwrite=overwrite)
            return len(offsets)

        self._in_worker(save, lambda count: OffsetsSaved(topic, group, path, count),
                        lambda error: OffsetsSaved(topic, group, path, 0, error), group="export-offsets",
                        texts=((FileExistsError, lambda _: f"{path} already exists; choose another name"),))

    # ----------------------------------------------------------------- export

    def export(self, topic: str, partitions: dict[int, tuple[int, int]], path: str, *,
               overwrite: bool = False, records: list[Record] | None = None,
               filter: str | None = None) -> threading.Event:
        """Export to a JSONL file in a worker; posts :class:`ExportProgress` (at most ~10 a second).

        Either ``records`` (already loaded, e.g. the current view) or ``{partition: (start, end)}`` ranges
        of ``topic`` that are fetched page by page (only the server-side ``filter``'s matches, if given).
        Returns an event; setting it cancels the export.
        """
        from .export import ExportCancelled, write_jsonl

        cancel = threading.Event()
        total = len(records) if records is not None else sum(max(0, e - s) for s, e in partitions.values())

        def fetched() -> Iterable[Record]:
            for partition, (start, end) in sorted(partitions.items()):
                position = start
                while position < end and not cancel.is_set():
                    want = min(FETCH_PAGE_MAX, end - position)
                    records, following = self.call("browse", _filtered_fetch, topic, partition, position, want,
                                                   filter)
                    yield from (m for m in records if m.offset < end)
                    if following <= position:
                        break
                    position = following

        last = [0.0]

        def progress(done: int) -> bool:
            now = time.monotonic()
            if now - last[0] >= 0.1:
                last[0] = now
                self._post(ExportProgress(path, done, total))
            return not cancel.is_set()

        def write() -> Message:
            try:
                written = write_jsonl(path, records if records is not None else fetched(), progress,
                                      overwrite=overwrite)
            except ExportCancelled as exc:  # the user's choice, not a failure
                return ExportProgress(path, exc.written, total, True, "cancelled; no file was written")
            return ExportProgress(path, written, total, True)

        self._in_worker(write, lambda finished: finished,
                        lambda error: ExportProgress(path, 0, total, True, error), group="export",
                        texts=((FileExistsError, lambda _: f"{path} already exists; choose another name"),))
        return cancel
