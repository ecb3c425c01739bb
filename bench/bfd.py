#!/usr/bin/env python3
"""Silent failures with and without BFD: bag-mini with ``policy.bfd`` at the
given timers, and without, each failure the same: every frame dropped at both ends of one link
(nftables, the ports stay up), measured as bench/convergence.py measures (last FIB change in any
router after the fault, every sample checked against the oracle).  protected = a MACsec-protected
BAG-to-BAG member (BFD crosses the SecY), uplink = a plain STSW/edge-to-BAG member.  Run as root:
``sudo .venv/bin/python bench/bfd.py [--samples 3] [--timers 300x3 100x3] [--json]``.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lab.workflows.build import up  # noqa: E402
from lab.verdict.measure import after_fault, after_restore  # noqa: E402
from lab.runtime import down_lab  # noqa: E402
from lab.session import open_lab  # noqa: E402
from lab.state import LabPaths  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_convergence", ROOT / "bench" / "convergence.py")
convergence = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(convergence)


def variant(timers: str | None, tmp: Path) -> Path:
    """bag-mini, with ``policy.bfd`` at ``timers`` ('300x3'), or as shipped (no BFD)."""
    doc = yaml.safe_load((ROOT / "topologies/bag-mini.yaml").read_text())
    if timers:
        interval, mult = (int(x) for x in timers.split("x"))
        doc["policy"] = {**doc.get("policy", {}), "bfd": {"interval_ms": interval, "multiplier": mult}}
    p = tmp / f"mini-bfd-{timers or 'off'}.yaml"
    p.write_text(yaml.safe_dump(doc))
    return p


def run(timers: str | None, topo: Path, lab: str, samples: int) -> dict:
    paths = LabPaths(lab)
    down_lab(paths)
    t0 = time.monotonic()
    plan = up(topo, lab).plan
    up_s = time.monotonic() - t0
    try:
        with open_lab(paths, plan) as s:
            out = _measure(timers or "off", s, samples)
    finally:
        down_lab(paths)
    return {"bfd": timers or "off", "up_s": round(up_s, 1),
            "results": {k: {m: {"median": round(statistics.median(v), 1), "max": round(max(v), 1), "n": len(v)}
                            for m, v in d.items()} for k, d in out.items()}}


def _measure(label: str, s, samples: int) -> dict[str, dict[str, list]]:
    plan, paths, fi, tl = s.plan, s.paths, s.faults, s.timeline
    kinds = {"protected": [l for l in plan.links if l.kind == "interbag"],
             "uplink": [l for l in plan.links if l.kind == "uplink"]}
    out: dict[str, dict[str, list]] = {}
    for kind, links in kinds.items():
        for link in convergence.spread(links, samples):
            f = fi.link(link, mode="silent")
            r = after_fault(plan, paths, tl, f, fi.failures(), kind, check_rib=False, deadline_s=60)
            back = after_restore(plan, paths, tl, fi.restore(f)[0], fi.failures(), kind, check_rib=False,
                                 deadline_s=90)
            if not r.converged or not back.converged:
                raise SystemExit(f"bfd {label}: silent {f.target} did not converge as the oracle says:\n"
                                 f"{r.report or back.report}")
            slot = out.setdefault(kind, {"fault_ms": [], "restore_ms": []})
            slot["fault_ms"].append(r.overall_ms)
            slot["restore_ms"].append(back.overall_ms)
            print(f"  bfd {label:<6} {kind:<9} {f.target:<36} fault {r.overall_ms:7.0f} ms   "
                  f"restore {back.overall_ms:7.0f} ms", file=sys.stderr)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=3, help="links per kind")
    ap.add_argument("--timers", nargs="*", default=["300x3"], help="BFD timers to measure, like 300x3")
    ap.add_argument("--no-baseline", action="store_true", help="skip the lab without BFD (hold timer: ~9 s a sample)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--lab-prefix", default="bfb", help="the labs are <prefix>-<timers>")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for timers in args.timers + ([] if args.no_baseline else [None]):
            rows.append(run(timers, variant(timers, Path(tmp)), f"{args.lab_prefix}-{timers or 'off'}", args.samples))
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"\n{'bfd':<7} {'up':>6} {'failure':<10} {'n':>2} {'fault median':>13} {'fault max':>10} {'restore median':>15}")
    for r in rows:
        for kind, d in r["results"].items():
            print(f"{r['bfd']:<7} {r['up_s']:>5.1f}s {kind:<10} {d['fault_ms']['n']:>2} {d['fault_ms']['median']:>10.0f} ms "
                  f"{d['fault_ms']['max']:>7.0f} ms {d['restore_ms']['median']:>12.0f} ms")


if __name__ == "__main__":
    main()
