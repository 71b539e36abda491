"""How the client fails: unreachable servers, failover, reconnects, peers that do not speak FlyMQ, oversize
frames, silence, error frames, rejected logins, and many threads on one client.

Fake servers here are real sockets on 127.0.0.1 (a thread serving ``socket.create_server``), never mocks.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from pyflymq import (
    AuthenticationError,
    EncodeError,
    FlyMQConnectionError,
    FlyMQTimeoutError,
    FrameTooLargeError,
    GroupNotFoundError,
    OffsetOutOfRangeError,
    PartitionNotFoundError,
    ProduceError,
    ProtocolError,
    SchemaError,
    TopicNotFoundError,
    UnsupportedOperationError,
    connect,
    wire,
)
from pyflymq.models import AuthResult
from pyflymq.wire import Op

WHOAMI_ANON = wire.encode_frame(Op.WHOAMI, wire.encode_auth_response(AuthResult(False, "", [], "")))


def _recv_exact(conn: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class FakeServer:
    """A TCP server on 127.0.0.1 that reads FlyMQ frames and answers with ``handler(op, payload, state)``.

    The handler returns the bytes to send back, ``None`` to stay silent, or ``CLOSE`` to drop the
    connection. WHOAMI (the client's connect probe) is answered as an anonymous login unless the handler is
    asked for it with ``answer_probe=False``. ``on_accept(conn)`` runs first on every connection.
    """

    CLOSE = object()

    def __init__(self, handler=None, *, on_accept=None, answer_probe=True):
        self.handler = handler or (lambda op, payload, state: None)
        self.on_accept = on_accept
        self.answer_probe = answer_probe
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.received: list[tuple[int, bytes]] = []
        self.bytes_received = 0
        self.connections = 0
        self._conns: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn, {"n": self.connections}), daemon=True).start()

    def _serve(self, conn: socket.socket, state: dict) -> None:
        try:
            if self.on_accept:
                self.on_accept(conn)
            while True:
                header = _recv_exact(conn, 8)
                if header is None:
                    return
                length = int.from_bytes(header[4:8], "big")
                payload = _recv_exact(conn, length) if length else b""
                if payload is None:
                    return
                self.bytes_received += 8 + length
                op = header[2]
                if op == Op.WHOAMI and self.answer_probe:
                    conn.sendall(WHOAMI_ANON)
                    continue
                self.received.append((op, payload))
                reply = self.handler(op, payload, state)
                if reply is FakeServer.CLOSE:
                    conn.close()
                    return
                if reply is not None:
                    conn.sendall(reply)
        except OSError:
            return

    def close(self) -> None:
        self._stop.set()
        _stop_listening(self.listener)
        for conn in self._conns:
            try:
                conn.close()
            except OSError:
                pass


class Proxy:
    """A TCP relay on 127.0.0.1 in front of a real server; :meth:`drop` cuts every relayed connection."""

    def __init__(self, target: str):
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def drop(self) -> None:
        """Close every relayed connection, as a server restart or a network cut would."""
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for sock in pair:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def close(self) -> None:
        """Stop listening and drop everything: this address is now dead."""
        _stop_listening(self.listener)
        self.drop()


@pytest.fixture
def servers():
    """Factory of fake servers and proxies, all closed at the end of the test."""
    made = []

    def make(kind=FakeServer, *args, **kwargs):
        server = kind(*args, **kwargs)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def _stop_listening(listener: socket.socket) -> None:
    # shutdown() wakes a thread blocked in accept(); close() alone may leave the port accepting on Linux.
    try:
        listener.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    listener.close()


def dead_address() -> str:
    """An address on which nothing listens (connections are refused)."""
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"127.0.0.1:{port}"


def replay(*frames_hex: str):
    """A handler answering the n-th request (over all connections) with the n-th frame, given in hex;
    silent after the last."""
    frames = iter([bytes.fromhex(f) for f in frames_hex])
    return lambda op, payload, state: next(frames, None)


# --------------------------------------------------------------------------------- reachability


def test_unreachable_server_fails_fast_naming_the_address():
    address = dead_address()
    start = time.monotonic()
    with pytest.raises(FlyMQConnectionError) as info:
        connect(address, retries=3, timeout_ms=2000)
    assert time.monotonic() - start < 2.0
    assert address in str(info.value)
    assert "refused" in str(info.value).lower()
    assert "3 attempts" in str(info.value)


def test_unreachable_list_names_every_address():
    first, second = dead_address(), dead_address()
    with pytest.raises(FlyMQConnectionError) as info:
        connect([first, second], retries=1, timeout_ms=1000)
    assert first in str(info.value) and second in str(info.value)


def test_failover_to_the_second_server(flymq):
    first = dead_address()
    client = connect(f"{first},{flymq.address}", timeout_ms=3000)
    try:
        assert client.address == flymq.address
        assert client.servers == [first, flymq.address]
        topic = flymq.topic()
        assert client.produce(topic, b"v").offset == 0
    finally:
        client.close()


def test_failover_when_the_current_server_dies(flymq, servers):
    one, two = servers(Proxy, flymq.address), servers(Proxy, flymq.address)
    client = connect([one.address, two.address], timeout_ms=3000)
    try:
        topic = flymq.topic()
        client.produce(topic, b"a")
        assert client.address == one.address
        one.close()
        time.sleep(0.05)
        assert client.produce(topic, b"b").offset == 1  # a write: reconnects first, sends once
        assert client.address == two.address
        assert [m.value for m in client.fetch(topic).messages] == [b"a", b"b"]
    finally:
        client.close()


def test_reconnect_after_the_server_drops_the_connection(flymq, servers):
    proxy = servers(Proxy, flymq.address)
    client = connect(proxy.address, timeout_ms=3000)
    try:
        topic = flymq.topic()
        client.produce(topic, b"a")
        proxy.drop()
        time.sleep(0.05)
        assert client.produce(topic, b"b").offset == 1  # the write goes out once, on a new connection
        proxy.drop()
        time.sleep(0.05)
        assert [m.value for m in client.fetch(topic).messages] == [b"a", b"b"]  # a read is retried
        assert [m.value for m in client.fetch(topic).messages] == [b"a", b"b"]
    finally:
        client.close()


@pytest.mark.broker(idle_timeout=300)  # a broker of its own, to restart
def test_broker_restart_is_survived(flymq):
    client = flymq.client(retries=1)
    topic = flymq.topic()
    client.produce(topic, b"a")
    flymq.broker.stop()
    start = time.monotonic()
    with pytest.raises(FlyMQConnectionError) as info:
        client.list_topics()  # down: fails fast, naming the server
    assert flymq.address in str(info.value)
    assert time.monotonic() - start < 2.0
    flymq.broker.start()  # same port, same in-memory state
    assert client.produce(topic, b"b").offset == 1
    assert [r[2] for r in flymq.broker.records(topic, 0)] == [b"a", b"b"]


@pytest.mark.broker(idle_timeout=0.2)
def test_idle_connection_closed_by_the_server_is_replaced(flymq):
    client = flymq.client()
    topic = flymq.topic()
    client.produce(topic, b"a")
    deadline = time.monotonic() + 5
    while flymq.broker.connection_count() and time.monotonic() < deadline:
        time.sleep(0.05)  # the broker drops idle connections
    assert flymq.broker.connection_count() == 0
    assert client.produce(topic, b"b").offset == 1
    assert [r[2] for r in flymq.broker.records(topic, 0)] == [b"a", b"b"]


def test_connection_dropped_between_reads(flymq, servers):
    proxy = servers(Proxy, flymq.address)
    client = connect(proxy.address, timeout_ms=3000)
    try:
        topic = flymq.topic()
        for i in range(10):
            client.produce(topic, b"%d" % i)
        client.fetch(topic, 0, 0, 2)
        client.fetch(topic, 0, 2, 2)
        time.sleep(0.05)
        proxy.drop()
        time.sleep(0.05)
        assert client.produce(topic, b"10").offset == 10  # not sent on the dead connection: goes out once
        assert [m.value for m in client.fetch(topic, 0, 4, 2).messages] == [b"4", b"5"]
        assert len(client.fetch(topic, 0, 0, 100).messages) == 11
    finally:
        client.close()


def test_write_lost_after_sending_is_not_retried(servers):
    def handler(op, payload, state):
        return FakeServer.CLOSE  # read the produce, then hang up without answering

    server = servers(FakeServer, handler)
    client = connect(server.address, timeout_ms=2000)
    try:
        with pytest.raises(FlyMQConnectionError) as info:
            client.produce("t", b"v")
        assert "not retried" in str(info.value)
        assert [op for op, _ in server.received] == [Op.PRODUCE]  # sent exactly once
    finally:
        client.close()


def test_read_lost_after_sending_is_retried_once(servers):
    reply = wire.encode_frame(Op.FETCH, wire.encode_fetch_response([(0, None, b"v")], 1))

    def handler(op, payload, state):
        return FakeServer.CLOSE if state["n"] == 1 else reply  # the first connection dies, the next answers

    server = servers(FakeServer, handler)
    client = connect(server.address, timeout_ms=2000)
    try:
        result = client.fetch("t")
        assert [m.value for m in result.messages] == [b"v"]
        assert server.connections == 2
    finally:
        client.close()


# ------------------------------------------------------------------------- peers that are not FlyMQ


def test_http_server_on_the_port_is_a_protocol_error(servers):
    def http(conn):
        conn.recv(100)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    server = servers(FakeServer, on_accept=http)
    start = time.monotonic()
    with pytest.raises(ProtocolError) as info:
        connect(server.address, timeout_ms=3000)
    assert "not a FlyMQ server?" in str(info.value)
    assert server.address in str(info.value)
    assert time.monotonic() - start < 2.0


def test_server_that_talks_first_is_a_protocol_error(servers):
    server = servers(FakeServer, on_accept=lambda conn: conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n"))
    with pytest.raises(ProtocolError, match="not a FlyMQ server"):
        connect(server.address, timeout_ms=3000)


def test_bad_magic_mid_session_closes_the_connection(servers):
    server = servers(FakeServer, replay("ab01080100000004" "00000000", "af01080100000004" "00000000"))
    client = connect(server.address, timeout_ms=2000)
    try:
        with pytest.raises(ProtocolError, match="bad magic"):
            client.list_topics()
        assert not client.connected
        assert client.list_topics() == []  # the next call reconnects
    finally:
        client.close()


def test_bad_version_is_a_protocol_error(servers):
    server = servers(FakeServer, replay("af02080100000004" "00000000"))
    client = connect(server.address, timeout_ms=2000)
    try:
        with pytest.raises(ProtocolError, match="version"):
            client.list_topics()
    finally:
        client.close()


def test_oversized_response_header_is_refused_without_reading(servers):
    header = bytes([0xAF, 0x01, Op.FETCH, 0x01]) + (wire.MAX_PAYLOAD + 1).to_bytes(4, "big")
    server = servers(FakeServer, replay(header.hex()))  # announces 32 MiB + 1 and sends nothing more
    client = connect(server.address, timeout_ms=5000)
    try:
        start = time.monotonic()
        with pytest.raises(FrameTooLargeError):
            client.fetch("t")
        assert time.monotonic() - start < 1.0  # did not wait for the payload
        assert not client.connected
    finally:
        client.close()


def test_oversized_produce_is_refused_before_sending(servers):
    server = servers(FakeServer, replay())
    client = connect(server.address, timeout_ms=2000)
    try:
        probe_bytes = server.bytes_received
        with pytest.raises(FrameTooLargeError):
            client.produce("t", b"x" * wire.MAX_PAYLOAD)
        time.sleep(0.05)
        assert server.bytes_received == probe_bytes
        assert client.connected  # nothing went out, the connection is intact
    finally:
        client.close()


@pytest.mark.parametrize("call", [
    lambda c: c.produce("t" * 70_000, b"v"),
    lambda c: c.fetch("t", filter="f" * 70_000),
    lambda c: c.commit_offset("t", "g" * 70_000, 0, 1),
])
def test_a_value_the_codec_cannot_write_is_an_encode_error_and_nothing_is_sent(servers, call):
    server = servers(FakeServer, replay())
    client = connect(server.address, timeout_ms=2000)
    try:
        probe_bytes = server.bytes_received
        with pytest.raises(EncodeError, match="does not fit a u16 length"):
            call(client)
        time.sleep(0.05)
        assert server.bytes_received == probe_bytes
        assert client.connected
    finally:
        client.close()


def test_silent_server_times_out(servers):
    server = servers(FakeServer)  # answers the connect probe, then never anything else
    client = connect(server.address, timeout_ms=300)
    try:
        start = time.monotonic()
        with pytest.raises(FlyMQTimeoutError) as info:
            client.list_topics()
        elapsed = time.monotonic() - start
        assert 0.25 <= elapsed < 1.5
        assert server.address in str(info.value)
    finally:
        client.close()


def test_silent_server_times_out_at_connect(servers):
    server = servers(FakeServer, answer_probe=False)
    start = time.monotonic()
    with pytest.raises(FlyMQTimeoutError):
        connect(server.address, timeout_ms=200, retries=2)
    assert time.monotonic() - start < 1.5


# ----------------------------------------------------------------------------------- error frames

ERROR_CASES = [
    # (request, captured error frame, expected class, expected str)
    (lambda c: c.fetch("nope"), "af01ff0000000015746f706963206e6f7420666f756e643a206e6f7065",
     TopicNotFoundError, "topic not found: nope"),
    (lambda c: c.consume("t", 0, partition=5), "af01ff0000000018" + b"partition 5 out of range".hex(),
     PartitionNotFoundError, "partition 5 out of range"),
    (lambda c: c.cluster_metadata("nope"),
     "af01ff010000001b000000010015746f706963206e6f7420666f756e643a206e6f7065", TopicNotFoundError,
     "topic not found: nope"),
    (lambda c: c.produce_with_schema("ts", b'{"b":1}', "s"),
     "af01ff0100000035736368656d612076616c69646174696f6e206661696c65643a205b6d697373696e6720726571756972"
     "6564206669656c643a20615d", SchemaError, "schema validation failed: [missing required field: a]"),
    (lambda c: c.get_committed_offset("t", "g"),
     "af01ff000000001d636f6e73756d65722067726f7570206e6f7420666f756e643a20743a67", GroupNotFoundError,
     "consumer group not found: t:g"),
]


@pytest.mark.parametrize(("call", "frame", "cls", "text"), ERROR_CASES,
                         ids=["E1-topic", "E1-partition", "E3-topic", "E2-schema", "E1-group"])
def test_error_frames_keep_their_whole_text(servers, call, frame, cls, text):
    server = servers(FakeServer, replay(frame, "af01080100000004" "00000000"))
    client = connect(server.address, timeout_ms=2000)
    try:
        with pytest.raises(cls) as info:
            call(client)
        assert str(info.value) == text
        assert info.value.server_text == text
        assert client.list_topics() == []  # an error frame leaves the connection usable
        assert server.connections == 1
    finally:
        client.close()


def test_unknown_opcode_maps_to_unsupported(servers):
    server = servers(FakeServer, replay("af01ff0000000011756e6b6e6f776e206f70636f64653a2034"))
    client = connect(server.address, timeout_ms=2000)
    try:
        with pytest.raises(UnsupportedOperationError) as info:
            client.list_groups()
        assert info.value.server_text == "unknown opcode: 4"
        assert info.value.shape == "E1"
    finally:
        client.close()


def test_consume_eof_is_offset_out_of_range(servers):
    server = servers(FakeServer, replay("af01ff0000000003454f46"))
    client = connect(server.address, timeout_ms=2000)
    try:
        with pytest.raises(OffsetOutOfRangeError) as info:
            client.consume("t", 3)
        assert (info.value.topic, info.value.partition, info.value.offset) == ("t", 0, 3)
        assert info.value.server_text == "EOF"
    finally:
        client.close()


def test_produce_eof_is_a_failed_write_not_end_of_log(servers):
    server = servers(FakeServer, replay("af01ff0000000003454f46"))  # flymq-wire §3.11: a full segment index
    client = connect(server.address, timeout_ms=2000)
    try:
        with pytest.raises(ProduceError) as info:
            client.produce("t", b"v")
        assert info.value.server_text == "EOF"
        assert not isinstance(info.value, OffsetOutOfRangeError)
    finally:
        client.close()


def test_unexpected_reply_opcode_is_a_protocol_error(servers):
    server = servers(FakeServer, replay("af01090100000001" "01"))
    client = connect(server.address, timeout_ms=2000)
    try:
        with pytest.raises(ProtocolError, match="op 0x09"):
            client.list_topics()
    finally:
        client.close()


# ------------------------------------------------------------------------------------------ auth


@pytest.mark.broker(users=["alice:secret:admin"])
def test_wrong_password_raises_with_the_servers_words(flymq):
    with pytest.raises(AuthenticationError) as info:
        connect(flymq.address, username="alice", password="wrong", timeout_ms=3000)
    assert str(info.value) == "invalid username or password"  # FlyMQ's words (flymq-wire §2.18), whole
    assert info.value.server_text == str(info.value)


def test_rejected_login_is_not_retried_across_servers(servers):
    fail = wire.encode_frame(Op.AUTH_RESPONSE, wire.encode_auth_response(
        AuthResult(False, "", [], "invalid username or password")))
    auth_on = wire.encode_frame(Op.ERROR, b"authentication required", 0)  # the answer to the auth probe
    server = servers(FakeServer, lambda op, payload, state: fail if op == Op.AUTH else auth_on)
    start = time.monotonic()
    with pytest.raises(AuthenticationError, match="^invalid username or password$"):
        connect(server.address, username="u", password="p", retries=3)
    assert server.connections == 1
    assert time.monotonic() - start < 1.0


# --------------------------------------------------------------------------------------- threads


def test_eight_threads_share_one_client(flymq):
    client = flymq.client()
    topic = flymq.topic()
    client.create_topic(topic, 1)
    per_thread, errors, offsets = 50, [], []
    lock = threading.Lock()

    def work(n: int) -> None:
        try:
            for i in range(per_thread):
                meta = client.produce(topic, f"{n}-{i}", key=None)
                result = client.fetch(topic, 0, meta.offset, 1)
                assert result.messages[0].value == f"{n}-{i}".encode()
                with lock:
                    offsets.append(meta.offset)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sorted(offsets) == list(range(8 * per_thread))
    values = set()
    offset = 0
    while True:
        result = client.fetch(topic, 0, offset, 1000)
        if not result.messages:
            break
        values.update(m.value for m in result.messages)
        offset = result.next_offset
    assert len(values) == 8 * per_thread


def test_threads_reading_sequentially_while_others_write(flymq):
    client = flymq.client()
    topic = flymq.topic()
    for i in range(300):
        client.produce(topic, b"%d" % i)
    errors = []

    def read_all() -> None:
        try:
            offset, seen = 0, []
            while offset < 300:
                result = client.fetch(topic, 0, offset, 7)
                seen += [int(m.value) for m in result.messages]
                offset = result.next_offset
            assert seen[:300] == list(range(300))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def write() -> None:
        try:
            for i in range(100):
                client.produce(topic + "-w", b"%d" % i)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read_all) for _ in range(4)] + [threading.Thread(target=write)
                                                                      for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(client.fetch(topic + "-w", 0, 0, 1000).messages) == 200


def test_close_is_idempotent_and_final(flymq):
    client = flymq.client()
    client.close()
    client.close()
    assert client.closed and not client.connected and client.address is None
    with pytest.raises(FlyMQConnectionError, match="closed"):
        client.list_topics()
