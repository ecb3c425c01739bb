#!/usr/bin/env python3
"""``baglab rollout`` timed: bring-up on the baseline, every phase (reloads, quiet waits, checks),
the rollback, with the harness's and the lab's peak memory.

bag-mini's four-phase rollout of the safe-tag candidate by default (target: under 120 s).  For a
topology without a phases file of its own (e.g. bag-scale, 116 routers) ``--generic`` writes
one: a canary STSW, BAG plane 1 of every region (drained), the rest; give it the topology's intent
file (``--intents topologies/intents/bag-scale.yaml``).  Run as root:
``sudo .venv/bin/python bench/rollout.py [--topology T --generic] [--candidate DIR] [--json]``.
An upgrade instead of (or with) a policy: ``--frr 10.3 [--drain] --phases topologies/rollouts/bag-mini-planes.yaml``.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.workflows.build import pss_mb, up  # noqa: E402
from lab.workflows.rollout.run import rollback, rollout  # noqa: E402
from lab.runtime import down_lab, runtime_for  # noqa: E402
from lab.session import open_lab  # noqa: E402
from lab.state import LabPaths  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def generic_phases(plan) -> Path:
    stsw = next(n.name for n in plan.nodes if n.role == "stsw")
    f = Path(tempfile.mkdtemp(prefix="bl-bench-")) / "phases.yaml"
    f.write_text(f"phases:\n  - name: canary\n    nodes: [{stsw}]\n  - name: BAG plane 1\n"
                 "    planes: [{plane: 1}]\n    drain: true\n  - name: the rest\n    rest: true\n")
    return f


def lab_mb(paths: LabPaths, plan) -> float:
    procs = runtime_for(paths).processes(plan)
    return round(pss_mb([pid for ds in procs.values() for pid in ds.values() if pid]), 1)


def phases_of(rep) -> list[dict]:
    return [{"phase": p.name, "status": p.status, "seconds": p.seconds, "routers": len(p.routers),
             "reload_max_s": max((r["seconds"] for r in p.reloads), default=0.0), "lost": p.lost, "sent": p.sent,
             "sessions_reset": len(p.sessions_reset), "quiet_after_reload_s": p.converged_s,
             "oracle": p.oracle or None, "after_undrain_lost": p.after_undrain.get("lost")} for p in rep.phases]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--topology", default=str(ROOT / "topologies" / "bag-mini.yaml"))
    ap.add_argument("--candidate", help="candidate policy (default: bag-mini's safe-tag; with --frr: none)")
    ap.add_argument("--frr", help="an upgrade rollout: every phase's routers move to this FRR version")
    ap.add_argument("--drain", action="store_true", help="drain every phase's routers while they change")
    ap.add_argument("--phases", default=str(ROOT / "topologies" / "rollouts" / "bag-mini-4phase.yaml"))
    ap.add_argument("--intents", help="intent file (default: the candidate's intents.yaml)")
    ap.add_argument("--generic", action="store_true", help="write a canary / plane 1 / rest phases file")
    ap.add_argument("--lab", default="robench")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    paths = LabPaths(a.lab)
    t0 = time.monotonic()
    plan = up(a.topology, a.lab).plan
    out = {"topology": Path(a.topology).name, "routers": len(plan.nodes), "up_s": round(time.monotonic() - t0, 1)}
    try:
        phases = generic_phases(plan) if a.generic else Path(a.phases)
        t1 = time.monotonic()
        cand = a.candidate or (None if a.frr else str(ROOT / "topologies" / "policies" / "bag-mini" / "safe-tag"))
        with open_lab(paths) as lab:
            rep = rollout(lab, cand, phases, a.intents, drain=a.drain, frr=a.frr)
        out.update(rollout_s=round(time.monotonic() - t1, 1), status=rep.status, phases=phases_of(rep),
                   lab_mb=lab_mb(paths, plan))
        t2 = time.monotonic()
        with open_lab(paths) as lab:        # afresh: the plan as the rollout left it
            back = rollback(lab)
        out.update(rollback_s=round(time.monotonic() - t2, 1), rollback_status=back.status,
                   rollback_phases=phases_of(back))
    finally:
        if not a.keep:
            down_lab(paths)
    out["harness_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if a.json:
        print(json.dumps(out, indent=1))
        return
    print(f"{out['topology']} ({out['routers']} routers): up {out['up_s']} s, rollout {out.get('rollout_s')} s "
          f"({out.get('status')}), rollback {out.get('rollback_s')} s ({out.get('rollback_status')}); lab "
          f"{out.get('lab_mb')} MB, harness peak {out['harness_peak_mb']} MB")
    for p in out.get("phases", []) + out.get("rollback_phases", []):
        print(f"  {p['phase']:<28} {p['status']:<5} {p['seconds']:>6.1f} s  {p['routers']:>3} routers, slowest reload "
              f"{p['reload_max_s']:.2f} s, quiet {p['quiet_after_reload_s']} s, lost {p['lost']}/{p['sent']}, "
              f"{p['sessions_reset']} resets")


if __name__ == "__main__":
    main()
