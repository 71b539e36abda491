"""Raw-socket helpers for testing a FlyMQ server byte for byte (no client library in between)."""

from __future__ import annotations

import socket
import ssl

from pyflymq import wire
from pyflymq.wire import Frame


def split_address(address: str) -> tuple[str, int]:
    """``"host:port"`` or ``"[v6]:port"`` to ``(host, port)``."""
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


class RawConnection:
    """A plain (or TLS) socket that sends frames and reads whole frames back."""

    def __init__(self, address: str, timeout: float = 5.0, ssl_context: ssl.SSLContext | None = None,
                 server_hostname: str | None = None) -> None:
        sock = socket.create_connection(split_address(address), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ssl_context is not None:
            sock = ssl_context.wrap_socket(sock, server_hostname=server_hostname)
        self.sock = sock

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Close the socket."""
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data: bytes) -> None:
        """Send raw bytes."""
        self.sock.sendall(data)

    def read_exact(self, n: int) -> bytes:
        """Exactly ``n`` bytes; ConnectionError if the peer closes first."""
        chunks = []
        while n:
            chunk = self.sock.recv(min(n, 1 << 20))
            if not chunk:
                raise ConnectionError("connection closed by the server")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def read_frame_bytes(self) -> bytes:
        """One whole frame, header included, as raw bytes."""
        header = self.read_exact(wire.HEADER_SIZE)
        length = int.from_bytes(header[4:8], "big")
        return header + self.read_exact(length)

    def read_frame(self) -> Frame:
        """One frame, decoded into ``(op, flags, payload)``."""
        raw = self.read_frame_bytes()
        return Frame(raw[2], raw[3], raw[8:])

    def request(self, op: int, payload: bytes = b"", flags: int = wire.FLAG_BINARY) -> Frame:
        """Send one frame and read its reply."""
        self.send(wire.encode_frame(op, payload, flags))
        return self.read_frame()

    def closed_by_peer(self, timeout: float = 2.0) -> bool:
        """True if the server closes the connection (EOF or reset) within ``timeout`` without sending data."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1)
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False
        return data == b""
