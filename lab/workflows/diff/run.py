"""Two labs, one per policy, brought up and recorded side by side, then compared.

Each side (up, quiet, snapshot, optionally the observed N-1 sweep) runs in its own process, so
on a machine with two cores the two labs converge and are probed at the same time; a process
per side also keeps each side's namespace switching and netlink sockets to itself.  Both labs
are taken down at the end (unless kept), also after an error or Ctrl-C.
"""
from __future__ import annotations

import inspect
import multiprocessing
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from lab.config.policy import intents_of, load_policy
from lab.design.plan import build_plan
from lab.design.topology import load

from lab.verdict.checks.route_match import fabric_prefixes
from lab.verdict.checks.schema import IntendedChange, load_intents
from lab.errors import LabError
from lab.state import LabPaths, check_lab_name
from lab.workflows.diff.compare import DiffReport, compare
from lab.workflows.diff.snapshot import FLOWS, Snapshot, snapshot

@dataclass
class Side:
    """What one side's process did: its snapshot and how long each step took."""
    name: str
    lab: str
    policy: str | None
    snapshot: dict = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)
    peak_mb: float = 0.0      # this side's process
    lab_mb: float = 0.0       # the lab's daemons (proportional set size) once recorded


@dataclass
class DiffRun:
    report: DiffReport
    baseline: Snapshot
    candidate: Snapshot
    sides: list[Side]
    seconds: float
    parallel: bool


def intended_changes(policy: str | Path | None, plan=None) -> list[IntendedChange]:
    """The candidate's declared changes: its intent file's ``intended_changes`` (none without one);
    with the plan, each checked (a value stated in one form, prefixes and fabrics that exist), one
    located error before any lab."""
    own = intents_of(policy) if policy is not None else None
    if own is None:
        return []
    loaded = load_intents(own)
    if plan is not None:
        from lab.verdict.checks.names import resolve_intended

        resolve_intended(plan, loaded)
    return list(loaded.model.intended_changes)


def check_policy(policy: str | Path | None) -> None:
    """Refuse a policy dir before anything is built: missing, or a baglab that cannot use one."""
    if policy is None:
        return
    from lab.workflows import build

    if not Path(policy).is_dir():
        raise LabError(f"policy directory {policy}: no such directory")
    if "policy" not in inspect.signature(build.up).parameters:
        raise LabError(f"policy directory {policy}: this baglab's 'up' takes no policy yet (lab.workflows.build.up)")


def bring_up(topology: str | Path, lab: str, policy: str | Path | None):
    from lab.workflows import build

    kw = {"policy": policy} if policy is not None else {}
    return build.up(topology, lab, **kw)


def side(name: str, topology: str, lab: str, policy: str | None, flows: bool, sweep: bool,
         window_s: float, deadline_s: float, flow_count: int = FLOWS) -> Side:
    """One side, start to end (run in a worker process)."""
    from lab.workflows.build import lab_memory_mb
    from lab.session import open_lab
    from lab.workflows.diff.outcomes import observe
    from lab.observe.settle import Strategy, settle

    s = Side(name, lab, policy)
    t = time.monotonic()

    def step(label: str) -> None:
        nonlocal t
        s.steps[label] = round(time.monotonic() - t, 2)
        t = time.monotonic()

    plan = bring_up(topology, lab, policy).plan
    step("up")
    with open_lab(LabPaths(lab), plan) as handle:       # one per side: each side is its own process
        paths = handle.paths
        q = settle(plan, paths, Strategy.QUIET, quiet_s=window_s, deadline_s=deadline_s)
        step("quiet")
        snap = snapshot(plan, paths, flows=flows, policy=policy, quiet=q.as_dict(), flow_count=flow_count)
        step("snapshot")
        s.lab_mb = round(lab_memory_mb(paths, plan), 1)
        if sweep and q.ok:
            snap.sweep = observe(handle, window_s=min(window_s, 1.0), deadline_s=deadline_s)
            step("sweep")
    s.snapshot = snap.as_dict()
    s.peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return s


def lab_names(prefix: str) -> tuple[str, str]:
    return check_lab_name(f"{prefix}-b"), check_lab_name(f"{prefix}-c")


def run(topology: str | Path, baseline: str | Path | None, candidate: str | Path | None, *,
        prefix: str = "diff", sweep: bool = False, keep: bool = False, parallel: bool = True, flows: bool = True,
        window_s: float = 2.0, deadline_s: float = 60.0, flow_count: int = FLOWS,
        on_side: Callable[[Side], None] | None = None, labels: dict | None = None) -> DiffRun:
    """``labels``: policy directory -> how the report names it (a copy taken out of git: REF:PATH)."""
    if not Path(topology).is_file():
        raise LabError(f"topology {topology}: no such file")
    for p in (baseline, candidate):
        check_policy(p)
    plan = build_plan(load(topology))
    for p in (baseline, candidate):
        load_policy(p, plan)       # a broken candidate refused before the baseline's lab is built
    intended = intended_changes(candidate, plan)       # a bad intent file fails here, before any lab
    labs = lab_names(prefix)
    args = [("baseline", str(topology), labs[0], _str(baseline)), ("candidate", str(topology), labs[1], _str(candidate))]
    t0 = time.monotonic()
    try:
        sides = _run_sides(args, parallel, (flows, sweep, window_s, deadline_s, flow_count), on_side)
    finally:
        if not keep:
            take_down(labs)
    base, cand = (Snapshot.from_dict(s.snapshot) for s in sides)
    for s, snap in zip(sides, (base, cand)):
        s.policy = snap.policy = (labels or {}).get(s.policy, s.policy)
    return DiffRun(compare(base, cand, intended, fabric_prefixes(plan)), base, cand, sides,
                   round(time.monotonic() - t0, 1), parallel)


def _str(p) -> str | None:
    return None if p is None else str(p)


def _run_sides(args, parallel: bool, opts: tuple, on_side) -> list[Side]:
    if not parallel:
        out = [side(*a, *opts) for a in args]
        for s in out:
            if on_side:
                on_side(s)
        return out
    # fork: the workers inherit the imported modules (a fresh interpreter would cost ~1 s each)
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as ex:
        futures = [ex.submit(side, *a, *opts) for a in args]
        try:
            out = []
            for f in futures:
                out.append(f.result())
                if on_side:
                    on_side(out[-1])
            return out
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def take_down(labs) -> None:
    from lab.runtime import down_lab

    for lab in labs:
        down_lab(LabPaths(lab))
