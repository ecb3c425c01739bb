"""The embedded runtime: one network namespace per node, veth per member link, FRR per node,
every process a host process entered into its node's namespace.

Built from the shared pieces: HostPlumbing (namespaces, veths, addresses), DaemonLauncher
(the start order) and teardown (down); what is its own is how a daemon is started."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lab.frr import roots as frr_roots
from lab.errors import LabError
from lab.frr.root import ROOT_FRR_BIN, StartedDaemon, in_root, mgmtd_argv, needs_mgmtd
from lab.frr.router import Router
from lab.host import nsutil
from lab.design.plan import Plan
from lab.state import LabPaths, load_plan
from lab.runtime import frr
from lab.runtime.base import DownReport, Progress, _noop
from lab.runtime.frr import FRR_BIN, DaemonLauncher
from lab.frr.files import FRR_DAEMONS as DAEMONS
from lab.runtime.plumbing import HostPlumbing
from lab.runtime.teardown import DOWN_DEADLINE_S, all_labs, teardown

__all__ = ["NetnsRuntime", "DAEMONS", "FRR_BIN", "all_labs"]


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


class NetnsRuntime:
    name = "netns"
    python = sys.executable      # what ExaBGP's helper processes run with
    makes_links = True

    def __init__(self, paths: LabPaths):
        self.paths = paths
        self.host = HostPlumbing(paths)
        self.launcher = DaemonLauncher(paths, self._spawn_frr, self._spawn_exabgp)
        self._roots: dict[str, Path] | None = None

    @staticmethod
    def check_host() -> None:
        frr.check_frr_host()

    # -- bring-up steps -----------------------------------------------------------------
    def create_namespaces(self, plan: Plan, progress: Progress = _noop) -> None:
        self.host.add_namespaces(plan)
        for i, node in enumerate(plan.nodes, 1):
            self.host.set_sysctls(node.name)
            progress("namespaces", i, len(plan.nodes))

    def create_links(self, plan: Plan, progress: Progress = _noop) -> None:
        self.host.create_links(plan)

    def configure_interfaces(self, plan: Plan, progress: Progress = _noop) -> None:
        self.host.configure_interfaces(plan, progress)

    def write_configs(self, plan: Plan, configs: dict[str, dict[str, str]]) -> None:
        frr.write_configs(self.paths, plan, configs)

    def start_daemons(self, plan: Plan, progress: Progress = _noop, nodes: list[str] | None = None) -> None:
        self._roots = frr_roots.roots_of(plan)
        self.launcher.start(plan, progress, nodes)

    def root(self, node: str) -> Path | None:
        """The FRR root a router runs from (None: the host's FRR); read from the lab's plan when
        this runtime did not start the lab (CLI commands, observers)."""
        if self._roots is None:
            self._roots = frr_roots.roots_of(load_plan(self.paths))
        return self._roots.get(node)

    def _spawn_frr(self, node: str, daemon: str) -> subprocess.Popen | StartedDaemon:
        ns, root = self.paths.netns(node), self.root(node)
        argv = in_root(root, frr.frr_argv(ROOT_FRR_BIN if root else str(FRR_BIN), ns, str(self.paths.frr_dir(node)),
                                          self.paths.node_dir(node), daemon))
        if root is not None:
            if daemon == "zebra" and needs_mgmtd(root):
                self._start_mgmtd(node, root)
            return StartedDaemon(argv, preexec_fn=lambda: nsutil.setns(ns))
        return subprocess.Popen(argv, preexec_fn=lambda: nsutil.setns(ns), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)

    def _start_mgmtd(self, node: str, root: Path) -> None:
        """Once per node: a restart after a daemon died finds mgmtd still running (its pid lock)."""
        ns = self.paths.netns(node)
        if any(_comm(pid) == "mgmtd" for pid in nsutil.pids_by_netns([ns])[ns]):
            return
        p = StartedDaemon(in_root(root, mgmtd_argv(ns, str(self.paths.frr_dir(node)))), lambda: nsutil.setns(ns))
        _, err = p.communicate(timeout=30)
        if p.returncode != 0:
            raise LabError(f"mgmtd on {node} failed to start (exit {p.returncode}): {err.decode().strip()}")

    def _spawn_exabgp(self, node: str) -> None:
        exe = Path(sys.executable).parent / "exabgp"
        if not exe.exists():
            raise LabError(f"{node} runs ExaBGP, which is not installed beside this Python ({exe}): "
                           "run 'make deps' (pip install 'exabgp>=5')")
        env = dict(os.environ, **{"exabgp.api.cli": "false", "exabgp.daemon.user": "root",
                                  "exabgp.log.processes": "false", "exabgp.daemon.daemonize": "false"})
        frr.spawn_host_helper(self.paths, node, [str(exe), str(self.paths.node_dir(node) / "exabgp.conf")], env)

    # -- inspection ---------------------------------------------------------------------
    def processes(self, plan: Plan) -> dict[str, dict[str, int | None]]:
        return self.host.processes(plan)

    def infrastructure_pids(self, node: str) -> set[int]:
        """Nothing of a netns node is infrastructure: every process in it is the node's own."""
        return set()

    def exec_argv(self, node: str, argv: list[str]) -> list[str]:
        # FRR's shell: the node's own version's, keeping no history
        argv = Router(self.paths, node, self).exec_argv(argv, root_of=self.root)
        return ["ip", "netns", "exec", self.paths.netns(node)] + argv

    # -- teardown -----------------------------------------------------------------------
    def down(self, deadline_s: float = DOWN_DEADLINE_S) -> DownReport:
        return teardown(self.paths, deadline_s)
