"""Route attributes where they matter: the link-bandwidth values on routes leaving a region.

UCMP downstream reads one link-bandwidth value per path; a policy that adds a second one (or
strips it) changes every weight behind it without a single session going down.  Read where the
routes arrive: on every router of another region peering with the region, the BGP paths learnt
from it (``show bgp <afi> unicast <prefix> json``), counting the ``LB:`` values in each path's
extended communities."""
from __future__ import annotations

from lab.frr.router import Router
from lab.design.plan import Plan
from lab.session import Lab
from lab.state import LabPaths
from lab.verdict.checks.verdict import CheckKind, Status, Verdict


def receivers(plan: Plan, region: str) -> dict[str, set[str]]:
    """Router of another region -> its neighbours in ``region``."""
    out: dict[str, set[str]] = {}
    for l in plan.links:
        for a, b in ((l.a.node, l.b.node), (l.b.node, l.a.node)):
            if plan.node(a).region == region and plan.node(b).region != region and l.kind != "collector":
                out.setdefault(b, set()).add(a)
    return out


def prefixes(plan: Plan, region: str, which: str) -> list[str]:
    specifics = [p for n in plan.nodes if n.region == region and n.originates for p in n.prefixes]
    aggs = [a.prefix for a in plan.aggregates if a.region == region]
    return {"specifics": specifics, "aggregates": aggs}.get(which, specifics + aggs)


def lb_count(path: dict) -> int:
    return sum(tok.startswith("LB:") for tok in path.get("extendedCommunity", {}).get("string", "").split())


def observe(plan: Plan, paths: LabPaths, region: str, which: str) -> list[dict]:
    """One row per (receiver, prefix, path from ``region``): the number of link-bandwidth values."""
    rows = []
    for router, senders in sorted(receivers(plan, region).items()):
        for prefix in sorted(set(prefixes(plan, region, which))):
            afi = "ipv6" if ":" in prefix else "ipv4"
            data = Router(paths, router).show_json(f"show bgp {afi} unicast {prefix} json")
            for p in data.get("paths", []):
                peer = p.get("peer", {}).get("hostname") or p.get("nexthops", [{}])[0].get("hostname")
                if peer in senders:
                    rows.append({"at": router, "prefix": prefix, "from": peer, "lb_values": lb_count(p)})
    return rows


def check(lab: Lab, spec) -> Verdict:
    plan, paths = lab.plan, lab.paths
    which = getattr(spec, "routes", "all")
    cid = f"attributes:leaving-{spec.leaving}:lb={spec.link_bandwidth_values}" + ("" if which == "all" else f":{which}")
    rows = observe(plan, paths, spec.leaving, which)
    bad = [r for r in rows if r["lb_values"] != spec.link_bandwidth_values]
    ev = {"paths": len(rows), "wrong": bad[:50], "expected_values": spec.link_bandwidth_values}
    if not rows:
        return Verdict(cid, CheckKind.ATTRIBUTES, Status.FAIL,
                       f"no route learnt from region {spec.leaving} by any other region", ev)
    if bad:
        shown = "; ".join(f"{r['at']} {r['prefix']} from {r['from']}: {r['lb_values']}" for r in bad[:6])
        return Verdict(cid, CheckKind.ATTRIBUTES, Status.FAIL, f"{len(bad)} of {len(rows)} paths leaving {spec.leaving} carry "
                       f"a number of link-bandwidth values other than {spec.link_bandwidth_values}: {shown}", ev)
    return Verdict(cid, CheckKind.ATTRIBUTES, Status.PASS, f"{len(rows)} paths leaving {spec.leaving}, each with "
                   f"{spec.link_bandwidth_values} link-bandwidth value(s)", ev)
