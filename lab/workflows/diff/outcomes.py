"""The N-1 sweep as observed, for comparing two policies: per single failure, what packets did
(delivered or lost per pair, loops), how long the FIBs moved, and the FIB once quiet.

lab.workflows.sweep judges each failure against the oracle, which only knows baglab's own policy and
would wait out its deadline on every case of a candidate; here a case ends when the lab is
quiet, and two labs' outcomes are compared with each other (compare.sweep_differences), never
with a prediction.
"""
from __future__ import annotations

import time
from typing import Callable

from lab.workflows import sweep
from lab.observe.probes import flows as probes
from lab.session import Lab
from lab.observe.settle import Strategy, baseline, settle
from lab.workflows.diff.snapshot import deliveries, fib_view


def observe(lab: Lab, *, flows_per_pair: int = 16, window_s: float = 1.0,
            deadline_s: float = 30.0, only: Callable | None = None,
            progress: Callable[[int, int, str], None] | None = None) -> dict[str, dict]:
    """Every single failure of lab.workflows.sweep.cases, one after the other; case name -> outcome."""
    plan, paths = lab.plan, lab.paths
    pairs = sweep.sample_pairs(plan)
    probes.install(plan, paths, reach_ports=len(pairs))
    todo = [c for c in sweep.cases(plan) if only is None or only(c)]
    out = {}
    state = baseline(plan, paths)
    steady = _sessions(state)                     # the sessions a repair must bring back
    fi, tl = lab.faults, lab.timeline
    for i, case in enumerate(todo, 1):
        out[f"{case.kind} {case.target}"], state = _one(plan, paths, fi, tl, case, pairs, flows_per_pair,
                                                        window_s, deadline_s, state,
                                                        lambda st: _sessions(st) == steady)
        if progress:
            progress(i, len(todo), f"{case.kind} {case.target}")
    return out


def _sessions(state: dict) -> dict:
    return {k: v for k, v in state.items() if k[0] == "bgp"}


def _one(plan, paths, fi, tl, case, pairs, flows_per_pair, window_s, deadline_s, before, repaired) -> tuple:
    """One failure: its FIBs once quiet (the failed routers' own are not theirs to keep: a
    killed zebra leaves whatever the kernel held), its packets, its times; and the state once
    repaired, the next case's starting point."""
    t0 = time.time()
    f = case.make(fi)
    q = settle(plan, paths, Strategy.QUIET, quiet_s=window_s, deadline_s=deadline_s, before=before)
    fault_ms = max(0.0, tl.last_change() - t0) * 1000
    delivered, looped = deliveries(plan, paths, pairs, set(fi.failures().nodes), flows_per_pair)
    failed = set(fi.failures().nodes)
    fib = {r: v for r, v in fib_view(plan, paths).items() if r not in failed}
    fi.restore(f)
    back = settle(plan, paths, Strategy.QUIET, quiet_s=window_s, deadline_s=2 * deadline_s, before=q.state,
                  ready=repaired)
    # restoration includes sessions coming back, which the FIB timeline cannot see: the settle
    # poll's last change (FIBs and sessions) measures it, to its poll interval
    return {"quiet": q.ok and back.ok, "convergence_ms": round(fault_ms or q.last_change_s * 1000, 1),
            "restore_ms": round(back.last_change_s * 1000, 1),
            "delivered": delivered, "looped": looped, "fib": fib}, back.state
