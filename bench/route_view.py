"""What one router received for a prefix (next hop and extended communities per path) and what its
kernel installed (device and weight per hop), and a wait until three readings agree: the reading
the weight-rule benches (aggregate_bandwidth.py, min_weight.py) compare across FRR versions."""
from __future__ import annotations

import json
import subprocess
from typing import Callable

from lab.frr.show import show
from lab.state import LabPaths
from lab.wait import poll


def route_view(paths: LabPaths, node: str, prefix: str) -> dict:
    j = json.loads(show(paths.netns(node), f"show bgp ipv4 unicast {prefix} json"))
    r = subprocess.run(["ip", "-n", paths.netns(node), "-j", "route", "show", prefix], capture_output=True, text=True)
    rt = json.loads(r.stdout or "[]")
    hops = (rt[0].get("nexthops") or [rt[0]]) if rt else []
    return {"received": sorted((p["nexthops"][0]["ip"], p.get("extendedCommunity", {}).get("string", ""))
                               for p in j.get("paths", [])),
            "kernel": sorted((h.get("dev"), h.get("weight", 1)) for h in hops)}


def settled(read: Callable[[], dict], done: Callable[[dict], bool] = lambda v: True, what: str = "") -> dict:
    """``read()`` once a second until three readings in a row agree (and ``done`` holds); 60 s."""
    hist: list[dict] = []

    def same():
        hist.append(read())
        ok = len(hist) >= 3 and hist[-1] == hist[-2] == hist[-3] and done(hist[-1])
        return hist[-1] if ok else None
    got = poll(same, 60.0, interval_s=1.0)
    if got is None:
        raise SystemExit(f"the FIB did not settle{what} within 60 s: {hist[-1] if hist else '-'}")
    return got
