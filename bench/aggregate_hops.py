#!/usr/bin/env python3
"""Which link-bandwidth values an aggregate carries, hop by hop, per FRR version.

FRR 8.4 merges the contributors' extended communities into ``aggregate-address ... as-set``, so
the aggregate carries several link-bandwidth values (docs/how-to/drains-aggregation-domains.md).  This
brings up bag-agg on each ``--frr`` version and prints, for the hub's IPv4 aggregate, the
values each spoke router receives from the hub (and how many paths), what a spoke STSW receives
from a spoke BAG router (which re-advertises with ``bandwidth cumulative``), the bandwidth the
oracle expects there, and whether every FIB equals the oracle.

Run as root: ``sudo .venv/bin/python bench/aggregate_hops.py --frr 8.4 10.3 10.7 [--lab-prefix agb]``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.config.oracle import expected_routes  # noqa: E402
from lab.workflows.build import up  # noqa: E402
from lab.frr.show import show_json  # noqa: E402
from lab.runtime import down_lab  # noqa: E402
from lab.state import LabPaths  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
#: spoke BAG routers (hear the hub's aggregate) and a spoke STSW (hears r2-bag1's re-advertisement)
HOPS = ("r2-bag1", "r2-bag2", "r2-f3-p1s1")


def received(paths: LabPaths, node: str, prefix: str) -> list[str]:
    """The extended communities of every path ``node`` holds for ``prefix``, as FRR prints them."""
    got = show_json(paths.netns(node), f"show bgp ipv4 unicast {prefix} json")
    return [f"from {p.get('peer', {}).get('hostname', '?')}: {p.get('extendedCommunity', {}).get('string', '(none)')}"
            for p in got.get("paths", [])]


def run(version: str, lab: str) -> dict:
    paths = LabPaths(lab)
    down_lab(paths)
    try:
        res = up(ROOT / "topologies/bag-agg.yaml", lab, frr=version)
        plan = res.plan
        agg = next(a.prefix for a in plan.aggregates if a.family == "ipv4")
        want = expected_routes(plan)
        return {"frr": version, "aggregate": agg, "converged_to_oracle": res.convergence.ok,
                "load": round(os.getloadavg()[0], 2),
                "hops": {node: {"received": received(paths, node, agg),
                                "oracle_bandwidths": sorted({h.bandwidth for h in want[node].get(agg, [])})}
                         for node in HOPS}}
    finally:
        down_lab(paths)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frr", nargs="+", default=["8.4"])
    ap.add_argument("--lab-prefix", default="agb")
    a = ap.parse_args()
    for v in a.frr:
        print(json.dumps(run(v, f"{a.lab_prefix}{v.replace('.', '')}"), indent=1), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
