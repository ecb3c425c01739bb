"""Waiting until a lab is quiet without an oracle: FIBs and BGP sessions unchanged for a window.

The oracle cannot say when a candidate policy has converged (it does not know the candidate's
weights), so the only evidence is that nothing moves any more.  Small and self-contained on
purpose; :mod:`lab.checks.quiet` answers the same question for the intent checks.
"""
from __future__ import annotations

import subprocess
import time
from typing import Callable
from dataclasses import dataclass, field

from ..node_kinds import kind_of
from ..observers.fib import FibReader
from ..observers.frr import bgp_sessions, many
from ..plan import Plan
from ..state import LabPaths


@dataclass
class Quiet:
    ok: bool
    seconds: float          # from the start of the wait until the lab was seen quiet (or gave up)
    last_change_s: float    # from the start of the wait to the last change seen (0: none)
    why: str = ""
    state: tuple = field(default=(), repr=False)    # the state seen last (not reported: a large tuple)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "seconds": self.seconds, "last_change_s": self.last_change_s, "why": self.why}


def routers(plan: Plan) -> list[str]:
    return [n.name for n in plan.nodes if kind_of(n).has_fib]


def state_of(plan: Plan, paths: LabPaths, fib: FibReader) -> tuple:
    """Everything that must stop moving: every router's FIB and every session's state."""
    names = routers(plan)
    fibs = tuple((n, tuple(sorted((p, tuple(h)) for p, h in fib.read(n).items()))) for n in names)
    sessions = many(lambda n: _sessions(paths.netns(n)), names)
    return fibs, tuple(sorted(sessions.items()))


def _sessions(netns: str) -> tuple:
    """A router whose bgpd is down (a failure under test) has no sessions: that is a state too."""
    try:
        return tuple(sorted(bgp_sessions(netns).items()))
    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
        return (("bgpd unreachable", str(exc)[:80]),)


def wait_quiet(plan: Plan, paths: LabPaths, window_s: float = 2.0, deadline_s: float = 60.0,
               interval_s: float = 0.2, ready: Callable[[tuple], bool] | None = None,
               start: tuple | None = None) -> Quiet:
    """Poll until nothing changed for ``window_s``; a lab that keeps moving past ``deadline_s``
    is not quiet (the caller cannot decide, it must not guess).

    ``ready`` (given the state: FIBs, sessions) must hold too before the window counts: after a
    repair, a BGP session takes seconds to come back while nothing at all changes meanwhile.
    ``start``: the state before the caller acted, so a change already done by the first read
    still counts as a change (at that read's time)."""
    t0 = time.monotonic()
    with FibReader({n: paths.netns(n) for n in routers(plan)}) as fib:
        last, changed = state_of(plan, paths, fib), t0
        if start is not None and last != start:
            changed = time.monotonic()
        while True:
            now = time.monotonic()
            if now - changed >= window_s and (ready is None or ready(last)):
                return Quiet(True, round(now - t0, 2), round(changed - t0, 2) if changed > t0 else 0.0, state=last)
            if now - t0 > deadline_s:
                return Quiet(False, round(now - t0, 2), round(changed - t0, 2),
                             f"still changing after {deadline_s:.0f} s (last change {now - changed:.1f} s ago)",
                             state=last)
            time.sleep(interval_s)
            cur = state_of(plan, paths, fib)
            if cur != last:
                last, changed = cur, time.monotonic()
