#!/usr/bin/env python3
"""The kernel's link-watch batching, reproduced without a lab.

Two namespaces joined by two veth pairs.  One end of the first pair is set down, then one end of
the second 50 ms later; the time until the second pair's far end reports NO-CARRIER is measured
from netlink events.  The kernel delivers a carrier change at once only when the device's ifindex
differs from its link's (its veth peer's) index; otherwise at most once a second.  Fresh
namespaces give both ends of a pair the same index, which is why the lab now assigns them
(lab/host/ifindex.py).  Run as root: ``sudo .venv/bin/python bench/linkwatch.py [--runs 3]``.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from pyroute2 import IPRoute

NS = ("cdlw-x", "cdlw-y")
IFF_LOWER_UP = 0x10000


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def build(y_indexes: tuple[int, int]) -> None:
    """x1/x2 in the first namespace get indexes 2 and 3; their peers y1/y2 get ``y_indexes``."""
    for ns in NS:
        ip("netns", "add", ns)
    for n, (name, yi) in enumerate(zip(("1", "2"), y_indexes), 2):
        ip("link", "add", f"x{name}", "netns", NS[0], "index", str(n), "type", "veth",
           "peer", "name", f"y{name}", "netns", NS[1], "index", str(yi))
        ip("-n", NS[0], "link", "set", f"x{name}", "up")
        ip("-n", NS[1], "link", "set", f"y{name}", "up")


def teardown() -> None:
    for ns in NS:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def one_run(y_indexes: tuple[int, int], deadline_s: float = 5.0) -> float:
    """Seconds from x2 down to y2's NO-CARRIER event."""
    build(y_indexes)
    try:
        with IPRoute(netns=NS[1]) as y, IPRoute(netns=NS[0]) as x:
            y2 = y.link_lookup(ifname="y2")[0]
            end = time.time() + 3
            while time.time() < end and not all(l["flags"] & IFF_LOWER_UP for l in y.get_links()
                                                 if l.get_attr("IFLA_IFNAME") in ("y1", "y2")):
                time.sleep(0.05)
        time.sleep(1.2)                         # a quiet second: the next event starts a fresh batch
        with IPRoute(netns=NS[1]) as events, IPRoute(netns=NS[0]) as x:
            events.bind(groups=1)               # first, on a fresh socket (pyroute2 0.9)
            x.link("set", index=x.link_lookup(ifname="x1")[0], state="down")
            time.sleep(0.05)
            t0 = time.time()
            x.link("set", index=x.link_lookup(ifname="x2")[0], state="down")
            while time.time() < t0 + deadline_s:
                for msg in events.get():
                    if msg["index"] == y2 and msg.get("event") == "RTM_NEWLINK" and not msg["flags"] & IFF_LOWER_UP:
                        return time.time() - t0
        raise SystemExit(f"y2 never lost carrier within {deadline_s}s")
    finally:
        teardown()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    teardown()
    for label, idx in (("peers share the index (2/3 both sides)", (2, 3)), ("distinct indexes (peers 4/5)", (4, 5))):
        ms = [one_run(idx) * 1000 for _ in range(args.runs)]
        print(f"{label:<42} y2 NO-CARRIER after " + ", ".join(f"{m:.0f}" for m in ms)
              + f" ms (median {statistics.median(ms):.0f})", file=sys.stderr)


if __name__ == "__main__":
    main()
