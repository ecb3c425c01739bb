"""One phase of a rollout: (drain,) apply the policy live, wait until quiet, (undrain,) judge.

A probe stream (lab.observe.probes.stream) runs from before the first action to after the last, and a
sampler records sent and delivered packets about twice a second, so a loss is reported with
*when* it happened relative to the phase's events (drain, reload, undrain).  The phase is judged
by three things: every reload applied, no probed packet lost, and every intent check passing on
the mixed state the phase leaves behind (old and new policies side by side).  In an upgrade
(``Setup.versions``) the change is a router's FRR replaced (lab.workflows.rollout.upgrade) instead of a
reload, and the steady state must also equal the oracle of the versions then running.
"""
from __future__ import annotations

import threading
from pathlib import Path
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace

from lab.config.oracle import Failures, paths_through_drains
from lab.config.policy import DEFAULT_DIR, load_policy, render_node, without_superseded

from lab.observe.settle import Strategy, baseline, settle
from lab.host.frr_install import host_version
from lab.design.node_kinds import FRR, kind_of
from lab.workflows.check import run_checks
from lab.verdict.checks.verdict import ROLLOUT_KINDS, Status
from lab.faults.kinds import node_drain_pairs
from lab.design.plan import Plan
from lab.observe.probes.stream import Stream
from lab.workflows.rehearsal import stream_pairs
from lab.session import Lab
from lab.state import LabPaths, same_version, set_node_policy
from lab.text_enum import TextEnum
from lab.wait import poll
from lab.workflows.rollout import sessions
from lab.workflows.rollout.reload import reload_node
from lab.workflows.rollout.upgrade import upgrade_routers


class Broken(TextEnum):
    """A step of a phase that went wrong whatever the checks say: the phase FAILs."""
    RELOAD = "reload"           # a router's change did not apply
    ORACLE = "oracle"           # an upgrade's steady state is not the mixed-version oracle's


@dataclass
class PhaseResult:
    name: str
    routers: list[str]
    drain: bool
    policy: str | None
    status: Status = Status.PASS
    problems: list[str] = field(default_factory=list)
    broken: list[Broken] = field(default_factory=list)
    reloads: list[dict] = field(default_factory=list)
    sessions_reset: list[str] = field(default_factory=list)
    pairs: int = 0
    sent: int = 0
    lost: int = 0
    lost_pairs: list[dict] = field(default_factory=list)
    #: undrained upgrades: packets of pairs whose only way crosses a restarting router (an NSF STSW
    #: meets one BAG plane), lost drained or not; a drained phase probes them after the undrain
    single_homed_lost: int = 0
    single_homed_pairs: list[dict] = field(default_factory=list)
    loss_window_s: list[float] | None = None    # [first, last] second of the phase a loss was seen in
    not_probed: list[str] = field(default_factory=list)
    after_undrain: dict = field(default_factory=dict)   # the pairs not probed while drained, probed after
    notes: list[str] = field(default_factory=list)      # what the phase decided that is not a problem
    converged_s: float | None = None        # from the last reload to the last FIB/session change
    oracle: str = ""                        # upgrades on the built-in policy: "equal" or what differs
    versions: dict = field(default_factory=dict)        # upgrades: router -> FRR version after the phase
    seconds: float = 0.0
    checks: list[dict] = field(default_factory=list)
    events: list[list] = field(default_factory=list)     # [second, what]
    samples: list[list] = field(default_factory=list)    # [second, sent, delivered]

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Setup:
    """What every phase of one rollout shares: the command's one Lab handle, whose injector its
    checks use too, so a drain the phase holds is the one they see."""
    lab: Lab
    intents: object | None = None           # a loaded intent file, or None (loss and quiet only)
    kinds: tuple = ROLLOUT_KINDS
    pps: int = 300
    settle_s: float = 2.0
    deadline_s: float = 45.0
    on_drain: object = None                 # callback(fault id | None): the caller journals it
    loss_fails: bool = True                 # False for a rollback: its losses are a cost it reports
    say: object = lambda _m: None           # progress lines (the CLI prints them)
    #: an upgrade: router -> the FRR version the phase moves it to (None: a policy rollout, reloads)
    versions: dict | None = None

    @property
    def plan(self) -> Plan:
        """The lab's plan as it runs now (an upgrade moves it router by router)."""
        return self.lab.plan

    @property
    def paths(self) -> LabPaths:
        return self.lab.paths

    @property
    def faults(self):
        return self.lab.faults


