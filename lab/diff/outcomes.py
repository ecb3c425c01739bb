"""The N-1 sweep as observed, for comparing two policies: per single failure, what packets did
(delivered or lost per pair, loops), how long the FIBs moved, and the FIB once quiet.

lab.sweep judges each failure against the oracle, which only knows baglab's own policy and
would wait out its deadline on every case of a candidate; here a case ends when the lab is
quiet, and two labs' outcomes are compared with each other, never with a prediction.
"""
from __future__ import annotations

import time
from typing import Callable

from .. import sweep
from ..plan import Plan
from ..probes import flows as probes
from ..session import lab_session
from ..state import LabPaths
from ..settled import baseline, wait_quiet
from .snapshot import Snapshot, deliveries, fib_view

#: convergence times closer than this (ms), or than half the slower one, are the same
CONVERGENCE_SLACK_MS = 2500.0
#: restoration waits for BGP sessions to come back, on connect-retry timers: identical runs of one
#: lab measured 0.4 s and 3.4 s for the same repair, so only a far slower repair counts
RESTORE_SLACK_MS = 10000.0


def observe(plan: Plan, paths: LabPaths, *, flows_per_pair: int = 16, window_s: float = 1.0,
            deadline_s: float = 30.0, only: Callable | None = None,
            progress: Callable[[int, int, str], None] | None = None) -> dict[str, dict]:
    """Every single failure of lab.sweep.cases, one after the other; case name -> outcome."""
    pairs = sweep.sample_pairs(plan)
    probes.install(plan, paths, reach_ports=len(pairs))
    todo = [c for c in sweep.cases(plan) if only is None or only(c)]
    out = {}
    with lab_session(paths, plan) as session:
        state = baseline(plan, paths)
        steady = _sessions(state)                     # the sessions a repair must bring back
        fi, tl = session.injector, session.timeline
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
    q = wait_quiet(plan, paths, window_s, deadline_s, before=before)
    fault_ms = max(0.0, tl.last_change() - t0) * 1000
    delivered, looped = deliveries(plan, paths, pairs, set(fi.failures().nodes), flows_per_pair)
    failed = set(fi.failures().nodes)
    fib = {r: v for r, v in fib_view(plan, paths).items() if r not in failed}
    fi.restore(f)
    back = wait_quiet(plan, paths, window_s, 2 * deadline_s, before=q.state, ready=repaired)
    # restoration includes sessions coming back, which the FIB timeline cannot see: the settle
    # poll's last change (FIBs and sessions) measures it, to its poll interval
    return {"quiet": q.ok and back.ok, "convergence_ms": round(fault_ms or q.last_change_s * 1000, 1),
            "restore_ms": round(back.last_change_s * 1000, 1),
            "delivered": delivered, "looped": looped, "fib": fib}, back.state


def _slower(a: float, b: float, slack_ms: float) -> bool:
    return abs(a - b) > slack_ms and max(a, b) > 2 * min(a, b)


def sweep_differences(base: Snapshot, cand: Snapshot) -> list:
    from .compare import Difference, _delivered, _same_shares, shares_text

    out = []
    for case in sorted(set(base.sweep) & set(cand.sweep)):
        a, b = base.sweep[case], cand.sweep[case]
        for key in sorted(set(a["delivered"]) | set(b["delivered"])):
            da, db = a["delivered"].get(key), b["delivered"].get(key)
            if (da and da["sent"] - da["delivered"]) != (db and db["sent"] - db["delivered"]):
                src, prefix = key.split(">", 1)
                out.append(Difference(src, prefix, "sweep", _delivered(da) if da else "not probed",
                                      _delivered(db) if db else "not probed", f"during {case}", case))
        if a["looped"] != b["looped"]:
            out.append(Difference("", "", "sweep", f"{a['looped']} looped", f"{b['looped']} looped",
                                  f"during {case}", case))
        for what, slack in (("convergence_ms", CONVERGENCE_SLACK_MS), ("restore_ms", RESTORE_SLACK_MS)):
            if _slower(a[what], b[what], slack):
                out.append(Difference("", "", "sweep", f"{a[what]:.0f} ms", f"{b[what]:.0f} ms",
                                      f"{what.split('_')[0]} after {case}", case))
        for router in sorted(set(a["fib"]) | set(b["fib"])):
            fa, fb = a["fib"].get(router, {}), b["fib"].get(router, {})
            for prefix in sorted(set(fa) | set(fb)):
                if not _same_shares(fa.get(prefix), fb.get(prefix)):
                    out.append(Difference(router, prefix, "sweep", shares_text(fa.get(prefix)),
                                          shares_text(fb.get(prefix)), f"FIB during {case}", case))
    return out
