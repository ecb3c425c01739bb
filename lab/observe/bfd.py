"""BFD as bfdd reports it (``show bfd peers json``), set beside the plan's timers.

One BFD session per BGP session (link and address family) where the link has BFD (lab.design.plan
Link.bfd): ``baglab status`` counts them per router, ``baglab links`` shows each end's state, and
the live tests wait on them.  bfdd's own word is used, not bgpd's (bgpd shows BFD only per
neighbour, and only once the session is registered)."""
from __future__ import annotations

from dataclasses import dataclass

from lab.config.skeleton import end_address

from lab.design.plan import Bfd, Plan
from lab.frr.show import show_json
from lab.observe.frr import many


@dataclass(frozen=True)
class Peer:
    """One end's view of a BFD session: its state and the timers it runs (the negotiated ones are
    the slower of both ends')."""
    addr: str
    status: str          # up, down, init, shutdown (FRR's words)
    interval_ms: int     # transmit interval
    multiplier: int
    interface: str = ""


def peers(netns: str) -> dict[str, Peer]:
    """peer address -> its BFD session on this router (none when bfdd is not running)."""
    out = {}
    for p in show_json(netns, "show bfd peers json") or []:
        out[p["peer"]] = Peer(p["peer"], p.get("status", "?"), p.get("transmit-interval", 0),
                              p.get("detect-multiplier", 0), p.get("interface", ""))
    return out


def planned(plan: Plan, node: str) -> dict[str, tuple[int, Bfd]]:
    """peer address -> (link id, timers): the BFD sessions the plan gives this router."""
    out = {}
    for l in plan.links_of(node):
        if l.bfd:
            for fam in plan.address_families:
                out[end_address(l.peer(node), fam)] = (l.id, l.bfd)
    return out


def judge(plan: Plan, node: str, seen: dict[str, Peer]) -> dict:
    """planned/up counts; the sessions that are not up, and those whose timers are not the plan's."""
    want = planned(plan, node)
    not_up = [f"{a} (link {lid}): {seen[a].status if a in seen else 'missing'}"
              for a, (lid, _) in want.items() if a not in seen or seen[a].status != "up"]
    wrong = [f"{a} (link {lid}): {seen[a].interval_ms} ms x {seen[a].multiplier}, planned {b.interval_ms} ms x {b.multiplier}"
             for a, (lid, b) in want.items() if a in seen and (seen[a].interval_ms, seen[a].multiplier)
             != (b.interval_ms, b.multiplier)]
    extra = sorted(set(seen) - set(want))
    return {"planned": len(want), "up": len(want) - len(not_up), "not_up": not_up, "timers_differ": wrong,
            "unplanned": extra}


def safe_peers(netns: str) -> dict[str, Peer]:
    """peers(), or nothing for a router whose bfdd does not answer (stopped by a fault)."""
    try:
        return peers(netns)
    except Exception:  # noqa: BLE001 - a stopped router has no BFD: shown as missing
        return {}


def lab_peers(plan: Plan, netns, nodes: list[str]) -> dict[str, dict[str, Peer]]:
    """node -> its peers, for the routers the plan gives BFD sessions (queried in parallel)."""
    with_bfd = [n for n in nodes if planned(plan, n)]
    return many(lambda n: safe_peers(netns(n)), with_bfd)


def link_states(plan: Plan, seen: dict[str, dict[str, Peer]]) -> dict[int, dict[str, str]]:
    """link id -> node -> its BFD state on that link (both families: 'up' only when both are)."""
    out: dict[int, dict[str, str]] = {}
    for node, by_addr in seen.items():
        for addr, (lid, _) in planned(plan, node).items():
            st = by_addr[addr].status if addr in by_addr else "missing"
            prev = out.setdefault(lid, {}).get(node)
            out[lid][node] = st if prev in (None, st) else (prev if prev != "up" else st)
    return out
