"""Convergence as a distribution: percentiles per fault kind and router role, slow kept apart from wrong.

A median of four samples hides the tail that matters to an operator, and a run that never
reached the oracle's state is not a very slow run: it is a wrong one.  bench/convergence.py
records one ``Trial`` per fault or restore and this module turns them into the tables and
curves docs/benchmarks/convergence.md shows; it is pure logic so it is unit-tested without a lab.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from lab.text_enum import TextEnum


class Outcome(TextEnum):
    """One trial's outcome: within the deadline, beyond it, or never the oracle's state."""
    OK = "ok"
    SLOW = "slow"
    WRONG = "wrong"


OK, SLOW, WRONG = Outcome.OK, Outcome.SLOW, Outcome.WRONG
ALL_ROLES = "all"


@dataclass(frozen=True)
class Trial:
    """One measured event: ``overall_ms`` = last BGP FIB change on any live router after the
    trigger; ``role_ms`` = the same, per router role (the slowest router of that role)."""
    frr: str
    kind: str
    event: str                  # "fault" | "restore"
    target: str
    converged: bool             # every FIB equalled the oracle (and stayed so) before the wait ended
    overall_ms: float
    role_ms: dict[str, float] = field(default_factory=dict)

    def outcome(self, deadline_ms: float) -> Outcome:
        if not self.converged:
            return WRONG
        return SLOW if self.overall_ms > deadline_ms else OK

    def as_dict(self) -> dict:
        return asdict(self)


def role_ms(per_node_ms: dict[str, float], role_of: dict[str, str]) -> dict[str, float]:
    """Per role, the slowest router of that role (a role whose routers did not change is absent)."""
    out: dict[str, float] = {}
    for node, ms in per_node_ms.items():
        role = role_of.get(node)
        if role is not None:
            out[role] = max(out.get(role, 0.0), ms)
    return out


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): always a value that was measured, so a p99 of 20
    samples is honestly the maximum rather than an interpolation."""
    if not values:
        raise ValueError("percentile of no samples")
    if not 0 < q <= 100:
        raise ValueError(f"percentile {q} outside (0, 100]")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


@dataclass(frozen=True)
class Summary:
    n: int                      # correct samples the percentiles are taken over (ok + slow)
    p50: float
    p95: float
    p99: float
    max: float
    slow: int
    wrong: int

    def cell(self) -> str:
        """'p50 / p95 / p99 / max ms (n=20)' plus the slow and wrong counts when there are any."""
        if not self.n:
            text = "-"
        else:
            text = " / ".join(f"{v:.0f}" for v in (self.p50, self.p95, self.p99, self.max)) + f" ms (n={self.n})"
        extra = [f"{c} {w}" for c, w in ((self.slow, SLOW), (self.wrong, WRONG)) if c]
        return text + (f" [{', '.join(extra)}]" if extra else "")


def summarise(trials: list[Trial], deadline_ms: float, role: str = ALL_ROLES) -> Summary:
    """Percentiles over the correct trials (slow ones included: they are real convergence times);
    wrong trials are only counted, never averaged in."""
    outcomes = [t.outcome(deadline_ms) for t in trials]
    values = [_value(t, role) for t, o in zip(trials, outcomes) if o != WRONG]
    values = [v for v in values if v is not None]
    slow, wrong = outcomes.count(SLOW), outcomes.count(WRONG)
    if not values:
        return Summary(0, 0.0, 0.0, 0.0, 0.0, slow, wrong)
    return Summary(len(values), *(percentile(values, q) for q in (50, 95, 99)), max(values), slow, wrong)


def _value(t: Trial, role: str) -> float | None:
    if role == ALL_ROLES:
        return t.overall_ms
    return t.role_ms.get(role)      # None: none of the role's routers changed (not a 0 ms sample)


def roles_in(trials: list[Trial]) -> list[str]:
    return [ALL_ROLES] + sorted({r for t in trials for r in t.role_ms})


def groups(trials: list[Trial]) -> dict[tuple[str, str], dict[str, list[Trial]]]:
    """(kind, event) -> FRR version -> trials, in the order first measured."""
    out: dict[tuple[str, str], dict[str, list[Trial]]] = {}
    for t in trials:
        out.setdefault((t.kind, t.event), {}).setdefault(t.frr, []).append(t)
    return out


def side_by_side(trials: list[Trial], deadlines: dict[str, float]) -> list[str]:
    """Markdown table: one row per fault kind, event and role; one column per FRR version."""
    versions = list(dict.fromkeys(t.frr for t in trials))
    lines = ["| failure | event | role | " + " | ".join(f"FRR {v}: p50 / p95 / p99 / max" for v in versions) + " |",
             "|---|---|---|" + "---|" * len(versions)]
    for (kind, event), by_frr in groups(trials).items():
        for role in roles_in([t for ts in by_frr.values() for t in ts]):
            cells = [summarise(by_frr.get(v, []), deadlines[event], role).cell() for v in versions]
            lines.append(f"| {kind} | {event} | {role} | " + " | ".join(cells) + " |")
    return lines


def outcome_counts(trials: list[Trial], deadlines: dict[str, float]) -> dict[str, dict[str, int]]:
    """FRR version -> {ok, slow, wrong}: the line under the table that says what was left out."""
    out: dict[str, dict[str, int]] = {}
    for t in trials:
        slot = out.setdefault(t.frr, {OK: 0, SLOW: 0, WRONG: 0})
        slot[t.outcome(deadlines[t.event])] += 1
    return out


def cdf_points(values: list[float]) -> tuple[list[float], list[float]]:
    """Empirical CDF as steps: x = the sorted samples, y = fraction of samples <= x."""
    xs = sorted(values)
    return xs, [(i + 1) / len(xs) for i in range(len(xs))]
