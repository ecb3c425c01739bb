"""Running an intent file's checks on a lab: quiet first, the disturbing ones (drains, the sweep) last.

Everything a check needs is resolved before the lab is touched (names, targets), and a lab that
never goes quiet turns every dependent check INCONCLUSIVE instead of judging a moving target."""
from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path

from lab.design.plan import Plan
from lab.observe.probes import flows
from lab.session import Lab
from lab.observe.settle import Strategy, baseline, settle
from lab.observe.routes import RouteTables
from lab.verdict.checks import attributes, names, reach, shares
from lab.verdict.checks import routes as route_checks
from lab.verdict.checks.route_match import describe
from lab.workflows import check_drains as drains, check_sweep as sweep
from lab.verdict.checks.quiet import verdict as quiet_verdict
from lab.verdict.checks.schema import Intents, LoadedIntents, load_intents
from lab.verdict.checks.verdict import KINDS, CheckKind, CheckReport, Status, Verdict


#: the kinds that send probe packets (their flows are installed first)
PROBING = {"reachability", "shares", "drains", "sweep"}
ROUTE_CHECKS = {"routes": route_checks.check_routes, "advertised": route_checks.check_advertised,
                "paths": route_checks.check_paths}


def load(plan: Plan, path: str | Path) -> LoadedIntents:
    """The intent file, validated and with every name resolved against ``plan`` (located errors)."""
    loaded = load_intents(path)
    names.resolve(plan, loaded)
    return loaded


def _planned(it: Intents, only) -> list[tuple[str, str, object]]:
    """(kind, label, spec) in running order."""
    out: list[tuple[str, str, object]] = []
    if it.reachability:
        out.append(("reachability", "reachability between every pair of fabrics", it.reachability))
    for s in it.shares:
        for r in [s.at] if isinstance(s.at, str) else s.at:
            out.append(("shares", f"shares at {r} towards {s.fabric}", (s, r)))
    out += [("attributes", f"attributes leaving {a.leaving}", a) for a in it.attributes]
    out += [("routes", f"routes {r.expect} at {describe(r.at)}", r) for r in it.routes]
    out += [("advertised", f"advertised {describe(a.src)} -> {describe(a.to)}", a) for a in it.advertised]
    out += [("paths", f"paths at {describe(p.at)}", p) for p in it.paths]
    out += [("drains", "drain " + (f"plane {d.plane}" if d.plane else d.router or d.link), d) for d in it.drains]
    if it.sweep:
        out.append(("sweep", "N-1 sweep", it.sweep))
    wanted = set([only] if isinstance(only, str) else only or KINDS)
    return [p for p in out if p[0] in wanted]


def _failed(plan: Plan, fi, names_: list[str]):
    made = []
    for n in names_:
        if "#" in n:
            b, _, m = n.partition("#")
            made.append(fi.link(next(l for l in plan.links if l.bundle == b and l.member == int(m))))
        elif any(l.bundle == n for l in plan.links):
            made.append(fi.bundle(n))
        else:
            made.append(fi.node(n, "power"))
    return made


def _shares(lab: Lab, spec, router: str, settle_s: float, deadline_s: float) -> Verdict:
    plan, paths = lab.plan, lab.paths
    if not spec.failures:
        return shares.check_one(lab, spec, router)
    fi = lab.faults
    base = baseline(plan, paths)
    made = _failed(plan, fi, spec.failures)
    try:
        fl = fi.failures()
        q = settle(plan, paths, Strategy.QUIET, quiet_s=settle_s, deadline_s=deadline_s, skip=frozenset(fl.nodes),
                   expect_change=True, before=base)
        if not q.ok:
            return Verdict(f"shares:{router}->{spec.fabric}", CheckKind.SHARES, Status.INCONCLUSIVE,
                           f"never quiet after failing {', '.join(spec.failures)}: {'; '.join(q.changing[:4])}")
        return shares.check_one(lab, spec, router, frozenset(fl.nodes), frozenset(fl.links))
    finally:
        base = baseline(plan, paths)
        for f in reversed(made):
            fi.restore(f)
        settle(plan, paths, Strategy.QUIET, quiet_s=settle_s, deadline_s=2 * deadline_s, expect_change=True, before=base)


def _run_one(lab: Lab, kind, spec, settle_s, deadline_s, step, tables: RouteTables) -> list[Verdict]:
    if kind in ROUTE_CHECKS:
        return [ROUTE_CHECKS[kind](lab.plan, tables, spec)]
    if kind == "reachability":
        return reach.check(lab, spec.families, spec.except_pairs, spec.flows)
    if kind == "shares":
        return [_shares(lab, spec[0], spec[1], settle_s, deadline_s)]
    if kind == "attributes":
        return [attributes.check(lab.plan, tables, spec)]
    if kind == "drains":
        return [drains.check(lab, spec, settle_s, deadline_s)]
    return sweep.run(lab, spec, settle_s=min(settle_s, 1.5), deadline_s=deadline_s, progress=step)


def run_checks(lab: Lab, intents: LoadedIntents | Intents, only=None, *, settle_s: float = 2.0,
               quiet_deadline_s: float = 30.0, progress: bool = False, source: str = "") -> CheckReport:
    """Every check of ``intents`` on the running ``lab``; ``only``: a kind or list of kinds.  The
    disturbing checks use the lab's own fault injector: a caller's drains stay in view."""
    it = intents.model if isinstance(intents, LoadedIntents) else intents
    plan, paths = lab.plan, lab.paths
    t0 = time.time()
    rep = CheckReport(plan.topology, paths.name, source or getattr(intents, "source", ""))
    todo = _planned(it, only)
    with _bar(progress, len(todo) + 1) as bar:
        task = bar.add_task("waiting for the lab to go quiet", total=len(todo) + 1) if bar else None
        q = settle(plan, paths, Strategy.QUIET, quiet_s=settle_s, deadline_s=quiet_deadline_s)
        rep.verdicts.append(quiet_verdict(q, settle_s, quiet_deadline_s))
        rep.verdicts[-1].seconds = q.seconds
        # counters only for checks that send packets; reachability (first in line) installs its own,
        # which the later ones use too
        if any(kind in PROBING for kind, _l, _s in todo) and not any(kind == "reachability" for kind, _l, _s in todo):
            flows.install(plan, paths)
        tables = RouteTables(plan, paths)      # read once, after the lab went quiet, for every route check
        for kind, label, spec in todo:
            if bar:
                bar.update(task, advance=1, description=label)
            if not q.ok:
                rep.verdicts.append(Verdict(f"{kind}:{label}", kind, Status.INCONCLUSIVE, "the lab never went quiet"))
                continue
            t = time.time()
            step = (lambda i, n, v: bar.update(task, description=f"sweep {i}/{n}: {v.check}")) if bar else None
            for v in _run_one(lab, kind, spec, settle_s, quiet_deadline_s, step, tables):
                v.seconds = v.seconds or round(time.time() - t, 2)
                rep.verdicts.append(v)
        if bar:
            bar.update(task, advance=1)
    rep.seconds = round(time.time() - t0, 2)
    return rep


def _bar(show: bool, total: int):
    if not show:
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=True)
