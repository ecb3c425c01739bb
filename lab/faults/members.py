"""Some of the ports a represented link stands for fail: k of its N ports down, the link itself up.

In production a LAG (or a group of ports) that loses members keeps its BGP sessions; what changes
is the link-bandwidth the routers configure for it, which follows the ports still up.  The lab has
one veth for the N ports, so the fault is the configuration change alone: each end that configures
a value for the link (a fabric origin; any FRR router when ``policy.transit_bandwidth: link``)
advertises over the link's sessions through a copy of its outbound map carrying ``link.lb_with(k)``,
and re-advertises.  The oracle's counterpart is ``Failures(members_down=...)``.
The change is live only, not in the config files: a router restarted while the fault is active
comes back with its full value (restore the fault first).

With cumulative transit (the default) a BAG router's value is the sum of its multipaths, which
does not depend on any one link: an inter-BAG member loss changes nothing in BGP, in production
as here, and is refused as a fault that would not be one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, ClassVar

from lab.config.policy.mechanisms import read_config
from lab.config.skeleton import sessions
from lab.design.node_kinds import kind_of
from lab.design.plan import Link, Plan
from lab.errors import LabError
from lab.faults.actions import Action, Configure
from lab.faults.kinds import Fault, FaultKind, fault_type

_BANDWIDTH = re.compile(r"^set extcommunity bandwidth \d+$")


def configuring_ends(plan: Plan, link: Link) -> list[str]:
    """The ends whose configuration states a value for ``link`` (what the oracle reads from it)."""
    ends = []
    for e in (link.a, link.b):
        node = plan.node(e.node)
        if not kind_of(node).has_policy:
            if node.originates or kind_of(node).emulates_fabric:
                raise LabError(f"{e.node} is an emulated fabric ({node.emulator}): the link-bandwidth it "
                               f"announces is fixed, so part of link {link.id}'s ports cannot fail")
            continue
        if node.originates or plan.transit_bandwidth == "link":
            ends.append(e.node)
    if not ends:
        raise LabError(f"neither end of link {link.id} ({link.bundle} member {link.member}) configures a value "
                       "for it: with policy.transit_bandwidth 'cumulative' a BAG router advertises the sum of its "
                       "multipaths, which does not depend on the link, so losing some of its ports changes "
                       "nothing in BGP (take the link down instead)")
    return ends


def reduced_map(config: str, normal: str, name: str, value: int, node: str) -> list[str]:
    """``normal`` as the router's rendered config defines it (guards, match lines and all), under
    ``name``, its link-bandwidth replaced by ``value``."""
    entries = read_config(config).maps.get(normal)
    if not entries:
        raise LabError(f"{node}'s configuration defines no route-map {normal}")
    lines, found = [], False
    for seq, (action, *body) in sorted(entries.items()):
        lines.append(f"route-map {name} {action} {seq}")
        for line in body:
            if _BANDWIDTH.match(line):
                line, found = f"set extcommunity bandwidth {value}", True
            lines.append(" " + line)
        lines.append("exit")
    if not found:
        raise LabError(f"{node}'s route-map {normal} sets no link-bandwidth value to reduce "
                       "(its policy decides the value some other way)")
    return lines


def _rebind(plan: Plan, node: str, binds: list[tuple[str, str, str]]) -> list[str]:
    """``binds``: (family, neighbour, map); then each neighbour re-advertises what it is sent."""
    lines = [f"router bgp {plan.node(node).asn}"]
    for fam in plan.address_families:
        mine = [(addr, rm) for f, addr, rm in binds if f == fam]
        if mine:
            lines += [f" address-family {fam} unicast"] + [f"  neighbor {a} route-map {rm} out" for a, rm in mine]
            lines.append(" exit-address-family")
    return lines + ["exit"] + [f"do clear bgp {addr} soft out" for _, addr, _ in binds]


@fault_type
@dataclass
class MembersDown(Fault):
    """k of the N ports a represented link stands for down: its configured link-bandwidth shrinks."""
    type: ClassVar[str] = "members"

    @classmethod
    def build(cls, plan: Plan, link: Link, down: int, config_of: Callable[[str], str],
              drained: dict[str, int] | None = None) -> "MembersDown":
        """``config_of(node)``: the node's rendered config, whose outbound maps are copied;
        ``drained``: node -> an active drain on it (a drain rebinds every outbound map of its router)."""
        n = link.represents
        label = f"link {link.id} ({link.bundle} member {link.member})"
        if n <= 1:
            raise LabError(f"{label} stands for one port: fail the link itself ('baglab fault link')")
        if down >= n:
            raise LabError(f"{label} stands for {n} ports: {down} down is the link down, take the link down instead"
                           if down == n else f"{label} stands for only {n} ports, not {down}")
        if down < 1:
            raise LabError(f"ports down must be at least 1, not {down}")
        ends = configuring_ends(plan, link)
        for node in ends:
            if node in (drained or {}):
                raise LabError(f"{node} is drained (drain {drained[node]}): undrain it first, a drain rebinds "
                               "every outbound map of the router")
        value = link.lb_with(down)
        actions: list[Action] = []
        undo: list[Action] = []
        for node in ends:
            config = config_of(node)
            bound = read_config(config).bindings
            maps: dict[str, list[str]] = {}
            binds, back = [], []
            for s in sessions(plan, plan.node(node)):
                if s.link != link.id:
                    continue
                normal = bound.get((s.family, s.addr, "out"), s.route_map)
                name = f"{normal}-M{value}"
                if name not in maps:
                    maps[name] = reduced_map(config, normal, name, value, node)
                binds.append((s.family, s.addr, name))
                back.append((s.family, s.addr, normal))
            actions.append(Configure(node, [l for m in maps.values() for l in m] + _rebind(plan, node, binds)))
            # the reduced map stays defined: another link's fault may share it, and unbound it is inert
            undo.append(Configure(node, _rebind(plan, node, back)))
        return cls(0, FaultKind.MEMBERS, f"{link.bundle} member {link.member}: {down} of {n} ports down",
                   members_down=[[link.id, down]], actions=actions, inverse=undo,
                   scope={"link": link.id, "bundle": link.bundle, "member": link.member, "down": down,
                          "represents": n, "configured": ends})
