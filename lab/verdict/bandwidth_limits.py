"""Design checks of the link-bandwidth arithmetic: every value the built-in policy configures or
sums (cumulative), on every router, against what the sending router's FRR version can carry
(lab.design.lb_limits, measured).  A value that wraps at 2^32 bytes/s (34,359 Mbps) is named with
router, prefix, value and version, and the weights it then gives."""
from __future__ import annotations

from lab.config.oracle import expected_routes
from lab.design import lb_limits
from lab.design.plan import Plan
from lab.verdict.headroom import Check

#: rows per kind before the rest is counted in one line (a 1,000-router design wraps everywhere)
SHOWN = 12
HOST = "8.4"


def _version(plan: Plan, node: str) -> str:
    return plan.node(node).frr or HOST


def carried(plan: Plan) -> list[Check]:
    """Every path whose value reaches its receiver other than the design means it (wrapped)."""
    meant, real = expected_routes(plan, exact=True), expected_routes(plan)
    rows = []
    for node in sorted(real):
        for prefix in sorted(real[node]):
            want = {h.link: h for h in meant.get(node, {}).get(prefix, [])}
            got = real[node][prefix]
            bad = [(h, want[h.link]) for h in got if h.link in want and abs(h.bandwidth - want[h.link].bandwidth)
                   > 1e-6 * max(1.0, want[h.link].bandwidth)]
            if not bad:
                continue
            worst = max(bad, key=lambda b: abs(b[0].bandwidth - b[1].bandwidth))
            sender = worst[0].peer
            version = _version(plan, sender)
            note = "one path: the wrapped value travels on" if len(got) == 1 else (
                f"weights {'/'.join(str(want[h.link].weight) for h in got if h.link in want)} -> "
                f"{'/'.join(str(h.weight) for h in got)}")
            rows.append(Check(
                scope=f"{node} {prefix}", what=f"link-bandwidth from {sender} (FRR {version})",
                need=f"{worst[1].bandwidth:,.0f} Mbps", limit=f"carried as {worst[0].bandwidth:,.1f} Mbps", ok=False,
                note=f"{lb_limits.WRAP:,} bytes/s ({lb_limits.to_mbps(lb_limits.WRAP):,.0f} Mbps) is the "
                     f"32-bit limit; {note}"))
    if len(rows) > SHOWN:
        rest = len(rows) - SHOWN
        rows = rows[:SHOWN] + [Check(scope=f"... {rest} more routes", what="link-bandwidth carried", need="-",
                                     limit="-", ok=False, note=f"the first {SHOWN} are shown")]
    return rows


def checks(plan: Plan) -> list[Check]:
    """(A configured value FRR would refuse never reaches here: the plan refuses port speeds past
    FRR 8.4's 25,600 Mbps, lab.design.plan.steps.assign, on every version for now.)"""
    return carried(plan)
