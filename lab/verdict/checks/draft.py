"""An intent file drafted from what a known-good lab does (``baglab record``): the routes each router
holds, what it sends each neighbour, the communities and link-bandwidth of routes between regions,
and where each BAG router's best path for a fabric goes.

Routers that behave alike are written once: a group is first every router, then a region's routers
of one role, then split by fabric, then by plane, and only then router by router, so a regular lab reads as a few
statements per region.  Prefix sets are written as 'region r1' and 'fabric r1-f1' where the set holds
all of them.  The file is YAML with comments, in the order a reviewer reads it."""
from __future__ import annotations

import json
import re
from typing import Callable, Hashable

from lab.design.plan import Plan
from lab.verdict.checks.route_match import fabric_prefixes
from lab.verdict.checks.verdict import CheckKind

DRAFTABLE = (CheckKind.ROUTES, CheckKind.ADVERTISED, CheckKind.PATHS)

#: how routers are grouped, coarsest first: each level's key and how the group is written
LEVELS: tuple[tuple[str, Callable], ...] = (
    ("all", lambda n: ("all",) if n.role != "collector" else ("collector", n.name)),
    ("role", lambda n: (n.region, n.role)),
    ("fabric", lambda n: (n.region, n.role, n.fabric)),
    ("plane", lambda n: (n.region, n.role, n.fabric, n.bag_plane)),
    ("router", lambda n: (n.name,)),
)


def where(plan: Plan, level: str, members: list[str]) -> object:
    """How a group of routers is chosen in the file (a mapping, or a router's name)."""
    n = plan.node(members[0])
    if level == "router" or n.role == "collector":
        return n.name
    if level == "all":
        return {"roles": sorted({plan.node(m).role for m in members})}
    out: dict = {"regions": [n.region], "roles": [n.role]}
    if level in ("fabric", "plane") and n.fabric:
        out["fabrics"] = [f"{n.region}-{n.fabric}"]
    if level == "plane" and n.bag_plane:
        out["planes"] = [n.bag_plane]
    return out


def groups(plan: Plan, routers: list[str], value: Callable[[str], Hashable]):
    """(level, members, value) for the coarsest groups within which every router's value agrees."""
    out = []

    def split(members: list[str], depth: int) -> None:
        name, key = LEVELS[depth]
        by: dict = {}
        for r in members:
            by.setdefault(key(plan.node(r)), []).append(r)
        for part in by.values():
            vals = {value(r) for r in part}
            if len(vals) == 1 or depth == len(LEVELS) - 1:
                out.append((name, part, value(part[0])))
            else:
                split(part, depth + 1)

    split(routers, 0)
    return out


def compress(plan: Plan, prefixes) -> list[str]:
    """A set of prefixes as 'region R' / 'fabric F' entries where it holds all of one, then the rest."""
    left = set(prefixes)
    out = []
    sets = fabric_prefixes(plan)
    for key in sorted(k for k in sets if k.startswith("region ")) + \
            sorted(k for k in sets if not k.startswith("region ") and k.count("-") >= 1):
        group = sets[key]
        if group and len(group) <= len(left) and all(p in left for p in group):
            out.append(key if key.startswith("region ") else f"fabric {key}")
            left -= set(group)
    return out + sorted(left, key=_prefix_order)


def _prefix_order(p: str):
    from ipaddress import ip_network

    n = ip_network(p, strict=False)
    return (n.version, n.network_address, n.prefixlen)


def draft_routes(plan: Plan, bgp: dict[str, dict]) -> list[dict]:
    """Each group holds exactly these prefixes (BGP table, every path selected or not)."""
    routers = [r for r in bgp]
    out = []
    for level, members, value in groups(plan, routers, lambda r: frozenset(bgp[r])):
        out.append({"at": where(plan, level, members), "expect": "exactly", "prefixes": compress(plan, value) or [],
                    "_comment": f"{len(members)} router(s), {len(value)} prefixes"})
    return out


def draft_advertised(plan: Plan, adj_out: dict[str, dict[str, list[str]]]) -> list[dict]:
    """What each group sends each (region, role) of neighbours: exactly these prefixes."""
    out = []
    kinds = sorted({(plan.node(p).region, plan.node(p).role) if plan.node(p).role != "collector" else (p, "collector")
                    for sent in adj_out.values() for p in sent})
    for region, role in kinds:
        if role == "collector":
            to: object = region
            peers = {region}
        else:
            to = {"regions": [region], "roles": [role]}
            peers = {n.name for n in plan.nodes if n.region == region and n.role == role}
        senders = [r for r, sent in adj_out.items() if peers & set(sent)]

        def value(r: str, peers=peers) -> frozenset:
            sent = adj_out[r]
            return frozenset((p, frozenset(sent[p])) for p in peers if p in sent)

        for level, members, _v in groups(plan, senders, lambda r: frozenset(x for _p, x in value(r))):
            sets = {x for r in members for _p, x in value(r)}
            if len(sets) != 1:           # one router sends these neighbours different things: pair by pair
                for r in members:
                    for p, x in sorted(value(r)):
                        out.append({"from": r, "to": p, "expect": "exactly", "prefixes": compress(plan, x) or [],
                                    "_comment": f"{r} to {p}: {len(x)} prefixes"})
                continue
            sent = next(iter(sets))
            out.append({"from": where(plan, level, members), "to": to, "expect": "exactly",
                        "prefixes": compress(plan, sent) or [],
                        "_comment": f"{len(members)} sender(s) to {_text(to)}: {len(sent)} prefixes"})
    return out


