#!/usr/bin/env python3
"""Lifecycle under interruption: ``kill -9`` of ``baglab up`` at a random moment, then ``baglab down``;
count what is left (must be nothing).

Run as root: ``sudo .venv/bin/python bench/interrupt.py [--trials 50] [--runtime netns|docker|random]``.

Each trial starts ``baglab up TOPO --name NAME`` as a process, kills it with SIGKILL after a delay
drawn uniformly from [0, bring-up time] (the bring-up time of each runtime is measured first, by a
complete ``up``), notes what it had built by then (namespaces, containers, FRR daemons, SecYs), runs
``baglab down --name NAME`` and checks at once, from outside, that nothing of the lab is left:
namespaces, processes (in the lab's namespaces, including ones whose name ``down`` deleted, or
naming the lab on their command line), ``/var/run/frr/bl_<lab>_*``, the state directory, host
nftables tables, containers labelled with the lab, host veths.  The next trial's ``up`` of the
same name follows immediately, so it would meet anything ``down`` left running.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.host import nsutil  # noqa: E402
from lab.runtime.remnants import describe, netns_inodes, remnants  # noqa: E402
from lab.state import LabPaths  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BAGLAB = [sys.executable, "-m", "lab.cli"]


def host_veths() -> set[str]:
    r = subprocess.run(["ip", "-j", "link", "show", "type", "veth"], capture_output=True, text=True)
    return {l["ifname"] for l in json.loads(r.stdout or "[]")}


def docker_ok() -> bool:
    from lab.runtime.docker_engine import engine_or_none
    return engine_or_none() is not None


def built(name: str, runtime: str) -> dict:
    """What the lab had at the moment of the kill."""
    paths = LabPaths(name)
    ns = nsutil.list_netns(paths.ns_prefix)
    comms: dict[str, int] = {}
    for pids in nsutil.pids_by_netns(ns).values():
        for p in pids:
            c = nsutil.cmdline(p)
            key = ("secy" if b"lab.macsec.shim" in c else "zebra" if b"zebra" in c.split(b"\0")[0]
                   else "bgpd" if b"bgpd" in c.split(b"\0")[0] else "other")
            comms[key] = comms.get(key, 0) + 1
    out = {"namespaces": len(ns), **comms}
    if runtime == "docker":
        from lab.runtime.remnants import containers
        out["containers"] = len(containers(name))
    return out


def bringup_seconds(topo: str, name: str, runtime: str) -> float:
    subprocess.run(BAGLAB + ["down", "--name", name], capture_output=True)
    t0 = time.monotonic()
    r = subprocess.run(BAGLAB + ["up", topo, "--name", name, "--runtime", runtime, "-q"], capture_output=True,
                       text=True)
    dt = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit(f"up on {runtime} failed: {r.stderr}")
    subprocess.run(BAGLAB + ["down", "--name", name], capture_output=True, check=True)
    return dt


def trial(topo: str, name: str, runtime: str, delay: float, veths0: set[str]) -> dict:
    paths = LabPaths(name)
    proc = subprocess.Popen(BAGLAB + ["up", topo, "--name", name, "--runtime", runtime, "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    inodes: dict[int, str] = {}
    # the kill moment is the experiment's random variable; meanwhile note the lab's namespace
    # inodes, so processes left in a namespace whose name 'down' deleted are still found
    while time.monotonic() - t0 < delay and proc.poll() is None:
        inodes.update(netns_inodes(nsutil.list_netns(paths.ns_prefix)))
        time.sleep(0.005)
    inodes.update(netns_inodes(nsutil.list_netns(paths.ns_prefix)))
    finished = proc.poll() is not None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    at_kill = built(name, runtime)
    t1 = time.monotonic()
    d = subprocess.run(BAGLAB + ["down", "--name", name], capture_output=True, text=True)
    down_s = time.monotonic() - t1
    left = remnants(name, set(inodes), docker=(runtime == "docker"))
    extra = sorted(host_veths() - veths0)
    if extra:
        left["host_veths"] = extra
    if d.returncode != 0:
        left["down_failed"] = d.stderr.strip()[-300:]
    leaks = sum(len(v) if isinstance(v, list) else int(bool(v)) for v in left.values())
    return {"runtime": runtime, "delay_s": round(delay, 3), "up_finished": finished, "at_kill": at_kill,
            "down_s": round(down_s, 2), "leaks": leaks, "left": describe(left) if leaks else ""}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--runtime", default="random", choices=["netns", "docker", "random"],
                    help="random: netns or docker per trial (docker only when an engine answers)")
    ap.add_argument("--topology", default=str(ROOT / "topologies/bag-mini.yaml"))
    ap.add_argument("--name", default="lfb")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root")
    rng = random.Random(args.seed)
    runtimes = (["netns", "docker"] if docker_ok() else ["netns"]) if args.runtime == "random" else [args.runtime]
    wall0 = time.monotonic()
    upt = {rt: bringup_seconds(args.topology, args.name, rt) for rt in runtimes}
    print("bring-up: " + ", ".join(f"{rt} {s:.2f}s" for rt, s in upt.items()), file=sys.stderr, flush=True)
    veths0 = host_veths()
    results = []
    for i in range(args.trials):
        rt = rng.choice(runtimes)
        res = trial(args.topology, args.name, rt, rng.uniform(0, upt[rt]), veths0)
        results.append(res)
        print(f"trial {i + 1:3d} {rt:<6} kill at {res['delay_s']:6.2f}s  built {res['at_kill']}  "
              f"down {res['down_s']:.2f}s  leaks {res['leaks']} {res['left']}", file=sys.stderr, flush=True)
    subprocess.run(BAGLAB + ["down", "--name", args.name], capture_output=True)
    total = sum(r["leaks"] for r in results)
    summary = {"trials": len(results), "leaks": total, "trials_with_leaks": sum(1 for r in results if r["leaks"]),
               "runtimes": {rt: sum(1 for r in results if r["runtime"] == rt) for rt in runtimes},
               "bringup_s": {rt: round(s, 2) for rt, s in upt.items()},
               "down_s_max": max((r["down_s"] for r in results), default=0.0),
               "wall_s": round(time.monotonic() - wall0, 1)}
    if args.json:
        print(json.dumps({"summary": summary, "trials": results}, indent=1))
    else:
        print(f"{summary['trials']} trials ({', '.join(f'{k} {v}' for k, v in summary['runtimes'].items())}): "
              f"{summary['leaks']} leaks in {summary['trials_with_leaks']} trials; slowest down "
              f"{summary['down_s_max']:.2f}s; wall {summary['wall_s']:.0f}s")
    sys.exit(1 if total else 0)


if __name__ == "__main__":
    main()
