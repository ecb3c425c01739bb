"""Address allocation: the pools a plan numbers prefixes, bulk routes and loopbacks from.

Separate from the steps because the arithmetic (stepping over explicit prefixes, bulk
blocks as offsets into a pool) is where the scale bugs were, and it is tested on its own.
"""
from __future__ import annotations

import bisect
import ipaddress

from .draft import Draft, fmt
from .model import BulkBlock


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
        while self.next + self.size <= self.end:
            lo, hi = self.next, self.next + self.size
            i = bisect.bisect_left(self.starts, hi) - 1       # the last explicit block starting below hi
            if i >= 0 and self.ends[i] > lo:
                self.next = -(-self.ends[i] // self.size) * self.size    # past it, aligned
                continue
            self.next = hi
            return ipaddress.ip_network((self.cls(lo), self.prefixlen))
        return None


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
