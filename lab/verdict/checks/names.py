"""Every name an intent file uses, resolved against the plan before any lab is touched.

A typo (``f4``, ``r1-bag9``, plane 3) becomes one located error -- file:line: YAML path -- naming
what exists, instead of a check that silently covers nothing."""
from __future__ import annotations

import difflib

from lab.design.plan import Plan
from lab.verdict.checks.schema import LoadedIntents


def fabrics(plan: Plan) -> dict[str, list[str]]:
    """Region-qualified fabric name (``r1-f1``) -> its originating routers (STSW, edge pod, emulator)."""
    out: dict[str, list[str]] = {}
    for n in plan.nodes:
        if n.fabric and n.originates:
            out.setdefault(f"{n.region}-{n.fabric}", []).append(n.name)
    return out


def fabric(plan: Plan, name: str) -> str | None:
    """``f1`` (unique across regions) or ``r1-f1`` -> ``r1-f1``; None when unknown or ambiguous."""
    known = fabrics(plan)
    if name in known:
        return name
    hits = [q for q in known if q.split("-", 1)[1] == name]
    return hits[0] if len(hits) == 1 else None


def _hint(name: str, known) -> str:
    known = sorted(set(known))
    near = difflib.get_close_matches(name, known, n=3)
    shown = ", ".join(known[:16]) + (f", ... ({len(known) - 16} more)" if len(known) > 16 else "")
    return f"did you mean {', '.join(near)}? " * bool(near) + f"known: {shown}"


def _check(loaded: LoadedIntents, parts, name: str, ok: bool, what: str, known) -> None:
    if not ok:
        raise loaded.error(parts, f"unknown {what} {name!r}; {_hint(name, known)}")


def _fabric(plan: Plan, loaded: LoadedIntents, parts, name: str, known) -> None:
    hits = [q for q in fabrics(plan) if q.split("-", 1)[1] == name]
    if fabric(plan, name) is None and len(hits) > 1:
        raise loaded.error(parts, f"fabric {name!r} is in several regions ({', '.join(sorted(hits))}): "
                           "name it with its region")
    _check(loaded, parts, name, fabric(plan, name) is not None, "fabric", known)


def resolve(plan: Plan, loaded: LoadedIntents) -> None:
    """Raise the first unknown name, located in the intent file."""
    it = loaded.model
    fab = sorted(fabrics(plan)) + sorted({q.split("-", 1)[1] for q in fabrics(plan)})
    routers = [n.name for n in plan.nodes]
    regions = sorted({n.region for n in plan.nodes})
    planes = sorted({n.bag_plane for n in plan.nodes if n.role == "bag" and n.bag_plane})
    links = [f"{l.bundle}#{l.member}" for l in plan.links]
    bundles = sorted({l.bundle for l in plan.links})
    if it.reachability:
        for i, p in enumerate(it.reachability.except_pairs):
            _fabric(plan, loaded, ["reachability", "except", i, "from"], p.src, fab)
            _fabric(plan, loaded, ["reachability", "except", i, "to"], p.dst, fab)
    for i, s in enumerate(it.shares):
        at = [s.at] if isinstance(s.at, str) else s.at
        for j, r in enumerate(at):
            where = ["shares", i, "at"] + ([j] if isinstance(s.at, list) else [])
            _check(loaded, where, r, r in routers, "router", routers)
        _fabric(plan, loaded, ["shares", i, "fabric"], s.fabric, fab)
        for j, f in enumerate(s.failures):
            _check(loaded, ["shares", i, "failures", j], f, f in links or f in bundles or f in routers,
                   "link, bundle or router", links + bundles + routers)
        if isinstance(s.expect, dict) and s.by != "neighbour":
            known = regions if s.by == "region" else [str(p) for p in planes]
            for g in s.expect:
                _check(loaded, ["shares", i, "expect", g], g, str(g) in known, s.by, known)
        elif isinstance(s.expect, dict):
            for g in s.expect:
                _check(loaded, ["shares", i, "expect", g], g, g in routers, "neighbour", routers)
    for i, d in enumerate(it.drains):
        given = [k for k in ("plane", "router", "link") if getattr(d, k) is not None]
        if len(given) != 1:
            raise loaded.error(["drains", i], "a drain names exactly one of plane, router or link")
        if d.plane is not None:
            _check(loaded, ["drains", i, "plane"], str(d.plane), d.plane in planes, "plane", map(str, planes))
        if d.region is not None:
            _check(loaded, ["drains", i, "region"], d.region, d.region in regions, "region", regions)
        if d.router is not None:
            _check(loaded, ["drains", i, "router"], d.router, d.router in routers, "router", routers)
        if d.link is not None:
            _check(loaded, ["drains", i, "link"], d.link, d.link in links or d.link in bundles,
                   "link (bundle#member) or bundle", links + bundles)
    for i, a in enumerate(it.attributes):
        _check(loaded, ["attributes", i, "leaving"], a.leaving, a.leaving in regions, "region", regions)
