"""The short history of committed offsets per (topic, group) that the commit plan warns from."""

from __future__ import annotations

from flytui.offset_history import OffsetHistory, OffsetMove
from pyflymq.models import GroupInfo


def test_moves_between_refreshes_and_against_the_fresh_read():
    history = OffsetHistory(keep=4)
    history.record([GroupInfo("orders", "billing", 0, {0: 5, 1: 5}), GroupInfo("orders", "audit", 1, {0: 1})], 10.0)
    history.record([GroupInfo("orders", "billing", 0, {0: 5, 1: 9})], 15.0)
    assert history.moves("orders", "billing") == [OffsetMove(1, 5, 9, 15.0)]
    assert history.moves("orders", "billing", {0: 7, 1: 9}, 16.0) == [OffsetMove(1, 5, 9, 15.0),
                                                                      OffsetMove(0, 5, 7, 16.0)]
    assert history.moves("orders", "audit") == []
    assert history.moves("other", "billing", {0: 3}, 1.0) == []


def test_history_is_bounded_and_ignores_repeated_times():
    history = OffsetHistory(keep=3, max_groups=2)
    for step in range(10):
        history.add("t", "g", {0: step}, float(step))
    history.add("t", "g", {0: 99}, 9.0)  # same time as the last snapshot: ignored
    assert [m.new for m in history.moves("t", "g")] == [8, 9]
    history.add("t", "g2", {0: 1}, 1.0)
    history.add("t", "g3", {0: 1}, 1.0)  # the oldest group is dropped
    assert history.moves("t", "g") == []


def test_a_partition_committed_for_the_first_time_is_a_move_from_none():
    history = OffsetHistory()
    history.add("t", "g", {}, 1.0)
    history.add("t", "g", {2: 40}, 2.0)
    assert history.moves("t", "g") == [OffsetMove(2, None, 40, 2.0)]


def test_restart_after_our_own_commit_forgets_earlier_moves():
    history = OffsetHistory()
    history.add("t", "g", {0: 5, 1: 5}, 1.0)
    history.add("t", "g", {0: 5, 1: 9}, 2.0)
    history.restart("t", "g", {1: 20, 2: None}, 3.0)  # read back after committing partition 1
    history.add("t", "g", {0: 5, 1: 20}, 4.0)  # the next refresh sees our commit: no move
    assert history.moves("t", "g") == []
    history.add("t", "g", {0: 6, 1: 20}, 5.0)
    assert history.moves("t", "g") == [OffsetMove(0, 5, 6, 5.0)]
