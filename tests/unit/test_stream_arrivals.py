"""A stream's end: it waits for late packets only while they still arrive."""
from __future__ import annotations

from lab.observe.probes.stream import Arrivals


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _arrivals(reads, sent, still_s=1.0):
    clock, seq = Clock(), iter(reads)
    return Arrivals(lambda: next(seq), sent, still_s, clock), clock


def test_all_arrived_ends_at_once():
    a, _ = _arrivals([[5, 3]], [5, 3])
    assert a.done()


def test_counters_still_moving_keep_it_waiting():
    a, clock = _arrivals([[1, 0], [2, 0], [3, 0], [4, 0]], [5, 3])
    for _ in range(4):
        assert not a.done()
        clock.t += 0.9          # each read moved a counter: never still for a second


def test_counters_standing_still_end_it_only_after_still_s():
    a, clock = _arrivals([[4, 3], [4, 3], [4, 3]], [5, 3])
    assert not a.done()          # first read: nothing to compare with
    clock.t += 0.5
    assert not a.done(), "still for 0.5 s only"
    clock.t += 0.5
    assert a.done(), "still for 1 s: the missing packet is lost"


def test_a_late_arrival_restarts_the_still_period():
    a, clock = _arrivals([[4, 2], [4, 2], [4, 3], [4, 3]], [5, 3])
    assert not a.done()
    clock.t += 0.8
    assert not a.done()
    clock.t += 0.8
    assert not a.done(), "a counter moved: the still period starts again"
    clock.t += 0.5
    assert not a.done()
