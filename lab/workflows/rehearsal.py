"""A maintenance rehearsal: drain, take down, bring back, undrain -- with packets flowing.

What an engineer runs before draining a BAG plane (or a router, or a bundle) in
production.  A stream of real UDP packets (lab.observe.probes.stream) runs between every
fabric origin and every other fabric's prefixes from before the drain to after
the undrain; pairs that cannot avoid the drained element (the oracle names them)
are left out and reported, because their loss is by design.  Each step waits
until every FIB equals the oracle's state for it, and the rehearsal checks:

* after the drain, no stream packet crosses a drained router;
* taking the drained element down changes no FIB entry of any router that had
  another way (a hitless maintenance);
* after it comes back (drained, because its config says so) it still carries nothing;
* no packet of the stream is lost, from start to end.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from lab.config.oracle import Failures, expected_routes, paths_through_drains

from lab.faults import Fault, FaultInjector
from lab.faults.kinds import link_drain_pairs, node_drain_pairs
from lab.faults.names import plane_nodes
from lab.faults.names import bundle_members
from lab.verdict.measure import EventResult
from lab.observe.fib import FibReader
from lab.design.plan import Link, Plan
from lab.errors import LabError
from lab.observe.probes.stream import PairResult, Stream
from lab.session import Lab
from lab.state import LabPaths
from lab.text_enum import TextEnum
from lab.wait import poll
from lab.design.node_kinds import kind_of

#: how a step waits for the lab and judges it (a timeline and the oracle, or the lab going quiet)
Judge = Callable[[Fault, Failures], EventResult]


class RehearsalKind(TextEnum):
    """What a rehearsal drains and takes down: a BAG plane, a router, or a bundle's links."""
    PLANE = "plane"
    NODE = "node"
    LINK = "link"


@dataclass
class Step:
    name: str
    converged_ms: float
    ok: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class Rehearsal:
    target: str
    pairs: list[tuple[str, str]]
    stranded: dict[tuple[str, str], set[str]]
    steps: list[Step] = field(default_factory=list)
    results: list[PairResult] = field(default_factory=list)
    #: the steps whose wait ran out before the lab settled (their judge's result not converged):
    #: what a caller tells "could not decide" by, apart from a step that settled wrong
    unsettled: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(r.sent + r.unroutable for r in self.results)

    @property
    def lost(self) -> int:
        return sum(r.lost for r in self.results)

    @property
    def ok(self) -> bool:
        return bool(self.results) and not self.lost and all(s.ok for s in self.steps)

    def summary(self) -> str:
        lines = [f"rehearsal of {self.target}: {len(self.pairs)} probed pairs, {self.sent} packets, {self.lost} lost"]
        for s in self.steps:
            lines.append(f"  {s.name:<34} {s.converged_ms:>7.0f} ms  {'ok' if s.ok else 'FAILED'}"
                         + "".join(f"\n      {p}" for p in s.problems[:10]))
        for r in self.results:
            if r.lost:
                lines.append(f"  lost {r.src} -> {r.prefix}: {r.lost} of {r.sent + r.unroutable}"
                             + (f" ({r.unroutable} unroutable at the source)" if r.unroutable else ""))
        routers = sorted({r for r, _ in self.stranded})
        if routers:
            lines.append(f"  not probed (no other way; the drain cannot help them): {', '.join(routers)}")
        return "\n".join(lines)


def stream_pairs(plan: Plan, avoid) -> list[tuple[str, str]]:
    """Every FRR fabric origin to every other fabric's prefixes it has a route to, minus ``avoid``."""
    exp = expected_routes(plan)
    out = []
    for n in plan.nodes:
        if not n.originates or not kind_of(n).has_fib or not n.fabric:
            continue
        for p in plan.prefixes():
            if p not in n.prefixes and p in exp.get(n.name, {}) and (n.name, p) not in avoid:
                out.append((n.name, p))
    return out


def _fibs(plan: Plan, paths: LabPaths, skip_nodes: set[str], skip_pairs) -> dict:
    live = [n.name for n in plan.nodes if kind_of(n).has_fib and n.name not in skip_nodes]
    with FibReader({n: paths.netns(n) for n in live}) as r:
        return {(n, p): hops for n in live for p, hops in r.read(n, plan.address_families).items()
                if (n, p) not in skip_pairs}


