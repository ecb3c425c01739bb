#!/usr/bin/env python3
"""The cost of MACsec on BAG-to-BAG links: bring-up, convergence and memory, with and without it.

Runs bag-mini twice, once with its interconnect `macsec: required` (the default, served
here by the user-space SecY, lab/macsec/shim.py) and once with `macsec: off`, and
measures for each: wall time of `up` until converged, link/node/plane failure and
restoration convergence (bench/convergence.py's method, oracle-checked), the
SecY's PSS per BAG router, and how long a key mismatch takes to show in the FIB
(the BGP hold timer's share of it).  Run as root:
``sudo .venv/bin/python bench/macsec.py [--samples 4] [--json]``.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lab.workflows.build import up  # noqa: E402
from lab.observe.settle import Strategy, settle  # noqa: E402
from lab.macsec import ports, secy  # noqa: E402
from lab.runtime import down_lab, runtime_for  # noqa: E402
from lab.session import open_lab  # noqa: E402
from lab.state import LabPaths  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_convergence", ROOT / "bench" / "convergence.py")
convergence = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(convergence)


def variant(mode: str, tmp: Path) -> Path:
    doc = yaml.safe_load((ROOT / "topologies/bag-mini.yaml").read_text())
    for ic in doc["interconnects"]:
        ic["macsec"] = mode
    p = tmp / f"mini-{mode}.yaml"
    p.write_text(yaml.safe_dump(doc))
    return p


def pss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bringup_and_mismatch(topo: Path, lab: str, mode: str) -> dict:
    paths = LabPaths(lab)
    down_lab(paths)
    t0 = time.monotonic()
    plan = up(topo, lab).plan
    out = {"up_s": round(time.monotonic() - t0, 2)}
    try:
        if mode != "off":
            procs = runtime_for(paths).processes(plan)
            out["secy_pss_mb"] = round(max(pss_mb(procs[n]["macsec"]) for n in ports.protected_nodes(plan)), 1)
            with open_lab(paths, plan) as session:
                out.update(_key_mismatch(session))
            t0 = time.monotonic()
            secy.rotate(paths, plan)
            out["key_rotation_s"] = round(time.monotonic() - t0, 3)
    finally:
        down_lab(paths)
    return out


def _key_mismatch(session) -> dict:
    """Seconds from a wrong MACsec key on one end of a protected link to the oracle's FIBs, and back."""
    plan, paths, fi = session.plan, session.paths, session.faults
    out = {}
    l = next(l for l in plan.links if l.a.wire)
    t0 = time.monotonic()
    f = fi.macsec_mismatch(l, "a")
    conv = settle(plan, paths, Strategy.CONVERGED, failures=fi.failures(), deadline_s=60)
    out["key_mismatch_to_fib_s"] = round(time.monotonic() - t0, 2) if conv.ok else None
    fi.restore(f)
    t0 = time.monotonic()
    conv = settle(plan, paths, Strategy.CONVERGED, failures=fi.failures(), deadline_s=60)
    out["key_repair_to_fib_s"] = round(time.monotonic() - t0, 2) if conv.ok else None
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--lab-prefix", default="b", help="the labs are <prefix>ms<o|r> and <prefix>mc<o|r>")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("off", "required"):
            topo = variant(mode, Path(tmp))
            row = {"macsec": mode, **bringup_and_mismatch(topo, f"{args.lab_prefix}ms{mode[0]}", mode)}
            row["convergence"] = convergence.bench(f"mini/{mode}", topo, f"{args.lab_prefix}mc{mode[0]}", args.samples)["results"]
            rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"\n{'macsec':<9} {'up':>6} {'SecY PSS':>9} {'link fault':>11} {'link restore':>13} {'node fault':>11} "
          f"{'plane fault':>12} {'key mismatch->FIB':>18} {'rotation':>9}")
    for r in rows:
        c = r["convergence"]
        print(f"{r['macsec']:<9} {r['up_s']:>5.1f}s {r.get('secy_pss_mb', 0):>7.0f}MB "
              f"{c['link']['fault_ms']['median']:>8.0f} ms {c['link']['restore_ms']['median']:>10.0f} ms "
              f"{c['node']['fault_ms']['median']:>8.0f} ms {c['plane']['fault_ms']['median']:>9.0f} ms "
              f"{r.get('key_mismatch_to_fib_s') or 0:>16.1f} s {r.get('key_rotation_s') or 0:>7.2f} s")


if __name__ == "__main__":
    main()
