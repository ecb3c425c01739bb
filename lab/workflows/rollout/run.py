"""``baglab rollout`` and ``baglab rollback``: phases in order, each judged before the next starts.

The flow is one-way like the rest of baglab: phases file and policies are resolved and every
router's candidate config is rendered and checked by FRR's parser *before* the lab is touched;
then each phase acts (lab.workflows.rollout.phase) and the journal (lab.workflows.rollout.journal) records it before
and after, so an interruption can be resumed or rolled back from any other process.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from lab.config import frrcheck
from lab.config.policy import intents_of, load_policy
from lab.config.render import render_frr

from lab.frr import roots as frr_roots
from lab.workflows.check import load as load_intents
from lab.verdict.checks.verdict import ROLLOUT_KINDS, Status
from lab.errors import LabError
from lab.exit_codes import FAILED, PASSED, UNDECIDED
from lab.design.plan import Plan
from lab.session import Lab, open_lab
from lab.state import LabPaths, LabState, load_built_plan, node_policies, node_versions, with_versions
from lab.workflows.rollout import journal
from lab.workflows.rollout.phase import PhaseResult, Setup, run_phase
from lab.workflows.rollout.phases import load_phases


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
    frr: str | None = None          # an upgrade: the version the phases move routers to

    @property
    def status(self) -> Status:
        st = [p.status for p in self.phases]
        if self.action == "rollback":
            st = st[-1:]        # judged by where it ends: the baseline's steady state (the start may be broken)
        if Status.FAIL in st:
            return Status.FAIL
        return Status.PASS if st and all(s == Status.PASS for s in st) and not self.not_run else Status.INCONCLUSIVE

    @property
    def exit_code(self) -> int:
        return {Status.PASS: PASSED, Status.FAIL: FAILED}.get(self.status, UNDECIDED)

    def as_dict(self) -> dict:
        return {"action": self.action, "topology": self.topology, "lab": self.lab, "baseline": self.baseline,
                "candidate": self.candidate, "frr": self.frr, "phases_file": self.phases_file, "intents": self.intents,
                "status": self.status, "exit_code": self.exit_code, "seconds": self.seconds,
                "not_run": self.not_run, "phases": [p.as_dict() for p in self.phases]}


def preflight(lab: Lab, candidate, versions: dict | None = None) -> str:
    """The candidate as the lab will see it: every router's config rendered for the version it will
    run and checked by that version's FRR parser now (an unavailable version: one clear error)."""
    plan, paths = lab.plan, lab.paths
    runtime = lab.state.runtime_name
    if versions and runtime != "netns":
        # a container's FRR is its image's: stopping its daemons and starting another version's
        # would need the container recreated from that version's image, which is not built
        raise LabError(f"lab {paths.name!r} runs on {runtime}: FRR upgrades are rehearsed on the netns runtime "
                       f"only (baglab up ... --runtime netns); a {runtime} router keeps its image's FRR")
    for v in set((versions or {}).values()):
        frr_roots.resolve(v)
    plan = with_versions(plan, versions or {})
    pol = load_policy(candidate, plan)
    frrcheck.check_rendered(render_frr(plan, str(paths.root / "nodes"), pol), {n.name: n.frr for n in plan.nodes})
    return str(pol.root)


def upgrade_targets(phases, version: str | None) -> dict | None:
    """An upgrade's router -> version for every router its phases reach (None: no upgrade)."""
    return None if version is None else {r: version for p in phases for r in p.routers}


def rollback_targets(built: Plan, paths: LabPaths) -> dict | None:
    """Each upgraded router back to the version the lab was built with (None: none was upgraded)."""
    moved = node_versions(paths)
    return {r: built.node(r).frr or frr_roots.host_version() for r in moved} or None


def _intents(plan: Plan, intents, candidate: str):
    """The intent file given, else the candidate's own intents.yaml, else none (loss and quiet only)."""
    if intents is None:
        intents = intents_of(candidate)
    return (None, None) if intents is None else (str(intents), load_intents(plan, intents))


def _setup(lab: Lab, loaded, kinds, rec: journal.RolloutRecord, say, loss_fails: bool = True,
           versions=None) -> Setup:
    def on_drain(fid):
        rec.drain_fault = fid
        journal.write(lab.paths, rec)
    return Setup(lab, loaded, tuple(kinds), on_drain=on_drain, loss_fails=loss_fails, say=say,
                 versions=versions)


def running_as_built(paths: LabPaths, topology: str, baseline: str | None) -> bool:
    """A lab of this topology that is up and runs FRR versions other than those it was built with
    (an upgrade under way, or 'baglab up --frr'): 'up' would rebuild it, so it is taken as it is."""
    st = LabState.read(paths)
    same = st.phase == "up" and Path(st.source or "/nonexistent").resolve() == Path(topology).resolve()
    return same and baseline is None and bool(st.node_versions or st.frr)


def bring_up(paths: LabPaths, topology: str, baseline: str | None, say=lambda _m: None) -> None:
    """The lab a rollout starts from: the one running if it is this topology mid-upgrade, else
    ``baglab up`` on the baseline (which reuses a lab already up as asked)."""
    if running_as_built(paths, topology, baseline):
        say(f"lab {paths.name} already up: rolled out from the versions and policies it runs now")
        return
    from lab.workflows.build import up

    res = up(topology, paths.name, policy=baseline)
    say(f"lab {paths.name} {'already up' if res.reused else 'up'} on the baseline")


