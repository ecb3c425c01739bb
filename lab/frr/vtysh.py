"""How baglab runs vtysh: the only place its argv and environment are built.

vtysh appends every line it reads (each ``-c`` and each line of stdin) to a history file that
outlives the lab, and configuration lines carry TCP-MD5 passwords: every vtysh baglab runs,
directly, through frr-reload.py or in a version root's chroot, gets :func:`vtysh_env`.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Callable

from lab.state import LabPaths
from lab.frr.files import config_dir
from lab.frr.root import daemons_root, in_root

VTYSH = "vtysh"
#: where vtysh's history goes: under /dev/null, which is no directory, so no file is ever created
NO_HISTORY = "/dev/null/.history_frr"
_NO_HISTORY_VARS = {"VTYSH_HISTFILE": NO_HISTORY, "HOME": os.path.dirname(NO_HISTORY)}


def vtysh_env() -> dict[str, str]:
    """The environment of every vtysh baglab runs (children inherit it).  VTYSH_HISTFILE wins over
    HOME in vtysh; HOME too, for a vtysh that knows no VTYSH_HISTFILE (with HOME unset it would
    use the passwd entry's home).  VTYSH_LOG dropped: vtysh would log every command line to it."""
    env = {k: v for k, v in os.environ.items() if k != "VTYSH_LOG"}
    env.update(_NO_HISTORY_VARS)
    return env


def without_history(argv: list[str]) -> list[str]:
    """``argv`` (a vtysh, possibly in a container or chroot) run by ``env`` in :func:`vtysh_env`'s
    terms: for 'baglab exec NODE -- vtysh', whose process another tool (ip netns, docker) starts."""
    return ["env", "-u", "VTYSH_LOG", *(f"{k}={v}" for k, v in _NO_HISTORY_VARS.items()), *argv]


def run_vtysh(argv: list[str], **kw) -> subprocess.CompletedProcess:
    """``subprocess.run`` of vtysh (or of something that runs it, frr-reload.py) in :func:`vtysh_env`."""
    return subprocess.run(argv, env=vtysh_env(), **kw)


def host_vtysh(netns: str) -> list[str]:
    """The host's ``vtysh -N <netns>``: reads any version's show commands."""
    return [VTYSH, "-N", netns]


def own_vtysh(netns: str) -> list[str]:
    """``vtysh -N <netns>`` of the node's own FRR version: the host's 8.4 vtysh reads a 10.x
    router's show commands but cannot configure it (exit 1)."""
    return in_root(daemons_root(netns), host_vtysh(netns))


def host_bindir() -> Path:
    """Where the host's vtysh is (frr-reload.py's ``--bindir``)."""
    return Path(shutil.which(VTYSH) or "/usr/bin/vtysh").parent


def installed() -> bool:
    """The host has vtysh (FRR installed)."""
    return shutil.which(VTYSH) is not None


def is_vtysh(argv: list[str]) -> bool:
    return argv[:1] == [VTYSH]


def _with_pathspace(paths: LabPaths, node: str, argv: list[str]) -> list[str]:
    """The node's pathspace and config dir, so vtysh finds the node's vtysh.conf (no warning
    about a missing one, the node's hostname as its prompt)."""
    extra = [] if "-N" in argv else ["-N", paths.netns(node)]
    extra += [] if "--config_dir" in argv else ["--config_dir", str(config_dir(paths, node))]
    return [VTYSH, *extra, *argv[1:]]


def exec_argv(paths: LabPaths, node: str, argv: list[str], root_of: Callable[[str], Path | None] | None = None,
              pathspace: bool = True) -> list[str]:
    """'baglab exec NODE -- vtysh ...' as a runtime starts it: with the node's pathspace (unless
    ``pathspace`` is False: a container's own vtysh), keeping no history, in the node's version
    root (``root_of(node)``, for the netns runtime).  Any other command is returned unchanged."""
    if not is_vtysh(argv):
        return argv
    argv = without_history(_with_pathspace(paths, node, argv) if pathspace else argv)
    return in_root(root_of(node), argv) if root_of else argv
