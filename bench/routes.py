#!/usr/bin/env python3
"""Route scale: how long until N prefixes sit in every BAG router's kernel FIB, and how long
until they are gone after the fabric disconnects.  Peak memory per router too.

The fabric is baglab's bulk speaker (lab/nodes/speaker.py) by default, so FRR, not the
emulator, is measured; ``--emulators bulk exabgp`` runs the same sizes with ExaBGP 5 as
the fabric too (lab/nodes/exabgp_feed.py), to show what ExaBGP's own speed costs.  Progress is
polled from zebra (``show ipv6 route summary json``: routes zebra has confirmed in the
kernel), cheap even at 1M; the final state is checked by counting the kernel FIB itself.  Run as root:
``sudo .venv/bin/python bench/routes.py [--sizes 10000 100000 1000000] [--emulators bulk exabgp] [--mini]``.
``--frr 8.4 10.3 10.7`` repeats every size with all routers on each version (one after the other).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.workflows.build import pss_mb, up  # noqa: E402
from lab.design.node_kinds import kind_of  # noqa: E402
from lab.frr.show import show_json  # noqa: E402
from lab.host import nsutil  # noqa: E402
from lab.runtime import down_lab  # noqa: E402
from lab.session import open_lab  # noqa: E402
from lab.state import LabPaths  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def ebgp_fib(ns: str) -> int:
    for r in show_json(ns, "show ipv6 route summary json").get("routes", []):
        if r.get("type") == "ebgp":
            return int(r.get("fib", 0))
    return 0


def kernel_count(ns: str) -> int:
    out = subprocess.run(["ip", "-o", "-n", ns, "-6", "route", "show", "proto", "bgp"], capture_output=True, check=True)
    return out.stdout.count(b"\n")


def wait_all(nss: list[str], pred, deadline_s: float) -> float:
    t0 = time.monotonic()
    pending = list(nss)
    while pending:
        pending = [ns for ns in pending if not pred(ebgp_fib(ns))]
        if pending and time.monotonic() - t0 > deadline_s:
            raise SystemExit(f"not reached within {deadline_s:.0f}s on {pending}: {[ebgp_fib(n) for n in pending]}")
        if pending:
            time.sleep(0.1)
    return time.monotonic() - t0


def run(base: Path, n: int, lab: str, emulator: str = "bulk", frr: str | None = None) -> dict:
    doc = yaml.safe_load(base.read_text())
    for region in doc["regions"]:
        for fab in region.get("fabrics", []):
            if fab.get("emulator", "frr") != "frr":
                fab["routes"] = {"ipv4": 0, "ipv6": n}
                fab["emulator"] = emulator
    paths = LabPaths(lab)
    down_lab(paths)
    with tempfile.TemporaryDirectory() as tmp:
        topo = Path(tmp) / "routes.yaml"
        topo.write_text(yaml.safe_dump(doc))
        load = os.getloadavg()[0]
        t0 = time.monotonic()
        res = up(topo, lab, deadline_s=120 + n / 500, frr=frr)
        up_s = time.monotonic() - t0
    try:
        with open_lab(paths, res.plan) as session:
            return {"frr": frr or "as planned", "load_before": round(load, 2),
                    **measure(session, n, emulator, up_s), "load_after": round(os.getloadavg()[0], 2)}
    finally:
        down_lab(paths)        # also when a step fails: leave nothing behind


def measure(session, n: int, emulator: str, up_s: float) -> dict:
    plan, paths = session.plan, session.paths
    bags = [nd.name for nd in plan.nodes if nd.role == "bag"]
    frr_nodes = [nd.name for nd in plan.nodes if kind_of(nd).has_fib]
    nss = [paths.netns(b) for b in bags]
    expected_bgp = n + len([p for p in plan.prefixes("ipv6") if not any(p == b.first for nd in plan.nodes for b in nd.bulk)])
    by_ns = nsutil.pids_by_netns([paths.netns(x) for x in frr_nodes])
    mem = {x: round(pss_mb(by_ns[paths.netns(x)]), 1) for x in frr_nodes}
    fi = session.faults
    emu = next(nd for nd in plan.nodes if kind_of(nd).name == emulator)
    fabric = f"{emu.region}-{emu.fabric}"
    emu_nodes = [nd.name for nd in plan.nodes if nd.fabric == emu.fabric and nd.region == emu.region]
    emu_by_ns = nsutil.pids_by_netns([paths.netns(x) for x in emu_nodes])
    emu_mem = max(pss_mb(emu_by_ns[paths.netns(x)]) for x in emu_nodes)
    without = expected_bgp - n - len(emu.prefixes_v6)   # what the BAG routers keep when the fabric is gone
    f = fi.withdraw(fabric)                    # sessions stay up: a pure BGP withdrawal
    withdraw_s = wait_all(nss, lambda c: c == without, 60 + n / 500)
    fi.restore(f)                              # re-announce on established sessions
    announce_s = wait_all(nss, lambda c: c == expected_bgp, 60 + n / 500)
    kernel = {b: kernel_count(paths.netns(b)) for b in bags}
    emu_links = [l for l in plan.links if plan.node(l.a.node).fabric == emu.fabric
                 and plan.node(l.a.node).region == emu.region]
    f = fi.links(emu_links, side="a", mode="admin", kind="fabric-disconnect", target=fabric)
    disconnect_s = wait_all(nss, lambda c: c == without, 60 + n / 500)
    fi.restore(f)
    return {"topology": plan.topology, "emulator": emulator, "routers_frr": len(frr_nodes), "prefixes": n, "up_s": round(up_s, 1),
            "announce_s": round(announce_s, 1), "withdraw_s": round(withdraw_s, 1),
            "disconnect_withdraw_s": round(disconnect_s, 1), "kernel_bgp_routes": kernel,
            "peak_pss_mb_per_router": max(mem.values()), "pss_mb": mem,
            "emulator_pss_mb_per_node": round(emu_mem, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--emulators", nargs="+", default=["bulk"], choices=["bulk", "exabgp"])
    ap.add_argument("--mini", action="store_true", help="also 100k across bag-mini with its f1 emulated")
    ap.add_argument("--frr", nargs="+", default=[None], help="FRR versions, one after the other in this run")
    ap.add_argument("--lab-prefix", default="rts", help="lab names start with this")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    pre = args.lab_prefix
    rows = [run(ROOT / "topologies/bag-routes.yaml", n, f"{pre}{e[0]}{i}", e, v)
            for e in args.emulators for i, n in enumerate(args.sizes) for v in args.frr]
    if args.mini:
        doc = yaml.safe_load((ROOT / "topologies/bag-mini.yaml").read_text())
        doc["regions"][0]["fabrics"][0]["emulator"] = "bulk"
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "mini.yaml"
            p.write_text(yaml.safe_dump(doc))
            rows += [run(p, 100_000, f"{pre}mini{e[0]}", e, v) for e in args.emulators for v in args.frr]
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{'topology':<12} {'emulator':<8} {'FRR':<10} {'load':>5} "
          f"{'FRR routers':>11} {'prefixes':>9} {'up (FIB full)':>14} {'announce':>9} "
          f"{'withdraw':>9} {'disconnect':>11} {'peak PSS/router':>16} {'emulator PSS':>13}")
    for r in rows:
        print(f"{r['topology']:<12} {r['emulator']:<8} {r['frr']:<10} {r['load_before']:>5} "
              f"{r['routers_frr']:>11} {r['prefixes']:>9} {r['up_s']:>12.1f} s "
              f"{r['announce_s']:>7.1f} s {r['withdraw_s']:>7.1f} s {r['disconnect_withdraw_s']:>9.1f} s "
              f"{r['peak_pss_mb_per_router']:>13.0f} MB {r['emulator_pss_mb_per_node']:>10.0f} MB")


if __name__ == "__main__":
    main()
