"""The N-1 sweep: every single failure the plan allows, one after the other, each checked.

For each failure (a member link, a bundle, a router, a BAG plane per region and
everywhere, a data hall, a power feed): inject it, wait until every FIB equals the
oracle and stays quiet, check RIB/FIB agreement, send reachability probes between
every pair of fabrics (real packets; a pair the oracle says is cut off must be
cut off, every other pair must get every packet through), restore, and check the
steady state is back.  At steady state the flow split of every probed pair is
compared, per router on the path, with the installed and the oracle's weights.

The lab runs one failure at a time (concurrent failures would mask each other);
what is parallel is the probing: the packets of all pairs fly at once, each pair
on its own destination port with its own delivery counter.
"""
from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from lab.config.oracle import NONE, Failures, delivers, expected_routes, longest_match

from lab.faults import FaultInjector
from lab.faults.kinds import DomainKind
from lab.verdict.measure import after_fault, after_restore
from lab.observe.fib import FibReader
from lab.design.plan import Plan
from lab.observe.probes import flows
from lab.observe.probes.precision import PRECISION, flows_for_pair
from lab.session import Lab, open_lab
from lab.state import LabPaths
from lab.workflows.sweep_diff import designed_shares, diff  # noqa: F401 - lab.workflows.sweep.diff is the API
from lab.verdict.sweep_page import write  # noqa: F401 - lab.workflows.sweep.write is the API
from lab.safe_io import write_output
from lab.wait import poll
from lab.design.node_kinds import COLLECTOR, kind_of
from lab.text_enum import TextEnum


class SweepKind(TextEnum):
    """The kinds of single failure a sweep makes (``baglab sweep --only``)."""
    LINK = "link"
    BUNDLE = "bundle"
    NODE = "node"
    PLANE = "plane"
    DATA_HALL = DomainKind.DATA_HALL.value
    POWER_FEED = DomainKind.POWER_FEED.value


@dataclass
class Case:
    kind: str
    target: str
    make: Callable[[FaultInjector], object] = field(repr=False)


def cases(plan: Plan) -> list[Case]:
    """Every single failure the plan allows (the route collector is an observer: not failed)."""
    out: list[Case] = []
    net_links = [l for l in plan.links if l.kind != "collector"]
    for l in net_links:
        out.append(Case(SweepKind.LINK, f"{l.bundle}#{l.member}", lambda fi, l=l: fi.link(l)))
    for b in sorted({l.bundle for l in net_links}):
        if sum(1 for l in net_links if l.bundle == b) > 1:
            out.append(Case(SweepKind.BUNDLE, b, lambda fi, b=b: fi.bundle(b)))
    for n in plan.nodes:
        if kind_of(n) is not COLLECTOR:
            out.append(Case(SweepKind.NODE, n.name, lambda fi, n=n.name: fi.node(n, "power")))
    bags = [n for n in plan.nodes if n.role == "bag"]
    for region in sorted({n.region for n in bags}):
        for p in sorted({n.bag_plane for n in bags if n.region == region}):
            out.append(Case(SweepKind.PLANE, f"{region} plane {p}", lambda fi, p=p, r=region: fi.plane(p, r)))
    for p in sorted({n.bag_plane for n in bags}):
        if len({n.region for n in bags}) > 1:
            out.append(Case(SweepKind.PLANE, f"plane {p} everywhere", lambda fi, p=p: fi.plane(p)))
    for domain in DomainKind:             # the plan's attribute is named like the kind
        labels = sorted({getattr(n, domain.value) for n in plan.nodes if getattr(n, domain.value)})
        for label in labels:
            out.append(Case(SweepKind(domain.value), label, lambda fi, k=domain, lb=label: fi.domain(k, lb)))
    return out


def sample_pairs(plan: Plan) -> list[tuple[str, str]]:
    """(source origin, destination prefix): one source per fabric, the first prefix of every other
    fabric.  IPv4 and IPv6 alternate so both families are exercised."""
    fabrics: dict[tuple[str, str], list] = {}
    for n in plan.nodes:
        if n.originates and kind_of(n).has_fib and n.fabric:
            fabrics.setdefault((n.region, n.fabric), []).append(n)
    pairs = []
    keys = sorted(fabrics)
    for i, src in enumerate(keys):
        for j, dst in enumerate(keys):
            if src == dst:
                continue
            d = fabrics[dst][0]
            pool = d.prefixes_v6 if (i + j) % 2 and d.prefixes_v6 else d.prefixes_v4 or d.prefixes_v6
            if pool:
                pairs.append((src, pool[0]))
    return [(fabrics[src], prefix) for src, prefix in pairs]


