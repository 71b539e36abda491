"""When the garbage collector's full passes run: while the user is not typing.

A full (generation 2) collection walks every tracked object. A TUI holds many long-lived ones (render caches
of strips and segments, a page of records, the overview of a big cluster), so each full pass took 90-360 ms on
the UI thread: a key pressed during one waited that long. Young generations stay automatic (they are cheap);
:class:`IdleCollector` turns the automatic full passes off and runs them itself when no key came for a moment,
or at the latest after :attr:`IdleCollector.max_interval`, so cyclic garbage is still freed in bounded time.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

NEVER = 1 << 30
"""A generation-2 threshold that the automatic collector never reaches."""


class IdleCollector:
    """Runs full collections when the app is idle (see the module docstring).

    Call :meth:`install` once, :meth:`user_active` on every key, and :meth:`tick` from a timer (about once a
    second); :meth:`uninstall` restores the collector's thresholds.
    """

    def __init__(self, *, quiet: float = 1.5, interval: float = 20.0, max_interval: float = 120.0,
                 clock: Callable[[], float] = time.monotonic, collect: Callable[[], object] = gc.collect) -> None:
        self.quiet = quiet
        self.interval = interval
        self.max_interval = max_interval
        self._clock = clock
        self._collect = collect
        self._last_key = clock()
        self._last_full = clock()
        self._saved: tuple[int, int, int] | None = None
        self.collections = 0

    def install(self) -> None:
        """Stop automatic full collections (young generations stay automatic)."""
        if self._saved is None:
            self._saved = gc.get_threshold()
            gen0, gen1, _ = self._saved
            gc.set_threshold(gen0, gen1, NEVER)

    def uninstall(self) -> None:
        """Give the collector its thresholds back."""
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def user_active(self) -> None:
        """A key was pressed: postpone full collections until the user pauses."""
        self._last_key = self._clock()

    def seconds_since_key(self) -> float:
        """How long ago the last key was pressed (since the app started, if none was)."""
        return self._clock() - self._last_key

    def tick(self) -> bool:
        """Collect now if it is due; True when a collection ran."""
        now = self._clock()
        since_full = now - self._last_full
        idle = now - self._last_key >= self.quiet
        if (idle and since_full >= self.interval) or since_full >= self.max_interval:
            self._collect()
            self._last_full = self._clock()
            self.collections += 1
            return True
        return False
