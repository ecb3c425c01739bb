#!/usr/bin/env python3
"""Does a short link flap leave zebra's RIB and the kernel's nexthop group apart, per FRR version?

FRR 8.4.4 with kernel nexthop groups loses a group member after a ~10 ms flap and never heals
(docs/explanation/emulation-boundary.md).  This repeats the reproduction of tests/convergence/test_rib_fib.py
(bag-mini, bare veths between BAGs, ``policy.kernel_nexthop_groups: true``) on each version, several
flaps per lab, so a fix is told apart from luck.  After each flap the lab gets ``--settle`` seconds
to heal; a flap that leaves a RIB/FIB difference is counted and the lab is rebuilt before the next.

Run as root: ``sudo .venv/bin/python bench/nhg_flap.py --frr 8.4 10.3 10.7 [--flaps 5] [--json]``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyroute2 import IPRoute  # noqa: E402

from lab.workflows.build import up  # noqa: E402
from lab.observe.converge import wait_rib_fib  # noqa: E402
from lab.observe.settle import Strategy, settle  # noqa: E402
from lab.runtime import down_lab  # noqa: E402
from lab.state import LabPaths  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
#: the thick bundle (3 members): its members are flapped in turn, the first is the test's
BUNDLE = "r1-bag1~r2-bag1"


def nhg_topology(directory: Path) -> Path:
    """bag-mini with kernel nexthop groups on and bare veths between BAGs (the test's reproduction)."""
    topo = directory / "nhg.yaml"
    topo.write_text((ROOT / "topologies/bag-mini.yaml").read_text().replace("name: bag-mini", "name: bag-mini-nhg")
                    .replace("macsec: required", "macsec: off") + "policy:\n  kernel_nexthop_groups: true\n")
    return topo


def flap(paths: LabPaths, node: str, ifname: str, seconds: float) -> None:
    with IPRoute(netns=paths.netns(node)) as ipr:
        idx = ipr.link_lookup(ifname=ifname)[0]
        ipr.link("set", index=idx, state="down")
        time.sleep(seconds)          # the fault's duration, not a synchronisation
        ipr.link("set", index=idx, state="up")


def one_flap(plan, paths: LabPaths, bundle: str, member: int, seconds: float, settle_s: float) -> dict:
    link = next(l for l in plan.links if l.bundle == bundle and l.member == member)
    flap(paths, link.a.node, link.a.ifname, seconds)
    conv = settle(plan, paths, Strategy.CONVERGED, deadline_s=settle_s)
    diverged = wait_rib_fib(plan, paths, [n.name for n in plan.nodes], deadline_s=5)
    return {"link": f"{bundle}#{member}", "converged": conv.ok, "seconds": round(conv.seconds, 2),
            "rib_fib": diverged[:6], "rib_fib_count": len(diverged),
            "fib_vs_oracle": [str(m) for m in conv.mismatches[:3]]}


def run_version(version: str, topo: Path, flaps: int, seconds: float, settle: float) -> dict:
    paths = LabPaths(f"fdnhg{os.getpid() % 1000}")
    trials: list[dict] = []
    plan = None
    try:
        for i in range(flaps):
            if plan is None:
                down_lab(paths)
                plan = up(topo, paths.name, frr=None if version == "host" else version).plan
            t = one_flap(plan, paths, BUNDLE, 1 + i % 3, seconds, settle)
            trials.append(t)
            if t["rib_fib_count"] or not t["converged"]:
                plan = None              # a diverged lab stays diverged: rebuild for the next flap
    finally:
        down_lab(paths)
    bad = sum(1 for t in trials if t["rib_fib_count"] or not t["converged"])
    return {"frr": version, "flaps": len(trials), "diverged": bad, "trials": trials,
            "load": os.getloadavg()[0]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frr", nargs="+", default=["8.4"], help="versions, one after the other in this run")
    ap.add_argument("--flaps", type=int, default=5)
    ap.add_argument("--down-ms", type=float, default=10.0, help="how long the link stays down")
    ap.add_argument("--settle", type=float, default=15.0, help="seconds a flap gets to heal")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        topo = nhg_topology(Path(tmp))
        rows = [run_version(v, topo, a.flaps, a.down_ms / 1000, a.settle) for v in a.frr]
    if a.json:
        print(json.dumps(rows, indent=1))
        return 0
    for r in rows:
        for t in r["trials"]:
            print(f"{r['frr']:<5} {t['link']:<20} converged={t['converged']} ({t['seconds']} s) "
                  f"RIB/FIB differences {t['rib_fib_count']}: {t['rib_fib'][:2]}")
    print("\n| FRR | flaps (~%g ms) | RIB/FIB diverged | load (1 min) |" % a.down_ms)
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['frr']} | {r['flaps']} | {r['diverged']} | {r['load']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
