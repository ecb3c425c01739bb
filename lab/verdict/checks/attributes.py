"""Route attributes where they matter: the link-bandwidth values on routes leaving a region.

UCMP downstream reads one link-bandwidth value per path; a policy that adds a second one (or
strips it) changes every weight behind it without a single session going down.  Read where the
routes arrive: on every router of another region peering with the region, the BGP paths learnt
from it (the whole BGP table, read once), counting the ``LB:`` values in each path's
extended communities."""
from __future__ import annotations

from lab.design.plan import Plan
from lab.observe.routes import RouteTables
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


def observe(plan: Plan, tables: RouteTables, region: str, which: str) -> list[dict]:
    """One row per (receiver, prefix, path from ``region``): the number of link-bandwidth values,
    from the receivers' BGP tables (each read once per check run, shared with the route checks)."""
    rows = []
    want = sorted(set(prefixes(plan, region, which)))
    recv = receivers(plan, region)
    tables.prefetch(recv, ["bgp"])
    for router, senders in sorted(recv.items()):
        table = tables.bgp(router)
        for prefix in want:
            for p in table.get(prefix, []):
                if p.peer in senders:
                    rows.append({"at": router, "prefix": prefix, "from": p.peer, "lb_values": len(p.link_bandwidth)})
    return rows


def check(plan: Plan, tables: RouteTables, spec) -> Verdict:
    which = getattr(spec, "routes", "all")
    cid = f"attributes:leaving-{spec.leaving}:lb={spec.link_bandwidth_values}" + ("" if which == "all" else f":{which}")
    rows = observe(plan, tables, spec.leaving, which)
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
