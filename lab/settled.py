"""Convergence without an oracle: for a lab running a policy other than the built-in one.

bgp.oracle models only baglab's own policy, so a candidate policy's lab is "up" once every planned
session is Established and no kernel FIB has changed for ``quiet_s`` (what the routers chose is
then for the intent checks and ``diff`` to judge, not for ``up``)."""
from __future__ import annotations

import time
from typing import Callable

from bgp.oracle import NONE

from .converge import Convergence, fib_reader, wait_sessions
from .node_kinds import kind_of
from .observers.fib import FibHop
from .plan import Plan
from .state import LabPaths


def _snapshot(reader, plan: Plan, nodes: list[str]) -> dict[str, dict[str, tuple[FibHop, ...]]]:
    return {n: {p: tuple(sorted(hs, key=lambda h: (h.ifname, h.weight)))
                for p, hs in reader.read(n, plan.address_families).items()} for n in nodes}


def wait_settled(plan: Plan, paths: LabPaths, deadline_s: float = 60.0, quiet_s: float = 3.0,
                 on_poll: Callable[[int, int], None] | None = None, poll_s: float = 0.25) -> Convergence:
    """Sessions Established, then the FIBs unchanged for ``quiet_s``; never raises on timeout.  On
    timeout the result names the sessions still down, or says the FIBs never went quiet."""
    start = time.monotonic()
    live = [n.name for n in plan.nodes if kind_of(n).has_fib]
    problems = wait_sessions(plan, paths, live, NONE, deadline_s)
    polls, last, since = 0, None, time.monotonic()
    with fib_reader(plan, {n: paths.netns(n) for n in live}) as reader:
        while not problems:
            polls += 1
            snap = _snapshot(reader, plan, live)
            if snap != last:
                last, since = snap, time.monotonic()
            if on_poll:
                on_poll(len(live) if time.monotonic() - since >= quiet_s else 0, len(live))
            if time.monotonic() - since >= quiet_s:
                break
            if time.monotonic() - start >= deadline_s:
                problems = [f"kernel FIBs still changing after {deadline_s:.0f}s (no {quiet_s:.0f}s quiet period)"]
                break
            time.sleep(poll_s)
    return Convergence(time.monotonic() - start, polls, session_problems=problems)
