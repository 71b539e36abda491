"""Slowing down password guessing (issue 7, item 4), per connection and per user name.

Each failed AUTH makes the next attempt wait longer: ``base`` seconds after the first failure, doubling up to
``cap``. The wait comes *before* the password is checked, so its length says nothing about the guess. Two
counters are kept: the connection's consecutive failures (whatever names it tries) and the user name's
(whatever connections try it). Attempts on one name are queued: parallel connections cannot guess faster than
one attempt per wait, and an attempt that would queue longer than ``max_wait`` is refused at once, without a
check. A success clears both counters; a name forgotten after ``forget_after`` seconds without failures.

Waiting happens in the connection's own thread: every other connection is served meanwhile. A login with no
recent failures on its connection or its name is never slowed.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

TOO_MANY_FAILURES = "too many failed logins for this user; try again in a few seconds"


@dataclass
class _NameRecord:
    failures: int
    next_slot: float  # the earliest moment the next attempt on this name may be checked
    last_failure: float


class LoginThrottle:
    """Decides how long an AUTH waits before its credentials are checked, and refuses floods."""

    def __init__(self, base: float = 0.1, cap: float = 2.0, max_wait: float = 5.0, forget_after: float = 600.0,
                 max_names: int = 4096, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], object] | None = None) -> None:
        self.base = base
        self.cap = cap
        self.max_wait = max_wait
        self.forget_after = forget_after
        self.max_names = max_names
        self._clock = clock
        self._closed = threading.Event()
        self._sleep = sleep or self._closed.wait  # close() cuts every wait short (broker shutdown)
        self._lock = threading.Lock()
        self._names: OrderedDict[str, _NameRecord] = OrderedDict()

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` consecutive failures (0 for none)."""
        if failures <= 0:
            return 0.0
        return min(self.cap, self.base * 2 ** min(failures - 1, 32))

    def before_attempt(self, name: str, connection_failures: int) -> bool:
        """Wait as long as earlier failures require; False if this attempt must be refused unchecked."""
        now = self._clock()
        wait = self.delay(connection_failures)
        allowed = True
        with self._lock:
            record = self._names.get(name)
            if record is not None and now - record.last_failure > self.forget_after:
                del self._names[name]
                record = None
            if record is not None:
                slot = max(now, record.next_slot)
                if slot - now > self.max_wait:
                    allowed = False  # refused, but only after the connection's own wait
                else:
                    record.next_slot = slot + self.delay(record.failures)
                    wait = max(wait, slot - now)
        if wait > 0:
            self._sleep(wait)
        return allowed

    def failed(self, name: str) -> None:
        """Count a failed attempt on ``name``."""
        now = self._clock()
        with self._lock:
            record = self._names.pop(name, None) or _NameRecord(0, now, now)
            record.failures += 1
            record.last_failure = now
            record.next_slot = max(record.next_slot, now + self.delay(record.failures))
            self._names[name] = record
            while len(self._names) > self.max_names:
                self._names.popitem(last=False)

    def succeeded(self, name: str) -> None:
        """A correct login: the name's failures are forgiven."""
        with self._lock:
            self._names.pop(name, None)

    def close(self) -> None:
        """End every wait now (the broker is stopping)."""
        self._closed.set()

    def reopen(self) -> None:
        """Wait again after :meth:`close` (the broker is starting again)."""
        self._closed.clear()
