#!/usr/bin/env python3
"""Link-bandwidth limits of one FRR version (issue 28), measured: the raw evidence behind
lab.design.lb_limits (tests/unit/test_lb_limits.py).

Runs on a lab of tests/data/frr-lb/lb-wrap.yaml that is up (``baglab up ... --name LAB [--frr V]``):
r1-f1-p1s1 announces 198.19.0.0/24 over 3 links to r1-bag1 (ORIGIN4-25600), r1-bag1 passes it on
with ``set extcommunity bandwidth cumulative`` over 2 links to r2-bag1, and a collector (ExaBGP)
records what r1-f1-p1s1, r1-bag1 and r2-bag1 send, the extended communities as raw numbers
(8 octets; 20 for the IPv6-address-specific ones).

1. ``grammar``: the ``list`` lines of the route-map and ``router bgp`` nodes that mention bandwidth;
2. ``configure``: ``set extcommunity bandwidth N`` tried in a scratch route-map, FRR's answer
   (without vtysh's notes on its own files) and what the running config kept;
3. ``values``: per value V the STSW announces (``set extcommunity bandwidth V``), with r1-bag1's
   second session to r2-bag1 given a fixed 25600 (route-map LB28-FIXED): what the collector heard
   (raw, decoded as IEEE float and as integer), what r1-bag1 and r2-bag1 hold (vtysh JSON, trimmed)
   and r2-bag1's kernel weights (the cumulative path against the fixed one);
4. ``ieee_off``: ``neighbor COLL disable-link-bw-encoding-ieee`` on the STSW and r1-bag1, read
   once as set (a soft refresh), then after resetting the collector's sessions, with some values
   again (what the collector hears: raw 32-bit bytes/s);
5. ``extended``: where the version has it, ``neighbor X extended-link-bandwidth`` on every session
   of the STSW, r1-bag1 and r2-bag1, read once as set, then after resetting every session, with
   the same values again.

It leaves the lab changed: take it down afterwards.
``sudo .venv/bin/python bench/lb_limits.py --name LAB > tests/data/frr-lb/lb-limits-<84|103|107>.json``
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import re
import struct
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.frr.configure import configure  # noqa: E402
from lab.frr.vtysh import own_vtysh, run_vtysh  # noqa: E402
from lab.state import LabPaths  # noqa: E402

PREFIX = "198.19.0.0/24"
STSW, BAG, FAR, COLL = "r1-f1-p1s1", "r1-bag1", "r2-bag1", "coll"
ASN = {STSW: 4200100000, BAG: 4200000000, FAR: 4200000001}
#: the STSW's outbound maps: to r1-bag1's three sessions, and to the collector (its 1G link)
ORIGIN_MAPS = ("ORIGIN4-25600", "ORIGIN4-1")
FIXED = 25600
#: attributes the collector's record shows that say nothing about link-bandwidth
PLAIN = {"origin", "as-path", "confederation-path", "med", "local-preference", "atomic-aggregate", "aggregator"}
#: values tried in the scratch route-map: the edges of every range seen, and 2^32 bytes/s in Mbps
TRIES = [0, 1, 25600, 25601, 34359, 34360, 800000, 4294967295, 4294967296]
#: what the STSW announces, per step (x3 links: the cumulative value r1-bag1 sends on)
VALUES = [11000, 11500, 25600, 34360, 800000, 4294967295]


def vtysh(paths: LabPaths, node: str, *cmds: str) -> subprocess.CompletedProcess:
    args = own_vtysh(paths.netns(node))
    for c in cmds:
        args += ["-c", c]
    return run_vtysh(args, capture_output=True, text=True)


def answer(r: subprocess.CompletedProcess) -> str:
    """What FRR said, without vtysh's notes on its own files (10.x's vtysh run from the version's
    root prints 'Configuration file[...frr.conf] processing failure: 11' before every answer)."""
    noise = re.compile(r"vtysh\.conf|^Configuration file\[.*processing failure|^\s*$")
    return "\n".join(l for l in (r.stdout + r.stderr).splitlines() if not noise.search(l))


def neighbours(paths: LabPaths, node: str) -> dict[str, str]:
    """description's interface name (r2-bag1-1, coll-1...) -> neighbour address, from the node's config."""
    text = (paths.node_dir(node) / "frr.conf").read_text()
    return {m.group(2): m.group(1) for m in re.finditer(r"neighbor (\S+) description \S+ (\S+)", text)}


def grammar(paths: LabPaths) -> dict:
    rm = vtysh(paths, STSW, "configure terminal", "route-map LB28-PROBE permit 10", "list")
    bgp = vtysh(paths, STSW, "configure terminal", f"router bgp {ASN[STSW]}", "list")
    vtysh(paths, STSW, "configure terminal", "no route-map LB28-PROBE")
    return {"route-map": sorted({l.strip() for l in rm.stdout.splitlines() if "bandwidth" in l}),
            "router bgp": sorted({l.strip() for l in bgp.stdout.splitlines()
                                  if re.search(r"bandwidth|link-bw", l)})}


def configure_tries(paths: LabPaths) -> dict:
    out = {}
    for n in TRIES:
        r = vtysh(paths, STSW, "configure terminal", "route-map LB28-PROBE permit 10", f"set extcommunity bandwidth {n}")
        run = vtysh(paths, STSW, "show running-config")
        lines = run.stdout.splitlines()
        i = next((k for k, l in enumerate(lines) if l.startswith("route-map LB28-PROBE")), None)
        kept = [l.strip() for l in lines[i + 1:i + 4] if "bandwidth" in l] if i is not None else []
        out[str(n)] = {"exit": r.returncode, "answer": answer(r), "running_config": kept}
        vtysh(paths, STSW, "configure terminal", "no route-map LB28-PROBE")
    return out


def decode(value: int) -> dict:
    """One extended community as the collector gave it (a 64-bit number), split per RFC 4360."""
    b = value.to_bytes(8, "big")
    f = struct.unpack(">f", b[4:])[0]
    return {"raw": b.hex(), "type": b[:2].hex(), "as": int.from_bytes(b[2:4], "big"),
            "ieee_float": f if math.isfinite(f) else repr(f), "uint32": int.from_bytes(b[4:], "big")}


def decode6(value: int) -> dict:
    """One IPv6-address-specific extended community (attribute 25, 20 octets) as the collector gave
    it; FRR's extended link-bandwidth puts the bytes/s in octets 4-11 and the AS in 12-15."""
    b = value.to_bytes(20, "big")
    return {"raw": b.hex(), "type": b[:2].hex(), "bytes_per_s": int.from_bytes(b[4:12], "big"),
            "as": int.from_bytes(b[12:16], "big")}


