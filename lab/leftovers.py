"""What a killed baglab process leaves outside any lab, and its removal.

A root or image build works in a temporary directory (``<cache>/frr-<version>/.build-*``,
``<cache>/rootfs-*``) and the kernel-MACsec probe in a throwaway namespace (``bl_probe_*``); a
``kill -9`` leaves them behind, and ``down --all`` cannot tie them to a lab.  So each carries its
creator in its name, ``<pid>-<start time>``: it is stale once that process is gone (the start
time tells a reused pid apart) and nothing alive uses it (an orphaned debootstrap, a process in
the namespace).  Names of the older scheme, without an owner, count as stale only when old and
unused.  Anything whose name is neither is never touched.
"""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

# lab.host's helpers are not used here: lab.host imports lab.design.plan, which imports the root builds
NETNS_DIR = Path("/run/netns")

BUILD_PREFIX, ROOTFS_PREFIX, PROBE_PREFIX = ".build-", "rootfs-", "bl_probe_"
# what mkdtemp appends, and the older names' random parts (no owner in them)
_RAND = r"[a-z0-9_]{8}"
_OWNER = r"(?P<pid>\d+)-(?P<start>\d+)"
_DIR_RE = re.compile(rf"(?:\.build-|rootfs-)(?:{_OWNER}-)?{_RAND}")
_PROBE_RE = re.compile(rf"bl_probe_(?:{_OWNER}_)?[0-9a-f]{{8}}")
_VERSION_DIR_RE = re.compile(r"frr-\d+\.\d+")
# an owner-less name is stale only past these ages: a build takes minutes, a probe milliseconds
LEGACY_BUILD_AGE_S = 3600.0
LEGACY_PROBE_AGE_S = 600.0