def rehearse(lab: Lab, after_fault: Judge, after_restore: Judge, kind: RehearsalKind, *, plane: int | None = None,
             region: str | None = None, node: str | None = None,
             bundle: str | None = None, members: list[int] | None = None, pps: int = 300, flows_per_pair: int = 4,
             window: int = 600, checkpoint: Callable[[str], None] | None = None,
             progress: Callable[[str], None] | None = None, faults: FaultInjector | None = None) -> Rehearsal:
    """``faults``: the injector to act through, default the lab's own (a test passes the one that
    records what the test made)."""
    plan, paths = lab.plan, lab.paths
    faults = lab.faults if faults is None else faults
    say = progress or (lambda _m: None)
    links: list[Link] = []
    if kind == "plane":
        nodes, target = plane_nodes(plan, plane, region)
    elif kind == "node":
        nodes, target = [node], node
    else:
        links = bundle_members(plan, bundle, members)
        bundle = links[0].bundle            # the plan's name, also when typed the other way round
        nodes, target = [], f"{bundle}" + (f" members {members}" if members else "")
    # the same marking the injector will apply, so the pairs left out are exactly the stranded ones
    prospective = Failures.of(drained=link_drain_pairs(plan, links) if kind == "link" else node_drain_pairs(plan, nodes))
    stranded = paths_through_drains(plan, prospective)
    rep = Rehearsal(target, stream_pairs(plan, stranded), stranded)
    stream = Stream(plan, paths, rep.pairs, flows_per_pair=flows_per_pair, pps=pps).start()
    made: list[Fault] = []

    def step(name: str, res: EventResult, problems: list[str]) -> None:
        rep.steps.append(Step(name, res.overall_ms, res.ok and not problems,
                              ([res.report.splitlines()[0]] if not res.ok and res.report else []) + problems))
        if not res.converged:
            rep.unsettled.append(name)
        say(f"{name}: {'ok' if rep.steps[-1].ok else 'FAILED'}")
        if checkpoint:
            checkpoint(name)

    def crossing() -> list[str]:
        """Stream packets the drained routers forward during the next ``window`` packets."""
        if not nodes:
            return []
        before, mark = stream.transit(), stream.sent
        poll(lambda: stream.sent >= mark + window, 5 + 2 * window / pps)
        after = stream.transit()
        return [f"{n} forwarded {after[n] - before[n]} stream packets while drained" for n in nodes
                if after.get(n, 0) - before.get(n, 0)]

    try:
        poll(lambda: stream.sent >= window // 2, 5)      # traffic flowing before anything changes
        say(f"draining {target}")
        if kind == "plane":
            d = faults.drain_plane(plane, region)
        elif kind == "node":
            d = faults.drain_nodes(nodes)
        else:
            d = faults.drain_links(links, target)
        made.append(d)
        step("drain", after_fault(d, faults.failures()), crossing())

        skip = set(nodes)
        fib_before = _fibs(plan, paths, skip, stranded)
        say(f"taking {target} down")
        if kind == "plane":
            down = faults.plane(plane, region)
        elif kind == "node":
            down = faults.node(node, "power")
        else:
            down = faults.links(links, target=target)
        made.append(down)
        res = after_fault(down, faults.failures())
        fib_after = _fibs(plan, paths, skip, stranded)
        changed = sorted(k for k in set(fib_before) | set(fib_after) if fib_before.get(k) != fib_after.get(k))
        step("take down (drained)", res, [f"FIB changed: {n} {p}: {fib_before.get((n, p))} -> {fib_after.get((n, p))}"
                                          for n, p in changed])

        say(f"bringing {target} back (still drained)")
        faults.restore(down)
        made.remove(down)
        step("bring back (drained)", after_restore(down, faults.failures()), crossing())

        say(f"undraining {target}")
        faults.restore(d)
        made.remove(d)
        step("undrain", after_restore(d, faults.failures()), [])
    finally:
        rep.results = stream.stop()
        for f in reversed(made):          # an aborted rehearsal leaves the lab as it found it
            faults.restore(f)
    return rep


def timeline_judges(plan: Plan, paths: LabPaths, timeline, scenario: str = "rehearsal") -> tuple[Judge, Judge]:
    """after_fault / after_restore for callers without the pytest observer (the CLI, bench/)."""
    from lab.verdict.measure import after_fault, after_restore

    return (lambda f, fl: after_fault(plan, paths, timeline, f, fl, scenario),
            lambda f, fl: after_restore(plan, paths, timeline, f, fl, scenario))


def document(rep: Rehearsal) -> dict:
    """The rehearsal as the JSON report people and tools read: steps, per-pair packet counts, and the
    routers left out of the probing because the drain cannot help them."""
    from dataclasses import asdict

    return {"target": rep.target, "ok": rep.ok, "sent": rep.sent, "lost": rep.lost,
            "steps": [asdict(s) for s in rep.steps], "pairs": [asdict(r) for r in rep.results],
            "not_probed": sorted({r for r, _ in rep.stranded})}


def rehearse_recorded(lab: Lab, reports, kind: RehearsalKind, **target) -> Rehearsal:
    """:func:`rehearse` on ``lab``, every step's convergence recorded with its FIB timeline.

    Writes ``<reports>/rehearsal/convergence-report.json`` (with PNG timelines) and
    ``<reports>/rehearsal/rehearsal.json``; ``target`` is passed on to :func:`rehearse`."""
    import json
    from pathlib import Path

    from lab.verdict.report import Report
    from lab.safe_io import write_output

    if lab.faults.active():         # the rehearsal's verdicts assume it starts from the designed state
        raise LabError("the lab has active faults or drains; 'baglab restore' / 'baglab undrain all' first")
    directory = Path(reports) / "rehearsal"
    plan, paths, timeline = lab.plan, lab.paths, lab.timeline
    report = Report(directory, paths.name, plan.topology)
    nodes = [n.name for n in plan.nodes]

    def recorded(judge: Judge) -> Judge:
        def go(f: Fault, failures: Failures) -> EventResult:
            res = judge(f, failures)
            report.add(res, timeline, nodes)
            return res
        return go

    fault, restore = timeline_judges(plan, paths, timeline)
    rep = rehearse(lab, recorded(fault), recorded(restore), kind, **target)
    report.write()
    write_output(directory / "rehearsal.json", json.dumps(document(rep), indent=1))
    return rep
