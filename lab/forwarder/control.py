"""The forwarders of a lab (lab/forwarder/loop.py): one per node with an impaired plain port,
on kernels without netem.  What the ``forwarder`` impairment backend does on one port.

A forwarder runs on the host inside the node's namespace under every runtime, like the SecY;
its command line names the namespace and the lab's state directory, so ``down`` finds and
stops it (lab/runtime/remnants.py) and the helper pairs go with the namespace.
"""
from __future__ import annotations

import json
import os
import signal
import sys

from lab import safe_io
from lab.errors import LabError
from lab.host import nsutil
from lab.log_tail import log_tail
from lab.state import LabPaths
from lab.wait import poll
from lab.forwarder import splice

MARKER = b"lab.forwarder.loop"


def config_path(paths: LabPaths, node: str):
    return paths.node_dir(node) / "forward.json"


def stats(paths: LabPaths, node: str) -> dict:
    """The node's forwarder's last counters ({} before it wrote any)."""
    try:
        # the node directory is frr's: a link planted in place of the file is refused, not followed
        return json.loads(safe_io.read_text(paths.node_dir(node) / "forward-stats.json"))
    except (OSError, LabError, ValueError):
        return {}


def pid_of(paths: LabPaths, node: str) -> int | None:
    ns = paths.netns(node)
    return next((p for p in nsutil.pids_by_netns([ns])[ns] if MARKER in nsutil.cmdline(p)
                 and nsutil._alive(p)), None)


def read_config(paths: LabPaths, node: str) -> dict:
    try:
        return json.loads(safe_io.read_text(config_path(paths, node)))
    except (OSError, LabError, ValueError):
        return {"generation": 0, "ports": {}}


def with_port(doc: dict, ifname: str, params: dict | None) -> dict:
    """The configuration with one port impaired as ``params`` say (None: not), one generation on."""
    ports = {k: v for k, v in doc["ports"].items() if k != ifname}
    if params is not None:
        ports[ifname] = {"helper": splice.helper_names(ifname)[1], "params": params}
    return {"generation": doc["generation"] + 1, "ports": ports}


def impair(paths: LabPaths, node: str, ifname: str, params: dict | None, deadline_s: float = 10.0) -> None:
    """Impair one plain port (None: stop).  Starting: helper pair, forwarder reading it, then the
    redirect.  Stopping: the redirect first (new frames leave directly), then the forwarder
    sends what it holds, then the helper pair goes; the forwarder stops with its last port."""
    ns = paths.netns(node)
    if params is not None:
        splice.build(ns, ifname)
    else:
        splice.unredirect(ns, ifname)
    doc = with_port(read_config(paths, node), ifname, params)
    safe_io.write_file(config_path(paths, node), json.dumps(doc))
    pid = pid_of(paths, node)
    if pid is None and doc["ports"]:
        pid = _spawn(paths, node).pid
    elif pid is not None:
        os.kill(pid, signal.SIGHUP)
    if pid is not None:
        _await_generation(paths, node, pid, doc["generation"], deadline_s)
    if params is not None:
        splice.redirect(ns, ifname)
        return
    splice.remove(ns, ifname)
    if not doc["ports"] and pid is not None:
        if nsutil.kill_all([pid], deadline_s=3.0):
            raise LabError(f"the impairment forwarder of {node} (pid {pid}) would not stop")


def _await_generation(paths: LabPaths, node: str, pid: int, generation: int, deadline_s: float) -> None:
    def taken() -> bool:
        s = stats(paths, node)
        if not nsutil._alive(pid):
            raise LabError(f"the impairment forwarder of {node} exited:\n" + log_tail(paths.log_file(node), 6))
        return s.get("pid") == pid and s.get("impair_generation", -1) >= generation
    if not poll(taken, deadline_s):
        raise LabError(f"the impairment forwarder of {node} did not take generation {generation} "
                       f"within {deadline_s:.0f}s")


def argv(paths: LabPaths, node: str) -> list[str]:
    """The forwarder's command line: it names the node's namespace and the lab's state directory,
    which is how ``down`` finds it even after the namespace's name is gone."""
    d = paths.node_dir(node)
    return [sys.executable, "-m", "lab.forwarder.loop", str(config_path(paths, node)), str(d / "forward-stats.json"),
            str(paths.log_file(node)), paths.netns(node)]


def _spawn(paths: LabPaths, node: str):
    log = safe_io.open_append(paths.log_file(node))
    try:
        return nsutil.spawn_in(paths.netns(node), argv(paths, node), log)
    finally:
        os.close(log)