def heard(paths: LabPaths) -> dict:
    """The last UPDATE for PREFIX from each collector peer: its extended communities (decoded) and
    every other attribute whose name says 'community' (ExaBGP's names), per sender."""
    last: dict[str, dict] = {}
    by_asn = {v: k for k, v in ASN.items()}
    f = paths.node_dir(COLL) / "updates.jsonl"
    for line in f.read_text().splitlines():
        try:
            msg = json.loads(line)["msg"]
        except (ValueError, KeyError):
            continue
        if msg.get("type") != "update":
            continue
        nb = msg["neighbor"]
        upd = nb["message"].get("update")     # End-of-RIB markers are updates without one
        if upd is None:
            continue
        nlri = [n.get("nlri") for hops in upd.get("announce", {}).get("ipv4 unicast", {}).values() for n in hops]
        if PREFIX not in nlri:
            continue
        attr = upd.get("attribute", {})
        last[by_asn.get(nb["asn"]["peer"], str(nb["asn"]["peer"]))] = {
            "extended-community": [dict(decode(e["value"]), string=e.get("string", ""))
                                   for e in attr.get("extended-community", [])],
            **({"extended-community-ipv6": [dict(decode6(e["value"]), string=e.get("string", ""))
                                            for e in attr["extended-community-ipv6"]]}
               if "extended-community-ipv6" in attr else {}),
            **{k: v for k, v in attr.items() if k not in PLAIN and not k.startswith("extended-community")}}
    return last


