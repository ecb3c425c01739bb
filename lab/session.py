"""One running lab, attached to: a :class:`Lab` handle with its plan, paths, state, runtime,
fault injector, FIB timeline and routers.

Every caller that acts on a running lab (the CLI's verbs, the workflows, bench/) needs the same
handful of objects, built the same way; :func:`open_lab` builds them once per command and the
workflows pass the handle down instead of opening another.  The runtime and the injector are made
on first use (a read-only verb such as ``baglab faults`` must not need root for what it does not
touch), and the timeline -- a set of netlink watchers, one per node -- is started only when a
caller asks for it and is always stopped on the way out, even after an error or Ctrl-C.
"""
from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from typing import Iterator, Optional, Union

from lab.design.plan import Plan
from lab.state import LabPaths, LabState, check_lab_name, load_plan


class Routers(Mapping):
    """The plan's routers by node name, each a ``Router`` made on first access and kept."""

    def __init__(self, lab: "Lab"):
        self._lab = lab
        self._made: dict = {}

    def _names(self) -> list[str]:
        return [n.name for n in self._lab.plan.nodes]

    def __getitem__(self, name: str):
        if name not in self._made:
            names = self._names()
            if name not in names:
                raise KeyError(f"lab {self._lab.name} has no node {name!r} (it has {', '.join(names)})")
            from lab.frr.router import Router

            self._made[name] = Router(self._lab.paths, name, runtime=self._lab.runtime)
        return self._made[name]

    def __contains__(self, name) -> bool:      # a name test must not construct a Router
        return name in self._names()

    def __iter__(self):
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._lab.plan.nodes)


class Lab:
    """What a command needs to act on one lab; see :func:`open_lab`."""

    def __init__(self, paths: LabPaths, plan: Plan):
        self.paths = paths
        self._plan = plan
        self._runtime = None
        self._faults = None
        self._timeline = None
        self.routers = Routers(self)

    @property
    def name(self) -> str:
        return self.paths.name

    @property
    def plan(self) -> Plan:
        return self._plan

    @plan.setter
    def plan(self, plan: Plan) -> None:
        """An upgrade moves a router to another FRR version mid-command: the injector, which
        re-renders drained configs, must follow."""
        self._plan = plan
        if self._faults is not None:
            self._faults.plan = plan

    @property
    def state(self) -> LabState:
        """What the lab records of itself, read afresh on every access: a rollout or another
        process changes it while a command runs.  Written only through ``LabState.update``."""
        return LabState.read(self.paths)

    @property
    def runtime(self):
        """The runtime that built the lab (recorded in its state), so daemons restart the same way."""
        if self._runtime is None:
            from lab.runtime import runtime_for

            self._runtime = runtime_for(self.paths)
        return self._runtime

    @property
    def faults(self):
        """The lab's journalled fault injector: every fault it makes can be undone by any process."""
        if self._faults is None:
            from lab.faults import FaultInjector

            self._faults = FaultInjector(self.plan, self.paths, runtime=self.runtime)
        return self._faults

    @property
    def timeline(self):
        """FIB changes of every node, recorded from the first access on.

        Opened lazily because it costs a watcher per node; a caller that measures convergence must
        touch it *before* acting, or the changes it wants to time are gone."""
        if self._timeline is None:
            from lab.observe.timeline import Timeline

            self._timeline = Timeline({n.name: self.paths.netns(n.name) for n in self.plan.nodes}).start()
        return self._timeline

    @property
    def timeline_open(self) -> bool:
        return self._timeline is not None

    def close(self) -> None:
        """Stop what this handle started; the lab itself is left as it is."""
        if self._timeline is not None:
            tl, self._timeline = self._timeline, None
            tl.stop()


def _paths(lab: Union[str, LabPaths]) -> LabPaths:
    return lab if isinstance(lab, LabPaths) else LabPaths(check_lab_name(lab))


@contextmanager
def open_lab(lab: Union[str, LabPaths], plan: Optional[Plan] = None) -> Iterator[Lab]:
    """Attach to the lab named ``lab`` (or given by its paths).

    ``plan`` saves re-reading plan.json when the caller has just built the lab; otherwise the plan
    the lab was built from is read from its state (a LabError naming the lab when none runs)."""
    paths = _paths(lab)
    handle = Lab(paths, plan if plan is not None else load_plan(paths))
    try:
        yield handle
    finally:
        handle.close()

