#!/usr/bin/env python3
"""``baglab diff`` timed: wall time per step of each side, both sides in parallel and one after
the other, with peak memory of the harness and of the labs.

bag-mini by default (target: under 60 s without the sweep); ``--sweep`` adds the observed N-1
sweep on both labs and, with ``--reference``, times one plain ``lab.workflows.sweep.run`` for the
"under twice a single sweep" comparison.  Same policy on both sides unless ``--baseline`` /
``--candidate`` name policy directories.  Run as root:
``sudo .venv/bin/python bench/diff.py [--sequential] [--sweep [--reference]] [--json]``.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.workflows.diff.run import run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def one(topology: Path, parallel: bool, sweep: bool, prefix: str, baseline, candidate) -> dict:
    t0 = time.monotonic()
    r = run(topology, baseline, candidate, prefix=prefix, sweep=sweep, parallel=parallel)
    return {"mode": "parallel" if parallel else "sequential", "sweep": sweep, "wall_s": round(time.monotonic() - t0, 1),
            "exit_code": r.report.exit_code, "unintended": len(r.report.unintended),
            "sides": [{"side": s.name, "steps_s": s.steps, "process_peak_mb": s.peak_mb, "lab_mb": s.lab_mb}
                      for s in r.sides]}


def reference_sweep(topology: Path, lab: str) -> dict:
    from lab.workflows import sweep
    from lab.workflows.build import up
    from lab.runtime import down_lab
    from lab.session import open_lab
    from lab.state import LabPaths

    paths = LabPaths(lab)
    plan = up(topology, lab).plan
    try:
        t0 = time.monotonic()
        with open_lab(paths, plan) as handle:
            rep = sweep.run(handle)
        return {"mode": "single lab.workflows.sweep.run", "wall_s": round(time.monotonic() - t0, 1), "cases": len(rep.items)}
    finally:
        down_lab(paths)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--topology", default=str(ROOT / "topologies" / "bag-mini.yaml"))
    ap.add_argument("--prefix", default="pdbench", help="labs <prefix>-b and <prefix>-c")
    ap.add_argument("--sequential", action="store_true", help="also time both sides one after the other")
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--reference", action="store_true", help="also time one plain N-1 sweep")
    ap.add_argument("--baseline")
    ap.add_argument("--candidate")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    topo = Path(a.topology)
    runs = [one(topo, True, a.sweep, a.prefix, a.baseline, a.candidate)]
    if a.sequential:
        runs.append(one(topo, False, a.sweep, a.prefix, a.baseline, a.candidate))
    if a.reference:
        runs.append(reference_sweep(topo, f"{a.prefix}-r"))
    out = {"topology": topo.name, "runs": runs,
           "harness_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
           "children_peak_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}
    if a.json:
        print(json.dumps(out, indent=1))
        return
    for r in runs:
        print(f"{r['mode']}{' +sweep' if r.get('sweep') else ''}: {r['wall_s']} s"
              + "".join(f"\n  {s['side']}: " + ", ".join(f"{k} {v} s" for k, v in s["steps_s"].items())
                        + f"; process peak {s['process_peak_mb']} MB, lab {s['lab_mb']} MB" for s in r.get("sides", [])))
    print(f"harness peak {out['harness_peak_mb']} MB, side processes peak {out['children_peak_mb']} MB")


if __name__ == "__main__":
    main()
