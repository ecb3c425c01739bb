"""lab.observe.settle's pure parts: the strategies' defaults, what a result says is missing, and the QUIET,
SETTLED and CONVERGED loops run against a fake clock and fake readers (no lab, no root)."""
from __future__ import annotations

from contextlib import nullcontext

import pytest

from lab.config.oracle import NONE
import lab.observe.settle as st
from lab.observe.converge import Mismatch
from lab.observe.settle import DEFAULTS, Settled, Strategy, settle
from lab.state import LabPaths


class Clock:
    """time.monotonic/time.time that move only when the code under test sleeps."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    time = monotonic

    def sleep(self, s: float) -> None:
        self.now += s


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(st, "time", c)
    return c


@pytest.fixture
def snapshots(monkeypatch, clock):
    """settle's snapshots come from a list: the last one repeats once the list is used up."""
    seq: list = []

    def fake(_fib, _paths, _nodes, _skip=frozenset()):
        return seq.pop(0) if len(seq) > 1 else seq[0]
    monkeypatch.setattr(st, "reader", lambda *a: nullcontext(None))
    monkeypatch.setattr(st, "snapshot", fake)
    return seq


def test_every_strategy_has_the_defaults_its_old_wait_had():
    assert set(DEFAULTS) == set(Strategy)
    assert DEFAULTS[Strategy.CONVERGED][0] == 60.0
    assert DEFAULTS[Strategy.QUIET] == (30.0, 2.0)
    assert DEFAULTS[Strategy.SETTLED] == (60.0, 3.0)
    assert DEFAULTS[Strategy.TIMELINE] == (30.0, 0.5)
    assert f"{Strategy.QUIET}" == str(Strategy.QUIET) == "quiet" and Strategy("timeline") is Strategy.TIMELINE


def test_a_result_is_ok_when_nothing_is_missing_and_says_what_is():
    done = Settled(Strategy.CONVERGED, 1.5)
    assert done.ok and done.converged and done.why() == ""
    q = Settled(Strategy.QUIET, 30.0, changing=[f"r{i}: FIB 10.0.{i}.0/24" for i in range(7)])
    assert not q.ok and q.converged
    assert q.why() == "still changing: " + "; ".join(f"r{i}: FIB 10.0.{i}.0/24" for i in range(5))
    assert q.as_dict() == {"ok": False, "seconds": 30.0, "last_change_s": 0.0, "why": q.why()}
    m = Mismatch("r1-bag1", "10.1.0.0/24", (("eth1", 100),), ())
    c = Settled(Strategy.CONVERGED, 60.0, mismatches=[m], session_problems=["r1-bag1: session to x is Idle"])
    assert not c.ok and not c.converged
    assert c.why() == (f"FIB differs from the oracle: {m}; sessions: r1-bag1: session to x is Idle")
    rib = Settled(Strategy.TIMELINE, 0.4, rib_fib=["r1 10.1.0.0/24: RIB [a w1] FIB [(none)]"])
    assert rib.converged and not rib.ok and rib.why().startswith("RIB and FIB disagree: ")


def test_the_timeline_strategy_needs_a_timeline(mini):
    with pytest.raises(ValueError, match="timeline"):
        settle(mini, LabPaths("x"), Strategy.TIMELINE)


def test_quiet_once_nothing_changed_for_the_window(mini, clock, snapshots):
    snapshots += [{("fib", "r1"): {"p": 1}}, {("fib", "r1"): {"p": 2}}, {("fib", "r1"): {"p": 2}}]
    q = settle(mini, LabPaths("x"), Strategy.QUIET, quiet_s=1.0, deadline_s=10)
    assert q.ok and q.strategy is Strategy.QUIET and q.state == {("fib", "r1"): {"p": 2}}
    assert q.last_change_s == 0.25 and q.seconds == 1.25


def test_quiet_never_reached_says_what_kept_changing(mini, clock, snapshots):
    snapshots += [{("fib", "r1"): {"p": i}} for i in range(100)]
    q = settle(mini, LabPaths("x"), Strategy.QUIET, quiet_s=1.0, deadline_s=2)
    assert not q.ok and q.changing == ["r1: FIB p"] and q.why() == "still changing: r1: FIB p"


def test_an_expected_change_that_never_comes_is_not_quiet(mini, clock, snapshots):
    snapshots.append({("fib", "r1"): {"p": 1}})
    q = settle(mini, LabPaths("x"), Strategy.QUIET, quiet_s=0.5, deadline_s=2, expect_change=True)
    assert not q.ok and q.changing == ["nothing changed at all"]
    before = {("bgp", "r1"): {"x": "Established"}}
    seen = settle(mini, LabPaths("x"), Strategy.QUIET, quiet_s=0.5, deadline_s=2, expect_change=True, before=before)
    assert seen.ok and seen.last_change_s == 0.0       # the change happened before the first poll


def test_ready_must_hold_before_the_window_counts(mini, clock, snapshots):
    snapshots.append({("fib", "r1"): {"p": 1}})
    asked = []
    q = settle(mini, LabPaths("x"), Strategy.QUIET, quiet_s=0.5, deadline_s=5,
               ready=lambda s: asked.append(s) or len(asked) >= 4)
    assert q.ok and len(asked) == 4


def test_settled_names_the_sessions_down_or_what_kept_changing(mini, clock, snapshots, monkeypatch):
    monkeypatch.setattr(st, "wait_sessions", lambda *a: ["r1-bag1: session to r2 via eth1 (10.0.0.1) is Active"])
    polls = []
    s = settle(mini, LabPaths("x"), Strategy.SETTLED, on_poll=lambda ok, n: polls.append(ok))
    assert not s.ok and s.strategy is Strategy.SETTLED and s.session_problems[0].endswith("is Active")
    assert polls == [0]
    monkeypatch.setattr(st, "wait_sessions", lambda *a: [])
    snapshots += [{("fib", "r1"): {"p": i}} for i in range(1000)]
    s = settle(mini, LabPaths("x"), Strategy.SETTLED, deadline_s=10)
    assert s.session_problems == ["not quiet within 10s (no 3s without a change): r1: FIB p"]


def test_converged_polls_until_the_fibs_match_then_checks_sessions(mini, clock, monkeypatch):
    m = Mismatch("r1-bag1", "10.1.0.0/24", (("eth1", 100),), ())
    rounds = [[m], [m], []]
    monkeypatch.setattr(st, "fib_reader", lambda *a: nullcontext(None))
    monkeypatch.setattr(st, "fib_mismatches", lambda *a: rounds.pop(0) if len(rounds) > 1 else rounds[0])
    monkeypatch.setattr(st, "wait_sessions", lambda plan, paths, live, failures, deadline_s: [])
    c = settle(mini, LabPaths("x"), Strategy.CONVERGED, failures=NONE, deadline_s=5)
    assert c.ok and c.polls >= 3
    rounds[:] = [[m]]
    late = settle(mini, LabPaths("x"), Strategy.CONVERGED, deadline_s=1)
    assert not late.ok and late.mismatches == [m] and late.session_problems == []
