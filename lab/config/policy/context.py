"""What a fragment sees: the plan's facts about one router, named as an operator would.

Plain dicts and a small dataclass rather than the plan's own models, so the names fragments use
are a documented interface (docs/reference/policy-directory.md) that survives plan refactors."""
from __future__ import annotations

from dataclasses import dataclass

from lab.config.skeleton import Session
from lab.design.plan import Node, Plan


@dataclass(frozen=True)
class PolicySession:
    addr: str
    peer: str
    peer_asn: int
    peer_role: str
    peer_region: str
    peer_plane: int | None
    ifname: str
    family: str
    speed_gbps: int
    #: the link-bandwidth value to configure (FRR's Mbps at the topology's policy.bandwidth_unit:
    #: the port's Gbps figure times the ports the link represents, by default)
    lb_value: int
    route_map: str          # the outbound map the skeleton binds (a fragment may rebind it)
    link: int
    bundle: str


def node_context(node: Node) -> dict:
    return dict(name=node.name, role=node.role, region=node.region, plane=node.bag_plane, fabric=node.fabric,
                asn=node.asn, router_id=node.router_id, prefixes_v4=list(node.prefixes_v4),
                prefixes_v6=list(node.prefixes_v6), originates=node.originates)


def policy_knobs(plan: Plan) -> dict:
    """The topology's ``policy:`` section as fragments may read it."""
    return dict(transit_bandwidth=plan.transit_bandwidth, drain_method=plan.drain_method,
                drain_prepend=plan.drain_prepend, maximum_paths=plan.maximum_paths, bandwidth_unit=plan.bandwidth_unit,
                address_families=list(plan.address_families), keepalive=plan.keepalive, holdtime=plan.holdtime,
                bandwidth_missing=plan.bandwidth_missing)


def session_context(plan: Plan, node: Node, sess: list[Session]) -> list[PolicySession]:
    links = {l.id: l for l in plan.links_of(node.name)}
    out = []
    for s in sess:
        peer, link = plan.node(s.peer), links[s.link]
        out.append(PolicySession(s.addr, s.peer, s.peer_asn, peer.role, peer.region, peer.bag_plane, s.ifname,
                                 s.family, link.speed_gbps, link.lb_value, s.route_map, s.link, link.bundle))
    return out


def context(plan: Plan, node: Node, sess: list[Session]) -> dict:
    return dict(node=node_context(node), sessions=session_context(plan, node, sess),
                families=list(plan.address_families), policy=policy_knobs(plan), plan=plan)
