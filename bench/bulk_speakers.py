#!/usr/bin/env python3
"""Bulk route feeders compared on one lab: baglab's speaker (lab/nodes/speaker.py), GoBGP
(Debian's gobgpd, routes injected from an MRT TABLE_DUMP_V2 file) and BIRD 2 (static routes).

One bag-routes lab is brought up with its emulated fabric at a tiny size; then the lab's own
speakers are stopped and, for every size and feeder (the order rotates per size), the feeder under
test runs in each emulated spine's namespace with that node's sessions (peer and local addresses,
ASN, router-id, hold time; next hop = the session's local address) and the same prefixes and
link-bandwidth extended community (``link_bandwidth_community``).  Measured, polling zebra like
bench/routes.py (``show ipv6 route summary json``, ebgp routes in the FIB) on all 4 BAG routers:

- first:    feeder start (sessions to establish, GoBGP's injection) until every FIB holds all routes
- withdraw: all routes withdrawn on established sessions until every FIB has none of them
            (speaker: SIGUSR1; gobgpd: ``gobgp global rib del all``; BIRD: ``disable`` its static protocols)
- announce: all routes announced again until every FIB is full
            (speaker: SIGUSR2; gobgpd: ``gobgp mrt inject global`` again; BIRD: ``enable``)
- stop:     feeder stopped (SIGTERM: a session-down withdraw) until the FIBs are empty
- CPU seconds of the feeder (utime+stime from /proc/PID/stat, all 4 nodes, plus the gobgp/birdc
  client runs, which are part of feeding), peak PSS (sampled every 0.5 s) and peak RSS (VmHWM) per node.

Run as root: ``.venv/bin/python bench/bulk_speakers.py [--sizes 100000 1000000] [--feeders ...] [--json]``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.design.node_kinds import kind_of  # noqa: E402
from lab.frr.show import show_json  # noqa: E402
from lab.host import nsutil  # noqa: E402
from lab.nodes.exabgp_feed import all_prefixes  # noqa: E402
from bench.feeder_configs import bird_conf, bird_routes, gobgpd_toml, mrt_table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FEEDERS = ("speaker", "gobgpd", "bird2")
# the fabric's size while the lab comes up (the feeders under test bring the rest); below 5,000 bulk
# routes in all (lab/observe/converge.py BULK_THRESHOLD) baglab's per-prefix oracle expects only each
# block's first prefix and the lab never converges, so 2,000 per node (4 nodes)
TINY = 2000
PAD = 5000          # trailing copies of the last MRT record (mrt_table)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")     # utime, stime


def proc_kb(pid: int, path: str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# ---- feeders: one instance per emulated node; each step returns once the feeder has taken it ----

class Feeder:
    """Runs in one node's namespace; ``helper_cpu`` collects the client tools' CPU (wait4 rusage)."""

    def __init__(self, ns: str, cfg: dict, d: Path, shared: Path):
        self.ns, self.cfg, self.d, self.shared = ns, cfg, d, shared
        self.helper_cpu, self.retries = 0.0, 0
        self.proc: subprocess.Popen | None = None

    def spawn(self, argv: list[str]) -> None:
        log = os.open(self.d / "feeder.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            self.proc = nsutil.spawn_in(self.ns, argv, log, {**os.environ, "PYTHONPATH": str(ROOT)})
        finally:
            os.close(log)

    def helper(self, *argv: str) -> str:
        p = subprocess.Popen(["ip", "netns", "exec", self.ns, *argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = p.stdout.read().decode()
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        self.helper_cpu += ru.ru_utime + ru.ru_stime
        if p.returncode:
            raise RuntimeError(f"{argv} in {self.ns}: exit {p.returncode}: {out[:300]}")
        return out

    def stop(self) -> None:
        """SIGTERM (the speaker sends a Cease, the daemons close their sessions), SIGKILL after 30 s."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Speaker(Feeder):
    def start(self):
        path = self.d / "speaker.json"
        path.write_text(json.dumps(self.cfg))
        self.spawn([sys.executable, "-m", "lab.nodes.speaker", str(path), self.ns])

    def withdraw(self):
        self.proc.send_signal(signal.SIGUSR1)

    def announce(self):
        self.proc.send_signal(signal.SIGUSR2)


