"""The one broker fixture every networked test uses.

``flymq`` yields a :class:`TestServer`. By default it is the built-in broker (``pyflymq.broker.Broker``)
on 127.0.0.1 with the real server's defaults, shared by the session; each test gets its own topic names
from :meth:`TestServer.topic`, so tests never see each other's data. A test that needs a broker option the
real server leaves off (DLQ, transactions, auth, TLS, a data dir) says so with
``@pytest.mark.broker(dlq=True, ...)`` and gets a broker of its own with those options
(``@pytest.mark.broker(own=True)``: one of its own with the defaults, for a test that fills it with data).
``scope="module"`` in the mark shares that broker with the module's other tests marked the same way, instead
of starting one per test (``pytestmark = pytest.mark.broker(dlq=True, scope="module")``). A module fixture
that needs the broker itself (to seed it once) asks ``module_broker(**options)`` for the same shared broker.

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
    _topics: list = field(default_factory=list)

    @property
    def builtin(self) -> bool:
        """True when this is pyflymq's built-in broker (its state can be inspected directly)."""
        return self.broker is not None

    def topic(self, prefix: str = "t") -> str:
        """A topic name no other test uses (on an external server it is deleted after the test)."""
        name = f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:8]}"
        self._topics.append(name)
        return name

    def remove_test_data(self) -> None:
        """Delete what the test left on an external server: its topics (and their DLQs) and their groups."""
        if self.builtin or not self._topics:
            return
        from pyflymq import connect
        from pyflymq.errors import FlyMQError

        prefixes = tuple(self._topics)  # names made from them too (``f"{topic}.dlq"``, ``f"{topic}-other"``)
        try:
            with connect(self.address, timeout_ms=5000) as client:
                try:
                    groups = client.list_groups(include_internal=True)
                except FlyMQError:
                    groups = []
                for group in groups:
                    owner = group.topic.split(".", 1)[1] if group.topic.startswith("__flymq_members.") else group.topic
                    if owner.startswith(prefixes):
                        try:
                            client.delete_group(group.topic, group.group_id)
                        except FlyMQError:
                            pass
                for name in [t for t in client.list_topics() if t.startswith(prefixes)]:
                    try:
                        client.delete_topic(name)
                    except FlyMQError:
                        pass
        except FlyMQError:
            pass  # the server is gone: nothing to clean
        self._topics.clear()

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


@pytest.fixture(scope="module")
def module_broker():
    """``module_broker(**options)``: a built-in broker with ``options``, shared by the module's tests.

    Started on first use, one per set of options, stopped when the module's tests are done. For tests of
    the built-in broker itself and for module fixtures that seed it once; skipped with FLYMQ_TEST_SERVER.
    """
    brokers: dict[str, object] = {}

    def start(**options):
        if EXTERNAL_SERVER:
            wanted = ", ".join(sorted(options)) or "the defaults"  # names only: values may be long paths
            pytest.skip(f"needs a built-in broker of its own with {wanted}; "
                        f"not done to FLYMQ_TEST_SERVER={EXTERNAL_SERVER}")
        key = repr(sorted(options.items()))  # option values may be lists (users), so not hashable as they are
        if key not in brokers:
            from pyflymq.broker import Broker

            brokers[key] = Broker(host="127.0.0.1", port=0, **options).start()
        return brokers[key]

    yield start
    for broker in brokers.values():
        broker.stop()


@pytest.fixture
def flymq(request, _shared_broker, module_broker):
    """The FlyMQ server for this test: built in, or ``FLYMQ_TEST_SERVER``."""
    marker = request.node.get_closest_marker("broker")
    options = dict(marker.kwargs) if marker else {}
    own = options.pop("own", False)  # a broker of its own with the defaults (for tests that flood it)
    scope = options.pop("scope", "function")
    if scope not in ("function", "module"):
        raise ValueError(f"broker(scope={scope!r}): the scope is 'function' or 'module'")
    if EXTERNAL_SERVER:
        if options:
            pytest.skip(f"needs the built-in broker with {options}; FLYMQ_TEST_SERVER={EXTERNAL_SERVER} "
                        "may not have these options on")
        if own:
            pytest.skip(f"fills a broker of its own with data; not done to FLYMQ_TEST_SERVER={EXTERNAL_SERVER}")
        server = TestServer(EXTERNAL_SERVER)
        yield server
        server.close_clients()
        server.remove_test_data()
        return
    if not options and not own and scope == "function":
        server = TestServer(_shared_broker.address, _shared_broker)
        yield server
        server.close_clients()
        return
    if scope == "module":
        broker = module_broker(**options)
        server = TestServer(broker.address, broker)
        yield server
        server.close_clients()
        return
    from pyflymq.broker import Broker

    with Broker(host="127.0.0.1", port=0, **options) as broker:
        server = TestServer(broker.address, broker)
        yield server
        server.close_clients()


@pytest.fixture
def cluster():
    """A FlyMQ cluster for one test: three built-in nodes with fast elections, or ``FLYMQ_TEST_CLUSTER``
    (see tests/cluster_helpers.py)."""
    from tests.cluster_helpers import cluster_under_test

    yield from cluster_under_test()
