"""pytest fixtures for convergence tests: ``lab``, ``oracle``, ``faults``, ``observe``.

Attach to a running lab (``--lab-name``) or let the suite start its own from
``--topology`` and remove it afterwards.  Every fault a test makes is restored
at teardown and the lab is checked back to its steady state, so one failing
test cannot poison the next.

Interruption (SIGTERM like Ctrl-C, stale labs of killed sessions): lab/workflows/harness.py; the
hooks here hand over to it.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lab.config.oracle import NONE, Failures, expected_routes, neighbour_shares

from lab.faults import Fault, FaultInjector
from lab.verdict.measure import EventResult, after_fault, after_restore, judge
from lab.observe.fib import FibReader
from lab.errors import LabError
from lab.design.plan import Plan
from lab.verdict.report import Report
from lab.workflows.harness import _SIGNALS, remove_lab, remove_stale_labs, stale, start_lab
from lab.runtime import check_runtime
from lab import session as lab_handle
from lab.design.suite import SUITE_COALESCE_MS, parse_coalesce, with_coalesce
from lab.state import LabPaths, LabState, check_lab_name, load_plan


def pytest_addoption(parser):
    g = parser.getgroup("baglab")
    g.addoption("--lab-name", default=os.environ.get("BAGLAB_TEST_LAB"),
                help="attach to this running lab instead of starting one")
    g.addoption("--topology", default=os.environ.get("BAGLAB_TEST_TOPOLOGY", "topologies/bag-mini.yaml"),
                help="topology for the lab the suite starts itself")
    g.addoption("--runtime", default=os.environ.get("BAGLAB_RUNTIME", "netns"),
                help="runtime of the labs the suite starts: netns (default), docker or containerlab "
                     "(or set BAGLAB_RUNTIME)")
    g.addoption("--policy", default=os.environ.get("BAGLAB_TEST_POLICY"),
                help="policy directory for the lab the suite starts (default: the built-in "
                     "lab/config/policies/default; or set BAGLAB_TEST_POLICY)")
    g.addoption("--frr", default=os.environ.get("BAGLAB_TEST_FRR"),
                help="FRR version of every router of the lab the suite starts (e.g. 10.3; default: as the "
                     "topology says, else the host's; or set BAGLAB_TEST_FRR)")
    g.addoption("--bgp-coalesce-ms", default=os.environ.get("BAGLAB_TEST_COALESCE_MS", str(SUITE_COALESCE_MS)),
                help="bgpd coalesce-time (ms) of the labs the suite starts, unless their topology sets "
                     f"policy.bgp_coalesce_ms (default {SUITE_COALESCE_MS}; 'topology': FRR's ~1.6 s; "
                     "or set BAGLAB_TEST_COALESCE_MS; lab/design/suite.py)")
    g.addoption("--report-dir", default=os.environ.get("BAGLAB_REPORT_DIR", "reports"),
                help="where the JSON report and PNG timelines go")


def pytest_configure(config):
    """A bad --lab-name / BAGLAB_TEST_LAB stops the run before any test, not inside a fixture;
    then SIGTERM is taken over (see _Signals)."""
    name = config.getoption("--lab-name", default=None)
    if name is not None:
        try:
            check_lab_name(name)
        except LabError as exc:
            raise pytest.UsageError(f"--lab-name / BAGLAB_TEST_LAB: {exc}") from None
    try:
        parse_coalesce(config.getoption("--bgp-coalesce-ms", default=None))
    except ValueError as exc:
        raise pytest.UsageError(f"{exc} (or BAGLAB_TEST_COALESCE_MS)") from None
    if threading.current_thread() is threading.main_thread():
        _SIGNALS.pid = os.getpid()
        _SIGNALS.previous = signal.signal(signal.SIGTERM, _SIGNALS.handler)


def pytest_keyboard_interrupt(excinfo):
    _SIGNALS.arrived()


def pytest_unconfigure(config):
    _SIGNALS.stop()
    if _SIGNALS.previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _SIGNALS.previous)
        _SIGNALS.previous = None


def pytest_sessionstart(session):
    removed = remove_stale_labs(session.config)
    if removed:
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        if tr:
            tr.write_line(f"baglab: removed stale lab(s) of a killed earlier run: {', '.join(removed)}")


@dataclass
class Lab:
    """The lab a test acts on: its plan and paths, and the open Lab handle (runtime, timeline) the
    fixtures share with the CLI, sweep and bench."""
    plan: Plan
    paths: LabPaths
    owned: bool
    session: lab_handle.Lab = field(init=False, repr=False)

    def __post_init__(self):
        self.session = lab_handle.Lab(self.paths, self.plan)

    @property
    def nodes(self) -> list[str]:
        return [n.name for n in self.plan.nodes]

    def prefix(self, origin: str, v6: bool = False) -> str:
        n = self.plan.node(origin)
        return (n.prefixes_v6 if v6 else n.prefixes_v4)[0]

    def link(self, bundle: str, member: int = 1):
        return next(l for l in self.plan.links if l.bundle == bundle and l.member == member)


@pytest.fixture(scope="session")
def runtime_name(request) -> str:
    """The runtime labs started by tests use (--runtime / BAGLAB_RUNTIME)."""
    return check_runtime(request.config.getoption("--runtime"))


@pytest.fixture(scope="session")
def lab(request, runtime_name) -> Lab:
    name = request.config.getoption("--lab-name")
    if name and stale(LabPaths(name)):
        remove_lab(LabPaths(name))        # left by a killed session: rebuilt, not attached to
    policy = request.config.getoption("--policy")
    if name and LabState.read(LabPaths(name)).phase == "up" and _same_policy(LabPaths(name), policy):
        yield Lab(load_plan(LabPaths(name)), LabPaths(name), owned=False)    # its own handle: Lab.session
        return
    name = name or f"cv{os.getpid() % 100000}"
    res = start_lab(request, suite_topology(request, request.config.getoption("--topology")), name, runtime_name,
                    policy, frr=request.config.getoption("--frr"))
    yield Lab(res.plan, LabPaths(name), owned=True)
    remove_lab(LabPaths(name))


def suite_topology(request, topology: str | Path) -> str:
    """``topology`` with the run's coalesce time (--bgp-coalesce-ms, lab/design/suite.py)."""
    ms = parse_coalesce(request.config.getoption("--bgp-coalesce-ms"))
    return with_coalesce(topology, request.getfixturevalue("tmp_path_factory").mktemp("coalesce"), ms)