class GoBGP(Feeder):
    def start(self):
        (self.d / "gobgpd.toml").write_text(gobgpd_toml(self.cfg))
        self.spawn(["gobgpd", "-f", str(self.d / "gobgpd.toml"), "-t", "toml", "--pprof-disable",
                    "--api-hosts", "127.0.0.1:50051", "--log-level", "error"])
        for _ in range(100):            # the API is up a moment after the process
            if subprocess.run(["ip", "netns", "exec", self.ns, "gobgp", "global"], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        self.announce()

    def rib(self) -> int:
        return sum(int(self.helper("gobgp", "global", "rib", "-a", f, "summary").split("Destination: ")[1].split(",")[0])
                   for f in ("ipv4", "ipv6"))

    def withdraw(self):
        for f in ("ipv4", "ipv6"):
            self.helper("gobgp", "global", "rib", "-a", f, "del", "all")

    def announce(self):
        """gobgp 3.10's injector loses the stream's last paths when it closes (seen at 5k: 250-550 of
        them; a 2-record run added none), hence the padding in mrt_table and this check: the RIB must
        hold every prefix, else the missing tail is injected again (counted in ``retries``)."""
        want = len(all_prefixes(self.cfg)["ipv4"]) + len(all_prefixes(self.cfg)["ipv6"])
        mrt = str(self.shared / "routes.mrt")
        self.helper("gobgp", "mrt", "inject", "global", mrt)
        while (have := self.rib()) < want:
            if self.retries > 20:
                raise RuntimeError(f"gobgpd in {self.ns} holds {have} of {want} after {self.retries} re-injections")
            self.retries += 1
            skip = max(0, have - 1000)
            self.helper("gobgp", "mrt", "inject", "global", mrt, str(want + PAD - skip), str(skip))


class Bird(Feeder):
    def start(self):
        (self.d / "bird.conf").write_text(bird_conf(self.cfg, str(self.shared / "bird-routes.conf")))
        self.spawn(["bird", "-f", "-c", str(self.d / "bird.conf"), "-s", str(self.d / "bird.ctl")])

    def withdraw(self):
        self.helper("birdc", "-s", str(self.d / "bird.ctl"), "disable", '"feed*"')

    def announce(self):
        self.helper("birdc", "-s", str(self.d / "bird.ctl"), "enable", '"feed*"')


KINDS = {"speaker": Speaker, "gobgpd": GoBGP, "bird2": Bird}


def prepare_shared(cfg: dict, shared: Path) -> None:
    """Files every node shares (the nodes differ only in sessions): written before any clock runs."""
    pfx = all_prefixes(cfg)
    every = pfx["ipv4"] + pfx["ipv6"]
    (shared / "routes.mrt").write_bytes(mrt_table(cfg, every, PAD))
    (shared / "bird-routes.conf").write_text(bird_routes(cfg, every))


class PeakMemory(threading.Thread):
    """Peak PSS per pid, sampled every 0.5 s while the feeders run."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids, self.peak, self.done = pids, dict.fromkeys(pids, 0), threading.Event()

    def run(self):
        while not self.done.wait(0.5):
            for p in self.pids:
                self.peak[p] = max(self.peak[p], proc_kb(p, "smaps_rollup", "Pss:"))


# ---- measuring ----

def parallel(feeders: list[Feeder], step: str) -> None:
    """Every node takes the step at once, as the fabric's spines would; errors are raised here."""
    with ThreadPoolExecutor(len(feeders)) as pool:
        for fut in [pool.submit(getattr(f, step)) for f in feeders]:
            fut.result()


def ebgp_fib(ns: str) -> int:
    for r in show_json(ns, "show ipv6 route summary json").get("routes", []):
        if r.get("type") == "ebgp":
            return int(r.get("fib", 0))
    return 0


def wait_counts(target: dict[str, int], deadline_s: float) -> float:
    t0 = time.monotonic()
    pending = dict(target)
    while pending:
        pending = {ns: c for ns, c in pending.items() if ebgp_fib(ns) != c}
        if pending and time.monotonic() - t0 > deadline_s:
            raise RuntimeError(f"not reached in {deadline_s:.0f}s: want {pending}, have { {n: ebgp_fib(n) for n in pending} }")
        if pending:
            time.sleep(0.1)
    return round(time.monotonic() - t0, 1)


def lb_seen(ns: str, prefix: str) -> str:
    """The extended community as the BAG router shows it: the proof the attribute arrived."""
    out = show_json(ns, f"show bgp ipv6 unicast {prefix} json")
    for path in out.get("paths", []):
        if "LB:" in path.get("extendedCommunity", {}).get("string", ""):
            return path["extendedCommunity"]["string"]
    return "missing"


def measure(feeder: str, n: int, nodes: dict[str, tuple[str, dict]], full: dict, empty: dict, work: Path) -> dict:
    shared = work / f"{n}"
    feeders = []
    for name, (ns, cfg) in nodes.items():
        d = Path(tempfile.mkdtemp(prefix=f"{n}-{feeder}-{name}-", dir=work))     # a size may come twice
        feeders.append(KINDS[feeder](ns, cfg, d, shared))
    deadline = 60 + n / 300
    load = os.getloadavg()
    row = {"feeder": feeder, "prefixes": n, "load_start": [round(x, 2) for x in load]}
    try:
        t0 = time.monotonic()
        parallel(feeders, "start")
        mem = PeakMemory([f.proc.pid for f in feeders])
        mem.start()
        wait_counts(full, deadline)
        row["first_s"] = round(time.monotonic() - t0, 1)
        row["lb_at_bag"] = lb_seen(next(iter(full)), nodes[next(iter(nodes))][1]["bulk"][0]["first"])
        for step, target in (("withdraw", empty), ("announce", full)):
            t0 = time.monotonic()
            parallel(feeders, step)
            wait_counts(target, deadline)
            row[f"{step}_s"] = round(time.monotonic() - t0, 1)
        row["cpu_s"] = round(sum(cpu_seconds(f.proc.pid) + f.helper_cpu for f in feeders), 1)
        row["cpu_clients_s"] = round(sum(f.helper_cpu for f in feeders), 1)
        row["peak_rss_mb_per_node"] = round(max(proc_kb(f.proc.pid, "status", "VmHWM:") for f in feeders) / 1024, 1)
        mem.done.set()
        mem.join()
        row["peak_pss_mb_per_node"] = round(max(mem.peak.values()) / 1024, 1)
        row["reinjections"] = sum(f.retries for f in feeders)
        t0 = time.monotonic()
        parallel(feeders, "stop")
        wait_counts(empty, deadline)
        row["stop_s"] = round(time.monotonic() - t0, 1)
    finally:
        for f in feeders:
            f.stop()
    return row


def lab_nodes(plan, paths) -> tuple[dict[str, tuple[str, dict]], list[str]]:
    """The emulated fabric nodes (namespace, speaker config as rendered) and the BAG routers' namespaces."""
    fabric = {nd.name: (paths.netns(nd.name), json.loads((paths.node_dir(nd.name) / "speaker.json").read_text()))
              for nd in plan.nodes if kind_of(nd).emulates_fabric}
    return fabric, [paths.netns(nd.name) for nd in plan.nodes if nd.role == "bag"]


def sized(cfg: dict, n: int) -> dict:
    if len(cfg["bulk"]) != 1:
        raise ValueError("expected one bulk block per emulated node")
    return {**cfg, "bulk": [{**cfg["bulk"][0], "count": n}]}


def run(sizes: list[int], feeders: list[str], lab: str) -> list[dict]:
    from lab.runtime import down_lab
    from lab.state import LabPaths
    from lab.workflows.build import up

    doc = yaml.safe_load((ROOT / "topologies/bag-routes.yaml").read_text())
    for region in doc["regions"]:
        for fab in region.get("fabrics", []):
            if fab.get("emulator", "frr") != "frr":
                fab.update(emulator="bulk", routes={"ipv4": 0, "ipv6": TINY})
    paths = LabPaths(lab)
    down_lab(paths)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bulkd-") as tmp:
        work = Path(tmp)
        (work / "topo.yaml").write_text(yaml.safe_dump(doc))
        try:
            res = up(work / "topo.yaml", lab, deadline_s=180)
            fabric, bags = lab_nodes(res.plan, paths)
            # the lab's own speakers go: every feeder, ours included, is started the same way below
            extra = len({p for _, cfg in fabric.values() for p in all_prefixes(cfg)["ipv6"]})
            full_tiny = {ns: ebgp_fib(ns) for ns in bags}
            empty = {ns: c - extra for ns, c in full_tiny.items()}
            by_ns = nsutil.pids_by_netns([ns for ns, _ in fabric.values()])
            for pids in by_ns.values():
                for pid in pids:
                    os.kill(pid, signal.SIGTERM)
            wait_counts(empty, 60)
            for i, n in enumerate(sizes):
                nodes = {name: (ns, sized(cfg, n)) for name, (ns, cfg) in fabric.items()}
                (work / f"{n}").mkdir()
                prepare_shared(next(iter(nodes.values()))[1], work / f"{n}")
                full = {ns: c - TINY + n for ns, c in full_tiny.items()}
                # rotated per size, so no feeder always runs first (or right after another's teardown)
                for feeder in feeders[i % len(feeders):] + feeders[:i % len(feeders)]:
                    row = measure(feeder, n, nodes, full, empty, work)
                    print(json.dumps(row), file=sys.stderr, flush=True)
                    rows.append(row)
                shutil.rmtree(work / f"{n}")
        finally:
            down_lab(paths)        # also when a step fails: leave nothing behind
    return rows


def table(rows: list[dict]) -> str:
    out = ["| prefixes | feeder | load (1 min) | first full | withdraw | announce | stop (session down) "
           "| CPU (4 nodes) | of which clients | peak PSS / node | peak RSS / node | LB at BAG |",
           "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        out.append(f"| {r['prefixes']:,} | {r['feeder']} | {r['load_start'][0]} | {r['first_s']} s | {r['withdraw_s']} s "
                   f"| {r['announce_s']} s | {r['stop_s']} s | {r['cpu_s']} s | {r['cpu_clients_s']} s "
                   f"| {r['peak_pss_mb_per_node']} MB | {r['peak_rss_mb_per_node']} MB | {r['lb_at_bag']} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--feeders", nargs="+", default=list(FEEDERS), choices=FEEDERS)
    ap.add_argument("--lab", default="bk1", help="lab name")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = run(args.sizes, args.feeders, args.lab)
    print(json.dumps(rows, indent=1) if args.json else table(rows))


if __name__ == "__main__":
    main()
