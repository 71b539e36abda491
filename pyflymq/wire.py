"""Sans-I/O codec for the FlyMQ binary protocol (flymq-wire.md).

Pure functions over bytes, shared by the client and the test broker. For every op there is an
``encode_<op>_request`` / ``decode_<op>_request`` pair and an ``encode_<op>_response`` /
``decode_<op>_response`` pair; payloads exclude the 8-byte header, which :func:`encode_frame` adds and
:func:`parse_header` / :class:`FrameReader` read, for the client's and the broker's read loops as for the tests.
This module is the only place that knows a byte layout. Decoders raise :class:`~pyflymq.errors.DecodeError`
whose text is the FlyMQ server's own (``buffer too small``, ``invalid binary format``); header faults raise
:class:`~pyflymq.errors.ProtocolError`. Nothing else escapes a decoder. Encoders that cannot write a value
(a string too long for its length prefix, an integer out of its field's range) raise
:class:`~pyflymq.errors.EncodeError`.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterator
from enum import IntEnum
from typing import Any, NamedTuple

from .errors import DecodeError, EncodeError, FrameTooLargeError, ProtocolError
from .models import (
    AuthResult,
    ClusterMetadata,
    DLQEntry,
    FetchResult,
    GroupInfo,
    Lag,
    Message,
    PartitionMetadata,
    RecordMetadata,
    SchemaInfo,
    TopicMetadata,
)

MAGIC = 0xAF
VERSION = 0x01
HEADER_SIZE = 8
MAX_PAYLOAD = 32 * 1024 * 1024
FLAG_BINARY = 0x01
FLAG_GZIP = 0x02
SCAN_CAP = 1000  # records a FETCH scans at most

_new_tuple = tuple.__new__


class Op(IntEnum):
    """FlyMQ opcodes (flymq-wire §1.8)."""

    PRODUCE = 0x01
    CONSUME = 0x02
    CREATE_TOPIC = 0x03
    METADATA = 0x04
    SUBSCRIBE = 0x05
    COMMIT = 0x06
    FETCH = 0x07
    LIST_TOPICS = 0x08
    DELETE_TOPIC = 0x09
    CONSUME_ZERO_COPY = 0x0A
    FETCH_BINARY = 0x0B
    REGISTER_SCHEMA = 0x10
    GET_SCHEMA = 0x11
    LIST_SCHEMAS = 0x12
    VALIDATE_SCHEMA = 0x13
    PRODUCE_WITH_SCHEMA = 0x14
    DELETE_SCHEMA = 0x15
    FETCH_DLQ = 0x20
    REPLAY_DLQ = 0x21
    PURGE_DLQ = 0x22
    PRODUCE_DELAYED = 0x30
    CANCEL_DELAYED = 0x31
    PRODUCE_WITH_TTL = 0x35
    TXN_BEGIN = 0x40
    TXN_COMMIT = 0x41
    TXN_ABORT = 0x42
    TXN_PRODUCE = 0x43
    CLUSTER_JOIN = 0x50
    CLUSTER_LEAVE = 0x51
    CLUSTER_STATUS = 0x52
    CLUSTER_METADATA = 0x53
    GET_OFFSET = 0x60
    RESET_OFFSET = 0x61
    LIST_GROUPS = 0x62
    DESCRIBE_GROUP = 0x63
    GET_LAG = 0x64
    DELETE_GROUP = 0x65
    SEEK_TO_TIMESTAMP = 0x66
    AUTH = 0x70
    AUTH_RESPONSE = 0x71
    WHOAMI = 0x72
    ERROR = 0xFF


# ---------------------------------------------------------------------------------------------- framing

_HEADER = struct.Struct(">BBBBI")  # magic, version, op, flags, payload length: the one statement of the header
_pack_header = _HEADER.pack
_unpack_header_from = _HEADER.unpack_from


class Frame(NamedTuple):
    """One decoded frame: opcode, flags, payload."""

    op: int
    flags: int
    payload: bytes


def frame_header(op: int, length: int, flags: int = FLAG_BINARY) -> bytes:
    """The 8-byte header of a frame whose payload is ``length`` bytes. No limit is checked: senders that must
    refuse oversize payloads use :func:`encode_frame` (the broker, like the real server, sends what it built)."""
    return _pack_header(MAGIC, VERSION, op, flags, length)


def encode_frame(op: int, payload: bytes = b"", flags: int = FLAG_BINARY) -> bytes:
    """Header + payload. Refuses payloads over 32 MiB with :class:`FrameTooLargeError`."""
    size = len(payload)
    if size > MAX_PAYLOAD:
        raise FrameTooLargeError(f"frame payload of {size} bytes exceeds FlyMQ's limit of {MAX_PAYLOAD}",
                                 length=size, limit=MAX_PAYLOAD)
    return _pack_header(MAGIC, VERSION, op, flags, size) + payload


def _header_fault(magic: int, version: int, length: int, limit: int) -> ProtocolError:
    """The error for a header that failed the check in :func:`parse_header`."""
    if magic != MAGIC:
        return ProtocolError(f"bad magic byte 0x{magic:02x} (expected 0xaf): is it not a FlyMQ server?")
    if version != VERSION:
        return ProtocolError(f"unsupported protocol version {version} (this side speaks version {VERSION})")
    if length > MAX_PAYLOAD:
        return FrameTooLargeError(f"frame length {length} exceeds FlyMQ's limit of {MAX_PAYLOAD} bytes",
                                  length=length, limit=MAX_PAYLOAD)
    return FrameTooLargeError(f"frame length {length} exceeds this connection's limit of {limit} bytes",
                              length=length, limit=limit)


def parse_header(buf: bytes | bytearray, pos: int = 0, limit: int = MAX_PAYLOAD) -> tuple[int, int, int]:
    """Check the 8-byte header at ``buf[pos:]`` and return ``(op, flags, payload length)``.

    The one header check of both sides: the client's reply reader, the broker's connection loop (through
    :class:`FrameReader`) and the codec tests all call it. ``limit`` caps the payload length below FlyMQ's
    32 MiB (the broker's pre-login cap). Bad magic or version raise :class:`ProtocolError`, a length over the
    limit :class:`FrameTooLargeError` (with ``length`` and ``limit``), fewer than 8 bytes ProtocolError.
    """
    try:
        magic, version, op, flags, length = _unpack_header_from(buf, pos)
    except struct.error:
        raise ProtocolError(f"truncated frame header ({max(0, len(buf) - pos)} of 8 bytes)") from None
    if magic == MAGIC and version == VERSION and length <= limit and length <= MAX_PAYLOAD:
        return op, flags, length
    raise _header_fault(magic, version, length, limit)


class FrameReader:
    """Incremental frame parser: feed it bytes as they arrive, take complete frames out.

    The broker's connection loop reads its requests through :meth:`frames`; the codec tests drive the same
    method (through :meth:`feed` too), so the framing they check is the framing that serves. ``limit`` is the
    largest payload accepted, read again at every header, so a caller may raise it between two frames (the
    broker lifts its pre-login cap once AUTH succeeds). A header that fails :func:`parse_header` raises its
    error; the reader is then unusable, as the stream is out of step.

    Buffering: while no frame is split across reads, frames are sliced straight out of the received
    ``bytes`` (no copy); the start of a split frame is joined with the next read once; a large frame
    arriving in many reads is gathered in one growing buffer instead of being re-joined each time.
    ``limit`` is at most FlyMQ's 32 MiB.
    """

    __slots__ = ("_buf", "limit")

    _GATHER_AT = 256 * 1024  # a partial frame this big is gathered in place rather than joined with each read

    def __init__(self, limit: int = MAX_PAYLOAD) -> None:
        self._buf = bytearray()
        self.limit = min(limit, MAX_PAYLOAD)

    # The payload is always bytes (a slice of the gathered bytearray is copied), but the checker cannot follow
    # view_is_bytes, and a cast or isinstance per frame would cost the broker's hot path: hence Any.
    def frames(self, data: bytes) -> Iterator[tuple[int, int, Any]]:
        """Add received bytes and yield each complete frame, in order, as a plain ``(op, flags, payload)``
        tuple (:meth:`feed` gives :class:`Frame` objects).

        Lazy on purpose: each header is checked (against the current ``limit``) only when the frames before
        it have been taken, and before its payload is waited for. Bytes of an unfinished frame stay buffered
        for the next call, also when the caller stops iterating early.
        """
        buf = self._buf
        if not buf:
            view: bytes | bytearray = data
        elif len(buf) < self._GATHER_AT:  # a frame's start: joined into bytes, so frames slice without copies
            view = bytes(buf) + data
            buf = self._buf = bytearray()
        else:
            buf += data
            view = buf
        view_is_bytes = view is not buf
        end = len(view)
        pos = 0
        unpack = _unpack_header_from
        try:
            while end - pos >= HEADER_SIZE:
                # parse_header's check, inlined: a call per frame costs the broker a tenth of a pipelined PRODUCE
                magic, version, op, flags, length = unpack(view, pos)
                if magic != MAGIC or version != VERSION or length > self.limit:
                    raise _header_fault(magic, version, length, self.limit)
                stop = pos + HEADER_SIZE + length
                if stop > end:
                    break
                payload = view[pos + HEADER_SIZE:stop]
                pos = stop
                yield op, flags, (payload if view_is_bytes else bytes(payload))
        finally:
            if view is buf:
                del buf[:pos]
            elif pos < end:
                self._buf = bytearray(view[pos:])

    def feed(self, data: bytes) -> list[Frame]:
        """Add received bytes; return every frame now complete. Header faults raise ProtocolError."""
        return [Frame._make(frame) for frame in self.frames(data)]

    @property
    def pending(self) -> int:
        """Bytes buffered that do not yet form a complete frame."""
        return len(self._buf)


# ------------------------------------------------------------------------------------------ primitives

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_I32 = struct.Struct(">i")
_U64 = struct.Struct(">Q")
_I64 = struct.Struct(">q")
BUFFER_TOO_SMALL = "buffer too small"
INVALID_FORMAT = "invalid binary format"


def _b(text: str | bytes) -> bytes:
    if isinstance(text, bytes):
        return text
    return text.encode("utf-8", "surrogateescape")


def _s(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def str16(text: str | bytes) -> bytes:
    """``u16 length`` + bytes."""
    raw = _b(text)
    if len(raw) > 0xFFFF:
        raise EncodeError(f"string of {len(raw)} bytes does not fit a u16 length")
    return _U16.pack(len(raw)) + raw


def str8(text: str | bytes) -> bytes:
    """``u8 length`` + bytes."""
    raw = _b(text)
    if len(raw) > 0xFF:
        raise EncodeError(f"string of {len(raw)} bytes does not fit a u8 length")
    return bytes((len(raw),)) + raw


def bytes32(data: bytes | None) -> bytes:
    """``u32 length`` + bytes; None is written as length 0."""
    data = data or b""
    return _U32.pack(len(data)) + data


def u8(v: int) -> bytes:
    """One unsigned byte."""
    return bytes((v & 0xFF,))


def u32(v: int) -> bytes:
    """Big-endian unsigned 32-bit."""
    return _U32.pack(v & 0xFFFFFFFF)


def i32(v: int) -> bytes:
    """Big-endian signed 32-bit."""
    try:
        return _I32.pack(v)
    except struct.error:
        raise EncodeError(f"{v!r} does not fit a signed 32-bit field") from None


def u64(v: int) -> bytes:
    """Big-endian unsigned 64-bit."""
    return _U64.pack(v & 0xFFFFFFFFFFFFFFFF)


def i64(v: int) -> bytes:
    """Big-endian signed 64-bit."""
    try:
        return _I64.pack(v)
    except struct.error:
        raise EncodeError(f"{v!r} does not fit a signed 64-bit field") from None


def bool8(v: bool) -> bytes:
    """``0x01`` or ``0x00``."""
    return b"\x01" if v else b"\x00"


class Reader:
    """Cursor over a payload. Overruns raise ``DecodeError('invalid binary format')``."""

    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes, minimum: int = 0) -> None:
        if len(buf) < minimum:
            raise DecodeError(BUFFER_TOO_SMALL)
        self.buf = buf
        self.pos = 0

    def remaining(self) -> int:
        """Bytes not yet read."""
        return len(self.buf) - self.pos

    def _take(self, n: int) -> bytes:
        pos = self.pos
        end = pos + n
        if end > len(self.buf):
            raise DecodeError(INVALID_FORMAT)
        self.pos = end
        return self.buf[pos:end]

    def _unpack(self, st: struct.Struct) -> int:
        pos = self.pos
        if pos + st.size > len(self.buf):
            raise DecodeError(INVALID_FORMAT)
        self.pos = pos + st.size
        return st.unpack_from(self.buf, pos)[0]

    def u8(self) -> int:
        """Read one unsigned byte."""
        return self._take(1)[0]

    def bool8(self) -> bool:
        """Read a bool8; only 0x01 is true, as in the Go decoders."""
        return self._take(1)[0] == 1

    def u16(self) -> int:
        """Read a u16."""
        return self._unpack(_U16)

    def u32(self) -> int:
        """Read a u32."""
        return self._unpack(_U32)

    def i32(self) -> int:
        """Read an i32."""
        return self._unpack(_I32)

    def u64(self) -> int:
        """Read a u64."""
        return self._unpack(_U64)

    def i64(self) -> int:
        """Read an i64."""
        return self._unpack(_I64)

    def str16(self) -> str:
        """Read a str16 as text (undecodable bytes kept through surrogateescape)."""
        return _s(self._take(self.u16()))

    def str8(self) -> str:
        """Read a str8 as text."""
        return _s(self._take(self.u8()))

    def bytes32(self) -> bytes:
        """Read a bytes32."""
        return self._take(self.u32())

    def rest(self) -> bytes:
        """Everything not yet read."""
        return self._take(self.remaining())


# -------------------------------------------------------------------------------------- error frames


class ErrorFrame(NamedTuple):
    """A decoded 0xFF frame: the text, its shape (E1, E2, E3) and the E3 code."""

    text: str
    shape: str
    code: int | None


def encode_error(text: str, shape: str = "E1", code: int = 1) -> bytes:
    """Encode a full error frame (header included) in the given shape (flymq-wire §1.6). An E3 text longer
    than its u16 length allows is cut to fit; an error frame is never refused."""
    raw = text.encode("utf-8", "surrogateescape")
    if shape == "E3":
        raw = raw[:0xFFFF]
        payload = _I32.pack(code) + _U16.pack(len(raw)) + raw
        return _pack_header(MAGIC, VERSION, Op.ERROR, FLAG_BINARY, len(payload)) + payload
    return _pack_header(MAGIC, VERSION, Op.ERROR, 0x00 if shape == "E1" else FLAG_BINARY, len(raw)) + raw


def decode_error(payload: bytes, flags: int = 0) -> ErrorFrame:
    """Decode an error payload: E3 when ``i32 1 + str16`` fits exactly, otherwise the whole payload is text."""
    if len(payload) >= 6:
        code, length = struct.unpack_from(">iH", payload)
        if code == 1 and 6 + length == len(payload):
            return ErrorFrame(payload[6:].decode("utf-8", "replace"), "E3", code)
    text = payload.decode("utf-8", "replace")
    return ErrorFrame(text, "E2" if flags & FLAG_BINARY else "E1", None)


# ------------------------------------------------------------------------------------------ requests


class ProduceRequest(NamedTuple):
    """PRODUCE 0x01 request."""

    topic: str
    key: bytes
    value: bytes
    partition: int = -1


def encode_produce_request(topic: str, value: bytes, key: bytes | None = None, partition: int = -1) -> bytes:
    """PRODUCE payload: ``str16 topic, bytes32 key, bytes32 value, i32 partition``."""
    return str16(topic) + bytes32(key) + bytes32(value) + i32(partition)


def decode_produce_request(payload: bytes) -> ProduceRequest:
    """Decode a PRODUCE payload (minimum 14 bytes)."""
    r = Reader(payload, 14)
    return ProduceRequest(r.str16(), r.bytes32(), r.bytes32(), r.i32())


def split_produce_request(payload: bytes) -> tuple[bytes, bytes, bytes] | None:
    """``(topic bytes, key, value)`` of a well-formed PRODUCE payload, or None (then
    :func:`decode_produce_request` says why).

    The broker's hot path: plain slicing, no objects. Accepts exactly what :func:`decode_produce_request`
    accepts (trailing bytes after the partition field included).
    """
    end = len(payload)
    if end < 14:
        return None
    key_at = 2 + _U16.unpack_from(payload, 0)[0]
    if key_at + 4 > end:
        return None
    value_len_at = key_at + 4 + _U32.unpack_from(payload, key_at)[0]
    if value_len_at + 4 > end:
        return None
    value_end = value_len_at + 4 + _U32.unpack_from(payload, value_len_at)[0]
    if value_end + 4 > end:
        return None
    return payload[2:key_at], payload[key_at + 4:value_len_at], payload[value_len_at + 4:value_end]


@functools.lru_cache(maxsize=256)
def produce_request_head(topic_length: int, key_length: int, with_key: bool = True) -> struct.Struct:
    """The head of a PRODUCE payload whose topic and key have these lengths, for one ``unpack_from``:
    ``(u16 topic length and topic, u32 key length, key, u32 value length)``; the value follows it.
    ``with_key=False`` skips the key: ``(u16 topic length and topic, u32 key length, u32 value length)``.

    From offset ``2 + topic_length`` to the end of the value, a PRODUCE payload holds exactly the bytes that
    follow the offset in a FETCH record (``bytes32 key, bytes32 value``): ``pack_fetch_record_offset(offset)``
    plus that span is the record as a FETCH reply carries it. The broker's pipelined-produce path uses both.
    """
    return struct.Struct(f">{2 + topic_length}sI{key_length}{'s' if with_key else 'x'}I")


pack_fetch_record_offset = _U64.pack
"""``u64 offset``, the first field of a FETCH record (see :func:`produce_request_head`)."""


@functools.lru_cache(maxsize=256)
def fetch_record_layout(data_length: int) -> struct.Struct:
    """A FETCH record whose ``bytes32 key, bytes32 value`` take ``data_length`` bytes, packed from
    ``(offset, those bytes)``: one ``pack`` instead of :data:`pack_fetch_record_offset` and a concatenation."""
    return struct.Struct(f">Q{data_length}s")


class PartitionOffsetRequest(NamedTuple):
    """CONSUME / CONSUME_ZERO_COPY request."""

    topic: str
    partition: int
    offset: int


def encode_consume_request(topic: str, partition: int, offset: int) -> bytes:
    """CONSUME payload: ``str16 topic, i32 partition, u64 offset``."""
    return str16(topic) + i32(partition) + u64(offset)


def decode_consume_request(payload: bytes) -> PartitionOffsetRequest:
    """Decode a CONSUME payload (minimum 14 bytes)."""
    r = Reader(payload, 14)
    return PartitionOffsetRequest(r.str16(), r.i32(), r.u64())


class CreateTopicRequest(NamedTuple):
    """CREATE_TOPIC request."""

    topic: str
    partitions: int


def encode_create_topic_request(topic: str, partitions: int = 1) -> bytes:
    """CREATE_TOPIC payload: ``str16 topic, i32 partitions``."""
    return str16(topic) + i32(partitions)


def decode_create_topic_request(payload: bytes) -> CreateTopicRequest:
    """Decode a CREATE_TOPIC payload (minimum 6 bytes)."""
    r = Reader(payload, 6)
    return CreateTopicRequest(r.str16(), r.i32())


class SubscribeRequest(NamedTuple):
    """SUBSCRIBE request; an empty mode means ``latest``."""

    topic: str
    group_id: str
    partition: int
    mode: str


def encode_subscribe_request(topic: str, group_id: str, partition: int, mode: str) -> bytes:
    """SUBSCRIBE payload: ``str16 topic, str16 group, i32 partition, str8 mode``."""
    return str16(topic) + str16(group_id) + i32(partition) + str8(mode)


def decode_subscribe_request(payload: bytes) -> SubscribeRequest:
    """Decode a SUBSCRIBE payload (minimum 9 bytes)."""
    r = Reader(payload, 9)
    return SubscribeRequest(r.str16(), r.str16(), r.i32(), r.str8())


class CommitRequest(NamedTuple):
    """COMMIT request: ``offset`` is the next offset to read."""

    topic: str
    group_id: str
    partition: int
    offset: int


def encode_commit_request(topic: str, group_id: str, partition: int, offset: int) -> bytes:
    """COMMIT payload: ``str16 topic, str16 group, i32 partition, u64 offset``."""
    return str16(topic) + str16(group_id) + i32(partition) + u64(offset)


def decode_commit_request(payload: bytes) -> CommitRequest:
    """Decode a COMMIT payload (minimum 16 bytes)."""
    r = Reader(payload, 16)
    return CommitRequest(r.str16(), r.str16(), r.i32(), r.u64())


class FetchRequest(NamedTuple):
    """FETCH / FETCH_BINARY request. ``filter`` is ``""`` when absent."""

    topic: str
    partition: int
    offset: int
    max_messages: int
    filter: str = ""


_FETCH_POSITION = struct.Struct(">iQi")
# FETCH's fields after the topic: (partition, offset, max_messages); the client's fetch builds its payload from
# a cached str16 topic, this, and the filter.
pack_fetch_position = _FETCH_POSITION.pack
NO_FILTER = b"\x00\x00"  # an empty str16 filter, as the upstream clients send


def encode_fetch_request(topic: str, partition: int, offset: int, max_messages: int,
                         filter: str | None = "") -> bytes:
    """FETCH payload; ``filter=None`` omits the optional filter field entirely."""
    try:
        position = pack_fetch_position(partition, offset & 0xFFFFFFFFFFFFFFFF, max_messages)
    except struct.error:
        raise EncodeError(f"partition {partition!r} or max_messages {max_messages!r} does not fit a signed "
                          "32-bit field") from None
    payload = str16(topic) + position
    if filter is not None:
        payload += str16(filter)
    return payload


def decode_fetch_request(payload: bytes) -> FetchRequest:
    """Decode a FETCH payload (minimum 18). A filter that overruns the payload counts as empty, as on the server."""
    r = Reader(payload, 18)
    topic, partition, offset, max_messages = r.str16(), r.i32(), r.u64(), r.i32()
    flt = ""
    if r.remaining() >= 2:
        length = r.u16()
        if length <= r.remaining():
            flt = _s(r._take(length))
    return FetchRequest(topic, partition, offset, max_messages, flt)


def encode_topic_request(topic: str) -> bytes:
    """Payload of ops that take one ``str16 topic`` (DELETE_TOPIC, PURGE_DLQ, CLUSTER_METADATA)."""
    return str16(topic)


def decode_topic_request(payload: bytes) -> str:
    """Decode a ``str16 topic`` payload (minimum 2)."""
    return Reader(payload, 2).str16()


def decode_cluster_metadata_request(payload: bytes) -> str:
    """CLUSTER_METADATA: an empty payload or empty topic means all topics."""
    if len(payload) < 2:
        return ""
    return Reader(payload).str16()


class GroupPartitionRequest(NamedTuple):
    """GET_OFFSET / GET_LAG request."""

    topic: str
    group_id: str
    partition: int


def encode_group_partition_request(topic: str, group_id: str, partition: int) -> bytes:
    """GET_OFFSET / GET_LAG payload: ``str16 topic, str16 group, i32 partition``."""
    return str16(topic) + str16(group_id) + i32(partition)


def decode_group_partition_request(payload: bytes) -> GroupPartitionRequest:
    """Decode a GET_OFFSET / GET_LAG payload (minimum 8)."""
    r = Reader(payload, 8)
    return GroupPartitionRequest(r.str16(), r.str16(), r.i32())


class ResetOffsetRequest(NamedTuple):
    """RESET_OFFSET request; ``offset`` only with mode ``offset``."""

    topic: str
    group_id: str
    partition: int
    mode: str
    offset: int | None = None


def encode_reset_offset_request(topic: str, group_id: str, partition: int, mode: str,
                                offset: int | None = None) -> bytes:
    """RESET_OFFSET payload: ``str16 topic, str16 group, i32 partition, str8 mode[, u64 offset]``."""
    payload = str16(topic) + str16(group_id) + i32(partition) + str8(mode)
    if mode == "offset":
        payload += u64(offset or 0)
    return payload


def decode_reset_offset_request(payload: bytes) -> ResetOffsetRequest:
    """Decode a RESET_OFFSET payload (minimum 9; the u64 is required in ``offset`` mode)."""
    r = Reader(payload, 9)
    topic, group, partition, mode = r.str16(), r.str16(), r.i32(), r.str8()
    offset = r.u64() if mode == "offset" else None
    return ResetOffsetRequest(topic, group, partition, mode, offset)


class GroupRequest(NamedTuple):
    """DESCRIBE_GROUP / DELETE_GROUP request."""

    topic: str
    group_id: str


def encode_group_request(topic: str, group_id: str) -> bytes:
    """DESCRIBE_GROUP / DELETE_GROUP payload: ``str16 topic, str16 group``."""
    return str16(topic) + str16(group_id)


def decode_group_request(payload: bytes) -> GroupRequest:
    """Decode a DESCRIBE_GROUP / DELETE_GROUP payload (minimum 4)."""
    r = Reader(payload, 4)
    return GroupRequest(r.str16(), r.str16())


class FetchDLQRequest(NamedTuple):
    """FETCH_DLQ request: the original topic's name."""

    topic: str
    max_messages: int


def encode_fetch_dlq_request(topic: str, max_messages: int) -> bytes:
    """FETCH_DLQ payload: ``str16 topic, i32 max``."""
    return str16(topic) + i32(max_messages)


def decode_fetch_dlq_request(payload: bytes) -> FetchDLQRequest:
    """Decode a FETCH_DLQ payload (minimum 6)."""
    r = Reader(payload, 6)
    return FetchDLQRequest(r.str16(), r.i32())


class ReplayDLQRequest(NamedTuple):
    """REPLAY_DLQ request."""

    topic: str
    message_id: str


def encode_replay_dlq_request(topic: str, message_id: str) -> bytes:
    """REPLAY_DLQ payload: ``str16 topic, str16 id``."""
    return str16(topic) + str16(message_id)


def decode_replay_dlq_request(payload: bytes) -> ReplayDLQRequest:
    """Decode a REPLAY_DLQ payload (minimum 4)."""
    r = Reader(payload, 4)
    return ReplayDLQRequest(r.str16(), r.str16())


class TimedProduceRequest(NamedTuple):
    """PRODUCE_DELAYED / PRODUCE_WITH_TTL request: ``millis`` is the delay or the TTL."""

    topic: str
    value: bytes
    millis: int


def encode_timed_produce_request(topic: str, value: bytes, millis: int) -> bytes:
    """PRODUCE_DELAYED / PRODUCE_WITH_TTL payload: ``str16 topic, bytes32 data, i64 ms``."""
    return str16(topic) + bytes32(value) + i64(millis)


def decode_timed_produce_request(payload: bytes) -> TimedProduceRequest:
    """Decode a PRODUCE_DELAYED / PRODUCE_WITH_TTL payload (minimum 14)."""
    r = Reader(payload, 14)
    return TimedProduceRequest(r.str16(), r.bytes32(), r.i64())


def encode_txn_id_request(txn_id: str) -> bytes:
    """TXN_COMMIT / TXN_ABORT payload: ``str16 txn_id``."""
    return str16(txn_id)


def decode_txn_id_request(payload: bytes) -> str:
    """Decode a TXN_COMMIT / TXN_ABORT payload (minimum 2)."""
    return Reader(payload, 2).str16()


class TxnProduceRequest(NamedTuple):
    """TXN_PRODUCE request: no key, no partition."""

    txn_id: str
    topic: str
    value: bytes


def encode_txn_produce_request(txn_id: str, topic: str, value: bytes) -> bytes:
    """TXN_PRODUCE payload: ``str16 txn_id, str16 topic, bytes32 data``."""
    return str16(txn_id) + str16(topic) + bytes32(value)


def decode_txn_produce_request(payload: bytes) -> TxnProduceRequest:
    """Decode a TXN_PRODUCE payload (minimum 8)."""
    r = Reader(payload, 8)
    return TxnProduceRequest(r.str16(), r.str16(), r.bytes32())


class AuthRequest(NamedTuple):
    """AUTH request."""

    username: str
    password: str


def encode_auth_request(username: str, password: str) -> bytes:
    """AUTH payload: ``str16 user, str16 password``."""
    return str16(username) + str16(password)


def decode_auth_request(payload: bytes) -> AuthRequest:
    """Decode an AUTH payload (minimum 4)."""
    r = Reader(payload, 4)
    return AuthRequest(r.str16(), r.str16())


class RegisterSchemaRequest(NamedTuple):
    """REGISTER_SCHEMA request."""

    name: str
    type: str
    schema: bytes


def encode_register_schema_request(name: str, schema_type: str, schema: bytes) -> bytes:
    """REGISTER_SCHEMA payload: ``str16 name, str8 type, bytes32 schema``."""
    return str16(name) + str8(schema_type) + bytes32(schema)


def decode_register_schema_request(payload: bytes) -> RegisterSchemaRequest:
    """Decode a REGISTER_SCHEMA payload."""
    r = Reader(payload, 7)
    return RegisterSchemaRequest(r.str16(), r.str8(), r.bytes32())


class NameVersionRequest(NamedTuple):
    """GET_SCHEMA / DELETE_SCHEMA request; version 0 means latest."""

    name: str
    version: int


def encode_name_version_request(name: str, version: int) -> bytes:
    """GET_SCHEMA / DELETE_SCHEMA payload: ``str16 name, u32 version``."""
    return str16(name) + u32(version)


def decode_name_version_request(payload: bytes) -> NameVersionRequest:
    """Decode a GET_SCHEMA / DELETE_SCHEMA payload."""
    r = Reader(payload, 6)
    return NameVersionRequest(r.str16(), r.u32())


class NameDataRequest(NamedTuple):
    """VALIDATE_SCHEMA request."""

    name: str
    data: bytes


def encode_validate_schema_request(name: str, data: bytes) -> bytes:
    """VALIDATE_SCHEMA payload: ``str16 name, bytes32 message``."""
    return str16(name) + bytes32(data)


def decode_validate_schema_request(payload: bytes) -> NameDataRequest:
    """Decode a VALIDATE_SCHEMA payload."""
    r = Reader(payload, 6)
    return NameDataRequest(r.str16(), r.bytes32())


class SchemaProduceRequest(NamedTuple):
    """PRODUCE_WITH_SCHEMA request, in the server's layout (topic, schema, data)."""

    topic: str
    schema: str
    value: bytes


def encode_produce_with_schema_request(topic: str, schema: str, value: bytes) -> bytes:
    """PRODUCE_WITH_SCHEMA payload: ``str16 topic, str16 schema, bytes32 data`` (the server's order)."""
    return str16(topic) + str16(schema) + bytes32(value)


def decode_produce_with_schema_request(payload: bytes) -> SchemaProduceRequest:
    """Decode a PRODUCE_WITH_SCHEMA payload."""
    r = Reader(payload, 8)
    return SchemaProduceRequest(r.str16(), r.str16(), r.bytes32())


def decode_list_schemas_request(payload: bytes) -> str:
    """LIST_SCHEMAS: ``str16 topic``; an empty payload is allowed."""
    if len(payload) < 2:
        return ""
    return Reader(payload).str16()


# ----------------------------------------------------------------------------------------- responses

OK_BYTE = b"\x01"


def decode_ok_response(payload: bytes) -> bool:
    """Replies that are one byte 0x01 (CREATE_TOPIC, COMMIT, DELETE_TOPIC, RESET_OFFSET, DELETE_GROUP)."""
    return Reader(payload, 1).bool8()


_RECORD_META_TAIL = struct.Struct(">iQqii")
pack_record_metadata_tail = _RECORD_META_TAIL.pack  # (partition, offset, timestamp, key_size, value_size)


def record_metadata_frame_prefix(op: int, topic: str | bytes) -> bytes:
    """A PRODUCE-family reply frame up to its tail: header and ``str16 topic``. Followed by
    ``pack_record_metadata_tail(partition, offset, timestamp, key_size, value_size)`` it is the frame of
    :func:`encode_record_metadata`; a broker can build the prefix once per topic."""
    raw = _b(topic)
    return frame_header(op, 2 + len(raw) + _RECORD_META_TAIL.size) + str16(raw)


@functools.lru_cache(maxsize=256)
def record_metadata_frame_layout(prefix_length: int) -> struct.Struct:
    """A PRODUCE-family reply frame packed from ``(prefix, partition, offset, timestamp, key_size,
    value_size)``, where ``prefix`` (``prefix_length`` bytes) is :func:`record_metadata_frame_prefix`'s:
    one ``pack`` instead of the tail's and a concatenation."""
    return struct.Struct(f">{prefix_length}s{_RECORD_META_TAIL.format.lstrip('>')}")


def encode_record_metadata(meta: RecordMetadata) -> bytes:
    """RecordMetadata: ``str16 topic, i32 partition, u64 offset, i64 ts, i32 key_size, i32 value_size``."""
    return str16(meta.topic) + _RECORD_META_TAIL.pack(meta.partition, meta.offset, meta.timestamp,
                                                      meta.key_size, meta.value_size)


def decode_record_metadata(payload: bytes) -> RecordMetadata:
    """Decode a PRODUCE-family reply."""
    r = Reader(payload, 30)
    topic = r.str16()
    tail = r._take(_RECORD_META_TAIL.size)
    return RecordMetadata(topic, *_RECORD_META_TAIL.unpack(tail))


def encode_consume_response(key: bytes | None, value: bytes) -> bytes:
    """CONSUME reply: ``bytes32 key, bytes32 value``."""
    return bytes32(key) + bytes32(value)


def decode_consume_response(payload: bytes) -> tuple[bytes | None, bytes]:
    """Decode a CONSUME reply into ``(key or None, value)``."""
    r = Reader(payload, 8)
    key = r.bytes32()
    return (key or None), r.bytes32()


def encode_u64_response(value: int) -> bytes:
    """Replies that are one u64 (SUBSCRIBE, GET_OFFSET)."""
    return u64(value)


def decode_u64_response(payload: bytes) -> int:
    """Decode a one-u64 reply."""
    return Reader(payload, 8).u64()


_FETCH_HEAD = struct.Struct(">IQ")
_REC_HEAD = struct.Struct(">QII")


def encode_fetch_response(records: list[tuple[int, bytes | None, bytes]], next_offset: int) -> bytes:
    """FETCH reply: ``u32 count, u64 next_offset``, then per record ``u64 offset, bytes32 key, bytes32 value``."""
    parts = [_FETCH_HEAD.pack(len(records), next_offset)]
    pack_u64 = _U64.pack
    for offset, key, value in records:
        parts.append(pack_u64(offset))
        parts.append(bytes32(key))
        parts.append(bytes32(value))
    return b"".join(parts)


def encode_fetch_response_encoded(records: list[bytes], next_offset: int) -> bytes:
    """FETCH reply from records already in the per-record layout of :func:`encode_fetch_response` (the
    broker's log keeps them so): the head, then the records as they are."""
    return _FETCH_HEAD.pack(len(records), next_offset) + b"".join(records)


@functools.lru_cache(maxsize=64)
def _keyed_record_head(key_length: int) -> struct.Struct:
    """``u64 offset, u32 key length, key, u32 value length`` for one key length: a keyed record's head in one unpack."""
    return struct.Struct(f">QI{key_length}sI")


@functools.lru_cache(maxsize=64)
def _same_size_records(key_length: int, value_length: int) -> struct.Struct:
    """Records that all have these key and value lengths: ``(offset, key, value)`` per record (``(offset,
    value)`` without keys), the length fields skipped, for ``iter_unpack`` over the whole reply."""
    if key_length:
        return struct.Struct(f">Q4x{key_length}s4x{value_length}s")
    return struct.Struct(f">Q8x{value_length}s")


def _decode_same_size_records(buf: bytes, count: int, topic: str, partition: int) -> list[Message] | None:
    """The messages of a FETCH reply whose ``count`` records all have the first record's key and value
    lengths, each built in one C-level unpack; None when the reply is not of that shape.

    The shape is checked before anything is built: the records' sizes must add up to the reply exactly,
    and the length fields of every record must match the first one's, compared byte column by byte column
    (each a strided slice of the reply, so a few C calls for the whole reply).
    """
    (key_length,) = _U32.unpack_from(buf, 20)
    if 28 + key_length > len(buf):
        return None
    (value_length,) = _U32.unpack_from(buf, 24 + key_length)
    size = 16 + key_length + value_length
    if count * size != len(buf) - 12:
        return None
    key_field = buf[20:24]
    value_field = buf[24 + key_length:28 + key_length]
    for column in range(4):
        if buf[20 + column::size] != key_field[column:column + 1] * count:
            return None
        if buf[24 + key_length + column::size] != value_field[column:column + 1] * count:
            return None
    rows = _same_size_records(key_length, value_length).iter_unpack(memoryview(buf)[12:])
    new, cls = _new_tuple, Message
    if key_length:
        return [new(cls, (topic, partition, offset, key, value, 0)) for offset, key, value in rows]
    return [new(cls, (topic, partition, offset, None, value, 0)) for offset, value in rows]


def _decode_records(buf: bytes, count: int, topic: str, partition: int) -> list[Message]:
    """The messages of ``count`` records from position 12 on, read in runs of one shape: keyless records,
    or keyed records of one key length, each run by a loop that knows the shape and reads a record's head
    in one unpack. A record of another shape ends the run and starts the next. A record running past the
    reply shows as a failed unpack of its head or as a final position past the end: either is
    ``struct.error``."""
    messages: list[Message] = []
    append = messages.append
    rec_head = _REC_HEAD.unpack_from
    new = _new_tuple
    cls = Message
    pos = 12
    left = count
    while left:
        offset, klen, vlen = rec_head(buf, pos)
        if not klen:  # a run of keyless records
            for done in range(left):
                offset, klen, vlen = rec_head(buf, pos)
                if klen:
                    left -= done
                    break
                pos += 16
                stop = pos + vlen
                append(new(cls, (topic, partition, offset, None, buf[pos:stop], 0)))
                pos = stop
            else:
                left = 0
        else:  # a run of keyed records with this key length
            head = _keyed_record_head(klen)
            keyed_head, head_size, key_length = head.unpack_from, head.size, klen
            for done in range(left):
                try:
                    offset, klen, key, vlen = keyed_head(buf, pos)
                except struct.error:  # too short for this head: a record of another shape, or cut short
                    if not done:
                        raise
                    left -= done
                    break
                if klen != key_length:
                    left -= done
                    break
                pos += head_size
                stop = pos + vlen
                append(new(cls, (topic, partition, offset, key, buf[pos:stop], 0)))
                pos = stop
            else:
                left = 0
    if pos > len(buf):
        raise struct.error("the last record runs past the reply")
    return messages


def decode_fetch_response(payload: bytes, topic: str = "", partition: int = 0) -> FetchResult:
    """Decode a FETCH reply into :class:`Message` objects; FETCH carries no partition, so the caller names it.

    When every record has the same key and value lengths (fixed-size values), the whole reply is read with
    one ``iter_unpack``. Otherwise records are read in runs of one shape (:func:`_decode_records`): keys of
    one topic usually share a length (ids, customer numbers, UUIDs), so a keyed record's offset, key and
    value length come in one C call.
    """
    if len(payload) < 12:
        raise DecodeError(BUFFER_TOO_SMALL)
    count, next_offset = _FETCH_HEAD.unpack_from(payload)
    # Each record needs at least 16 bytes; refuse counts the payload cannot hold before looping.
    if count * 16 > len(payload) - 12:
        raise DecodeError(INVALID_FORMAT)
    try:
        messages = _decode_same_size_records(payload, count, topic, partition) if count > 1 else None
        if messages is None:
            messages = _decode_records(payload, count, topic, partition)
    except struct.error:
        raise DecodeError(INVALID_FORMAT) from None
    return FetchResult(messages, next_offset)


def encode_list_topics_response(topics: list[str]) -> bytes:
    """LIST_TOPICS reply: ``u32 n`` + n × str16."""
    return u32(len(topics)) + b"".join(str16(t) for t in topics)


def decode_list_topics_response(payload: bytes) -> list[str]:
    """Decode a LIST_TOPICS reply."""
    r = Reader(payload, 4)
    return [r.str16() for _ in range(r.u32())]


def _encode_group_entry(group: GroupInfo) -> bytes:
    parts = [str16(group.topic), str16(group.group_id), u32(group.members), u32(len(group.offsets))]
    for partition, offset in group.offsets.items():
        parts.append(i32(partition) + u64(offset))
    return b"".join(parts)


_GROUP_OFFSET = struct.Struct(">iQ")  # one (partition, committed offset) of a group entry


def _decode_group_entry(r: Reader) -> GroupInfo:
    topic, group, members = r.str16(), r.str16(), r.u32()
    n = r.u32()
    if n * 12 > r.remaining():
        raise DecodeError(INVALID_FORMAT)
    offsets = dict(_GROUP_OFFSET.iter_unpack(r._take(n * 12)))
    return GroupInfo(topic, group, members, offsets)


def encode_list_groups_response(groups: list[GroupInfo]) -> bytes:
    """LIST_GROUPS reply: ``u32 n`` + n group entries."""
    return u32(len(groups)) + b"".join(_encode_group_entry(g) for g in groups)


def decode_list_groups_response(payload: bytes) -> list[GroupInfo]:
    """Decode a LIST_GROUPS reply."""
    r = Reader(payload, 4)
    n = r.u32()
    if n * 12 > r.remaining():
        raise DecodeError(INVALID_FORMAT)
    return [_decode_group_entry(r) for _ in range(n)]


def encode_describe_group_response(group: GroupInfo) -> bytes:
    """DESCRIBE_GROUP reply: one group entry."""
    return _encode_group_entry(group)


def decode_describe_group_response(payload: bytes) -> GroupInfo:
    """Decode a DESCRIBE_GROUP reply."""
    return _decode_group_entry(Reader(payload, 12))


_LAG = struct.Struct(">QQQQ")


def encode_get_lag_response(committed: int, latest: int, lag: int) -> bytes:
    """GET_LAG reply: ``u64 current, u64 committed, u64 latest, u64 lag`` (current equals committed)."""
    return _LAG.pack(committed, committed, latest, lag)


def decode_get_lag_response(payload: bytes) -> Lag:
    """Decode a GET_LAG reply."""
    Reader(payload, 32)
    _current, committed, latest, lag = _LAG.unpack_from(payload)
    return Lag(committed, latest, lag)


def encode_fetch_dlq_response(entries: list[tuple[str, bytes, str, int]]) -> bytes:
    """FETCH_DLQ reply: ``u32 n`` + n × (``str16 id, bytes32 data, str16 error, i32 retries``)."""
    parts = [u32(len(entries))]
    for entry_id, data, error, retries in entries:
        parts.append(str16(entry_id) + bytes32(data) + str16(error) + i32(retries))
    return b"".join(parts)


def decode_fetch_dlq_response(payload: bytes, topic: str = "") -> list[DLQEntry]:
    """Decode a FETCH_DLQ reply into :class:`DLQEntry` objects (wire fields only)."""
    r = Reader(payload, 4)
    n = r.u32()
    if n * 12 > r.remaining():
        raise DecodeError(INVALID_FORMAT)
    out = []
    for _ in range(n):
        entry_id, data, error, retries = r.str16(), r.bytes32(), r.str16(), r.i32()
        out.append(DLQEntry(id=entry_id, topic=topic, value=data, error=error, retry_count=retries))
    return out


def encode_status_response(success: bool, message: str) -> bytes:
    """REPLAY_DLQ / PURGE_DLQ / DELETE_SCHEMA reply: ``bool8 success, str16 message``."""
    return bool8(success) + str16(message)


def decode_status_response(payload: bytes) -> tuple[bool, str]:
    """Decode a ``bool8, str16`` reply."""
    r = Reader(payload, 3)
    return r.bool8(), r.str16()


def encode_txn_response(txn_id: str, success: bool) -> bytes:
    """TXN_BEGIN / TXN_COMMIT / TXN_ABORT reply: ``str16 txn_id, bool8 success``."""
    return str16(txn_id) + bool8(success)


def decode_txn_response(payload: bytes) -> tuple[str, bool]:
    """Decode a transaction reply into ``(txn_id, success)``."""
    r = Reader(payload, 3)
    return r.str16(), r.bool8()


def encode_auth_response(result: AuthResult) -> bytes:
    """AUTH (reply op 0x71) / WHOAMI reply: ``bool8, str16 user, u32 n, n × str8 role, str16 error``."""
    return (bool8(result.success) + str16(result.username) + u32(len(result.roles))
            + b"".join(str8(role) for role in result.roles) + str16(result.error))


def decode_auth_response(payload: bytes) -> AuthResult:
    """Decode an AUTH_RESPONSE / WHOAMI reply."""
    r = Reader(payload, 9)
    success, username, n = r.bool8(), r.str16(), r.u32()
    if n > r.remaining():
        raise DecodeError(INVALID_FORMAT)
    roles = [r.str8() for _ in range(n)]
    return AuthResult(success, username, roles, r.str16())


def encode_cluster_metadata_response(meta: ClusterMetadata) -> bytes:
    """CLUSTER_METADATA reply (flymq-wire §2.16)."""
    parts = [str16(meta.cluster_id), u32(len(meta.topics))]
    for topic in meta.topics:
        parts.append(str16(topic.topic) + u32(len(topic.partitions)))
        for p in topic.partitions:
            parts.append(i32(p.partition) + str16(p.leader_id) + str16(p.leader_addr) + u64(p.epoch)
                         + str16(p.state) + u32(len(p.replicas)) + b"".join(str16(x) for x in p.replicas)
                         + u32(len(p.isr)) + b"".join(str16(x) for x in p.isr))
    return b"".join(parts)


def decode_cluster_metadata_response(payload: bytes) -> ClusterMetadata:
    """Decode a CLUSTER_METADATA reply."""
    r = Reader(payload, 6)
    cluster_id = r.str16()
    topics = []
    for _ in range(r.u32()):
        name = r.str16()
        partitions = []
        for _ in range(r.u32()):
            pid, leader_id, leader_addr, epoch, state = r.i32(), r.str16(), r.str16(), r.u64(), r.str16()
            replicas = [r.str16() for _ in range(r.u32())]
            isr = [r.str16() for _ in range(r.u32())]
            partitions.append(PartitionMetadata(pid, leader_id, leader_addr, epoch, state, replicas, isr))
        topics.append(TopicMetadata(name, partitions))
    return ClusterMetadata(cluster_id, topics)


def encode_register_schema_response(name: str, schema_type: str, version: int) -> bytes:
    """REGISTER_SCHEMA reply: ``str16 name, str8 type, u32 version``."""
    return str16(name) + str8(schema_type) + u32(version)


def decode_register_schema_response(payload: bytes) -> tuple[str, str, int]:
    """Decode a REGISTER_SCHEMA reply."""
    r = Reader(payload, 7)
    return r.str16(), r.str8(), r.u32()


def encode_get_schema_response(info: SchemaInfo) -> bytes:
    """GET_SCHEMA reply: ``str16 id, str16 topic, u32 version, str8 type, bytes32 definition, str8 compat``."""
    return (str16(info.id) + str16(info.topic) + u32(info.version) + str8(info.type)
            + bytes32(info.definition) + str8(info.compatibility))


def decode_get_schema_response(payload: bytes) -> SchemaInfo:
    """Decode a GET_SCHEMA reply."""
    r = Reader(payload, 14)
    return SchemaInfo(r.str16(), r.str16(), r.u32(), r.str8(), r.bytes32(), r.str8())


def encode_list_schemas_response(items: list[tuple[str, str, int]]) -> bytes:
    """LIST_SCHEMAS reply: ``u32 n`` + n × (``str16 id, str8 type, u32 version``)."""
    return u32(len(items)) + b"".join(str16(i) + str8(t) + u32(v) for i, t, v in items)


def decode_list_schemas_response(payload: bytes) -> list[tuple[str, str, int]]:
    """Decode a LIST_SCHEMAS reply."""
    r = Reader(payload, 4)
    n = r.u32()
    if n * 7 > r.remaining():
        raise DecodeError(INVALID_FORMAT)
    return [(r.str16(), r.str8(), r.u32()) for _ in range(n)]


def encode_validate_schema_response(valid: bool, errors: list[str]) -> bytes:
    """VALIDATE_SCHEMA reply: ``bool8 valid, u32 n, n × str16``."""
    return bool8(valid) + u32(len(errors)) + b"".join(str16(e) for e in errors)


def decode_validate_schema_response(payload: bytes) -> tuple[bool, list[str]]:
    """Decode a VALIDATE_SCHEMA reply."""
    r = Reader(payload, 5)
    valid, n = r.bool8(), r.u32()
    if n * 2 > r.remaining():
        raise DecodeError(INVALID_FORMAT)
    return valid, [r.str16() for _ in range(n)]
