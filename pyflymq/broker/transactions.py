"""The transaction coordinator, when enabled (flymq-wire §2.14).

BEGIN hands out ``txn-producer-<nanos>-<nanos>``; TXN_PRODUCE buffers; COMMIT returns the buffered
messages for the caller to write (keyless, in order) and reports False for an unknown, committed or aborted
transaction; ABORT discards and reports False only for an unknown or committed one. An active transaction
expires (is aborted) after ``timeout`` seconds. Finished transactions are forgotten after ``retention``
seconds, so a client looping on BEGIN cannot grow memory without bound.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import OpError

ACTIVE, COMMITTED, ABORTED = "active", "committed", "aborted"


@dataclass
class Transaction:
    """One transaction: its state, buffered ``(topic, value)`` writes and when it began."""

    state: str
    started: float
    finished: float = 0.0
    writes: list[tuple[str, bytes]] = field(default_factory=list)


class Coordinator:
    """Buffers transactional writes until commit."""

    def __init__(self, timeout: float = 60.0, retention: float = 600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._timeout = timeout
        self._retention = retention
        self._clock = clock
        self._lock = threading.Lock()
        self._txns: dict[str, Transaction] = {}
        self._last_nanos = 0

    def _nanos(self) -> int:
        # Two BEGINs in the same nanosecond must still get different ids.
        now = max(time.time_ns(), self._last_nanos + 1)
        self._last_nanos = now
        return now

    def _get(self, txn_id: str) -> Transaction | None:
        txn = self._txns.get(txn_id)
        if txn is not None and txn.state == ACTIVE and self._clock() - txn.started > self._timeout:
            txn.state, txn.writes, txn.finished = ABORTED, [], self._clock()
        return txn

    def _forget_old(self) -> None:
        now = self._clock()
        stale = [tid for tid, t in self._txns.items()
                 if (t.state != ACTIVE and now - t.finished > self._retention)
                 or (t.state == ACTIVE and now - t.started > self._timeout + self._retention)]
        for tid in stale:
            del self._txns[tid]

    def begin(self) -> str:
        """Start a transaction and return its id."""
        with self._lock:
            self._forget_old()
            txn_id = f"txn-producer-{self._nanos()}-{self._nanos()}"
            self._txns[txn_id] = Transaction(ACTIVE, self._clock())
            return txn_id

    def add(self, txn_id: str, topic: str, value: bytes) -> None:
        """Buffer a write; OpError for an unknown or inactive transaction."""
        with self._lock:
            txn = self._get(txn_id)
            if txn is None:
                raise OpError(f"transaction not found: {txn_id}")
            if txn.state != ACTIVE:
                raise OpError(f"transaction is not active: {txn.state}")
            txn.writes.append((topic, value))

    def commit(self, txn_id: str) -> list[tuple[str, bytes]] | None:
        """Mark committed and hand back the writes to perform; None when it cannot be committed."""
        with self._lock:
            txn = self._get(txn_id)
            if txn is None or txn.state != ACTIVE:
                return None
            writes, txn.writes = txn.writes, []
            txn.state, txn.finished = COMMITTED, self._clock()
            return writes

    def write_failed(self, txn_id: str) -> None:
        """A write of a committing transaction failed: it ends aborted (the writes before it stay)."""
        with self._lock:
            txn = self._txns.get(txn_id)
            if txn is not None:
                txn.state, txn.finished = ABORTED, self._clock()

    def abort(self, txn_id: str) -> bool:
        """Discard the writes; False for an unknown or committed transaction (aborting twice is fine)."""
        with self._lock:
            txn = self._get(txn_id)
            if txn is None or txn.state == COMMITTED:
                return False
            if txn.state == ACTIVE:
                txn.writes, txn.finished = [], self._clock()
            txn.state = ABORTED
            return True
