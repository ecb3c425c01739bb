"""Plan -> one ``frr.conf`` per node (zebra and bgpd both read it).

Policy in one place: origins announce only their own prefixes with the egress
port's capacity as link-bandwidth; BAG routers pass routes on with the
cumulative bandwidth of their multipaths (or the port speed, per the topology's
``policy.transit_bandwidth``).  FRR's bandwidth unit is read as Gbit/s, so an
800G port is ``bandwidth 800``: weights depend only on ratios.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import jinja2

from lab.plan import Node, Plan


@dataclass(frozen=True)
class Session:
    addr: str
    peer: str
    peer_asn: int
    ifname: str
    family: str
    route_map: str
    link: int
    password: str | None = None     # TCP-MD5


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("bgp", "templates"), trim_blocks=True,
                              lstrip_blocks=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def sessions(plan: Plan, node: Node) -> list[Session]:
    """One eBGP session per member link and address family, in plan order."""
    out = []
    asn = {n.name: n.asn for n in plan.nodes}
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
            addr = (peer.ipv4 if fam == "ipv4" else peer.ipv6).split("/")[0]
            out.append(Session(addr, peer.node, asn[peer.node], mine.ifname, fam, rm, link.id, link.tcp_md5))
    return out


def render_node(plan: Plan, node: Node, log_file: str) -> str:
    sess = sessions(plan, node)
    speeds = sorted({l.speed_gbps for l in plan.links_of(node.name)})
    afs = []
    for fam in plan.address_families:
        afs.append(dict(name=fam, sessions=[s for s in sess if s.family == fam],
                        prefixes=node.prefixes_v4 if fam == "ipv4" else node.prefixes_v6))
    return _env().get_template("frr.conf.j2").render(
        plan=plan, node=node, sessions=sess, afs=afs, speeds=speeds, log_file=log_file, digest=plan.digest())


def speaker_config(plan: Plan, node: Node) -> str:
    """JSON for bgp/speaker.py: one session per member link and family, link speed as bandwidth."""
    import json

    asn = {n.name: n.asn for n in plan.nodes}
    neighbors = []
    for link in plan.links_of(node.name):
        peer, mine = link.peer(node.name), link.end(node.name)
        for fam in plan.address_families:
            addr = (lambda e: (e.ipv4 if fam == "ipv4" else e.ipv6).split("/")[0])
            neighbors.append({"peer": addr(peer), "local": addr(mine), "peer_as": asn[peer.node],
                              "bandwidth_gbps": link.speed_gbps})
    return json.dumps({"asn": node.asn, "router_id": node.router_id, "hold": plan.holdtime,
                       "prefixes": list(node.prefixes_v4 + node.prefixes_v6),
                       "bulk": [b.model_dump() for b in node.bulk], "neighbors": neighbors}, indent=1)


def _exabgp_neighbors(plan: Plan, node: Node, api: str) -> list[str]:
    """One ExaBGP neighbor per member link and family, as FRR's side expects it."""
    asn = {n.name: n.asn for n in plan.nodes}
    lines = []
    for link in plan.links_of(node.name):
        peer, mine = link.peer(node.name), link.end(node.name)
        for fam in plan.address_families:
            pick = (lambda e: (e.ipv4 if fam == "ipv4" else e.ipv6).split("/")[0])
            lines += [f"neighbor {pick(peer)} {{", f"    description \"{peer.node} {mine.ifname}\";",
                      f"    router-id {node.router_id};", f"    local-address {pick(mine)};",
                      f"    local-as {node.asn};", f"    peer-as {asn[peer.node]};", f"    hold-time {plan.holdtime};",
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


#: the file each kind of node reads its configuration from
CONFIG_FILE = {"frr": "frr.conf", "bulk": "speaker.json", "exabgp": "exabgp.conf"}


def render_all(plan: Plan, node_dir: str, python: str = "python3", netns=lambda n: n) -> dict[str, dict[str, str]]:
    """node -> {file name: content}: frr.conf, the bulk speaker's JSON, or ExaBGP's config (plus,
    for an ExaBGP fabric, the routes its feed announces).  ``node_dir`` is where the node's files live."""
    out: dict[str, dict[str, str]] = {}
    for n in plan.nodes:
        d = f"{node_dir}/{n.name}"
        if n.emulator == "frr":
            out[n.name] = {"frr.conf": render_node(plan, n, f"{d}/frr.log")}
        elif n.emulator == "bulk":
            out[n.name] = {"speaker.json": speaker_config(plan, n)}
        elif n.role == "collector":
            out[n.name] = {"exabgp.conf": collector_config(plan, n, python, f"{d}/updates.jsonl", netns(n.name))}
        else:
            out[n.name] = {"exabgp.conf": exabgp_fabric_config(plan, n, python, d, netns(n.name)),
                           "speaker.json": speaker_config(plan, n)}
    return out
