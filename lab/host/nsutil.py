"""Low-level namespace plumbing shared by runtimes and observers.

Processes are found by the network namespace they live in (inode match over
/proc), not by pid files, so daemons of a crashed harness are still found.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from pathlib import Path

NETNS_DIR = Path("/run/netns")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def setns(ns_name: str) -> None:
    """Move the calling thread into a named netns (used in preexec_fn and worker threads)."""
    fd = os.open(NETNS_DIR / ns_name, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({ns_name}): {os.strerror(err)}")
    finally:
        os.close(fd)


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def list_netns(prefix: str = "") -> list[str]:
    try:
        return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(prefix))
    except FileNotFoundError:
        return []


def own_dirs(parent: Path, prefix: str) -> list[Path]:
    """Real directories (not symlinks) in ``parent`` whose name starts with ``prefix``: a plain prefix
    test, not a glob, so a name can never match another lab's directories by pattern."""
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return []
    return [Path(e.path) for e in entries if e.name.startswith(prefix) and e.is_dir(follow_symlinks=False)]


def pids_by_netns(names: list[str]) -> dict[str, list[int]]:
    """ns name -> pids of processes inside it, in one pass over /proc."""
    inodes = {}
    for n in names:
        try:
            inodes[os.stat(NETNS_DIR / n).st_ino] = n
        except OSError:
            pass
    out: dict[str, list[int]] = {n: [] for n in names}
    if not inodes:
        return out
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            ino = os.stat(f"/proc/{entry.name}/ns/net").st_ino
        except OSError:
            continue
        if ino in inodes:
            out[inodes[ino]].append(int(entry.name))
    return out


def pids_by_cmdline(marker: str) -> list[int]:
    """Processes whose command line names the marker (e.g. an FRR -N pathspace prefix)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{entry.name}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        daemon = cmd[0].endswith((b"zebra", b"bfdd", b"bgpd", b"exabgp", b"watchfrr")) or b"lab.nodes.speaker" in cmd
        if daemon and any(arg.decode(errors="replace").startswith(marker) for arg in cmd[1:]):
            found.append(int(entry.name))
    return found


def kill_all(pids: list[int], deadline_s: float = 5.0, crash: bool = False) -> list[int]:
    """SIGTERM, then SIGKILL what is left at the deadline (SIGKILL only when ``crash``);
    returns pids that would not die."""
    for sig in (signal.SIGKILL,) if crash else (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        end = time.monotonic() + (deadline_s if sig == signal.SIGTERM else 2.0)
        while time.monotonic() < end:
            pids = [p for p in pids if _alive(p)]
            if not pids:
                return []
            time.sleep(0.02)
    return pids


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def ip_batch(lines: list[str]) -> None:
    """Run iproute2 commands in one process; fails with the offending line."""
    if not lines:
        return
    r = subprocess.run(["ip", "-batch", "-"], input="\n".join(lines) + "\n", text=True, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError(f"ip -batch failed: {r.stderr.strip()}")


def in_netns(ns_name: str, fn):
    """Run fn in a thread parked in the namespace (its sockets and /proc/sys/net belong to it);
    returns fn's value, re-raises its exception.  No fork per call."""
    import threading

    box: dict = {}

    def work():
        try:
            setns(ns_name)
            box["v"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["e"] = exc

    t = threading.Thread(target=work)
    t.start()
    t.join()
    if "e" in box:
        raise box["e"]
    return box.get("v")


def write_sysctls(ns_name: str, values: dict[str, str]) -> None:
    """Set per-namespace sysctls from a thread parked in the namespace."""
    def work():
        for key, val in values.items():
            Path("/proc/sys", *key.split(".")).write_text(val)
    in_netns(ns_name, work)


def spawn_in(ns_name: str, argv: list[str], log_fd: int, env: dict | None = None) -> subprocess.Popen:
    """A process in the namespace, in its own session (a lab's 'down' kills it, not the caller's
    Ctrl-C), its output appended to log_fd."""
    return subprocess.Popen(argv, env=env, preexec_fn=lambda: setns(ns_name), stdin=subprocess.DEVNULL,
                            stdout=log_fd, stderr=subprocess.STDOUT, start_new_session=True)
