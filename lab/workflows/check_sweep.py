"""Every single failure (and failure domain) with the candidate policy: no blackhole, no loop,
converged within a budget -- judged without any oracle of the candidate.

For each case of lab/workflows/sweep.py's list: inject it (lab/faults, through a lab session), wait until
the lab is quiet, probe every pair of fabrics with real packets, restore, wait quiet again.
A pair the plan's live graph still connects must get every packet through (else: blackhole);
any ICMP time-exceeded a router sends meanwhile is a loop; the time from the fault to the last
FIB or session change is the convergence time."""
from __future__ import annotations

import time

from lab.workflows import sweep as n1
from lab.faults.kinds import DomainKind
from lab.design.plan import Plan
from lab.observe.probes import flows
from lab.session import Lab
from lab.observe.settle import Strategy, baseline, settle
from lab.verdict.checks import reach
from lab.verdict.checks.verdict import CheckKind, Status, Verdict

DOMAIN_KINDS = {k.value for k in DomainKind}


def selected(plan: Plan, spec) -> list[n1.Case]:
    kinds = set(spec.kinds or ["link", "bundle", "node", "plane", "domain"])
    if not spec.domains:
        kinds.discard("domain")
    return [c for c in n1.cases(plan) if (("domain" if c.kind in DOMAIN_KINDS else c.kind) in kinds)]


def run(lab: Lab, spec, per_pair: int = 8, settle_s: float = 1.5, deadline_s: float = 30.0,
        progress=None) -> list[Verdict]:
    plan, paths = lab.plan, lab.paths
    todo = selected(plan, spec)
    probes_all = reach.plan_pairs(plan, plan.address_families, set())
    flows.install(plan, paths, reach_ports=len(probes_all))
    out = []
    for i, case in enumerate(todo, 1):
        out.append(_one(plan, paths, lab.faults, case, spec.budget_ms, per_pair, settle_s, deadline_s))
        if progress:
            progress(i, len(todo), out[-1])
    return out


def _one(plan, paths, fi, case, budget_ms, per_pair, settle_s, deadline_s) -> Verdict:
    t0 = time.time()
    v = _judge(plan, paths, fi, case, budget_ms, per_pair, settle_s, deadline_s)
    v.seconds = round(time.time() - t0, 2)
    return v


def _judge(plan, paths, fi, case, budget_ms, per_pair, settle_s, deadline_s) -> Verdict:
    cid = f"sweep:{case.kind}:{case.target}"
    base = baseline(plan, paths)
    f = case.make(fi)
    try:
        fl = fi.failures()
        dead_nodes, dead_links = frozenset(fl.nodes), frozenset(fl.links)
        q = settle(plan, paths, Strategy.QUIET, quiet_s=settle_s, deadline_s=deadline_s, skip=dead_nodes, expect_change=True,
               before=base)
        probes = reach.plan_pairs(plan, plan.address_families, set(), dead_nodes, dead_links)
        before = flows.read(plan, paths)
        if q.ok:
            reach.probe_all(plan, paths, probes, per_pair)
        looped = reach.loops(before, flows.read(plan, paths))
        base = baseline(plan, paths)
    finally:
        fi.restore(f)
    back = settle(plan, paths, Strategy.QUIET, quiet_s=settle_s, deadline_s=2 * deadline_s, expect_change=True,
                  before=base)
    ev = {"converged_ms": round(1000 * q.last_change_s), "budget_ms": budget_ms, "restored_quiet_s": back.seconds,
          "pairs": len(probes), "cut_off_in_plan": [p.pair for p in probes if not p.expected], "loops": looped}
    if not q.ok or not back.ok:
        what = q if not q.ok else back
        return Verdict(cid, CheckKind.SWEEP, Status.INCONCLUSIVE,
                       f"never quiet {'after the failure' if not q.ok else 'after restoring'}"
                       f": {'; '.join(what.changing[:4])}", ev)
    bad = reach.problems(probes)
    ev["blackholes"] = bad
    issues = [f"blackhole {b}" for b in bad] + [f"loop: {n} sent {c} time-exceeded" for n, c in looped.items()]
    if 1000 * q.last_change_s > budget_ms:
        issues.append(f"converged in {1000 * q.last_change_s:.0f} ms, over the {budget_ms} ms budget")
    if issues:
        return Verdict(cid, CheckKind.SWEEP, Status.FAIL, f"{case.kind} {case.target}: " + "; ".join(issues[:6]), ev)
    return Verdict(cid, CheckKind.SWEEP, Status.PASS, f"converged in {1000 * q.last_change_s:.0f} ms, {len(probes)} pairs clean"
                   + (f", {len(ev['cut_off_in_plan'])} cut off by design" if ev["cut_off_in_plan"] else ""), ev)
