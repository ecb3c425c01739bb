#!/usr/bin/env python3
"""What each FRR version installs when link-bandwidth is missing from some or all paths of a
multipath set, under each ``bgp bestpath bandwidth`` receiver option: the raw evidence behind the
oracle's missing-bandwidth rules (tests/unit/test_bandwidth_missing.py).

Runs on a lab of tests/data/frr-weights/ratios.yaml that is up (``baglab up ... --name LAB
[--frr V]``).  Per option it configures every router live, strips the community at chosen
senders (``set extcommunity none`` in their outbound maps), waits for the kernel FIB to settle
and prints, for the DSF edge (198.19.1.0/24 over r1-bag1/2/3) and r2-bag1 (198.19.0.0/24 over
six links), the link-bandwidth each path carries and the weights the kernel holds.  It leaves
the lab as it found it.  ``sudo .venv/bin/python bench/bandwidth_missing.py --name LAB [--json]``
"""
from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.frr.vtysh import own_vtysh  # noqa: E402
from lab.state import LabPaths  # noqa: E402
from lab.wait import poll  # noqa: E402

OPTIONS = ["", "ignore", "skip-missing", "default-weight-for-missing"]
WATCH = [("r1-f2-edge", "198.19.1.0/24"), ("r2-bag1", "198.19.0.0/24"), ("r1-bag1", "198.19.1.0/24")]
#: who stops sending the community, and which of its maps
SCENARIOS = {"none-missing": [], "one-bag-strips": [("r1-bag1", "TRANSIT")],
             "all-bags-strip": [("r1-bag1", "TRANSIT"), ("r1-bag2", "TRANSIT"), ("r1-bag3", "TRANSIT")],
             "one-stsw-strips": [("r2-f3-p1s1", "ORIGIN4-800")]}
ASN = {"r1": 4200000000, "r2": 4200000001}


@functools.cache
def _vtysh(lab: str, node: str) -> tuple[str, ...]:
    return tuple(own_vtysh(LabPaths(lab).netns(node)))


def vtysh(lab: str, node: str, *cmds: str) -> str:
    args = list(_vtysh(lab, node))
    for c in cmds:
        args += ["-c", c]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def asn_of(node: str) -> int:
    if "-bag" in node:
        return ASN[node[:2]]
    return {"r1-f2-edge": 4200100000}.get(node, 4200100001)


def set_option(lab: str, nodes: list[str], option: str) -> None:
    for n in nodes:
        cmds = ["configure terminal", f"router bgp {asn_of(n)}"]
        cmds += [f"bgp bestpath bandwidth {option}"] if option else [
            f"no bgp bestpath bandwidth {o}" for o in OPTIONS if o]
        vtysh(lab, n, *cmds)


def strip(lab: str, node: str, rmap: str, on: bool) -> None:
    bw = "cumulative" if rmap == "TRANSIT" else rmap.split("-")[1]
    cmds = (["configure terminal", f"route-map {rmap} permit 10"]
            + ([f"no set extcommunity bandwidth {bw}", "set extcommunity none"] if on else
               ["no set extcommunity none", f"set extcommunity bandwidth {bw}"]) + ["end", "clear bgp * soft out"])
    vtysh(lab, node, *cmds)


def observe(lab: str) -> dict:
    out = {}
    for node, prefix in WATCH:
        j = json.loads(vtysh(lab, node, f"show bgp ipv4 unicast {prefix} json") or "{}")
        lbs = sorted((p.get("nexthops", [{}])[0].get("ip", "?"), p.get("extendedCommunity", {}).get("string", ""),
                      bool(p.get("multipath") or p.get("bestpath")))
                     for p in j.get("paths", []))
        r = subprocess.run(["ip", "-n", LabPaths(lab).netns(node), "-j", "route", "show", prefix],
                           capture_output=True, text=True)
        routes = json.loads(r.stdout or "[]")
        hops = routes[0].get("nexthops") or [routes[0]] if routes else []
        out[f"{node} {prefix}"] = {"received": lbs,
                                   "kernel": sorted((h.get("dev"), h.get("weight", 1)) for h in hops)}
    return out


def settled(lab: str) -> dict:
    """The observation once three reads in a row agree (zebra reinstalls within a second here)."""
    seen: list[dict] = []

    def same():
        seen.append(observe(lab))
        return seen[-1] if len(seen) >= 3 and seen[-1] == seen[-2] == seen[-3] else None
    got = poll(same, 60.0, interval_s=1.0)
    if got is None:
        raise SystemExit("the FIB did not settle within 60 s")
    return got


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", required=True)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    routers = ["r1-f2-edge", "r1-bag1", "r1-bag2", "r1-bag3", "r2-bag1", "r2-bag2", "r2-bag3"]
    rows = []
    try:
        for option in OPTIONS:
            set_option(a.name, routers, option)
            for scen, strips in SCENARIOS.items():
                for node, rmap in strips:
                    strip(a.name, node, rmap, True)
                rows.append({"option": option or "(none)", "scenario": scen, "seen": settled(a.name)})
                for node, rmap in strips:
                    strip(a.name, node, rmap, False)
                print(json.dumps(rows[-1]), file=sys.stderr)
    finally:
        set_option(a.name, routers, "")
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
