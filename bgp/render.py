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
            out.append(Session(addr, peer.node, asn[peer.node], mine.ifname, fam, rm, link.id))
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


def render_all(plan: Plan, log_dir: str) -> dict[str, str]:
    return {n.name: render_node(plan, n, f"{log_dir}/{n.name}/frr.log") for n in plan.nodes}
