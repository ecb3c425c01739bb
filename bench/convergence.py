#!/usr/bin/env python3
"""Convergence after link, node and plane failures: median and max, bag-mini and a 100+ router lab.

Convergence of an event = last BGP route change in any live router's kernel FIB
(netlink timestamps) minus the moment the fault was applied; every sample is
also checked against the oracle before it counts.  Run as root:
``sudo .venv/bin/python bench/convergence.py [--samples 5] [--json]``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.build import up  # noqa: E402
from lab.generate import generate  # noqa: E402
from lab.measure import after_fault, after_restore  # noqa: E402
from lab.runtime import down_lab  # noqa: E402
from lab.session import lab_session  # noqa: E402
from lab.state import LabPaths  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def spread(items: list, k: int) -> list:
    """k items evenly spaced through the list: deterministic and not all from one corner."""
    if len(items) <= k:
        return items
    return [items[round(i * (len(items) - 1) / (k - 1))] for i in range(k)] if k > 1 else items[:1]


def bench(label: str, topology: Path, lab: str, samples: int) -> dict:
    paths = LabPaths(lab)
    down_lab(paths)
    plan = up(topology, lab).plan
    try:
        with lab_session(paths, plan) as session:
            out = _measure(label, session, samples)
    finally:
        down_lab(paths)
    return {"topology": label, "routers": len(plan.nodes),
            "results": {k: {m: {"median": round(statistics.median(v), 1), "max": round(max(v), 1), "n": len(v)}
                            for m, v in d.items()} for k, d in out.items()}}


def _measure(label: str, session, samples: int) -> dict[str, dict[str, list]]:
    """Fault then restore each sampled link, BAG router and plane; every sample checked by the oracle.
    link: an inter-BAG cable pulled (carrier loss at both routers; through the SecY where protected);
    link-shut: the same links' router interfaces shut at both ends (what FRR hears of at once);
    bundle-carrier: every member of a multi-member plain bundle loses carrier at one router."""
    plan, paths = session.plan, session.paths
    fi, tl = session.injector, session.timeline      # the timeline runs before the first fault
    cases = []
    for l in spread([l for l in plan.links if l.kind == "interbag"], samples):
        cases.append(("link", lambda l=l: fi.link(l)))
        cases.append(("link-shut", lambda l=l: fi.link(l, mode="shut")))
    plain = sorted({l.bundle for l in plan.links if l.macsec == "off" and l.kind != "collector" and l.member > 1})
    for b in spread(plain, samples):
        cases.append(("bundle-carrier", lambda b=b: fi.bundle(b, side="b", mode="carrier")))
    for n in spread([n.name for n in plan.nodes if n.role == "bag"], samples):
        cases.append(("node", lambda n=n: fi.node(n, "crash")))
    planes = sorted({n.bag_plane for n in plan.nodes if n.role == "bag"})
    for p in spread(planes, samples):
        cases.append(("plane", lambda p=p: fi.plane(p)))
    out: dict[str, dict[str, list]] = {}
    for kind, make in cases:
        f = make()
        r = after_fault(plan, paths, tl, f, fi.failures(), kind, check_rib=False, deadline_s=60)
        back = after_restore(plan, paths, tl, fi.restore(f)[0], fi.failures(), kind, check_rib=False,
                             deadline_s=90)
        if not r.converged or not back.converged:
            raise SystemExit(f"{label}: {kind} {f.target} did not converge as the oracle says:\n"
                             f"{r.report or back.report}")
        slot = out.setdefault(kind, {"fault_ms": [], "restore_ms": []})
        slot["fault_ms"].append(r.overall_ms)
        slot["restore_ms"].append(back.overall_ms)
        print(f"  {label:<10} {kind:<6} {f.target:<40} fault {r.overall_ms:7.0f} ms   restore {back.overall_ms:7.0f} ms",
              file=sys.stderr)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=4, help="faults per kind")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--lab-prefix", default="bcv", help="the labs are <prefix>-mini and <prefix>-gen")
    args = ap.parse_args()
    runs = [bench("bag-mini", ROOT / "topologies/bag-mini.yaml", f"{args.lab_prefix}-mini", args.samples)]
    if not args.skip_large:
        with tempfile.TemporaryDirectory() as tmp:
            gen = Path(tmp) / "gen.yaml"
            gen.write_text(generate("bag-gen"))
            runs.append(bench("generated", gen, f"{args.lab_prefix}-gen", args.samples))
    if args.json:
        print(json.dumps(runs, indent=1))
        return
    print(f"\n{'topology':<12} {'routers':>7} {'failure':<14} {'n':>2} {'fault median':>13} {'fault max':>10} "
          f"{'restore median':>15} {'restore max':>12}")
    for r in runs:
        for kind, d in r["results"].items():
            print(f"{r['topology']:<12} {r['routers']:>7} {kind:<14} {d['fault_ms']['n']:>2} "
                  f"{d['fault_ms']['median']:>10.0f} ms {d['fault_ms']['max']:>7.0f} ms "
                  f"{d['restore_ms']['median']:>12.0f} ms {d['restore_ms']['max']:>9.0f} ms")


if __name__ == "__main__":
    main()
