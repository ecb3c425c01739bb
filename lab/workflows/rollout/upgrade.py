"""A router moved to another FRR version with everything else kept: its namespace, veths,
addresses and MACsec ports stay, only its FRR daemons are stopped and the other version's started
in their place, from a config rendered for that version (its ``frr version`` line).

The version each router runs is recorded in the lab's state (lab.state.node_versions) *before*
its new daemons start, so whatever re-renders or queries it from then on (a drain, the runtime's
restart after a crash, the oracle's weight rule, its FRR shell) treats it as the version it runs.  A phase
of an upgrade is an ordinary rollout phase (lab.workflows.rollout.phase) whose change is this instead of a
reload: the drain, the probe stream, the waiting and the checks are the same.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from lab.config.render import frr_files

from lab.observe.converge import wait_sessions
from lab.errors import LabError
from lab.frr.router import Router
from lab.design.plan import Plan
from lab.state import LabPaths, load_built_plan, set_node_version, with_versions

SESSIONS_DEADLINE_S = 30.0


@dataclass
class UpgradeResult:
    node: str
    before: str                 # the version it ran ("8.4" for the host's)
    after: str
    seconds: float = 0.0        # stop, start and its sessions back
    down_s: float = 0.0         # from the stop to the new daemons running
    error: str = ""
    moved: bool = False         # the lab's state says it runs ``after`` (its old daemons are gone)
    skipped: bool = False       # not tried (a router before it failed): its daemons were not touched

    def as_reload(self) -> dict:
        """The shape a phase reports its routers' changes in (lab.workflows.rollout.report)."""
        return {"node": self.node, "method": f"upgrade {self.before} -> {self.after}",
                "added": [f"FRR {self.after}"], "removed": [f"FRR {self.before}"],
                "seconds": round(self.seconds, 2), "error": self.error, "down_s": round(self.down_s, 2)}


def upgrade_node(runtime, plan: Plan, paths: LabPaths, node: str, version: str, text: str,
                 failures) -> UpgradeResult:
    """``node`` on FRR ``version`` running ``text`` (its config rendered for that version);
    ``plan``: the lab as it runs now.  Returns once its sessions are back (or says which are not)."""
    t0 = time.monotonic()
    res = UpgradeResult(node, plan.node(node).frr or _host(), version)
    try:
        router = Router(paths, node, runtime)
        router.stop()                           # first: old daemons that would not stop keep their config
        router.write_config(frr_files(text, node))      # what the new daemons start from
        set_node_version(paths, load_built_plan(paths), [node], version)
        res.moved = True
        router.start(with_versions(plan, {node: version}))
        res.down_s = time.monotonic() - t0
        bad = wait_sessions(with_versions(plan, {node: version}), paths, [node], failures, SESSIONS_DEADLINE_S)
        if bad:
            res.error = f"sessions not back within {SESSIONS_DEADLINE_S:.0f} s: {'; '.join(bad[:4])}"
    except Exception as exc:        # noqa: BLE001 -- e.g. a daemon's start timing out: the phase reports it
        res.error = str(exc) if isinstance(exc, LabError) else f"{type(exc).__name__}: {exc}"
    res.seconds = time.monotonic() - t0
    return res


def _host() -> str:
    from lab.host.frr_install import host_version
    return host_version()


def version_of(plan: Plan, node: str) -> str:
    return plan.node(node).frr or _host()


def upgrade_routers(setup, routers: list[str], versions: dict[str, str], render) -> list[UpgradeResult]:
    """The phase's routers one after the other (a restart is CPU-bound: in parallel on 2 cores
    they only wait for each other); ``render(plan, name)`` is a router's config for ``plan``.
    The lab's plan (and so its injector's) follows each router's move."""
    out: list[UpgradeResult] = []
    for name in routers:
        failed = next((u.node for u in out if u.error), None)
        if failed:                     # a broken root or start: the plane's other routers keep running
            out.append(UpgradeResult(name, version_of(setup.plan, name), versions[name],
                                     error=f"not upgraded: {failed} failed first", skipped=True))
            continue
        target = with_versions(setup.plan, {name: versions[name]})
        out.append(upgrade_node(setup.lab.runtime, setup.plan, setup.paths, name, versions[name],
                                render(target, name), setup.faults.failures()))
        if out[-1].moved:
            setup.lab.plan = target         # the injector, which re-renders drains, follows
    return out
