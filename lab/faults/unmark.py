"""A fabric that stops sending the link-bandwidth community, and a receiver option changed live:
the two policy changes behind ``policy.bandwidth_missing``'s live test.

Stripping happens where a broken or changed fabric policy would do it, in the origin's own
outbound maps (``set extcommunity none`` instead of its bandwidth), so every router downstream
sees what it would in production: no community at all, not a zero.  The oracle's counterpart is
``Failures(unmarked=...)``.
"""
from __future__ import annotations

from lab.config.skeleton import sessions
from lab.design.bandwidth_missing import OPTIONS, config_line
from lab.errors import LabError
from lab.design.plan import Plan
from lab.state import LabPaths

from lab.frr.router import Router


def _origin_maps(plan: Plan, node: str) -> dict[str, int]:
    n = plan.node(node)
    if not n.originates:
        raise LabError(f"{node} is not a fabric origin: only a fabric's own advertisements can lose the community")
    return {s.route_map: plan.link(s.link).lb_value for s in sessions(plan, n)}


def set_marking(plan: Plan, paths: LabPaths, node: str, marked: bool) -> None:
    """``node`` (a fabric origin) sends its link-bandwidth again, or stops; then re-advertises."""
    cmds = []
    for rmap, speed in sorted(_origin_maps(plan, node).items()):
        cmds += [f"route-map {rmap} permit 10"] + (
            ["no set extcommunity none", f"set extcommunity bandwidth {speed}"] if marked
            else [f"no set extcommunity bandwidth {speed}", "set extcommunity none"]) + ["exit"]
    _apply(paths, node, cmds + ["do clear bgp * soft out"])


def set_bandwidth(paths: LabPaths, node: str, route_map: str, bw: int) -> None:
    """``node`` announces ``bw`` (Mbit/s) instead of its link's speed through ``route_map``: the
    uneven or tiny values the weight-rule measurements (bench/) need; then re-advertises."""
    _apply(paths, node, [f"route-map {route_map} permit 10", f"set extcommunity bandwidth {bw}", "exit",
                         "do clear bgp * soft out"])


def set_option(plan: Plan, paths: LabPaths, routers: list[str], option: str) -> None:
    """Every listed router's ``bgp bestpath bandwidth`` as ``option`` would render it."""
    if option not in OPTIONS:
        raise LabError(f"bandwidth_missing {option!r}: choose one of {', '.join(OPTIONS)}")
    line = config_line(option)
    for r in routers:
        cmds = [f"router bgp {plan.node(r).asn}"]
        cmds += [line] if line else [f"no {config_line(o)}" for o in OPTIONS if config_line(o)]
        _apply(paths, r, cmds + ["exit"])


def _apply(paths: LabPaths, node: str, cmds: list[str]) -> None:
    problems = Router(paths, node).configure(cmds)
    if problems:
        raise LabError(f"{node}: FRR refused the change: {problems}")
