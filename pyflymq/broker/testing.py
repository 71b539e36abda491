"""Helpers for testing a FlyMQ server: raw sockets byte for byte (no client library in between), and the
broker CLI in a subprocess for tests and benchmarks that must kill it or measure it from outside."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys

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

    def __exit__(self, *exc_info: object) -> None:
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


class BrokerProcess:
    """``python -m pyflymq.broker --port 0 ARGS`` started and waited for until it prints its ready line.

    ``source`` runs the ``pyflymq`` package found in that directory instead (benchmarks compare versions).
    """

    def __init__(self, *args: str, source: str | None = None) -> None:
        env = dict(os.environ)
        if source:
            env["PYTHONPATH"] = source + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen([sys.executable, "-m", "pyflymq.broker", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                     cwd=source)  # -m looks in the working directory first
        assert self.proc.stdout is not None and self.proc.stderr is not None  # both are PIPEs
        self.line = self.proc.stdout.readline()
        if not self.line.startswith("listening on "):
            self.proc.kill()
            raise AssertionError(f"no ready line: {self.line!r} {self.proc.stderr.read()!r}")
        self.address = self.line.split()[-1]

    @property
    def pid(self) -> int:
        """The broker's process id."""
        return self.proc.pid

    def kill(self) -> None:
        """``kill -9`` and reap."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.communicate(timeout=10)

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str, str]:
        """Send ``signum``; return (exit status, rest of stdout, stderr)."""
        self.proc.send_signal(signum)
        try:
            out, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        return self.proc.returncode, out, err

    def rss_mb(self) -> float:
        """Resident memory of the broker process in MB."""
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def __enter__(self) -> BrokerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()
