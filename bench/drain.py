#!/usr/bin/env python3
"""Maintenance rehearsals, timed: drain, take down, bring back, undrain, per step, with loss.

For bag-mini and the generated 100+ router lab: a BAG plane of one region, one BAG
router and one BAG-to-BAG member link are each rehearsed ``--repeats`` times
(lab/workflows/rehearsal.py: every step waits for the oracle's FIBs; a probe stream runs
throughout).  Reports each step's convergence (last FIB change after the action,
median and max), wall time, packets sent/lost, and peak memory of the lab and the
harness.  Run as root: ``sudo .venv/bin/python bench/drain.py [--repeats 3] [--json]``.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.workflows.build import lab_memory_mb, up  # noqa: E402
from lab.design.generate import generate  # noqa: E402
from lab.workflows.rehearsal import rehearse, timeline_judges  # noqa: E402
from lab.runtime import down_lab  # noqa: E402
from lab.session import open_lab  # noqa: E402
from lab.state import LabPaths  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def bench(label: str, topology: Path, lab: str, repeats: int) -> dict:
    paths = LabPaths(lab)
    down_lab(paths)
    plan = up(topology, lab).plan
    try:
        with open_lab(paths, plan) as session:
            out, peak_lab = _rehearse_each(label, session, repeats)
    finally:
        down_lab(paths)
    for slot in out.values():
        slot["steps"] = {k: {"median_ms": round(statistics.median(v)), "max_ms": round(max(v))}
                         for k, v in slot["steps"].items()}
        slot["wall_s"] = round(statistics.median(slot["wall_s"]), 1)
    return {"topology": label, "routers": len(plan.nodes), "lab_mb": round(peak_lab, 1),
            "harness_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "cases": out}


def _rehearse_each(label: str, session, repeats: int) -> tuple[dict, float]:
    """``repeats`` rehearsals of a plane, a BAG router and an inter-BAG link; the lab's peak memory."""
    plan, paths = session.plan, session.paths
    fault, restore = timeline_judges(plan, paths, session.timeline, "bench")
    first_region = plan.nodes[0].region
    bag = next(n.name for n in plan.nodes if n.role == "bag" and n.region != first_region)
    member = next(l for l in plan.links if l.kind == "interbag")
    cases = [("plane", dict(plane=1, region=first_region)), ("node", dict(node=bag)),
             ("link", dict(bundle=member.bundle, members=[member.member]))]
    out: dict = {}
    peak_lab = 0.0
    for kind, kw in cases:
        for _ in range(repeats):
            t0 = time.monotonic()
            rep = rehearse(session, fault, restore, kind, window=300, **kw)
            wall = time.monotonic() - t0
            peak_lab = max(peak_lab, lab_memory_mb(paths, plan))
            slot = out.setdefault(kind, {"target": rep.target, "steps": {}, "wall_s": [], "sent": 0, "lost": 0,
                                         "stranded_routers": len({r for r, _ in rep.stranded}), "ok": True})
            for s in rep.steps:
                slot["steps"].setdefault(s.name, []).append(s.converged_ms)
            slot["wall_s"].append(wall)
            slot["sent"] += rep.sent
            slot["lost"] += rep.lost
            slot["ok"] &= rep.ok
            print(f"  {label:<10} {kind:<6} {rep.target:<28} {wall:5.1f} s  sent {rep.sent:>6}  lost {rep.lost}"
                  + ("" if rep.ok else "  FAILED\n" + rep.summary()), file=sys.stderr)
    return out, peak_lab


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--skip-large", action="store_true")
    args = ap.parse_args()
    runs = [bench("bag-mini", ROOT / "topologies/bag-mini.yaml", "bdr-mini", args.repeats)]
    if not args.skip_large:
        with tempfile.TemporaryDirectory() as tmp:
            gen = Path(tmp) / "gen.yaml"
            gen.write_text(generate("bag-gen"))
            runs.append(bench("generated", gen, "bdr-gen", args.repeats))
    if args.json:
        print(json.dumps(runs, indent=1))
        return
    for r in runs:
        print(f"\n{r['topology']} ({r['routers']} routers; lab {r['lab_mb']} MB, harness peak {r['harness_peak_mb']} MB)")
        print(f"  {'what':<6} {'drain':>12} {'take down':>12} {'bring back':>12} {'undrain':>12} {'wall':>7} "
              f"{'sent':>7} {'lost':>5}  (median/max ms)")
        for kind, c in r["cases"].items():
            st = c["steps"]
            cell = lambda k: f"{st[k]['median_ms']}/{st[k]['max_ms']}" if k in st else "-"  # noqa: E731
            print(f"  {kind:<6} {cell('drain'):>12} {cell('take down (drained)'):>12} "
                  f"{cell('bring back (drained)'):>12} {cell('undrain'):>12} {c['wall_s']:>6}s {c['sent']:>7} "
                  f"{c['lost']:>5}" + ("" if c["ok"] else "  FAILED"))


if __name__ == "__main__":
    main()
