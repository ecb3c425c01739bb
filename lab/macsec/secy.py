"""The user-space SecY (lab/macsec/shim.py) of each protected node: its keys, its process, key
changes on a running lab.  The shim runs on the host inside the node's namespace under every
runtime (it is the box's port hardware, not a router process)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

from lab import safe_io
from lab.errors import LabError
from lab.host import nsutil
from lab.log_tail import log_tail
from lab.design.plan import Plan
from lab.state import LabPaths
from lab.wait import poll
from lab.macsec import keys
from lab.macsec.ports import backend, protected_nodes, stats

MARKER = b"lab.macsec.shim"


def write_configs(paths: LabPaths, plan: Plan) -> int:
    """Render every shim's keys from the key chain; returns the chain's generation."""
    chain = keys.load(paths)
    for n in protected_nodes(plan):
        keys.write_secret(paths.node_dir(n) / "macsec.json", keys.node_config(plan, chain, n))
    return chain.generation


def shim_pids(paths: LabPaths, plan: Plan) -> dict[str, int | None]:
    """protected node -> pid of its shim (None when not running)."""
    nodes = protected_nodes(plan)
    by_ns = nsutil.pids_by_netns([paths.netns(n) for n in nodes])
    return {n: next((p for p in by_ns.get(paths.netns(n), []) if MARKER in nsutil.cmdline(p)), None)
            for n in nodes}


def _spawn(paths: LabPaths, node: str) -> subprocess.Popen:
    d = paths.node_dir(node)
    log = safe_io.open_append(paths.log_file(node))
    try:
        return nsutil.spawn_in(paths.netns(node), [sys.executable, "-m", "lab.macsec.shim", str(d / "macsec.json"),
                                                   str(d / "macsec-stats.json"), str(paths.log_file(node)),
                                                   paths.netns(node)], log)
    finally:
        os.close(log)


def start(paths: LabPaths, plan: Plan, nodes: list[str], deadline_s: float = 15.0) -> None:
    """Start the shims of these nodes that are not running, and wait until each has attached
    its ports (the routers must find their links with carrier)."""
    if backend(paths) != "shim":
        return
    running = shim_pids(paths, plan)
    missing = [n for n in protected_nodes(plan) if n in nodes and running.get(n) is None]
    if not missing:
        return
    write_configs(paths, plan)
    spawned = {n: _spawn(paths, n) for n in missing}

    def pending() -> list[str]:
        # ready once the new instance has written its counters (it keeps the old file's PNs)
        late = [n for n in missing if stats(paths, n).get("pid") != spawned[n].pid]
        dead = [n for n in late if spawned[n].poll() is not None]
        if dead:
            raise LabError(f"the MACsec shim of {dead[0]} exited ({spawned[dead[0]].returncode}):\n"
                           + log_tail(paths.log_file(dead[0]), 8))
        return late
    if not poll(lambda: not pending(), deadline_s):
        raise LabError(f"MACsec shims did not attach their ports within {deadline_s:.0f}s: {pending()}")


def reload(paths: LabPaths, plan: Plan, deadline_s: float = 10.0) -> None:
    """Push the key chain to every shim and wait until each has taken it."""
    if backend(paths) != "shim":
        raise LabError("key changes on a running lab are implemented for the user-space MACsec shim only; "
                       "this lab uses the kernel's macsec (restart it with 'baglab up' to apply keys)")
    gen = write_configs(paths, plan)
    for n, pid in shim_pids(paths, plan).items():
        if pid is None:
            raise LabError(f"the MACsec shim of {n} is not running")
        os.kill(pid, signal.SIGHUP)

    def behind() -> list[str]:
        return [n for n in protected_nodes(plan) if stats(paths, n).get("generation", -1) < gen]
    if not poll(lambda: not behind(), deadline_s):
        raise LabError(f"MACsec shims did not take key generation {gen} within {deadline_s:.0f}s: {behind()}")


def rotate(paths: LabPaths, plan: Plan) -> int:
    """Hitless key rotation: every receiver learns the new key first, then every port switches
    its transmit SA to it; the predecessor stays valid for frames already in flight."""
    chain = keys.load(paths)
    new = keys.new_key(chain)
    keys.save(paths, chain)
    reload(paths, plan)
    chain = keys.load(paths)
    chain.tx = new["id"]
    keys.save(paths, chain)
    reload(paths, plan)
    return new["id"]