def _reachable(plan: Plan, exp: dict, src: str, prefix: str, failures: Failures) -> bool:
    """Hop by hop with longest-prefix match, so aggregates (and their discard routes) count."""
    return delivers(plan, exp, src, flows.target(prefix), failures)


@dataclass
class Item:
    kind: str
    target: str
    fault_ms: float = 0.0
    restore_ms: float = 0.0
    violations: list[str] = field(default_factory=list)
    cut_off: list[str] = field(default_factory=list)      # pairs the oracle expects to lose: explained

    @property
    def ok(self) -> bool:
        return not self.violations


def reachability(plan: Plan, paths: LabPaths, failures: Failures, pairs, flows_per_pair: int,
                 deadline_s: float = 3.0) -> tuple[list[str], list[str]]:
    """Probe every pair at once; -> (violations, explained cut-offs)."""
    exp = expected_routes(plan, failures)
    before = flows.read(plan, paths)
    sent = []
    for k, (srcs, prefix) in enumerate(pairs, 1):
        live = [s for s in srcs if s.name not in failures.nodes]
        if not live:
            continue
        src = live[0]
        own = src.prefixes_v6 if ":" in prefix else src.prefixes_v4
        if not own:
            continue
        left = flows.send(paths.netns(src.name), flows.target(own[0]), flows.target(prefix), flows_per_pair,
                          dport=flows.DPORT + k)     # 0: no route at the source (counted as lost below)
        sent.append((k, src.name, prefix, _reachable(plan, exp, src.name, prefix, failures), left))
    want = {k for k, _, _, ok, _ in sent if ok}

    def got():
        now = flows.read(plan, paths)
        return {k: sum(now[n].by_port.get(flows.DPORT + k, 0) - before[n].by_port.get(flows.DPORT + k, 0)
                       for n in now) for k, *_ in sent}

    counts = poll(lambda: (lambda c: c if all(c[k] >= flows_per_pair for k in want) else None)(got()), deadline_s) \
        or got()
    violations, cut = [], []
    for k, src, prefix, ok, left in sent:
        n = counts[k]
        if ok and n < flows_per_pair:
            where = "no route at the source" if left == 0 else "lost on the way"
            violations.append(f"blackhole: {src} -> {prefix}: {flows_per_pair - n} of {flows_per_pair} packets lost "
                              f"({where}) although the oracle has a route")
        elif not ok and n:
            violations.append(f"{src} -> {prefix}: {n} packets delivered although the oracle has no route")
        elif not ok:
            cut.append(f"{src} -> {prefix}")
    return violations, cut


def weight_check(plan: Plan, paths: LabPaths, pairs, flows_per_pair: int | None = None,
                 rows: list | None = None, precision: float = PRECISION, failures: Failures = NONE) -> list[str]:
    """Steady state: the real per-router split of each pair's flows vs installed and oracle weights.
    Each pair gets as many flows as its least-travelled splitting router needs for ``precision``
    (lab/observe/probes/precision.py), unless ``flows_per_pair`` fixes it.  ``rows`` (if given) receives one
    line per router, prefix and next hop for the report, with its tolerance and verdict.  ``failures``:
    what the lab's active faults take away (an impairment beyond recovery): the steady state is
    judged against the oracle with them."""
    exp = expected_routes(plan, failures)
    problems = []
    with FibReader({n.name: paths.netns(n.name) for n in plan.nodes if kind_of(n).has_fib}) as fib:
        installed_all = {n.name: fib.read(n.name) for n in plan.nodes if kind_of(n).has_fib}
    for srcs, prefix in pairs:
        # longest match: behind an aggregate, routers forward by the aggregate's entry
        dst = flows.target(prefix)
        n_flows = flows_per_pair or flows_for_pair(exp, srcs[0].name, dst, precision)
        r = flows.probe(plan, paths, srcs[0].name, prefix, flows=n_flows)
        installed = {n: {h.ifname: h.weight for h in longest_match(installed_all.get(n, {}), dst) or []}
                     for n in r.split}
        expected = {n: {h.ifname: h.weight for h in longest_match(exp.get(n, {}), dst) or []} for n in r.split}
        problems += flows.split_problems(r, installed, expected, precision)
        if rows is not None:
            rows += [{"source": r.src, "prefix": prefix, "router": w["router"], "next_hop": w["next_hop"],
                      "flows": w["flows"], "share": round(w["share"], 3), "tolerance": round(w["tolerance"], 3),
                      "verdict": w["verdict"], "installed_weight": w["installed_weight"],
                      "expected_weight": w["expected_weight"]}
                     for w in flows.split_rows(r, installed, expected, precision)]
    return problems


