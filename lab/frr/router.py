"""One FRR router of a running lab, the way FRR's topotests hold one: show commands, live
configuration, reloads, stop and start.  The only door to a router's FRR: nothing outside
lab.frr runs vtysh or reads FRR's files."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from lab.errors import LabError
from lab.host.frr_install import host_version
from lab.host import nsutil
from lab.design.plan import Plan
from lab.state import LabPaths, load_plan
from lab.frr import configure as _configure, files, show as _show, vtysh
from lab.frr.reload import ReloadResult, reload as _reload
from lab.frr.root import daemons_root

STOP_DEADLINE_S = 10.0
_VERSION = re.compile(r"FRRouting (\d+(?:\.\d+)+)")


def parse_version(show_version: str) -> str | None:
    """'FRRouting 8.4.4 (r1).' (``show version``'s first line) -> '8.4.4'; None if absent."""
    m = _VERSION.search(show_version)
    return m.group(1) if m else None


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


class Router:
    """``paths``, ``node``: the lab and the router; ``runtime``: the runtime that built the lab
    (lab.runtime.runtime_for), needed only by :meth:`start`."""

    def __init__(self, paths: LabPaths, node: str, runtime=None):
        self.paths, self.node, self.runtime = paths, node, runtime

    def __repr__(self) -> str:
        return f"Router({self.paths.name!r}, {self.node!r})"

    @property
    def netns(self) -> str:
        """The node's network namespace, which is also its FRR pathspace (``-N``)."""
        return self.paths.netns(self.node)

    # -- reading ------------------------------------------------------------------------------
    def show(self, command: str, timeout: float = 10.0) -> str:
        """A show command's output (the daemon's vty socket, else vtysh); RuntimeError when FRR
        refuses it, subprocess.TimeoutExpired after ``timeout`` seconds."""
        return _show.show(self.netns, command, timeout)

    def show_json(self, command: str, timeout: float = 10.0):
        """A ``... json`` show command parsed (``{}`` for no output)."""
        return _show.show_json(self.netns, command, timeout)

    def show_many(self, commands: list[str], timeout: float = 30.0) -> str:
        """Several show commands in one process, their outputs one after the other."""
        return _show.show_many(self.netns, commands, timeout)

    @property
    def version(self) -> str:
        """The FRR version (major.minor) the lab records for it: the plan's, an upgrade's, else the host's."""
        return load_plan(self.paths).node(self.node).frr or host_version()

    def running_version(self) -> str | None:
        """The version its running daemons report (``show version``: '8.4.4')."""
        return parse_version(self.show("show version"))

    @property
    def root(self) -> Path | None:
        """The version root its daemons run from; None for the host's FRR (or none running)."""
        return daemons_root(self.netns)

    # -- changing -----------------------------------------------------------------------------
    def configure(self, lines: list[str]) -> str:
        """Configuration lines applied live (on vtysh's stdin); FRR's complaints, '' when none."""
        return _configure.configure(self.netns, lines)

    def command(self, command: str, timeout: float | None = None) -> subprocess.CompletedProcess:
        """An exec-mode command (``clear bgp ...``) by the router's own version."""
        return _configure.command(self.netns, command, timeout)

    def reload(self, files_: dict[str, str]) -> ReloadResult:
        """The rendered files (lab.config.render.frr_files) written and their difference applied with
        frr-reload.py (lab.frr.reload)."""
        return _reload(self.paths, self.node, files_)

    def write_config(self, files_: dict[str, str]) -> None:
        """The files it restarts from (lab.config.render.frr_files), and its vtysh.conf."""
        files.write_config_files(self.paths, self.node, files_)
        files.write_cli_config(self.paths, self.node)

    # -- processes ----------------------------------------------------------------------------
    def pids(self) -> list[int]:
        """Its FRR processes (never its MACsec shim: the port outlives a software upgrade)."""
        ns = self.netns
        return [p for p in nsutil.pids_by_netns([ns])[ns] if _comm(p) in files.FRR_PROCESSES]

    def stop(self, deadline_s: float = STOP_DEADLINE_S) -> None:
        """An orderly stop (SIGTERM): bgpd tells its peers (Cease), zebra takes its routes out."""
        left = nsutil.kill_all(self.pids(), deadline_s=deadline_s)
        if left:
            raise LabError(f"{self.node}: FRR processes {left} would not stop")

    def start(self, plan: Plan) -> None:
        """Its daemons started by the runtime that built the lab, from ``plan`` (which says the
        version it runs)."""
        if self.runtime is None:
            raise LabError(f"{self.node}: Router.start needs the lab's runtime (Router(paths, node, runtime))")
        self.runtime.start_daemons(plan, nodes=[self.node])

    def exec_argv(self, argv: list[str], root_of=None, pathspace: bool = True) -> list[str]:
        """``argv`` as 'baglab exec' runs it in the node (lab.frr.vtysh.exec_argv)."""
        return vtysh.exec_argv(self.paths, self.node, argv, root_of, pathspace)
