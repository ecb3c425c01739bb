"""Sessions a phase reset: FRR's per-peer connection counters before and after.

A reload that re-creates a neighbour, or a password change, resets sessions; the counters say so
even when the session is back before anyone looked (a reset that took 300 ms is still a reset,
and it is what operators need to know before they push).  Counted once per session: both ends
count the same reset, so the report names the session by its two routers."""
from __future__ import annotations

import subprocess

from lab.config.render import sessions as planned_sessions

from lab.design.node_kinds import kind_of
from lab.frr.router import Router
from lab.observe import frr
from lab.design.plan import Plan
from lab.state import LabPaths


def counters(plan: Plan, paths: LabPaths) -> dict[tuple[str, str], tuple[int, int]]:
    """(router, neighbour address) -> (connections established, dropped) so far, as FRR counts them."""
    def one(n: str) -> dict:
        try:
            data = Router(paths, n).show_json("show bgp summary json")
        except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired):
            return {}       # a router down right now: its peers' counters tell the story
        return {addr: (p.get("connectionsEstablished", 0), p.get("connectionsDropped", 0))
                for af in data.values() if isinstance(af, dict) for addr, p in af.get("peers", {}).items()}
    names = [n.name for n in plan.nodes if kind_of(n).has_policy]
    return {(n, addr): c for n, got in frr.many(one, names, workers=4).items() for addr, c in got.items()}


def _names(plan: Plan) -> dict[tuple[str, str], str]:
    """(router, neighbour address) -> 'a ~ b (family, link N)', the same for both ends."""
    names = {}
    for n in plan.nodes:
        if kind_of(n).has_policy:
            for s in planned_sessions(plan, n):
                ends = sorted((n.name, s.peer))
                names[(n.name, s.addr)] = f"{ends[0]} ~ {ends[1]} ({s.family}, link {s.link})"
    return names


def reset(plan: Plan, before: dict, after: dict) -> list[str]:
    """Sessions established again (or lost) between two readings, as 'a ~ b (family)'."""
    names = _names(plan)
    return sorted({names[k] for k in set(before) | set(after) if before.get(k) != after.get(k) and k in names})


def of_routers(plan: Plan, routers: list[str]) -> list[str]:
    """Every session of these routers: all reset when their bgpd was replaced (an upgrade), even
    those between two of them, whose new daemons both count from zero again."""
    return sorted({label for (node, _), label in _names(plan).items() if node in routers})
