#!/usr/bin/env python3
"""The smallest UCMP weight each FRR version installs: a path whose share would round to 0.

On a lab of topologies/bag-mini.yaml that is up (``baglab up ... --name LAB [--frr V]``): one f1
STSW (r1-f1-p1s1) announces 1 (then 2, 3) instead of 800, so r1-bag1 weighs 198.19.0.0/24's two
paths 1:800 (8.4: 100/801 of 1 is 0; 10.x: 254/800 of 1 is 0).  Prints what r1-bag1 received and
holds per value; restores the STSW.  ``sudo .venv/bin/python bench/min_weight.py --name LAB``
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

PREFIX, STSW, NODE = "198.19.0.0/24", "r1-f1-p1s1", "r1-bag1"


def announce(paths: LabPaths, bw: int) -> None:
    set_bandwidth(paths, STSW, "ORIGIN4-800", bw)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", required=True)
    paths = LabPaths(ap.parse_args().name)
    rows = {}
    try:
        for bw in (1, 2, 3):
            announce(paths, bw)
            rows[bw] = settled(lambda: route_view(paths, NODE, PREFIX), lambda v: f"({bw}.000 Mbps)" in json.dumps(v),
                               f" on bandwidth {bw}")
    finally:
        announce(paths, 800)
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
