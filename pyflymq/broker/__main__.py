"""Command line: ``python -m pyflymq.broker [--host H] [--port P] [options]`` (also ``flymq-broker``).

Prints exactly one line, ``listening on HOST:PORT``, once the port is open, then serves until Ctrl-C or
SIGTERM, which stop it cleanly with exit status 0. ``--cluster N`` runs N nodes of a FlyMQ cluster
(flymq-wire §7, :mod:`.cluster`) on ports PORT, PORT+1, ... (free ports with ``--port 0``) and prints
``listening on HOST:P1,HOST:P2,...``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from .cluster import Cluster
from .server import IDLE_TIMEOUT, MAX_CONNECTIONS, Broker


def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    p = argparse.ArgumentParser(prog="python -m pyflymq.broker",
                                description="A FlyMQ-compatible broker for tests and demos.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9092, help="port to bind; 0 picks a free one (default 9092)")
    p.add_argument("--dlq", action="store_true", help="enable the dead-letter queue ops and .dlq topics")
    p.add_argument("--transactions", action="store_true", help="enable the buffering transaction coordinator")
    p.add_argument("--delayed", action="store_true", help="enable delayed delivery for PRODUCE_DELAYED")
    p.add_argument("--schemas", action="store_true", help="validate PRODUCE_WITH_SCHEMA against its schema")
    p.add_argument("--user", action="append", default=[], metavar="NAME:PASSWORD:ROLE",
                   help="add a user and turn auth on (roles: admin, producer, consumer, guest); repeatable")
    p.add_argument("--tls-cert", metavar="FILE", help="server certificate (PEM); enables TLS")
    p.add_argument("--tls-key", metavar="FILE", help="server private key (PEM)")
    p.add_argument("--tls-ca", metavar="FILE", help="CA bundle; clients must present a certificate it signed")
    p.add_argument("--data-dir", metavar="DIR", help="keep topics, records and committed offsets here")
    p.add_argument("--node-id", default="local-1", help="node id reported by CLUSTER_METADATA")
    p.add_argument("--advertised-addr", metavar="HOST:PORT", help="address reported by CLUSTER_METADATA")
    p.add_argument("--idle-timeout", type=float, default=IDLE_TIMEOUT, metavar="SECONDS",
                   help="close connections idle this long (default 300)")
    p.add_argument("--max-connections", type=int, default=MAX_CONNECTIONS, metavar="N",
                   help=f"serve at most N clients at once; more are refused with an error (default {MAX_CONNECTIONS})")
    p.add_argument("--cluster", type=int, default=0, metavar="N",
                   help="run N cluster nodes (topic metadata through a Raft leader, logs per node; flymq-wire §7)")
    p.add_argument("-v", "--verbose", action="store_true", help="log connection events to stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the broker until interrupted; return the exit status."""
    args = build_parser().parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        print("error: --tls-cert and --tls-key must be given together", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.cluster and (args.data_dir or args.advertised_addr or args.node_id != "local-1"):
        print("error: --cluster names its nodes itself and keeps them in memory: drop --data-dir, --node-id "
              "and --advertised-addr", file=sys.stderr)
        return 2
    options = dict(dlq=args.dlq, transactions=args.transactions, delayed=args.delayed, schemas=args.schemas,
                   users=args.user or None, tls_cert=args.tls_cert, tls_key=args.tls_key, tls_ca=args.tls_ca,
                   idle_timeout=args.idle_timeout, max_connections=args.max_connections)
    server: Broker | Cluster
    try:
        if args.cluster:
            server = Cluster(args.cluster, args.host, base_port=args.port, **options)
        else:
            server = Broker(args.host, args.port, data_dir=args.data_dir, node_id=args.node_id,
                            advertised_addr=args.advertised_addr, **options)
        server.start()
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    address = server.servers if isinstance(server, Cluster) else server.address

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(f"listening on {address}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
