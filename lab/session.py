"""One running lab, attached to: its plan, paths, runtime, fault injector and FIB timeline.

Every caller that acts on a running lab (the CLI's verbs, the N-1 sweep, bench/) needs the same
handful of objects, built the same way; :func:`lab_session` builds them once.  The runtime and the
injector are made on first use (a read-only verb such as ``baglab faults`` must not need root for
what it does not touch), and the timeline -- a set of netlink watchers, one per node -- is started
only when a caller asks for it and is always stopped on the way out, even after an error or Ctrl-C.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional, Union

from .plan import Plan
from .state import LabPaths, check_lab_name, load_plan


class LabSession:
    """What a verb needs to act on one lab; see :func:`lab_session`."""

    def __init__(self, paths: LabPaths, plan: Plan):
        self.paths, self.plan = paths, plan
        self._runtime = None
        self._injector = None
        self._timeline = None

    @property
    def name(self) -> str:
        return self.paths.name

    @property
    def runtime(self):
        """The runtime that built the lab (recorded in its state), so daemons restart the same way."""
        if self._runtime is None:
            from .runtime import runtime_for

            self._runtime = runtime_for(self.paths)
        return self._runtime

    @property
    def injector(self):
        """The lab's journalled fault injector: every fault it makes can be undone by any process."""
        if self._injector is None:
            from .faults import FaultInjector

            self._injector = FaultInjector(self.plan, self.paths)
        return self._injector

    @property
    def timeline(self):
        """FIB changes of every node, recorded from the first access on.

        Opened lazily because it costs a watcher per node; a caller that measures convergence must
        touch it *before* acting, or the changes it wants to time are gone."""
        if self._timeline is None:
            from .observers.timeline import Timeline

            self._timeline = Timeline({n.name: self.paths.netns(n.name) for n in self.plan.nodes}).start()
        return self._timeline

    @property
    def timeline_open(self) -> bool:
        return self._timeline is not None

    def close(self) -> None:
        """Stop what this session started; the lab itself is left as it is."""
        if self._timeline is not None:
            tl, self._timeline = self._timeline, None
            tl.stop()


def _paths(lab: Union[str, LabPaths]) -> LabPaths:
    return lab if isinstance(lab, LabPaths) else LabPaths(check_lab_name(lab))


@contextmanager
def lab_session(lab: Union[str, LabPaths], plan: Optional[Plan] = None) -> Iterator[LabSession]:
    """Attach to the lab named ``lab`` (or given by its paths).

    ``plan`` saves re-reading plan.json when the caller has just built the lab; otherwise the plan
    the lab was built from is read from its state (a LabError naming the lab when none runs)."""
    paths = _paths(lab)
    session = LabSession(paths, plan if plan is not None else load_plan(paths))
    try:
        yield session
    finally:
        session.close()
