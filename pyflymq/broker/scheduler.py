"""A single timer thread for delayed deliveries (one heap, not one thread per message)."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("pyflymq.broker")


class Scheduler:
    """Runs callbacks after a delay on one daemon thread, started on first use."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Callable[[], object]]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def schedule(self, delay: float, callback: Callable[[], object]) -> None:
        """Run ``callback`` once, ``delay`` seconds from now (ignored after :meth:`stop`)."""
        with self._cond:
            if self._stopped:
                return
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay), next(self._seq), callback))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="pyflymq-broker-timers", daemon=True)
                self._thread.start()
            self._cond.notify()

    def pending(self) -> int:
        """Callbacks not yet run."""
        with self._cond:
            return len(self._heap)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._stopped:
                    return
                _due, _seq, callback = heapq.heappop(self._heap)
            try:
                callback()
            except Exception:
                log.exception("delayed delivery failed")

    def stop(self) -> None:
        """Drop pending callbacks and end the thread."""
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
