#!/usr/bin/env python3
"""What a link impairment adds, measured with real packets (docs/how-to/impairments.md).  On bag-mini,
member 1 of r1-bag1~r2-bag1 is impaired, member 2 (same routers, same SecYs) is the control; ICMP
echoes answered by the far router's kernel (lab/observe/probes/rtt.py):

- delay: added one-way delay (half the RTT difference) at p10/p50/p90, and its spread, for 0.3 ms
  (60 km of fibre) and 1 ms ± 0.5 ms;
- loss: echoes lost out of N at 2 % and 10 % per direction (expected 1-(1-p)^2 of round trips),
  and the SecY's own count of frames dropped out of frames offered;
- CPU: the SecYs' CPU time per echo, unimpaired vs delayed.

With ``--plain`` the same on member 1 of the plain r1-f2-edge~r1-bag1 (member 2 the control),
served on a kernel without netem by the forwarders (lab/forwarder/); the ``secy_*`` figures are
then the forwarders' (the user-space line's process either way).

Run as root: ``sudo .venv/bin/python bench/impair.py [--lab imb] [--count 2000] [--plain] [--json]``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.workflows.build import up  # noqa: E402
from lab.faults.names import bundle_members  # noqa: E402
from lab.forwarder import control as forwarders  # noqa: E402
from lab.impair.spec import Impairment  # noqa: E402
from lab.macsec import ports, secy  # noqa: E402
from lab.observe.probes.rtt import icmp_rtts  # noqa: E402
from lab.runtime import down_lab  # noqa: E402
from lab.session import open_lab  # noqa: E402
from lab.state import LabPaths  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = "r1-bag1~r2-bag1"
PLAIN_BUNDLE = "r1-f2-edge~r1-bag1"


def _line(paths, end) -> dict:
    """The end's delay-line counters, from its SecY (protected) or its forwarder (plain)."""
    src = ports.stats if end.wire else forwarders.stats
    return src(paths, end.node)["ports"][end.ifname]["impaired"]


def _line_pids(paths, plan, link) -> list[int]:
    if link.a.wire:
        return [p for n, p in secy.shim_pids(paths, plan).items() if n in (link.a.node, link.b.node)]
    return [p for p in (forwarders.pid_of(paths, e.node) for e in (link.a, link.b)) if p]


def _cpu_s(pids) -> float:
    """utime + stime of these processes, seconds."""
    tick = 100.0
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / tick


def _rtts(paths, link, count):
    return icmp_rtts(paths.netns(link.a.node), link.b.ipv4.split("/")[0], count, interval_s=0.002, timeout_s=0.3)


def delay_case(fi, paths, m1, m2, imp: Impairment, count: int) -> dict:
    f = fi.impair(m1, imp)
    try:
        pids = _line_pids(paths, fi.plan, m1)
        c0 = _cpu_s(pids)
        imp_r = _rtts(paths, m1, count)
        c1 = _cpu_s(pids)
        ctl = _rtts(paths, m2, count)
        c2 = _cpu_s(pids)
        lines = [_line(paths, e) for e in (m1.a, m1.b)]
    finally:
        fi.restore(f)
    q = {p: (imp_r.percentile_us(p) - ctl.percentile_us(p)) / 2 for p in (10, 50, 90)}
    late = sum(c["late_us"] for c in lines) / max(1, sum(c["sent"] for c in lines))
    return {"impairment": imp.describe(), "echoes": count, "added_one_way_us": {f"p{p}": round(v) for p, v in q.items()},
            "rtt_spread_us": {"impaired": round(imp_r.spread_us), "control": round(ctl.spread_us)},
            "secy_mean_late_us": round(late, 1),
            "secy_cpu_ms_per_echo": {"delayed": round(1000 * (c1 - c0) / count, 3),
                                     "unimpaired": round(1000 * (c2 - c1) / count, 3)}}


def loss_case(fi, paths, m1, loss: float, count: int) -> dict:
    f = fi.impair(m1, Impairment(loss=loss))
    try:
        r = _rtts(paths, m1, count)
        lines = [_line(paths, e) for e in (m1.a, m1.b)]
    finally:
        fi.restore(f)
    offered, lost = sum(c["offered"] for c in lines), sum(c["lost"] for c in lines)
    expect = 1 - (1 - loss / 100) ** 2
    sd = (count * expect * (1 - expect)) ** 0.5
    return {"loss_pct": loss, "echoes": count, "echoes_lost": r.lost, "expected": round(count * expect, 1),
            "sigma": round(sd, 1), "secy_frames_offered": offered, "secy_frames_lost": lost,
            "secy_loss_pct": round(100 * lost / max(1, offered), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lab", default="imb")
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--plain", action="store_true", help=f"impair the plain {PLAIN_BUNDLE} instead")
    ap.add_argument("--keep", action="store_true", help="leave the lab up")
    args = ap.parse_args()
    paths = LabPaths(args.lab)
    down_lab(paths)
    plan = up(ROOT / "topologies" / "bag-mini.yaml", args.lab).plan
    try:
        with open_lab(paths, plan) as lab:
            fi = lab.faults
            m1, m2 = bundle_members(plan, PLAIN_BUNDLE if args.plain else BUNDLE, [1, 2])
            out = {"delay": [delay_case(fi, paths, m1, m2, imp, args.count)
                             for imp in (Impairment(delay_ms=0.3), Impairment(delay_ms=1.0, jitter_ms=0.5))],
                   "loss": [loss_case(fi, paths, m1, p, args.count) for p in (2.0, 10.0)],
                   "load": Path("/proc/loadavg").read_text().split()[:3]}
    finally:
        if not args.keep:
            down_lab(paths)
    print(json.dumps(out, indent=1) if args.json else _table(out))


def _table(out: dict) -> str:
    lines = [f"load average {' '.join(out['load'])}"]
    for d in out["delay"]:
        a = d["added_one_way_us"]
        lines.append(f"{d['impairment']:<22} added one way p10/p50/p90 {a['p10']}/{a['p50']}/{a['p90']} us, "
                     f"RTT spread {d['rtt_spread_us']['impaired']} us (control {d['rtt_spread_us']['control']}), "
                     f"SecY late {d['secy_mean_late_us']} us, CPU/echo {d['secy_cpu_ms_per_echo']}")
    for x in out["loss"]:
        lines.append(f"loss {x['loss_pct']}%: {x['echoes_lost']}/{x['echoes']} echoes lost (expected "
                     f"{x['expected']} ± {x['sigma']}), SecY {x['secy_frames_lost']}/{x['secy_frames_offered']} "
                     f"frames = {x['secy_loss_pct']}%")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
