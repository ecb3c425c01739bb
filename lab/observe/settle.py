"""Waiting until a lab is stable: one entry point, :func:`settle`, with named strategies.

"Stable" means different things depending on what is known about the lab, so the strategy is
named by the caller rather than implied by which function it happened to import:

* ``CONVERGED``: every kernel FIB equals the oracle's state for the failures given, then every
  planned session is Established (the built-in policy, which the oracle models);
* ``QUIET``: every router's FIB and BGP session states unchanged for ``quiet_s`` (any policy: no
  oracle); it can wait for a first change (``expect_change``) and for a condition (``ready``);
* ``SETTLED``: sessions Established, then quiet: ``up`` for a candidate policy;
* ``TIMELINE``: converged, zebra's RIB agreeing with the kernel, and no route event on the
  timeline for ``quiet_s`` after that (a fault's measurement: the oracle's state passed through
  on the way elsewhere does not count).

Every strategy returns one :class:`Settled`; none raises on timeout: ``ok`` is False and
:meth:`Settled.why` says what was still missing.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable

from lab.config.oracle import NONE, Failures, expected_routes

from lab.observe.converge import Mismatch, fib_mismatches, fib_reader, rib_snapshot, wait_rib_fib, wait_sessions
from lab.design.node_kinds import kind_of
from lab.design.plan import Plan
from lab.observe.settled import baseline, changes, reader, routers, snapshot
from lab.state import LabPaths

__all__ = ["DEFAULTS", "Settled", "Strategy", "baseline", "settle"]


class Strategy(str, Enum):
    """How :func:`settle` decides the lab is stable (module docstring)."""
    CONVERGED = "converged"
    QUIET = "quiet"
    SETTLED = "settled"
    TIMELINE = "timeline"

    __str__ = str.__str__           # "quiet", not "Strategy.QUIET", wherever it is printed
    __format__ = str.__format__


#: each strategy's (deadline_s, quiet_s) when the caller names none: the values the separate
#: waits had before they became strategies, so no caller's timing changed
DEFAULTS: dict[Strategy, tuple[float, float]] = {
    Strategy.CONVERGED: (60.0, 0.0),
    Strategy.QUIET: (30.0, 2.0),
    Strategy.SETTLED: (60.0, 3.0),
    Strategy.TIMELINE: (30.0, 0.5),
}


@dataclass
class Settled:
    """What a wait found: ``ok`` once nothing is missing; each list is one kind of thing missing."""
    strategy: Strategy
    seconds: float                  # how long the wait took (TIMELINE: until the FIBs equalled the oracle)
    polls: int = 1
    mismatches: list[Mismatch] = field(default_factory=list)    # FIB vs oracle
    session_problems: list[str] = field(default_factory=list)   # planned sessions not Established
    changing: list[str] = field(default_factory=list)           # what changed last (never quiet)
    rib_fib: list[str] = field(default_factory=list)            # zebra's RIB and the kernel disagree
    last_change_s: float = 0.0      # QUIET: from the start of the wait to the last change seen
    state: dict = field(default_factory=dict, repr=False)       # QUIET: the last snapshot, the next wait's ``before``

    @property
    def ok(self) -> bool:
        return not (self.mismatches or self.session_problems or self.changing or self.rib_fib)

    @property
    def converged(self) -> bool:
        """The oracle's part alone: FIBs equal and sessions up (a TIMELINE result's RIB aside)."""
        return not (self.mismatches or self.session_problems)

    def why(self, limit: int = 5) -> str:
        """What was still missing, one clause per kind ("" when ok)."""
        parts = []
        if self.changing:
            parts.append("still changing: " + "; ".join(self.changing[:limit]))
        if self.mismatches:
            parts.append("FIB differs from the oracle: " + "; ".join(str(m) for m in self.mismatches[:limit]))
        if self.session_problems:
            parts.append("sessions: " + "; ".join(self.session_problems[:limit]))
        if self.rib_fib:
            parts.append("RIB and FIB disagree: " + "; ".join(self.rib_fib[:limit]))
        return "; ".join(parts)

    def as_dict(self) -> dict:
        """The form diff snapshots record a QUIET wait in."""
        return {"ok": self.ok, "seconds": self.seconds, "last_change_s": self.last_change_s, "why": self.why()}


def settle(plan: Plan, paths: LabPaths, strategy: Strategy, *, deadline_s: float | None = None,
           quiet_s: float | None = None, failures: Failures = NONE, skip: frozenset = frozenset(),
           expect_change: bool = False, before: dict | None = None, ready: Callable[[dict], bool] | None = None,
           check_sessions: bool = True, check_rib: bool = True, on_poll: Callable[[int, int], None] | None = None,
           poll_s: float = 0.05, timeline=None) -> Settled:
    """Wait until the lab is stable as ``strategy`` means it, at most ``deadline_s``.

    ``failures``: what is down on purpose (CONVERGED, TIMELINE: the oracle's input; SETTLED: the
    sessions not expected up); ``quiet_s``: the window without a change (QUIET, SETTLED, TIMELINE);
    QUIET only: ``skip`` (routers down on purpose), ``expect_change``, ``before``, ``ready`` (see
    :func:`_quiet`); CONVERGED only: ``check_sessions``, ``poll_s``; TIMELINE: ``timeline`` (a
    started lab.observe.timeline.Timeline) and ``check_rib``; ``on_poll(done, of)``: progress
    (CONVERGED, SETTLED)."""
    strategy = Strategy(strategy)
    d, q = DEFAULTS[strategy]
    deadline_s = d if deadline_s is None else deadline_s
    quiet_s = q if quiet_s is None else quiet_s
    if strategy is Strategy.CONVERGED:
        return _converged(plan, paths, failures, deadline_s, on_poll, check_sessions, poll_s)
    if strategy is Strategy.QUIET:
        return _quiet(plan, paths, quiet_s, deadline_s, skip, expect_change, before, ready)
    if strategy is Strategy.SETTLED:
        return _settled(plan, paths, failures, deadline_s, quiet_s, on_poll)
    if timeline is None:
        raise ValueError("the timeline strategy needs the lab's route-event timeline (timeline=...)")
    return _timeline(plan, paths, timeline, failures, deadline_s, quiet_s, check_rib)


def _converged(plan: Plan, paths: LabPaths, failures: Failures, deadline_s: float,
               on_poll: Callable[[int, int], None] | None, check_sessions: bool, poll_s: float) -> Settled:
    """Poll every FIB until it equals the oracle, then confirm sessions."""
    expected = expected_routes(plan, failures)
    live = [n.name for n in plan.nodes if n.name not in failures.nodes and kind_of(n).has_fib]
    start = time.monotonic()
    end = start + deadline_s
    polls = 0
    with fib_reader(plan, {n: paths.netns(n) for n in live}) as fibs:
        pending = list(live)
        mism: list[Mismatch] = []
        while True:
            polls += 1
            mism = fib_mismatches(plan, expected, fibs, pending)
            if not mism and len(pending) < len(live):
                # a node that matched early may have changed since (a restarted zebra sweeps stale routes)
                mism = fib_mismatches(plan, expected, fibs, live)
            bad = sorted({m.node for m in mism})
            if on_poll:
                on_poll(len(live) - len(bad), len(live))
            if not mism or time.monotonic() >= end:
                break
            pending = bad
            time.sleep(poll_s)
    result = Settled(Strategy.CONVERGED, time.monotonic() - start, polls, mism)
    if check_sessions and not mism:
        result.session_problems = wait_sessions(plan, paths, live, failures, max(1.0, end - time.monotonic()))
    return result


def _quiet(plan: Plan, paths: LabPaths, quiet_s: float, deadline_s: float, skip: frozenset = frozenset(),
           expect_change: bool = False, before: dict | None = None,
           ready: Callable[[dict], bool] | None = None) -> Settled:
    """Poll until nothing changed for ``quiet_s``; ``skip``: routers that are down on purpose.
    ``expect_change`` (after a fault or a restore): the window counts only from the first
    change, because a failure the routers detect late (a hold timer) looks quiet at first;
    ``before`` (a :func:`baseline` taken before acting) catches a change faster than the first poll;
    ``ready`` (given the snapshot) must hold too before the window counts: after a repair a BGP
    session takes seconds to come back while nothing at all changes meanwhile."""
    nodes = routers(plan)
    t0 = time.monotonic()
    with reader(plan, paths, nodes) as fib:
        last = snapshot(fib, paths, nodes, skip)
        since, changing = t0, []
        if before is not None and before != last:
            changing, since = changes(before, last), time.monotonic()
        while True:
            time.sleep(0.25)     # a poll interval, not a synchronisation: the loop's condition decides
            now = snapshot(fib, paths, nodes, skip)
            if now != last:
                changing, last, since = changes(last, now), now, time.monotonic()
            elif (time.monotonic() - since >= quiet_s and (changing or not expect_change)
                  and (ready is None or ready(now))):
                return Settled(Strategy.QUIET, round(time.monotonic() - t0, 2), last_change_s=round(since - t0, 2),
                               state=last)
            if time.monotonic() - t0 >= deadline_s:
                break
    if not changing:
        changing = ["nothing changed at all"] if expect_change else ["(kept changing)"]
    return Settled(Strategy.QUIET, round(time.monotonic() - t0, 2), changing=changing,
                   last_change_s=round(since - t0, 2), state=last)


def _settled(plan: Plan, paths: LabPaths, failures: Failures, deadline_s: float, quiet_s: float,
             on_poll: Callable[[int, int], None] | None) -> Settled:
    """Sessions Established, then quiet for ``quiet_s``; what is missing is said as session problems
    (the names of the sessions still down, or what kept changing), which ``up`` reports."""
    start = time.monotonic()
    live = [n.name for n in plan.nodes if kind_of(n).has_fib]
    problems = wait_sessions(plan, paths, live, failures, deadline_s)
    if not problems:
        q = _quiet(plan, paths, quiet_s, max(quiet_s + 1, deadline_s - (time.monotonic() - start)))
        if not q.ok:
            problems = [f"not quiet within {deadline_s:.0f}s (no {quiet_s:g}s without a change): "
                        + "; ".join(q.changing[:4])]
    if on_poll:
        on_poll(0 if problems else len(live), len(live))
    return Settled(Strategy.SETTLED, time.monotonic() - start, 1, session_problems=problems)


def _timeline(plan: Plan, paths: LabPaths, timeline, failures: Failures, deadline_s: float, quiet_s: float,
              check_rib: bool) -> Settled:
    """CONVERGED again until no route event follows the match for ``quiet_s``, with the RIB
    compared with the FIB; ``seconds``: the last CONVERGED wait's, i.e. the time to the oracle."""
    end = time.time() + deadline_s
    live = [n.name for n in plan.nodes if n.name not in failures.nodes]
    while True:
        conv = _converged(plan, paths, failures, max(0.5, end - time.time()), None, True, 0.05)
        matched = time.time()
        # RIB against FIB inside the quiet window rather than after it: a FIB change during either
        # sends the loop round again, so the two together cost the longer of them
        ribs = rib_snapshot(plan, paths, live) if check_rib else None
        rib_fib = wait_rib_fib(plan, paths, live, deadline_s=10.0) if check_rib else []
        # the oracle's state can be passed through on the way elsewhere (stale routes of a restarted
        # router, path hunting): it counts only if no route changes after it, for quiet_s
        timeline.wait_quiet(quiet_s, max(0.5, end - time.time()))
        if not conv.ok or not timeline.events(since=matched) or time.time() >= end:
            break
    if check_rib and not rib_fib and rib_snapshot(plan, paths, live) != ribs:
        # zebra's RIB moved after the check while the kernel's FIB did not (no timeline event): a
        # RIB the kernel never followed is what the check exists for, so compare once more
        rib_fib = wait_rib_fib(plan, paths, live, deadline_s=10.0)
    conv.strategy, conv.rib_fib = Strategy.TIMELINE, rib_fib
    return conv
