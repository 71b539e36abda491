"""A FlyMQ-compatible broker for tests and demos, built on :mod:`pyflymq.wire`.

``Broker`` serves the FlyMQ binary protocol on a background thread with the real server's behaviour and
quirks (flymq-wire §2, §3, §6), minus its crashes. Run it from the shell with
``python -m pyflymq.broker --port 9092``.
"""

from .cluster import Cluster
from .server import Broker

__all__ = ["Broker", "Cluster"]
