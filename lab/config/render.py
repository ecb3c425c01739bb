"""Plan -> each node's configuration files: frr.conf and, cut from it, each FRR daemon's own
file (lab.config.daemon_split); the bulk speaker's JSON; ExaBGP's configs.

An FRR router's config is baglab's skeleton (lab.config.skeleton) plus a policy directory's fragments
plus baglab's mechanisms (lab.config.policy); the built-in policy is lab/config/policies/default/: origins
announce only their own prefixes with the egress port's capacity as link-bandwidth, BAG routers
pass routes on with the cumulative bandwidth of their multipaths (or the port speed, per the
topology's ``policy.transit_bandwidth``).  The configured value is in FRR's unit, Mbps; baglab writes
a port's Gbps figure there (800 for 800G: a 1:1000 scale, docs/link-bandwidth.md).

Every outbound route-map has a drained twin (``<name>-DRAIN``) that adds the drain
(GRACEFUL_SHUTDOWN community or AS-path prepend) and calls the map; a drain switches a session to
the twin, so it is plain BGP policy, and a drained router restarts drained because its config is
re-rendered with the drained sessions.
"""
from __future__ import annotations

from pathlib import Path

from lab.config.daemon_split import split_by_daemon
from lab.design.node_kinds import BULK, COLLECTOR, EXABGP, FRR, KINDS, kind_of
from lab.design.plan import Node, Plan

from lab.config.policy import Policy, Rendered, load_policy
from lab.config.policy import render_node as render_rendered
from lab.config.skeleton import Session, end_address, sessions

__all__ = ["CONFIG_FILE", "Session", "end_address", "render_all", "render_frr", "render_node", "sessions"]


def _policy(plan: Plan, policy: Policy | str | Path | None) -> Policy:
    return policy if isinstance(policy, Policy) else load_policy(policy, plan)


def render_node(plan: Plan, node: Node, log_file: str, drained: frozenset[int] | set[int] = frozenset(),
                policy: Policy | str | Path | None = None) -> str:
    """The config text alone (lab.config.policy.render_node gives its source map too)."""
    return render_rendered(plan, node, log_file, drained, _policy(plan, policy)).text


def render_frr(plan: Plan, node_dir: str, policy: Policy | str | Path | None = None) -> dict[str, Rendered]:
    """Every FRR router's config with its source map; ``node_dir`` is where the nodes' files live."""
    pol = _policy(plan, policy)
    return {n.name: render_rendered(plan, n, f"{node_dir}/{n.name}/frr.log", policy=pol)
            for n in plan.nodes if kind_of(n) is FRR}


def speaker_config(plan: Plan, node: Node) -> str:
    """JSON for lab/nodes/speaker.py: one session per member link and family, the link's link-bandwidth value."""
    import json

    neighbors = []
    for link in plan.links_of(node.name):
        peer, mine = link.peer(node.name), link.end(node.name)
        for fam in plan.address_families:
            neighbors.append({"peer": end_address(peer, fam), "local": end_address(mine, fam),
                              "peer_as": plan.node(peer.node).asn, "bandwidth_mbps": link.lb_value})
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
    lines = ["process record {", f"    run {python} -m lab.nodes.collector {record} {netns};", "    encoder json;", "}", ""]
    return "\n".join(lines + _exabgp_neighbors(
        plan, node, "api { processes [ record ]; receive { parsed; update; } neighbor-changes; }"))


def exabgp_fabric_config(plan: Plan, node: Node, python: str, node_dir: str, netns: str) -> str:
    """ExaBGP standing in for a fabric's STSW/edge pod: its routes come from the feed process
    (lab/nodes/exabgp_feed.py, reading speaker.json), which also withdraws and re-announces on command."""
    lines = ["process feed {", f"    run {python} -m lab.nodes.exabgp_feed {node_dir}/speaker.json {node_dir}/frr.log {netns};",
             "    encoder text;", "}", ""]
    return "\n".join(lines + _exabgp_neighbors(plan, node, "api { processes [ feed ]; }"))


def frr_files(text: str, node: str) -> dict[str, str]:
    """frr.conf (people, FRR's shell) and zebra.conf/bgpd.conf, the files the daemons start from."""
    return {"frr.conf": text, **{f"{d}.conf": t for d, t in split_by_daemon(text, f"{node}'s frr.conf").items()}}


def with_daemon_files(configs: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """render_all's output plus each FRR router's per-daemon files: called once FRR has checked
    the frr.conf texts (lab.config.frrcheck), so a typo is reported by FRR with its fragment and line."""
    return {n: frr_files(f["frr.conf"], n) if "frr.conf" in f else f for n, f in configs.items()}


#: the file each kind of node reads its configuration from (the first of its kind's config files)
CONFIG_FILE = {k.name: k.config_files[0] for k in KINDS.values()}


def render_all(plan: Plan, node_dir: str, python: str = "python3", netns=lambda n: n,
               policy: Policy | str | Path | None = None,
               frr: dict[str, Rendered] | None = None) -> dict[str, dict[str, str]]:
    """node -> {file name: content}: frr.conf (with_daemon_files adds the daemons' own), the bulk
    speaker's JSON, or ExaBGP's config (plus, for an ExaBGP fabric, the routes its feed announces).
    ``node_dir`` is where the node's files live;
    ``frr``: the FRR configs already rendered (render_frr) with ``policy``."""
    frr = frr if frr is not None else render_frr(plan, node_dir, policy)
    renderers = {
        FRR: lambda n, d: {"frr.conf": frr[n.name].text},
        BULK: lambda n, d: {"speaker.json": speaker_config(plan, n)},
        COLLECTOR: lambda n, d: {"exabgp.conf": collector_config(plan, n, python, f"{d}/updates.jsonl", netns(n.name))},
        EXABGP: lambda n, d: {"exabgp.conf": exabgp_fabric_config(plan, n, python, d, netns(n.name)),
                              "speaker.json": speaker_config(plan, n)},
    }
    return {n.name: renderers[kind_of(n)](n, f"{node_dir}/{n.name}") for n in plan.nodes}
