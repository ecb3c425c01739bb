#!/usr/bin/env python3
"""Does FRR hold its BGP sessions while it ingests a million prefixes?  A bounded probe, per version.

FRR 8.4.4 sent NOTIFICATION 4/0 (hold timer expired) on the idle IPv4 session of each emulated
STSW while bgpd ingested 1M IPv6 prefixes (docs/how-to/scale.md).  This
brings up bag-routes with N prefixes per emulated fabric on each ``--frr`` version and watches for
at most ``--budget`` seconds: how far the BAG routers' FIBs got, and every hold-timer expiry and
session loss their logs show.  A run that does not finish within the budget is reported as
partial (FIB counts at the end), not retried: the machine is shared.

Run as root: ``sudo .venv/bin/python bench/hold_timer.py --frr 10.7 [--prefixes 1000000] [--budget 600]``.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from routes import ebgp_fib  # noqa: E402

from lab.workflows.build import pss_mb, up  # noqa: E402
from lab.host import nsutil  # noqa: E402
from lab.runtime import down_lab  # noqa: E402
from lab.state import LabPaths, load_plan  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
#: the log lines that say a session was lost, and why
EXPIRY = re.compile(r"NOTIFICATION: sent to neighbor \S+ 4/0|Hold Timer Expired", re.I)
DOWN = re.compile(r"%ADJCHANGE: neighbor .* Down")


def topology(directory: Path, n: int) -> Path:
    doc = yaml.safe_load((ROOT / "topologies/bag-routes.yaml").read_text())
    for region in doc["regions"]:
        for fab in region.get("fabrics", []):
            if fab.get("emulator", "frr") != "frr":
                fab["routes"] = {"ipv4": 0, "ipv6": n}
    path = directory / "routes.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def log_events(paths: LabPaths, node: str) -> dict:
    text = paths.log_file(node).read_text(errors="replace") if paths.log_file(node).exists() else ""
    expiries = [line for line in text.splitlines() if EXPIRY.search(line)]
    downs = [line for line in text.splitlines() if DOWN.search(line)]
    return {"hold_timer_expiries": len(expiries), "sessions_down": len(downs), "first": (expiries or downs)[:3]}


def probe(version: str, n: int, budget: float, lab: str) -> dict:
    paths = LabPaths(lab)
    down_lab(paths)
    load = os.getloadavg()[0]
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            plan = up(topology(Path(tmp), n), lab, deadline_s=budget, frr=version).plan
            outcome = "converged"
        except Exception as exc:  # noqa: BLE001 - the budget ran out (or the lab failed): report how far it got
            plan, outcome = None, f"partial: {str(exc).splitlines()[0][:160]}"
    try:
        plan = plan or load_plan(paths)
        bags = [nd.name for nd in plan.nodes if nd.role == "bag"]
        by_ns = nsutil.pids_by_netns([paths.netns(b) for b in bags])
        return {"frr": version, "prefixes": n, "outcome": outcome, "seconds": round(time.monotonic() - t0, 1),
                "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2),
                "fib": {b: ebgp_fib(paths.netns(b)) for b in bags},
                "pss_mb": {b: round(pss_mb(by_ns[paths.netns(b)]), 1) for b in bags},
                "logs": {b: log_events(paths, b) for b in bags}}
    finally:
        down_lab(paths)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frr", nargs="+", default=["10.7"])
    ap.add_argument("--prefixes", type=int, default=1_000_000)
    ap.add_argument("--budget", type=float, default=600.0, help="seconds per version, bring-up included")
    ap.add_argument("--lab-prefix", default="hold")
    a = ap.parse_args()
    for v in a.frr:
        print(json.dumps(probe(v, a.prefixes, a.budget, f"{a.lab_prefix}{v.replace('.', '')}"), indent=1), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
