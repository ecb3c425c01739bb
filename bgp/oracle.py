"""The expected-weight oracle: what every router *should* install, computed without FRR.

It re-derives eBGP path selection from the plan alone (shortest AS path, multipath
across equal-length paths with multipath-relax, AS-loop rejection, origin nodes
export only their own prefixes) and FRR 8.4's link-bandwidth UCMP arithmetic.
Because it shares no code with the config renderer or FRR, a disagreement between
oracle and kernel FIB is a finding, not a tautology.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from lab.plan import Link, Plan


@dataclass(frozen=True)
class NextHop:
    link: int
    ifname: str
    peer: str
    bandwidth: float     # link-bandwidth value received on this path (Gbit/s)
    weight: int          # the weight FRR computes and installs


@dataclass(frozen=True)
class Failures:
    """Elements taken out of service.  Links by plan id, nodes by name."""

    links: frozenset[int] = frozenset()
    nodes: frozenset[str] = frozenset()
    withdrawn: frozenset[str] = frozenset()   # origins up and peering, but announcing nothing

    @classmethod
    def of(cls, links: Iterable[int] = (), nodes: Iterable[str] = (), withdrawn: Iterable[str] = ()) -> "Failures":
        return cls(frozenset(links), frozenset(nodes), frozenset(withdrawn))

    def link_up(self, link: Link) -> bool:
        return link.id not in self.links and link.a.node not in self.nodes and link.b.node not in self.nodes


NONE = Failures()


def ucmp_weights(bandwidths: list[float]) -> list[int]:
    """FRR 8.4 (zebra/bgp_zebra.c): weight = bw * 100 / sum(bw), truncated, at least 1."""
    total = sum(bandwidths)
    if total <= 0:
        return [1] * len(bandwidths)
    return [max(1, int(bw * 100 // total)) for bw in bandwidths]


@dataclass
class _Route:
    as_path: tuple[int, ...]                 # as advertised onward (without own ASN)
    paths: list[tuple[Link, str, float, tuple[int, ...]]] = field(default_factory=list)  # link, peer, bw, path
    local: bool = False


def expected_routes(plan: Plan, failures: Failures = NONE) -> dict[str, dict[str, list[NextHop]]]:
    """node -> prefix -> next hops, for every prefix the node should have in its FIB."""
    nodes = {n.name: n for n in plan.nodes if n.name not in failures.nodes}
    adj: dict[str, list[tuple[Link, str]]] = {n: [] for n in nodes}
    for l in plan.links:
        if failures.link_up(l):
            adj[l.a.node].append((l, l.b.node))
            adj[l.b.node].append((l, l.a.node))
    prefixes = plan.prefixes()
    # node -> prefix -> route
    rib: dict[str, dict[str, _Route]] = {n: {} for n in nodes}
    for n in nodes.values():
        if n.name in failures.withdrawn:
            continue
        for p in n.prefixes:
            rib[n.name][p] = _Route(as_path=(), local=True)

    def advertised(sender: str, prefix: str, link: Link):
        r = rib[sender].get(prefix)
        if r is None:
            return None
        node = nodes[sender]
        if node.originates and not r.local:
            return None                       # fabrics never provide transit
        if r.local or plan.transit_bandwidth == "link":
            bw = float(link.speed_gbps)
        else:
            bw = sum(p[2] for p in r.paths)   # FRR 'cumulative'
        return (node.asn,) + r.as_path, bw

    for _ in range(4 * len(nodes) + 4):       # path vectors settle within the graph's diameter
        changed = False
        new: dict[str, dict[str, _Route]] = {n: {} for n in nodes}
        for name, node in nodes.items():
            for p in prefixes:
                cur = rib[name].get(p)
                if cur is not None and cur.local:
                    new[name][p] = cur
                    continue
                cands = []
                for link, peer in adj[name]:
                    adv = advertised(peer, p, link)
                    if adv is None or node.asn in adv[0]:
                        continue
                    cands.append((link, peer, adv[1], adv[0]))
                if not cands:
                    continue
                best_len = min(len(c[3]) for c in cands)
                multi = sorted((c for c in cands if len(c[3]) == best_len), key=lambda c: (c[3], c[0].id))
                new[name][p] = _Route(as_path=multi[0][3], paths=multi[: plan.maximum_paths])
        for name in nodes:
            if _sig(new[name]) != _sig(rib[name]):
                changed = True
        rib = new
        if not changed:
            break

    out: dict[str, dict[str, list[NextHop]]] = {}
    for name in nodes:
        if nodes[name].emulator != "frr":
            continue                          # an emulated fabric announces; it keeps no FIB to check
        out[name] = {}
        for p, r in rib[name].items():
            if r.local:
                continue
            weights = ucmp_weights([c[2] for c in r.paths])
            out[name][p] = [NextHop(link=c[0].id, ifname=c[0].end(name).ifname, peer=c[1], bandwidth=c[2], weight=w)
                            for c, w in zip(r.paths, weights)]
    return out


def expected_counts(plan: Plan, expected: dict[str, dict[str, list[NextHop]]]) -> dict[str, dict[str, int]]:
    """node -> family -> number of BGP routes its FIB should hold, bulk blocks included."""
    blocks = {b.first: b for n in plan.nodes for b in n.bulk}
    out = {}
    for node, table in expected.items():
        counts = {"ipv4": 0, "ipv6": 0}
        for p in table:
            fam = "ipv6" if ":" in p else "ipv4"
            counts[fam] += blocks[p].count if p in blocks else 1
        out[node] = counts
    return out


def _sig(table: dict[str, _Route]):
    return {p: (r.local, r.as_path, tuple((c[0].id, c[2]) for c in r.paths)) for p, r in table.items()}


def neighbour_shares(hops: list[NextHop]) -> dict[str, float]:
    """Per neighbouring router, its share of traffic (what an engineer reads as '75/25')."""
    total = sum(h.weight for h in hops) or 1
    shares: dict[str, float] = {}
    for h in hops:
        shares[h.peer] = shares.get(h.peer, 0.0) + h.weight / total
    return shares
