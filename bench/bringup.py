#!/usr/bin/env python3
"""Bring-up cost per phase: wall time and memory, for bag-mini and a generated 100+ router lab.

Run as root: ``sudo .venv/bin/python bench/bringup.py [--json]``.  Memory is the
proportional set size (PSS) of every process in the lab's namespaces, so shared
FRR libraries are counted once, plus the peak RSS of this harness.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.build import lab_memory_mb, up  # noqa: E402
from lab.generate import generate  # noqa: E402
from lab.runtime.netns import NetnsRuntime  # noqa: E402
from lab.state import LabPaths  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def run(label: str, topology: Path, lab: str) -> dict:
    NetnsRuntime(LabPaths(lab)).down()
    t0 = time.monotonic()
    res = up(topology, lab)
    total = time.monotonic() - t0
    mem = lab_memory_mb(LabPaths(lab), res.plan)
    t1 = time.monotonic()
    NetnsRuntime(LabPaths(lab)).down()
    n = len(res.plan.nodes)
    return {"topology": label, "routers": n, "links": len(res.plan.links),
            "sessions": len(res.plan.links) * len(res.plan.address_families),
            "phases": [{"phase": p.name, "seconds": round(p.seconds, 3), "lab_pss_mb": round(p.lab_rss_mb, 1),
                        "harness_peak_mb": round(p.harness_peak_mb, 1)} for p in res.phases],
            "up_seconds": round(total, 2), "lab_pss_mb": round(mem, 1), "pss_per_router_mb": round(mem / n, 1),
            "down_seconds": round(time.monotonic() - t1, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--runtime", default="netns", choices=["netns"], help="only the netns runtime exists so far")
    ap.add_argument("--regions", type=int, default=4)
    ap.add_argument("--planes", type=int, default=4)
    ap.add_argument("--nsf", type=int, default=3, help="NSF fabrics per region")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        gen = Path(tmp) / "bag-gen.yaml"
        gen.write_text(generate("bag-gen", regions=args.regions, planes=args.planes, nsf_per_region=args.nsf))
        results = [run("bag-mini", ROOT / "topologies/bag-mini.yaml", "bench-mini"),
                   run("generated", gen, "bench-gen")]
    if args.json:
        print(json.dumps(results, indent=1))
        return
    for r in results:
        print(f"\n{r['topology']}: {r['routers']} routers, {r['links']} links, {r['sessions']} BGP sessions "
              f"[runtime {args.runtime}]")
        print(f"  {'phase':<12} {'wall s':>8} {'lab PSS MB':>11} {'harness peak MB':>16}")
        for p in r["phases"]:
            print(f"  {p['phase']:<12} {p['seconds']:>8.2f} {p['lab_pss_mb']:>11.1f} {p['harness_peak_mb']:>16.1f}")
        print(f"  up (total)   {r['up_seconds']:>8.2f}   memory per router {r['pss_per_router_mb']} MB (PSS)"
              f"   down {r['down_seconds']:.2f}s")


if __name__ == "__main__":
    main()
