#!/usr/bin/env python3
"""What one convergence check costs, with FRR's show commands read from the daemons' vty sockets
(lab/frr/vty.py) and, for comparison, through vtysh (``BAGLAB_VTYSH_ONLY=1``).

Every event a test measures ends in: every FIB against the oracle, every planned session
Established, and zebra's RIB against the kernel's FIB on every router.  This times each of the
three on a converged lab, ``--rounds`` times per way, and prints the median and the worst.

Run as root: ``sudo .venv/bin/python bench/observe.py [--topology topologies/bag-mini.yaml]
[--frr 10.3] [--rounds 10] [--lab-name obs]``; the lab is brought up and removed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.workflows.build import up  # noqa: E402
from lab.observe.converge import rib_fib_mismatches, session_problems  # noqa: E402
from lab.observe.settle import Strategy, settle  # noqa: E402
from lab.runtime import down_lab  # noqa: E402
from lab.state import LabPaths  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def timed(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--topology", default=str(ROOT / "topologies/bag-mini.yaml"))
    ap.add_argument("--frr", default=None, help="every router on this FRR version (a root from make frr-roots)")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--lab-name", default="obs")
    a = ap.parse_args()
    paths = LabPaths(a.lab_name)
    down_lab(paths)
    try:
        plan = up(a.topology, a.lab_name, frr=a.frr).plan
        nodes = [n.name for n in plan.nodes]
        checks = {"FIB vs oracle + sessions": lambda: settle(plan, paths, Strategy.CONVERGED, deadline_s=5),
                  "sessions": lambda: session_problems(plan, paths),
                  "RIB vs FIB": lambda: rib_fib_mismatches(plan, paths, nodes)}
        print(f"{plan.topology}: {len(nodes)} nodes, FRR {a.frr or 'host'}, {a.rounds} rounds, ms median / max")
        for way, env in (("vty socket", "0"), ("vtysh", "1")):
            os.environ["BAGLAB_VTYSH_ONLY"] = env
            cells = []
            for name, fn in checks.items():
                ms = timed(fn, a.rounds)
                cells.append(f"{name} {statistics.median(ms):.0f} / {max(ms):.0f}")
            print(f"  {way:<10}  " + "   ".join(cells))
    finally:
        os.environ.pop("BAGLAB_VTYSH_ONLY", None)
        down_lab(paths)


if __name__ == "__main__":
    main()
