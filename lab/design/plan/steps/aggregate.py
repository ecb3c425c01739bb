"""Summary steps: oversubscription per fabric and region, and the BAG tier's aggregates.

They run last because both read the finished nodes and links (capacities, prefixes,
link addresses an aggregate must not swallow).
"""
from __future__ import annotations

import ipaddress

from lab.design.plan.draft import Draft, fmt
from lab.design.plan.model import Aggregate, Oversubscription, prefix_key


def oversubscription(d: Draft) -> Draft:
    """Demand against uplink capacity per fabric (L2->BAG) and per region (BAG->BAG)."""
    fabric_of = {n.name: (n.region, n.fabric) for n in d.planned_nodes if n.fabric}
    links = d.planned_links
    for region in d.t.regions:
        region_up = 0
        for fab in region.fabrics:
            up = sum(l.capacity_gbps for l in links if l.kind == "uplink" and fabric_of.get(l.a.node) == (region.name, fab.name))
            region_up += up
            if fab.capacity:
                d.oversubscription.append(Oversubscription(scope=f"fabric {region.name}-{fab.name}", tier="L2->BAG",
                                                           demand_gbps=fab.capacity, capacity_gbps=up))
        bag = {f"{region.name}-bag{p}" for p in range(1, region.bag.planes + 1)}
        inter = sum(l.capacity_gbps for l in links if l.kind == "interbag" and (l.a.node in bag or l.b.node in bag))
        if inter:
            d.oversubscription.append(Oversubscription(scope=f"region {region.name}", tier="BAG->BAG",
                                                       demand_gbps=region_up, capacity_gbps=inter))
    return d


def aggregates(d: Draft) -> Draft:
    """Each ``aggregates`` entry: per family, the shortest prefix covering its fabrics' own
    prefixes, refused if it would also cover another fabric's prefix or a link address."""
    taken: dict[str, str] = {}
    for ai, spec in enumerate(d.t.aggregates):
        ap = ["aggregates", ai]
        names, need = _fabrics_of(d, ap, spec)
        if spec.region in taken:
            raise d.err(ap + ["region"], f"region {spec.region} is already aggregated at {taken[spec.region]}")
        taken[spec.region] = fmt(ap)
        members = {f: next(n for n in d.planned_nodes if n.region == spec.region and n.fabric == f) for f in names}
        for fam in d.t.policy.address_families:
            agg = _family_aggregate(d, ai, spec, fam, names, need, members)
            if agg is not None:
                d.aggregates.append(agg)
    return d


def _fabrics_of(d: Draft, ap, spec) -> tuple[list[str], int]:
    """The fabrics an aggregate entry sums (all of its region's by default) and how many must be present."""
    regions = {r.name: r for r in d.t.regions}
    if spec.region not in regions:
        raise d.err(ap + ["region"], f"unknown region {spec.region!r} (known: {', '.join(regions)})")
    known = [f.name for f in regions[spec.region].fabrics]
    names = spec.fabrics if spec.fabrics is not None else known
    for fi, f in enumerate(names):
        if f not in known:
            raise d.err(ap + ["fabrics", fi], f"region {spec.region} has no fabric {f!r} (known: {', '.join(known)})")
    if not names:
        raise d.err(ap, f"region {spec.region} has no fabrics to aggregate")
    if len(set(names)) != len(names):
        raise d.err(ap + ["fabrics"], "a fabric is listed twice")
    need = spec.min_fabrics or len(names)
    if need > len(names):
        raise d.err(ap + ["min_fabrics"], f"{need} fabrics required but only {len(names)} contribute")
    return names, need


def _family_aggregate(d: Draft, ai, spec, fam, names, need, members) -> Aggregate | None:
    """One family's aggregate of ``names``, or None when none of them has a prefix of that family."""
    ap = ["aggregates", ai]

    def own_of(f):
        return members[f].prefixes_v6 if fam == "ipv6" else members[f].prefixes_v4
    own = [p for f in names for p in own_of(f)]
    if not own:
        return None
    nets = [ipaddress.ip_network(p) for p in own]
    agg = nets[0]
    while not all(n.subnet_of(agg) for n in nets):
        agg = agg.supernet()
    if len(nets) == 1 and agg == nets[0]:
        agg = agg.supernet()     # an aggregate of one prefix still has to be a shorter one
    _check_covers_only(d, ap, fam, agg, spec.region, names)
    contributing = sorted({members[f].asn for f in names if own_of(f)})
    if need > len(contributing):
        raise d.err(ap + ["min_fabrics"], f"only {len(contributing)} of the fabrics have {fam} prefixes; "
                    f"{need} required")
    return Aggregate(id=ai + 1, region=spec.region, family=fam, prefix=str(agg),
                     fabrics=tuple(f"{spec.region}-{f}" for f in names),
                     contributor_asns=tuple(contributing), covers=tuple(sorted(own, key=prefix_key)),
                     min_fabrics=need, when_thin=spec.when_thin, source=fmt(ap))


def _check_covers_only(d: Draft, ap, fam, agg, region, names) -> None:
    """An aggregate must cover no other fabric's prefix and no link address.  Each prefix is
    parsed once (STSWs of a fabric share theirs), and links are looked at only when the
    aggregate reaches the point-to-point pool they are numbered from: parsing every prefix
    of every node per aggregate took seconds at a thousand routers."""
    owner: dict[str, str] = {}
    for other in d.planned_nodes:
        if not (other.fabric in names and other.region == region):
            for p in other.prefixes_v4 + other.prefixes_v6:
                owner.setdefault(p, other.name)
    for p, name in owner.items():
        net = ipaddress.ip_network(p)
        if net.version == agg.version and net.overlaps(agg):
            raise d.err(ap + ["fabrics"], f"the {fam} aggregate {agg} of {', '.join(names)} would also "
                        f"cover {p} of {name}: aggregate fabrics with adjacent prefixes")
    p2p = ipaddress.ip_network(d.t.addressing.p2p_v6 if agg.version == 6 else d.t.addressing.p2p_v4)
    if not p2p.overlaps(agg):
        return
    for l in d.planned_links:
        for e in (l.a, l.b):
            a = e.ipv6 if agg.version == 6 else e.ipv4
            if ipaddress.ip_interface(a).ip in agg:
                raise d.err(ap, f"the aggregate {agg} covers link address {a}")
