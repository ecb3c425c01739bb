#!/usr/bin/env python3
"""Bring-up cost per phase: wall time and memory, for bag-mini, a generated 100+ router lab and the
production-sized bag-prod,
on one or more runtimes and FRR versions side by side in one run.

Run as root: ``sudo .venv/bin/python bench/bringup.py [--runtime netns docker] [--frr 8.4 10.3 10.7] [--json]``.
With several ``--frr`` versions every router of a lab runs one version (``baglab up --frr``), the
versions one after the other, and a second table puts them side by side per topology; the load
average beside each row says how busy the shared machine was.

Memory ("lab PSS") is the proportional set size of every process in the lab's namespaces, so
shared FRR libraries are counted once: FRR daemons, ExaBGP and its helpers, the bulk speakers and
MACsec SecYs (host processes in the namespaces), and on the docker runtime also each container's
init (docker-init + sleep).  For docker, "shim PSS" adds each container's containerd-shim (a host
process outside the namespace, one per container); the engine (dockerd + containerd) is shared by
all labs and shown separately.  Harness peak is this process's RSS.
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

from lab.workflows.build import lab_memory_mb, pss_mb, up  # noqa: E402
from lab.design.generate import generate  # noqa: E402
from lab.runtime import RUNTIMES, down_lab  # noqa: E402
from lab.host.nsutil import cmdline  # noqa: E402
from lab.session import open_lab  # noqa: E402
from lab.state import LabPaths  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _procs(marker: bytes) -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and marker in cmdline(int(p.name))]


def docker_extra(lab: str, plan) -> dict:
    """containerd-shim PSS of the lab's containers, and the engine's (shared) PSS."""
    ids = []
    with open_lab(lab, plan) as session:
        for n in plan.nodes:
            try:
                ids.append(session.runtime.container(n.name).id)
            except Exception:  # noqa: BLE001 - a missing container has no shim
                pass
    shims = [p for p in _procs(b"containerd-shim") if any(i.encode() in cmdline(p) for i in ids)]
    engine = [p for p in _procs(b"dockerd") + _procs(b"containerd") if p not in shims
              and b"containerd-shim" not in cmdline(p)]
    return {"shim_pss_mb": round(pss_mb(shims), 1), "shims": len(shims), "engine_pss_mb": round(pss_mb(engine), 1)}


def run(label: str, topology: Path, lab: str, runtime: str, frr: str | None = None) -> dict:
    down_lab(LabPaths(lab))
    load = os.getloadavg()[0]
    t0 = time.monotonic()
    res = up(topology, lab, runtime=runtime, frr=frr)
    total = time.monotonic() - t0
    mem = lab_memory_mb(LabPaths(lab), res.plan)
    n = len(res.plan.nodes)
    extra = docker_extra(lab, res.plan) if runtime == "docker" else {}
    t1 = time.monotonic()
    down_lab(LabPaths(lab))
    out = {"topology": label, "runtime": runtime, "frr": frr or "as planned", "load": round(load, 2),
           "routers": n, "links": len(res.plan.links),
           "sessions": len(res.plan.links) * len(res.plan.address_families),
           "phases": [{"phase": p.name, "seconds": round(p.seconds, 3), "lab_pss_mb": round(p.lab_rss_mb, 1),
                       "harness_peak_mb": round(p.harness_peak_mb, 1)} for p in res.phases],
           "up_seconds": round(total, 2), "lab_pss_mb": round(mem, 1), "pss_per_router_mb": round(mem / n, 1),
           "down_seconds": round(time.monotonic() - t1, 2), **extra}
    if extra:
        out["pss_per_router_with_shim_mb"] = round((mem + extra["shim_pss_mb"]) / n, 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--runtime", nargs="+", default=["netns"], choices=[r for r in RUNTIMES],
                    help="one or more runtimes, measured one after the other in this run")
    ap.add_argument("--frr", nargs="+", default=[None],
                    help="FRR versions (every router on one), measured one after the other in this run")
    ap.add_argument("--only", choices=["mini", "generated", "prod"], help="one topology only")
    ap.add_argument("--lab-prefix", default="bench", help="lab names are <prefix>-mini / -gen / -prod")
    ap.add_argument("--regions", type=int, default=4)
    ap.add_argument("--planes", type=int, default=4)
    ap.add_argument("--nsf", type=int, default=3, help="NSF fabrics per region")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        gen = Path(tmp) / "bag-gen.yaml"
        gen.write_text(generate("bag-gen", regions=args.regions, planes=args.planes, nsf_per_region=args.nsf))
        topos = [("mini", "bag-mini", ROOT / "topologies/bag-mini.yaml", f"{args.lab_prefix}-mini"),
                 ("generated", "generated", gen, f"{args.lab_prefix}-gen"),
                 ("prod", "bag-prod", ROOT / "topologies/bag-prod.yaml", f"{args.lab_prefix}-prod")]
        for key, label, path, lab in topos:
            if args.only and key != args.only:     # ('bag-mini' never started with 'min': --only mini ran nothing)
                continue
            for rt in args.runtime:
                for version in args.frr:
                    try:
                        results.append(run(label, path, lab, rt, version))
                    except BaseException:
                        down_lab(LabPaths(lab))      # leave nothing behind when a bring-up fails
                        raise
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print_phases(results)
    print_summary(results)
    if len(args.frr) > 1:
        print_versions(results)


def print_phases(results: list[dict]) -> None:
    for r in results:
        print(f"\n{r['topology']}: {r['routers']} routers, {r['links']} links, {r['sessions']} BGP sessions "
              f"[runtime {r['runtime']}, FRR {r['frr']}, load {r['load']}]")
        print(f"  {'phase':<12} {'wall s':>8} {'lab PSS MB':>11} {'harness peak MB':>16}")
        for p in r["phases"]:
            print(f"  {p['phase']:<12} {p['seconds']:>8.2f} {p['lab_pss_mb']:>11.1f} {p['harness_peak_mb']:>16.1f}")
        print(f"  up (total)   {r['up_seconds']:>8.2f}   memory per router {r['pss_per_router_mb']} MB (PSS)"
              f"   down {r['down_seconds']:.2f}s")
        if "shim_pss_mb" in r:
            print(f"  containerd-shims {r['shims']}: {r['shim_pss_mb']} MB PSS -> per router incl. shim "
                  f"{r['pss_per_router_with_shim_mb']} MB; engine (dockerd+containerd, shared) {r['engine_pss_mb']} MB")


def print_summary(results: list[dict]) -> None:
    print("\n| topology | runtime | FRR | load | routers | namespaces/containers+links | daemons | convergence | up total "
          "| PSS/router | PSS/router incl. shim | down |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        ph = {p["phase"]: p["seconds"] for p in r["phases"]}
        print(f"| {r['topology']} | {r['runtime']} | {r['frr']} | {r['load']} | {r['routers']} | "
              f"{ph.get('namespaces', 0):.2f} s | "
              f"{ph.get('daemons', 0):.2f} s | {ph.get('convergence', 0):.2f} s | {r['up_seconds']:.1f} s | "
              f"{r['pss_per_router_mb']} MB | {r.get('pss_per_router_with_shim_mb', '-')}"
              f"{' MB' if 'shim_pss_mb' in r else ''} | {r['down_seconds']:.2f} s |")


#: what the side-by-side table compares, and how each figure is read from a result
_ROWS = [("daemons started", lambda r, ph: f"{ph.get('daemons', 0):.2f} s"),
         ("convergence", lambda r, ph: f"{ph.get('convergence', 0):.2f} s"),
         ("up total", lambda r, ph: f"{r['up_seconds']:.1f} s"),
         ("PSS per router", lambda r, ph: f"{r['pss_per_router_mb']} MB"),
         ("down", lambda r, ph: f"{r['down_seconds']:.2f} s"),
         ("load (1 min) before", lambda r, ph: f"{r['load']}")]


def print_versions(results: list[dict]) -> None:
    """One table per topology and runtime: a column per FRR version."""
    for key in dict.fromkeys((r["topology"], r["runtime"]) for r in results):
        rows = [r for r in results if (r["topology"], r["runtime"]) == key]
        print(f"\n{key[0]} ({rows[0]['routers']} routers, runtime {key[1]})\n")
        print("| | " + " | ".join(f"FRR {r['frr']}" for r in rows) + " |")
        print("|---|" + "---|" * len(rows))
        for name, fmt in _ROWS:
            print(f"| {name} | " + " | ".join(fmt(r, {p['phase']: p['seconds'] for p in r['phases']}) for r in rows) + " |")


if __name__ == "__main__":
    main()