def rollout(lab: Lab, candidate, phases_file, intents=None, drain: bool = False, keep_going: bool = False,
            resume: bool = False, kinds=ROLLOUT_KINDS, say=lambda _m: None, frr: str | None = None) -> RolloutReport:
    """Apply ``candidate`` to a running lab phase by phase (``resume``: continue the recorded one).
    ``frr``: an upgrade, every phase's routers moved to that FRR version (candidate None: the
    lab's own policy, i.e. only the version changes)."""
    t0 = time.monotonic()
    plan, paths = lab.plan, lab.paths
    if resume:
        rec = journal.read(paths)
        if rec is None or rec.status in (journal.Progress.PASSED, journal.Progress.ROLLED_BACK):
            raise LabError(f"lab {paths.name} has no unfinished rollout to resume")
        candidate, phases_file, drain, frr = rec.candidate, rec.phases_file, rec.drain, rec.frr
        intents = intents or rec.intents
        phases = rec.phase_list()
    else:
        phases = load_phases(phases_file, plan)
    if candidate is None and frr is None:
        raise LabError("a rollout changes a policy (--candidate), an FRR version (--frr) or both")
    candidate = lab.state.policy if candidate is None else candidate
    versions = upgrade_targets(phases, frr)
    cand = preflight(lab, candidate, versions)
    src, loaded = _intents(plan, intents, cand)
    if not resume:
        rec = journal.new(paths, lab.state.policy, cand, phases_file, src, drain, phases, frr=frr)
    rep = RolloutReport("rollout", plan.topology, paths.name, rec.baseline, cand, str(phases_file), src, frr=frr)
    _run(_setup(lab, loaded, kinds, rec, say, versions=versions), rec, rep, cand, keep_going, drain_all=rec.drain)
    rep.seconds = round(time.monotonic() - t0, 2)
    return rep


def bring_up_and_roll_out(paths: LabPaths, topology: str | None, baseline: str | None, candidate, phases_file,
                          intents=None, *, resume: bool = False, say=lambda _m: None, **kw) -> RolloutReport:
    """``baglab rollout``: the lab brought up on the baseline (unless ``resume``), then
    :func:`rollout` on it (``kw``: drain, keep_going, kinds, frr)."""
    if not resume:
        if topology is None or (candidate is None and kw.get("frr") is None) or phases_file is None:
            raise LabError("rollout needs TOPOLOGY, --phases and --candidate or --frr (or --resume)")
        bring_up(paths, topology, baseline, say=say)
    with open_lab(paths) as lab:
        return rollout(lab, candidate, phases_file, intents, resume=resume, say=say, **kw)


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
            if res.status != Status.PASS and not keep_going:
                rep.not_run = [rename(phases[j].name) for j in order[k + 1:]]
                break
    except BaseException:
        rec.status = journal.Progress.INTERRUPTED
        journal.write(setup.paths, rec)
        raise
    rec.status = {"rollout": journal.Progress.PASSED if rep.status == Status.PASS else journal.Progress.FAILED,
                  "rollback": journal.Progress.ROLLED_BACK}[rep.action]
    if rep.action == "rollback" and (node_policies(setup.paths) or node_versions(setup.paths)):
        rec.status = journal.Progress.FAILED
    journal.write(setup.paths, rec)


def rollback(lab: Lab, kinds=ROLLOUT_KINDS, say=lambda _m: None) -> RolloutReport:
    """Every router back on the lab's own policy, the rollout's phases in reverse, the same way
    (drained where the phase was); the last phase's checks judge the restored steady state."""
    t0 = time.monotonic()
    paths = lab.paths
    rec = journal.read(paths)
    moved = set(node_policies(paths)) | set(node_versions(paths))
    if not moved:
        raise LabError(f"lab {paths.name}: every router already runs the lab's own policy and FRR version; "
                       "nothing to roll back")
    if rec is None:     # moved by 'baglab upgrade', which keeps no rollout journal
        raise LabError(f"lab {paths.name}: {', '.join(sorted(moved))} run another FRR version or policy than "
                       "the lab was built with, but no rollout moved them: take them back with "
                       "'baglab upgrade ... --frr <version>' (the lab's own is in 'baglab status')")
    base = lab.state.policy
    versions = rollback_targets(load_built_plan(paths), paths)
    preflight(lab, base, versions)
    src, loaded = _intents(lab.plan, rec.intents, rec.candidate)
    rep = RolloutReport("rollback", lab.plan.topology, paths.name, base, rec.candidate, rec.phases_file, src,
                        frr=None if versions is None else ", ".join(sorted(set(versions.values()))))
    order = [i for i in reversed(range(len(rec.phases))) if i in rec.done or i == rec.current]
    _run(_setup(lab, loaded, kinds, rec, say, loss_fails=False, versions=versions), rec, rep, base, True, rec.drain,
         order=order, rename=lambda n: f"rollback {n}", only=moved)
    rep.seconds = round(time.monotonic() - t0, 2)
    return rep
