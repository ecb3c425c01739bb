"""Everything of a lab that can outlive its harness: what ``down`` removes and what the
interruption tests and ``bench/interrupt.py`` check is gone afterwards.

``down`` ends only processes baglab started, never one that merely mentions the lab (an
operator's ``tail -f`` of a node's log, a ``watch`` over its state).  A ``kill -9`` of ``baglab
up`` can stop it between any two steps, so nothing is taken from a record; a process is the lab's
when it is

- inside one of the lab's network namespaces (``bl_<lab>_*``), also after the namespace's name is
  deleted, when its inode was noted before;
- of one of the shapes baglab starts, naming the lab (:func:`is_lab_command`): an FRR daemon with
  ``-N <lab namespace>`` (or the version root's ``unshare``/``sh``/``chroot`` wrapper on its way to
  one), a baglab Python helper (``-m`` SecY shim, forwarder, speaker, ExaBGP's feed and recorder)
  whose last argument is a lab namespace, ExaBGP on a node's ``exabgp.conf``, ``containerlab
  deploy`` of the lab's topology file.  Each names the lab so that ``down`` finds it also where
  membership does not tell: containerlab works in the host's namespace, and an interrupted
  ``down`` may have deleted a namespace's name without noting its inode;
- a ``baglab up`` of the lab still running (its forked children that have not yet entered a
  namespace carry its command line).

Zombies (state Z) count as gone: they hold no resources but a pid, and this sandbox's PID 1 does
not always reap orphans.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from lab.state import FRR_RUN, STATE_ROOT, LabPaths
from lab.host import nsutil
from lab.runtime.docker_engine import LABEL_LAB, engine_or_none


#: FRR daemons baglab starts (mgmtd: FRR 10's roots; staticd, watchfrr: what an image may start)
FRR_DAEMONS = (b"zebra", b"bgpd", b"bfdd", b"staticd", b"mgmtd", b"watchfrr")
#: lab.frr.root.in_root's chain before it execs the daemon
ROOT_WRAPPERS = (b"unshare", b"sh", b"chroot")
#: baglab's own helpers, run as ``python -m MODULE ... <namespace>``
HELPER_MODULES = (b"lab.macsec.shim", b"lab.forwarder.loop", b"lab.nodes.speaker", b"lab.nodes.collector",
                  b"lab.nodes.exabgp_feed")


def markers(name: str) -> tuple[bytes, ...]:
    """The lab's namespace prefix and state directory: what its processes' command lines name."""
    paths = LabPaths(name)
    return (paths.ns_prefix.encode(), f"{STATE_ROOT / name}/".encode())


def _base(arg: bytes) -> bytes:
    return arg.rsplit(b"/", 1)[-1]


def _frr_daemon(cmd: list[bytes], is_ns) -> bool:
    """``<bin>/<daemon> ... -N <ns>``, directly or as the tail of the version root's wrapper."""
    for i, a in enumerate(cmd):
        if _base(a) in FRR_DAEMONS and (i == 0 or _base(cmd[0]) in ROOT_WRAPPERS):
            args = cmd[i + 1:]
            return any(x in (b"-N", b"--pathspace") and is_ns(y) for x, y in zip(args, args[1:]))
    return False


def _frr_reload(cmd: list[bytes], is_ns) -> bool:
    """A rollout's ``frr-reload.py -N <ns>`` (run by its interpreter, or in the version root's
    wrapper), which a killed rollout can leave behind until its timeout."""
    for i, a in enumerate(cmd):
        if _base(a) == b"frr-reload.py" and (i == 0 or _base(cmd[0]).startswith(b"python") or _base(cmd[0]) in ROOT_WRAPPERS):
            args = cmd[i + 1:]
            return any(x == b"-N" and is_ns(y) for x, y in zip(args, args[1:]))
    return False


def _python_helper(cmd: list[bytes], is_ns) -> bool:
    """``python -m <helper module> ... <ns>``."""
    if not _base(cmd[0]).startswith(b"python") or len(cmd) < 4:
        return False
    return any(x == b"-m" and y in HELPER_MODULES for x, y in zip(cmd, cmd[1:])) and is_ns(cmd[-1])