@dataclass
class SweepReport:
    topology: str
    started: float
    seconds: float = 0.0
    steady: list[str] = field(default_factory=list)
    splits: list[dict] = field(default_factory=list)      # steady-state flow split per router and next hop
    designed: list[dict] = field(default_factory=list)    # every router's oracle share per prefix and next hop
    items: list[Item] = field(default_factory=list)

    @property
    def violations(self) -> int:
        return sum(len(i.violations) for i in self.items) + len(self.steady)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["violations"] = self.violations
        return d


def run(lab: Lab, *, flows_per_pair: int = 16, only: Callable[[Case], bool] | None = None,
        progress: Callable[[int, int, Item], None] | None = None, deadline_s: float = 30.0) -> SweepReport:
    """``deadline_s``: how long a failure may take to converge (restoration gets twice that)."""
    plan, paths = lab.plan, lab.paths
    t0 = time.time()
    rep = SweepReport(plan.topology, t0, designed=designed_shares(plan))
    pairs = sample_pairs(plan)
    flows.install(plan, paths, reach_ports=len(pairs))
    todo = [c for c in cases(plan) if only is None or only(c)]
    fi, tl = lab.faults, lab.timeline
    rep.steady = weight_check(plan, paths, pairs, rows=rep.splits, failures=fi.failures())
    for i, case in enumerate(todo, 1):
        item = Item(case.kind, case.target)
        f = case.make(fi)
        r = after_fault(plan, paths, tl, f, fi.failures(), "sweep", check_rib=True, deadline_s=deadline_s)
        item.fault_ms = round(r.overall_ms, 1)
        if not r.ok:
            item.violations.append("after the failure: " + (r.report or "not as the oracle predicts"))
        v, item.cut_off = reachability(plan, paths, fi.failures(), pairs, flows_per_pair)
        item.violations += v
        done = fi.restore(f)[0]          # the record with its restore time
        back = after_restore(plan, paths, tl, done, fi.failures(), "sweep", check_rib=True,
                             deadline_s=2 * deadline_s)
        item.restore_ms = round(back.overall_ms, 1)
        if not back.ok:
            item.violations.append("steady state not back: " + (back.report or "not as the oracle predicts"))
        rep.items.append(item)
        if progress:
            progress(i, len(todo), item)
    rep.seconds = round(time.time() - t0, 1)
    return rep


def sweep_topology(topology: str | Path, name: str, kinds=frozenset(), keep: bool = False,
                   watch=lambda _plan: nullcontext(None)) -> SweepReport:
    """``baglab sweep``'s workflow: build the lab ``name`` on ``topology``, sweep it (``kinds``:
    only those failure kinds), take it down unless ``keep``.  ``watch(plan)``: a context the
    sweep runs in, yielding a progress callback or None (the CLI's progress bar)."""
    from lab.workflows.build import up
    from lab.runtime import down_lab

    paths = LabPaths(name)
    plan = up(Path(topology), name).plan
    with watch(plan) as step:
        try:
            with open_lab(paths, plan) as lab:
                return run(lab, only=(lambda c: c.kind in kinds) if kinds else None, progress=step)
        finally:
            if not keep:
                down_lab(paths)


@dataclass
class SweepRun:
    """``baglab sweep``'s outcome: the sweep, and with a candidate its sweep and what changes."""
    current: SweepReport
    candidate: SweepReport | None = None
    changes: list[str] = field(default_factory=list)
    diff_file: Path | None = None


def sweep_and_compare(topology: str | Path, name: str, kinds, report_dir: Path, keep: bool = False,
                      candidate: str | Path | None = None, candidate_name: str | None = None,
                      watch=lambda _plan: nullcontext(None), on_report=lambda _rep, _json, _html: None) -> SweepRun:
    """Sweep ``topology`` on lab ``name`` (sweep.json/.html in ``report_dir``); with ``candidate``
    (a second topology), sweep it on lab ``candidate_name`` (sweep-candidate.*) and write what
    changes to sweep-diff.txt.  ``on_report(report, json_file, html_file)`` after each sweep."""
    def one(topo, lab: str, tag: str) -> SweepReport:
        rep = sweep_topology(topo, lab, kinds, keep, watch=watch)
        on_report(rep, *write(rep, report_dir, tag))
        return rep

    out = SweepRun(one(topology, name, "sweep"))
    if candidate:
        out.candidate = one(candidate, candidate_name or name + "c", "sweep-candidate")
        out.changes = diff(out.current, out.candidate)
        out.diff_file = Path(report_dir, "sweep-diff.txt")
        write_output(out.diff_file, "\n".join(out.changes) + "\n")
    return out