class Sampler:
    """Sent vs delivered every ``every`` seconds while a stream runs: when a loss happened."""

    def __init__(self, stream: Stream, t0: float, every: float = 0.5):
        self.stream, self.t0, self.every = stream, t0, every
        self.samples: list[list] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rollout-sampler")

    def start(self) -> "Sampler":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            t, before = time.monotonic(), self.stream.attempted
            got = sum(self.stream.delivered())      # reading every router's counters takes a while:
            sent = (before + self.stream.attempted) // 2     # the sends of its middle are what it saw
            self.samples.append([round((t + time.monotonic()) / 2 - self.t0, 2), sent, got])
            self._stop.wait(self.every)

    def stop(self) -> list[list]:
        self._stop.set()
        self._thread.join()
        return self.samples


def loss_window(samples: list[list], pps: int) -> list[float] | None:
    """First and last sample at which the deficit (sent - delivered) grew beyond packets in flight."""
    slack = 3 + pps // 20            # ~50 ms of traffic may be in flight at a reading
    grew = [t for (t, s, d), (_, s0, d0) in zip(samples[1:], samples) if (s - d) - (s0 - d0) > slack]
    return [grew[0], grew[-1]] if grew else None


def _config(setup: Setup, name: str, pol, drained=frozenset(), plan: Plan | None = None) -> str:
    """A router's config as frr-reload.py must get it: only the bindings in force (``plan``: the
    versions it is rendered for, default the lab's as it runs)."""
    plan = plan or setup.plan
    node = plan.node(name)
    return without_superseded(render_node(plan, node, str(setup.paths.log_file(name)), drained, pol).text)


def upgrading(setup: Setup, routers: list[str]) -> list[str]:
    """The routers an upgrade phase moves to another version (the others it only reloads)."""
    versions = setup.versions or {}
    return [r for r in routers if r in versions and not same_version(setup.plan.node(r).frr, versions[r])]


def changing(setup: Setup, routers: list[str], new) -> list[str]:
    """The routers whose config the policy ``new`` (and the upgrade's version) changes, rendered
    undrained as FRR would apply it."""
    moved = upgrading(setup, routers)
    return [r for r in routers
            if r in moved or _config(setup, r, setup.faults.policy_of(r)) != _config(setup, r, new)]


def _reload_all(setup: Setup, routers: list[str], pol) -> list:
    fi = setup.faults

    def one(name: str):
        return reload_node(setup.plan, setup.paths, name, _config(setup, name, pol, fi.drained_links(name)))
    with ThreadPoolExecutor(max_workers=4) as ex:
        return list(ex.map(one, routers))


@dataclass
class Change:
    """One router's change: the report's record of it and the facts the phase decides by (never
    its text)."""
    report: dict                # as lab.workflows.rollout.report shows it: node, method, added, removed, seconds, error
    failed: bool                # it did not apply: the phase is broken whatever the checks say
    restarted: bool = False     # its daemons were replaced (an upgrade tried): its sessions were reset


def _change_all(setup: Setup, routers: list[str], pol) -> list[Change]:
    """Each router's change: a reload, or an upgrade (new daemons)."""
    if not setup.versions:
        return [Change({"node": r.node, "method": r.method, "added": r.added, "removed": r.removed,
                        "seconds": round(r.seconds, 2), "error": r.error}, bool(r.error))
                for r in _reload_all(setup, routers, pol)]
    fi = setup.faults
    moved = upgrading(setup, routers)
    done = [Change(u.as_reload(), bool(u.error), restarted=not u.skipped) for u in upgrade_routers(
        setup, moved, setup.versions, lambda plan, n: _config(setup, n, pol, fi.drained_links(n), plan))]
    same = [r for r in routers if r not in moved]      # on that version already: their policy, reloaded
    return done + (_change_all(replace(setup, versions=None), same, pol) if same else [])


def _quiet(setup: Setup, held: dict, res: PhaseResult, what: str):
    q = settle(setup.plan, setup.paths, Strategy.QUIET, quiet_s=setup.settle_s, deadline_s=setup.deadline_s,
               before=held.get("state"))
    held["state"] = q.state
    if not q.ok:
        res.problems.append(f"never quiet after {what}: {q.why()}")
    return q


