"""Everything of a lab that can outlive its harness, found by name: what ``down`` removes and what
the interruption tests and ``bench/interrupt.py`` check is gone afterwards.

A lab's processes are found three ways, because a ``kill -9`` of ``baglab up`` can stop it between
any two steps:

- by network namespace: every process inside one of the lab's namespaces (``bl_<lab>_*``), also
  after the namespace's name is deleted, when its inode was noted before;
- by command line: any argument naming the lab's namespaces (``bl_<lab>_``, FRR's ``-N``, the
  SecY's and speakers' last argument) or its state directory (``/run/baglab/<lab>/``);
- a ``baglab up`` of the lab still running (its forked children that have not yet entered a
  namespace carry its command line).

Zombies (state Z) count as gone: they hold no resources but a pid, and this sandbox's PID 1 does
not always reap orphans.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ..state import FRR_RUN, STATE_ROOT, LabPaths
from ..host import nsutil


def markers(name: str) -> tuple[bytes, ...]:
    paths = LabPaths(name)
    return (paths.ns_prefix.encode(), f"{STATE_ROOT / name}/".encode())


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
    inode is in ``inodes``), naming it on their command line, or a ``baglab up`` of it.
    The calling process and its ancestors are never included."""
    paths = LabPaths(name)
    inodes = set(inodes) | set(netns_inodes(nsutil.list_netns(paths.ns_prefix)))
    marks = markers(name)
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
            mine = any(m in raw for m in marks) or _is_up_of(raw.split(b"\0"), name)
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
    from .docker import LABEL_LAB, engine_or_none
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
