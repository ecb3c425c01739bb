"""What the plan alone says (no policy, no oracle): who can still reach whom, and the ideal UCMP.

Both are computed from the plan's live links and routers only, so they hold for any candidate
policy.  Fabric routers (STSW, edge pods) never carry transit: a path enters or leaves a fabric
only at its own routers.

The ideal share rule ("proportional"), on the graph of live links:

* the next hops of router R towards fabric F are its live member links to neighbours one hop
  closer to F (hop count over routers that may carry transit; F's own routers are at 0);
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
from collections import deque

from ..plan import Link, Plan
from . import names


def _live(plan: Plan, dead_nodes: set[str], dead_links: set[int]) -> list[Link]:
    return [l for l in plan.links if l.kind != "collector" and l.id not in dead_links
            and l.a.node not in dead_nodes and l.b.node not in dead_nodes]


def _transit(plan: Plan, node: str, own: set[str]) -> bool:
    return node in own or not plan.node(node).originates


def distances(plan: Plan, fabric: str, dead_nodes=frozenset(), dead_links=frozenset()) -> dict[str, int]:
    """Hops from every router to the nearest live router of ``fabric`` (region-qualified)."""
    own = set(names.fabrics(plan)[fabric]) - set(dead_nodes)
    links = _live(plan, set(dead_nodes), set(dead_links))
    dist = {n: 0 for n in own}
    todo = deque(own)
    while todo:
        cur = todo.popleft()
        if not _transit(plan, cur, own):
            continue
        for l in links:
            if cur in (l.a.node, l.b.node):
                peer = l.peer(cur).node
                if peer not in dist:
                    dist[peer] = dist[cur] + 1
                    todo.append(peer)
    return dist


def connected(plan: Plan, src: str, fabric: str, dead_nodes=frozenset(), dead_links=frozenset()) -> bool:
    """Can router ``src`` still reach ``fabric`` over the live links, with no transit through a fabric?"""
    if src in dead_nodes:
        return False
    return src in distances(plan, fabric, dead_nodes, dead_links)


def next_hops(plan: Plan, router: str, fabric: str, dead_nodes=frozenset(),
              dead_links=frozenset()) -> dict[int, float]:
    """link id -> ideal capacity (Gbit/s) of that next hop of ``router`` towards ``fabric``."""
    dist = distances(plan, fabric, dead_nodes, dead_links)
    links = _live(plan, set(dead_nodes), set(dead_links))
    own = set(names.fabrics(plan)[fabric])
    memo: dict[str, float] = {}

    def cap(node: str) -> float:
        if node in own:
            return math.inf
        if node not in memo:
            memo[node] = sum(hops(node).values())
        return memo[node]

    def hops(node: str) -> dict[int, float]:
        out = {}
        for l in links:
            if node in (l.a.node, l.b.node):
                peer = l.peer(node).node
                if peer in dist and node in dist and dist[peer] == dist[node] - 1:
                    out[l.id] = min(float(l.speed_gbps), cap(peer))
        return out

    return hops(router) if router in dist else {}


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
