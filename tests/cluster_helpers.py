"""The cluster every tests/test_cluster*.py test runs on: the built-in :class:`~pyflymq.broker.cluster.Cluster`
with short election timings, or the external cluster named by ``FLYMQ_TEST_CLUSTER=h1:p1,h2:p2,h3:p3``.

Tests that stop or restart nodes, or that look into a node's state, call :meth:`ClusterUnderTest.builtin_only`
and are skipped on an external cluster with the reason.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from pyflymq import wire
from pyflymq.broker.cluster import Cluster, ClusterNode, ClusterTiming
from pyflymq.broker.testing import RawConnection
from pyflymq.wire import Op
from tests.standin_server import StandInServer

EXTERNAL_CLUSTER = os.environ.get("FLYMQ_TEST_CLUSTER", "").strip()

# Elections in a few tenths of a second instead of 2-4 s; replication delays as on the real server.
FAST = ClusterTiming(election_timeout=0.2, election_jitter=0.2, vote_time=0.05, raft_hang=1.0)


@dataclass
class ClusterUnderTest:
    """The cluster of one test: node addresses, and the built-in :class:`Cluster` when there is one."""

    addresses: list[str]
    cluster: Cluster | None = None
    _topics: list[str] = field(default_factory=list)

    @property
    def servers(self) -> str:
        """``h1:p1,h2:p2,...``"""
        return ",".join(self.addresses)

    def builtin_only(self, why: str) -> Cluster:
        """The built-in cluster; skips the test on an external one, saying ``why`` it needs the built-in one."""
        if self.cluster is None:
            pytest.skip(f"{why}: not done to FLYMQ_TEST_CLUSTER={EXTERNAL_CLUSTER}")
        return self.cluster

    def node(self, index: int) -> ClusterNode:
        """Built-in node ``index`` (skips on an external cluster)."""
        return self.builtin_only("looks into a node's own state").nodes[index]

    def topic(self, prefix: str = "ct") -> str:
        """A topic name no other test uses."""
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        self._topics.append(name)
        return name

    def leader_index(self, timeout: float = 10.0) -> int:
        """The index of the node that accepts topic changes (asked over the wire, so external clusters too)."""
        deadline = time.monotonic() + timeout
        while True:
            for index, address in enumerate(self.addresses):
                try:
                    with RawConnection(address, timeout=2.0) as conn:
                        # deleting a topic that does not exist changes nothing, and only the leader accepts it
                        reply = conn.request(Op.DELETE_TOPIC, wire.encode_topic_request(
                            f"__leader-probe-{uuid.uuid4().hex[:6]}"))
                except OSError:
                    continue
                if reply.op == Op.DELETE_TOPIC:
                    return index
            if time.monotonic() >= deadline:
                raise AssertionError(f"no node accepted a create within {timeout:g}s")
            time.sleep(0.05)


def raw_error(frame: wire.Frame) -> str:
    """The text of an error frame (AssertionError if it is not one)."""
    assert frame.op == Op.ERROR, f"expected an error frame, got op 0x{frame.op:02x}"
    return wire.decode_error(frame.payload, frame.flags).text


def cluster_under_test():
    """Yield the cluster for one test (the ``cluster`` fixture in conftest.py): three built-in nodes, or
    ``FLYMQ_TEST_CLUSTER``."""
    if EXTERNAL_CLUSTER:
        yield ClusterUnderTest([a.strip() for a in EXTERNAL_CLUSTER.split(",") if a.strip()])
        return
    with Cluster(3, timing=FAST) as built:
        yield ClusterUnderTest(built.addresses, built)


def wait_until(predicate, timeout: float = 5.0, step: float = 0.01):
    """Poll ``predicate`` until it returns something true (bounded by ``timeout``); return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {timeout:g}s")
        time.sleep(step)


@contextmanager
def unanswering_servers() -> Iterator[tuple[str, str]]:
    """``(hanging, refusing)``: the address of a server that accepts connections and reads requests but never
    answers one, and an address where nothing listens (connections are refused). Both on 127.0.0.1."""
    hanging = StandInServer(silent_ops="all")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        refusing = f"127.0.0.1:{probe.getsockname()[1]}"
    try:
        yield hanging.address, refusing
    finally:
        hanging.close()
