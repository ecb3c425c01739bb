"""What a running lab looks like right now: daemons, sessions, FIB routes and weights.

Everything here is observed (netlink, FRR's show commands), then set beside the oracle's
expectation so that ``baglab status`` answers "is it as designed?" at a glance.
"""
from __future__ import annotations

from lab.config.oracle import Failures, expected_routes
from lab.config.render import sessions

from lab.observe.converge import _hops_match, _key_expected, _key_observed
from lab.observe.converge import fib_reader
from lab.observe import bfd
from lab.observe.frr import bgp_sessions, many
from lab.design.hw_weights import TableTooSmall, quantise
from lab.design.plan import Plan, prefix_key
from lab.host.frr_install import host_version
from lab.session import Lab
from lab.design.node_kinds import kind_of


def active_changes(lab: Lab):
    """Faults and drains in force: the oracle's 'as designed' must include them."""
    return lab.faults.failures(), lab.faults.active()


def session_expected_up(plan: Plan, failures: Failures, node: str, link_id: int) -> bool:
    """A session over a failed link, or to or from a router that is off, is down by design: status
    judges the lab against the faults in force, not against the fault-free design."""
    if node in failures.nodes:
        return False
    link = plan.link(link_id)
    return link is None or failures.link_up(link)


def judge_sessions(plan: Plan, failures: Failures, node: str, planned, state: dict) -> dict:
    """Sessions of one router: established, down as the faults predict, and down unexpectedly."""
    up = [s for s in planned if state.get(s.addr) == "Established"]
    down = [s for s in planned if state.get(s.addr) != "Established"]

    def line(s) -> str:
        return f"{s.peer} {s.ifname} {s.family}: {state.get(s.addr, 'not configured')}"

    return {"planned": len(planned), "established": len(up),
            "down": [line(s) for s in down if session_expected_up(plan, failures, node, s.link)],
            "down_by_fault": [line(s) for s in down if not session_expected_up(plan, failures, node, s.link)]}


def is_converged(nodes: list[dict]) -> bool:
    """Every judged route as the oracle predicts and no session down that the faults do not explain;
    a router the faults switched off is not judged (a crash leaves its stale FIB behind)."""
    return (all(r["as_designed"] for nd in nodes if not nd.get("failed") for r in nd["routes"])
            and all(not nd["sessions"]["down"] for nd in nodes))


def gather(lab: Lab) -> dict:
    plan, paths = lab.plan, lab.paths
    procs = lab.runtime.processes(plan)
    failures, active = active_changes(lab)
    expected = expected_routes(plan, failures)
    alive = [n.name for n in plan.nodes if procs[n.name].get("bgpd")]

    def sess(node: str):
        try:
            return bgp_sessions(paths.netns(node))
        except Exception as exc:  # noqa: BLE001 - shown per node
            return {"error": str(exc)}

    sess_state = many(sess, alive)
    bfd_seen = bfd.lab_peers(plan, paths.netns, alive)
    nodes = []
    with fib_reader(plan, {n.name: paths.netns(n.name) for n in plan.nodes}) as reader:
        for n in plan.nodes:
            if not kind_of(n).has_fib:
                nodes.append({"name": n.name, "role": n.role, "region": n.region, "asn": n.asn,
                              "router_id": n.router_id, "daemons": procs[n.name], "emulator": n.emulator,
                              "failed": n.name in failures.nodes,
                              "sessions": {"planned": len(sessions(plan, n)), "established": None, "down": [],
                                           "down_by_fault": []},
                              "prefixes": {"expected": 0, "installed": 0, "as_designed": 0}, "routes": []})
                continue
            planned = sessions(plan, n)
            st = sess_state.get(n.name, {})
            try:
                fib = reader.read(n.name, plan.address_families)
            except Exception:  # noqa: BLE001 - namespace gone: report empty
                fib = {}
            routes = []
            for prefix in sorted(set(fib) | set(expected.get(n.name, {})), key=prefix_key):
                obs = fib.get(prefix, [])
                exp = expected.get(n.name, {}).get(prefix, [])
                peer_of = {h.ifname: h.peer for h in exp}
                routes.append({
                    "prefix": prefix,
                    "nexthops": [{"ifname": h.ifname, "gateway": h.gateway, "weight": h.weight,
                                  "peer": peer_of.get(h.ifname)} for h in obs],
                    "expected": [{"ifname": h.ifname, "weight": h.weight, "peer": h.peer} for h in exp],
                    "as_designed": _hops_match(_key_expected(exp) if exp else (), _key_observed(obs)),
                    "hardware": hardware(plan, obs, exp),
                })
            nodes.append({
                "name": n.name, "role": n.role, "region": n.region, "asn": n.asn, "router_id": n.router_id,
                "daemons": procs[n.name],
                "failed": n.name in failures.nodes,
                "sessions": judge_sessions(plan, failures, n.name, planned, st),
                "bfd": bfd.judge(plan, n.name, bfd_seen.get(n.name, {})),
                "prefixes": {"expected": len(expected.get(n.name, {})),
                             "installed": sum(1 for r in routes if r["nexthops"]),
                             "as_designed": sum(1 for r in routes if r["as_designed"])},
                "routes": routes,
            })
    return {"lab": paths.name, "topology": plan.topology, "state": lab.state.as_dict(), "nodes": nodes,
            "frr_versions": running_versions(plan),
            "in_force": [f"{f.id}: {f.kind} {f.target}" for f in active],
            "converged": is_converged(nodes)}


def hardware(plan: Plan, observed, expected) -> dict | None:
    """A multipath route as the plan's ASIC group would hold the kernel's weights, against the ideal
    (the link-bandwidth each path carries, as the oracle has it; else the kernel's own shares)."""
    if len(observed) < 2:
        return None
    weights = {}
    for h in observed:
        weights[h.ifname] = weights.get(h.ifname, 0) + h.weight
    bw = {h.ifname: h.bandwidth for h in expected if h.bandwidth}
    ideal = bw if set(bw) == set(weights) else weights
    try:
        q = quantise(weights, plan.hardware_members, plan.hardware_rule)
    except TableTooSmall as e:
        return {"error": str(e)}
    total = sum(ideal.values())
    err = max(abs(q.hardware[i] - ideal[i] / total) for i in weights) * 100
    return {"table": plan.hardware_members, "rule": plan.hardware_rule, "members": q.members,
            "ideal_from": "link-bandwidth" if ideal is bw else "kernel", "max_error_points": round(err, 2)}


def running_versions(plan: Plan) -> dict[str, list[str]]:
    """FRR version -> the routers running it (the plan as it runs: lab.state.load_plan)."""
    out: dict[str, list[str]] = {}
    for n in plan.nodes:
        if kind_of(n).has_policy:
            out.setdefault(n.frr or host_version(), []).append(n.name)
    return out


def mixed_versions_line(plan: Plan) -> str | None:
    """What status says of a lab in the middle of an upgrade (None: one version everywhere)."""
    by = running_versions(plan)
    if len(by) < 2:
        return None
    parts = [f"FRR {v} on {len(rs)} ({', '.join(rs[:4])}{' ...' if len(rs) > 4 else ''})" for v, rs in sorted(by.items())]
    return "this lab runs mixed FRR versions: " + "; ".join(parts) + " (the oracle uses each router's own rule)"


def with_expected(lab: Lab) -> tuple[dict, dict]:
    """:func:`gather` and the oracle's routes under the faults in force, which status tables set
    side by side."""
    return gather(lab), expected_routes(lab.plan, active_changes(lab)[0])
