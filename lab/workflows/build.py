"""The one-way pipeline behind ``baglab up``: topology -> plan -> configs -> runtime -> convergence.

Each phase is timed and its memory recorded, so bench/ and the CLI report the
same figures.  ``up`` is idempotent: a lab that is already up with the same plan
is only re-checked; anything else under that name is torn down first.
"""
from __future__ import annotations

import json
import os
import resource
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from lab.config import frrcheck
from lab.config.oracle import NONE
from lab.config.policy import DEFAULT_DIR, load_policy
from lab.config.render import render_all, render_frr, with_daemon_files

from lab.observe.converge import require_converged
from lab.observe.settle import Settled, Strategy, settle
from lab import safe_io
from lab.frr import roots as frr_roots
from lab.errors import LabError
from lab.faults.impairment import from_topology as impairments_of
from lab.faults.kinds import FaultKind
from lab.impair.spec import Impairment
from lab.design.plan import Plan, build_plan
from lab.design.plan.steps.versions import with_frr, with_native
from lab.host import neigh_tables, nsutil
from lab.runtime import down_lab, make_runtime, native_version
from lab.macsec import ports as macsec_ports
from lab.runtime.base import Progress, Runtime
from lab.session import Lab
from lab.state import LabPaths, LabState
from lab.design.topology import load


@dataclass
class Phase:
    name: str
    seconds: float
    lab_rss_mb: float        # resident memory of the lab's daemons at the end of the phase
    harness_peak_mb: float   # peak RSS of this process so far


@dataclass
class UpResult:
    plan: Plan
    reused: bool
    phases: list[Phase] = field(default_factory=list)
    convergence: Settled | None = None
    #: host settings ``up`` raised for this lab (lab.host.neigh_tables), as 'key old -> new'
    host_changes: list[str] = field(default_factory=list)


def pss_mb(pids) -> float:
    """Sum of the proportional set size of these processes (shared libraries counted once)."""
    total_kb = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
                    break
        except OSError:
            pass
    return total_kb / 1024


def lab_memory_mb(paths: LabPaths, plan: Plan) -> float:
    """Sum of the proportional set size of every process in the lab's namespaces."""
    by_ns = nsutil.pids_by_netns([paths.netns(n.name) for n in plan.nodes])
    return pss_mb(p for pids in by_ns.values() for p in pids)


def _harness_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Timer:
    def __init__(self, paths: LabPaths, result: UpResult):
        self.paths, self.result = paths, result

    @contextmanager
    def phase(self, name: str):
        t0 = time.monotonic()
        yield
        mem = lab_memory_mb(self.paths, self.result.plan) if name != "plan" else 0.0
        self.result.phases.append(Phase(name, time.monotonic() - t0, mem, _harness_peak_mb()))


def wire(rt: Runtime, plan: Plan, paths: LabPaths, progress: Progress) -> None:
    """Veths, then the MACsec ports on them (the routers' interfaces on protected links are the
    ports' veth pairs or macsec devices), then addresses.  A runtime that wires its nodes itself
    (containerlab) does all of it at deploy."""
    if not rt.makes_links:
        return
    rt.create_links(plan, progress)
    macsec_ports.create(paths, plan)
    rt.configure_interfaces(plan, progress)


def _versions_run_on(rt: Runtime, plan: Plan) -> None:
    """The netns runtime starts daemons from a version's root, the docker runtime from that
    version's image (built on the root); containerlab would quietly run its image's FRR instead."""
    asked = sorted({n.frr for n in plan.nodes if n.frr} - {frr_roots.host_version()})
    if asked and rt.name not in ("netns", "docker"):
        raise LabError(f"FRR {', '.join(asked)}: other FRR versions than the host's run on the netns and docker "
                       f"runtimes only (not yet on {rt.name})")
    frr_roots.roots_of(plan)      # every version asked for is built: one clear error otherwise


