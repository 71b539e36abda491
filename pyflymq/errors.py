"""The pyflymq error hierarchy and the mapping from FlyMQ server error texts to it.

Every error pyflymq raises derives from :class:`FlyMQError`. No name shadows a Python built-in:
the connection error is :class:`FlyMQConnectionError`, the timeout :class:`FlyMQTimeoutError`.
Errors that come from a server error frame keep the server's whole text in ``server_text``.
"""

from __future__ import annotations

import re
from typing import TypedDict


class FlyMQError(Exception):
    """Base class of every error raised by pyflymq."""


class AuthDisabledWarning(UserWarning):
    """Credentials were given but the server has authentication off, so pyflymq connected without logging
    in (it never sends AUTH to such a server: FlyMQ 1.26 crashes on it, flymq-wire §3.10)."""


class FlyMQConnectionError(FlyMQError):
    """The server could not be reached, or the connection broke mid-request.

    ``outcome_unknown`` is True when the failed request was a write (produce and friends, commit, offset
    reset, topic or group deletion, DLQ replay or purge, transaction steps) that had already been sent whole:
    the server may or may not have applied it, and the message says so. Read it back before writing again
    (see the README's pyflymq section on idempotent produce).
    """

    outcome_unknown: bool = False


class NodeChangedError(FlyMQConnectionError):
    """The client had to move to another node of a FlyMQ cluster, whose log is a different one.

    FlyMQ 1.26 replicates topic metadata but not records or committed offsets (flymq-wire §7): the same
    (topic, partition, offset) holds different records on different nodes. So the first data call after the
    move raises this instead of silently answering from the new node; ``previous`` and ``current`` are the
    two nodes (:class:`~pyflymq.NodeInfo`). The call was not carried out; the next one works on the new node.
    Clients made with ``on_node_change="follow"`` never raise it.
    """

    def __init__(self, message: str, *, previous: object = None, current: object = None):
        super().__init__(message)
        self.previous = previous
        self.current = current


class FlyMQTimeoutError(FlyMQConnectionError):
    """The server did not answer within the configured timeout.

    ``timeout_ms`` bounds a whole request (sending it and reading the whole reply), not each socket read; at
    connect, the total connect budget. ``outcome_unknown`` tells whether a write may have been applied;
    ``request_sent`` whether the whole request had gone out before the time was up.
    """

    request_sent: bool = False


class TLSConfigurationError(FlyMQConnectionError):
    """A TLS connection could not be set up: plain client on a TLS port or the reverse, a certificate that
    does not name the server, one signed by an unknown CA, a missing or rejected client certificate.
    The message names the address and what to check."""


class ProtocolError(FlyMQError):
    """Bytes on the wire that do not follow the FlyMQ protocol (bad magic, bad version, truncated frame)."""


class FrameTooLargeError(ProtocolError):
    """A frame's payload is larger than the limit that applies: FlyMQ's 32 MiB, or a smaller cap the reader
    was given (``limit``). ``length`` is the payload size announced or attempted, when known."""

    def __init__(self, message: str, *, length: int | None = None, limit: int | None = None):
        super().__init__(message)
        self.length = length
        self.limit = limit


class DecodeError(ProtocolError):
    """A payload could not be decoded. ``str(err)`` is the text the FlyMQ server uses for the same fault."""


class EncodeError(FlyMQError, ValueError):
    """A value cannot be written in the wire layout asked for (a string too long for its length prefix).
    Raised before anything is sent; also a :class:`ValueError`, since the caller's value is at fault."""


class ServerError(FlyMQError):
    """The server answered with an error frame.

    ``server_text`` is the server's message, unabridged; ``shape`` is ``"E1"``, ``"E2"`` or ``"E3"``
    (flymq-wire §1.6); ``code`` is the E3 code or ``None``.
    """

    def __init__(self, server_text: str, *, shape: str = "E1", code: int | None = None, op: int | None = None):
        super().__init__(server_text)
        self.server_text = server_text
        self.shape = shape
        self.code = code
        self.op = op


class TopicNotFoundError(ServerError):
    """The topic does not exist (reads never auto-create topics)."""


class PartitionNotFoundError(ServerError):
    """The partition number is outside the topic's partition count."""


class GroupNotFoundError(ServerError):
    """The (topic, consumer group) pair is unknown to the server."""


class NotLeaderError(ServerError):
    """In cluster mode, the contacted node is not the leader for this request: ``not leader: …`` (topic
    changes go to the Raft leader) or ``not partition leader: …`` (the node does not lead the partition its
    PRODUCE picked). ``leader_addr`` is the address the server named, or None; for ``not partition leader`` it
    is a Raft port that a client must never connect to. ``no_leader`` is True for ``no leader elected``."""

    @property
    def partition_leader(self) -> bool:
        """True for ``not partition leader`` (the record could not be placed on this node)."""
        return self.server_text.startswith("not partition leader")

    @property
    def leader_addr(self) -> str | None:
        """The ``leader_addr=`` the server named, or None."""
        match = _LEADER_ADDR_RE.search(self.server_text)
        return match.group(1) if match else None

    @property
    def no_leader(self) -> bool:
        """True while the cluster has no elected leader (``not leader: no leader elected``)."""
        return "no leader elected" in self.server_text


