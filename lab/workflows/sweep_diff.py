"""What a candidate policy changes, sweep against sweep.

At steady state the comparison is of every router's designed share per next hop for every prefix
(from the oracle of each plan), not of the prefixes the probes happened to sample: a policy that
moves 198.19.2.0/24 moves it whether or not a probe was sent there.
"""
from __future__ import annotations

from lab.config.oracle import expected_routes

from lab.design.plan import Plan, prefix_key


def designed_shares(plan: Plan) -> list[dict]:
    """Every router, prefix and next hop at steady state with the share its oracle weight gives."""
    rows = []
    for router, table in sorted(expected_routes(plan).items()):
        for prefix in sorted(table, key=prefix_key):
            hops = table[prefix]
            total = sum(h.weight for h in hops)
            rows += [{"router": router, "prefix": prefix, "next_hop": h.ifname,
                      "share": round(h.weight / total, 4) if total else 0.0} for h in hops]
    return rows


def diff(current, candidate) -> list[str]:
    """What changes between two policies' sweeps (lab.workflows.sweep.SweepReport): per failure, violations that
    appear or vanish and pairs that become or stop being cut off; at steady state, each router's
    designed share per next hop, for every prefix."""
    before = {(i.kind, i.target): i for i in current.items}
    out = []
    for i in candidate.items:
        b = before.get((i.kind, i.target))
        if b is None:
            out.append(f"{i.kind} {i.target}: only in the candidate")
            continue
        for v in sorted(set(i.violations) - set(b.violations)):
            out.append(f"{i.kind} {i.target}: NEW {v}")
        for v in sorted(set(b.violations) - set(i.violations)):
            out.append(f"{i.kind} {i.target}: gone: {v}")
        for c in sorted(set(i.cut_off) ^ set(b.cut_off)):
            out.append(f"{i.kind} {i.target}: {'now' if c in i.cut_off else 'no longer'} cut off: {c}")
    for s in sorted(set(candidate.steady) - set(current.steady)):
        out.append(f"steady state: NEW {s}")
    return out + share_changes(current, candidate)


def share_changes(current, candidate) -> list[str]:
    """Designed shares that move by a point or more: every prefix when both reports carry them
    (``designed``), else (reports written before) only the prefixes their probes sampled."""
    if current.designed and candidate.designed:
        a, b = _by_key(current.designed), _by_key(candidate.designed)
        line = "steady state: {0} {1} via {2}: {3:.0%} -> {4:.0%}"
    else:
        a, b = _sampled(current), _sampled(candidate)
        line = "steady state: {0} {1} (from {5}) via {2}: {3:.0%} -> {4:.0%} (sampled prefixes only)"
    out = []
    for key in sorted(set(a) | set(b), key=lambda k: (k[0], _numeric(k[1]), *k[2:])):
        pa, pb = a.get(key, 0.0), b.get(key, 0.0)
        if abs(pa - pb) >= 0.01:
            router, prefix, hop, *src = key
            out.append(line.format(router, prefix, hop, pa, pb, *(src or [""])))
    return out


def _numeric(prefix: str) -> tuple:
    """Prefixes in address order (a report read back may hold anything: then as text)."""
    try:
        return (0, *prefix_key(prefix))
    except ValueError:
        return (1, prefix)


def _by_key(rows: list[dict]) -> dict[tuple, float]:
    return {(r["router"], r["prefix"], r["next_hop"]): r["share"] for r in rows}


def _sampled(rep) -> dict[tuple, float]:
    total: dict[tuple, int] = {}
    for r in rep.splits:
        k = (r["source"], r["prefix"], r["router"])
        total[k] = total.get(k, 0) + r["expected_weight"]
    return {(r["router"], r["prefix"], r["next_hop"], r["source"]):
            r["expected_weight"] / total[(r["source"], r["prefix"], r["router"])]
            for r in rep.splits if total[(r["source"], r["prefix"], r["router"])]}
