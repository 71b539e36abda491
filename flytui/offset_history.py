"""A short history of committed offsets per (topic, group), from the background refreshes.

The commit plan uses it to warn that someone is still committing: offsets that moved during the last
refresh intervals, even when the group has no live member (a consumer of another tool that only commits).

Public API: :class:`OffsetHistory` (``record`` each refresh, ``moves`` before a plan) and :class:`OffsetMove`.
Pure: no Textual, no network.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pyflymq.models import GroupInfo

__all__ = ["OffsetHistory", "OffsetMove"]


@dataclass(frozen=True)
class OffsetMove:
    """The committed offset of ``partition`` went from ``old`` to ``new``, seen at ``seen_at`` (epoch s)."""

    partition: int
    old: int | None
    new: int | None
    seen_at: float


class OffsetHistory:
    """The last ``keep`` snapshots of each (topic, group)'s committed offsets."""

    def __init__(self, keep: int = 6, max_groups: int = 2000) -> None:
        self.keep = keep
        self.max_groups = max_groups
        self._snapshots: dict[tuple[str, str], deque[tuple[float, dict[int, int]]]] = {}

    def record(self, groups: Iterable[GroupInfo], taken_at: float) -> None:
        """Add one refresh: ``groups`` are :class:`pyflymq.models.GroupInfo` (topic, group_id, offsets)."""
        for info in groups:
            key = (info.topic, info.group_id)
            self.add(key[0], key[1], dict(info.offsets), taken_at)

    def add(self, topic: str, group: str, offsets: Mapping[int, int], taken_at: float) -> None:
        """Add one snapshot of one group (kept only when it differs in time from the last one)."""
        key = (topic, group)
        snapshots = self._snapshots.get(key)
        if snapshots is None:
            if len(self._snapshots) >= self.max_groups:
                self._snapshots.pop(next(iter(self._snapshots)))
            snapshots = self._snapshots[key] = deque(maxlen=self.keep)
        if snapshots and snapshots[-1][0] >= taken_at:
            return
        snapshots.append((taken_at, dict(offsets)))

    def restart(self, topic: str, group: str, offsets: Mapping[int, int | None], taken_at: float) -> None:
        """Forget the group's earlier snapshots after our own commit (its moves are not someone else's) and
        start again from the last known offsets updated with ``offsets`` (read back after the commit)."""
        key = (topic, group)
        snapshots = self._snapshots.get(key)
        known = dict(snapshots[-1][1]) if snapshots else {}
        known.update({p: o for p, o in offsets.items() if o is not None})
        self._snapshots.pop(key, None)
        self.add(topic, group, known, taken_at)

    def moves(self, topic: str, group: str, latest: Mapping[int, int | None] | None = None,
              latest_at: float | None = None) -> list[OffsetMove]:
        """Every change between consecutive snapshots, oldest first; ``latest`` (read just now, at
        ``latest_at``) is compared with the newest snapshot too. A partition that appears for the first
        time counts as a move from ``None``."""
        snapshots = list(self._snapshots.get((topic, group), ()))
        if latest is not None and latest_at is not None:
            snapshots.append((latest_at, {p: o for p, o in latest.items() if o is not None}))
        found: list[OffsetMove] = []
        for (_, before), (when, after) in zip(snapshots, snapshots[1:], strict=False):
            for partition in sorted(set(before) | set(after)):
                old, new = before.get(partition), after.get(partition)
                if old != new and new is not None:
                    found.append(OffsetMove(partition, old, new, when))
        return found
