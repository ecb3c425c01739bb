#!/usr/bin/env python3
"""Which of several link-bandwidth values on one route a receiver reads, per FRR version: the
evidence behind the oracle's aggregate rule (an aggregate carries every contributor's value).

On a lab of topologies/bag-agg.yaml that is up (``baglab up ... --name LAB [--frr V]``): one f1
STSW (r1-f1-p1s1) announces 200 instead of 800, so r1-bag1's aggregate 198.19.0.0/23 carries
{200, 400, 800} and r1-bag2's {400, 800}; the spoke's weights for it tell which value each path
was weighed by.  Prints what r2-bag1 and r2-bag2 received and hold, before and after; restores
the STSW.  ``sudo .venv/bin/python bench/aggregate_bandwidth.py --name LAB``
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.route_view import route_view, settled  # noqa: E402
from lab.faults.unmark import set_bandwidth  # noqa: E402
from lab.state import LabPaths  # noqa: E402

AGG, STSW = "198.19.0.0/23", "r1-f1-p1s1"


def seen(paths: LabPaths) -> dict:
    return {n: route_view(paths, n, AGG) for n in ("r2-bag1", "r2-bag2")}


def announce(paths: LabPaths, bw: int) -> None:
    set_bandwidth(paths, STSW, "ORIGIN4-800", bw)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", required=True)
    paths = LabPaths(ap.parse_args().name)
    rows = {"before": settled(lambda: seen(paths))}
    announce(paths, 200)
    try:
        rows["after"] = settled(lambda: seen(paths))
    finally:
        announce(paths, 800)
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
