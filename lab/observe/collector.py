"""What a route collector heard: every announcement and withdrawal, with receipt time.

Turns the recorder's JSONL (lab/nodes/collector.py) into flat events, so tests can ask
"was prefix P withdrawn at the far region, and when?" and "did anything else churn?".
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class UpdateEvent:
    t: float
    peer: str            # neighbour address the UPDATE came from
    kind: str            # "announce" | "withdraw"
    prefix: str
    bandwidth: float | None = None   # link-bandwidth in baglab units, when announced
    #: the UPDATE's path attributes as ExaBGP decoded them (announcements only)
    attributes: dict | None = field(default=None, compare=False, hash=False, repr=False)


def _nlris(entries) -> list[str]:
    out = []
    if isinstance(entries, dict):                    # {nexthop: [...]} or {prefix: {...}}
        for k, v in entries.items():
            if isinstance(v, (list, dict)) and "/" not in k:
                out += _nlris(v)
            else:
                out.append(k)
    elif isinstance(entries, list):
        for e in entries:
            if isinstance(e, dict) and "nlri" in e:
                out.append(e["nlri"])
            elif isinstance(e, str):
                out.append(e)
            else:
                out += _nlris(e)
    return out


def _bandwidth(attrs: dict) -> float | None:
    """Link bandwidth from ExaBGP's extended communities (raw 64-bit values): bytes/s -> baglab units."""
    import struct

    for c in attrs.get("extended-community", []) or []:
        value = c.get("value") if isinstance(c, dict) else None
        if not isinstance(value, int):
            continue
        raw = value.to_bytes(8, "big")
        if raw[1] == 0x04 and raw[0] in (0x00, 0x40):      # (non-)transitive two-octet-AS link bandwidth
            return struct.unpack("!f", raw[4:])[0] * 8 / 1e6
    return None


def parse(lines) -> list[UpdateEvent]:
    events = []
    for line in lines:
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        msg = rec.get("msg", {})
        if msg.get("type") != "update":
            continue
        nb = msg.get("neighbor", {})
        peer = nb.get("address", {}).get("peer", "?")
        upd = nb.get("message", {}).get("update", {})
        bw = _bandwidth(upd.get("attribute", {}))
        for fam, entries in upd.get("announce", {}).items():
            for p in _nlris(entries):
                events.append(UpdateEvent(rec["t"], peer, "announce", p, bw, upd.get("attribute", {})))
        for fam, entries in upd.get("withdraw", {}).items():
            for p in _nlris(entries):
                events.append(UpdateEvent(rec["t"], peer, "withdraw", p))
    return events


def read(path: Path, since: float = 0.0) -> list[UpdateEvent]:
    try:
        with open(path) as f:
            return [e for e in parse(f) if e.t >= since]
    except FileNotFoundError:
        return []


def established(path: Path) -> set[str]:
    """Peers whose session the collector last saw come up (ExaBGP 'state' messages)."""
    state: dict[str, str] = {}
    try:
        with open(path) as f:
            for line in f:
                try:
                    msg = json.loads(line).get("msg", {})
                except ValueError:
                    continue
                if msg.get("type") == "state":
                    nb = msg.get("neighbor", {})
                    state[nb.get("address", {}).get("peer", "?")] = nb.get("state", "?")
    except FileNotFoundError:
        pass
    return {p for p, s in state.items() if s == "up"}
