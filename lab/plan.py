"""Topology -> plan: every node, wire, address and ASN the lab will build.

Pure and deterministic (same YAML, same plan, byte for byte) so that a plan can
be reviewed, diffed and unit-tested without root.  The expansion runs as small
steps in a fixed order, netlab-style: nodes, links, addresses, checks.
"""
from __future__ import annotations

import bisect
import hashlib
import ipaddress
import json
from functools import cached_property
from typing import Iterator, Literal

from pydantic import BaseModel, ConfigDict

from .errors import TopologyError
from .model import Topology
from .topology import LoadedTopology

IFNAME_MAX = 15
FRR_BANDWIDTH_MAX = 25600  # FRR's 'set extcommunity bandwidth' accepts 1..25600 (we use 1 unit = 1 Gbit/s)

Role = Literal["bag", "stsw", "edge", "collector"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BulkBlock(Frozen):
    """``count`` consecutive prefixes of length ``prefixlen`` from ``first``: a million routes in one line."""

    first: str
    prefixlen: int
    count: int

    def prefixes(self) -> Iterator[str]:
        net = ipaddress.ip_network(self.first)
        step = 1 << (net.max_prefixlen - self.prefixlen)
        base = int(net.network_address)
        cls = type(net.network_address)
        for i in range(self.count):
            yield f"{cls(base + i * step)}/{self.prefixlen}"

    @property
    def family(self) -> str:
        return "ipv6" if ":" in self.first else "ipv4"


class Node(Frozen):
    name: str
    role: Role
    region: str
    fabric: str | None = None
    bag_plane: int | None = None       # BAG plane of a BAG router; the plane an STSW stripes to
    spine_plane: int | None = None
    asn: int
    router_id: str
    loopback_v6: str
    prefixes_v4: tuple[str, ...] = ()
    prefixes_v6: tuple[str, ...] = ()
    data_hall: str | None = None
    power_feed: str | None = None
    emulator: Literal["frr", "bulk", "exabgp"] = "frr"
    bulk: tuple[BulkBlock, ...] = ()
    source: str                        # YAML path that produced this node

    @property
    def originates(self) -> bool:
        return self.role != "bag"

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Prefixes checked one by one: the announced ones plus the first of each bulk block,
        which stands for the whole block (same origins, so the same next hops everywhere)."""
        return self.prefixes_v4 + self.prefixes_v6 + tuple(b.first for b in self.bulk)

    def bulk_count(self, family: str) -> int:
        return sum(b.count for b in self.bulk if b.family == family)


class Endpoint(Frozen):
    node: str
    ifname: str          # the interface the router uses (on a protected link: the MACsec device)
    ipv4: str   # address/len
    ipv6: str
    wire: str | None = None   # protected links only: the physical port (veth) under the MACsec device

    @property
    def port(self) -> str:
        """The interface a cable pull or a port shutdown acts on."""
        return self.wire or self.ifname


class Link(Frozen):
    id: int
    kind: Literal["uplink", "interbag", "extra", "collector"]
    a: Endpoint
    b: Endpoint
    speed_gbps: int
    bundle: str          # "<a>~<b>": all members between the same two nodes
    member: int
    macsec: Literal["required", "optional", "off"] = "off"
    tcp_md5: str | None = None
    length_m: int | None = None
    data_halls: tuple[str, ...] = ()
    power_feeds: tuple[str, ...] = ()
    source: str

    def end(self, node: str) -> Endpoint:
        return self.a if self.a.node == node else self.b

    def peer(self, node: str) -> Endpoint:
        return self.b if self.a.node == node else self.a


class Aggregate(Frozen):
    """One family's aggregate of a region's fabrics, advertised by that region's BAG routers to
    other regions only while ``min_fabrics`` of the contributing fabrics (told apart by their
    ASNs in the aggregate's AS_SET) are present."""

    id: int
    region: str
    family: Literal["ipv4", "ipv6"]
    prefix: str
    fabrics: tuple[str, ...]            # "<region>-<fabric>"
    contributor_asns: tuple[int, ...]
    covers: tuple[str, ...]             # the more-specifics it replaces towards other regions
    min_fabrics: int
    when_thin: Literal["withdraw", "specifics"] = "withdraw"
    source: str

    def covers_prefix(self, prefix: str) -> bool:
        net, agg = ipaddress.ip_network(prefix), ipaddress.ip_network(self.prefix)
        return net.version == agg.version and net != agg and net.subnet_of(agg)


class Oversubscription(Frozen):
    scope: str           # "fabric r1-f1" / "region r1"
    tier: Literal["L2->BAG", "BAG->BAG"]
    demand_gbps: int
    capacity_gbps: int

    @property
    def ratio(self) -> float | None:
        return self.demand_gbps / self.capacity_gbps if self.capacity_gbps else None


class Plan(Frozen):
    topology: str
    address_families: tuple[str, ...]
    transit_bandwidth: str
    maximum_paths: int
    kernel_nexthop_groups: bool = False
    keepalive: int
    holdtime: int
    macsec_cipher: str = "gcm-aes-128"
    macsec_replay_window: int = 0
    drain_method: Literal["graceful-shutdown", "as-path-prepend"] = "graceful-shutdown"
    drain_prepend: int = 3
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    oversubscription: tuple[Oversubscription, ...]
    aggregates: tuple[Aggregate, ...] = ()

    # -- lookups: indexed once per plan, because rendering asks per node and per session
    # (scanning the links for every node was most of a 6 s render at a thousand routers) -----
    def node(self, name: str) -> Node:
        return self._node_index[name]

    def links_of(self, node: str) -> list[Link]:
        return list(self._links_index.get(node, ()))

    @cached_property
    def _node_index(self) -> dict[str, Node]:
        return {n.name: n for n in self.nodes}

    @cached_property
    def _links_index(self) -> dict[str, list[Link]]:
        out: dict[str, list[Link]] = {}
        for l in self.links:
            out.setdefault(l.a.node, []).append(l)
            if l.b.node != l.a.node:
                out.setdefault(l.b.node, []).append(l)
        return out

    def prefixes(self, family: str | None = None) -> list[str]:
        """Every prefix the lab routes: the fabrics' own and the BAG tier's aggregates."""
        out: list[str] = []
        for n in self.nodes:
            out += [p for p in n.prefixes if family is None or (":" in p) == (family == "ipv6")]
        out += [a.prefix for a in self.aggregates if family is None or a.family == family]
        return sorted(set(out), key=prefix_key)

    def aggregates_of(self, node: str) -> list[Aggregate]:
        """The aggregates a BAG router originates."""
        n = self.node(node)
        return [a for a in self.aggregates if n.role == "bag" and a.region == n.region] if self.aggregates else []

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Plan":
        return cls.model_validate_json(text)

    def digest(self) -> str:
        return self._digest

    @cached_property
    def _digest(self) -> str:
        """Computed once per plan: every node's config carries it, and serialising a 116-router
        plan again for each node made rendering and exporting it quadratic (3 s)."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    def model_copy(self, *, update=None, deep: bool = False) -> "Plan":
        copy = super().model_copy(update=update, deep=deep)
        for cached in ("_digest", "_node_index", "_links_index"):    # a changed copy has its own
            copy.__dict__.pop(cached, None)
        return copy


def prefix_key(p: str):
    n = ipaddress.ip_network(p)
    return (n.version, n)


# --------------------------------------------------------------------------------------
class _Builder:
    def __init__(self, loaded: LoadedTopology):
        self.loaded = loaded
        self.t: Topology = loaded.model
        self.nodes: dict[str, dict] = {}
        self.links: list[dict] = []
        self._fabric_prefixes: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._fabric_bulk: dict[tuple[str, str], tuple[BulkBlock, ...]] = {}
        self._bulk_used = {"ipv4": 0, "ipv6": 0}

    def _alloc_bulk(self, fab, parts) -> tuple[BulkBlock, ...]:
        a = self.t.addressing
        out = []
        for fam, count, pool, plen in (("ipv4", fab.routes.ipv4, a.bulk_v4, 32), ("ipv6", fab.routes.ipv6, a.bulk_v6, 64)):
            if not count:
                continue
            net = ipaddress.ip_network(pool)
            capacity = 1 << (plen - net.prefixlen)
            start = self._bulk_used[fam]
            if start + count > capacity:
                raise self.err(parts + [fam], f"{count} bulk {fam} routes do not fit the {pool} pool "
                               f"({capacity - start} left)")
            self._bulk_used[fam] += count
            first = type(net.network_address)(int(net.network_address) + (start << (net.max_prefixlen - plen)))
            out.append(BulkBlock(first=f"{first}/{plen}", prefixlen=plen, count=count))
        return tuple(out)

    def err(self, parts, reason) -> TopologyError:
        return self.loaded.error(parts, reason)

    # step 1: nodes ------------------------------------------------------------------
    def add_node(self, parts, **kw):
        if kw["name"] in self.nodes:
            raise self.err(parts, f"node name {kw['name']!r} is produced twice")
        kw["source"] = _fmt(parts)
        self.nodes[kw["name"]] = kw

    def expand_nodes(self):
        t = self.t
        seen_regions: set[str] = set()
        fabric_index = 0
        fabric_names: set[str] = set()
        for ri, region in enumerate(t.regions):
            rp = ["regions", ri]
            if region.name in seen_regions:
                raise self.err(rp + ["name"], f"region {region.name!r} is defined twice")
            seen_regions.add(region.name)
            for p in range(1, region.bag.planes + 1):
                self.add_node(rp + ["bag"], name=f"{region.name}-bag{p}", role="bag", region=region.name,
                              bag_plane=p, asn=t.asn.bag_base + ri,
                              data_hall=region.bag.label("data_halls", p),
                              power_feed=region.bag.label("power_feeds", p))
            for fi, fab in enumerate(region.fabrics):
                fp = rp + ["fabrics", fi]
                if (region.name, fab.name) in fabric_names:
                    raise self.err(fp + ["name"], f"fabric {fab.name!r} is defined twice in region {region.name}")
                fabric_names.add((region.name, fab.name))
                asn = t.asn.fabric_base + fabric_index
                fabric_index += 1
                common = dict(region=region.name, fabric=fab.name, asn=asn, data_hall=fab.data_hall)
                if fab.kind == "dsf":
                    self.add_node(fp, name=f"{region.name}-{fab.name}-edge", role="edge",
                                  power_feed=fab.power_feed if isinstance(fab.power_feed, str) else None, **common)
                    continue
                per_plane = fab.stsws_per_plane or region.bag.planes
                for sp in range(1, fab.spine_planes + 1):
                    feed = fab.power_feed[sp - 1] if isinstance(fab.power_feed, list) else fab.power_feed
                    for j in range(1, per_plane + 1):
                        # plane striping: STSW j of every spine plane meets BAG plane j (mod planes)
                        self.add_node(fp, name=f"{region.name}-{fab.name}-p{sp}s{j}", role="stsw",
                                      spine_plane=sp, bag_plane=(j - 1) % region.bag.planes + 1,
                                      power_feed=feed, **common)

    def expand_collectors(self):
        t = self.t
        for ci, c in enumerate(t.collectors):
            cp = ["collectors", ci]
            for pi, peer in enumerate(c.peers):
                if peer not in self.nodes:
                    raise self.err(cp + ["peers", pi], f"unknown node {peer!r}")
                if self.nodes[peer]["role"] == "collector":
                    raise self.err(cp + ["peers", pi], "a collector peers with routers, not with collectors")
            region = self.nodes[c.peers[0]]["region"]
            self.add_node(cp + ["name"], name=c.name, role="collector", region=region, asn=t.asn.collector_base + ci,
                          emulator="exabgp")
            for peer in c.peers:
                self.add_bundle(cp, "collector", c.name, peer, 1, 1)

    # step 2: links ------------------------------------------------------------------
    def add_bundle(self, parts, kind, a, b, count, speed, **extra):
        for m in range(1, count + 1):
            self.links.append(dict(parts=parts, kind=kind, a=a, b=b, member=m, speed=speed, **extra))

    def expand_links(self):
        t = self.t
        regions = {r.name: (ri, r) for ri, r in enumerate(t.regions)}
        for ri, region in enumerate(t.regions):
            for fi, fab in enumerate(region.fabrics):
                fp = ["regions", ri, "fabrics", fi]
                for n in self.nodes.values():
                    if n.get("fabric") != fab.name or n["region"] != region.name:
                        continue
                    planes = [n["bag_plane"]] if n["role"] == "stsw" else range(1, region.bag.planes + 1)
                    for p in planes:
                        self.add_bundle(fp + ["uplinks_per_bag_plane"], "uplink", n["name"], f"{region.name}-bag{p}",
                                        fab.uplinks_per_bag_plane, fab.port_speed,
                                        data_halls=(fab.data_hall,), power_feeds=(n.get("power_feed"),))
        for ii, ic in enumerate(t.interconnects):
            ip_ = ["interconnects", ii]
            for k, rname in enumerate(ic.between):
                if rname not in regions:
                    raise self.err(ip_ + ["between", k], f"unknown region {rname!r} (known: {', '.join(regions)})")
            (ra_i, ra), (rb_i, rb) = regions[ic.between[0]], regions[ic.between[1]]
            if ra.name == rb.name:
                raise self.err(ip_ + ["between"], "an interconnect joins two different regions")
            if ic.mode == "planar":
                if ra.bag.planes != rb.bag.planes:
                    raise self.err(ip_ + ["mode"], f"planar needs equal plane counts ({ra.name} has "
                                   f"{ra.bag.planes}, {rb.name} has {rb.bag.planes}); use spread")
                pairs = [(p, p) for p in range(1, ra.bag.planes + 1)]
            else:
                pairs = [(p, q) for p in range(1, ra.bag.planes + 1) for q in range(1, rb.bag.planes + 1)]
            counts = {pq: ic.links_per_bundle for pq in pairs}
            for bi, bo in enumerate(ic.bundles):
                key = (bo.a_plane, bo.b_plane)
                if key not in counts:
                    raise self.err(ip_ + ["bundles", bi], f"plane pair {key} is not wired by {ic.mode} mode")
                counts[key] = bo.links
            for (p, q) in pairs:
                self.add_bundle(ip_, "interbag", f"{ra.name}-bag{p}", f"{rb.name}-bag{q}", counts[(p, q)],
                                ic.port_speed, macsec=ic.macsec, tcp_md5=ic.tcp_md5, length_m=ic.length_m,
                                data_halls=(ic.data_hall,), power_feeds=(ic.power_feed,))
        for li, el in enumerate(t.links):
            lp = ["links", li]
            for end in ("a", "b"):
                if getattr(el, end) not in self.nodes:
                    raise self.err(lp + [end], f"unknown node {getattr(el, end)!r}")
            if el.a == el.b:
                raise self.err(lp, "a link needs two different nodes")
            self.add_bundle(lp, "extra", el.a, el.b, el.links, el.port_speed, macsec=el.macsec, tcp_md5=el.tcp_md5,
                            data_halls=(el.data_hall,), power_feeds=(el.power_feed,))

    # step 3: addresses, ASNs, interface names -----------------------------------------
    def _explicit_prefixes(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """The fabrics' explicit prefixes, checked: outside the pools the lab allocates links,
        loopbacks and bulk routes from, and not overlapping each other.  CIDR blocks either nest
        or are disjoint, so after sorting by first address (shorter first) a block overlaps an
        earlier one exactly when it starts before the furthest end seen: n log n, where comparing
        every pair took 100 s for 8,000 prefixes."""
        a = self.t.addressing
        reserved = [(pool, ipaddress.ip_network(pool)) for pool in
                    (a.p2p_v4, a.loopback_v4, a.bulk_v4, a.p2p_v6, a.loopback_v6, a.bulk_v6)]
        found = []
        for ri, region in enumerate(self.t.regions):
            for fi, fab in enumerate(region.fabrics):
                for pi, p in enumerate(fab.prefixes if isinstance(fab.prefixes, list) else ()):
                    net, path = ipaddress.ip_network(p), ["regions", ri, "fabrics", fi, "prefixes", pi]
                    for pool, pnet in reserved:
                        if pnet.version == net.version and net.overlaps(pnet):
                            raise self.err(path, f"prefix {net} overlaps the address pool {pool}")
                    found.append((net, path))
        found.sort(key=lambda np: (np[0].version, int(np[0].network_address), np[0].prefixlen))
        reach = None          # (version, last address, net, path) of the furthest-reaching block so far
        for net, path in found:
            if reach and reach[0] == net.version and int(net.network_address) <= reach[1]:
                later, earlier = sorted([(path, net), (reach[3], reach[2])], reverse=True)
                raise self.err(later[0], f"prefix {later[1]} overlaps {earlier[1]} at {_fmt(earlier[0])}")
            if not reach or reach[0] != net.version or int(net.broadcast_address) > reach[1]:
                reach = (net.version, int(net.broadcast_address), net, path)
        return [net for net, _ in found]

    def assign(self) -> Plan:
        t = self.t
        a = t.addressing
        p2p4 = ipaddress.ip_network(a.p2p_v4).subnets(new_prefix=31)
        p2p6 = ipaddress.ip_network(a.p2p_v6).subnets(new_prefix=127)
        lo4 = ipaddress.ip_network(a.loopback_v4).hosts()
        lo6 = ipaddress.ip_network(a.loopback_v6).hosts()
        explicit = self._explicit_prefixes()
        pfx4 = _Allocator(a.prefixes_v4, a.prefix_len_v4, explicit)
        pfx6 = _Allocator(a.prefixes_v6, a.prefix_len_v6, explicit)

        def take(pool: "_Allocator", what, parts):
            net = pool.take()
            if net is None:
                raise self.err(parts, f"the {what} pool is exhausted; widen it under addressing")
            return net

        nodes: list[Node] = []
        for name, n in self.nodes.items():
            ridx = [r.name for r in t.regions].index(n["region"])
            v4, v6 = [], []
            emulator, bulk = n.get("emulator", "frr"), ()
            if n["role"] not in ("bag", "collector"):
                fi = [f.name for f in t.regions[ridx].fabrics].index(n["fabric"])
                fab = t.regions[ridx].fabrics[fi]
                fp = ["regions", ridx, "fabrics", fi, "prefixes"]
                fabric_key = (n["region"], n["fabric"])
                if fabric_key not in self._fabric_prefixes:
                    if isinstance(fab.prefixes, list):
                        pv4 = [p for p in fab.prefixes if ipaddress.ip_network(p).version == 4]
                        pv6 = [p for p in fab.prefixes if ipaddress.ip_network(p).version == 6]
                    else:
                        pv4 = [str(take(pfx4, "prefixes_v4", fp)) for _ in range(fab.prefixes)] \
                            if "ipv4" in t.policy.address_families else []
                        pv6 = [str(take(pfx6, "prefixes_v6", fp)) for _ in range(fab.prefixes)] \
                            if "ipv6" in t.policy.address_families else []
                    self._fabric_prefixes[fabric_key] = (tuple(pv4), tuple(pv6))
                    self._fabric_bulk[fabric_key] = self._alloc_bulk(fab, fp[:-1] + ["routes"])
                v4, v6 = self._fabric_prefixes[fabric_key]
                emulator, bulk = fab.emulator, self._fabric_bulk[fabric_key]
            try:
                rid, l6 = next(lo4), next(lo6)
            except StopIteration:
                raise self.err(["addressing"], "the loopback pool is exhausted") from None
            nodes.append(Node(name=name, role=n["role"], region=n["region"], fabric=n.get("fabric"),
                              emulator=emulator, bulk=bulk,
                              bag_plane=n.get("bag_plane"), spine_plane=n.get("spine_plane"), asn=n["asn"],
                              router_id=str(rid), loopback_v6=str(l6), prefixes_v4=tuple(v4), prefixes_v6=tuple(v6),
                              data_hall=n.get("data_hall"), power_feed=n.get("power_feed"), source=n["source"]))

        by_name = {n.name: n for n in nodes}
        links: list[Link] = []
        ifnames: dict[str, set[str]] = {n.name: set() for n in nodes}
        for i, l in enumerate(self.links):
            parts = l["parts"]
            if l["speed"] > FRR_BANDWIDTH_MAX:
                raise self.err(parts, f"port speed {l['speed']}G exceeds what link-bandwidth can carry ({FRR_BANDWIDTH_MAX}G)")
            try:
                s4, s6 = next(p2p4), next(p2p6)
            except StopIteration:
                raise self.err(["addressing"], "the point-to-point pool is exhausted; widen p2p_v4/p2p_v6") from None
            h4, h6 = list(s4), list(s6)
            if (l.get("tcp_md5") or l.get("macsec", "off") != "off") and \
                    any(by_name[x].emulator != "frr" for x in (l["a"], l["b"])):
                raise self.err(parts, "tcp_md5 and macsec need FRR on both ends of the link")
            ends = []
            for me, peer, addr4, addr6 in ((l["a"], l["b"], h4[0], h6[0]), (l["b"], l["a"], h4[1], h6[1])):
                ifname = f"{peer}-{l['member']}"
                if len(ifname) > IFNAME_MAX:
                    raise self.err(_path(by_name[peer].source), f"interface name {ifname!r} on {me} is {len(ifname)} "
                                   f"characters; Linux allows {IFNAME_MAX}: shorten the region/fabric names")
                if ifname in ifnames[me]:
                    raise self.err(parts, f"duplicate interface {ifname!r} on {me}: the same two nodes are "
                                   "linked by two rules; merge them into one bundle")
                ifnames[me].add(ifname)
                wire = f"mw{i}{'ab'[len(ends)]}" if l.get("macsec", "off") != "off" else None
                ends.append(Endpoint(node=me, ifname=ifname, ipv4=f"{addr4}/31", ipv6=f"{addr6}/127", wire=wire))
            labels_h = tuple(sorted({x for x in l.get("data_halls", ()) if x} |
                                    {by_name[e].data_hall for e in (l["a"], l["b"]) if by_name[e].data_hall}))
            labels_p = tuple(sorted({x for x in l.get("power_feeds", ()) if x} |
                                    {by_name[e].power_feed for e in (l["a"], l["b"]) if by_name[e].power_feed}))
            links.append(Link(id=i, kind=l["kind"], a=ends[0], b=ends[1], speed_gbps=l["speed"],
                              bundle=f"{l['a']}~{l['b']}", member=l["member"], macsec=l.get("macsec", "off"),
                              tcp_md5=l.get("tcp_md5"),
                              length_m=l.get("length_m"), data_halls=labels_h, power_feeds=labels_p,
                              source=_fmt(parts)))
        self._check_multipath(nodes, links)
        return Plan(topology=t.name, address_families=tuple(t.policy.address_families),
                    transit_bandwidth=t.policy.transit_bandwidth, maximum_paths=t.policy.maximum_paths,
                    kernel_nexthop_groups=t.policy.kernel_nexthop_groups,
                    keepalive=t.policy.keepalive, holdtime=t.policy.holdtime,
                    macsec_cipher=t.policy.macsec_cipher, macsec_replay_window=t.policy.macsec_replay_window,
                    drain_method=t.policy.drain, drain_prepend=t.policy.drain_prepend,
                    nodes=tuple(nodes), links=tuple(links), oversubscription=tuple(_oversub(t, nodes, links)),
                    aggregates=tuple(self._aggregates(nodes, links)))

    # step 4: aggregates ----------------------------------------------------------------
    def _aggregates(self, nodes: list[Node], links: list[Link]) -> Iterator[Aggregate]:
        t = self.t
        regions = {r.name: r for r in t.regions}
        taken: dict[str, str] = {}
        for ai, spec in enumerate(t.aggregates):
            ap = ["aggregates", ai]
            if spec.region not in regions:
                raise self.err(ap + ["region"], f"unknown region {spec.region!r} (known: {', '.join(regions)})")
            region = regions[spec.region]
            known = [f.name for f in region.fabrics]
            names = spec.fabrics if spec.fabrics is not None else known
            for fi, f in enumerate(names):
                if f not in known:
                    raise self.err(ap + ["fabrics", fi], f"region {spec.region} has no fabric {f!r} (known: {', '.join(known)})")
            if not names:
                raise self.err(ap, f"region {spec.region} has no fabrics to aggregate")
            if len(set(names)) != len(names):
                raise self.err(ap + ["fabrics"], "a fabric is listed twice")
            need = spec.min_fabrics or len(names)
            if need > len(names):
                raise self.err(ap + ["min_fabrics"], f"{need} fabrics required but only {len(names)} contribute")
            if spec.region in taken:
                raise self.err(ap + ["region"], f"region {spec.region} is already aggregated at {taken[spec.region]}")
            taken[spec.region] = _fmt(ap)
            members = {f: next(n for n in nodes if n.region == spec.region and n.fabric == f) for f in names}
            for fam in t.policy.address_families:
                own = [p for f in names for p in (members[f].prefixes_v6 if fam == "ipv6" else members[f].prefixes_v4)]
                if not own:
                    continue
                nets = [ipaddress.ip_network(p) for p in own]
                agg = nets[0]
                while not all(n.subnet_of(agg) for n in nets):
                    agg = agg.supernet()
                if len(nets) == 1 and agg == nets[0]:
                    agg = agg.supernet()     # an aggregate of one prefix still has to be a shorter one
                self._check_aggregate_covers_only(ap, fam, agg, spec.region, names, nodes, links)
                contributing = sorted({members[f].asn for f in names
                                       if (members[f].prefixes_v6 if fam == "ipv6" else members[f].prefixes_v4)})
                if need > len(contributing):
                    raise self.err(ap + ["min_fabrics"], f"only {len(contributing)} of the fabrics have {fam} prefixes; "
                                   f"{need} required")
                yield Aggregate(id=ai + 1, region=spec.region, family=fam, prefix=str(agg),
                                fabrics=tuple(f"{spec.region}-{f}" for f in names),
                                contributor_asns=tuple(contributing), covers=tuple(sorted(own, key=prefix_key)),
                                min_fabrics=need, when_thin=spec.when_thin, source=_fmt(ap))

    def _check_aggregate_covers_only(self, ap, fam, agg, region, names, nodes, links):
        """An aggregate must cover no other fabric's prefix and no link address.  Each prefix is
        parsed once (STSWs of a fabric share theirs), and links are looked at only when the
        aggregate reaches the point-to-point pool they are numbered from: parsing every prefix
        of every node per aggregate took seconds at a thousand routers."""
        owner: dict[str, str] = {}
        for other in nodes:
            if not (other.fabric in names and other.region == region):
                for p in other.prefixes_v4 + other.prefixes_v6:
                    owner.setdefault(p, other.name)
        for p, name in owner.items():
            net = ipaddress.ip_network(p)
            if net.version == agg.version and net.overlaps(agg):
                raise self.err(ap + ["fabrics"], f"the {fam} aggregate {agg} of {', '.join(names)} would also "
                               f"cover {p} of {name}: aggregate fabrics with adjacent prefixes")
        p2p = ipaddress.ip_network(self.t.addressing.p2p_v6 if agg.version == 6 else self.t.addressing.p2p_v4)
        if not p2p.overlaps(agg):
            return
        for l in links:
            for e in (l.a, l.b):
                a = e.ipv6 if agg.version == 6 else e.ipv4
                if ipaddress.ip_interface(a).ip in agg:
                    raise self.err(ap, f"the aggregate {agg} covers link address {a}")

    def _check_multipath(self, nodes, links):
        widths: dict[str, int] = {}
        for l in links:           # one pass: counting per node over all links was nodes x links
            for e in (l.a.node, l.b.node):
                widths[e] = widths.get(e, 0) + 1
        for n in nodes:
            width = widths.get(n.name, 0)
            if n.role == "bag" and width > 255:
                raise self.err(_path(n.source), f"{n.name} has {width} links; more than the kernel's 256 next hops")


class _Allocator:
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


def _oversub(t: Topology, nodes: list[Node], links: list[Link]) -> Iterator[Oversubscription]:
    fabric_of = {n.name: (n.region, n.fabric) for n in nodes if n.fabric}
    for region in t.regions:
        region_up = 0
        for fab in region.fabrics:
            up = sum(l.speed_gbps for l in links if l.kind == "uplink" and fabric_of.get(l.a.node) == (region.name, fab.name))
            region_up += up
            if fab.capacity:
                yield Oversubscription(scope=f"fabric {region.name}-{fab.name}", tier="L2->BAG",
                                       demand_gbps=fab.capacity, capacity_gbps=up)
        bag = {f"{region.name}-bag{p}" for p in range(1, region.bag.planes + 1)}
        inter = sum(l.speed_gbps for l in links if l.kind == "interbag" and (l.a.node in bag or l.b.node in bag))
        if inter:
            yield Oversubscription(scope=f"region {region.name}", tier="BAG->BAG", demand_gbps=region_up, capacity_gbps=inter)


def _fmt(parts) -> str:
    from .errors import format_path
    return format_path(parts)


def _path(source: str) -> list:
    """Inverse of _fmt for error reporting: 'regions[0].fabrics[1]' -> ['regions', 0, 'fabrics', 1]."""
    import re
    out: list = []
    for name, idx in re.findall(r"([A-Za-z_]+)|\[(\d+)\]", source):
        out.append(name if name else int(idx))
    return out


def build_plan(loaded: LoadedTopology) -> Plan:
    b = _Builder(loaded)
    b.expand_nodes()
    b.expand_links()
    b.expand_collectors()
    return b.assign()
