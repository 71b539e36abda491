"""Op dispatch: one request payload in, one response frame out (flymq-wire §2).

:meth:`Dispatcher.handle` never raises. Every failure becomes an error frame in the shape the real server
uses: E1 raw text for core, group, DLQ, transaction and decode errors, E2 for schema errors, E3 for AUTH
decode errors and CLUSTER_METADATA errors. Where the real server crashes (§3.10) the broker answers instead:
negative partitions, negative partition counts, AUTH with auth off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from pyflymq import wire
from pyflymq.errors import DecodeError
from pyflymq.models import AuthResult, ClusterMetadata, PartitionMetadata, SchemaInfo, TopicMetadata
from pyflymq.wire import Op

from .auth import Authenticator, User
from .compression import GzipError, gunzip
from .dlq import DLQ_SUFFIX, REPLAY_SCAN, DLQRecord, parse_dlq_record
from .errors import OpError
from .filters import MatcherCache
from .log import check_record_size
from .produce_run import write_run
from .replies import ProduceReplies, error_frame, frame, go_duration, record_metadata
from .schema import Registry, validate
from .state import BrokerState
from .throttle import TOO_MANY_FAILURES, LoginThrottle
from .transactions import Coordinator

log = logging.getLogger("pyflymq.broker")

_NAME_CACHE = 4096
_split_produce = wire.split_produce_request
MAX_DELAY_MS = 24 * 3600 * 1000


@dataclass
class Session:
    """Per-connection state: the peer (the member id), the signed-in user, the last group subscribed, and
    failed logins since the last good one."""

    peer: str
    user: User | None = None
    last_group: tuple[str, str] | None = None
    failed_logins: int = 0


@dataclass
class Options:
    """Broker features, all off by default as on the real server."""

    dlq: bool = False
    transactions: bool = False
    delayed: bool = False
    schemas: bool = False
    node_id: str = "local-1"
    advertised_addr: str = ":9092"


def _wrap_i64(value: int) -> int:
    """Go's int64 overflow: a delay in ms times 10^6 wraps around."""
    return ((value + (1 << 63)) % (1 << 64)) - (1 << 63)


