"""An intent file checked against a topology alone, without a lab: the checks ``baglab check`` runs
before it touches one (YAML, the schema, every name resolved against the plan), and a summary of
what the file asks for, so a reviewer sees what was checked rather than a bare "ok"."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lab.design.plan import Plan, build_plan
from lab.design.topology import load
from lab.verdict.checks import names
from lab.verdict.checks.schema import Intents, LoadedIntents, load_intents


@dataclass
class Validated:
    """A valid intent file: where it is, the topology it was resolved against, and what it holds."""
    source: str
    topology: str
    routers: int
    fabrics: int
    checked: list[str] = field(default_factory=list)     # one line per kind present


def validate(intents: str | Path, topology: str | Path) -> Validated:
    """Raise the first problem as one located error (file:line: YAML path: reason and what exists);
    otherwise what was checked."""
    plan = build_plan(load(topology))
    return validate_against(plan, load_intents(intents), str(topology))


def validate_against(plan: Plan, loaded: LoadedIntents, topology: str) -> Validated:
    names.resolve(plan, loaded)
    return Validated(loaded.source, topology, len(plan.nodes), len(names.fabrics(plan)), summary(loaded.model))


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(it: Intents) -> list[str]:
    """What the file asks for, kind by kind, in the words of its keys."""
    out = []
    if it.reachability:
        r = it.reachability
        out.append(f"reachability: {', '.join(r.families)}, {r.flows} flows, "
                   f"{_n(len(r.except_pairs), 'excepted pair')}")
    if it.shares:
        at = {r for s in it.shares for r in ([s.at] if isinstance(s.at, str) else s.at)}
        out.append(f"shares: {_n(len(it.shares), 'intent')} at {_n(len(at), 'router')} towards "
                   f"{_n(len({s.fabric for s in it.shares}), 'fabric')}")
    if it.attributes:
        out.append(f"attributes: leaving {', '.join(sorted({a.leaving for a in it.attributes}))}")
    for kind in ("routes", "advertised"):
        specs = getattr(it, kind)
        if specs:
            out.append(f"{kind}: {_n(len(specs), 'intent')} ({', '.join(sorted({s.expect for s in specs}))})")
    if it.paths:
        out.append(f"paths: {_n(len(it.paths), 'intent')}")
    if it.drains:
        out.append(f"drains: {_n(len(it.drains), 'drain')}")
    if it.sweep:
        out.append(f"sweep: budget {it.sweep.budget_ms} ms, domains {'on' if it.sweep.domains else 'off'}")
    if it.intended_changes:
        aspects = sorted({a for c in it.intended_changes for a in c.aspects + c.statements()})
        out.append(f"intended_changes: {_n(len(it.intended_changes), 'change')} ({', '.join(aspects)})")
    return out