class UnsupportedOperationError(ServerError):
    """The server does not implement this opcode (``unknown opcode: N``)."""


class AuthError(ServerError):
    """Base for authentication and authorization failures."""


class AuthenticationError(AuthError):
    """Login rejected, or the server requires a login first."""


class AuthNotEnabledError(AuthenticationError):
    """Credentials were given with ``require_auth=True`` but the server has authentication off.

    pyflymq never sends AUTH to such a server: FlyMQ 1.26 crashes on it (flymq-wire §3.10).
    """


class AuthorizationError(AuthError):
    """The signed-in user lacks the permission for this operation."""


class TransactionError(ServerError):
    """A transaction operation failed (unknown or inactive transaction, commit/abort refused)."""


class SchemaError(ServerError):
    """A schema registry operation failed, or a value failed schema validation."""


class DLQError(ServerError):
    """A dead-letter-queue operation was refused (``success = 0``), e.g. ``DLQ not enabled``."""


class ProduceError(ServerError):
    """A write failed on the server. FlyMQ answers ``EOF`` when a partition's segment index is full."""


class ConsumerError(FlyMQError):
    """Base for consumer-side failures."""


class OffsetOutOfRangeError(ConsumerError):
    """A read position lies outside the partition's log.

    ``topic``, ``partition``, ``offset`` locate the position; ``low`` and ``high`` are the partition's
    watermarks when known. CONSUME at an offset with no record (server text ``EOF``) raises this too.
    """

    def __init__(self, message: str, *, topic: str | None = None, partition: int | None = None,
                 offset: int | None = None, low: int | None = None, high: int | None = None,
                 server_text: str | None = None):
        super().__init__(message)
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.low = low
        self.high = high
        self.server_text = server_text


class ConsumerConnectionError(ConsumerError, FlyMQConnectionError):
    """A consumer lost its connection to the server (or could not reach it) while polling or committing.

    It is both a :class:`ConsumerError`, so the seed's recovery pattern (``except ConsumerError``: wait and
    build a new consumer) catches it, and a :class:`FlyMQConnectionError`. ``__cause__`` is the original error.
    """


_LEADER_ADDR_RE = re.compile(r"leader_addr=(\S+)")
_PARTITION_RE = re.compile(r"^partition -?\d+ (not found|out of range)")

# op codes used by the mapping below (kept numeric so this module has no import of wire.py)
_OP_PRODUCE_FAMILY = {0x01, 0x14, 0x30, 0x35, 0x43}
_OP_CONSUME = {0x02, 0x0A}


class _FrameFields(TypedDict):
    """The error frame's fields every :class:`ServerError` takes besides its text."""

    shape: str
    code: int | None
    op: int | None


def _with_server_text(error: ServerError, text: str) -> ServerError:
    """Keep the server's own words in ``server_text`` when the message itself is reworded."""
    error.server_text = text
    return error


def error_from_server(text: str, *, shape: str = "E1", code: int | None = None,
                      op: int | None = None) -> FlyMQError:
    """Map an error frame's text to the most specific pyflymq error, keeping the whole text.

    ``op`` is the request's opcode: ``EOF`` means end of log for CONSUME but a failed write for PRODUCE.
    """
    kwargs: _FrameFields = {"shape": shape, "code": code, "op": op}
    if text == "EOF":
        if op in _OP_CONSUME:
            return OffsetOutOfRangeError("no record at this offset (server: EOF)", server_text=text)
        if op in _OP_PRODUCE_FAMILY:
            return _with_server_text(ProduceError(
                "write failed on the server (server: EOF; the partition's segment may be full)", **kwargs), text)
        return ServerError(text, **kwargs)
    if text.startswith("topic not found"):
        return TopicNotFoundError(text, **kwargs)
    if _PARTITION_RE.match(text):
        return PartitionNotFoundError(text, **kwargs)
    if text.startswith("consumer group not found"):
        return GroupNotFoundError(text, **kwargs)
    if text.startswith("not leader") or text.startswith("not partition leader"):
        return NotLeaderError(text, **kwargs)
    if text.startswith("unknown opcode"):
        return _with_server_text(UnsupportedOperationError(f"not supported by this server ({text})", **kwargs), text)
    if text in ("authentication required", "user account is disabled") or text.startswith(
            "invalid username or password"):
        return AuthenticationError(text, **kwargs)
    if text.startswith("unauthorized") or text.startswith("permission denied"):
        return AuthorizationError(text, **kwargs)
    if text.startswith("transaction"):
        return TransactionError(text, **kwargs)
    if text.startswith("schema") or text.startswith("no schema") or text.startswith("unsupported schema"):
        return SchemaError(text, **kwargs)
    return ServerError(text, **kwargs)

