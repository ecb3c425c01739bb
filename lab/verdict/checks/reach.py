"""Reachability between every ordered pair of fabrics, per family, by real packets.

Expected from the plan alone: a pair whose routers the live links still connect (no transit
through a fabric) must get every packet through -- no oracle of the candidate policy is needed.
All pairs are probed at once, each on its own destination port with its own delivery counter
(the machinery of lab/observe/probes/flows.py the N-1 sweep uses)."""
from __future__ import annotations

from dataclasses import dataclass

from lab.design.plan import Plan
from lab.observe.probes import flows
from lab.session import Lab
from lab.state import LabPaths
from lab.wait import poll
from lab.verdict.checks import capacity, names
from lab.verdict.checks.verdict import CheckKind, Status, Verdict


@dataclass
class Probe:
    src_fabric: str
    dst_fabric: str
    family: str
    src: str            # the sending router
    prefix: str
    port: int
    expected: bool      # the plan still connects them
    sent: int = 0
    delivered: int = 0

    @property
    def pair(self) -> str:
        return f"{self.src_fabric}->{self.dst_fabric}:{self.family}"


def _prefix(plan: Plan, node: str, family: str) -> str | None:
    n = plan.node(node)
    pool = n.prefixes_v6 if family == "ipv6" else n.prefixes_v4
    return pool[0] if pool else None


def plan_pairs(plan: Plan, families, skip: set[tuple[str, str]], dead_nodes=frozenset(),
               dead_links=frozenset()) -> list[Probe]:
    """One probe per ordered pair and family: from the first live router of the source fabric that
    can send (an FRR router with a prefix of that family) to the destination fabric's first prefix.
    Emulated fabrics (bulk, ExaBGP) are neither sources nor destinations: they have no kernel to
    send from or count deliveries in."""
    fabs = names.fabrics(plan)
    out: list[Probe] = []
    for s in sorted(fabs):
        for d in sorted(fabs):
            if s == d or (s, d) in skip:
                continue
            for fam in families:
                srcs = [n for n in fabs[s] if n not in dead_nodes and _prefix(plan, n, fam)
                        and plan.node(n).emulator == "frr"]
                dst = next((p for p in (_prefix(plan, n, fam) for n in fabs[d] if plan.node(n).emulator == "frr")
                            if p), None)
                if not srcs or not dst:
                    continue
                ok = capacity.connected(plan, srcs[0], d, dead_nodes, dead_links)
                out.append(Probe(s, d, fam, srcs[0], dst, flows.DPORT + len(out) + 1, ok))
    return out


def probe_all(plan: Plan, paths: LabPaths, probes: list[Probe], per_pair: int, deadline_s: float = 3.0) -> None:
    """Send every pair's packets, then count deliveries until all expected ones arrived or the deadline."""
    before = flows.read(plan, paths)
    for p in probes:
        own = _prefix(plan, p.src, p.family)
        flows.send(paths.netns(p.src), flows.target(own), flows.target(p.prefix), per_pair, dport=p.port)
        p.sent = per_pair

    def counts():
        now = flows.read(plan, paths)
        return {p.port: sum(now[n].by_port.get(p.port, 0) - before[n].by_port.get(p.port, 0) for n in now)
                for p in probes}

    got = poll(lambda: (lambda c: c if all(c[p.port] >= p.sent for p in probes if p.expected) else None)(counts()),
               deadline_s) or counts()
    for p in probes:
        p.delivered = got[p.port]


def loops(before: dict, after: dict) -> dict[str, int]:
    """ICMP time-exceeded errors routers sent between two counter reads: packets caught in a loop."""
    return {n: after[n].ttl_expired - before[n].ttl_expired for n in after
            if after[n].ttl_expired - before[n].ttl_expired}


def problems(probes: list[Probe]) -> list[str]:
    out = []
    for p in probes:
        if p.expected and p.delivered < p.sent:
            out.append(f"{p.pair} ({p.src} -> {p.prefix}): {p.delivered}/{p.sent} delivered")
    return out


def check(lab: Lab, families, except_pairs, per_pair: int) -> list[Verdict]:
    plan, paths = lab.plan, lab.paths
    skip = {(names.fabric(plan, e.src), names.fabric(plan, e.dst)) for e in except_pairs}
    probes = plan_pairs(plan, families, skip)
    flows.install(plan, paths, reach_ports=len(probes))
    probe_all(plan, paths, probes, per_pair)
    return [_verdict(p) for p in probes]


def _verdict(p: Probe) -> Verdict:
    ev = {"src": p.src, "prefix": p.prefix, "connected_in_plan": p.expected, "sent": p.sent, "delivered": p.delivered}
    if not p.expected:
        return Verdict(f"reach:{p.pair}", CheckKind.REACHABILITY, Status.PASS,
                       f"cut off in the plan (no live path); {p.delivered}/{p.sent} delivered", ev)
    if p.delivered < p.sent:
        return Verdict(f"reach:{p.pair}", CheckKind.REACHABILITY, Status.FAIL,
                       f"{p.pair}: {p.delivered}/{p.sent} packets delivered ({p.src} -> {p.prefix})", ev)
    return Verdict(f"reach:{p.pair}", CheckKind.REACHABILITY, Status.PASS, f"{p.delivered}/{p.sent} delivered", ev)
