"""Waiting until a lab is quiet, without an oracle: for a policy other than the built-in one.

bgp.oracle models only baglab's own policy, so a candidate policy's lab cannot be "equal to the
oracle"; it is settled once every planned session is Established and every FRR router's kernel FIB
(next hops and weights) and BGP session state stayed unchanged for a settle window.  ``up`` waits
so for a candidate policy; the intent checks (lab.checks) and ``diff`` wait so before they judge,
and a lab that never settles makes their verdicts INCONCLUSIVE rather than wrong."""
from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from typing import Callable

from bgp.oracle import NONE

from .converge import Convergence, wait_sessions
from .node_kinds import kind_of
from .observers import frr
from .observers.fib import CountingFibReader, FibReader
from .plan import Plan
from .state import LabPaths


@dataclass
class Quiet:
    ok: bool
    waited_s: float
    changing: list[str] = field(default_factory=list)   # what changed last (when never quiet)
    last_change_s: float = 0.0      # from the start of the wait to the last change seen: convergence
    state: dict = field(default_factory=dict, repr=False)    # the last snapshot: the next wait's ``before``

    @property
    def why(self) -> str:
        return "" if self.ok else "still changing: " + "; ".join(self.changing[:5])

    def as_dict(self) -> dict:
        return {"ok": self.ok, "seconds": self.waited_s, "last_change_s": self.last_change_s, "why": self.why}


def routers(plan: Plan) -> list[str]:
    """The nodes with a kernel FIB: what must stop moving."""
    return [n.name for n in plan.nodes if kind_of(n).has_fib]


def _sessions(paths: LabPaths, nodes: list[str]) -> dict:
    def one(n):
        try:
            return frr.bgp_sessions(paths.netns(n))
        except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired) as exc:   # a daemon down is a state too
            return {"error": str(exc)[:80]}
    return frr.many(one, nodes, workers=4)


def reader(plan: Plan, paths: LabPaths, nodes: list[str]):
    """Bulk route tables (10^4..10^6 routes) are read by iproute2, keeping the plan's prefixes
    and counting the rest: parsing every route in Python each poll would take seconds."""
    netns = {n: paths.netns(n) for n in nodes}
    if any(n.bulk for n in plan.nodes):
        return CountingFibReader(netns, set(plan.prefixes()))
    return FibReader(netns)


def snapshot(fib, paths: LabPaths, nodes: list[str], skip: frozenset = frozenset()) -> dict:
    live = [n for n in nodes if n not in skip]
    state = {("fib", n): fib.read(n) for n in live}
    for n in live:
        if getattr(fib, "counts", {}).get(n):
            state[("fib", n)]["routes"] = fib.counts[n]
    state.update({("bgp", n): s for n, s in _sessions(paths, live).items()})
    return state


def _diff(a: dict, b: dict) -> list[str]:
    out = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            what, node = key
            if what == "fib":
                pa, pb = a.get(key) or {}, b.get(key) or {}
                moved = sorted(p for p in set(pa) | set(pb) if pa.get(p) != pb.get(p))
                out.append(f"{node}: FIB {', '.join(moved[:4])}" + (" ..." if len(moved) > 4 else ""))
            else:
                out.append(f"{node}: BGP sessions {b.get(key)}")
    return out


def baseline(plan: Plan, paths: LabPaths) -> dict:
    """The lab's state now, to hand to :func:`wait_quiet` after acting on it."""
    nodes = routers(plan)
    with reader(plan, paths, nodes) as fib:
        return snapshot(fib, paths, nodes)


def wait_quiet(plan: Plan, paths: LabPaths, settle_s: float = 2.0, deadline_s: float = 30.0,
               skip: frozenset = frozenset(), expect_change: bool = False, before: dict | None = None,
               ready: Callable[[dict], bool] | None = None) -> Quiet:
    """Poll until nothing changed for ``settle_s``; ``skip``: routers that are down on purpose.
    ``expect_change`` (after a fault or a restore): the settle window counts only from the first
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
            changing, since = _diff(before, last), time.monotonic()
        while True:
            time.sleep(0.25)     # a poll interval, not a synchronisation: the loop's condition decides
            now = snapshot(fib, paths, nodes, skip)
            if now != last:
                changing, last, since = _diff(last, now), now, time.monotonic()
            elif (time.monotonic() - since >= settle_s and (changing or not expect_change)
                  and (ready is None or ready(now))):
                return Quiet(True, round(time.monotonic() - t0, 2), last_change_s=round(since - t0, 2), state=last)
            if time.monotonic() - t0 >= deadline_s:
                break
    if not changing:
        changing = ["nothing changed at all"] if expect_change else ["(kept changing)"]
    return Quiet(False, round(time.monotonic() - t0, 2), changing, round(since - t0, 2), last)


def wait_settled(plan: Plan, paths: LabPaths, deadline_s: float = 60.0, quiet_s: float = 3.0,
                 on_poll: Callable[[int, int], None] | None = None) -> Convergence:
    """``up`` for a candidate policy: sessions Established, then quiet for ``quiet_s``; never raises
    on timeout: the result names the sessions still down, or what kept changing."""
    start = time.monotonic()
    live = [n.name for n in plan.nodes if kind_of(n).has_fib]
    problems = wait_sessions(plan, paths, live, NONE, deadline_s)
    if not problems:
        q = wait_quiet(plan, paths, settle_s=quiet_s, deadline_s=max(quiet_s + 1, deadline_s - (time.monotonic() - start)))
        if not q.ok:
            problems = [f"not quiet within {deadline_s:.0f}s (no {quiet_s:g}s without a change): " + "; ".join(q.changing[:4])]
    if on_poll:
        on_poll(0 if problems else len(live), len(live))
    return Convergence(time.monotonic() - start, 1, session_problems=problems)