def is_lab_command(cmd: list[bytes], name: str) -> bool:
    """Whether a command line (/proc/PID/cmdline split at NULs) is one of the processes baglab
    starts for the lab."""
    prefix, state = markers(name)
    cmd = cmd[:-1] if cmd[-1:] == [b""] else cmd     # cmdline ends with a NUL
    if not cmd:
        return False

    def is_ns(a: bytes) -> bool:
        return a.startswith(prefix) and len(a) > len(prefix)

    def lab_file(a: bytes, suffix: bytes) -> bool:
        return a.startswith(state) and a.endswith(suffix)
    if _frr_daemon(cmd, is_ns) or _frr_reload(cmd, is_ns) or _python_helper(cmd, is_ns) or _is_up_of(cmd, name):
        return True
    # ExaBGP (a Python script: its interpreter may come first) on a node's config
    if any(_base(a) == b"exabgp" for a in cmd[:2]) and any(lab_file(a, b"/exabgp.conf") for a in cmd[1:]):
        return True
    # containerlab deploying the lab's topology (lab.runtime.clab), in the host's namespace
    return (_base(cmd[0]) == b"containerlab" and b"deploy" in cmd
            and any(x == b"-t" and lab_file(y, b".clab.yml") for x, y in zip(cmd, cmd[1:])))


def _is_up_of(cmd: list[bytes], name: str) -> bool:
    """``baglab up ... --name NAME`` (or ``python -m lab.cli up``), the harness building this lab."""
    if b"up" not in cmd or not any(a.endswith(b"baglab") or a == b"lab.cli" for a in cmd[:3]):
        return False
    n = name.encode()
    for i, a in enumerate(cmd):
        if a in (b"--name", b"-n") and i + 1 < len(cmd) and cmd[i + 1] == n:
            return True
        if a == b"--name=" + n:
            return True
    return False


def _ancestors() -> set[int]:
    out, pid = set(), os.getpid()
    while pid > 1 and pid not in out:
        out.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            pid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return out


def lab_pids(name: str, inodes: set[int] | frozenset[int] = frozenset()) -> list[int]:
    """Live (not zombie) processes of the lab: in one of its namespaces (named now, or whose
    inode is in ``inodes``), or of a shape baglab starts for it (:func:`is_lab_command`).
    The calling process and its ancestors are never included."""
    paths = LabPaths(name)
    inodes = set(inodes) | set(netns_inodes(nsutil.list_netns(paths.ns_prefix)))
    skip = _ancestors()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if pid in skip:
            continue
        mine = False
        if inodes:
            try:
                mine = os.stat(f"/proc/{pid}/ns/net").st_ino in inodes
            except OSError:
                continue
        if not mine:
            raw = nsutil.cmdline(pid)
            if not raw:
                continue
            mine = is_lab_command(raw.split(b"\0"), name)
        if mine and nsutil._alive(pid):
            found.append(pid)
    return sorted(found)


def netns_inodes(names: list[str]) -> dict[int, str]:
    out = {}
    for n in names:
        try:
            out[os.stat(nsutil.NETNS_DIR / n).st_ino] = n
        except OSError:
            pass
    return out


def host_nft_tables(name: str) -> list[str]:
    """nftables tables in the host's namespace named after baglab or this lab (the lab's own
    tables live inside its namespaces and go with them)."""
    try:
        r = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [l.strip() for l in r.stdout.splitlines()
            if l.startswith("table") and ("baglab" in l or LabPaths(name).ns_prefix in l)]


def containers(name: str) -> list[str]:
    client = engine_or_none()
    if client is None:
        return []
    return sorted(n.lstrip("/") for c in client.api.containers(all=True, filters={"label": f"{LABEL_LAB}={name}"})
                  for n in c.get("Names", [])[:1])


def remnants(name: str, inodes: set[int] | frozenset[int] = frozenset(), docker: bool = True) -> dict:
    """What is left of the lab on this host; every value empty (or False) when nothing is."""
    paths = LabPaths(name)
    out = {"namespaces": nsutil.list_netns(paths.ns_prefix),
           "processes": lab_pids(name, inodes),
           "frr_dirs": sorted(p.name for p in nsutil.own_dirs(FRR_RUN, paths.ns_prefix)),
           "state": paths.root.exists(),
           "nft_tables": host_nft_tables(name)}
    if docker:
        out["containers"] = containers(name)
    return out


def _cmd(pid: int) -> str:
    return nsutil.cmdline(pid).replace(b"\0", b" ").decode(errors="replace")[:100]


def describe(left: dict) -> str:
    """The non-empty entries, with each process's command line: what a failed check reports."""
    parts = []
    for k, v in left.items():
        if not v:
            continue
        if k == "processes":
            v = [f"{p} {_cmd(p)}" for p in v]
        parts.append(f"{k}: {v}")
    return "; ".join(parts) or "nothing"
