"""Starting a lab's daemons: the order and the waiting, shared by the netns and docker runtimes.
How one daemon is started (a host process in the namespace, or a ``docker exec``) is the
runtime's; the launcher only needs something with ``communicate()`` and ``returncode``."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

from lab import safe_io
from lab.errors import LabError
from lab.frr.files import FRR_BIN, FRR_DAEMONS, check_frr_host, daemon_config, write_config_files, write_cli_config
from lab.host import nsutil
from lab.macsec import secy
from lab.design.plan import Plan
from lab.state import LabPaths
from lab.wait import poll
from lab.design.node_kinds import BULK, COLLECTOR, EXABGP, FRR, kind_of
from lab.runtime.base import Progress, _noop

__all__ = ["FRR_BIN", "check_frr_host", "DaemonLauncher", "frr_argv", "write_configs", "write_frr_config"]

ZEBRA_NETLINK_BUF = 64 * 1024 * 1024     # room for large route bursts


def frr_argv(frr_bin: str, ns: str, pid_dir: str, node_dir: Path, daemon: str) -> list[str]:
    argv = [f"{frr_bin}/{daemon}", "-d", "-N", ns, "-P", "0", "-i", f"{pid_dir}/{daemon}.pid",
            "-f", str(daemon_config(node_dir, daemon))]
    # --v6-rr-semantics: without it zebra 8.4 updates an IPv6 route by deleting and re-adding it, a
    # window of up to ~1 ms without a route (seen on every attribute-only change: a live policy push
    # lost packets in it); kernels since 4.x replace IPv6 routes in place
    return argv + (["-s", str(ZEBRA_NETLINK_BUF), "--v6-rr-semantics"] if daemon == "zebra" else [])


def spawn_host_helper(paths: LabPaths, node: str, argv: list[str], env: dict | None = None):
    """A non-FRR process of the node (speaker, ExaBGP) on the host, in the node's namespace,
    its output appended to the node's log."""
    log = safe_io.open_append(paths.log_file(node))
    try:
        return nsutil.spawn_in(paths.netns(node), argv, log, env)
    finally:
        os.close(log)


def spawn_speaker(paths: LabPaths, node: str):
    # the namespace name rides on the command line so 'down' finds it even without the netns
    return spawn_host_helper(paths, node, [sys.executable, "-m", "lab.nodes.speaker",
                                           str(paths.node_dir(node) / "speaker.json"), paths.netns(node)])


class DaemonLauncher:
    """Ports first (MACsec shims), then emulators, then zebra everywhere, then bfdd, then bgpd."""

    def __init__(self, paths: LabPaths, spawn_frr: Callable[[str, str], object],
                 spawn_exabgp: Callable[[str], None]):
        self.paths, self.spawn_frr, self.spawn_exabgp = paths, spawn_frr, spawn_exabgp

    def start(self, plan: Plan, progress: Progress = _noop, nodes: list[str] | None = None) -> None:
        wanted = nodes or [n.name for n in plan.nodes]
        secy.start(self.paths, plan, wanted)      # the ports first: routers find their links with carrier
        for n in wanted:
            kind = kind_of(plan.node(n))
            if kind is BULK:
                spawn_speaker(self.paths, n)
            elif kind in (EXABGP, COLLECTOR):
                self.spawn_exabgp(n)
        names = [n for n in wanted if kind_of(plan.node(n)) is FRR]
        if names:
            self._start_frr(names, progress)

    def _start_frr(self, names: list[str], progress: Progress) -> None:
        for n in names:   # a restart after a crash finds the old sockets: they must not look ready
            (self.paths.frr_dir(n) / "zserv.api").unlink(missing_ok=True)
        total, done = len(names) * len(FRR_DAEMONS), 0
        for daemon in FRR_DAEMONS:
            for n, p in [(n, self.spawn_frr(n, daemon)) for n in names]:
                _, err = p.communicate(timeout=30)
                if p.returncode != 0:
                    raise LabError(f"{daemon} on {n} failed to start (exit {p.returncode}): {err.decode().strip()}\n"
                                   f"log: {self.paths.log_file(n)}")
                done += 1
                progress("daemons", done, total)
            if daemon == "zebra":
                self._wait_sockets(names, "zserv.api")

    def _wait_sockets(self, nodes: list[str], sock: str, deadline_s: float = 20.0) -> None:
        def pending() -> list[str]:
            return sorted(n for n in nodes if not (self.paths.frr_dir(n) / sock).exists())
        if not poll(lambda: not pending(), deadline_s):
            raise LabError(f"zebra did not open its API socket within {deadline_s:.0f}s on: {', '.join(pending())}")


def write_configs(paths: LabPaths, plan: Plan, configs: dict[str, dict[str, str]]) -> None:
    """Configs are 0640 frr:frr (frr.conf and bgpd.conf hold TCP-MD5 passwords), written without following links
    (the directories are frr's: lab.safe_io)."""
    owner = safe_io.frr_owner()
    for node in plan.nodes:
        d = safe_io.make_dir(paths.node_dir(node.name), owner=owner)
        for fname, text in configs[node.name].items():
            safe_io.write_file(d / fname, text, mode=0o640, owner=owner)
        if kind_of(node) is FRR:
            write_cli_config(paths, node.name)
        # FRR (user frr) and root-run helpers (the MACsec SecY, emulators) share the node's
        # log: it must exist, owned by frr, before either opens it
        os.close(safe_io.open_append(paths.log_file(node.name), owner=owner))
        safe_io.make_dir(paths.frr_dir(node.name), owner=owner)


def write_frr_config(paths: LabPaths, node: str, text: str) -> None:
    """A router's rendered frr.conf and the per-daemon files cut from it, 0640 frr-owned (TCP-MD5
    passwords): what the router restarts from."""
    from lab.config.render import frr_files
    write_config_files(paths, node, frr_files(text, node))
