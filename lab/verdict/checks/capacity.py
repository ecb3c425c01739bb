"""What the plan alone says (no policy, no oracle): who can still reach whom, and the ideal UCMP.

Both are computed from the plan's live links and routers only, so they hold for any candidate
policy.  Fabric routers (STSW, edge pods) never carry transit: a path enters or leaves a fabric
only at its own routers.

The ideal share rule ("proportional"), on the graph of live links:

* the next hops of router R towards fabric F are its live member links to neighbours one hop
  closer to F (hop count over routers that may carry transit; F's own routers are at 0), on
  paths BGP allows at all: no router accepts a path holding its own ASN (so a region's BAG
  routers, sharing one ASN, never reach each other through another region);
* the capacity of a next hop is ``min(link speed, capacity of the neighbour towards F)``,
  where the capacity of F's own routers is unbounded and that of any other router is the sum
  of its next hops' capacities;
* the ideal share of a next hop is its capacity over the sum at R; a group (neighbour, plane,
  region) gets the sum of its next hops.

It is a per-hop bottleneck rule (each link is capped by what lies behind it, links to the same
neighbour are not capped together): the rule BAG designs state ("3 links to plane 1, 1 to plane
2: 75/25"), independent of FRR's integer rounding and of any link-bandwidth policy.
"""
from __future__ import annotations

import math

from lab.design.plan import Link, Plan
from lab.verdict.checks import names


def _live(plan: Plan, dead_nodes: set[str], dead_links: set[int]) -> list[Link]:
    return [l for l in plan.links if l.kind != "collector" and l.id not in dead_links
            and l.a.node not in dead_nodes and l.b.node not in dead_nodes]


def _transit(plan: Plan, node: str, own: set[str]) -> bool:
    return node in own or not plan.node(node).originates


def _reach(plan: Plan, fabric: str, dead_nodes, dead_links) -> dict[str, tuple[int, set[frozenset]]]:
    """How the fabric's routes spread, as BGP lets them: router -> (fewest hops, the sets of ASNs
    on the AS paths that arrive over that many hops).  A router never accepts a path holding its
    own ASN (so a region's BAG routers, sharing one ASN, never reach each other through another
    region), and a fabric's routers never pass on another fabric's routes."""
    own = set(names.fabrics(plan)[fabric]) - set(dead_nodes)
    adj: dict[str, list[str]] = {}
    for l in _live(plan, set(dead_nodes), set(dead_links)):
        adj.setdefault(l.a.node, []).append(l.b.node)
        adj.setdefault(l.b.node, []).append(l.a.node)
    asn = {n.name: n.asn for n in plan.nodes}
    best: dict[str, tuple[int, set[frozenset]]] = {n: (0, {frozenset()}) for n in own}
    frontier = [(n, frozenset()) for n in own]
    hops = 0
    while frontier:
        hops += 1
        nxt = []
        for cur, path in frontier:
            if not _transit(plan, cur, own):
                continue
            sent = path | {asn[cur]}
            for peer in adj.get(cur, ()):
                if asn[peer] in sent or peer in own:
                    continue
                if peer not in best:
                    best[peer] = (hops, set())
                if best[peer][0] == hops and sent not in best[peer][1]:
                    best[peer][1].add(sent)
                    nxt.append((peer, sent))
        frontier = nxt
    return best


def distances(plan: Plan, fabric: str, dead_nodes=frozenset(), dead_links=frozenset()) -> dict[str, int]:
    """Fewest hops from every router that gets a route to ``fabric`` (region-qualified)."""
    return {n: d for n, (d, _) in _reach(plan, fabric, dead_nodes, dead_links).items()}


def connected(plan: Plan, src: str, fabric: str, dead_nodes=frozenset(), dead_links=frozenset()) -> bool:
    """Can router ``src`` still reach ``fabric`` over the live links, with no transit through a fabric?"""
    if src in dead_nodes:
        return False
    return src in distances(plan, fabric, dead_nodes, dead_links)


def next_hops(plan: Plan, router: str, fabric: str, dead_nodes=frozenset(),
              dead_links=frozenset()) -> dict[int, float]:
    """link id -> ideal capacity (Gbit/s) of that next hop of ``router`` towards ``fabric``."""
    reach = _reach(plan, fabric, dead_nodes, dead_links)
    links = _live(plan, set(dead_nodes), set(dead_links))
    own = set(names.fabrics(plan)[fabric])
    asn = {n.name: n.asn for n in plan.nodes}
    memo: dict[str, float] = {}

    def cap(node: str) -> float:
        if node in own:
            return math.inf
        if node not in memo:
            memo[node] = sum(hops(node).values())
        return memo[node]

    def usable(node: str, peer: str) -> bool:
        """``peer`` is one hop closer and passes on a path ``node`` accepts."""
        if peer not in reach or node not in reach or reach[peer][0] != reach[node][0] - 1:
            return False
        return peer in own or (_transit(plan, peer, own) and any(asn[node] not in p for p in reach[peer][1]))

    def hops(node: str) -> dict[int, float]:
        return {l.id: min(float(l.capacity_gbps), cap(l.peer(node).node)) for l in links
                if node in (l.a.node, l.b.node) and usable(node, l.peer(node).node)}

    return hops(router) if router in reach else {}


def group_of(plan: Plan, router: str, link: Link, by: str) -> str:
    peer = plan.node(link.peer(router).node)
    if by == "neighbour":
        return peer.name
    if by == "region":
        return peer.region
    return str(peer.bag_plane if peer.bag_plane is not None else peer.spine_plane)


def ideal_shares(plan: Plan, router: str, fabric: str, by: str = "neighbour", dead_nodes=frozenset(),
                 dead_links=frozenset()) -> dict[str, float]:
    """group -> ideal share in percent (see the module's rule); empty when ``router`` is cut off."""
    caps = next_hops(plan, router, fabric, dead_nodes, dead_links)
    total = sum(caps.values())
    links = {l.id: l for l in plan.links}
    out: dict[str, float] = {}
    for lid, c in caps.items():
        g = group_of(plan, router, links[lid], by)
        out[g] = out.get(g, 0.0) + 100.0 * c / total
    return out
