#!/usr/bin/env python3
"""Which of several link-bandwidth values on one route a receiver reads, per FRR version: the
evidence behind the oracle's aggregate rule (an aggregate carries every contributor's value).

On a lab of topologies/bag-agg.yaml that is up (``baglab up ... --name LAB [--frr V]``): one f1
STSW (r1-f1-p1s1) announces 200 instead of 800, so r1-bag1's aggregate 198.19.0.0/23 carries
{200, 400, 800} and r1-bag2's {400, 800}; the spoke's weights for it tell which value each path
was weighed by.  Prints what r2-bag1 and r2-bag2 received and hold, before and after; restores
the STSW.  ``sudo .venv/bin/python bench/aggregate_bandwidth.py --name LAB``
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.faults.unmark import set_bandwidth  # noqa: E402
from lab.observers.frr import vtysh  # noqa: E402
from lab.state import LabPaths  # noqa: E402
from lab.wait import poll  # noqa: E402

AGG, STSW = "198.19.0.0/23", "r1-f1-p1s1"


def seen(paths: LabPaths) -> dict:
    out = {}
    for n in ("r2-bag1", "r2-bag2"):
        j = json.loads(vtysh(paths.netns(n), f"show bgp ipv4 unicast {AGG} json"))
        r = subprocess.run(["ip", "-n", paths.netns(n), "-j", "route", "show", AGG], capture_output=True, text=True)
        rt = json.loads(r.stdout or "[]")
        hops = (rt[0].get("nexthops") or [rt[0]]) if rt else []
        out[n] = {"received": sorted((p["nexthops"][0]["ip"], p.get("extendedCommunity", {}).get("string", ""))
                                     for p in j.get("paths", [])),
                  "kernel": sorted((h.get("dev"), h.get("weight", 1)) for h in hops)}
    return out


def settled(paths: LabPaths) -> dict:
    hist: list[dict] = []

    def same():
        hist.append(seen(paths))
        return hist[-1] if len(hist) >= 3 and hist[-1] == hist[-2] == hist[-3] else None
    got = poll(same, 60.0, interval_s=1.0)
    if got is None:
        raise SystemExit("the FIB did not settle within 60 s")
    return got


def announce(paths: LabPaths, bw: int) -> None:
    set_bandwidth(paths, STSW, "ORIGIN4-800", bw)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", required=True)
    paths = LabPaths(ap.parse_args().name)
    rows = {"before": settled(paths)}
    announce(paths, 200)
    try:
        rows["after"] = settled(paths)
    finally:
        announce(paths, 800)
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
