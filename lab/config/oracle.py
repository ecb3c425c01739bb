"""The expected-weight oracle: what every router *should* install, computed without FRR.

It re-derives eBGP path selection from the plan alone (local preference, which a
drain's GRACEFUL_SHUTDOWN community lowers to 0; shortest AS path, an AS_SET
counting as one; multipath across equal paths with multipath-relax; AS-loop
rejection; origin nodes export only their own prefixes; conditional aggregates)
and each FRR version's link-bandwidth UCMP arithmetic, including what a multipath set
installs when some paths lack the community (policy.bandwidth_missing).
Because it shares no code with the config renderer or FRR, a disagreement between
oracle and kernel FIB is a finding, not a tautology.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from lab.design import lb_limits
from lab.design.plan import Aggregate, Link, Plan
from lab.design.frr_versions import weight_scale
from lab.design.node_kinds import kind_of

BLACKHOLE = "blackhole"     # the FIB entry FRR installs for an aggregate it originates
LOCAL_PREF, GSHUT_PREF = 100, 0


@dataclass(frozen=True)
class NextHop:
    link: int
    ifname: str
    peer: str
    bandwidth: float     # link-bandwidth value received on this path, in FRR's unit (Mbps; baglab writes a port's Gbps figure)
    weight: int          # the weight FRR computes and installs


@dataclass(frozen=True)
class Failures:
    """Elements taken out of service.  Links by plan id, nodes by name."""

    links: frozenset[int] = frozenset()
    nodes: frozenset[str] = frozenset()
    withdrawn: frozenset[str] = frozenset()   # origins up and peering, but announcing nothing
    #: drained advertisements: (advertising node, link id); not a failure, an operator's policy
    drained: frozenset[tuple[str, int]] = frozenset()
    #: nodes that advertise without the link-bandwidth community (a fabric's policy changed or broken)
    unmarked: frozenset[str] = frozenset()
    #: (link id, ports down): part of what a represented link stands for failed; its link-bandwidth shrinks
    members_down: frozenset[tuple[int, int]] = frozenset()

    @classmethod
    def of(cls, links: Iterable[int] = (), nodes: Iterable[str] = (), withdrawn: Iterable[str] = (),
           drained: Iterable[tuple[str, int]] = (), unmarked: Iterable[str] = (),
           members_down: Iterable[tuple[int, int]] = ()) -> "Failures":
        return cls(frozenset(links), frozenset(nodes), frozenset(withdrawn), frozenset((n, int(l)) for n, l in drained),
                   frozenset(unmarked), frozenset((int(l), int(k)) for l, k in members_down))

    def __or__(self, other: "Failures") -> "Failures":
        return Failures(self.links | other.links, self.nodes | other.nodes, self.withdrawn | other.withdrawn,
                        self.drained | other.drained, self.unmarked | other.unmarked,
                        self.members_down | other.members_down)

    def down_on(self, link: Link) -> int:
        """How many of the ports ``link`` represents are down (at most all but one: all is a link failure)."""
        return min(sum(k for l, k in self.members_down if l == link.id), link.represents - 1)

    def link_up(self, link: Link) -> bool:
        return link.id not in self.links and link.a.node not in self.nodes and link.b.node not in self.nodes


NONE = Failures()


def ucmp_weights(bandwidths: list[float], frr: str | None = None, missing: str = "ecmp") -> list[int]:
    """The weight each path of a multipath set gets; 0 means the path is not installed.

    FRR 8.4 (zebra/bgp_zebra.c): weight = bw * 100 / sum(bw), truncated, at least 1.  ``frr``: the
    router's version (None: the host's, 8.4); 10.3 scales to the largest, floor(bw * 254 / max),
    10.7 likewise to 255.  A bandwidth of 0 is a path without link-bandwidth; ``missing`` (the
    topology's policy.bandwidth_missing) says what the set installs then, the same on 8.4 and 10.3
    (tests/unit/test_bandwidth_missing.py): 'ecmp' equal weights for every path, 'skip-missing'
    the others only, 'default-weight' the others with weight 1 beside them; without any
    link-bandwidth at all, equal weights whatever the option."""
    present = [bw for bw in bandwidths if bw > 0]
    if not present or (len(present) < len(bandwidths) and missing == "ecmp"):
        return [1] * len(bandwidths)
    scaled = iter(_scaled(present, frr))
    absent = 0 if missing == "skip-missing" else 1
    return [next(scaled) if bw > 0 else absent for bw in bandwidths]


def _scaled(bandwidths: list[float], frr: str | None) -> list[int]:
    top = weight_scale(frr)
    if top is not None:
        return [max(1, int(bw * top // max(bandwidths))) for bw in bandwidths]
    total = sum(bandwidths)
    return [max(1, int(bw * 100 // total)) for bw in bandwidths]


def on_the_wire(mbps: float, frr: str | None) -> float:
    """A link-bandwidth value (Mbps, as configured or summed) as a receiver decodes it from a router
    of FRR ``frr`` (None: the host's, 8.4): float32, and modulo 2^32 bytes/s where the version keeps
    32 bits (lab.design.lb_limits, measured).  Below 2^32 bytes/s (34,359 Mbps) it is the value."""
    true_bytes = round(mbps * lb_limits.BYTES_PER_MBPS)
    if true_bytes < lb_limits.WRAP:
        return mbps
    return lb_limits.to_mbps(lb_limits.carried(frr if frr in lb_limits.CATALOGUE else "8.4", true_bytes))


AsPath = tuple      # of ASNs (int) and AS_SETs (frozenset), an AS_SET counting as one hop


def flat(path: AsPath) -> set[int]:
    out: set[int] = set()
    for x in path:
        out |= x if isinstance(x, frozenset) else {x}
    return out


def _pkey(path: AsPath) -> tuple:
    return tuple((1, tuple(sorted(x))) if isinstance(x, frozenset) else (0, x) for x in path)


def aggregate_path(paths: list[AsPath]) -> AsPath:
    """FRR's as-set aggregation: the contributors' common leading ASNs, then one AS_SET of the rest."""
    common: list = []
    for hops in zip(*paths):
        if all(h == hops[0] for h in hops) and not isinstance(hops[0], frozenset):
            common.append(hops[0])
        else:
            break
    rest = set()
    for p in paths:
        rest |= flat(p[len(common):])
    return tuple(common) + ((frozenset(rest),) if rest else ())


def set_size(path: AsPath) -> int:
    """How many fabrics an aggregate's AS path says contribute (what the as-path filter counts)."""
    sets = [x for x in path if isinstance(x, frozenset)]
    return max((len(x) for x in sets), default=1 if path else 0)


@dataclass
class _Route:
    as_path: AsPath                          # as advertised onward (without own ASN)
    paths: list[tuple[Link, str, float, AsPath]] = field(default_factory=list)  # link, peer, bw, path
    local: bool = False
    gshut: bool = False                      # carries the GRACEFUL_SHUTDOWN community
    aggregate: Aggregate | None = None       # a local aggregate (installed as a blackhole route)
    agg_bw: float = 0.0                      # the link-bandwidth the aggregate inherits


def expected_routes(plan: Plan, failures: Failures = NONE, exact: bool = False) -> dict[str, dict[str, list[NextHop]]]:
    """node -> prefix -> next hops, for every prefix the node should have in its FIB.  ``exact``: the
    link-bandwidth values as the design means them, without the senders' versions' arithmetic (what
    the plan's design check compares against)."""
    nodes = {n.name: n for n in plan.nodes if n.name not in failures.nodes}
    adj: dict[str, list[tuple[Link, str]]] = {n: [] for n in nodes}
    for l in plan.links:
        if failures.link_up(l):
            adj[l.a.node].append((l, l.b.node))
            adj[l.b.node].append((l, l.a.node))
    prefixes = [p for p in plan.prefixes() if p not in {a.prefix for a in plan.aggregates}]
    aggs = {n: plan.aggregates_of(n) for n in nodes}
    region = {n.name: n.region for n in plan.nodes}
    gshut_drain = plan.drain_method == "graceful-shutdown"
    # node -> prefix -> route
    rib: dict[str, dict[str, _Route]] = {n: {} for n in nodes}
    for n in nodes.values():
        if n.name in failures.withdrawn:
            continue
        for p in n.prefixes:
            rib[n.name][p] = _Route(as_path=(), local=True)

    def full(sender: str, a: Aggregate) -> bool:
        """The sender's aggregate exists with enough fabrics (FRR's non-exist-map condition)."""
        r = rib[sender].get(a.prefix)
        return r is not None and r.aggregate is not None and set_size(r.as_path) >= a.min_fabrics

    def advertised(sender: str, prefix: str, link: Link):
        r = rib[sender].get(prefix)
        if r is None:
            return None
        node = nodes[sender]
        if node.originates and not r.local:
            return None                       # fabrics never provide transit
        abroad = region[link.peer(sender).node] != node.region
        if r.aggregate is not None:
            # towards other regions only, and only while enough fabrics contribute (as-path filter)
            if not abroad or set_size(r.as_path) < r.aggregate.min_fabrics:
                return None
            # FRR merges the contributors' extended communities into the aggregate; of several
            # link-bandwidth values the smallest sorts first and is the one receivers read
            bw = float(link.lb_with(failures.down_on(link))) if plan.transit_bandwidth == "link" else r.agg_bw
        else:
            if abroad and any(a.covers_prefix(prefix) and (a.when_thin == "withdraw" or full(sender, a))
                              for a in aggs.get(sender, ())):
                return None                   # replaced by the aggregate towards other regions
            if r.local or plan.transit_bandwidth == "link":
                bw = float(link.lb_with(failures.down_on(link)))
            else:
                bw = sum(p[2] for p in r.paths)   # FRR 'cumulative': of the paths that carry one
        if sender in failures.unmarked:
            bw = 0.0                              # no community: what 0 stands for here
        elif bw > 0 and not exact and kind_of(node).has_policy:
            # what the receiver decodes: wrapped where the sender's FRR wraps (emulators send it whole)
            bw = on_the_wire(bw, node.frr)
        path = (node.asn,) + r.as_path
        drained = (sender, link.id) in failures.drained
        if drained and not gshut_drain:
            path = (node.asn,) * plan.drain_prepend + path
        return path, bw, r.gshut or (drained and gshut_drain)

    def select(name: str, node, prefix: str) -> _Route | None:
        """eBGP best path and multipaths among what the neighbours advertise."""
        cands = []
        for link, peer in adj[name]:
            adv = advertised(peer, prefix, link)
            if adv is None or node.asn in flat(adv[0]):
                continue
            cands.append((link, peer, adv[1], adv[0], adv[2]))
        if not cands:
            return None
        # RFC 8326: every router sets local-preference 0 on GRACEFUL_SHUTDOWN routes
        best_pref = max(GSHUT_PREF if c[4] else LOCAL_PREF for c in cands)
        cands = [c for c in cands if (GSHUT_PREF if c[4] else LOCAL_PREF) == best_pref]
        best_len = min(len(c[3]) for c in cands)
        multi = sorted((c for c in cands if len(c[3]) == best_len), key=lambda c: (_pkey(c[3]), c[0].id))
        return _Route(as_path=multi[0][3], paths=[c[:4] for c in multi[: plan.maximum_paths]], gshut=multi[0][4])

    for _ in range(4 * len(nodes) + 4):       # path vectors settle within the graph's diameter
        changed = False
        new: dict[str, dict[str, _Route]] = {n: {} for n in nodes}
        for name, node in nodes.items():
            for p in prefixes:
                cur = rib[name].get(p)
                if cur is not None and cur.local:
                    new[name][p] = cur
                    continue
                route = select(name, node, p)
                if route:
                    new[name][p] = route
            for a in aggs.get(name, ()):
                contributing = [c for q, r in new[name].items() if not r.local and a.covers_prefix(q) for c in r.paths]
                if contributing:
                    new[name][a.prefix] = _Route(as_path=aggregate_path([c[3] for c in contributing]), local=True,
                                                 aggregate=a, agg_bw=min((c[2] for c in contributing if c[2] > 0),
                                                                         default=0.0))
        for name in nodes:
            if _sig(new[name]) != _sig(rib[name]):
                changed = True
        rib = new
        if not changed:
            break
    if aggs:
        prefixes += [a.prefix for a in plan.aggregates]
        # second pass: aggregates, once their contributors have settled, travel like any route
        for _ in range(4 * len(nodes) + 4):
            changed = False
            for name, node in nodes.items():
                for a in plan.aggregates:
                    p = a.prefix
                    cur = rib[name].get(p)
                    if cur is not None and cur.local:
                        continue
                    route = select(name, node, p)
                    if _sig({p: route} if route else {}) != _sig({p: cur} if cur else {}):
                        changed = True
                        if route:
                            rib[name][p] = route
                        else:
                            rib[name].pop(p, None)
            if not changed:
                break

    out: dict[str, dict[str, list[NextHop]]] = {}
    for name in nodes:
        if not kind_of(nodes[name]).has_fib:
            continue                          # an emulated fabric announces; it keeps no FIB to check
        out[name] = {}
        for p, r in rib[name].items():
            if r.aggregate is not None:
                out[name][p] = [NextHop(link=-1, ifname=BLACKHOLE, peer="", bandwidth=0.0, weight=100)]
                continue
            if r.local:
                continue
            weights = ucmp_weights([c[2] for c in r.paths], nodes[name].frr, plan.bandwidth_missing)
            out[name][p] = [NextHop(link=c[0].id, ifname=c[0].end(name).ifname, peer=c[1], bandwidth=c[2], weight=w)
                            for c, w in zip(r.paths, weights) if w]
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
    return {p: (r.local, r.gshut, _pkey(r.as_path), tuple((c[0].id, c[2]) for c in r.paths)) for p, r in table.items()}


def neighbour_shares(hops: list[NextHop]) -> dict[str, float]:
    """Per neighbouring router, its share of traffic (what an engineer reads as '75/25')."""
    total = sum(h.weight for h in hops) or 1
    shares: dict[str, float] = {}
    for h in hops:
        shares[h.peer] = shares.get(h.peer, 0.0) + h.weight / total
    return shares


def paths_through_drains(plan: Plan, failures: Failures,
                         expected: dict[str, dict[str, list[NextHop]]] | None = None) -> dict[tuple[str, str], set[str]]:
    """(router, prefix) -> the drained routers its traffic still crosses.

    A drain only moves traffic that has another way; a router single-homed to a drained plane
    (an NSF STSW meets one BAG plane) keeps using it, so taking that plane down still hits it.
    These are the pairs a maintenance plan must hand to the fabric (or accept)."""
    exp = expected if expected is not None else expected_routes(plan, failures)
    drained = failures.drained
    out: dict[tuple[str, str], set[str]] = {}

    memo: dict[tuple[str, str], frozenset[str]] = {}

    def walk(node: str, prefix: str, seen: frozenset) -> frozenset[str]:
        """Drained routers on any multipath branch from node (expected FIBs are loop-free, so the
        answer per (node, prefix) does not depend on the way there: computed once)."""
        if (node, prefix) in memo:
            return memo[(node, prefix)]
        hit: set[str] = set()
        for h in exp.get(node, {}).get(prefix, []):
            if h.link < 0 or h.peer in seen:
                continue
            if (h.peer, h.link) in drained:
                hit.add(h.peer)
            hit |= walk(h.peer, prefix, seen | {h.peer})
        memo[(node, prefix)] = frozenset(hit)
        return memo[(node, prefix)]

    for node, table in exp.items():
        for prefix in table:
            hit = set(walk(node, prefix, frozenset({node})))
            if hit:
                out[(node, prefix)] = hit
    return out


def longest_match(table: dict, address: str):
    """The entry of a prefix-keyed table a packet to ``address`` uses (longest prefix), or None."""
    import ipaddress

    addr = ipaddress.ip_address(address.split("/")[0])
    best, got = -1, None
    for p, v in table.items():
        net = ipaddress.ip_network(p)
        if net.version == addr.version and addr in net and net.prefixlen > best:
            best, got = net.prefixlen, v
    return got


def delivers(plan: Plan, expected: dict[str, dict[str, list[NextHop]]], src: str, address: str,
             failures: Failures = NONE) -> bool:
    """Whether every packet from ``src`` to ``address`` reaches a live origin of it, following the
    expected FIBs hop by hop with longest-prefix match: an aggregate's discard route, a missing
    route or a loop on any multipath branch means loss."""
    import ipaddress

    addr = ipaddress.ip_address(address)
    owners = {n.name for n in plan.nodes if n.name not in failures.nodes and n.name not in failures.withdrawn
              and any(addr in ipaddress.ip_network(p) for p in n.prefixes)}

    def walk(node: str, seen: frozenset) -> bool:
        if node in owners:
            return True
        hops = longest_match(expected.get(node, {}), address)
        if not hops:
            return False
        return all(h.link >= 0 and h.peer not in seen and walk(h.peer, seen | {h.peer}) for h in hops)

    return walk(src, frozenset({src}))
