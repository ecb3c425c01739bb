"""baglab's mechanisms on top of any policy: aggregation guards, drain twins, drained bindings.

They are derived from the *final* rendered config (skeleton plus fragments), because a fragment
may rebind a neighbour's outbound map: whatever map a session ends up with gets the aggregation
guard entries (deny, seq 1-9) and a drained twin ``<M>-DRAIN`` that sets the drain and then
``call``s ``<M>``.  FRR applies an entry's ``set`` lines before its ``call``, so the drain's
GRACEFUL_SHUTDOWN community survives unless the called map replaces communities outright (a
policy must use ``set community ... additive`` on outbound maps; checked here).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from lab.config.skeleton import Session
from lab.errors import LabError
from lab.design.plan import Node, Plan

_RM = re.compile(r"^\s*route-map\s+(\S+)\s+(permit|deny)\s+(\d+)\s*$")
_BIND = re.compile(r"^\s*neighbor\s+(\S+)\s+route-map\s+(\S+)\s+(in|out)\s*$")
_AF = re.compile(r"^\s*address-family\s+(ipv4|ipv6)(\s+unicast)?\s*$")


@dataclass
class ConfigFacts:
    """What the rendered config defines and binds, as FRR would read it."""
    maps: dict[str, dict[int, list[str]]] = field(default_factory=dict)     # map -> seq -> body lines
    bindings: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (family, addr, in|out) -> map


_RM_SUB = ("match ", "set ", "call ", "on-match ", "continue", "description ")
_TOP = ("ip ", "ipv6 ", "hostname", "log ", "bgp community-list", "bgp as-path", "bgp extcommunity-list",
        "bgp large-community-list", "frr ", "service ", "zebra ", "no zebra")


def read_config(text: str) -> ConfigFacts:
    """Route-map entries (FRR merges entries of one map from several places) and the last
    ``neighbor X route-map M in|out`` per family and neighbour (a later one replaces an earlier one).
    Contexts follow FRR's reading: ``exit`` leaves one level, a command of an outer level leaves too."""
    facts = ConfigFacts()
    ctx, af, body = "top", "ipv4", None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("!"):
            continue
        if m := _RM.match(line):
            ctx, body = "rm", facts.maps.setdefault(m[1], {}).setdefault(int(m[3]), [m[2]])
        elif line.startswith("router bgp"):
            ctx, af = "bgp", "ipv4"
        elif ctx == "rm":
            if line.startswith(_RM_SUB):
                body.append(line)
            else:
                ctx = "top"
        elif ctx in ("bgp", "af"):
            if m := _AF.match(line):
                ctx, af = "af", m[1]
            elif line == "exit-address-family" or (line == "exit" and ctx == "af"):
                ctx, af = "bgp", "ipv4"
            elif line == "exit" or line.startswith(_TOP):
                ctx = "top"
            elif m := _BIND.match(line):
                facts.bindings[(af, m[1], m[3])] = m[2]
    return facts


def outbound_maps(facts: ConfigFacts, sess: list[Session]) -> dict[tuple[str, str], str]:
    """(family, neighbour address) -> the outbound map it ends up with (the skeleton's unless rebound)."""
    return {(s.family, s.addr): facts.bindings.get((s.family, s.addr, "out"), s.route_map) for s in sess}


def check_bindings(node: Node, plan: Plan, sess: list[Session], facts: ConfigFacts) -> None:
    """Every bound map exists; inbound maps keep GRACEFUL_SHUTDOWN; drain twins stay baglab's."""
    peer = {(s.family, s.addr): s.peer for s in sess}
    for (fam, addr, way), m in sorted(facts.bindings.items()):
        who = f"{node.name}: neighbour {addr} ({peer.get((fam, addr), '?')}, {fam})"
        if m not in facts.maps:
            raise LabError(f"{who} is bound to route-map {m} {way}, which the policy never defines"
                           + (" (baglab's skeleton binds it: define it, or rebind the session)" if way == "out" else ""))
        if m.endswith("-DRAIN"):
            raise LabError(f"{who}: route-map {m} {way}: names ending in -DRAIN are baglab's drain twins")
        if way == "in" and plan.drain_method == "graceful-shutdown" and m != "FROM-PEER" and not _honours_gshut(facts, m):
            raise LabError(f"{who}: inbound route-map {m} must honour GRACEFUL_SHUTDOWN (policy.drain is "
                           "graceful-shutdown): give it an entry 'call FROM-PEER' or 'match community GSHUT' "
                           "with 'set local-preference 0'")
    for m in sorted(set(outbound_maps(facts, sess).values())):
        if plan.drain_method == "graceful-shutdown":
            for seq, body in sorted(facts.maps[m].items()):
                if any(b.startswith("set community ") and "additive" not in b for b in body):
                    raise LabError(f"{node.name}: outbound route-map {m} seq {seq} replaces communities: a drain "
                                   "adds GRACEFUL_SHUTDOWN before calling it, so use 'set community ... additive'")


def _honours_gshut(facts: ConfigFacts, m: str) -> bool:
    return any("call FROM-PEER" in body or "match community GSHUT" in body for body in facts.maps[m].values())


def _abroad(plan: Plan, node: Node, s: Session) -> bool:
    return bool(plan.aggregates_of(node.name)) and plan.node(s.peer).region != node.region


