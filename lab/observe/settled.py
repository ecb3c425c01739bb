"""What a lab's "quiet" is made of, without an oracle: for a policy other than the built-in one.

lab.config.oracle models only baglab's own policy, so a candidate policy's lab cannot be "equal to the
oracle"; it is settled once every planned session is Established and every FRR router's kernel FIB
(next hops and weights) and BGP session state stayed unchanged for a settle window.  ``up`` waits
so for a candidate policy; the intent checks (lab.verdict.checks) and ``diff`` wait so before they judge,
and a lab that never settles makes their verdicts INCONCLUSIVE rather than wrong.  The waiting
itself is lab.observe.settle's (strategies QUIET and SETTLED); this module snapshots and compares."""
from __future__ import annotations

import subprocess

from lab.design.node_kinds import kind_of
from lab.observe import frr
from lab.observe.fib import CountingFibReader, DumpFibReader
from lab.design.plan import Plan
from lab.state import LabPaths


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
    return DumpFibReader(netns)


def snapshot(fib, paths: LabPaths, nodes: list[str], skip: frozenset = frozenset()) -> dict:
    live = [n for n in nodes if n not in skip]
    many_ = getattr(fib, "read_many", None)
    state = {("fib", n): t for n, t in many_(live).items()} if many_ else {("fib", n): fib.read(n) for n in live}
    for n in live:
        if getattr(fib, "counts", {}).get(n):
            state[("fib", n)]["routes"] = fib.counts[n]
    state.update({("bgp", n): s for n, s in _sessions(paths, live).items()})
    return state


def changes(a: dict, b: dict) -> list[str]:
    """What differs between two snapshots, per router: the prefixes that moved, or the sessions."""
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
    """The lab's state now, to hand to a QUIET wait (lab.observe.settle) as ``before`` after acting on it."""
    nodes = routers(plan)
    with reader(plan, paths, nodes) as fib:
        return snapshot(fib, paths, nodes)
