"""Traffic shares at a router towards a fabric, grouped by neighbour, plane or region.

Observed twice, because either can be wrong alone: the weights the kernel holds (netlink) and
the split real flows take (lab/observe/probes/flows.py).  The flow count follows from the tolerance:
a share measured over n flows has a standard deviation of at most 0.5/sqrt(n), so holding it
to +-t (a fraction) at four standard deviations needs n = (2/t)^2 flows (+-5 points: 1,600).
Expected figures are the intent's own percentages or the plan's ideal UCMP
(:mod:`lab.verdict.checks.capacity`)."""
from __future__ import annotations


from lab.config.oracle import longest_match

from lab.design.hw_weights import TableTooSmall, quantise
from lab.design.plan import Plan
from lab.observe.probes import flows
from lab.observe.probes.precision import flows_for  # noqa: F401 - also imported from here
from lab.session import Lab
from lab.state import LabPaths
from lab.verdict.checks import capacity, names, quiet
from lab.verdict.checks.verdict import CheckKind, Status, Verdict


def _groups(plan: Plan, router: str, by: str) -> dict[str, str]:
    """egress ifname -> group, for every link of ``router``."""
    return {l.end(router).ifname: capacity.group_of(plan, router, l, by) for l in plan.links_of(router)}


def grouped(counts: dict[str, float], groups: dict[str, str]) -> dict[str, float]:
    """ifname -> amount, summed per group and turned into percent."""
    out: dict[str, float] = {}
    for ifname, v in counts.items():
        g = groups.get(ifname, ifname)
        out[g] = out.get(g, 0.0) + v
    total = sum(out.values())
    return {g: 100.0 * v / total for g, v in out.items()} if total else {}


def compare(expected: dict[str, float], observed: dict[str, float], tol: float) -> list[str]:
    """Groups whose observed share is off by more than ``tol`` points."""
    return [f"{g}: expected {expected.get(g, 0):.1f} %, observed {observed.get(g, 0):.1f} %"
            for g in sorted(set(expected) | set(observed))
            if abs(expected.get(g, 0.0) - observed.get(g, 0.0)) > tol]


def _source(plan: Plan, router: str, fabric_nodes: set[str]) -> tuple[str | None, int]:
    """A router whose flows all cross ``router``: itself when it originates, else a fabric router
    hanging off it only.  -> (source, share of the source's flows that cross it)."""
    node = plan.node(router)
    if node.originates and node.emulator == "frr":
        return router, 1
    for n in plan.nodes:
        if not n.originates or n.emulator != "frr" or n.name in fabric_nodes or not n.prefixes_v4:
            continue
        peers = {l.peer(n.name).node for l in plan.links_of(n.name) if l.kind != "collector"}
        if peers == {router}:
            return n.name, 1
    return None, 0


def kernel_split(plan: Plan, paths: LabPaths, router: str, prefix: str) -> dict[str, int]:
    with quiet.reader(plan, paths, [router]) as fib:
        hops = longest_match(fib.read(router), flows.target(prefix)) or []
    return {h.ifname: h.weight for h in hops}


def hardware_split(plan: Plan, weights: dict[str, int]):
    """The kernel's next-hop weights as the plan's ASIC group would hold them (lab.design.hw_weights)."""
    return quantise(weights, plan.hardware_members, plan.hardware_rule)


def flow_split(plan: Plan, paths: LabPaths, src: str, router: str, prefix: str, n: int) -> dict[str, int]:
    fam = "ipv6" if ":" in prefix else "ipv4"
    if not (plan.node(src).prefixes_v6 if fam == "ipv6" else plan.node(src).prefixes_v4):
        return {}
    r = flows.probe(plan, paths, src, prefix, flows=n)
    return r.split.get(router, {})


def check_one(lab: Lab, share, router: str, dead_nodes=frozenset(), dead_links=frozenset()) -> Verdict:
    plan, paths = lab.plan, lab.paths
    fabric = names.fabric(plan, share.fabric)
    own = names.fabrics(plan)[fabric]
    prefix = next(p for n in own for p in plan.node(n).prefixes)
    cid = f"shares:{router}->{fabric}:by-{share.by}" + (f":after-{'+'.join(share.failures)}" if share.failures else "")
    if share.expect == "proportional":
        expected = capacity.ideal_shares(plan, router, fabric, share.by, dead_nodes, dead_links)
    else:
        expected = {str(k): float(v) for k, v in share.expect.items()}
    groups = _groups(plan, router, share.by)
    raw = kernel_split(plan, paths, router, prefix)
    kernel = grouped(raw, groups)
    n = share.flows or flows_for(share.tolerance)
    src, _ = _source(plan, router, set(own))
    flow = grouped(flow_split(plan, paths, src, router, prefix, n), groups) if src else {}
    ev = {"router": router, "fabric": fabric, "prefix": prefix, "by": share.by, "tolerance_points": share.tolerance,
          "flows": n if src else 0, "flow_source": src, "expected": _r(expected), "kernel_weights": _r(kernel),
          "flows_observed": _r(flow)}
    bad_k = compare(expected, kernel, share.tolerance)
    bad_f = compare(expected, flow, share.tolerance) if src else []
    try:
        hw = hardware_split(plan, raw)
    except TableTooSmall as e:
        hw, ev["hardware"] = None, {"error": str(e)}
    if hw is not None:
        ev["hardware"] = {"members": hw.members, "table": plan.hardware_members, "rule": plan.hardware_rule,
                          "shares": _r(grouped(hw.members, groups)), "max_error_points": round(hw.max_error, 2)}
    if share.hardware:
        bad_f += [f"hardware {b}" for b in compare(expected, grouped(hw.members, groups), share.tolerance)] \
            if hw is not None else [f"hardware: {ev['hardware']['error']}"]
    rows = "; ".join(f"{g} {expected.get(g, 0):.0f}/{kernel.get(g, 0):.0f}/{flow.get(g, 0):.0f}"
                     for g in sorted(set(expected) | set(kernel) | set(flow)))
    if not kernel:
        return Verdict(cid, CheckKind.SHARES, Status.FAIL, f"{router} has no route towards {fabric} ({prefix})", ev)
    if bad_k or bad_f:
        return Verdict(cid, CheckKind.SHARES, Status.FAIL, f"{router} towards {fabric} by {share.by}: "
                       + "; ".join([f"kernel {b}" for b in bad_k] + [f"flows {b}" for b in bad_f])
                       + f" (+-{share.tolerance:g} points, {n} flows)", ev)
    note = "" if src else " (no source whose flows all cross it: kernel weights only)"
    if share.hardware and hw is not None:
        note += f"; hardware ({plan.hardware_members} members, {plan.hardware_rule}) %: " + "; ".join(
            f"{g} {v:.0f}" for g, v in sorted(grouped(hw.members, groups).items()))
    return Verdict(cid, CheckKind.SHARES, Status.PASS, f"expected/kernel/flows %: {rows} (+-{share.tolerance:g}){note}", ev)


def _r(d: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 1) for k, v in sorted(d.items())}