def bgp_paths(paths: LabPaths, node: str) -> list[dict]:
    j = json.loads(vtysh(paths, node, f"show bgp ipv4 unicast {PREFIX} json").stdout or "{}")
    keep = ("extendedCommunity", "extendedIpv6Community", "multipath", "bestpath")
    return sorted(({"from": p["nexthops"][0]["ip"], **{k: p[k] for k in p if k in keep or "xtended" in k}}
                   for p in j.get("paths", [])), key=lambda p: p["from"])


def kernel(paths: LabPaths, node: str) -> list[dict]:
    r = subprocess.run(["ip", "-n", paths.netns(node), "-j", "route", "show", PREFIX], capture_output=True, text=True)
    rt = json.loads(r.stdout or "[]")
    hops = (rt[0].get("nexthops") or [rt[0]]) if rt else []
    return sorted(({"gateway": h.get("gateway"), "dev": h.get("dev"), "weight": h.get("weight", 1)} for h in hops),
                  key=lambda h: h["gateway"] or "")


def view(paths: LabPaths) -> dict:
    return {"heard": heard(paths), BAG: bgp_paths(paths, BAG), FAR: bgp_paths(paths, FAR),
            "kernel_" + FAR: kernel(paths, FAR)}


def settle(paths: LabPaths, before: dict | None, deadline_s: float = 30.0) -> dict:
    """The view once it differs from ``before`` and three readings 1 s apart agree (or the deadline)."""
    end, hist = time.monotonic() + deadline_s, []
    while True:
        hist.append(view(paths))
        if len(hist) >= 3 and hist[-1] == hist[-2] == hist[-3] and (hist[-1] != before or time.monotonic() > end):
            return hist[-1]
        if time.monotonic() > end + 15:
            return dict(hist[-1], unsettled=True)
        time.sleep(1.0)


def reset(paths: LabPaths, sessions: dict[str, list[str]]) -> None:
    """Hard-reset these sessions and wait until every session of the lab is up again: a
    neighbour's link-bandwidth flags reach its updates only then (bgpd keeps its update group's
    copy of the flags; a soft refresh changes nothing, seen on every version)."""
    for node, addrs in sessions.items():
        for a in addrs:
            vtysh(paths, node, f"clear bgp {a}")
    time.sleep(2)

    def up() -> bool:
        for node in (STSW, BAG, FAR):
            j = json.loads(vtysh(paths, node, "show bgp ipv4 unicast summary json").stdout or "{}")
            if not j.get("peers") or any(p.get("state") != "Established" for p in j["peers"].values()):
                return False
        return True
    end = time.monotonic() + 60
    while not up():
        if time.monotonic() > end:
            raise SystemExit("sessions did not come back within 60 s")
        time.sleep(1.0)


def apply(paths: LabPaths, node: str, cmds: list[str]) -> str:
    problems = configure(paths.netns(node), cmds)
    vtysh(paths, node, "clear bgp * soft")
    return problems


def announce(paths: LabPaths, v: int) -> str:
    return apply(paths, STSW, [c for m in ORIGIN_MAPS for c in (f"route-map {m} permit 10",
                                                                 f"set extcommunity bandwidth {v}", "exit")])


