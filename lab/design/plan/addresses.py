"""Address allocation: the pools a plan numbers prefixes, bulk routes and loopbacks from.

Separate from the steps because the arithmetic (stepping over explicit prefixes, bulk
blocks as offsets into a pool) is where the scale bugs were, and it is tested on its own.
"""
from __future__ import annotations

import bisect
import ipaddress

from lab.design.plan.draft import Draft, fmt
from lab.design.plan.model import BulkBlock


class Allocator:
    """Consecutive prefixes of one length from a pool, stepping over the explicit prefixes by
    arithmetic: walking the pool's subnets one by one took 2^28 steps when an explicit /36 sat
    among /64s."""

    def __init__(self, pool: str, prefixlen: int, taken: list):
        net = ipaddress.ip_network(pool)
        self.cls, self.prefixlen = type(net.network_address), prefixlen
        self.size = 1 << (net.max_prefixlen - prefixlen)
        self.next, self.end = int(net.network_address), int(net.broadcast_address) + 1
        spans = sorted((int(t.network_address), int(t.broadcast_address) + 1) for t in taken if t.version == net.version)
        self.starts, self.ends = [s for s, _ in spans], [e for _, e in spans]    # disjoint, so ends sorted too

    def take(self):
        """The next free prefix, or None when the pool is exhausted."""
        lo = self.take_start()
        return None if lo is None else ipaddress.ip_network((self.cls(lo), self.prefixlen))

    def take_start(self) -> int | None:
        """The first address of the next free prefix (counting them needs no network objects)."""
        while self.next + self.size <= self.end:
            lo, hi = self.next, self.next + self.size
            i = bisect.bisect_left(self.starts, hi) - 1       # the last explicit block starting below hi
            if i >= 0 and self.ends[i] > lo:
                self.next = -(-self.ends[i] // self.size) * self.size    # past it, aligned
                continue
            self.next = hi
            return lo
        return None


def host_count(net) -> int:
    """How many addresses ``net.hosts()`` yields: all of a /31, /32, /127 or /128; otherwise IPv4
    leaves out the network and broadcast addresses, IPv6 the subnet-router anycast address."""
    free = net.max_prefixlen - net.prefixlen
    return 1 << free if free <= 1 else (1 << free) - (2 if net.version == 4 else 1)


def _prefixes_held(pool: str, prefixlen: int, explicit: list, want: int) -> int:
    """How many of ``want`` prefixes the pool gives once the explicit prefixes are stepped over:
    the allocator itself, counted (``want`` is at most MAX_PREFIXES, so this is quick)."""
    alloc = Allocator(pool, prefixlen, explicit)
    held = 0
    while held < want and alloc.take_start() is not None:
        held += 1
    return held


def check_pools(d: Draft) -> None:
    """Every pool of ``addressing`` against what the expanded topology cuts from it, before anything
    is cut: one error at the pool's YAML path with what it holds and what is needed, rather than
    running dry at whichever router or link comes first."""
    a, fams = d.t.addressing, d.t.policy.address_families
    fabrics = [f for r in d.t.regions for f in r.fabrics]
    counted = sum(f.prefixes for f in fabrics if isinstance(f.prefixes, int))
    routers, wires = len(d.nodes), len(d.wires)
    net = ipaddress.ip_network
    demands = [  # key, needed, held, what one is, why that many
        ("loopback_v4", routers, host_count(net(a.loopback_v4)), "address", "one per router and collector"),
        ("loopback_v6", routers, host_count(net(a.loopback_v6)), "address", "one per router and collector"),
        ("p2p_v4", wires, 1 << (31 - net(a.p2p_v4).prefixlen), "/31 prefix", "one per link"),
        ("p2p_v6", wires, 1 << (127 - net(a.p2p_v6).prefixlen), "/127 prefix", "one per link"),
        ("bulk_v4", sum(f.routes.ipv4 for f in fabrics), 1 << (32 - net(a.bulk_v4).prefixlen), "/32 route",
         "the fabrics' routes.ipv4"),
        ("bulk_v6", sum(f.routes.ipv6 for f in fabrics), 1 << (64 - net(a.bulk_v6).prefixlen), "/64 route",
         "the fabrics' routes.ipv6"),
    ]
    for fam, key, plen in (("ipv4", "prefixes_v4", a.prefix_len_v4), ("ipv6", "prefixes_v6", a.prefix_len_v6)):
        need = counted if fam in fams else 0
        demands.append((key, need, _prefixes_held(getattr(a, key), plen, d.explicit, need), f"/{plen} prefix",
                        "the fabrics' 'prefixes' counts, beside their explicit prefixes"))
    for key, need, held, unit, why in demands:
        if need > held:
            units = unit if held == 1 else unit + ("es" if unit.endswith(("s", "x")) else "s")
            raise d.err(["addressing", key], f"pool {getattr(a, key)} exhausted: it holds {held:,} {units}, "
                        f"the topology needs {need:,} ({why}); use a shorter prefix")


def take(d: Draft, pool: Allocator, what: str, parts):
    """The next prefix of ``pool``, or an error at ``parts`` telling which pool to widen."""
    net = pool.take()
    if net is None:
        raise d.err(parts, f"the {what} pool is exhausted; widen it under addressing")
    return net


def explicit_prefixes(d: Draft) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The fabrics' explicit prefixes, checked: outside the pools the lab allocates links,
    loopbacks and bulk routes from, and not overlapping each other."""
    a = d.t.addressing
    reserved = [(pool, ipaddress.ip_network(pool)) for pool in
                (a.p2p_v4, a.loopback_v4, a.bulk_v4, a.p2p_v6, a.loopback_v6, a.bulk_v6)]
    found = []
    for ri, region in enumerate(d.t.regions):
        for fi, fab in enumerate(region.fabrics):
            for pi, p in enumerate(fab.prefixes if isinstance(fab.prefixes, list) else ()):
                net, path = ipaddress.ip_network(p), ["regions", ri, "fabrics", fi, "prefixes", pi]
                for pool, pnet in reserved:
                    if pnet.version == net.version and net.overlaps(pnet):
                        raise d.err(path, f"prefix {net} overlaps the address pool {pool}")
                found.append((net, path))
    _check_disjoint(d, found)
    return [net for net, _ in sorted(found, key=_start_key)]


def _start_key(np):
    return (np[0].version, int(np[0].network_address), np[0].prefixlen)


def _check_disjoint(d: Draft, found: list) -> None:
    """CIDR blocks either nest or are disjoint, so after sorting by first address (shorter
    first) a block overlaps an earlier one exactly when it starts before the furthest end
    seen: n log n, where comparing every pair took 100 s for 8,000 prefixes."""
    found.sort(key=_start_key)
    reach = None          # (version, last address, net, path) of the furthest-reaching block so far
    for net, path in found:
        if reach and reach[0] == net.version and int(net.network_address) <= reach[1]:
            later, earlier = sorted([(path, net), (reach[3], reach[2])], reverse=True)
            raise d.err(later[0], f"prefix {later[1]} overlaps {earlier[1]} at {fmt(earlier[0])}")
        if not reach or reach[0] != net.version or int(net.broadcast_address) > reach[1]:
            reach = (net.version, int(net.broadcast_address), net, path)


def fabric_prefixes(d: Draft, fab, pools: dict[str, Allocator], parts) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A fabric's announced prefixes: its explicit list, or ``prefixes`` of them per family
    taken from the pools (only for the families the lab runs)."""
    if isinstance(fab.prefixes, list):
        pv4 = [p for p in fab.prefixes if ipaddress.ip_network(p).version == 4]
        pv6 = [p for p in fab.prefixes if ipaddress.ip_network(p).version == 6]
        return tuple(pv4), tuple(pv6)
    fams = d.t.policy.address_families
    pv4 = [str(take(d, pools["ipv4"], "prefixes_v4", parts)) for _ in range(fab.prefixes)] if "ipv4" in fams else []
    pv6 = [str(take(d, pools["ipv6"], "prefixes_v6", parts)) for _ in range(fab.prefixes)] if "ipv6" in fams else []
    return tuple(pv4), tuple(pv6)


def bulk_blocks(d: Draft, fab, parts) -> tuple[BulkBlock, ...]:
    """A fabric's bulk routes as blocks cut in order from the bulk pools: a block is one
    offset and a count, so a million routes cost nothing to plan."""
    a = d.t.addressing
    out = []
    for fam, count, pool, plen in (("ipv4", fab.routes.ipv4, a.bulk_v4, 32), ("ipv6", fab.routes.ipv6, a.bulk_v6, 64)):
        if not count:
            continue
        net = ipaddress.ip_network(pool)
        capacity = 1 << (plen - net.prefixlen)
        start = d.bulk_used[fam]
        if start + count > capacity:
            raise d.err(parts + [fam], f"{count} bulk {fam} routes do not fit the {pool} pool "
                        f"({capacity - start} left)")
        d.bulk_used[fam] += count
        first = type(net.network_address)(int(net.network_address) + (start << (net.max_prefixlen - plen)))
        out.append(BulkBlock(first=f"{first}/{plen}", prefixlen=plen, count=count))
    return tuple(out)
