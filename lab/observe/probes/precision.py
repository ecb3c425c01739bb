"""How many flows a split check needs, and what it may then conclude.

A share measured over n flows has a standard deviation of at most 0.5/sqrt(n); at four standard
deviations (a false alarm about once in 15,000 rows) holding it to +-t needs n = (2/t)^2 flows
through that router and next-hop set: +-5 points needs 1,600.  A check with fewer flows than that
cannot tell a 50/50 split from 34/66 (56 flows give +-27 points), so it says "too few flows"
instead of passing.  The flows a pair needs follow from the router on its path that the oracle
gives the smallest part of them (a plane with a quarter of the traffic needs four times as many).
"""
from __future__ import annotations

import math

from lab.config.oracle import longest_match

from lab.text_enum import TextEnum


class Split(TextEnum):
    """The verdict on one router / next-hop row of a measured flow split (reports carry the text)."""
    OK = "ok"
    SKEWED = "skewed"
    TOO_FEW = "too few flows"
    NO_ROUTE = "no route in the oracle"     # the router forwarded flows the oracle routes elsewhere

Z = 4.0                 # standard deviations of the tolerance band
PRECISION = 0.05        # the split error a check must be able to see: +-5 points
MAX_FLOWS = 40000       # one source port per flow (20000 + i), below 65536


def flows_for(tolerance_points: float, cap: int = 20000) -> int:
    """Flows through one router and next-hop set that hold a share to +-``tolerance_points``."""
    t = max(tolerance_points, 0.5) / 100
    return min(cap, math.ceil((Z / 2 / t) ** 2))


def tolerance(total: int, p: float) -> float:
    """The +-band (a fraction) of a share p over ``total`` flows, at Z standard deviations; one
    point at least (the hash is not a perfect coin)."""
    if total <= 0:
        return 1.0
    return max(0.01, Z * math.sqrt(max(p * (1 - p), 1e-9) / total))


def verdict(got: float, p: float, total: int, precision: float = PRECISION) -> tuple[float, Split]:
    """(tolerance, verdict) of one router / next-hop row: 'ok', 'skewed' or 'too few flows'.

    Too few flows is judged at the worst case p = 0.5 so that the sibling rows of one router agree."""
    tol = tolerance(total, p)
    if abs(got - p) > tol:
        return tol, Split.SKEWED
    if total < flows_for(100 * precision, cap=MAX_FLOWS) * 0.8:     # 0.8: the hash's own spread
        return tol, Split.TOO_FEW
    return tol, Split.OK


def reach_shares(expected: dict, src: str, address: str) -> dict[str, float]:
    """Router -> fraction of a pair's flows the oracle's weights send through it (``expected``:
    node -> prefix -> next hops, as lab.config.oracle.expected_routes gives)."""
    share: dict[str, float] = {}

    def push(node: str, x: float, depth: int) -> None:
        share[node] = share.get(node, 0.0) + x
        hops = longest_match(expected.get(node, {}), address) or []
        total = sum(h.weight for h in hops)
        if depth > 32 or not total:
            return
        for h in hops:
            if h.peer:
                push(h.peer, x * h.weight / total, depth + 1)

    push(src, 1.0, 0)
    return share


def flows_for_pair(expected: dict, src: str, address: str, precision: float = PRECISION) -> int:
    """Flows to send so that every router on the path that splits (two next hops or more) sees
    enough of them for ``precision``; MAX_FLOWS at most (the report then says 'too few flows')."""
    need = flows_for(100 * precision, cap=MAX_FLOWS)
    splitting = [x for node, x in reach_shares(expected, src, address).items()
                 if x > 0 and len(longest_match(expected.get(node, {}), address) or []) > 1]
    return min(MAX_FLOWS, math.ceil(need / min(splitting, default=1.0)))
