"""Plan -> one ``frr.conf`` per node, and from it each daemon's own file (bgp.daemon_split).

Policy in one place: origins announce only their own prefixes with the egress
port's capacity as link-bandwidth; BAG routers pass routes on with the
cumulative bandwidth of their multipaths (or the port speed, per the topology's
``policy.transit_bandwidth``).  FRR's bandwidth unit is read as Gbit/s, so an
800G port is ``bandwidth 800``: weights depend only on ratios.

Every outbound route-map has a drained twin (``<name>-DRAIN``) that adds the
drain (GRACEFUL_SHUTDOWN community or AS-path prepend); a drain switches a
session to the twin, so it is plain BGP policy, and a drained router restarts
drained because its config is re-rendered with the drained sessions.  BAG
routers of an aggregated region use ``<name>-X`` towards other regions: the
aggregate instead of its more-specifics, denied while its AS_SET names too few
fabrics.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import jinja2

from bgp.daemon_split import split_by_daemon
from lab.node_kinds import BULK, COLLECTOR, EXABGP, FRR, KINDS, kind_of
from lab.plan import Node, Plan


@dataclass(frozen=True)
class Session:
    addr: str
    peer: str
    peer_asn: int
    ifname: str
    family: str
    route_map: str                  # what the session uses now (the drained twin while drained)
    link: int
    password: str | None = None     # TCP-MD5
    normal_map: str = ""            # the undrained route-map


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("bgp", "templates"), trim_blocks=True,
                              lstrip_blocks=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def sessions(plan: Plan, node: Node, drained: frozenset[int] | set[int] = frozenset()) -> list[Session]:
    """One eBGP session per member link and address family, in plan order.  ``drained``: link ids
    whose sessions advertise through the drained twin of their route-map."""
    out = []
    asn = {n.name: n.asn for n in plan.nodes}
    region = {n.name: n.region for n in plan.nodes}
    aggregated = bool(plan.aggregates_of(node.name))
    for link in plan.links_of(node.name):
        peer = link.peer(node.name)
        mine = link.end(node.name)
        for fam in plan.address_families:
            af = "4" if fam == "ipv4" else "6"
            if node.originates:
                rm = f"ORIGIN{af}-{link.speed_gbps}"
            elif plan.transit_bandwidth == "cumulative":
                rm = "TRANSIT"
            else:
                rm = f"TRANSIT-{link.speed_gbps}"
            if aggregated and region[peer.node] != node.region:
                rm += "-X"
            addr = end_address(peer, fam)
            use = rm + "-DRAIN" if link.id in drained else rm
            out.append(Session(addr, peer.node, asn[peer.node], mine.ifname, fam, use, link.id, link.tcp_md5,
                               normal_map=rm))
    return out


def _thin_regex(k: int) -> str:
    """FRR prints an AS_SET as '{a,b,c}': k ASNs joined by commas means at least k contributors."""
    return ",".join(["[0-9]+"] * k)


def policy_lines(plan: Plan, node: Node, sess: list[Session]) -> list[str]:
    """Prefix-lists, as-path lists and every route-map (with its drained twin) the sessions use."""
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
        lines += [f"bgp as-path access-list AGG-THIN-{aid} deny {_thin_regex(k)}",
                  f"bgp as-path access-list AGG-THIN-{aid} permit .*"]
    for a in aggs:
        if a.when_thin == "specifics":
            # FRR conditional advertisement: the more-specifics go abroad only while no full aggregate exists
            kw, af = ("ip", "4") if a.family == "ipv4" else ("ipv6", "6")
            full = f"bgp as-path access-list AGG-FULL-{a.id} permit {_thin_regex(a.min_fabrics)}"
            lines += ([full] if full not in lines else []) + [
                      f"route-map AGG-FULL{af}-{a.id} permit 10", f" match {kw} address prefix-list AGG{af}-{a.id}",
                      f" match as-path AGG-FULL-{a.id}", "exit",
                      f"route-map AGG-MORE{af}-{a.id} permit 10",
                      f" match {kw} address prefix-list AGG{af}-{a.id}-MORE", "exit"]
    if plan.drain_method == "graceful-shutdown":
        lines += ["! RFC 8326: routes a drained peer marks GRACEFUL_SHUTDOWN lose to every other path",
                  "bgp community-list standard GSHUT seq 5 permit graceful-shutdown",
                  "route-map FROM-PEER permit 10", " match community GSHUT", " set local-preference 0", "exit",
                  "route-map FROM-PEER permit 20", "exit"]
    drain = (" set community additive graceful-shutdown" if plan.drain_method == "graceful-shutdown"
             else " set as-path prepend " + " ".join([str(node.asn)] * plan.drain_prepend))
    for name in sorted({s.normal_map for s in sess}):
        for variant in (name, name + "-DRAIN"):
            seq = 1
            if aggs:
                abroad = name.endswith("-X")
                for a in aggs:
                    kw, af = ("ip", "4") if a.family == "ipv4" else ("ipv6", "6")
                    if abroad:
                        if a.when_thin == "withdraw":     # else the conditional advertisement decides
                            lines += [f"route-map {variant} deny {seq}",
                                      f" match {kw} address prefix-list AGG{af}-{a.id}-MORE", "exit"]
                            seq += 1
                        if a.min_fabrics > 1:
                            lines += [f"route-map {variant} deny {seq}", f" match {kw} address prefix-list AGG{af}-{a.id}",
                                      f" match as-path AGG-THIN-{a.id}", "exit"]
                            seq += 1
                    else:
                        lines += [f"route-map {variant} deny {seq}", f" match {kw} address prefix-list AGG{af}-{a.id}",
                                  "exit"]
                        seq += 1
            lines.append(f"route-map {variant} permit 10")
            if name.startswith("ORIGIN"):
                af, speed = name[6], name.split("-")[1]
                lines.append(f" match {'ip' if af == '4' else 'ipv6'} address prefix-list OWN{af}")
                lines.append(f" set extcommunity bandwidth {speed}")
            elif plan.transit_bandwidth == "cumulative":
                lines.append(" set extcommunity bandwidth cumulative")
            else:
                lines.append(f" set extcommunity bandwidth {name.split('-')[1]}")
            if variant.endswith("-DRAIN"):
                lines.append(drain)
            lines.append("exit")
    return lines


def render_node(plan: Plan, node: Node, log_file: str, drained: frozenset[int] | set[int] = frozenset()) -> str:
    sess = sessions(plan, node, drained)
    afs = []
    for fam in plan.address_families:
        cond = next((a for a in plan.aggregates_of(node.name) if a.family == fam and a.when_thin == "specifics"), None)
        afs.append(dict(name=fam, sessions=[s for s in sess if s.family == fam],
                        prefixes=node.prefixes_v4 if fam == "ipv4" else node.prefixes_v6,
                        aggregates=[a.prefix for a in plan.aggregates_of(node.name) if a.family == fam],
                        conditional=(f"advertise-map AGG-MORE{fam[-1]}-{cond.id} non-exist-map AGG-FULL{fam[-1]}-{cond.id}"
                                     if cond else None)))
    return _env().get_template("frr.conf.j2").render(
        plan=plan, node=node, sessions=sess, afs=afs, policy=policy_lines(plan, node, sess), log_file=log_file,
        conditional=any(a["conditional"] for a in afs),
        digest=plan.digest(), drained=sorted(drained))


def end_address(end, family: str) -> str:
    """A link end's address in one family, without its prefix length."""
    return (end.ipv4 if family == "ipv4" else end.ipv6).split("/")[0]


