"""Where a router's FRR files are, which daemons it runs, and writing the files FRR reads."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from lab import safe_io
from lab.host.frr_install import HOST_FRR_BIN
from lab.errors import LabError
from lab.state import LabPaths

#: the host's FRR daemons (a version root's are at lab.frr.root.ROOT_FRR_BIN)
FRR_BIN = Path(HOST_FRR_BIN)
#: in start order: bfdd before bgpd, so bgpd's BFD sessions are registered as its neighbours appear
FRR_DAEMONS = ("zebra", "bfdd", "bgpd")
#: what an FRR router runs, whichever version: mgmtd (10.x) and the helpers a root may start
FRR_PROCESSES = ("watchfrr", "bgpd", "bfdd", "staticd", "zebra", "mgmtd")
VTYSH_CONF = "vtysh.conf"
#: top-level config lines only vtysh reads (the daemons log "No such command" for them)
SHELL_ONLY_LINES = ("service integrated-vtysh-config", "no service integrated-vtysh-config", "username ")
#: an exported node's /etc/frr/daemons: the daemons frrinit.sh starts
DAEMONS_FILE = """# written by baglab export: the daemons frrinit.sh starts (zebra and watchfrr always)
bgpd=yes
bfdd=yes
vtysh_enable=yes
zebra_options=" -A 127.0.0.1 -s 67108864"
bgpd_options=" -A 127.0.0.1"
bfdd_options=" -A 127.0.0.1"
"""


def check_frr_host() -> None:
    """Root, FRR and iproute2 on the host (host vtysh talks to every runtime's daemons)."""
    if os.geteuid() != 0:
        raise LabError("the netns runtime needs root: run with sudo")
    missing = [d for d in FRR_DAEMONS if not (FRR_BIN / d).exists()]
    if missing or not shutil.which("vtysh"):
        raise LabError(f"FRR is not installed ({FRR_BIN}/{missing[0] if missing else 'vtysh'} missing): "
                       "run 'make deps' or 'apt-get install frr'")
    if not shutil.which("ip"):
        raise LabError("iproute2 ('ip') is not installed: run 'make deps'")


def daemon_config(node_dir: Path, daemon: str) -> Path:
    """The file a daemon starts from: only its own lines, so it logs only real config errors."""
    return node_dir / f"{daemon}.conf"


def config_dir(paths: LabPaths, node: str) -> Path:
    """What ``vtysh --config_dir`` (and frr-reload.py's ``--confdir``) is given: the node's own
    directory, so frr-reload.py finds the candidate at ``<confdir>/frr.conf`` (it then does not
    'write' the running config over it).  vtysh -N reads ``<confdir>/<netns>/vtysh.conf``."""
    return paths.node_dir(node)


def vtysh_conf(paths: LabPaths, node: str) -> Path:
    return config_dir(paths, node) / paths.netns(node) / VTYSH_CONF


def write_cli_config(paths: LabPaths, node: str) -> None:
    """vtysh -N reads ``<config_dir>/<netns>/vtysh.conf``: without one every vtysh warns, and
    frr-reload.py needs it.  Its hostname is the node's, else vtysh's 'show running' carries the
    host's name and every reload would want to remove it."""
    owner = safe_io.frr_owner()
    d = safe_io.make_dir(vtysh_conf(paths, node).parent, mode=0o750, owner=owner)
    safe_io.write_file(d / VTYSH_CONF, f"hostname {node}\nservice integrated-vtysh-config\n",
                       mode=0o640, owner=owner)


def write_config_files(paths: LabPaths, node: str, files: dict[str, str]) -> None:
    """A router's rendered frr.conf and the per-daemon files cut from it (lab.config.render.frr_files),
    0640 frr-owned (TCP-MD5 passwords): what the router restarts from."""
    owner = safe_io.frr_owner()
    for fname, content in files.items():
        safe_io.write_file(paths.node_dir(node) / fname, content, mode=0o640, owner=owner)