def _same_policy(paths: LabPaths, policy: str | None) -> bool:
    """Attach to a running lab only when it runs the policy asked for (none asked: any)."""
    return policy is None or LabState.read(paths).policy == str(Path(policy).resolve())


class Oracle:
    def __init__(self, plan: Plan):
        self.plan = plan

    def routes(self, failures: Failures = NONE):
        return expected_routes(self.plan, failures)

    def shares(self, node: str, prefix: str, failures: Failures = NONE) -> dict[str, float]:
        return neighbour_shares(self.routes(failures)[node].get(prefix, []))


@pytest.fixture(scope="session")
def oracle(lab) -> Oracle:
    return Oracle(lab.plan)


class Observer:
    """Timeline + FIB/RIB views + the verdict after each event, all recorded in the report."""

    def __init__(self, lab: Lab, report: Report):
        self.lab, self.report = lab, report
        self.timeline = lab.session.timeline      # started here: before the first fault
        self.scenario = "?"
        self.verified_at: float | None = None     # when this test last proved the lab steady (see unchanged)

    def fib(self, node: str) -> dict:
        with FibReader({node: self.lab.paths.netns(node)}) as r:
            return r.read(node, self.lab.plan.address_families)

    def shares(self, node: str, prefix: str) -> dict[str, float]:
        peer_of = {}
        for l in self.lab.plan.links_of(node):
            peer_of[l.end(node).ifname] = l.peer(node).node
        hops = self.fib(node).get(prefix, [])
        total = sum(h.weight for h in hops) or 1
        out: dict[str, float] = {}
        for h in hops:
            out[peer_of[h.ifname]] = out.get(peer_of[h.ifname], 0.0) + h.weight / total
        return out

    def _record(self, res: EventResult, check: bool) -> EventResult:
        self.report.add(res, self.timeline, self.lab.nodes)
        if check and not res.ok:
            pytest.fail(f"{res.scenario}: after {res.event} of {res.kind} {res.target}:\n{res.report}", pytrace=False)
        return res

    def after_fault(self, fault: Fault, failures: Failures, check: bool = True, **kw) -> EventResult:
        return self._record(after_fault(self.lab.plan, self.lab.paths, self.timeline, fault, failures,
                                        self.scenario, **kw), check)

    def after_restore(self, fault: Fault, failures: Failures, check: bool = True, **kw) -> EventResult:
        res = self._record(after_restore(self.lab.plan, self.lab.paths, self.timeline, fault, failures,
                                         self.scenario, **kw), check)
        if res.ok and failures == NONE and kw.get("check_rib", True) and kw.get("quiet_s", 0.5) >= 0.5:
            self.verified()     # back to no failure at all, checked in full (a rehearsal's undrain)
        return res

    def steady(self, check: bool = True, **kw) -> EventResult:
        res = judge(self.lab.plan, self.lab.paths, self.timeline, NONE, time.time(), scenario=self.scenario,
                    event="steady", kind="none", target="steady state", **kw)
        if res.ok:
            self.verified()
        return self._record(res, check) if check else res

    def verified(self) -> None:
        self.verified_at = time.time()

    def unchanged(self) -> bool:
        """This test proved the lab steady (every FIB as the oracle's, sessions up, RIB = FIB, quiet)
        and no route has changed anywhere since, nor has the route-event record a gap: checking it
        all again at teardown could only find the same (it cost ~1-2 s per test)."""
        t = self.verified_at
        return t is not None and not self.timeline.events(since=t) and not any(e[0] >= t for e in self.timeline.errors)

    def close(self):
        self.lab.session.close()