def speaker_config(plan: Plan, node: Node) -> str:
    """JSON for bgp/speaker.py: one session per member link and family, link speed as bandwidth."""
    import json

    neighbors = []
    for link in plan.links_of(node.name):
        peer, mine = link.peer(node.name), link.end(node.name)
        for fam in plan.address_families:
            neighbors.append({"peer": end_address(peer, fam), "local": end_address(mine, fam),
                              "peer_as": plan.node(peer.node).asn, "bandwidth_gbps": link.speed_gbps})
    return json.dumps({"asn": node.asn, "router_id": node.router_id, "hold": plan.holdtime,
                       "prefixes": list(node.prefixes_v4 + node.prefixes_v6),
                       "bulk": [b.model_dump() for b in node.bulk], "neighbors": neighbors}, indent=1)


def _exabgp_neighbors(plan: Plan, node: Node, api: str) -> list[str]:
    """One ExaBGP neighbor per member link and family, as FRR's side expects it."""
    lines = []
    for link in plan.links_of(node.name):
        peer, mine = link.peer(node.name), link.end(node.name)
        for fam in plan.address_families:
            lines += [f"neighbor {end_address(peer, fam)} {{", f"    description \"{peer.node} {mine.ifname}\";",
                      f"    router-id {node.router_id};", f"    local-address {end_address(mine, fam)};",
                      f"    local-as {node.asn};", f"    peer-as {plan.node(peer.node).asn};",
                      f"    hold-time {plan.holdtime};",
                      f"    family {{ {fam} unicast; }}", f"    {api}", "}", ""]
    return lines