def start_time(pid: int) -> int | None:
    """The process's start (clock ticks since boot, /proc/PID/stat field 22); None when it is
    gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else int(fields[19])


def owner_tag() -> str:
    return f"{os.getpid()}-{start_time(os.getpid())}"


def owner_of(name: str) -> tuple[int, int] | None | bool:
    """(pid, start) of the process a build directory or probe namespace name records; False for
    a name of the older scheme (baglab's, no owner); None for a name baglab does not make."""
    m = _DIR_RE.fullmatch(name) or _PROBE_RE.fullmatch(name)
    if not m:
        return None
    return (int(m["pid"]), int(m["start"])) if m["pid"] else False


def owner_alive(pid: int, start: int) -> bool:
    return start_time(pid) == start


def is_stale(owner: tuple[int, int] | bool, age_s: float, legacy_age_s: float, in_use: bool) -> bool:
    """The one rule: never while something alive uses it; else when its owner is dead, or, for an
    owner-less name, when it is older than any build (probe) could take."""
    if in_use:
        return False
    if owner is False:
        return age_s >= legacy_age_s
    return not owner_alive(*owner)


def build_dir(parent: Path, prefix: str) -> Path:
    """A new temporary directory in ``parent`` named after this process (mkdtemp: 0700)."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{owner_tag()}-", dir=parent))


def probe_netns_name() -> str:
    return f"{PROBE_PREFIX}{owner_tag()}_{uuid.uuid4().hex[:8]}"


def mounts_under(path: str, mountinfo: str) -> list[str]:
    """Mount points at or below ``path`` in /proc/self/mountinfo text, deepest first."""
    out = []
    for line in mountinfo.splitlines():
        parts = line.split()
        if len(parts) < 5:
            continue
        mp = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), parts[4])   # \040 is a space
        if mp == path or mp.startswith(path + "/"):
            out.append(mp)
    return sorted(out, key=lambda p: p.count("/"), reverse=True)


def _mountinfo() -> str:
    return Path("/proc/self/mountinfo").read_text()


def dir_in_use(path: Path) -> bool:
    """A live process works in it: its root or cwd is inside, or it names it on its command line
    (debootstrap, cp, tar of a build whose Python parent was killed)."""
    real = os.path.realpath(path)
    names = {real.encode(), str(path).encode()}
    for pid in _pids():
        for link in ("root", "cwd"):
            try:
                target = os.readlink(f"/proc/{pid}/{link}")
            except OSError:
                continue
            if target == real or target.startswith(real + "/"):
                return True
        if any(n in _cmdline(pid) for n in names):
            return True
    return False


def netns_in_use(name: str) -> bool:
    """A live process is inside the namespace or names it (an ``ip -n`` of a killed probe)."""
    try:
        inode = os.stat(NETNS_DIR / name).st_ino
    except OSError:
        return False
    for pid in _pids():
        try:
            if os.stat(f"/proc/{pid}/ns/net").st_ino == inode and start_time(pid) is not None:
                return True
        except OSError:
            continue
        if name.encode() in _cmdline(pid).split(b"\0"):
            return True
    return False


def _pids() -> list[int]:
    return [int(e.name) for e in os.scandir("/proc") if e.name.isdigit()]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def probe_namespaces() -> list[str]:
    return sorted(e.name for e in _scandir(NETNS_DIR) if e.name.startswith(PROBE_PREFIX))


def remove_dir(path: Path) -> bool:
    """Unmount what a killed debootstrap left mounted inside (its /proc, a bind of /dev), then
    remove it without leaving its file system: never the host's files behind a mount."""
    real = os.path.realpath(path)
    for mp in mounts_under(real, _mountinfo()):
        if subprocess.run(["umount", mp], capture_output=True).returncode != 0:
            subprocess.run(["umount", "--lazy", mp], capture_output=True)
    if mounts_under(real, _mountinfo()):
        return False
    subprocess.run(["rm", "-rf", "--one-file-system", "--", real], capture_output=True)
    return not os.path.lexists(real)


def build_dirs(cache: Path) -> list[Path]:
    """Every directory in ``cache`` named like a build's work directory, whoever owns it."""
    out = []
    for parent in [cache] + [Path(e.path) for e in _scandir(cache)
                             if _VERSION_DIR_RE.fullmatch(e.name) and e.is_dir(follow_symlinks=False)]:
        want = ROOTFS_PREFIX if parent == cache else BUILD_PREFIX
        out += [Path(e.path) for e in _scandir(parent)
                if e.name.startswith(want) and owner_of(e.name) is not None and e.is_dir(follow_symlinks=False)]
    return sorted(out)


def _scandir(d: Path) -> list[os.DirEntry]:
    try:
        return list(os.scandir(d))
    except OSError:
        return []


def _age(path: Path) -> float:
    try:
        return time.time() - os.lstat(path).st_mtime
    except OSError:
        return 0.0


@dataclass
class Swept:
    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)     # stale, but would not go (a busy mount)


def sweep_build_dirs(cache: Path, rep: Swept | None = None) -> Swept:
    rep = rep or Swept()
    for d in build_dirs(cache):
        if is_stale(owner_of(d.name), _age(d), LEGACY_BUILD_AGE_S, dir_in_use(d)):
            (rep.removed if remove_dir(d) else rep.failed).append(str(d))
    return rep


def sweep_probe_namespaces(rep: Swept | None = None) -> Swept:
    rep = rep or Swept()
    for ns in probe_namespaces():
        owner = owner_of(ns)
        # a namespace's file is its nsfs inode, whose times are those of its creation
        if owner is None or not is_stale(owner, _age(NETNS_DIR / ns), LEGACY_PROBE_AGE_S,
                                         netns_in_use(ns)):
            continue
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        (rep.failed if os.path.lexists(NETNS_DIR / ns) else rep.removed).append(ns)
    return rep


def sweep(cache: Path) -> Swept:
    """Remove every stale build directory under ``cache`` and every stale probe namespace."""
    return sweep_probe_namespaces(sweep_build_dirs(cache))