def _act(setup: Setup, res: PhaseResult, policy_dir, pol, t0: float, drain_id: int | None, restarted: list[str]) -> None:
    """The phase's actions (``pol``: ``policy_dir`` loaded); ``drain_id``: a drain still in force
    from an interrupted run of it; ``restarted`` gets the routers whose daemons were replaced."""
    fi, held = setup.faults, {"state": baseline(setup.plan, setup.paths)}
    mark = lambda what: res.events.append([round(time.monotonic() - t0, 2), what])   # noqa: E731
    d = next((f for f in fi.drains() if f.id == drain_id), None)
    if res.drain and d is None:
        mark("drain")
        d = fi.drain_nodes(res.routers, target=f"rollout phase {res.name!r}")
        setup.on_drain and setup.on_drain(d.id)
        _quiet(setup, held, res, "the drain")
    verb = "upgrade" if setup.versions else "reload"
    mark(verb)
    set_node_policy(setup.paths, res.routers, policy_dir)      # first: a re-render from now on uses it
    for c in _change_all(setup, res.routers, pol):
        r = c.report
        res.reloads.append(r)
        if c.failed:
            res.problems.append(f"{r['node']}: reload failed ({r['method']}): {r['error']}")
            res.broken.append(Broken.RELOAD)
        if c.restarted:
            restarted.append(r["node"])
    mark(f"{verb}ed".replace("eed", "ed"))
    setup.say(f"{res.name}: {verb}ed {len(res.routers)} router(s)".replace("eed", "ed"))
    q = _quiet(setup, held, res, "the reload")
    res.converged_s = round(q.last_change_s, 2) if q.ok else None
    if d is not None:
        mark("undrain")
        fi.restore(d)
        setup.on_drain and setup.on_drain(None)
        _quiet(setup, held, res, "the undrain")


def run_phase(setup: Setup, name: str, routers: list[str], drain: bool, policy_dir,
              drain_id: int | None = None) -> PhaseResult:
    res = PhaseResult(name, list(routers), drain, None if policy_dir is None else str(policy_dir))
    plan, paths = setup.plan, setup.paths
    t0 = time.monotonic()
    pol = load_policy(policy_dir, plan)         # once: every render of the phase uses it
    if drain and drain_id is None and not changing(setup, routers, pol):
        res.drain = drain = False
        res.notes.append("no router's config changes: not drained")
    stranded = (paths_through_drains(plan, Failures.of(drained=node_drain_pairs(plan, routers))) if drain else {})
    res.not_probed = sorted({r for r, _ in stranded})
    pairs = stream_pairs(plan, stranded)
    res.pairs = len(pairs)
    before = sessions.counters(plan, paths)
    setup.say(f"{name}: {'draining, ' if drain else ''}applying to {len(routers)} router(s)")
    restarted: list[str] = []
    results = _with_stream(setup, pairs, res, t0, lambda: _act(setup, res, policy_dir, pol, t0, drain_id, restarted))
    res.sessions_reset = sorted(set(sessions.reset(plan, before, sessions.counters(plan, paths)))
                                | set(sessions.of_routers(plan, restarted)))
    single = set() if drain or not restarted else set(
        paths_through_drains(plan, Failures.of(drained=node_drain_pairs(plan, restarted))))
    _account(res, [r for r in results if (r.src, r.prefix) not in single],
             [r for r in results if (r.src, r.prefix) in single])
    res.loss_window_s = loss_window(res.samples, setup.pps) if res.lost else None
    if stranded:
        res.after_undrain = _probe_rest(setup, [p for p in stream_pairs(plan, {}) if p not in set(pairs)])
    setup.say(f"{name}: checking the mixed state")
    _judge(setup, res)
    res.seconds = round(time.monotonic() - t0, 2)
    return res


def _account(res: PhaseResult, results: list, single_homed: list) -> None:
    res.sent = sum(r.sent + r.unroutable for r in results)
    res.lost = sum(r.lost for r in results)
    res.lost_pairs = [{"src": r.src, "prefix": r.prefix, "lost": r.lost, "sent": r.sent + r.unroutable}
                      for r in results if r.lost]
    res.single_homed_lost = sum(r.lost for r in single_homed)
    res.single_homed_pairs = [{"src": r.src, "prefix": r.prefix, "lost": r.lost, "sent": r.sent + r.unroutable}
                              for r in single_homed]