def _text(w) -> str:
    return w if isinstance(w, str) else " ".join(f"{k}={','.join(map(str, v))}" for k, v in w.items())


def draft_paths(plan: Plan, bgp: dict[str, dict]) -> list[dict]:
    """Between regions: the communities and link-bandwidth count of every path learnt from another
    region's BAG routers; per BAG group: which region each region's fabrics are best reached through."""
    out = []
    regions = sorted({n.region for n in plan.nodes if n.role == "bag"})
    for at in regions:
        for src in regions:
            if src == at:
                continue
            senders = {n.name for n in plan.nodes if n.region == src and n.role == "bag"}
            paths = [p for r, table in bgp.items() if plan.node(r).region == at and plan.node(r).role == "bag"
                     for ps in table.values() for p in ps if p.peer in senders]
            if not paths:
                continue
            rule: dict = {}
            comms = {p.communities for p in paths}
            if len(comms) == 1:
                rule["communities"] = {"exactly": sorted(next(iter(comms)))}
            large = {p.large_communities for p in paths}
            if len(large) == 1:
                rule["large_communities"] = {"exactly": sorted(next(iter(large)))}
            lbs = {len(p.link_bandwidth) for p in paths}
            if len(lbs) == 1:
                rule["link_bandwidth"] = {"count": next(iter(lbs))}
            if rule:
                out.append({"at": {"regions": [at], "roles": ["bag"]},
                            "learnt_from": {"regions": [src], "roles": ["bag"]}, **rule,
                            "_comment": f"routes from {src} as {at}'s BAG routers hear them ({len(paths)} paths)"})
    for owner in sorted({n.region for n in plan.nodes if n.fabric and n.originates}):
        mine = fabric_prefixes(plan).get(f"region {owner}")
        bags = [r for r in bgp if plan.node(r).role == "bag"]

        def best_region(r: str, mine=mine) -> frozenset:
            return frozenset(plan.node(p.peer).region for pfx, ps in bgp[r].items() if pfx in mine
                             for p in ps if p.best and p.peer in _names(plan))

        for level, members, via in groups(plan, bags, best_region):
            if len(via) == 1:
                out.append({"at": where(plan, level, members), "prefixes": [f"region {owner}"], "which": "best",
                            "best_via": {"regions": sorted(via)},
                            "_comment": f"{owner}'s fabrics are best reached through {next(iter(via))}"})
    return out


def _names(plan: Plan) -> set[str]:
    return {n.name for n in plan.nodes}


# -- YAML -----------------------------------------------------------------------------------------

PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_.:/ -]*$")
#: plain scalars YAML 1.1 would read as something else
RESERVED = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "~"}


def _flow(v) -> str:
    """A value in YAML flow style, quoted only where needed: [region r1, fabric r1-f1], {regions: [r1]}."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_flow(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_flow(x) for x in v) + "]"
    if isinstance(v, str) and PLAIN.match(v) and v.lower() not in RESERVED and ": " not in v and not v.endswith(":"):
        return v
    return json.dumps(v)


def _item(d: dict, indent: str = "  ") -> list[str]:
    lines = [f"{indent}# {d['_comment']}"] if d.get("_comment") else []
    keys = [k for k in d if not k.startswith("_")]
    for i, k in enumerate(keys):
        lead = f"{indent}- " if i == 0 else f"{indent}  "
        lines.append(f"{lead}{k}: {_flow(d[k])}")
    return lines


SECTIONS = {
    CheckKind.ROUTES: "what each router holds: every prefix in its BGP table, selected or not "
                      "(anything else is a leak)",
    CheckKind.ADVERTISED: "what routers send their neighbours (Adj-RIB-Out, after outbound policy)",
    CheckKind.PATHS: "attributes of routes between regions, and where best paths go",
}


def render(header: list[str], sections: dict[CheckKind, list[dict]]) -> str:
    lines = [f"# {h}" for h in header]
    for kind, items in sections.items():
        lines += ["", f"# {SECTIONS[kind]}", f"{kind.value}:"]
        if not items:
            lines[-1] += " []"
        for d in items:
            lines += _item(d)
    return "\n".join(lines) + "\n"
