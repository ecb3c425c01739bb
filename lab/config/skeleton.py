"""What baglab itself puts in every FRR router's config, whatever the policy: the header, the
OWN prefix-lists, the aggregation lists and conditional-advertisement maps, GRACEFUL_SHUTDOWN
handling, and ``router bgp`` with its neighbours and address families.

The skeleton binds each session to an outbound route-map *name* (``ORIGIN4-800``, ``TRANSIT``,
``TRANSIT-X`` ...) but defines no outbound map: that is the policy's job (lab/config/policies/default/
for the built-in one).  The names follow the built-in rules so a policy can rely on them: origins
``ORIGIN<af>-<port Gbit/s>``, transit ``TRANSIT`` (cumulative bandwidth) or ``TRANSIT-<Gbit/s>``,
``-X`` appended towards other regions on routers of an aggregated region.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import jinja2

from lab.design.frr_versions import kernel_nexthop_groups
from lab.design.bandwidth_missing import config_line
from lab.design.plan import Node, Plan


@dataclass(frozen=True)
class Session:
    addr: str
    peer: str
    peer_asn: int
    ifname: str
    family: str
    route_map: str                  # the outbound map the skeleton binds
    link: int
    password: str | None = None     # TCP-MD5
    bfd: str | None = None          # the bfd profile watching this session (bfd_lines defines it)
    normal_map: str = ""            # kept for callers of the pre-policy API: same as route_map


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("lab.config", "templates"), trim_blocks=True,
                              lstrip_blocks=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def end_address(end, family: str) -> str:
    """A link end's address in one family, without its prefix length."""
    return (end.ipv4 if family == "ipv4" else end.ipv6).split("/")[0]


def _map_name(plan: Plan, node: Node, speed: int, af: str, abroad: bool) -> str:
    if node.originates:
        rm = f"ORIGIN{af}-{speed}"
    elif plan.transit_bandwidth == "cumulative":
        rm = "TRANSIT"
    else:
        rm = f"TRANSIT-{speed}"
    return rm + "-X" if abroad else rm


def sessions(plan: Plan, node: Node, drained=frozenset()) -> list[Session]:
    """One eBGP session per member link and address family, in plan order.  ``drained`` is
    accepted for older callers and ignored: drains are bound after the policy (lab.config.policy)."""
    out = []
    asn = {n.name: n.asn for n in plan.nodes}
    region = {n.name: n.region for n in plan.nodes}
    aggregated = bool(plan.aggregates_of(node.name))
    for link in plan.links_of(node.name):
        peer = link.peer(node.name)
        mine = link.end(node.name)
        for fam in plan.address_families:
            rm = _map_name(plan, node, link.lb_value, "4" if fam == "ipv4" else "6",
                           aggregated and region[peer.node] != node.region)
            out.append(Session(end_address(peer, fam), peer.node, asn[peer.node], mine.ifname, fam, rm, link.id,
                               link.tcp_md5, bfd=link.bfd.profile if link.bfd else None, normal_map=rm))
    return out


def thin_regex(k: int) -> str:
    """FRR prints an AS_SET as '{a,b,c}': k ASNs joined by commas means at least k contributors."""
    return ",".join(["[0-9]+"] * k)