@pytest.fixture(scope="session")
def _report(lab, request) -> Report:
    rep = Report(Path(request.config.getoption("--report-dir")), lab.paths.name, lab.plan.topology)
    yield rep
    path = rep.write()
    if path:
        request.config._baglab_report = (path, rep)


@pytest.fixture(scope="session")
def _observer(lab, _report) -> Observer:
    obs = Observer(lab, _report)
    yield obs
    obs.close()


@pytest.fixture
def observe(_observer, request) -> Observer:
    _observer.scenario = request.node.name
    _observer.verified_at = None          # an earlier test's proof says nothing of what this one did
    return _observer


class Faults(FaultInjector):
    """A FaultInjector that knows which faults this test made, and can measure their restoration."""

    def __init__(self, lab: Lab, observe: Observer):
        super().__init__(lab.plan, lab.paths)
        self.observe = observe

    def restore_and_check(self, fault: Fault | None = None) -> list[EventResult]:
        out = []
        for f in self.restore(fault):
            out.append(self.observe.after_restore(f, self.failures()))
        if out and all(r.ok for r in out) and not self.active():
            self.observe.verified()           # the last restore checked the whole steady state
        return out


@pytest.fixture
def faults(lab, observe) -> Faults:
    fi = Faults(lab, observe)
    if fi.active():           # left over by an interrupted earlier run: start clean
        fi.restore()
    yield fi
    if fi.active():
        fi.restore_and_check()
    elif not observe.unchanged():
        observe.steady()


@contextmanager
def extra_lab(topology: str | Path, request, tag: str, policy: str | Path | None = None, frr: str | None = None):
    """A second lab for a module whose topology differs from the session's (e.g. aggregation):
    its own name (under --lab-name's, when given: '<lab-name>-<tag>'), report directory
    (<report-dir>/<tag>), observer and fault injector; it runs ``policy`` (default: --policy) on
    ``frr`` (every router on that version; default: --frr's, like the session's lab)."""
    base = request.config.getoption("--lab-name")
    name = f"{base}-{tag[:4]}"[:16].rstrip("-") if base else f"{tag[:4]}{os.getpid() % 100000}"
    res = start_lab(request, suite_topology(request, topology), name, check_runtime(request.config.getoption("--runtime")),
                    policy if policy is not None else request.config.getoption("--policy"),
                    frr=frr or request.config.getoption("--frr"))
    lab = Lab(res.plan, LabPaths(name), owned=True)
    rep = Report(Path(request.config.getoption("--report-dir")) / tag, name, res.plan.topology)
    obs = Observer(lab, rep)
    fi = Faults(lab, obs)
    try:
        yield lab, obs, fi
    finally:
        try:
            if fi.active():
                fi.restore()
        finally:
            obs.close()
            rep.write()
            remove_lab(LabPaths(name))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    got = getattr(config, "_baglab_report", None)
    if not got:
        return
    path, rep = got
    tr = terminalreporter
    tr.section("baglab convergence")
    from lab.verdict.report import summary_lines

    for line in summary_lines([r for r, _ in rep.results]):
        tr.write_line(line)
    tr.write_line(f"report: {path}  timelines: {rep.dir / 'timelines'}")