def _with_stream(setup: Setup, pairs, res: PhaseResult, t0: float, act) -> list:
    """``act()`` with the probe stream running around it (nothing to probe: just ``act()``)."""
    if not pairs:
        act()
        return []
    stream = Stream(setup.plan, setup.paths, pairs, flows_per_pair=4, pps=setup.pps).start()
    sampler = Sampler(stream, t0).start()
    try:
        poll(lambda: stream.sent >= setup.pps // 2, 5)       # traffic flowing before anything changes
        act()
    finally:
        results = stream.stop()
        res.samples = sampler.stop()
    return results


def _probe_rest(setup: Setup, pairs: list[tuple[str, str]], packets_per_pair: int = 40) -> dict:
    """The pairs a drain kept out of the stream, probed once the phase is over: a drained router
    may be hitless while drained and still strand them once undrained on the new policy."""
    if not pairs:
        return {}
    stream = Stream(setup.plan, setup.paths, pairs, flows_per_pair=4, pps=setup.pps, port_base=len(pairs) + 16).start()
    try:
        poll(lambda: stream.attempted >= packets_per_pair * len(pairs), 5 + packets_per_pair *
             len(pairs) / setup.pps)
    finally:
        results = stream.stop()
    return {"pairs": len(pairs), "sent": sum(r.sent + r.unroutable for r in results),
            "lost": sum(r.lost for r in results),
            "lost_pairs": [{"src": r.src, "prefix": r.prefix, "lost": r.lost, "sent": r.sent + r.unroutable}
                           for r in results if r.lost]}


def _against_oracle(setup: Setup, res: PhaseResult) -> None:
    """An upgrade on the built-in policy: every kernel FIB must equal the oracle of the versions the
    routers run now (each router's own weight rule), the mixed state included."""
    res.versions = {n.name: n.frr or host_version() for n in setup.plan.nodes if kind_of(n) is FRR}
    if setup.versions is None or (res.policy is not None and Path(res.policy).resolve() != DEFAULT_DIR.resolve()):
        return
    conv = settle(setup.plan, setup.paths, Strategy.CONVERGED, failures=setup.faults.failures(),
                  deadline_s=setup.deadline_s)
    res.oracle = "equal" if conv.ok else "; ".join([str(m) for m in conv.mismatches[:4]] + conv.session_problems[:4])
    if not conv.ok:
        res.problems.append(f"steady state differs from the mixed-version oracle: {res.oracle}")
        res.broken.append(Broken.ORACLE)


def _judge(setup: Setup, res: PhaseResult) -> None:
    _against_oracle(setup, res)
    verdicts = []
    if setup.intents is not None:
        rep = run_checks(setup.lab, setup.intents, list(setup.kinds), settle_s=setup.settle_s,
                         quiet_deadline_s=setup.deadline_s)
        verdicts = rep.verdicts
    res.checks = [asdict(v) for v in verdicts]
    decide(res, verdicts, setup.loss_fails)


def decide(res: PhaseResult, verdicts: list, loss_fails: bool = True) -> None:
    """The phase's status from what it recorded: FAIL for a failed check, a loss (unless a
    rollback's, whose losses are its cost) or a broken step; INCONCLUSIVE for any other problem."""
    losses = res.problems if loss_fails else res.notes
    if res.lost:
        worst = sorted(res.lost_pairs, key=lambda p: -p["lost"])[:4]
        losses.append(f"{res.lost} of {res.sent} probe packets lost ("
                            + ", ".join(f"{p['src']} -> {p['prefix']}: {p['lost']}" for p in worst) + ")")
    if res.single_homed_lost:
        worst = sorted(res.single_homed_pairs, key=lambda p: -p["lost"])[:4]
        res.notes.append(f"{res.single_homed_lost} packets lost on {len(res.single_homed_pairs)} pairs whose only way "
                         "crosses a restarted router (no other path while it restarts, drained or not; a drain "
                         "probes them after the undrain): "
                         + ", ".join(f"{p['src']} -> {p['prefix']}: {p['lost']}" for p in worst))
    after = res.after_undrain
    if after.get("lost"):
        worst = sorted(after["lost_pairs"], key=lambda p: -p["lost"])[:4]
        losses.append(f"after the undrain, {after['lost']} of {after['sent']} packets lost from the pairs not "
                            "probed while drained (" + ", ".join(f"{p['src']} -> {p['prefix']}: {p['lost']}"
                                                                for p in worst) + ")")
    failed = [v for v in verdicts if v.status == Status.FAIL]
    res.problems += [f"{v.check}: {v.summary}" for v in failed]
    lossy = loss_fails and (res.lost or after.get("lost"))
    if failed or lossy or res.broken:
        res.status = Status.FAIL
    elif res.problems or any(v.status == Status.INCONCLUSIVE for v in verdicts):
        res.status = Status.INCONCLUSIVE