class Dispatcher:
    """Answers requests against a :class:`BrokerState`; ``schedule(delay_s, fn)`` runs delayed deliveries."""

    def __init__(self, state: BrokerState, options: Options, authenticator: Authenticator,
                 schedule: Callable[[float, Callable[[], object]], object] | None = None) -> None:
        self.state = state
        self.options = options
        self.auth = authenticator
        self._auth_on = authenticator.enabled
        self.login_throttle = LoginThrottle()
        self.schedule = schedule
        self.registry = Registry()
        self.coordinator = Coordinator() if options.transactions else None
        self._matchers = MatcherCache()
        self._names: dict[bytes, str] = {}
        self._produce_replies = ProduceReplies(Op.PRODUCE)
        # a subclass that writes records its own way (cluster mode) gets no run path
        self._runs_allowed = type(self).produce is Dispatcher.produce
        self._table: dict[int, Callable[[Session, bytes], bytes]] = {
            Op.PRODUCE: self.produce,
            Op.CONSUME: partial(self.consume, reply_op=Op.CONSUME),
            Op.CONSUME_ZERO_COPY: partial(self.consume, reply_op=Op.CONSUME_ZERO_COPY),
            Op.CREATE_TOPIC: self.create_topic,
            Op.SUBSCRIBE: self.subscribe,
            Op.COMMIT: self.commit,
            Op.FETCH: partial(self.fetch, reply_op=Op.FETCH),
            Op.FETCH_BINARY: partial(self.fetch, reply_op=Op.FETCH_BINARY),
            Op.LIST_TOPICS: self.list_topics,
            Op.DELETE_TOPIC: self.delete_topic,
            Op.REGISTER_SCHEMA: self.register_schema,
            Op.GET_SCHEMA: self.get_schema,
            Op.LIST_SCHEMAS: self.list_schemas,
            Op.VALIDATE_SCHEMA: self.validate_schema,
            Op.PRODUCE_WITH_SCHEMA: self.produce_with_schema,
            Op.DELETE_SCHEMA: self.delete_schema,
            Op.FETCH_DLQ: self.fetch_dlq,
            Op.REPLAY_DLQ: self.replay_dlq,
            Op.PURGE_DLQ: self.purge_dlq,
            Op.PRODUCE_DELAYED: self.produce_delayed,
            Op.PRODUCE_WITH_TTL: self.produce_with_ttl,
            Op.TXN_BEGIN: self.txn_begin,
            Op.TXN_COMMIT: self.txn_commit,
            Op.TXN_ABORT: self.txn_abort,
            Op.TXN_PRODUCE: self.txn_produce,
            Op.CLUSTER_METADATA: self.cluster_metadata,
            Op.GET_OFFSET: self.get_offset,
            Op.RESET_OFFSET: self.reset_offset,
            Op.LIST_GROUPS: self.list_groups,
            Op.DESCRIBE_GROUP: self.describe_group,
            Op.GET_LAG: self.get_lag,
            Op.DELETE_GROUP: self.delete_group,
            Op.AUTH: self.authenticate,
            Op.WHOAMI: self.whoami,
        }

    # ------------------------------------------------------------------------------------ entry

    def handle(self, session: Session, op: int, flags: int, payload: bytes) -> bytes:
        """The response frame for one request. Never raises."""
        try:
            handler = self._table.get(op)
            if handler is None:
                return error_frame(f"unknown opcode: {op}")
            if self._auth_on:  # before any decoding: nothing is parsed for a stranger
                self.auth.authorize(session.user, op)
            if flags & wire.FLAG_GZIP:
                payload = gunzip(payload)
            return handler(session, payload)
        except OpError as exc:
            return error_frame(exc.text, exc.shape)
        except (DecodeError, GzipError) as exc:
            return error_frame(str(exc))
        except Exception as exc:  # a bug must cost one request, not the broker
            log.exception("internal error handling op %d", op)
            return error_frame(f"internal error: {exc}")

    def handle_produce_run(self, session: Session, payloads: list[bytes]) -> list[bytes]:
        """The reply frames for consecutive PRODUCE payloads (no gzip flag), in order: each the frame
        :meth:`handle` would give it (a lone frame is given to it). Never raises."""
        if len(payloads) < 2 or not self._runs_allowed or self._auth_on or self.state.storage is not None:
            return [self.handle(session, Op.PRODUCE, wire.FLAG_BINARY, payload) for payload in payloads]
        try:
            return write_run(self.state, self._produce_replies, self._topic_name, payloads,
                             partial(self.handle, session, Op.PRODUCE, wire.FLAG_BINARY))
        except Exception as exc:  # a bug must cost these requests, not the broker
            log.exception("internal error handling a run of %d PRODUCE frames", len(payloads))
            return [error_frame(f"internal error: {exc}")] * len(payloads)

    def connection_closed(self, session: Session) -> None:
        """Drop the connection from the last group it subscribed to (only that one, as FlyMQ does)."""
        if session.last_group is not None:
            self.state.leave(session.peer, *session.last_group)

    # ------------------------------------------------------------------------------------ records

    def _produce_keyless(self, topic: str, value: bytes) -> int:
        return self.state.produce(topic, b"", value)[1]

    def _topic_name(self, raw: bytes) -> str:
        name = self._names.get(raw)
        if name is None:
            if len(self._names) >= _NAME_CACHE:
                self._names.clear()
            name = self._names[raw] = raw.decode("utf-8", "surrogateescape")
        return name

    def produce(self, session: Session, payload: bytes) -> bytes:
        """PRODUCE: the partition field is ignored; key hash or round-robin decides."""
        fields = _split_produce(payload)
        if fields is None:
            wire.decode_produce_request(payload)  # raises the decoder's error for this payload
            raise OpError(wire.INVALID_FORMAT)
        topic_raw, key, value = fields
        name = self._names.get(topic_raw) or self._topic_name(topic_raw)
        partition, offset = self.state.produce(name, key, value)
        return self._produce_replies.reply(topic_raw, partition, offset, len(key) if key else -1, len(value))

    def consume(self, session: Session, payload: bytes, reply_op: int = Op.CONSUME) -> bytes:
        """CONSUME / CONSUME_ZERO_COPY: one record, or ``EOF``."""
        req = wire.decode_consume_request(payload)
        return frame(reply_op, self.state.consume(req.topic, req.partition, req.offset))

    def fetch(self, session: Session, payload: bytes, reply_op: int = Op.FETCH) -> bytes:
        """FETCH / FETCH_BINARY: up to max matching records, 1000 scanned at most."""
        req = wire.decode_fetch_request(payload)
        max_messages = req.max_messages if req.max_messages > 0 else 10
        matcher = self._matchers.get(req.filter) if req.filter else None
        entries, next_offset = self.state.fetch(req.topic, req.partition, req.offset, max_messages, matcher)
        return frame(reply_op, wire.encode_fetch_response_encoded(entries, next_offset))

    # ------------------------------------------------------------------------------------ topics

    def create_topic(self, session: Session, payload: bytes) -> bytes:
        """CREATE_TOPIC: idempotent; 0 partitions means 1; negative counts are refused."""
        req = wire.decode_create_topic_request(payload)
        self.state.create_topic(req.topic, req.partitions)
        return frame(Op.CREATE_TOPIC, wire.OK_BYTE)

    def delete_topic(self, session: Session, payload: bytes) -> bytes:
        """DELETE_TOPIC: idempotent; committed offsets stay."""
        topic = wire.decode_topic_request(payload)
        self.state.delete_topic(topic)
        return frame(Op.DELETE_TOPIC, wire.OK_BYTE)

    def list_topics(self, session: Session, payload: bytes) -> bytes:
        """LIST_TOPICS: byte order, ``__`` topics hidden; the payload is ignored."""
        return frame(Op.LIST_TOPICS, wire.encode_list_topics_response(self.state.topic_names(hidden=False)))

    def cluster_metadata(self, session: Session, payload: bytes) -> bytes:
        """CLUSTER_METADATA in its standalone shape; errors are E3."""
        try:
            topic = wire.decode_cluster_metadata_request(payload)
        except DecodeError as exc:
            raise OpError(f"invalid request: {exc}", "E3") from None
        if topic:
            count = self.state.partition_count(topic)
            if count is None:
                raise OpError(f"topic not found: {topic}", "E3")
            topics = [(topic, count)]
        else:
            topics = [(name, self.state.partition_count(name) or 0) for name in self.state.topic_names()]
        node, addr = self.options.node_id, self.options.advertised_addr
        meta = ClusterMetadata("standalone", [
            TopicMetadata(name, [PartitionMetadata(p, node, addr, 1, "online", [node], [node]) for p in range(count)])
            for name, count in topics
        ])
        return frame(Op.CLUSTER_METADATA, wire.encode_cluster_metadata_response(meta))

    # ------------------------------------------------------------------------------------ groups

    def subscribe(self, session: Session, payload: bytes) -> bytes:
        """SUBSCRIBE: registers the connection as a member first, then answers the start position."""
        req = wire.decode_subscribe_request(payload)
        if req.group_id:
            self.state.join(session.peer, req.topic, req.group_id)
            session.last_group = (req.topic, req.group_id)
        offset = self.state.subscribe_position(req.topic, req.group_id, req.partition, req.mode)
        return frame(Op.SUBSCRIBE, wire.encode_u64_response(offset))

    def commit(self, session: Session, payload: bytes) -> bytes:
        """COMMIT: stored verbatim, no checks (but, unlike FlyMQ, it needs the consume permission)."""
        req = wire.decode_commit_request(payload)
        self.state.commit(req.topic, req.group_id, req.partition, req.offset)
        return frame(Op.COMMIT, wire.OK_BYTE)

    def get_offset(self, session: Session, payload: bytes) -> bytes:
        """GET_OFFSET: 0 for a partition never committed; error for an unknown group."""
        req = wire.decode_group_partition_request(payload)
        return frame(Op.GET_OFFSET, wire.encode_u64_response(
            self.state.get_offset(req.topic, req.group_id, req.partition)))

    def reset_offset(self, session: Session, payload: bytes) -> bytes:
        """RESET_OFFSET: ``earliest``, ``latest`` or ``offset``; creates the group."""
        req = wire.decode_reset_offset_request(payload)
        self.state.reset_offset(req.topic, req.group_id, req.partition, req.mode, req.offset)
        return frame(Op.RESET_OFFSET, wire.OK_BYTE)

    def list_groups(self, session: Session, payload: bytes) -> bytes:
        """LIST_GROUPS: every (topic, group) known."""
        return frame(Op.LIST_GROUPS, wire.encode_list_groups_response(self.state.list_groups()))

    def describe_group(self, session: Session, payload: bytes) -> bytes:
        """DESCRIBE_GROUP: members and offsets of one group."""
        req = wire.decode_group_request(payload)
        return frame(Op.DESCRIBE_GROUP, wire.encode_describe_group_response(
            self.state.describe_group(req.topic, req.group_id)))

    def get_lag(self, session: Session, payload: bytes) -> bytes:
        """GET_LAG: committed, latest (highest + 1), lag."""
        req = wire.decode_group_partition_request(payload)
        committed, latest, lag = self.state.get_lag(req.topic, req.group_id, req.partition)
        return frame(Op.GET_LAG, wire.encode_get_lag_response(committed, latest, lag))

    def delete_group(self, session: Session, payload: bytes) -> bytes:
        """DELETE_GROUP: offsets, members and offset file."""
        req = wire.decode_group_request(payload)
        self.state.delete_group(req.topic, req.group_id)
        return frame(Op.DELETE_GROUP, wire.OK_BYTE)

    # ------------------------------------------------------------------------------------ schemas

    def register_schema(self, session: Session, payload: bytes) -> bytes:
        """REGISTER_SCHEMA: reply ``name, type, version``."""
        req = wire.decode_register_schema_request(payload)
        version = self.registry.register(req.name, req.type, req.schema)
        return frame(Op.REGISTER_SCHEMA, wire.encode_register_schema_response(req.name, req.type, version))

    def get_schema(self, session: Session, payload: bytes) -> bytes:
        """GET_SCHEMA: version 0 means the latest."""
        req = wire.decode_name_version_request(payload)
        s = self.registry.get(req.name, req.version)
        info = SchemaInfo(s.id, s.name, s.version, s.type, s.definition, s.compatibility)
        return frame(Op.GET_SCHEMA, wire.encode_get_schema_response(info))

    def list_schemas(self, session: Session, payload: bytes) -> bytes:
        """LIST_SCHEMAS: ids ``<name>-v<version>``; an unreadable payload lists everything."""
        try:
            name = wire.decode_list_schemas_request(payload)
        except DecodeError:
            name = ""
        items = [(s.id, s.type, s.version) for s in self.registry.list(name)]
        return frame(Op.LIST_SCHEMAS, wire.encode_list_schemas_response(items))

    def validate_schema(self, session: Session, payload: bytes) -> bytes:
        """VALIDATE_SCHEMA against the latest version; a name with no schema validates."""
        req = wire.decode_validate_schema_request(payload)
        schema = self.registry.latest(req.name)
        errors = validate(schema, req.data) if schema is not None else []
        return frame(Op.VALIDATE_SCHEMA, wire.encode_validate_schema_response(not errors, errors))

    def produce_with_schema(self, session: Session, payload: bytes) -> bytes:
        """PRODUCE_WITH_SCHEMA: validated only when schema validation is on; unknown schemas pass."""
        req = wire.decode_produce_with_schema_request(payload)
        if self.options.schemas:
            schema = self.registry.latest(req.schema)
            errors = validate(schema, req.value) if schema is not None else []
            if errors:
                raise OpError(f"schema validation failed: [{' '.join(errors)}]", "E2")
        offset = self._produce_keyless(req.topic, req.value)
        return record_metadata(Op.PRODUCE_WITH_SCHEMA, req.topic, 0, offset, -1, len(req.value))

    def delete_schema(self, session: Session, payload: bytes) -> bytes:
        """DELETE_SCHEMA: one version."""
        req = wire.decode_name_version_request(payload)
        self.registry.delete(req.name, req.version)
        return frame(Op.DELETE_SCHEMA, wire.encode_status_response(True, "OK"))

    # ------------------------------------------------------------------------------------ DLQ

    def _dlq_records(self, topic: str, limit: int) -> list[DLQRecord] | None:
        rows = self.state.head_records(topic + DLQ_SUFFIX, 0, min(limit, wire.SCAN_CAP))
        if rows is None:
            return None
        return [rec for rec in (parse_dlq_record(value) for _key, value in rows) if rec is not None]

    def fetch_dlq(self, session: Session, payload: bytes) -> bytes:
        """FETCH_DLQ: the first records of ``<topic>.dlq`` partition 0; nothing when DLQ is off."""
        req = wire.decode_fetch_dlq_request(payload)
        entries = []
        if self.options.dlq and req.max_messages > 0:
            records = self._dlq_records(req.topic, req.max_messages) or []
            size = 4  # u32 count, then 12 bytes of lengths and retries per entry
            for r in records:  # the reply stops before the frame limit, as FETCH's does
                size += 12 + len(r.id.encode("utf-8", "surrogateescape")) + len(r.payload) \
                    + len(r.error.encode("utf-8", "surrogateescape"))
                if size > wire.MAX_PAYLOAD:
                    break
                entries.append((r.id, r.payload, r.error, r.retries))
        return frame(Op.FETCH_DLQ, wire.encode_fetch_dlq_response(entries))

    def replay_dlq(self, session: Session, payload: bytes) -> bytes:
        """REPLAY_DLQ: re-produce a DLQ record's payload, keyless, to its ``original_topic``."""
        req = wire.decode_replay_dlq_request(payload)
        if not self.options.dlq:
            return frame(Op.REPLAY_DLQ, wire.encode_status_response(False, "DLQ not enabled"))
        records = self._dlq_records(req.topic, REPLAY_SCAN)
        if records is None:
            return frame(Op.REPLAY_DLQ, wire.encode_status_response(
                False, f"topic not found: {req.topic}{DLQ_SUFFIX}"))
        for record in records:
            if record.id == req.message_id:
                try:
                    self._produce_keyless(record.original_topic, record.payload)
                except OpError as exc:  # a store error is a status, never an error frame
                    return frame(Op.REPLAY_DLQ, wire.encode_status_response(False, exc.text))
                return frame(Op.REPLAY_DLQ, wire.encode_status_response(True, "OK"))
        return frame(Op.REPLAY_DLQ, wire.encode_status_response(False, "message not found"))

    def purge_dlq(self, session: Session, payload: bytes) -> bytes:
        """PURGE_DLQ: delete ``<topic>.dlq``."""
        topic = wire.decode_topic_request(payload)
        if not self.options.dlq:
            return frame(Op.PURGE_DLQ, wire.encode_status_response(False, "DLQ not enabled"))
        self.state.delete_topic(topic + DLQ_SUFFIX)
        return frame(Op.PURGE_DLQ, wire.encode_status_response(True, "OK"))

    # ------------------------------------------------------------------------------------ timed writes

    def produce_delayed(self, session: Session, payload: bytes) -> bytes:
        """PRODUCE_DELAYED: scheduled (offset 0 in the reply) when delayed delivery is on, else written now."""
        req = wire.decode_timed_produce_request(payload)
        if self.options.delayed and self.schedule is not None:
            nanos = _wrap_i64(req.millis * 1_000_000)
            if nanos > MAX_DELAY_MS * 1_000_000:
                raise OpError(f"delay {go_duration(nanos)} exceeds maximum allowed delay "
                              f"{go_duration(MAX_DELAY_MS * 1_000_000)}")
            topic, value = req.topic, req.value
            check_record_size(b"", value)  # refused now, not when the delivery comes due
            self.schedule(max(0.0, nanos / 1e9), lambda: self._produce_keyless(topic, value))
            offset = 0
        else:
            offset = self._produce_keyless(req.topic, req.value)
        return record_metadata(Op.PRODUCE_DELAYED, req.topic, 0, offset, -1, len(req.value))

    def produce_with_ttl(self, session: Session, payload: bytes) -> bytes:
        """PRODUCE_WITH_TTL: written now; the TTL has no effect."""
        req = wire.decode_timed_produce_request(payload)
        offset = self._produce_keyless(req.topic, req.value)
        return record_metadata(Op.PRODUCE_WITH_TTL, req.topic, 0, offset, -1, len(req.value))

    # ------------------------------------------------------------------------------------ transactions

    def txn_begin(self, session: Session, payload: bytes) -> bytes:
        """TXN_BEGIN: ``txn-producer-…`` with the coordinator, ``txn-<nanos>`` without."""
        txn_id = self.coordinator.begin() if self.coordinator else f"txn-{time.time_ns()}"
        return frame(Op.TXN_BEGIN, wire.encode_txn_response(txn_id, True))

    def txn_commit(self, session: Session, payload: bytes) -> bytes:
        """TXN_COMMIT: writes the buffered messages; success 0 when the transaction cannot commit, or when a
        write fails (the writes before it stay, the transaction ends aborted, as FlyMQ's coordinator does)."""
        txn_id = wire.decode_txn_id_request(payload)
        ok = True
        if self.coordinator:
            writes = self.coordinator.commit(txn_id)
            ok = writes is not None
            try:
                for topic, value in writes or []:
                    self._produce_keyless(topic, value)
            except OpError:
                self.coordinator.write_failed(txn_id)
                ok = False
        return frame(Op.TXN_COMMIT, wire.encode_txn_response(txn_id, ok))

    def txn_abort(self, session: Session, payload: bytes) -> bytes:
        """TXN_ABORT: discards the buffer."""
        txn_id = wire.decode_txn_id_request(payload)
        ok = self.coordinator.abort(txn_id) if self.coordinator else True
        return frame(Op.TXN_ABORT, wire.encode_txn_response(txn_id, ok))

    def txn_produce(self, session: Session, payload: bytes) -> bytes:
        """TXN_PRODUCE: buffered (offset 0) with the coordinator, written now without it."""
        req = wire.decode_txn_produce_request(payload)
        if self.coordinator:
            check_record_size(b"", req.value)  # refused now, not at TXN_COMMIT
            self.coordinator.add(req.txn_id, req.topic, req.value)
            offset = 0
        else:
            offset = self._produce_keyless(req.topic, req.value)
        return record_metadata(Op.TXN_PRODUCE, req.topic, 0, offset, -1, len(req.value))

    # ------------------------------------------------------------------------------------ auth

    def authenticate(self, session: Session, payload: bytes) -> bytes:
        """AUTH, answered with op 0x71; bad credentials are a reply, not an error frame. Failed logins slow
        the next attempts down (:mod:`.throttle`)."""
        try:
            req = wire.decode_auth_request(payload)
        except DecodeError as exc:
            raise OpError(f"invalid auth request: {exc}", "E3") from None
        if not self.auth.enabled:
            result = AuthResult(False, "", [], "authentication is not enabled")
        elif not self.login_throttle.before_attempt(req.username, session.failed_logins):
            session.failed_logins += 1  # hammering on a refused name slows this connection down too
            result = AuthResult(False, "", [], TOO_MANY_FAILURES)
        else:
            try:
                user = self.auth.authenticate(req.username, req.password)
            except OpError as exc:
                session.failed_logins += 1
                self.login_throttle.failed(req.username)
                result = AuthResult(False, "", [], exc.text)
            else:
                session.failed_logins = 0
                self.login_throttle.succeeded(req.username)
                session.user = user
                result = AuthResult(True, user.name, list(user.roles), "")
        return frame(Op.AUTH_RESPONSE, wire.encode_auth_response(result))

    def whoami(self, session: Session, payload: bytes) -> bytes:
        """WHOAMI: the AUTH reply layout for the connection's user."""
        user = session.user
        result = AuthResult(True, user.name, list(user.roles), "") if user else AuthResult(False, "", [], "")
        return frame(Op.WHOAMI, wire.encode_auth_response(result))
