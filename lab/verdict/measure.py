"""One fault, measured: did every FIB reach the oracle's state, how fast, and do RIB and FIB agree.

This is the verdict step of the pipeline (faults -> observations -> verdict);
tests, the CLI and bench/ all call it, so they report the same numbers.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field

from lab.config.oracle import Failures

from lab.observe.converge import failure_report
from lab.faults import Fault
from lab.observe.timeline import Timeline
from lab.design.plan import Plan
from lab.observe.settle import Strategy, settle
from lab.state import LabPaths


@dataclass
class EventResult:
    scenario: str
    event: str                      # "fault" | "restore"
    kind: str
    target: str
    started: float
    failures: dict
    converged: bool
    oracle_match_s: float           # time until every FIB equalled the oracle (polling)
    per_node_ms: dict[str, float]   # last BGP FIB change on each node, from the fault's timestamp
    mismatches: list[str] = field(default_factory=list)
    session_problems: list[str] = field(default_factory=list)
    rib_fib: list[str] = field(default_factory=list)
    timeline_gaps: list[str] = field(default_factory=list)   # netlink read errors: the timing may be wrong
    report: str = ""

    @property
    def overall_ms(self) -> float:
        return max(self.per_node_ms.values(), default=0.0)

    @property
    def ok(self) -> bool:
        return self.converged and not self.rib_fib and not self.timeline_gaps

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(overall_ms=round(self.overall_ms, 1), ok=self.ok,
                 median_node_ms=round(statistics.median(self.per_node_ms.values()), 1) if self.per_node_ms else 0.0)
        d["per_node_ms"] = {k: round(v, 1) for k, v in sorted(self.per_node_ms.items())}
        return d


def judge(plan: Plan, paths: LabPaths, timeline: Timeline, failures: Failures, started: float, *,
          scenario: str, event: str, kind: str, target: str, deadline_s: float = 30.0, quiet_s: float = 0.5,
          check_rib: bool = True) -> EventResult:
    """One event waited for (lab.observe.settle's TIMELINE strategy) and recorded with its per-node times."""
    conv = settle(plan, paths, Strategy.TIMELINE, timeline=timeline, failures=failures, deadline_s=deadline_s,
                  quiet_s=quiet_s, check_rib=check_rib)
    rib_fib = conv.rib_fib
    res = EventResult(scenario=scenario, event=event, kind=kind, target=target, started=started,
                      failures={"links": sorted(failures.links), "nodes": sorted(failures.nodes)},
                      converged=conv.converged, oracle_match_s=round(conv.seconds, 3),
                      per_node_ms={n: ms for n, ms in timeline.convergence_ms(started, until=time.time()).items()
                                   if n not in failures.nodes},   # a dead router's own FIB is not convergence
                      mismatches=[str(m) for m in conv.mismatches], session_problems=conv.session_problems,
                      rib_fib=rib_fib,
                      timeline_gaps=[f"{node}: {err}" for t, node, err in timeline.errors if t >= started])
    if res.timeline_gaps:
        res.report = "route-event record has gaps (convergence times unreliable):\n  " + "\n  ".join(res.timeline_gaps)
    if not conv.converged:
        from lab.runtime import runtime_for

        procs = runtime_for(paths).processes(plan)
        live_procs = {n: d for n, d in procs.items() if n not in failures.nodes}
        res.report = failure_report(plan, paths, conv, live_procs)
    elif rib_fib:
        res.report = "RIB and FIB disagree:\n  " + "\n  ".join(rib_fib[:20])
    return res


def after_fault(plan, paths, timeline, fault: Fault, failures: Failures, scenario: str, **kw) -> EventResult:
    return judge(plan, paths, timeline, failures, fault.started, scenario=scenario, event="fault",
                 kind=fault.kind, target=fault.target, **kw)


def after_restore(plan, paths, timeline, fault: Fault, failures: Failures, scenario: str, **kw) -> EventResult:
    return judge(plan, paths, timeline, failures, fault.restored or time.time(), scenario=scenario, event="restore",
                 kind=fault.kind, target=fault.target, **kw)