def up(topology: str | Path, lab_name: str, progress: Progress | None = None,
       deadline_s: float | None = None, on_poll: Callable[[int, int], None] | None = None,
       runtime: str = "netns", harness: dict | None = None, policy: str | Path | None = None,
       frr: str | None = None) -> UpResult:
    """``harness``: who builds the lab (e.g. a pytest session: its pid and start time), recorded
    in the state before anything is built, so a later run can tell a lab whose harness died.
    ``policy``: a policy directory (None: the built-in lab/config/policies/default); every config is
    rendered and checked before anything is built, and ``up`` reuses a running lab only when its
    topology and policy both match.  ``frr``: every router on that FRR version (``baglab up --frr``)."""
    progress = progress or (lambda *a: None)
    paths = LabPaths(lab_name)
    t0 = time.monotonic()
    frr_version = frr
    loaded = load(topology)
    plan = with_native(with_frr(build_plan(loaded), frr), native_version(runtime))
    impairments = impairments_of(loaded, plan)      # named and checked before anything is built
    pol = load_policy(policy, plan)
    # the oracle knows only the built-in policy: another policy's lab is up once it is settled
    strategy = Strategy.CONVERGED if pol.root == DEFAULT_DIR else Strategy.SETTLED
    result = UpResult(plan=plan, reused=False)
    result.phases.append(Phase("plan", time.monotonic() - t0, 0.0, _harness_peak_mb()))
    rt = make_runtime(runtime, paths)
    rt.check_host()
    _versions_run_on(rt, plan)
    deadline = deadline_s if deadline_s is not None else 30.0 + 0.5 * len(plan.nodes)
    t1 = time.monotonic()
    frr = render_frr(plan, str(paths.root / "nodes"), pol)
    # each version's own parser, naming fragment and line, before any change
    frrcheck.check_rendered(frr, {n.name: n.frr for n in plan.nodes})
    # per-daemon files only once FRR has judged frr.conf: its error names the fragment's line
    configs = with_daemon_files(render_all(plan, str(paths.root / "nodes"), rt.python, paths.netns, frr=frr))
    result.phases.append(Phase("render+frrcheck", time.monotonic() - t1, 0.0, _harness_peak_mb()))

    # the post-up steps act through one handle (its injector journals the impairments); it
    # starts no timeline, so it needs no closing
    lab = Lab(paths, plan)
    state = lab.state
    same_policy = state.policy_digest == pol.digest() and state.policy == str(pol.root)
    # a half-rolled-out or half-upgraded lab is not it
    same_policy = same_policy and not state.node_policies and not state.node_versions
    if (state.phase == "up" and state.plan == plan.digest() and same_policy
            and state.runtime_name == rt.name
            and _active_impairments(lab) == _impairments_key(impairments)):
        procs = rt.processes(plan)
        if all(all(pid for pid in ds.values()) for ds in procs.values()):
            result.reused = True
            # the oracle's input: the faults in force (a candidate policy's wait has none to model)
            down = lab.faults.failures() if strategy is Strategy.CONVERGED else NONE
            conv = settle(plan, paths, strategy, failures=down, deadline_s=deadline, on_poll=on_poll)
            result.convergence = conv
            require_converged(plan, paths, conv, procs)
            return result
    elif state.plan and state.plan != plan.digest() and state.topology != plan.topology:
        raise LabError(f"lab {lab_name!r} already runs topology {state.topology!r} "
                       f"(from {state.source}); run 'baglab down --name {lab_name}' first or pick another --name")
    down_lab(paths)   # remnants of a crashed or changed lab of this name (whichever runtime built it)

    timer = _Timer(paths, result)
    result.host_changes = [str(c) for c in neigh_tables.size_for(_other_plans(lab_name) + [plan],
                                                                                paths.root.parent)]
    paths.root.mkdir(parents=True, exist_ok=True)
    safe_io.write_file(paths.plan_file, plan.to_json(), mode=0o600)     # holds TCP-MD5 passwords
    LabState.update(paths, phase="building", plan=plan.digest(), topology=plan.topology, source=str(topology),
                    runtime=rt.name, policy=str(pol.root), policy_digest=pol.digest(),
                    pid=os.getpid(), started=time.time(), **({"harness": harness} if harness else {}),
                    **({"frr": frr_version} if frr_version else {}))
    try:
        with timer.phase("namespaces"):
            rt.create_namespaces(plan, progress)
            wire(rt, plan, paths, progress)
        with timer.phase("daemons"):
            rt.write_configs(plan, configs)
            rt.start_daemons(plan, progress)
        with timer.phase("convergence"):
            conv = settle(plan, paths, strategy, deadline_s=deadline, on_poll=on_poll)
        result.convergence = conv
        require_converged(plan, paths, conv, rt.processes(plan))
        if impairments:          # before 'up': a lab whose impairments failed is not reused
            with timer.phase("impairments"):
                result.convergence = impair_lab(lab, impairments, deadline, rt)
    except BaseException:
        LabState.update(paths, phase="failed")
        raise
    LabState.update(paths, phase="up", converged_s=conv.seconds)
    return result


def _other_plans(lab_name: str) -> list[Plan]:
    """The plans of the other labs on this host: they share its neighbour tables."""
    from lab.runtime.teardown import all_labs

    out = []
    for name in all_labs():
        f = LabPaths(name).plan_file
        if name != lab_name and f.is_file():
            try:
                out.append(Plan.from_json(f.read_text()))
            except ValueError:          # a half-written or older plan: its links are not counted
                continue
    return out


def _impairments_key(impairments) -> str:
    return json.dumps(sorted([link.id, imp.to_json()] for link, imp in impairments), sort_keys=True)


def _active_impairments(lab: Lab) -> str:
    """The impairments the lab's fault journal has in force, keyed like the topology's: a lab is
    reused only with the ones its topology asks for (not those a restore or 'impair' changed)."""
    active = [f for f in lab.faults.active() if f.kind == FaultKind.IMPAIR]
    return json.dumps(sorted([f.scope["link"], Impairment.from_json(f.scope).to_json()] for f in active),
                      sort_keys=True)


def impair_lab(lab: Lab, impairments, deadline_s: float, rt: Runtime) -> Settled:
    """The topology's impairments, journalled like faults (so 'baglab impair --clear' and
    'restore' undo them); those beyond recovery are down links to the oracle: wait for it."""
    plan, paths, fi = lab.plan, lab.paths, lab.faults
    for link, imp in impairments:
        fi.impair(link, imp)
    conv = settle(plan, paths, Strategy.CONVERGED, failures=fi.failures(), deadline_s=deadline_s)
    require_converged(plan, paths, conv, rt.processes(plan))
    return conv