def _aggregate_lines(plan: Plan, node: Node) -> list[str]:
    lines: list[str] = []
    aggs = plan.aggregates_of(node.name)
    for a in aggs:
        kw, more = ("ip", 32) if a.family == "ipv4" else ("ipv6", 128)
        plen = int(a.prefix.split("/")[1])
        lines += [f"! aggregate {a.prefix} of {', '.join(a.fabrics)}: needs {a.min_fabrics} contributing fabrics ({a.source})",
                  f"{kw} prefix-list AGG{a.family[-1]}-{a.id} seq 5 permit {a.prefix}",
                  f"{kw} prefix-list AGG{a.family[-1]}-{a.id}-MORE seq 5 permit {a.prefix} ge {min(plen + 1, more)}"]
    for aid in sorted({a.id for a in aggs if a.min_fabrics > 1}):
        k = next(a.min_fabrics for a in aggs if a.id == aid)
        lines += [f"bgp as-path access-list AGG-THIN-{aid} deny {thin_regex(k)}",
                  f"bgp as-path access-list AGG-THIN-{aid} permit .*"]
    for a in aggs:
        if a.when_thin == "specifics":
            # FRR conditional advertisement: the more-specifics go abroad only while no full aggregate exists
            kw, af = ("ip", "4") if a.family == "ipv4" else ("ipv6", "6")
            full = f"bgp as-path access-list AGG-FULL-{a.id} permit {thin_regex(a.min_fabrics)}"
            lines += ([full] if full not in lines else []) + [
                      f"route-map AGG-FULL{af}-{a.id} permit 10", f" match {kw} address prefix-list AGG{af}-{a.id}",
                      f" match as-path AGG-FULL-{a.id}", "exit",
                      f"route-map AGG-MORE{af}-{a.id} permit 10",
                      f" match {kw} address prefix-list AGG{af}-{a.id}-MORE", "exit"]
    return lines


GSHUT_LINES = ["! RFC 8326: routes a drained peer marks GRACEFUL_SHUTDOWN lose to every other path",
               "bgp community-list standard GSHUT seq 5 permit graceful-shutdown",
               "route-map FROM-PEER permit 10", " match community GSHUT", " set local-preference 0", "exit",
               "route-map FROM-PEER permit 20", "exit"]


def mechanism_lines(plan: Plan, node: Node) -> list[str]:
    """Aggregation lists and maps, and the GRACEFUL_SHUTDOWN inbound map."""
    return _aggregate_lines(plan, node) + (GSHUT_LINES if plan.drain_method == "graceful-shutdown" else [])


def bfd_lines(plan: Plan, node: Node) -> list[str]:
    """bfdd's profiles, one per distinct pair of timers on the node's links; sessions name theirs
    (``neighbor X bfd profile``), and bgpd asks bfdd for one single-hop BFD session per neighbour."""
    timers = sorted({l.bfd for l in plan.links_of(node.name) if l.bfd}, key=lambda b: (b.interval_ms, b.multiplier))
    if not timers:
        return []
    lines = ["! BFD (policy.bfd and its overrides): a session is down after interval x multiplier without a packet",
             "bfd"]
    for b in timers:
        lines += [f" profile {b.profile}", f"  detect-multiplier {b.multiplier}",
                  f"  receive-interval {b.interval_ms}", f"  transmit-interval {b.interval_ms}", " exit", " !"]
    return lines + ["exit", "!"]


def render_skeleton(plan: Plan, node: Node, log_file: str, sess: list[Session],
                    drained: frozenset[int] | set[int] = frozenset()) -> str:
    afs = []
    for fam in plan.address_families:
        cond = next((a for a in plan.aggregates_of(node.name) if a.family == fam and a.when_thin == "specifics"), None)
        afs.append(dict(name=fam, sessions=[s for s in sess if s.family == fam],
                        prefixes=node.prefixes_v4 if fam == "ipv4" else node.prefixes_v6,
                        aggregates=[a.prefix for a in plan.aggregates_of(node.name) if a.family == fam],
                        conditional=(f"advertise-map AGG-MORE{fam[-1]}-{cond.id} non-exist-map AGG-FULL{fam[-1]}-{cond.id}"
                                     if cond else None)))
    return _env().get_template("frr.conf.j2").render(
        plan=plan, node=node, sessions=sess, afs=afs, policy=mechanism_lines(plan, node), log_file=log_file,
        bfd=bfd_lines(plan, node),
        conditional=any(a["conditional"] for a in afs), digest=plan.digest(), drained=sorted(drained),
        kernel_nhg=kernel_nexthop_groups(node.frr, plan.kernel_nexthop_groups),
        bandwidth_missing=config_line(plan.bandwidth_missing))