def step_values(paths: LabPaths, values: list[int], before: dict) -> tuple[list[dict], dict]:
    rows = []
    for v in values:
        problems = announce(paths, v)
        before = settle(paths, before)
        rows.append({"announced_mbps": v, "refused": problems, **before})
    return rows, before


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", required=True)
    paths = LabPaths(ap.parse_args().name)
    out: dict = {"measured": datetime.date.today().isoformat(), "lab": paths.name, "prefix": PREFIX,
                 "version": vtysh(paths, STSW, "show version").stdout.splitlines()[0].strip()}
    out["grammar"] = grammar(paths)
    out["configure"] = configure_tries(paths)
    accepted = {int(n) for n, r in out["configure"].items() if r["exit"] == 0 and r["running_config"]}
    values = [v for v in VALUES if v <= max(accepted)]
    bag_nb, stsw_nb, far_nb = neighbours(paths, BAG), neighbours(paths, STSW), neighbours(paths, FAR)
    out["sessions"] = {BAG: bag_nb, STSW: stsw_nb, FAR: far_nb}

    out["initial"] = before = settle(paths, None)
    fixed_nb, coll_nb = bag_nb[f"{FAR}-2"], bag_nb[f"{COLL}-1"]
    # r1-bag1's session to the collector gets a map of its own (the same cumulative value): bgpd
    # computes outbound attributes once per update group, and a per-neighbour encoding flag does
    # not split one (8.4 sent IEEE float to a 'disable-link-bw-encoding-ieee' neighbour that shared
    # TRANSIT with r2-bag1)
    out["fixed"] = {"router": BAG, "neighbor": fixed_nb, "mbps": FIXED, "refused": apply(paths, BAG, [
        "route-map LB28-FIXED permit 10", f"set extcommunity bandwidth {FIXED}", "exit",
        "route-map LB28-COLL permit 10", "set extcommunity bandwidth cumulative", "exit",
        f"router bgp {ASN[BAG]}", "address-family ipv4 unicast", f"neighbor {fixed_nb} route-map LB28-FIXED out",
        f"neighbor {coll_nb} route-map LB28-COLL out", "exit-address-family", "exit"])}
    out["values"], before = step_values(paths, values, before)

    # the raw 32-bit encoding, towards the collector only (forwarding keeps IEEE float)
    ieee_off = {n: apply(paths, n, [f"router bgp {ASN[n]}", f"neighbor {nb[f'{COLL}-1']} disable-link-bw-encoding-ieee",
                                    "exit"]) for n, nb in ((STSW, stsw_nb), (BAG, bag_nb))}
    # the flag alone changes nothing until the session is reset (bgpd keeps the update group's copy
    # of the neighbour's flags): the first reading says so, then the collector's sessions are reset
    announce(paths, 11000)
    out["ieee_off"] = {"refused": ieee_off, "before_reset": settle(paths, before)}
    to_coll = {STSW: [stsw_nb[f"{COLL}-1"]], BAG: [coll_nb]}
    reset(paths, to_coll)
    rows, before = step_values(paths, [v for v in (25600, 800000) if v in values], out["ieee_off"]["before_reset"])
    out["ieee_off"]["values"] = rows
    for n, nb in ((STSW, stsw_nb), (BAG, bag_nb)):
        apply(paths, n, [f"router bgp {ASN[n]}", f"no neighbor {nb[f'{COLL}-1']} disable-link-bw-encoding-ieee", "exit"])
    reset(paths, to_coll)

    # every session: r2-bag1's two paths then both carry the extended community only (with the
    # fixed session left classic, its path carried r1-bag1's classic 25600 next to the STSW's
    # extended value passed through, and 10.3 and 10.7 weighed different ones of the two)
    ext = {STSW: list(stsw_nb.values()), BAG: list(bag_nb.values()), FAR: list(far_nb.values())}
    refused = {n: apply(paths, n, [f"router bgp {ASN[n]}"] + [f"neighbor {a} extended-link-bandwidth" for a in addrs]
                        + ["exit"]) for n, addrs in ext.items()}
    out["extended"] = {"sessions": ext, "refused": refused}
    if not any(refused.values()):
        out["extended"]["before_reset"] = settle(paths, before)
        reset(paths, ext)
        out["extended"]["after_reset"] = before = settle(paths, None, 5)
        out["extended"]["values"], before = step_values(paths, values, before)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
