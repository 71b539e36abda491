"""Failed logins slow the next attempts down, per connection and per user, without holding up anyone else
(issue 7, item 4). The throttle's clock and sleep are replaced so nothing here depends on timing."""

from __future__ import annotations

import os
import threading

import pytest

from pyflymq import wire
from pyflymq.broker import Broker
from pyflymq.broker.testing import RawConnection
from pyflymq.broker.throttle import TOO_MANY_FAILURES, LoginThrottle
from pyflymq.wire import Op

pytestmark = pytest.mark.skipif(bool(os.environ.get("FLYMQ_TEST_SERVER")),
                                reason="needs the built-in broker with users and a controllable login throttle")

USERS = ["alice:wonder:admin", "bob:builder:consumer"]


class FakeTime:
    """A clock that moves only when the throttle sleeps; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds

    def take(self) -> list[float]:
        taken, self.sleeps = self.sleeps, []
        return taken


@pytest.fixture
def timed():
    fake = FakeTime()
    with Broker(users=USERS) as broker:
        broker.dispatcher.login_throttle = LoginThrottle(clock=fake.clock, sleep=fake.sleep)
        yield broker, fake


def attempt(conn: RawConnection, name: str, password: str):
    reply = conn.request(Op.AUTH, wire.encode_auth_request(name, password))
    assert reply.op == Op.AUTH_RESPONSE
    return wire.decode_auth_response(reply.payload)


def test_failures_on_one_connection_make_each_next_attempt_wait_longer(timed):
    broker, fake = timed
    with RawConnection(broker.address) as c:
        waits = []
        for _ in range(8):
            assert attempt(c, "alice", "guess").error == "invalid username or password"
            waits.append(sum(fake.take()))
    assert waits[0] == 0  # the first try is free
    assert waits[1:] == sorted(waits[1:]) and waits[1] > 0
    assert waits[-1] == LoginThrottle().cap  # growing, up to the cap


def test_a_connection_spraying_names_is_slowed_too(timed):
    broker, fake = timed
    with RawConnection(broker.address) as c:
        for i in range(5):
            attempt(c, f"user{i}", "guess")
        fake.take()
        attempt(c, "someone-new", "guess")
        assert sum(fake.take()) >= LoginThrottle().delay(5)


def test_failures_on_a_name_follow_it_to_new_connections(timed):
    broker, fake = timed
    for _ in range(4):
        with RawConnection(broker.address) as c:
            attempt(c, "alice", "guess")
    fake.take()
    with RawConnection(broker.address) as c:
        assert attempt(c, "alice", "wonder").success  # checked after the wait, not refused
        assert sum(fake.take()) >= LoginThrottle().delay(4)


def test_a_good_login_without_recent_failures_is_never_slowed(timed):
    broker, fake = timed
    with RawConnection(broker.address) as c:
        attempt(c, "alice", "guess")
        attempt(c, "alice", "guess")
    fake.take()
    with RawConnection(broker.address) as c:
        assert attempt(c, "bob", "builder").success
    assert fake.take() == []
    with RawConnection(broker.address) as c:
        assert attempt(c, "alice", "wonder").success
    fake.take()
    with RawConnection(broker.address) as c:  # the success forgave alice's failures
        assert attempt(c, "alice", "wonder").success
    assert fake.take() == []


def test_a_flood_on_one_name_is_refused_without_a_check():
    throttle = LoginThrottle(clock=lambda: 0.0, sleep=lambda s: None)
    for _ in range(6):
        throttle.failed("alice")
    accepted = sum(throttle.before_attempt("alice", 0) for _ in range(10))
    # queued attempts are spaced by the cap (2 s), the first at 2 s: those at 2 and 4 s fit in max_wait (5 s)
    assert accepted == 2
    with Broker(users=USERS) as broker:
        broker.dispatcher.login_throttle = throttle
        with RawConnection(broker.address) as c:
            result = attempt(c, "alice", "wonder")
    assert (result.success, result.error) == (False, TOO_MANY_FAILURES)


def test_a_waiting_login_holds_up_no_other_connection():
    entered, release = threading.Event(), threading.Event()

    def blocking_sleep(seconds: float) -> None:
        entered.set()
        release.wait(10)

    with Broker(users=USERS) as broker:
        broker.dispatcher.login_throttle = LoginThrottle(sleep=blocking_sleep)
        with RawConnection(broker.address, timeout=10) as slow, RawConnection(broker.address) as other:
            attempt(slow, "alice", "guess")
            slow.send(wire.encode_frame(Op.AUTH, wire.encode_auth_request("alice", "guess2")))
            assert entered.wait(10), "the second failed attempt should wait"
            assert attempt(other, "bob", "builder").success
            assert other.request(Op.LIST_TOPICS).op == Op.LIST_TOPICS
            release.set()
            assert wire.decode_auth_response(slow.read_frame().payload).error == "invalid username or password"


def test_stopping_the_broker_cuts_login_waits_short():
    entered = threading.Event()
    with Broker(users=USERS) as broker:
        throttle = broker.dispatcher.login_throttle = LoginThrottle(base=3600.0, cap=3600.0, max_wait=7200.0)
        hour_long_wait = throttle._sleep

        def observed_sleep(seconds: float) -> None:
            entered.set()
            hour_long_wait(seconds)

        throttle._sleep = observed_sleep
        with RawConnection(broker.address, timeout=10) as c:
            attempt(c, "alice", "guess")
            c.send(wire.encode_frame(Op.AUTH, wire.encode_auth_request("alice", "guess2")))
            assert entered.wait(10)
            broker.stop()
            assert broker.connection_count() == 0  # its thread ended instead of sitting out the hour
            c.sock.settimeout(10)
            while c.sock.recv(65536):  # perhaps the answer to the cut-short attempt, then the close
                pass


def test_hammering_a_refused_name_slows_the_connection_down():
    fake = FakeTime()
    throttle = LoginThrottle(clock=fake.clock, sleep=fake.sleep, max_wait=0.0)
    for _ in range(6):
        throttle.failed("alice")
    with Broker(users=USERS) as broker:
        broker.dispatcher.login_throttle = throttle
        with RawConnection(broker.address) as c:
            waits = []
            for _ in range(4):
                assert attempt(c, "alice", "wonder").error == TOO_MANY_FAILURES
                waits.append(sum(fake.take()))
    assert waits[0] == 0 and 0 < waits[1] < waits[2] < waits[3]
