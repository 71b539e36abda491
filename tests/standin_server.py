"""A stand-in FlyMQ server for client tests: a real socket on 127.0.0.1 that answers like FlyMQ 1.26 would,
records every frame it receives, and can misbehave on purpose (trickle its replies, stay silent).

It exists because the built-in broker is too polite for some tests: the real server *crashes* on AUTH when
its authentication is off and on negative partitions (flymq-wire §3.10), while the built-in broker answers
them with errors. Only a server that records what arrived can show that the client never sent them.
"""

from __future__ import annotations

import socket
import struct
import threading
import time

from pyflymq import wire
from pyflymq.models import AuthResult
from pyflymq.wire import Op

_ANONYMOUS = wire.encode_auth_response(AuthResult(False, "", [], ""))


def _recv_exact(conn: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _error(text: str) -> bytes:
    return wire.encode_frame(Op.ERROR, text.encode(), 0)


class StandInServer:
    """FlyMQ on 127.0.0.1 as far as these tests need it.

    * ``auth``: ``"off"`` (FlyMQ's default) or ``"on"`` with one user ``alice``/``secret``. With auth off,
      AUTH closes the connection without a reply, as the crash of the real server does; with auth on, every
      op but WHOAMI, LIST_TOPICS and AUTH answers ``authentication required`` until the login.
    * ``trickle``: seconds between the bytes of every FETCH reply (0: send at once).
    * ``silent_ops``: ops never answered (``"all"``: nothing is ever answered, not even the connect probe).
    * ``close_ops``: ops that make it close the connection without a reply, once the request is read.
    * ``received``: every ``(op, payload)`` received, over all connections, in order.

    Apart from the auth probe's FETCH of a missing topic (``topic not found: <t>``), FETCH answers ten
    one-byte records, PRODUCE a record at offset 0, COMMIT ok, LIST_TOPICS ``[]``, and other ops ``unknown opcode``.
    """

    def __init__(self, *, auth: str = "off", trickle: float = 0.0, silent_ops=(), close_ops=()):
        self.auth = auth
        self.close_ops = close_ops
        self.trickle = trickle
        self.silent_ops = silent_ops
        self.received: list[tuple[int, bytes]] = []
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept_loop, daemon=True).start()

    @property
    def ops(self) -> list[int]:
        """The opcodes received, in order."""
        with self._lock:
            return [op for op, _ in self.received]

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        logged_in = False
        try:
            while True:
                header = _recv_exact(conn, 8)
                if header is None:
                    return
                length = struct.unpack(">I", header[4:8])[0]
                payload = _recv_exact(conn, length) if length else b""
                if payload is None:
                    return
                op = header[2]
                with self._lock:
                    self.received.append((op, payload))
                if self.silent_ops == "all" or op in self.silent_ops:
                    continue
                if op in self.close_ops:
                    conn.close()
                    return
                if op == Op.AUTH:
                    if self.auth == "off":
                        conn.close()  # the real server dereferences a nil user here and dies
                        return
                    req = wire.decode_auth_request(payload)
                    logged_in = (req.username, req.password) == ("alice", "secret")
                    result = (AuthResult(True, "alice", ["consumer"], "") if logged_in
                              else AuthResult(False, "", [], "invalid username or password"))
                    conn.sendall(wire.encode_frame(Op.AUTH_RESPONSE, wire.encode_auth_response(result)))
                    continue
                reply = self._answer(op, payload, logged_in)
                if op == Op.FETCH and self.trickle:
                    self._trickle(conn, reply)
                else:
                    conn.sendall(reply)
        except OSError:
            return

    def _answer(self, op: int, payload: bytes, logged_in: bool) -> bytes:
        if op == Op.WHOAMI:
            return wire.encode_frame(Op.WHOAMI, _ANONYMOUS)
        if op == Op.LIST_TOPICS:
            return wire.encode_frame(op, wire.encode_list_topics_response([]))
        if self.auth == "on" and not logged_in:
            return _error("authentication required")
        if op == Op.FETCH:
            req = wire.decode_fetch_request(payload)
            if req.topic.startswith("__pyflymq_auth_probe"):
                return _error(f"topic not found: {req.topic}")
            records = b"".join(struct.pack(">QI", n, 0) + struct.pack(">I", 1) + b"v" for n in range(10))
            return wire.encode_frame(op, struct.pack(">IQ", 10, 10) + records)
        if op == Op.PRODUCE:
            req = wire.decode_produce_request(payload)
            return wire.encode_frame(op, wire.str16(req.topic) + struct.pack(">iQqii", 0, 0, 0, -1, len(req.value)))
        if op == Op.COMMIT:
            return wire.encode_frame(op, wire.OK_BYTE)
        return _error(f"unknown opcode: {op}")

    def _trickle(self, conn: socket.socket, data: bytes) -> None:
        for i in range(len(data)):
            conn.sendall(data[i:i + 1])
            time.sleep(self.trickle)

    def close(self) -> None:
        """Stop listening and close every connection."""
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.close()
            except OSError:
                pass
