"""One socket connection to a FlyMQ server, and the helpers to reach one.

:class:`Connection` owns a TCP (optionally TLS) socket and moves whole frames: :meth:`Connection.request`
writes one request frame and reads the one response frame the server sends back (flymq-wire §1.4: exactly one
reply per request, in order). A lock around each request/response pair makes a connection safe to share
between threads. :func:`parse_servers` turns the ``servers`` argument of :func:`pyflymq.connect` into
``(host, port)`` pairs; :mod:`pyflymq.tls` builds the TLS context and explains TLS mistakes.

**Deadlines.** A timeout bounds a whole request, not each socket read: the request gets a deadline when it
starts, and every send and every ``recv`` waits only for the time left until it. A server that trickles its
reply a byte at a time therefore cannot stretch a request past its timeout. Opening a connection (TCP
connect, TLS handshake) takes a deadline too, given by the client's connect budget.

The request path is kept lean on purpose (it bounds fetch throughput): the header comes from the codec's
:func:`~pyflymq.wire.frame_header` and is checked by its :func:`~pyflymq.wire.parse_header` (no layout is known
here), header and payload leave in one ``sendall``, and the response is read through a buffered reader, so a
small reply costs one ``recv`` and a large one is read straight into the ``bytes`` object the decoder slices.
"""

from __future__ import annotations

import io
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from .errors import FlyMQConnectionError, FlyMQTimeoutError, FrameTooLargeError, ProtocolError
from .tls import TLSSettings, explain_handshake_failure, explain_tls_read_failure, make_ssl_context
from .wire import HEADER_SIZE, MAX_PAYLOAD, frame_header, parse_header

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["Connection", "ConnectionLostError", "DEFAULT_PORT", "format_address", "make_ssl_context",
           "parse_servers"]

DEFAULT_PORT = 9092
_READ_BUFFER = 256 * 1024
_SPLIT_SEND = 256 * 1024  # payloads above this are sent after the header instead of being copied onto it


class ConnectionLostError(FlyMQConnectionError):
    """The connection broke during a request.

    ``request_sent`` tells whether the whole request may have reached the server: when it is False the
    server cannot have acted on it, so repeating it on a new connection is always safe.
    """

    def __init__(self, message: str, *, request_sent: bool):
        super().__init__(message)
        self.request_sent = request_sent


class _DeadlineSocketIO(io.RawIOBase):
    """The raw stream under a connection's buffered reader: every ``recv`` waits at most until
    ``deadline`` (a :func:`time.monotonic` value), so the whole read of a reply is bounded, however the
    server spreads its bytes."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock
        self.deadline = 0.0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("request deadline passed")
        self._sock.settimeout(remaining)
        return self._sock.recv_into(buffer)


ServerList = str | tuple[str, int] | Iterable[str | tuple[str, int]]
"""The servers a client may be given: ``"host:port"``, ``"h1:9092,h2:9092"``, ``(host, port)`` or a list."""


def format_address(host: str, port: int) -> str:
    """``host:port``, with IPv6 hosts in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _parse_one(item: str | tuple[str, int]) -> tuple[str, int]:
    port: str | int
    if isinstance(item, tuple) and len(item) == 2:
        host, port = item
        return str(host), int(port)
    text = str(item).strip()
    if not text:
        raise ValueError("empty server address")
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"bad server address {text!r}: expected [ipv6]:port")
        port = rest[1:] or DEFAULT_PORT
    elif text.count(":") == 1:
        host, port = text.split(":")
        port = port or DEFAULT_PORT
    else:  # "host" or a bare IPv6 address such as "::1"
        host, port = text, DEFAULT_PORT
    try:
        number = int(port)
    except ValueError:
        raise ValueError(f"bad port in server address {text!r}") from None
    if not 0 < number < 65536:
        raise ValueError(f"port out of range in server address {text!r}")
    return host or "localhost", number


def parse_servers(servers: ServerList) -> list[tuple[str, int]]:
    """Parse ``"host:port"``, ``"h1:9092,h2:9092"``, ``"[::1]:9092"`` or a list of those (or of
    ``(host, port)`` tuples) into ``[(host, port), ...]``. The port defaults to 9092."""
    items: list[str | tuple[str, int]]
    if isinstance(servers, str):
        items = [part for part in servers.split(",") if part.strip()]
    elif isinstance(servers, tuple) and len(servers) == 2 and isinstance(servers[1], int):
        items = [servers]
    else:
        items = list(servers)
    if not items:
        raise ValueError("no FlyMQ server address given")
    return [_parse_one(item) for item in items]


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


