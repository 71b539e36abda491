"""IdleCollector: full garbage collections run when no key came for a moment, and never later than a bound."""

from __future__ import annotations

import gc

from flytui.gc_policy import NEVER, IdleCollector


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(clock: Clock, runs: list) -> IdleCollector:
    return IdleCollector(quiet=1.5, interval=20.0, max_interval=120.0, clock=clock,
                         collect=lambda: runs.append(clock.now))


def test_collects_once_idle_and_due_not_while_keys_come():
    clock, runs = Clock(), []
    collector = make(clock, runs)
    for _ in range(30):  # a key every second for 30 s: due after 20 s, but never idle
        clock.now += 1.0
        collector.user_active()
        assert not collector.tick()
    clock.now += 1.6  # the user pauses
    assert collector.tick()
    assert runs == [clock.now]
    clock.now += 5
    assert not collector.tick()  # not due again so soon, even though idle


def test_collects_after_the_bound_even_while_typing():
    clock, runs = Clock(), []
    collector = make(clock, runs)
    for _ in range(121):
        clock.now += 1.0
        collector.user_active()
        collector.tick()
    assert len(runs) == 1 and runs[0] - 100.0 >= 120.0


def test_install_turns_off_only_automatic_full_passes_and_uninstall_restores():
    before = gc.get_threshold()
    collector = IdleCollector()
    try:
        collector.install()
        gen0, gen1, gen2 = gc.get_threshold()
        assert (gen0, gen1) == before[:2] and gen2 == NEVER
        collector.install()  # twice is harmless
    finally:
        collector.uninstall()
    assert gc.get_threshold() == before
