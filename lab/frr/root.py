"""Daemons of an FRR version the host does not run, started from that version's root filesystem
(lab.frr.roots) inside the node's network namespace.

Each process gets a private mount namespace in which the host's /proc, /sys, /dev and /run are
bound into the root before it chroots: the node's config, log and vtysh sockets all live under
/run (lab.state), so the daemons read and write exactly what a host FRR would, and the mounts
vanish with the last process of that namespace.  The same wrapper runs the root's own vtysh and
frr-reload.py, so a node is always queried by its own version's grammar."""
from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

#: inside the root, FRR is where Debian puts it (BAGLAB_FRR_BIN is the host's)
ROOT_FRR_BIN = "/usr/lib/frr"
_WRAP = ('root=$1; state=$2; shift 2; for d in proc sys dev run; do mount --rbind "/$d" "$root/$d"; done; '
         'case "$state" in /run/*) ;; *) mkdir -p "$root$state"; mount --rbind "$state" "$root$state";; esac; '
         'exec chroot "$root" "$@"')


def needs_mgmtd(root: Path | None) -> bool:
    """FRR 10's zebra reports interface state to mgmtd every 10 ms and logs an error each time
    none listens (90 MB of log in half an hour on one router): those versions get mgmtd first."""
    return root is not None and (root / "usr/lib/frr/mgmtd").exists()


def mgmtd_argv(ns: str, pid_dir: str) -> list[str]:
    """mgmtd holds no baglab config (the daemons read their own files) and takes no -f."""
    return [f"{ROOT_FRR_BIN}/mgmtd", "-d", "-N", ns, "-P", "0", "-i", f"{pid_dir}/mgmtd.pid"]


def in_root(root: Path | None, argv: list[str]) -> list[str]:
    """``argv`` run inside ``root`` (unchanged for the host's own FRR, root None)."""
    if root is None:
        return argv
    # the lab's state (configs, logs, sockets) is under /run unless BAGLAB_STATE moved it: then it
    # is bound in too, at the same path
    state = os.path.realpath(os.environ.get("BAGLAB_STATE", "/run/baglab"))
    return ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-ec", _WRAP, "sh", str(root), state, *argv]


class StartedDaemon:
    """A daemon started with ``-d`` whose stderr is a file, not a pipe: FRR 10.x keeps the
    stderr it was started with open after daemonizing (8.4 closes it), so reading a pipe to its
    end would wait for the daemon to exit.  Looks like a Popen to the launcher."""

    def __init__(self, argv: list[str], preexec_fn):
        self._err = tempfile.TemporaryFile()
        self._p = subprocess.Popen(argv, preexec_fn=preexec_fn, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=self._err, start_new_session=True)

    @property
    def returncode(self) -> int | None:
        return self._p.returncode

    def communicate(self, timeout: float | None = None) -> tuple[bytes, bytes]:
        self._p.wait(timeout)
        self._err.seek(0)
        err = self._err.read()
        self._err.close()
        return b"", err


def daemons_root(netns: str) -> Path | None:
    """The root the node's FRR runs from, read off its running daemons (/proc/PID/root): callers
    that know only a namespace (live configuration, faults) reach the right vtysh without the
    plan.  None: the host's FRR (or no FRR running)."""
    from lab.host import nsutil
    for pid in nsutil.pids_by_netns([netns])[netns]:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() in ("zebra", "bgpd"):
                root = os.readlink(f"/proc/{pid}/root")
                return None if root == "/" else Path(root)
        except OSError:
            continue
    return None
