"""The host's neighbour tables (ARP and NDP), shared by every namespace: sized for the labs that run.

The kernel keeps one table per family for all namespaces, capped by ``gc_thresh3`` (1,024 by
default).  Past the cap a resolution fails: routes through an unresolved next hop blackhole and a
probe's ``sendto`` gets EINVAL.  A 495-router design needs ~3,600 IPv6 entries, so ``up`` raises
the thresholds to what every running lab's links need (never lowers them), says so, remembers
the values it found, and the last ``down`` puts them back (unless someone changed them since)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lab import safe_io

PROC = Path("/proc/sys/net")
STAT = {"ipv4": Path("/proc/net/stat/arp_cache"), "ipv6": Path("/proc/net/stat/ndisc_cache")}
KEYS = ("gc_thresh1", "gc_thresh2", "gc_thresh3")
#: the file (in the labs' state root) that holds the values found before baglab raised them
SAVED = "host-neighbour-tables.json"


def needed(plans) -> dict[str, int]:
    """Entries the labs' links can hold per family: each end resolves its peer; over IPv6 routes
    point at link-local next hops, so both the global and the link-local address."""
    links = sum(len(p.links) for p in plans)
    return {"ipv4": 2 * links, "ipv6": 4 * links}


def targets(need: int) -> dict[str, int]:
    """Thresholds for ``need`` entries: none collected below the need (gc_thresh1; an idle
    next hop's entry must survive), room for probes and churn above it."""
    return {"gc_thresh1": need, "gc_thresh2": 2 * need, "gc_thresh3": 4 * need}


def _path(fam: str, key: str) -> Path:
    return PROC / fam / "neigh" / "default" / key


def current() -> dict[str, dict[str, int]]:
    return {fam: {k: int(_path(fam, k).read_text()) for k in KEYS} for fam in STAT}


@dataclass(frozen=True)
class Change:
    family: str
    key: str
    old: int
    new: int

    def __str__(self) -> str:
        return f"net.{self.family}.neigh.default.{self.key} {self.old:,} -> {self.new:,}"


def plan_changes(need: dict[str, int], now: dict[str, dict[str, int]]) -> list[Change]:
    """The raises ``need`` asks for: a threshold already high enough is left as it is."""
    out = []
    for fam, n in need.items():
        for key, want in targets(n).items():
            if want > now[fam][key]:
                out.append(Change(fam, key, now[fam][key], want))
    return out


def size_for(plans, state_root: Path) -> list[Change]:
    """Raise the thresholds for ``plans`` (every lab that will run), remembering the values found
    the first time; returns what changed."""
    now = current()
    changes = plan_changes(needed(plans), now)
    if not changes:
        return []
    saved = state_root / SAVED
    # root writes here: no planted symlink may redirect it (safe_io refuses to follow one)
    if not saved.exists():
        safe_io.make_dir(state_root)
        safe_io.write_file(saved, json.dumps({"found": now, "set": {}}, indent=1), mode=0o600)
    doc = json.loads(safe_io.read_text(saved))
    # 3 before 2 before 1 when raising: the kernel wants thresh1 <= thresh2 <= thresh3
    for c in sorted(changes, key=lambda c: c.key, reverse=True):
        _path(c.family, c.key).write_text(str(c.new))
        doc["set"].setdefault(c.family, {})[c.key] = c.new
    safe_io.write_file(saved, json.dumps(doc, indent=1), mode=0o600)
    return changes


def restore(state_root: Path) -> list[Change]:
    """Put back the values found before baglab raised them (the last lab is gone), where nobody
    changed them since; returns what was restored."""
    saved = state_root / SAVED
    if not saved.exists():
        return []
    doc = json.loads(safe_io.read_text(saved))
    now = current()
    out = []
    for fam, keys in doc["set"].items():
        for key in sorted(keys):          # 1 before 2 before 3 when lowering
            if now[fam][key] == keys[key]:
                old = doc["found"][fam][key]
                _path(fam, key).write_text(str(old))
                out.append(Change(fam, key, keys[key], old))
    saved.unlink()
    return out


def usage() -> dict[str, dict[str, int]]:
    """Per family: entries now, the cap, and how often the table was full since boot."""
    out = {}
    for fam, stat in STAT.items():
        head, *rows = stat.read_text().splitlines()
        # one row per CPU: 'entries' is the table's (the same in each), the counters are per CPU
        per_cpu = [dict(zip(head.split(), (int(x, 16) for x in r.split()))) for r in rows if r.strip()]
        out[fam] = {"entries": per_cpu[0]["entries"], "cap": int(_path(fam, "gc_thresh3").read_text()),
                    "table_fulls": sum(r["table_fulls"] for r in per_cpu)}
    return out


def full_message(before: dict | None = None) -> str | None:
    """One line naming a full neighbour table (None: neither is full nor was since ``before``)."""
    now = usage()
    for fam, u in now.items():
        rose = before is not None and u["table_fulls"] > before[fam]["table_fulls"]
        if rose or u["entries"] >= u["cap"]:
            return (f"the host's {fam} neighbour table is full ({u['entries']:,} entries, gc_thresh3 {u['cap']:,}, "
                    f"shared by every namespace): raise net.{fam}.neigh.default.gc_thresh1/2/3 or run fewer labs")
    return None
