"""Checks on the whole intent, before anything is expanded: whether one machine can hold the
topology (routers, links, routes, computed from the counts in the YAML) and whether its ASN tiers
fit.  They run between the schema and the plan, so a 1 KB file that means millions of links is
refused in milliseconds instead of exhausting memory while it is expanded.
"""
from __future__ import annotations

from lab.design.model import FabricSpec, InterconnectSpec, RegionSpec, Topology

ASN_MAX = 4_294_967_294          # 4294967295 is reserved (RFC 7300)
#: what one machine runs.  A router (FRR's zebra + bgpd in a namespace) costs about 25 MB (docs/benchmarks/index.md:
#: 22.7 MB each in the generated 116-router lab, 26.9 MB in bag-mini), so a 24 GiB machine holds
#: about a thousand, and a design description with more is a typo or belongs on clabernetes.
MAX_ROUTERS = 1000
#: every link is a veth pair (two with MACsec) and one BGP session per address family; the
#: generated 116-router lab has 152.  4,096 keeps every BAG router under the kernel's 256 next
#: hops at the router limit and the plan, configs and oracle at a few seconds.
#: (BGP sessions are one per link and address family, so at most 8,192: bgpd holds them easily)
MAX_LINKS = 4096
#: prefixes FRR originates from 'network' statements; scale belongs to the bulk emulators
MAX_PREFIXES = 65_536
#: bulk routes over all fabrics: the 1M-route lab of docs/how-to/scale.md fits four times over, and bgpd needs about
#: 2 GB per router at 1M, so more would not fit the machine anyway
MAX_BULK_ROUTES = 4_000_000


class IntentError(ValueError):
    """A problem of the whole topology, located at ``parts`` (a YAML path as a list)."""

    def __init__(self, parts: list, reason: str):
        super().__init__(reason)
        self.parts = parts


def fabric_routers(region: RegionSpec, fab: FabricSpec) -> int:
    return 1 if fab.kind == "dsf" else fab.spine_planes * (fab.stsws_per_plane or region.bag.planes)


def region_routers(region: RegionSpec) -> int:
    return region.bag.planes + sum(fabric_routers(region, f) for f in region.fabrics)


def fabric_links(region: RegionSpec, fab: FabricSpec) -> int:
    """An STSW meets one BAG plane, an edge pod every plane, each with uplinks_per_bag_plane members."""
    per_router = fab.uplinks_per_bag_plane * (region.bag.planes if fab.kind == "dsf" else 1)
    return fabric_routers(region, fab) * per_router


def interconnect_links(t: Topology, ic: InterconnectSpec) -> int:
    planes = {r.name: r.bag.planes for r in t.regions}
    pa, pb = planes.get(ic.between[0], 0), planes.get(ic.between[1], 0)
    pairs = min(pa, pb) if ic.mode == "planar" else pa * pb
    overrides = {(b.a_plane, b.b_plane): b.links for b in ic.bundles}
    return pairs * ic.links_per_bundle + sum(n - ic.links_per_bundle for n in overrides.values())


def _largest(items: list[tuple[list, int]]) -> list:
    """The path of the biggest contributor, so that a size error points where to cut."""
    return max(items, key=lambda pc: pc[1])[0] if items else []


def _check_size(t: Topology) -> None:
    routers = [(["regions", i], region_routers(r)) for i, r in enumerate(t.regions)]
    routers += [(["collectors", i], 1) for i in range(len(t.collectors))]
    total = sum(n for _, n in routers)
    if total > MAX_ROUTERS:
        raise IntentError(_largest(routers), f"the topology has {total:,} routers; one machine runs at most "
                          f"{MAX_ROUTERS:,} (about 25 MB each, 24 GiB): fewer planes, spine planes or STSWs")
    links = [(["regions", ri, "fabrics", fi], fabric_links(r, f))
             for ri, r in enumerate(t.regions) for fi, f in enumerate(r.fabrics)]
    links += [(["interconnects", i], interconnect_links(t, ic)) for i, ic in enumerate(t.interconnects)]
    links += [(["links", i], el.links) for i, el in enumerate(t.links)]
    links += [(["collectors", i], len(c.peers)) for i, c in enumerate(t.collectors)]
    total = sum(n for _, n in links)
    if total > MAX_LINKS:
        raise IntentError(_largest(links), f"the topology has {total:,} links; the lab builds at most {MAX_LINKS:,} "
                          "(a veth pair and a BGP session per family each): fewer members per bundle")


def _check_routes(t: Topology) -> None:
    own = [(["regions", ri, "fabrics", fi, "prefixes"],
            f.prefixes * len(t.policy.address_families) if isinstance(f.prefixes, int) else len(f.prefixes))
           for ri, r in enumerate(t.regions) for fi, f in enumerate(r.fabrics)]
    if sum(n for _, n in own) > MAX_PREFIXES:
        raise IntentError(_largest(own), f"{sum(n for _, n in own):,} fabric prefixes; FRR originates at most "
                          f"{MAX_PREFIXES:,} here: use 'emulator: bulk' with 'routes:' for scale")
    bulk = [(["regions", ri, "fabrics", fi, "routes"], f.routes.ipv4 + f.routes.ipv6)
            for ri, r in enumerate(t.regions) for fi, f in enumerate(r.fabrics)]
    if sum(n for _, n in bulk) > MAX_BULK_ROUTES:
        raise IntentError(_largest(bulk), f"{sum(n for _, n in bulk):,} bulk routes in all; at most "
                          f"{MAX_BULK_ROUTES:,} (each FRR router holds them all, ~2 GB per million)")


def _check_asns(t: Topology) -> None:
    """Each tier numbers from its base (one ASN per region, fabric, collector): the last one must
    still be a 4-byte private ASN, and the tiers must not share one (eBGP would drop the routes)."""
    ranges = {"bag_base": (t.asn.bag_base, len(t.regions)),
              "fabric_base": (t.asn.fabric_base, sum(len(r.fabrics) for r in t.regions)),
              "collector_base": (t.asn.collector_base, len(t.collectors))}
    for key, (base, n) in ranges.items():
        if n and base + n - 1 > ASN_MAX:
            raise IntentError(["asn", key], f"{n} ASNs from {base} end at {base + n - 1}, past {ASN_MAX} "
                              "(the last 4-byte private ASN): lower the base")
    used = [(k, b, b + n - 1) for k, (b, n) in ranges.items() if n]
    for i, (ka, a0, a1) in enumerate(used):
        for kb, b0, b1 in used[i + 1:]:
            if a0 <= b1 and b0 <= a1:
                raise IntentError(["asn", kb], f"the ASNs from {kb} ({b0}-{b1}) overlap those from {ka} ({a0}-{a1})")


def _check_bundles(t: Topology) -> None:
    """A plane pair overridden twice is a paste or a typo: taking the last one silently would
    build a member count the reader of the file does not see."""
    for i, ic in enumerate(t.interconnects):
        seen: dict[tuple[int, int], int] = {}
        for j, b in enumerate(ic.bundles):
            first = seen.setdefault((b.a_plane, b.b_plane), j)
            if first != j:
                raise IntentError(["interconnects", i, "bundles", j],
                                  f"duplicates interconnects[{i}].bundles[{first}] (a_plane {b.a_plane}, "
                                  f"b_plane {b.b_plane}): list each plane pair once")


def check_intent(t: Topology) -> None:
    """Checks that need the whole topology but not the plan: the plan, configs and lab are built
    only for a topology one machine can hold, so these run before anything is expanded."""
    _check_bundles(t)
    _check_size(t)
    _check_routes(t)
    _check_asns(t)
