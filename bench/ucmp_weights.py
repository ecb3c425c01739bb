#!/usr/bin/env python3
"""The UCMP weights a running lab's routers installed, beside the link-bandwidths they received,
8.4's weights and the oracle's: the raw evidence for each FRR version's weight rule.

Every multipath route of every router with a FIB: prefix, the bandwidth of each path (the oracle's
account of what was received), 8.4's weights, the oracle's for the router's version, the
kernel's weights (netlink).  Run as root on a lab that is up (it need not have converged: a
version whose rule the oracle does not know never does):
``sudo .venv/bin/python bench/ucmp_weights.py --name LAB [--json]``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.config.oracle import expected_routes, ucmp_weights  # noqa: E402
from lab.design.node_kinds import kind_of  # noqa: E402
from lab.observe.fib import FibReader  # noqa: E402
from lab.state import LabPaths, load_plan  # noqa: E402


def cases(lab: str) -> list[dict]:
    paths = LabPaths(lab)
    plan = load_plan(paths)
    want = expected_routes(plan)
    fib = FibReader({n.name: paths.netns(n.name) for n in plan.nodes})
    out = []
    for node in (n for n in plan.nodes if kind_of(n).has_fib):
        seen = fib.read(node.name)
        for prefix, hops in sorted(want.get(node.name, {}).items()):
            if len(hops) < 2:
                continue
            got = {h.ifname: h.weight for h in seen.get(prefix, [])}
            out.append({"node": node.name, "frr": node.frr, "prefix": prefix,
                        "bandwidths": [h.bandwidth for h in hops], "rule_8_4": ucmp_weights([h.bandwidth for h in hops]),
                        "oracle": [h.weight for h in hops],
                        "kernel": [got.get(h.ifname) for h in hops], "ifnames": [h.ifname for h in hops]})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", required=True)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    rows = cases(a.name)
    if a.json:
        print(json.dumps(rows, indent=1))
        return 0
    for r in rows:
        print(f"{r['node']:<12} {r['frr'] or 'host':<5} {r['prefix']:<22} bw {r['bandwidths']} "
              f"8.4 {r['rule_8_4']} oracle {r['oracle']} kernel {r['kernel']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
