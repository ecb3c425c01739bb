"""Expansion steps: the routers and wires a topology's regions, fabrics and rules describe.

Names and wires only; no address is given out here, so these steps can refuse a
topology (duplicate names, unknown regions, unwired plane pairs) before any pool is touched.
"""
from __future__ import annotations

from lab.design.plan.draft import Draft


def nodes(d: Draft) -> Draft:
    """One router per BAG plane of a region, and per fabric its edge (DSF) or its STSWs
    (NSF); a region's BAG routers share one ASN, each fabric has its own."""
    seen_regions: set[str] = set()
    fabric_names: set[tuple[str, str]] = set()
    for ri, region in enumerate(d.t.regions):
        rp = ["regions", ri]
        if region.name in seen_regions:
            raise d.err(rp + ["name"], f"region {region.name!r} is defined twice")
        seen_regions.add(region.name)
        _bag_nodes(d, rp, ri, region)
        for fi, fab in enumerate(region.fabrics):
            fp = rp + ["fabrics", fi]
            if (region.name, fab.name) in fabric_names:
                raise d.err(fp + ["name"], f"fabric {fab.name!r} is defined twice in region {region.name}")
            fabric_names.add((region.name, fab.name))
            _fabric_nodes(d, fp, region, fab, asn=d.t.asn.fabric_base + len(fabric_names) - 1)
    return d


def _bag_nodes(d: Draft, rp, ri, region) -> None:
    for p in range(1, region.bag.planes + 1):
        d.add_node(rp + ["bag"], name=f"{region.name}-bag{p}", role="bag", region=region.name,
                   bag_plane=p, asn=d.t.asn.bag_base + ri,
                   data_hall=region.bag.label("data_halls", p),
                   power_feed=region.bag.label("power_feeds", p))


def _fabric_nodes(d: Draft, fp, region, fab, asn: int) -> None:
    common = dict(region=region.name, fabric=fab.name, asn=asn, data_hall=fab.data_hall)
    if fab.kind == "dsf":
        d.add_node(fp, name=f"{region.name}-{fab.name}-edge", role="edge",
                   power_feed=fab.power_feed if isinstance(fab.power_feed, str) else None, **common)
        return
    per_plane = fab.stsws_per_plane or region.bag.planes
    for sp in range(1, fab.spine_planes + 1):
        feed = fab.power_feed[sp - 1] if isinstance(fab.power_feed, list) else fab.power_feed
        for j in range(1, per_plane + 1):
            # plane striping: STSW j of every spine plane meets BAG plane j (mod planes)
            d.add_node(fp, name=f"{region.name}-{fab.name}-p{sp}s{j}", role="stsw",
                       spine_plane=sp, bag_plane=(j - 1) % region.bag.planes + 1,
                       power_feed=feed, **common)


def fabric_uplinks(d: Draft) -> Draft:
    """Each STSW up to the BAG plane it stripes to; a DSF edge up to every BAG plane."""
    for ri, region in enumerate(d.t.regions):
        for fi, fab in enumerate(region.fabrics):
            fp = ["regions", ri, "fabrics", fi]
            for n in d.nodes.values():
                if n.get("fabric") != fab.name or n["region"] != region.name:
                    continue
                planes = [n["bag_plane"]] if n["role"] == "stsw" else range(1, region.bag.planes + 1)
                for p in planes:
                    d.add_bundle(fp + ["uplinks_per_bag_plane"], "uplink", n["name"], f"{region.name}-bag{p}",
                                 fab.uplinks_per_bag_plane, fab.port_speed, bfd=fab.bfd, represents=fab.represents,
                                 data_halls=(fab.data_hall,), power_feeds=(n.get("power_feed"),))
    return d


def interconnects(d: Draft) -> Draft:
    """BAG-to-BAG bundles between regions: plane to same plane (planar) or every plane pair
    (spread), with per-pair member counts overridden by ``bundles``."""
    regions = {r.name: r for r in d.t.regions}
    for ii, ic in enumerate(d.t.interconnects):
        ip_ = ["interconnects", ii]
        for k, rname in enumerate(ic.between):
            if rname not in regions:
                raise d.err(ip_ + ["between", k], f"unknown region {rname!r} (known: {', '.join(regions)})")
        ra, rb = regions[ic.between[0]], regions[ic.between[1]]
        if ra.name == rb.name:
            raise d.err(ip_ + ["between"], "an interconnect joins two different regions")
        counts = _plane_pairs(d, ip_, ic, ra, rb)
        for (p, q), count in counts.items():
            d.add_bundle(ip_, "interbag", f"{ra.name}-bag{p}", f"{rb.name}-bag{q}", count,
                         ic.port_speed, represents=ic.represents,
                         macsec=ic.macsec, tcp_md5=ic.tcp_md5, length_m=ic.length_m, bfd=ic.bfd,
                         data_halls=(ic.data_hall,), power_feeds=(ic.power_feed,))
    return d


def _plane_pairs(d: Draft, ip_, ic, ra, rb) -> dict[tuple[int, int], int]:
    """The plane pairs an interconnect wires, in order, with each pair's member count."""
    if ic.mode == "planar":
        if ra.bag.planes != rb.bag.planes:
            raise d.err(ip_ + ["mode"], f"planar needs equal plane counts ({ra.name} has "
                        f"{ra.bag.planes}, {rb.name} has {rb.bag.planes}); use spread")
        pairs = [(p, p) for p in range(1, ra.bag.planes + 1)]
    else:
        pairs = [(p, q) for p in range(1, ra.bag.planes + 1) for q in range(1, rb.bag.planes + 1)]
    counts = {pq: ic.links_per_bundle for pq in pairs}
    for bi, bo in enumerate(ic.bundles):
        key = (bo.a_plane, bo.b_plane)
        if key not in counts:
            raise d.err(ip_ + ["bundles", bi], f"plane pair {key} is not wired by {ic.mode} mode")
        counts[key] = bo.links
    return counts


def extra_links(d: Draft) -> Draft:
    """The topology's hand-written ``links`` between any two routers already expanded."""
    for li, el in enumerate(d.t.links):
        lp = ["links", li]
        for end in ("a", "b"):
            if getattr(el, end) not in d.nodes:
                raise d.err(lp + [end], f"unknown node {getattr(el, end)!r}")
        if el.a == el.b:
            raise d.err(lp, "a link needs two different nodes")
        d.add_bundle(lp, "extra", el.a, el.b, el.links, el.port_speed, represents=el.represents,
                     macsec=el.macsec, tcp_md5=el.tcp_md5, bfd=el.bfd,
                     data_halls=(el.data_hall,), power_feeds=(el.power_feed,))
    return d


def collectors(d: Draft) -> Draft:
    """Route collectors last: they name routers as peers, so every router must exist, and
    their wires come after the fabric's so the fabric's numbering does not shift."""
    for ci, c in enumerate(d.t.collectors):
        cp = ["collectors", ci]
        for pi, peer in enumerate(c.peers):
            if peer not in d.nodes:
                raise d.err(cp + ["peers", pi], f"unknown node {peer!r}")
            if d.nodes[peer]["role"] == "collector":
                raise d.err(cp + ["peers", pi], "a collector peers with routers, not with collectors")
        region = d.nodes[c.peers[0]]["region"]
        d.add_node(cp + ["name"], name=c.name, role="collector", region=region, asn=d.t.asn.collector_base + ci,
                   emulator="exabgp")
        for peer in c.peers:
            d.add_bundle(cp, "collector", c.name, peer, 1, 1)
    return d
