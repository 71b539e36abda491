"""The one broker fixture every networked test uses.

``flymq`` yields a :class:`TestServer`. By default it is the built-in broker (``pyflymq.broker.Broker``)
on 127.0.0.1 with the real server's defaults, shared by the session; each test gets its own topic names
from :meth:`TestServer.topic`, so tests never see each other's data. A test that needs a broker option the
real server leaves off (DLQ, transactions, auth, TLS, a data dir) says so with
``@pytest.mark.broker(dlq=True, ...)`` and gets a broker of its own with those options.

With ``FLYMQ_TEST_SERVER=host:port`` set, the same tests run against that external FlyMQ server; tests
marked ``broker(...)`` are skipped there, with the reason.
"""

from __future__ import annotations

import itertools
import os
import uuid
from dataclasses import dataclass, field

import pytest

EXTERNAL_SERVER = os.environ.get("FLYMQ_TEST_SERVER", "").strip()
_counter = itertools.count()


def pytest_configure(config):
    config.addinivalue_line("markers", "broker(**options): run on a built-in broker started with these options")


@dataclass
class TestServer:
    """A FlyMQ server for one test: its address, the in-process broker if built in, and helpers."""

    __test__ = False  # not a test class, despite the name

    address: str
    broker: object | None = None
    _clients: list = field(default_factory=list)

    @property
    def builtin(self) -> bool:
        """True when this is pyflymq's built-in broker (its state can be inspected directly)."""
        return self.broker is not None

    def topic(self, prefix: str = "t") -> str:
        """A topic name no other test uses."""
        return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:8]}"

    def client(self, **kwargs):
        """A connected FlyMQClient, closed when the test ends."""
        from pyflymq import connect

        kwargs.setdefault("timeout_ms", 5000)
        client = connect(self.address, **kwargs)
        self._clients.append(client)
        return client

    def close_clients(self) -> None:
        """Close every client made by :meth:`client`."""
        for client in self._clients:
            try:
                client.close()
            except Exception:
                pass
        self._clients.clear()


@pytest.fixture(autouse=True)
def _state_home(tmp_path_factory, monkeypatch):
    """Every test gets its own ``$XDG_STATE_HOME``: flytui's commit journal never lands in the real home."""
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state


@pytest.fixture(scope="session")
def _shared_broker():
    if EXTERNAL_SERVER:
        yield None
        return
    from pyflymq.broker import Broker

    with Broker(host="127.0.0.1", port=0) as broker:
        yield broker


@pytest.fixture
def flymq(request, _shared_broker):
    """The FlyMQ server for this test: built in, or ``FLYMQ_TEST_SERVER``."""
    marker = request.node.get_closest_marker("broker")
    options = dict(marker.kwargs) if marker else {}
    if EXTERNAL_SERVER:
        if options:
            pytest.skip(f"needs the built-in broker with {options}; FLYMQ_TEST_SERVER={EXTERNAL_SERVER} "
                        "may not have these options on")
        server = TestServer(EXTERNAL_SERVER)
        yield server
        server.close_clients()
        return
    if not options:
        server = TestServer(_shared_broker.address, _shared_broker)
        yield server
        server.close_clients()
        return
    from pyflymq.broker import Broker

    with Broker(host="127.0.0.1", port=0, **options) as broker:
        server = TestServer(broker.address, broker)
        yield server
        server.close_clients()
