"""``down``: remove everything named after a lab, whichever runtime built it and whether or not
its state survived; and the list of labs on this host."""
from __future__ import annotations

import shutil
import subprocess
import time

from lab.host import nsutil
from lab.state import FRR_RUN, STATE_ROOT, LabPaths, is_lab_name, lab_name_of_netns
from lab.runtime import remnants
from lab.runtime.base import DownReport
from lab.runtime.docker_engine import engine_or_none, remove_lab_containers

# how long down keeps removing before it reports survivors, and how long a process gets
# between SIGTERM and SIGKILL
DOWN_DEADLINE_S = 30.0
KILL_GRACE_S = 3.0


class _Containers:
    """The lab's labelled containers, if an engine answers (asked once per teardown)."""

    def __init__(self, lab: str):
        self.lab, self._engine = lab, None

    def remove(self) -> int:
        if self._engine is None:
            self._engine = engine_or_none() or False
        return remove_lab_containers(self.lab, self._engine) if self._engine else 0


def teardown(paths: LabPaths, deadline_s: float = DOWN_DEADLINE_S) -> DownReport:
    """Return only once none of the lab's processes is alive (zombies count as gone).

    ``up`` may have been killed at any moment, leaving work in flight: a daemon that forks
    into the background, a ``baglab up`` child that has not yet entered its namespace, an
    ``ip`` adding namespaces, the engine starting a container.  So this works in passes:
    remove the lab's containers, kill every process of the lab (by namespace, including
    namespaces whose name an earlier pass deleted, and by the shape of what baglab starts: see
    ``remnants.lab_pids``), delete its namespaces; until a pass finds nothing.  At the
    deadline it stops and reports what survived."""
    prefix = paths.ns_prefix
    rep = DownReport()
    containers = _Containers(paths.name)
    inodes: dict[int, str] = {}
    killed: set[int] = set()
    deleted: set[str] = set()
    t0 = time.monotonic()
    end = t0 + deadline_s
    while True:
        rep.passes += 1
        gone_containers = containers.remove()
        names = nsutil.list_netns(prefix)
        inodes.update(remnants.netns_inodes(names))
        pids = remnants.lab_pids(paths.name, set(inodes))
        killed |= set(pids)
        if pids:
            nsutil.kill_all(pids, deadline_s=max(0.5, min(KILL_GRACE_S, end - time.monotonic())))
        if names:
            _delete_namespaces(names)   # deleting a namespace removes its veths, and the peer ends
            deleted |= set(names)
        if not (pids or names or gone_containers):
            break
        if time.monotonic() >= end:
            rep.survivors = remnants.lab_pids(paths.name, set(inodes))
            break
    rep.processes, rep.namespaces = len(killed), len(deleted)
    rep.leftover_ns = nsutil.list_netns(prefix)
    _remove_dirs(paths)
    rep.seconds = time.monotonic() - t0
    return rep


def _delete_namespaces(names: list[str]) -> None:
    subprocess.run(["ip", "-force", "-batch", "-"], input="".join(f"netns del {n}\n" for n in names),
                   text=True, capture_output=True)


def _remove_dirs(paths: LabPaths) -> None:
    for d in nsutil.own_dirs(FRR_RUN, paths.ns_prefix):
        shutil.rmtree(d, ignore_errors=True)
    if paths.root.is_dir() and not paths.root.is_symlink():
        shutil.rmtree(paths.root, ignore_errors=True)


def all_labs() -> list[str]:
    """Lab names that have either a state directory or namespaces on this host.  Only names baglab
    could have made count: a foreign ``bl_.._x`` namespace or a stray directory must never turn into
    a path that ``down --all`` removes."""
    names = {lab_name_of_netns(ns) for ns in nsutil.list_netns("bl_")}
    if STATE_ROOT.is_dir():
        names |= {p.name for p in STATE_ROOT.iterdir() if p.is_dir() and not p.is_symlink()
                  and is_lab_name(p.name)}
    names.discard(None)
    return sorted(names)
