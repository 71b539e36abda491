"""One client connection, served by its own thread: framing and ordered replies (flymq-wire §1.4).

Frames are answered strictly in order, one reply each; replies to frames that arrived together (pipelining)
are sent in one write, and consecutive PRODUCE frames among them are written as one run
(:mod:`.produce_run`). Bad magic, bad version or a length over 32 MiB closes the connection without a reply,
and the oversize payload is never waited for. When auth is on, a connection that has not logged in may send
frames of at most :data:`PRE_LOGIN_MAX_PAYLOAD` bytes: a larger header is answered with an error frame and the
connection is closed, so strangers cannot make the broker buffer 32 MiB each (FlyMQ has no such limit). A
read that waits longer than the idle timeout (5 minutes by default, as on the real server) closes the
connection, half-sent frame or not. A client that stops reading blocks only its own thread.
"""

from __future__ import annotations

import logging
import socket
import ssl

from pyflymq.errors import FrameTooLargeError, ProtocolError
from pyflymq.wire import FLAG_GZIP, MAX_PAYLOAD, FrameReader, Op

from .handlers import Dispatcher, Session
from .replies import error_frame

log = logging.getLogger("pyflymq.broker")

_RECV_SIZE = 256 * 1024
_FLUSH_AT = 1 << 20  # send accumulated replies once they reach this size
_HANDSHAKE_TIMEOUT = 10.0
PRE_LOGIN_MAX_PAYLOAD = 64 * 1024
_DRAIN_BYTES = 256 * 1024  # read (and drop) at most this much before closing, so the client sees our reply
_DRAIN_SECONDS = 0.5
_PRODUCE = int(Op.PRODUCE)


def peer_name(sock: socket.socket) -> str:
    """``ip:port`` (``[ip]:port`` for IPv6) of the remote end."""
    try:
        peer = sock.getpeername()
    except OSError:
        return "unknown"
    host, port = peer[0], peer[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


def refuse(sock: socket.socket, text: str, wait: float = _DRAIN_SECONDS) -> None:
    """Send an error frame, then close gracefully: what the client sent meanwhile is drained (bounded), so
    the close does not turn into a reset that would destroy the reply before the client reads it.
    ``wait=0`` never blocks (the accept loop refusing a client)."""
    try:
        sock.settimeout(wait)
        sock.sendall(error_frame(text))
        sock.shutdown(socket.SHUT_WR)
        drained = 0
        while drained < _DRAIN_BYTES:
            chunk = sock.recv(65536)
            if not chunk:
                break
            drained += len(chunk)
    except (OSError, ValueError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def tune_socket(sock: socket.socket) -> None:
    """The real server's TCP options: no delay, keep-alive every 30 s, 4 MiB buffers."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        if hasattr(socket, "TCP_KEEPIDLE"):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 30)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    except OSError:
        pass


class Connection:
    """Reads frames from one socket, answers them through the :class:`Dispatcher`, until either side closes."""

    def __init__(self, sock: socket.socket, dispatcher: Dispatcher, idle_timeout: float,
                 tls: ssl.SSLContext | None = None) -> None:
        self.sock = sock
        self._dispatcher = dispatcher
        self._idle_timeout = idle_timeout
        self._tls = tls
        self.session = Session(peer_name(sock))

    def serve(self) -> None:
        """Serve until the client closes, times out, or sends a bad header; then clean up."""
        try:
            tune_socket(self.sock)
            if self._tls is not None:
                self.sock.settimeout(_HANDSHAKE_TIMEOUT)
                self.sock = self._tls.wrap_socket(self.sock, server_side=True)
            self.sock.settimeout(self._idle_timeout)
            self._loop()
        except (OSError, ssl.SSLError, ValueError) as exc:
            log.debug("connection %s ended: %s", self.session.peer, exc)
        except Exception:
            log.exception("connection %s failed", self.session.peer)
        finally:
            self._dispatcher.connection_closed(self.session)
            self.close()

    def _loop(self) -> None:
        sock, handle, session = self.sock, self._dispatcher.handle, self.session
        handle_run = self._dispatcher.handle_produce_run
        login_required = self._dispatcher.auth.enabled
        reader = FrameReader(PRE_LOGIN_MAX_PAYLOAD if login_required else MAX_PAYLOAD)
        frames = reader.frames
        recv = sock.recv
        while True:
            data = recv(_RECV_SIZE)
            if not data:
                return
            replies: list[bytes] = []
            pending = 0
            run: list[bytes] = []  # consecutive PRODUCE payloads not answered yet
            try:
                for op, flags, payload in frames(data):
                    if op == _PRODUCE and not flags & FLAG_GZIP:
                        run.append(payload)
                        continue
                    if run:
                        replies += handle_run(session, run)
                        run = []
                    reply = [handle(session, op, flags, payload)]
                    replies += reply
                    pending += sum(map(len, reply))
                    if pending >= _FLUSH_AT:
                        self._send(replies)
                        replies, pending = [], 0
                    if login_required and session.user is not None:  # logged in: frames may be large again
                        reader.limit = MAX_PAYLOAD
                        login_required = False
            except FrameTooLargeError as exc:
                self._send(replies + handle_run(session, run) if run else replies)
                if exc.limit != PRE_LOGIN_MAX_PAYLOAD:
                    log.debug("closing %s: %s", session.peer, exc)
                    return
                log.debug("closing %s: %d-byte frame before login", session.peer, exc.length)
                refuse(sock, f"frame of {exc.length} bytes refused: until AUTH succeeds, frames may carry at most "
                             f"{PRE_LOGIN_MAX_PAYLOAD} bytes")
                return
            except ProtocolError as exc:
                log.debug("closing %s: bad header (%s)", session.peer, exc)
                self._send(replies + handle_run(session, run) if run else replies)
                return
            if run:
                replies += handle_run(session, run)
            self._send(replies)

    def _send(self, replies: list[bytes]) -> None:
        if replies:
            self.sock.sendall(replies[0] if len(replies) == 1 else b"".join(replies))

    def shutdown(self) -> None:
        """Wake the serving thread by shutting the socket down (safe from any thread)."""
        try:
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        """Close the socket."""
        try:
            self.sock.close()
        except OSError:
            pass