def collector_config(plan: Plan, node: Node, python: str, record: str, netns: str) -> str:
    """ExaBGP: one session per link and family, receive-only, everything to the recorder."""
    lines = ["process record {", f"    run {python} -m bgp.collector {record} {netns};", "    encoder json;", "}", ""]
    return "\n".join(lines + _exabgp_neighbors(
        plan, node, "api { processes [ record ]; receive { parsed; update; } neighbor-changes; }"))


def exabgp_fabric_config(plan: Plan, node: Node, python: str, node_dir: str, netns: str) -> str:
    """ExaBGP standing in for a fabric's STSW/edge pod: its routes come from the feed process
    (bgp/exabgp_feed.py, reading speaker.json), which also withdraws and re-announces on command."""
    lines = ["process feed {", f"    run {python} -m bgp.exabgp_feed {node_dir}/speaker.json {node_dir}/frr.log {netns};",
             "    encoder text;", "}", ""]
    return "\n".join(lines + _exabgp_neighbors(plan, node, "api { processes [ feed ]; }"))


def frr_files(text: str, node: str) -> dict[str, str]:
    """frr.conf (people, vtysh) and zebra.conf/bgpd.conf, the files the daemons start from."""
    return {"frr.conf": text, **{f"{d}.conf": t for d, t in split_by_daemon(text, f"{node}'s frr.conf").items()}}


def with_daemon_files(configs: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """render_all's output plus each FRR router's per-daemon files: called once FRR has checked
    the frr.conf texts (bgp.frrcheck), so a typo is reported by FRR with its fragment and line."""
    return {n: frr_files(f["frr.conf"], n) if "frr.conf" in f else f for n, f in configs.items()}


#: the file each kind of node reads its configuration from (the first of its kind's config files)
CONFIG_FILE = {k.name: k.config_files[0] for k in KINDS.values()}


def render_all(plan: Plan, node_dir: str, python: str = "python3", netns=lambda n: n) -> dict[str, dict[str, str]]:
    """node -> {file name: content}: frr.conf (with_daemon_files adds the daemons' own), the bulk
    speaker's JSON, or ExaBGP's config (plus, for an ExaBGP fabric, the routes its feed announces).
    ``node_dir`` is where the node's files live."""
    renderers = {
        FRR: lambda n, d: {"frr.conf": render_node(plan, n, f"{d}/frr.log")},
        BULK: lambda n, d: {"speaker.json": speaker_config(plan, n)},
        COLLECTOR: lambda n, d: {"exabgp.conf": collector_config(plan, n, python, f"{d}/updates.jsonl", netns(n.name))},
        EXABGP: lambda n, d: {"exabgp.conf": exabgp_fabric_config(plan, n, python, d, netns(n.name)),
                              "speaker.json": speaker_config(plan, n)},
    }
    return {n.name: renderers[kind_of(n)](n, f"{node_dir}/{n.name}") for n in plan.nodes}