def guard_lines(plan: Plan, node: Node, sess: list[Session], facts: ConfigFacts) -> list[str]:
    """Aggregation: deny entries seq 1-9 in every outbound map (merged with the policy's entries)."""
    aggs = plan.aggregates_of(node.name)
    if not aggs:
        return []
    final = outbound_maps(facts, sess)
    where: dict[str, set[bool]] = {}
    for s in sess:
        where.setdefault(final[(s.family, s.addr)], set()).add(_abroad(plan, node, s))
    lines = []
    for m, abroad in sorted(where.items()):
        if len(abroad) > 1:
            raise LabError(f"{node.name}: route-map {m} is bound towards its own region and towards others; "
                           "with aggregation (topology 'aggregates') those need different maps")
        if low := sorted(q for q in facts.maps[m] if q < 10):
            raise LabError(f"{node.name}: route-map {m} has entries {low}: seq 1-9 of outbound maps are "
                           "baglab's aggregation guard")
        lines += _guard_entries(m, aggs, abroad.pop())
    return lines


def _guard_entries(m: str, aggs, abroad: bool) -> list[str]:
    lines, seq = [], 1
    for a in aggs:
        kw, af = ("ip", "4") if a.family == "ipv4" else ("ipv6", "6")
        if not abroad:
            lines += [f"route-map {m} deny {seq}", f" match {kw} address prefix-list AGG{af}-{a.id}", "exit"]
            seq += 1
            continue
        if a.when_thin == "withdraw":     # else the conditional advertisement decides
            lines += [f"route-map {m} deny {seq}", f" match {kw} address prefix-list AGG{af}-{a.id}-MORE", "exit"]
            seq += 1
        if a.min_fabrics > 1:
            lines += [f"route-map {m} deny {seq}", f" match {kw} address prefix-list AGG{af}-{a.id}",
                      f" match as-path AGG-THIN-{a.id}", "exit"]
            seq += 1
    return lines


def drain_set(plan: Plan, node: Node) -> str:
    """Written in FRR's own order ('show running' prints 'graceful-shutdown additive'), so a reload
    of an unchanged config finds nothing to change."""
    return (" set community graceful-shutdown additive" if plan.drain_method == "graceful-shutdown"
            else " set as-path prepend " + " ".join([str(node.asn)] * plan.drain_prepend))


def twin_lines(plan: Plan, node: Node, sess: list[Session], facts: ConfigFacts) -> list[str]:
    """``<M>-DRAIN``: the drain's set, then everything ``<M>`` does (FRR: sets first, then call)."""
    lines = []
    for m in sorted(set(outbound_maps(facts, sess).values())):
        lines += [f"route-map {m}-DRAIN permit 10", drain_set(plan, node), f" call {m}", "exit"]
    return lines


def drained_bindings(node: Node, sess: list[Session], facts: ConfigFacts, drained) -> list[str]:
    """Re-enter ``router bgp`` and bind the drained sessions to their twins."""
    final = outbound_maps(facts, sess)
    lines = []
    for fam in dict.fromkeys(s.family for s in sess):
        binds = [f"  neighbor {s.addr} route-map {final[(fam, s.addr)]}-DRAIN out"
                 for s in sess if s.family == fam and s.link in drained]
        if binds:
            lines += [f" address-family {fam} unicast", *binds, " exit-address-family"]
    return [f"router bgp {node.asn}", *lines, "exit"] if lines else []


def live_bindings(text: str, sess: list[Session]) -> dict[str, list[tuple[str, str]]]:
    """family -> [(neighbour, outbound map)] of a rendered config: what a drain applies live."""
    final = outbound_maps(read_config(text), sess)
    out: dict[str, list[tuple[str, str]]] = {}
    for s in sess:
        out.setdefault(s.family, []).append((s.addr, final[(s.family, s.addr)]))
    return out


def without_superseded(text: str) -> str:
    """The config minus the ``neighbor X route-map M in|out`` lines a later line replaces.

    FRR reads a config top to bottom, so at start-up the last binding wins (a fragment's rebinding,
    a drain's twin).  ``frr-reload.py`` compares *sets* of lines per context instead, and would
    re-apply the earlier binding the running router no longer shows (undraining a drained router):
    what it is handed must hold only the bindings in force."""
    lines = text.splitlines()
    seen: dict[tuple[str, str, str], list[int]] = {}
    ctx, af = "top", "ipv4"
    for i, raw in enumerate(lines):
        line = raw.strip()
        if line.startswith("router bgp"):
            ctx, af = "bgp", "ipv4"
        elif ctx in ("bgp", "af"):
            if m := _AF.match(line):
                ctx, af = "af", m[1]
            elif line == "exit-address-family" or (line == "exit" and ctx == "af"):
                ctx, af = "bgp", "ipv4"
            elif line == "exit" or line.startswith(_TOP) or _RM.match(line):
                ctx = "top"
            elif m := _BIND.match(line):
                seen.setdefault((af, m[1], m[3]), []).append(i)
    drop = {i for where in seen.values() for i in where[:-1]}
    return "\n".join(l for i, l in enumerate(lines) if i not in drop) + ("\n" if text.endswith("\n") else "")
