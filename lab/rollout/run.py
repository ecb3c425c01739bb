"""``baglab rollout`` and ``baglab rollback``: phases in order, each judged before the next starts.

The flow is one-way like the rest of baglab: phases file and policies are resolved and every
router's candidate config is rendered and checked by FRR's parser *before* the lab is touched;
then each phase acts (lab.rollout.phase) and the journal (lab.rollout.journal) records it before
and after, so an interruption can be resumed or rolled back from any other process.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from bgp import frrcheck
from bgp.policy import load_policy
from bgp.render import render_frr

from ..checks.run import load as load_intents
from ..errors import LabError
from ..plan import Plan
from ..session import lab_session
from ..state import LabPaths, node_policies, read_state
from . import journal
from .phase import DEFAULT_KINDS, PhaseResult, Setup, run_phase
from .phases import load_phases


@dataclass
class RolloutReport:
    action: str                     # rollout | rollback
    topology: str
    lab: str
    baseline: str | None
    candidate: str | None
    phases_file: str
    intents: str | None
    phases: list[PhaseResult] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)       # phases left after a failure
    seconds: float = 0.0

    @property
    def status(self) -> str:
        st = [p.status for p in self.phases]
        if self.action == "rollback":
            st = st[-1:]        # judged by where it ends: the baseline's steady state (the start may be broken)
        if "FAIL" in st:
            return "FAIL"
        return "PASS" if st and all(s == "PASS" for s in st) and not self.not_run else "INCONCLUSIVE"

    @property
    def exit_code(self) -> int:
        return {"PASS": 0, "FAIL": 1}.get(self.status, 2)

    def as_dict(self) -> dict:
        return {"action": self.action, "topology": self.topology, "lab": self.lab, "baseline": self.baseline,
                "candidate": self.candidate, "phases_file": self.phases_file, "intents": self.intents,
                "status": self.status, "exit_code": self.exit_code, "seconds": self.seconds,
                "not_run": self.not_run, "phases": [p.as_dict() for p in self.phases]}


def preflight(plan: Plan, paths: LabPaths, candidate) -> str:
    """The candidate as the lab will see it: every router's config rendered and FRR-checked now."""
    pol = load_policy(candidate, plan)
    frrcheck.check_rendered(render_frr(plan, str(paths.root / "nodes"), pol), {n.name: n.frr for n in plan.nodes})
    return str(pol.root)


def _intents(plan: Plan, intents, candidate: str):
    """The intent file given, else the candidate's own intents.yaml, else none (loss and quiet only)."""
    if intents is None and (Path(candidate) / "intents.yaml").is_file():
        intents = Path(candidate) / "intents.yaml"
    return (None, None) if intents is None else (str(intents), load_intents(plan, intents))


def _setup(s, loaded, kinds, rec: journal.RolloutRecord, say, loss_fails: bool = True) -> Setup:
    def on_drain(fid):
        rec.drain_fault = fid
        journal.write(s.paths, rec)
    return Setup(s.plan, s.paths, s.injector, loaded, tuple(kinds), on_drain=on_drain, loss_fails=loss_fails, say=say)


def rollout(paths: LabPaths, candidate, phases_file, intents=None, drain: bool = False, keep_going: bool = False,
            resume: bool = False, kinds=DEFAULT_KINDS, say=lambda _m: None) -> RolloutReport:
    """Apply ``candidate`` to a running lab phase by phase (``resume``: continue the recorded one)."""
    t0 = time.monotonic()
    with lab_session(paths) as s:
        plan = s.plan
        if resume:
            rec = journal.read(paths)
            if rec is None or rec.status in ("passed", "rolled-back"):
                raise LabError(f"lab {paths.name} has no unfinished rollout to resume")
            candidate, phases_file, drain = rec.candidate, rec.phases_file, rec.drain
            intents = intents or rec.intents
        cand = preflight(plan, paths, candidate)
        src, loaded = _intents(plan, intents, cand)
        if not resume:
            rec = journal.new(paths, read_state(paths).get("policy"), cand, phases_file, src, drain,
                              load_phases(phases_file, plan))
        rep = RolloutReport("rollout", plan.topology, paths.name, rec.baseline, cand, str(phases_file), src)
        _run(_setup(s, loaded, kinds, rec, say), rec, rep, cand, keep_going, drain_all=rec.drain)
    rep.seconds = round(time.monotonic() - t0, 2)
    return rep


def _run(setup: Setup, rec: journal.RolloutRecord, rep: RolloutReport, policy, keep_going: bool, drain_all: bool,
         order=None, rename=lambda n: n, only=None) -> None:
    phases = rec.phase_list()
    order = list(range(len(phases))) if order is None else order
    try:
        for k, i in enumerate(order):
            ph = phases[i]
            routers = [r for r in ph.routers if only is None or r in only]
            if not routers or (rep.action == "rollout" and i in rec.done):
                continue
            rec.current = i
            journal.write(setup.paths, rec)
            res = run_phase(setup, rename(ph.name), routers, ph.drain or drain_all, policy, drain_id=rec.drain_fault)
            rec.drain_fault, rec.current = None, None
            if rep.action == "rollout":
                rec.done.append(i)
            journal.write(setup.paths, rec)
            rep.phases.append(res)
            setup.say(f"{res.name}: {res.status}")
            if res.status != "PASS" and not keep_going:
                rep.not_run = [rename(phases[j].name) for j in order[k + 1:]]
                break
    except BaseException:
        rec.status = "interrupted"
        journal.write(setup.paths, rec)
        raise
    rec.status = {"rollout": {"PASS": "passed"}.get(rep.status, "failed"), "rollback": "rolled-back"}[rep.action]
    if rep.action == "rollback" and node_policies(setup.paths):
        rec.status = "failed"
    journal.write(setup.paths, rec)


def rollback(paths: LabPaths, kinds=DEFAULT_KINDS, say=lambda _m: None) -> RolloutReport:
    """Every router back on the lab's own policy, the rollout's phases in reverse, the same way
    (drained where the phase was); the last phase's checks judge the restored steady state."""
    t0 = time.monotonic()
    with lab_session(paths) as s:
        rec = journal.read(paths)
        moved = node_policies(paths)
        if rec is None or not moved:
            raise LabError(f"lab {paths.name}: every router already runs the lab's own policy; nothing to roll back")
        base = read_state(paths).get("policy")
        preflight(s.plan, paths, base)
        src, loaded = _intents(s.plan, rec.intents, rec.candidate)
        rep = RolloutReport("rollback", s.plan.topology, paths.name, base, rec.candidate, rec.phases_file, src)
        order = [i for i in reversed(range(len(rec.phases))) if i in rec.done or i == rec.current]
        _run(_setup(s, loaded, kinds, rec, say, loss_fails=False), rec, rep, base, True, rec.drain, order=order,
             rename=lambda n: f"rollback {n}", only=set(moved))
    rep.seconds = round(time.monotonic() - t0, 2)
    return rep