class Connection:
    """One open connection to one FlyMQ server.

    ``timeout`` (seconds) is the default time budget of one request: sending it and reading its whole
    reply. ``deadline`` (a :func:`time.monotonic` value) bounds opening the connection (TCP connect and TLS
    handshake); it defaults to ``timeout`` from now. Any failure closes the connection; it is never reused
    after an error that could leave the byte stream out of step (timeout, broken socket, malformed header).
    A TLS handshake that fails because of a set-up mistake raises :class:`~pyflymq.errors.TLSConfigurationError`
    in plain words (``tls_settings`` is what the caller configured, used to explain it).
    """

    def __init__(self, host: str, port: int, *, timeout: float = 10.0, ssl_context: ssl.SSLContext | None = None,
                 server_hostname: str | None = None, tls_settings: TLSSettings | None = None,
                 deadline: float | None = None):
        self.host = host
        self.port = port
        self.address = format_address(host, port)
        self.timeout = timeout
        self.tls = ssl_context is not None
        self._tls_settings = tls_settings or TLSSettings()
        self._lock = threading.Lock()
        self._closed = False
        self._answered = False  # True once the server answered a request on this connection
        if deadline is None:
            deadline = time.monotonic() + timeout
        try:
            sock = socket.create_connection((host, port), timeout=self._remaining(deadline))
        except OSError as exc:
            raise self._connect_error(exc) from exc
        try:
            self._configure(sock)
            if ssl_context is not None:
                sock.settimeout(self._remaining(deadline))
                name = server_hostname or host
                try:
                    sock = ssl_context.wrap_socket(sock, server_hostname=name)
                except OSError as exc:
                    explained = explain_handshake_failure(exc, self.address, host, port, name,
                                                          self._tls_settings, deadline)
                    if explained is not None:
                        sock.close()
                        raise explained from exc
                    raise
        except OSError as exc:
            sock.close()
            raise self._connect_error(exc) from exc
        self._sock = sock
        self._raw = _DeadlineSocketIO(sock)
        self._rfile = io.BufferedReader(self._raw, _READ_BUFFER)
        self._read = self._rfile.read
        self._poller = None
        if not self.tls and hasattr(select, "poll"):
            self._poller = select.poll()
            self._poller.register(sock, select.POLLIN)

    @staticmethod
    def _remaining(deadline: float) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("connect budget used up")
        return remaining

    def _connect_error(self, exc: OSError) -> FlyMQConnectionError:
        if isinstance(exc, FlyMQConnectionError):
            return exc
        cls = FlyMQTimeoutError if isinstance(exc, TimeoutError) else FlyMQConnectionError
        return cls(f"{self.address}: {_describe(exc)}")

    @staticmethod
    def _configure(sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)

    @property
    def closed(self) -> bool:
        """True once the connection has been closed (by :meth:`close` or after a failure)."""
        return self._closed

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Connection {self.address} {'tls ' if self.tls else ''}{state}>"

    def close(self) -> None:
        """Close the socket. Idempotent; a thread blocked in :meth:`request` is woken up with an error."""
        if self._closed:
            return
        self._closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        for closer in (self._rfile.close, self._sock.close):
            try:
                closer()
            except (OSError, ValueError):
                pass

    def _peer_closed(self) -> bool:
        """True when the server has already closed this (plain TCP) connection: checked before a write
        so that a request that is not safe to repeat goes out on a live connection."""
        if self._poller is None or not self._poller.poll(0):
            return False
        try:
            return not self._sock.recv(1, socket.MSG_PEEK)
        except OSError:
            return True

    def idle_and_open(self) -> bool:
        """For a connection with no request in flight: True while the server has neither closed it nor sent
        anything (FlyMQ never sends unasked, so readable bytes or a hang-up mean it is gone). Works for TLS
        connections too. A connection found gone is closed."""
        if self._closed:
            return False
        if not self._lock.acquire(blocking=False):
            return True  # a request is in flight: it will find out itself
        try:
            if hasattr(select, "poll"):
                poller = select.poll()
                poller.register(self._sock, select.POLLIN | select.POLLPRI)
                gone = bool(poller.poll(0))  # POLLHUP and POLLERR are always reported too
            else:
                readable, _, failed = select.select([self._sock], [], [self._sock], 0)
                gone = bool(readable or failed)
        except (OSError, ValueError):
            gone = True
        finally:
            self._lock.release()
        if gone:
            self.close()
            return False
        return True

    def request(self, op: int, payload: bytes = b"", check_alive: bool = False,
                deadline: float | None = None) -> tuple[int, int, bytes]:
        """Send one request frame and return the response as ``(op, flags, payload)``.

        The whole exchange must finish by ``deadline`` (a :func:`time.monotonic` value; default: ``timeout``
        seconds from now). ``check_alive`` first makes sure the server has not already closed the connection,
        so that a request which must not be repeated is only sent on a live connection. Raises
        :class:`FrameTooLargeError` before sending a payload over 32 MiB, :class:`FlyMQTimeoutError` when the
        deadline passes (``request_sent`` on it says whether the whole request had gone out),
        :class:`ConnectionLostError` when the socket breaks, and :class:`ProtocolError` for a response that is
        not a FlyMQ frame.
        """
        size = len(payload)
        if size > _SPLIT_SEND:
            if size > MAX_PAYLOAD:
                raise FrameTooLargeError(f"request payload of {size} bytes exceeds FlyMQ's limit of "
                                         f"{MAX_PAYLOAD} bytes; nothing was sent", length=size, limit=MAX_PAYLOAD)
            frame = None
        else:
            frame = frame_header(op, size) + payload
        with self._lock:
            now = time.monotonic()
            if deadline is None:
                deadline = now + self.timeout
            budget = deadline - now
            if self._closed:
                raise ConnectionLostError(f"connection to {self.address} is closed", request_sent=False)
            if check_alive and self._peer_closed():
                self.close()
                raise ConnectionLostError(f"{self.address} closed the connection", request_sent=False)
            try:
                self._sock.settimeout(self._remaining(deadline))
                if frame is None:
                    self._sock.sendall(frame_header(op, size))
                    self._sock.settimeout(self._remaining(deadline))
                    self._sock.sendall(payload)
                else:
                    self._sock.sendall(frame)
            except OSError as exc:
                raise self._send_failed(exc, budget) from exc
            self._raw.deadline = deadline
            return self._read_reply(budget)

    def pipeline(self, requests: Sequence[tuple[int, bytes]],
                 deadline: float | None = None) -> list[tuple[int, int, bytes]]:
        """Send several small request frames at once, then read their replies, in order (FlyMQ answers
        strictly one reply per request, in order, so this costs one round trip instead of one per request).
        The same deadline and errors as :meth:`request`; every frame must be under 32 MiB."""
        frames = b"".join(frame_header(op, len(payload)) + payload for op, payload in requests)
        with self._lock:
            now = time.monotonic()
            if deadline is None:
                deadline = now + self.timeout
            budget = deadline - now
            if self._closed:
                raise ConnectionLostError(f"connection to {self.address} is closed", request_sent=False)
            try:
                self._sock.settimeout(self._remaining(deadline))
                self._sock.sendall(frames)
            except OSError as exc:
                raise self._send_failed(exc, budget) from exc
            self._raw.deadline = deadline
            return [self._read_reply(budget) for _ in requests]

    def _read_reply(self, budget: float) -> tuple[int, int, bytes]:
        read = self._read
        try:
            header = read(HEADER_SIZE)
            if len(header) == HEADER_SIZE:
                try:
                    reply_op, flags, length = parse_header(header)
                except ProtocolError as exc:
                    self.close()
                    raise self._bad_header(header, exc) from None
                body = read(length) if length else b""
                if len(body) == length:
                    self._answered = True
                    return reply_op, flags, body
        except (OSError, ValueError) as exc:  # ValueError: the reader was closed under us by close()
            raise self._receive_failed(exc, budget) from exc
        self.close()
        raise ConnectionLostError(f"{self.address} closed the connection before replying", request_sent=True)

    def _send_failed(self, exc: OSError, budget: float) -> FlyMQConnectionError:
        if self.tls and not isinstance(exc, TimeoutError):
            explained = explain_tls_read_failure(self._pending_alert() or exc, self.address, self._tls_settings,
                                                 not self._answered)
            if explained is not None:
                self.close()
                return explained
        self.close()
        if isinstance(exc, TimeoutError):
            error = FlyMQTimeoutError(f"{self.address}: could not send the request within its time budget "
                                      f"({budget:.3g}s); it did not reach the server whole")
            error.request_sent = False
            return error
        return ConnectionLostError(f"connection to {self.address} broke while sending: {_describe(exc)}",
                                   request_sent=False)

    def _receive_failed(self, exc: Exception, budget: float) -> FlyMQConnectionError:
        self.close()
        if isinstance(exc, TimeoutError):
            error = FlyMQTimeoutError(f"{self.address} did not answer within the request's time budget "
                                      f"({budget:.3g}s)")
            error.request_sent = True
            return error
        if self.tls:
            explained = explain_tls_read_failure(exc, self.address, self._tls_settings, not self._answered)
            if explained is not None:
                return explained
        return ConnectionLostError(f"connection to {self.address} broke while waiting for the reply: "
                                   f"{_describe(exc)}", request_sent=True)

    def _pending_alert(self) -> ssl.SSLError | None:
        """After a failed TLS send: the alert the server sent before closing (e.g. "certificate required"),
        if it can still be read; None otherwise."""
        try:
            self._sock.settimeout(0.5)
            self._sock.recv(1)
        except ssl.SSLError as alert:
            return alert
        except (OSError, ValueError):
            return None
        return None

    def _bad_header(self, header: bytes, exc: ProtocolError) -> ProtocolError:
        """The codec's header error, told with this connection's address (and what was done about it)."""
        if isinstance(exc, FrameTooLargeError):
            return FrameTooLargeError(f"{self.address} announced a {exc.length}-byte reply, over FlyMQ's limit of "
                                      f"{MAX_PAYLOAD} bytes; connection closed without reading it",
                                      length=exc.length, limit=exc.limit)
        return ProtocolError(f"{self.address} answered {header!r} instead of a FlyMQ frame: {exc}")
