"""Draining a plane, a router or a link loses no probe packet.

The rehearsal of lab/workflows/rehearsal.py does the work (a stream of real packets between every pair of
fabrics from before the drain to after the undrain, plus take-down and bring-back while drained);
what changes here is how each step is judged settled: the lab going quiet, not the oracle,
because the oracle knows only the built-in policy."""
from __future__ import annotations

import time

from lab.verdict.measure import EventResult
from lab.design.plan import Plan
from lab.workflows.rehearsal import rehearse
from lab.session import Lab
from lab.observe.settle import Strategy, baseline, settle
from lab.state import LabPaths
from lab.verdict.checks.verdict import CheckKind, Status, Verdict


def _quiet_judge(plan: Plan, paths: LabPaths, event: str, settle_s: float, deadline_s: float, held: dict):
    """Each step changes something: wait for that change, then for quiet (``held``: the state the
    previous step left, so a change faster than the first poll is still seen)."""
    def go(fault, failures) -> EventResult:
        t = time.time()
        q = settle(plan, paths, Strategy.QUIET, quiet_s=settle_s, deadline_s=deadline_s,
                   skip=frozenset(failures.nodes), expect_change=True, before=held.get("state"))
        held["state"] = q.state
        return EventResult(scenario="check", event=event, kind=str(fault.kind), target=fault.target, started=t,
                           failures={"links": sorted(failures.links), "nodes": sorted(failures.nodes)},
                           converged=q.ok, oracle_match_s=q.seconds, per_node_ms={"lab": 1000 * q.last_change_s},
                           report="" if q.ok else "never quiet: " + "; ".join(q.changing[:4]))
    return go


def target(plan: Plan, d) -> tuple[str, dict]:
    """The rehearsal's kind and keyword arguments for one drain of the intent file."""
    if d.plane is not None:
        return "plane", {"plane": d.plane, "region": d.region}
    if d.router is not None:
        return "node", {"node": d.router}
    bundle, _, member = d.link.partition("#")
    return "link", {"bundle": bundle, "members": [int(member)] if member else None}


def check(lab: Lab, d, settle_s: float = 1.5, deadline_s: float = 30.0) -> Verdict:
    plan, paths = lab.plan, lab.paths
    kind, kw = target(plan, d)
    what = (f"plane {d.plane}" + (f" in {d.region}" if d.region else "")) if kind == "plane" else (d.router or d.link)
    cid = f"drain:{what.replace(' ', '-')}"
    held = {"state": baseline(plan, paths)}
    rep = rehearse(lab, _quiet_judge(plan, paths, "fault", settle_s, deadline_s, held),
                   _quiet_judge(plan, paths, "restore", settle_s, 2 * deadline_s, held), kind, **kw)
    ev = {"sent": rep.sent, "lost": rep.lost, "pairs": len(rep.pairs),
          "steps": [{"name": s.name, "ms": round(s.converged_ms), "ok": s.ok, "problems": s.problems[:10]}
                    for s in rep.steps],
          "lost_by_pair": [{"src": r.src, "prefix": r.prefix, "lost": r.lost} for r in rep.results if r.lost],
          "not_probed": sorted({r for r, _ in rep.stranded})}
    if rep.unsettled:             # a step never went quiet: the drain was not judged
        return Verdict(cid, CheckKind.DRAINS, Status.INCONCLUSIVE, f"draining {what}: the lab never went quiet", ev)
    if not rep.ok:
        bad = [f"{s.name}: {'; '.join(s.problems[:3]) or 'failed'}" for s in rep.steps if not s.ok]
        return Verdict(cid, CheckKind.DRAINS, Status.FAIL, f"draining {what}: {rep.lost} of {rep.sent} packets lost"
                       + (f"; {'; '.join(bad[:4])}" if bad else ""), ev)
    return Verdict(cid, CheckKind.DRAINS, Status.PASS,
                   f"draining {what}: {rep.sent} packets over {len(rep.pairs)} pairs, none lost", ev)
