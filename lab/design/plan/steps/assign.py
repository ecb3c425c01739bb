"""Assignment steps: prefixes, loopbacks, point-to-point addresses and interface names.

Everything is handed out in expansion order from the pools, which is what makes the
same YAML give the same plan byte for byte.
"""
from __future__ import annotations

import ipaddress

from lab.design.bfd import BfdSpec, resolve
from lab.design.node_kinds import kind_of
from lab.design.plan import addresses
from lab.design.plan.draft import Draft, fmt, path_of
from lab.design.plan.model import IFNAME_MAX, Bfd, Endpoint, Link, Node


def explicit_prefixes(d: Draft) -> Draft:
    """Check the fabrics' explicit prefixes before any pool is drawn from, so the pools can step over them."""
    d.explicit = addresses.explicit_prefixes(d)
    return d


def node_addresses(d: Draft) -> Draft:
    """Router IDs and IPv6 loopbacks for every node, prefixes and bulk blocks per fabric
    (allocated when the fabric's first router is met, then shared by its routers)."""
    addresses.check_pools(d)
    a = d.t.addressing
    # iter(): a /32 or /128 pool's hosts() is a list, not an iterator
    lo4 = iter(ipaddress.ip_network(a.loopback_v4).hosts())
    lo6 = iter(ipaddress.ip_network(a.loopback_v6).hosts())
    pools = {"ipv4": addresses.Allocator(a.prefixes_v4, a.prefix_len_v4, d.explicit),
             "ipv6": addresses.Allocator(a.prefixes_v6, a.prefix_len_v6, d.explicit)}
    for name, n in d.nodes.items():
        v4, v6, emulator, bulk = (), (), n.get("emulator", "frr"), ()
        if n["role"] not in ("bag", "collector"):
            fab, key = _fabric_of(d, n, pools)
            (v4, v6), emulator, bulk = d.fabric_prefixes[key], fab.emulator, d.fabric_bulk[key]
        try:
            rid, l6 = next(lo4), next(lo6)
        except StopIteration:
            raise d.err(["addressing"], "the loopback pool is exhausted") from None
        d.planned_nodes.append(Node(
            name=name, role=n["role"], region=n["region"], fabric=n.get("fabric"), emulator=emulator, bulk=bulk,
            bag_plane=n.get("bag_plane"), spine_plane=n.get("spine_plane"), asn=n["asn"],
            router_id=str(rid), loopback_v6=str(l6), prefixes_v4=tuple(v4), prefixes_v6=tuple(v6),
            data_hall=n.get("data_hall"), power_feed=n.get("power_feed"), source=n["source"]))
    return d


def _fabric_of(d: Draft, n: dict, pools):
    """The fabric a router belongs to, its prefixes and bulk blocks allocated on first sight."""
    ridx = [r.name for r in d.t.regions].index(n["region"])
    fi = [f.name for f in d.t.regions[ridx].fabrics].index(n["fabric"])
    fab = d.t.regions[ridx].fabrics[fi]
    fp = ["regions", ridx, "fabrics", fi, "prefixes"]
    key = (n["region"], n["fabric"])
    if key not in d.fabric_prefixes:
        d.fabric_prefixes[key] = addresses.fabric_prefixes(d, fab, pools, fp)
        d.fabric_bulk[key] = addresses.bulk_blocks(d, fab, fp[:-1] + ["routes"])
    return fab, key


def links(d: Draft) -> Draft:
    """Number every wire, give it a /31 and a /127, name its two interfaces after the peer,
    and label it with the data halls and power feeds it depends on (its own and its ends')."""
    a = d.t.addressing
    p2p4 = ipaddress.ip_network(a.p2p_v4).subnets(new_prefix=31)
    p2p6 = ipaddress.ip_network(a.p2p_v6).subnets(new_prefix=127)
    by_name = {n.name: n for n in d.planned_nodes}
    ifnames: dict[str, set[str]] = {n.name: set() for n in d.planned_nodes}
    for i, w in enumerate(d.wires):
        parts = w["parts"]
        lb_port = _lb_port(d, parts, w["speed"]) if w["kind"] != "collector" else None   # collectors hear, never weigh
        try:
            s4, s6 = next(p2p4), next(p2p6)
        except StopIteration:
            raise d.err(["addressing"], "the point-to-point pool is exhausted; widen p2p_v4/p2p_v6") from None
        if (w.get("tcp_md5") or w.get("macsec", "off") != "off") and \
                not all(kind_of(by_name[x]).has_policy for x in (w["a"], w["b"])):
            raise d.err(parts, "tcp_md5 and macsec need FRR on both ends of the link")
        ends = _endpoints(d, i, w, list(s4), list(s6), by_name, ifnames)
        d.planned_links.append(Link(
            id=i, kind=w["kind"], a=ends[0], b=ends[1], speed_gbps=w["speed"],
            represents=w.get("represents", 1), lb_port=lb_port,
            bundle=f"{w['a']}~{w['b']}", member=w["member"], macsec=w.get("macsec", "off"),
            tcp_md5=w.get("tcp_md5"), length_m=w.get("length_m"), bfd=_bfd(d, w, by_name),
            data_halls=_labels(w, by_name, "data_halls", "data_hall"),
            power_feeds=_labels(w, by_name, "power_feeds", "power_feed"), source=fmt(parts)))
    return d


