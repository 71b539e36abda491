"""Fault figures for the built-in broker and the client (issue 7), before and after, side by side.

    python benchmarks/bench_faults.py [--baseline DIR] [--kills 30] [--seed 7]

``--baseline DIR`` is a directory holding an older ``pyflymq`` package (e.g. extracted with
``git archive <commit> pyflymq | tar -x -C DIR``); every broker figure is then measured for it too. Each
broker runs as its own process (``python -m pyflymq.broker``) on 127.0.0.1.

1. Random kills: a broker with ``--data-dir``; each round acknowledges 50 records on a 4-partition topic,
   fills eight 64-partition topics with 640 records each, then is ``kill -9``-ed a random 0-10 ms into a
   pipelined burst that deletes all eight and writes more. After each restart: every acknowledged record must
   read back exactly; a topic whose delete was in flight must be whole or gone; a topic created again under
   a deleted name must start empty.
2. Connection cap: 1,100 connections opened and held; how many are served and how many refused.
3. RSS under abuse: with auth on, 8 connections each send a 32 MiB frame header and 24 MiB of it before
   logging in; the broker's RSS before and after.
4. AUTH guesses per second: wrong passwords for one user, on one connection and on 16 at once (3 s each).
5. The slowest ``fetch(timeout_ms=1000)`` against a fake server that trickles a valid reply one byte every
   50 ms (this measures the client in this tree; the baseline is not used).

Prints one table. Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import struct
import tempfile
import threading
import time

from pyflymq import wire
from pyflymq.broker.log import fnv1a32
from pyflymq.broker.testing import BrokerProcess, RawConnection
from pyflymq.wire import Op

ROWS: list[tuple[str, str, str]] = []


def row(figure: str, before: str, after: str) -> None:
    """Add one line to the table (and show it at once, the whole run takes a while)."""
    ROWS.append((figure, before, after))
    print(f"  {figure}: before {before} | after {after}", flush=True)


# ------------------------------------------------------------------------------------ 1. random kills


def _fetch_all(conn: RawConnection, topic: str, partition: int) -> list[tuple[int, bytes, bytes]] | None:
    out: list[tuple[int, bytes, bytes]] = []
    while True:
        reply = conn.request(Op.FETCH, wire.encode_fetch_request(topic, partition, len(out), 1000))
        if reply.op == Op.ERROR:
            return None if not out else out
        messages = wire.decode_fetch_response(reply.payload, topic, partition).messages
        if not messages:
            return out
        out.extend((m.offset, m.key or b"", m.value) for m in messages)


def _produce_burst(conn: RawConnection, topic: str, records: list[tuple[bytes, bytes]]) -> list[tuple[int, int]]:
    conn.send(b"".join(wire.encode_frame(Op.PRODUCE, wire.encode_produce_request(topic, v, key=k))
                       for k, v in records))
    acks = []
    for _ in records:
        meta = wire.decode_record_metadata(conn.read_frame().payload)
        acks.append((meta.partition, meta.offset))
    return acks


def _count_records(conn: RawConnection, topic: str, partitions: int) -> int:
    return sum(len(_fetch_all(conn, topic, p) or []) for p in range(partitions))


DOOMED = [(f"doomed-{i}", f"reborn-{i}") for i in range(4)]


def random_kills(kills: int, seed: int, source: str | None) -> dict[str, int]:
    """Acknowledged vs read back after ``kills`` kill -9s; half-deleted topics; deleted records seen again."""
    rng = random.Random(seed)
    data = tempfile.mkdtemp(prefix="bench-faults-")
    acked: dict[tuple[int, int], tuple[bytes, bytes]] = {}  # (partition, offset) of "stream" -> record
    stream_partitions = 4
    figures = {"records acknowledged": 0, "read back exactly after the last restart": 0,
               "lost or changed (summed over restarts)": 0, "topic half-deleted (some logs gone)": 0,
               "re-created topic read deleted records": 0}
    serial = 0
    try:
        for kill in range(kills + 1):
            with BrokerProcess("--data-dir", data, source=source) as broker, \
                    RawConnection(broker.address, timeout=20) as conn:
                if kill:
                    # what the last kill must not have broken
                    got = {}
                    for p in range(stream_partitions):
                        for offset, key, value in _fetch_all(conn, "stream", p) or []:
                            got[(p, offset)] = (key, value)
                    exact = sum(got.get(k) == v for k, v in acked.items())
                    figures["read back exactly after the last restart"] = exact
                    figures["lost or changed (summed over restarts)"] += len(acked) - exact
                    topics = wire.decode_list_topics_response(conn.request(Op.LIST_TOPICS).payload)
                    for doomed, reborn in DOOMED:
                        # a delete in flight at the kill: all or nothing
                        if doomed in topics and _count_records(conn, doomed, 64) != 640:
                            figures["topic half-deleted (some logs gone)"] += 1
                        for name in (doomed, reborn):
                            conn.request(Op.DELETE_TOPIC, wire.encode_topic_request(name))
                        # a name deleted, then created again: it must start empty
                        conn.request(Op.CREATE_TOPIC, wire.encode_create_topic_request(reborn, 64))
                        acks = _produce_burst(conn, reborn, [(f"k{i}".encode(), b"fresh") for i in range(8)])
                        if any(offset != sum(1 for p, _o in acks[:i] if p == acks[i][0])
                               for i, (_p, offset) in enumerate(acks)) or _count_records(conn, reborn, 64) != 8:
                            figures["re-created topic read deleted records"] += 1
                        conn.request(Op.DELETE_TOPIC, wire.encode_topic_request(reborn))
                else:
                    conn.request(Op.CREATE_TOPIC, wire.encode_create_topic_request("stream", stream_partitions))
                if kill == kills:
                    break
                # this round's work, acknowledged
                records = []
                for _ in range(50):
                    serial += 1
                    records.append((f"s{serial % 97}".encode(), f"v{serial}".encode() + rng.randbytes(50)))
                for (key, value), ack in zip(records, _produce_burst(conn, "stream", records), strict=True):
                    assert ack[0] == fnv1a32(key) % stream_partitions
                    acked[ack] = (key, value)
                figures["records acknowledged"] = len(acked)
                for pair in DOOMED:
                    for name in pair:
                        conn.request(Op.CREATE_TOPIC, wire.encode_create_topic_request(name, 64))
                        _produce_burst(conn, name, [(f"k{i}".encode(), b"old" * 30) for i in range(640)])
                # in flight at the kill: every delete, then more writes
                burst = [wire.encode_frame(Op.DELETE_TOPIC, wire.encode_topic_request(name))
                         for pair in DOOMED for name in pair]
                burst += [wire.encode_frame(Op.PRODUCE, wire.encode_produce_request("stream", b"maybe", key=b"m"))
                          for _ in range(20)]
                conn.send(b"".join(burst))
                time.sleep(rng.uniform(0, 0.010))
                broker.kill()
    finally:
        shutil.rmtree(data, ignore_errors=True)
    return figures


# ------------------------------------------------------------------------------------ 2. connection cap


def connection_cap(source: str | None, count: int = 1100) -> tuple[int, int, str]:
    """(served, refused, first refusal text) with ``count`` connections held at once."""
    served = refused = 0
    text = ""
    held = []
    with BrokerProcess(source=source) as broker:
        host, port = broker.address.rsplit(":", 1)
        try:
            for _ in range(count):
                sock = socket.create_connection((host, int(port)), timeout=5)
                held.append(sock)
                sock.sendall(wire.encode_frame(Op.LIST_TOPICS))
                header = _read_exact(sock, 8)
                payload = _read_exact(sock, int.from_bytes(header[4:8], "big")) if header else b""
                if header and header[2] == Op.LIST_TOPICS:
                    served += 1
                else:
                    refused += 1
                    text = text or payload.decode(errors="replace")
        finally:
            for sock in held:
                sock.close()
    return served, refused, text


def _read_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    try:
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                return b""
            data += chunk
    except OSError:
        return b""
    return data


# ------------------------------------------------------------------------------------ 3. RSS under abuse


def rss_under_abuse(source: str | None, connections: int = 8, sent: int = 24 << 20) -> tuple[float, float]:
    """Broker RSS (MB) before and after ``connections`` strangers each start a 32 MiB frame."""
    with BrokerProcess("--user", "alice:wonder:admin", source=source) as broker:
        host, port = broker.address.rsplit(":", 1)
        time.sleep(0.5)
        before = broker.rss_mb()
        socks = []
        chunk = bytes(1 << 20)

        def abuse() -> None:
            sock = socket.create_connection((host, int(port)), timeout=10)
            socks.append(sock)
            try:
                sock.sendall(b"\xaf\x01\x01\x01" + struct.pack(">I", wire.MAX_PAYLOAD))
                for _ in range(sent // len(chunk)):
                    sock.sendall(chunk)
            except OSError:
                pass  # refused and closed: exactly what should happen

        threads = [threading.Thread(target=abuse) for _ in range(connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        time.sleep(1.0)
        after = broker.rss_mb()
        for sock in socks:
            sock.close()
    return before, after


# ------------------------------------------------------------------------------------ 4. AUTH guesses


def guesses_per_second(source: str | None, connections: int, seconds: float = 3.0) -> tuple[float, float]:
    """Wrong-password AUTH attempts per second on one user from ``connections`` connections at once:
    (checked and answered ``invalid username or password``, refused unchecked)."""
    with BrokerProcess("--user", "alice:wonder:admin", source=source) as broker:
        stop = time.monotonic() + seconds
        counts = [0] * connections
        refusals = [0] * connections
        frame = wire.encode_frame(Op.AUTH, wire.encode_auth_request("alice", "guess"))

        def guess(i: int) -> None:
            with RawConnection(broker.address, timeout=seconds + 10) as c:
                while time.monotonic() < stop:
                    c.send(frame)
                    result = wire.decode_auth_response(c.read_frame().payload)
                    if result.error == "invalid username or password":
                        counts[i] += 1
                    else:
                        refusals[i] += 1

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(connections)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + 30)
        elapsed = time.monotonic() - started
        return sum(counts) / elapsed, sum(refusals) / elapsed


# ------------------------------------------------------------------------------------ 5. trickling server


class TricklingServer:
    """Answers WHOAMI at once and every FETCH with a valid one-record reply sent one byte every ``delay`` s."""

    def __init__(self, delay: float = 0.05) -> None:
        self.delay = delay
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            while not self._stop.is_set():
                header = _read_exact(conn, 8)
                if not header:
                    return
                payload = _read_exact(conn, int.from_bytes(header[4:8], "big"))
                op = header[2]
                if op == Op.FETCH:
                    offset = struct.unpack_from(">Q", payload, 2 + struct.unpack_from(">H", payload)[0] + 4)[0]
                    value = b"v" * 200  # one record: a 236-byte reply, 11.8 s at one byte per 50 ms
                    record = struct.pack(">QII", offset, 0, len(value)) + value
                    reply = wire.encode_frame(Op.FETCH, struct.pack(">IQ", 1, offset + 1) + record)
                    try:
                        for i in range(len(reply)):
                            conn.sendall(reply[i:i + 1])
                            if self._stop.wait(self.delay):
                                return
                    except OSError:
                        return
                elif op == Op.WHOAMI:
                    conn.sendall(wire.encode_frame(Op.WHOAMI, bytes(9)))  # anonymous
                else:
                    conn.sendall(wire.encode_frame(Op.ERROR, f"unknown opcode: {op}".encode(), 0))

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


def slowest_trickled_fetch(tries: int = 2) -> tuple[float, str]:
    """The longest a ``fetch(timeout_ms=1000)`` took against :class:`TricklingServer`, and how it ended."""
    from pyflymq import connect

    server = TricklingServer()
    worst, outcome = 0.0, ""
    try:
        for _ in range(tries):
            client = connect(server.address, timeout_ms=1000, retries=1)
            started = time.monotonic()
            try:
                client.fetch("t", 0, 0, max_messages=10)
                ended = "returned"
            except Exception as exc:  # the figure is how long it took and how it ended, whatever it was
                ended = type(exc).__name__
            took = time.monotonic() - started
            if took >= worst:
                worst, outcome = took, ended
            client.close()
    finally:
        server.close()
    return worst, outcome


# ------------------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="directory with an older pyflymq package to compare against")
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", help="also write the figures (after) to this JSON file")
    args = parser.parse_args()
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    versions = [("before", os.path.abspath(args.baseline))] if args.baseline else []
    versions.append(("after", here))

    def both(measure):
        results = {name: measure(src) for name, src in versions}
        return results.get("before"), results["after"]

    print("1. random kills", flush=True)
    before, after = both(lambda src: random_kills(args.kills, args.seed, src))
    for key in after:
        row(f"kill -9 x{args.kills}: {key}", str(before[key]) if before else "-", str(after[key]))

    print("2. connection cap", flush=True)
    before, after = both(connection_cap)
    row("1100 connections: served / refused", f"{before[0]} / {before[1]}" if before else "-",
        f"{after[0]} / {after[1]}")
    if after[2]:
        print(f"     refusal text: {after[2]!r}")

    print("3. RSS under abuse", flush=True)
    before, after = both(rss_under_abuse)
    fmt = "{:.0f} -> {:.0f} MB (+{:.0f})"
    row("broker RSS, 8 strangers x 24 MiB of a 32 MiB frame",
        fmt.format(before[0], before[1], before[1] - before[0]) if before else "-",
        fmt.format(after[0], after[1], after[1] - after[0]))

    print("4. AUTH guesses", flush=True)
    for connections in (1, 16):
        before, after = both(lambda src, n=connections: guesses_per_second(src, n))
        row(f"AUTH guesses/s checked (refused unchecked), {connections} connection(s)",
            f"{before[0]:.1f} ({before[1]:.1f})" if before is not None else "-", f"{after[0]:.1f} ({after[1]:.1f})")

    print("5. trickling server", flush=True)
    worst, outcome = slowest_trickled_fetch()
    row("slowest fetch(timeout_ms=1000), 1 byte / 50 ms (this client)", "-", f"{worst:.2f} s ({outcome})")

    width = max(len(r[0]) for r in ROWS)
    print()
    print(f"{'figure':<{width}}  {'before':>28}  {'after':>28}")
    for figure, before, after in ROWS:
        print(f"{figure:<{width}}  {before:>28}  {after:>28}")
    if args.json:
        saved = [{"figure": figure, "value": after, "target": f"before: {before}", "met": None}
                 for figure, before, after in ROWS]
        saved.append({"figure": "slowest fetch(timeout_ms=1000) against a trickling server (s)",
                      "value": f"{worst:.2f}", "target": "< 1.5 (the caller's timeout, plus slack)",
                      "met": worst < 1.5})
        with open(args.json, "w") as out:
            json.dump(saved, out, indent=1)


if __name__ == "__main__":
    main()
