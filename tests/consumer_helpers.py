"""Helpers shared by the consumer tests: bounded waiting and taking records from an iterating consumer."""

from __future__ import annotations

import itertools
import threading
import time


def take(consumer, n: int, timeout: float = 10.0) -> list:
    """The next ``n`` records of an iterating consumer; a watchdog closes it so that a bug cannot hang."""
    watchdog = threading.Timer(timeout, consumer.close)
    watchdog.start()
    try:
        return list(itertools.islice(consumer, n))
    finally:
        watchdog.cancel()


def wait_for(condition, timeout: float = 10.0, what: str = "condition") -> None:
    """Poll ``condition()`` every 20 ms until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