def _lb_port(d: Draft, parts, speed_gbps: int) -> int | None:
    """One port's link-bandwidth value at the topology's unit (None: the default, the Gbps figure)."""
    unit = d.t.policy.bandwidth_unit
    if unit == 1000:
        return None
    mbps = speed_gbps * 1000
    if mbps % unit:
        raise d.err(["policy", "bandwidth_unit"], f"{unit} Mbps per unit does not divide the {speed_gbps}G ports of "
                    f"{fmt(parts)} ({mbps:,} Mbps): choose a divisor of every port speed (1, 1000, ...)")
    return mbps // unit


def _bfd(d: Draft, w: dict, by_name) -> Bfd | None:
    """The link's BFD timers: its rule's override, else the policy's.  Only FRR speaks BFD: the
    policy's default skips links to emulators and collectors, an explicit override on one is an error."""
    own = w.get("bfd")
    frr_both = all(kind_of(by_name[x]).has_policy for x in (w["a"], w["b"]))
    if isinstance(own, BfdSpec) and not frr_both:
        raise d.err(w["parts"] + ["bfd"], "bfd needs FRR on both ends of the link")
    spec = resolve(d.t.policy.bfd, own)
    return Bfd(interval_ms=spec.interval_ms, multiplier=spec.multiplier) if spec and frr_both else None


def _endpoints(d: Draft, i: int, w: dict, h4, h6, by_name, ifnames) -> list[Endpoint]:
    """Both ends of wire ``i``: interface ``<peer>-<member>``, which must fit Linux's limit
    and be unique on its router (two rules linking the same pair would collide)."""
    ends: list[Endpoint] = []
    for me, peer, addr4, addr6 in ((w["a"], w["b"], h4[0], h6[0]), (w["b"], w["a"], h4[1], h6[1])):
        ifname = f"{peer}-{w['member']}"
        if len(ifname) > IFNAME_MAX:
            raise d.err(path_of(by_name[peer].source), f"interface name {ifname!r} on {me} is {len(ifname)} "
                        f"characters; Linux allows {IFNAME_MAX}: shorten the region/fabric names")
        if ifname in ifnames[me]:
            raise d.err(w["parts"], f"duplicate interface {ifname!r} on {me}: the same two nodes are "
                        "linked by two rules; merge them into one bundle")
        ifnames[me].add(ifname)
        wire = f"mw{i}{'ab'[len(ends)]}" if w.get("macsec", "off") != "off" else None
        ends.append(Endpoint(node=me, ifname=ifname, ipv4=f"{addr4}/31", ipv6=f"{addr6}/127", wire=wire))
    return ends


def _labels(w: dict, by_name, wire_key: str, node_key: str) -> tuple[str, ...]:
    """A link's failure-domain labels: the wire's own and those of both end routers, so a
    hall or feed outage takes down every link that touches it."""
    own = {x for x in w.get(wire_key, ()) if x}
    ends = {getattr(by_name[e], node_key) for e in (w["a"], w["b"]) if getattr(by_name[e], node_key)}
    return tuple(sorted(own | ends))


def multipath(d: Draft) -> Draft:
    """A BAG router's links are its ECMP next hops; the kernel caps a group at 256."""
    widths: dict[str, int] = {}
    for l in d.planned_links:     # one pass: counting per node over all links was nodes x links
        for e in (l.a.node, l.b.node):
            widths[e] = widths.get(e, 0) + 1
    for n in d.planned_nodes:
        width = widths.get(n.name, 0)
        if n.role == "bag" and width > 255:
            raise d.err(path_of(n.source), f"{n.name} has {width} links; more than the kernel's 256 next hops")
    return d
