"""The embedded runtime: one network namespace per node, veth per member link, FRR per node.

Veths are created directly inside the two node namespaces (``ip link add ... netns A
type veth peer ... netns B``), so no lab interface ever exists in the host namespace,
even for a moment, and no lab namespace gets a route or link to the host.
"""
from __future__ import annotations

import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pyroute2 import IPRoute

from .. import safe_io
from ..errors import LabError
from ..macsec import enforce, kernel as macsec_kernel, keys as macsec_keys
from ..plan import Plan
from ..state import FRR_RUN, STATE_ROOT, LabPaths, is_lab_name, lab_name_of_netns, read_state, write_state
from ..wait import poll
from . import nsutil

FRR_BIN = Path(os.environ.get("BAGLAB_FRR_BIN", "/usr/lib/frr"))
DAEMONS = ("zebra", "bgpd")
NODE_SYSCTLS = {
    "net.ipv4.ip_forward": "1",
    "net.ipv6.conf.all.forwarding": "1",
    # addresses must be usable at once: BGP over IPv6 cannot bind a tentative address
    "net.ipv6.conf.all.accept_dad": "0",
    "net.ipv6.conf.default.accept_dad": "0",
    "net.ipv6.conf.default.keep_addr_on_down": "1",
    # hash on L4 so that flows, not host pairs, spread over UCMP next hops
    "net.ipv4.fib_multipath_hash_policy": "1",
    "net.ipv6.fib_multipath_hash_policy": "1",
    "net.ipv4.conf.all.rp_filter": "0",
    "net.ipv4.conf.default.rp_filter": "0",
}

# Every namespace hashes flows with the same key unless told otherwise: then a router's next hop
# gets only flows from the hash range its upstream already chose, and the split polarises (seen
# here: one of four equal next hops got 0 of 270 flows).  Routers in production differ in seed;
# Linux 6.11+ lets each namespace have its own (it covers IPv6 too).
HASH_SEED = Path("/proc/sys/net/ipv4/fib_multipath_hash_seed")


def hash_seed(node: str) -> int:
    return zlib.crc32(node.encode()) or 1


# 'down': how long it keeps removing before it reports survivors, and how long a process gets
# between SIGTERM and SIGKILL
DOWN_DEADLINE_S = 30.0
KILL_GRACE_S = 3.0

Progress = Callable[[str, int, int], None]   # step, done, total


def _noop(step: str, done: int, total: int) -> None:
    pass


@dataclass
class DownReport:
    namespaces: int = 0
    processes: int = 0
    survivors: list[int] = field(default_factory=list)
    leftover_ns: list[str] = field(default_factory=list)
    passes: int = 0
    seconds: float = 0.0


class NetnsRuntime:
    name = "netns"
    python = sys.executable      # what ExaBGP's helper processes run with

    def __init__(self, paths: LabPaths):
        self.paths = paths
        self._engine = None      # the Docker client down() uses, False when no engine answers

    # -- prerequisites ------------------------------------------------------------------
    @staticmethod
    def check_host() -> None:
        if os.geteuid() != 0:
            raise LabError("the netns runtime needs root: run with sudo")
        missing = [d for d in DAEMONS if not (FRR_BIN / d).exists()]
        if missing or not shutil.which("vtysh"):
            raise LabError(f"FRR is not installed ({FRR_BIN}/{missing[0] if missing else 'vtysh'} missing): "
                           "run 'make deps' or 'apt-get install frr'")
        if not shutil.which("ip"):
            raise LabError("iproute2 ('ip') is not installed: run 'make deps'")

    # -- bring-up steps -----------------------------------------------------------------
    def create_namespaces(self, plan: Plan, progress: Progress = _noop) -> None:
        names = [self.paths.netns(n.name) for n in plan.nodes]
        nsutil.ip_batch([f"netns add {n}" for n in names])
        seeded = HASH_SEED.exists()
        for i, (node, n) in enumerate(zip(plan.nodes, names), 1):
            extra = {"net.ipv4.fib_multipath_hash_seed": str(hash_seed(node.name))} if seeded else {}
            nsutil.write_sysctls(n, {**NODE_SYSCTLS, **extra})
            progress("namespaces", i, len(names))

    def create_links(self, plan: Plan, progress: Progress = _noop) -> None:
        ns = self.paths.netns
        nsutil.ip_batch([f"link add {l.a.port} netns {ns(l.a.node)} type veth peer name {l.b.port} "
                         f"netns {ns(l.b.node)}" for l in plan.links])
        self._create_macsec_ports(plan)
        by_node: dict[str, list[tuple[str, str, str]]] = {n.name: [] for n in plan.nodes}
        for l in plan.links:
            for e in (l.a, l.b):
                by_node[e.node].append((e.ifname, e.ipv4, e.ipv6))
        for i, node in enumerate(plan.nodes, 1):
            with IPRoute(netns=ns(node.name)) as ipr:
                idx = {l.get_attr("IFLA_IFNAME"): l["index"] for l in ipr.get_links()}
                lo_addrs = [(node.router_id, 32), (node.loopback_v6, 128)]
                # the first address of each originated prefix lives on lo, so probes have a target
                for p in node.prefixes_v4 + node.prefixes_v6:
                    net = ipaddress.ip_network(p)
                    lo_addrs.append((str(net[1] if net.num_addresses > 1 else net[0]), net.max_prefixlen))
                for addr, plen in lo_addrs:
                    ipr.addr("add", index=idx["lo"], address=addr, prefixlen=plen)
                ipr.link("set", index=idx["lo"], state="up")
                for ifname, a4, a6 in by_node[node.name]:
                    for a in (a4, a6):
                        addr, plen = a.split("/")
                        ipr.addr("add", index=idx[ifname], address=addr, prefixlen=int(plen))
                    ipr.link("set", index=idx[ifname], state="up")
            progress("links", i, len(plan.nodes))

    # -- MACsec ports ----------------------------------------------------------------------
    def macsec_backend(self) -> str:
        return read_state(self.paths).get("macsec_backend", "shim")

    @staticmethod
    def wire_mac(link_id: int, side: str) -> str:
        """Deterministic, locally administered: the SCI of each end is known from the plan."""
        return f"02:ba:{link_id >> 16 & 255:02x}:{link_id >> 8 & 255:02x}:{link_id & 255:02x}:0{side}"

    def _create_macsec_ports(self, plan: Plan) -> None:
        """On every protected port: the wire (veth) carries only 802.1AE; the router's interface on
        top of it is a kernel macsec device or a TAP served by the shim."""
        protected = [l for l in plan.links if l.a.wire]
        if not protected:
            return
        backend = macsec_kernel.backend()
        write_state(self.paths, macsec_backend=backend)
        chain = macsec_keys.create(self.paths, plan)
        per_node: dict[str, list[str]] = {}
        for l in protected:
            for side, e in (("a", l.a), ("b", l.b)):
                mac = self.wire_mac(l.id, side)
                lines = per_node.setdefault(e.node, [])
                lines += [f"link set dev {e.wire} address {mac} mtu 1600 up"]
                if backend == "shim":
                    lines += [f"tuntap add dev {e.ifname} mode tap", f"link set dev {e.ifname} address {mac}"]
        ports = {node: macsec_keys.port_configs(plan, chain, node) for node in per_node}
        if backend == "kernel":
            for node, pcs in ports.items():
                for port in pcs:
                    link = plan.links[port["link"]]
                    peer_mac = self.wire_mac(link.id, "b" if link.a.node == node else "a")
                    per_node[node] += macsec_kernel.commands(port, chain.cipher, chain.replay_window, peer_mac)
        for node in per_node:
            # no IPv6 (not even MLD) on the wire: nothing but the SecY may speak there
            nsutil.write_sysctls(self.paths.netns(node), {f"net.ipv6.conf.{e.wire}.disable_ipv6": "1"
                                                          for l in protected for e in (l.a, l.b) if e.node == node})
        for node, lines in per_node.items():
            r = subprocess.run(["ip", "-n", self.paths.netns(node), "-batch", "-"], input="\n".join(lines) + "\n",
                               text=True, capture_output=True)
            if r.returncode != 0:
                raise LabError(f"MACsec ports on {node} ({backend}): {r.stderr.strip()}")
            enforce.install(self.paths.netns(node), ports[node])

    def macsec_nodes(self, plan: Plan) -> list[str]:
        return sorted({e.node for l in plan.links if l.a.wire for e in (l.a, l.b)})

    def write_macsec_configs(self, plan: Plan) -> int:
        """Render every shim's keys from the key chain; returns the chain's generation."""
        chain = macsec_keys.load(self.paths)
        for n in self.macsec_nodes(plan):
            macsec_keys.write_secret(self.paths.node_dir(n) / "macsec.json", macsec_keys.node_config(plan, chain, n))
        return chain.generation

    def macsec_stats(self, node: str) -> dict:
        try:
            return json.loads((self.paths.node_dir(node) / "macsec-stats.json").read_text())
        except (OSError, ValueError):
            return {}

    def reload_macsec(self, plan: Plan, deadline_s: float = 10.0) -> None:
        """Push the key chain to every shim and wait until each has taken it."""
        if self.macsec_backend() != "shim":
            raise LabError("key changes on a running lab are implemented for the user-space MACsec shim only; "
                           "this lab uses the kernel's macsec (restart it with 'baglab up' to apply keys)")
        gen = self.write_macsec_configs(plan)
        procs = self.processes(plan)
        for n in self.macsec_nodes(plan):
            pid = procs[n].get("macsec")
            if pid is None:
                raise LabError(f"the MACsec shim of {n} is not running")
            os.kill(pid, signal.SIGHUP)
        def behind() -> list[str]:
            return [n for n in self.macsec_nodes(plan) if self.macsec_stats(n).get("generation", -1) < gen]
        if not poll(lambda: not behind(), deadline_s):
            raise LabError(f"MACsec shims did not take key generation {gen} within {deadline_s:.0f}s: {behind()}")

    def rotate_macsec(self, plan: Plan) -> int:
        """Hitless key rotation: every receiver learns the new key first, then every port switches
        its transmit SA to it; the predecessor stays valid for frames already in flight."""
        chain = macsec_keys.load(self.paths)
        new = macsec_keys.new_key(chain)
        macsec_keys.save(self.paths, chain)
        self.reload_macsec(plan)
        chain = macsec_keys.load(self.paths)
        chain.tx = new["id"]
        macsec_keys.save(self.paths, chain)
        self.reload_macsec(plan)
        return new["id"]

    def _spawn_helper(self, node: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        """A non-FRR process of the node (SecY, speaker, ExaBGP): in its namespace, in its own
        session, output appended to the node's log."""
        ns = self.paths.netns(node)
        log = safe_io.open_append(self.paths.log_file(node))
        try:
            return subprocess.Popen(argv, env=env, preexec_fn=lambda: nsutil.setns(ns), stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            os.close(log)

    def _spawn_shim(self, node: str) -> subprocess.Popen:
        d = self.paths.node_dir(node)
        return self._spawn_helper(node, [sys.executable, "-m", "lab.macsec.shim", str(d / "macsec.json"),
                                         str(d / "macsec-stats.json"), str(self.paths.log_file(node)),
                                         self.paths.netns(node)])

    def start_shims(self, plan: Plan, nodes: list[str], deadline_s: float = 15.0) -> None:
        if self.macsec_backend() != "shim":
            return
        wanted = [n for n in self.macsec_nodes(plan) if n in nodes]
        if not wanted:
            return
        procs = self.processes(plan)
        missing = [n for n in wanted if procs[n].get("macsec") is None]
        if not missing:
            return
        self.write_macsec_configs(plan)
        spawned = {n: self._spawn_shim(n) for n in missing}

        def pending() -> list[str]:
            # ready once the new instance has written its counters (it keeps the old file's PNs)
            late = [n for n in missing if self.macsec_stats(n).get("pid") != spawned[n].pid]
            dead = [n for n in late if spawned[n].poll() is not None]
            if dead:
                tail = self.paths.log_file(dead[0]).read_text(errors="replace").splitlines()[-8:]
                raise LabError(f"the MACsec shim of {dead[0]} exited ({spawned[dead[0]].returncode}):\n"
                               + "\n".join(tail))
            return late
        if not poll(lambda: not pending(), deadline_s):
            raise LabError(f"MACsec shims did not attach their ports within {deadline_s:.0f}s: {pending()}")

    def write_configs(self, plan: Plan, configs: dict[str, dict[str, str]]) -> None:
        """Configs are 0640 frr:frr (frr.conf holds TCP-MD5 passwords), written without following links
        (the directories are frr's: lab.safe_io)."""
        owner = safe_io.frr_owner()
        for node in plan.nodes:
            d = safe_io.make_dir(self.paths.node_dir(node.name), owner=owner)
            for fname, text in configs[node.name].items():
                safe_io.write_file(d / fname, text, mode=0o640, owner=owner)
            # FRR (user frr) and root-run helpers (the MACsec SecY, emulators) share the node's
            # log: it must exist, owned by frr, before either opens it
            os.close(safe_io.open_append(self.paths.log_file(node.name), owner=owner))
            safe_io.make_dir(self.paths.frr_dir(node.name), owner=owner)

    def _spawn(self, node: str, daemon: str) -> subprocess.Popen:
        ns = self.paths.netns(node)
        run = self.paths.frr_dir(node)
        argv = [str(FRR_BIN / daemon), "-d", "-N", ns, "-P", "0", "-i", str(run / f"{daemon}.pid"),
                "-f", str(self.paths.node_dir(node) / "frr.conf")]
        if daemon == "zebra":
            argv += ["-s", str(64 * 1024 * 1024)]     # netlink buffer: room for large route bursts
        return subprocess.Popen(argv, preexec_fn=lambda: nsutil.setns(ns), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)

    def _spawn_speaker(self, node: str) -> subprocess.Popen:
        # the namespace name rides on the command line so 'down' finds it even without the netns
        return self._spawn_helper(node, [sys.executable, "-m", "bgp.speaker",
                                         str(self.paths.node_dir(node) / "speaker.json"), self.paths.netns(node)])

    def _spawn_exabgp(self, node: str) -> subprocess.Popen:
        exe = Path(sys.executable).parent / "exabgp"
        if not exe.exists():
            raise LabError(f"{node} runs ExaBGP, which is not installed beside this Python ({exe}): "
                           "run 'make deps' (pip install 'exabgp>=5')")
        env = dict(os.environ, **{"exabgp.api.cli": "false", "exabgp.daemon.user": "root",
                                  "exabgp.log.processes": "false", "exabgp.daemon.daemonize": "false"})
        return self._spawn_helper(node, [str(exe), str(self.paths.node_dir(node) / "exabgp.conf")], env)

    def start_daemons(self, plan: Plan, progress: Progress = _noop, nodes: list[str] | None = None) -> None:
        wanted = nodes or [n.name for n in plan.nodes]
        self.start_shims(plan, wanted)      # the ports first: routers find their links with carrier
        for n in wanted:
            if plan.node(n).emulator == "bulk":
                self._spawn_speaker(n)
            elif plan.node(n).emulator == "exabgp":
                self._spawn_exabgp(n)
        names = [n for n in wanted if plan.node(n).emulator == "frr"]
        if not names:
            return
        for n in names:   # a restart after a crash finds the old sockets: they must not look ready
            (self.paths.frr_dir(n) / "zserv.api").unlink(missing_ok=True)
        total = len(names) * len(DAEMONS)
        done = 0
        for daemon in DAEMONS:
            procs = [(n, self._spawn(n, daemon)) for n in names]
            for n, p in procs:
                _, err = p.communicate(timeout=30)
                if p.returncode != 0:
                    raise LabError(f"{daemon} on {n} failed to start (exit {p.returncode}): {err.decode().strip()}\n"
                                   f"log: {self.paths.log_file(n)}")
                done += 1
                progress("daemons", done, total)
            if daemon == "zebra":
                self._wait_sockets(names, "zserv.api")

    def _wait_sockets(self, nodes: list[str], sock: str, deadline_s: float = 20.0) -> None:
        def pending() -> list[str]:
            return sorted(n for n in nodes if not (self.paths.frr_dir(n) / sock).exists())
        if not poll(lambda: not pending(), deadline_s):
            raise LabError(f"zebra did not open its API socket within {deadline_s:.0f}s on: {', '.join(pending())}")

    # -- inspection ---------------------------------------------------------------------
    def processes(self, plan: Plan) -> dict[str, dict[str, int | None]]:
        """node -> daemon -> pid (None when the daemon is not running)."""
        by_ns = nsutil.pids_by_netns([self.paths.netns(n.name) for n in plan.nodes])
        shim, shim_nodes = self.macsec_backend() == "shim", set(self.macsec_nodes(plan))
        out: dict[str, dict[str, int | None]] = {}
        for n in plan.nodes:
            comms = {}
            for pid in by_ns.get(self.paths.netns(n.name), []):
                try:
                    comms[Path(f"/proc/{pid}/comm").read_text().strip()] = pid
                except OSError:
                    pass
            if n.emulator == "frr":
                out[n.name] = {d: comms.get(d) for d in DAEMONS}
                if shim and n.name in shim_nodes:
                    out[n.name]["macsec"] = next((p for p in by_ns.get(self.paths.netns(n.name), [])
                                                  if b"lab.macsec.shim" in nsutil.cmdline(p)), None)
            else:
                pids = by_ns.get(self.paths.netns(n.name), [])
                helpers = (b"bgp.collector", b"bgp.exabgp_feed")
                find = (lambda tag: next((p for p in pids if tag in nsutil.cmdline(p)
                                          and not any(h in nsutil.cmdline(p) for h in helpers if h != tag)), None))
                if n.emulator == "bulk":
                    out[n.name] = {"speaker": find(b"bgp.speaker")}
                elif n.role == "collector":
                    out[n.name] = {"exabgp": find(b"exabgp")}
                else:     # an ExaBGP fabric: ExaBGP itself and the feed that gives it routes
                    out[n.name] = {"exabgp": find(b"exabgp"), "feed": find(b"bgp.exabgp_feed")}
        return out

    def infrastructure_pids(self, node: str) -> set[int]:
        """Processes of the node a node fault must leave alone (none here; a container's init)."""
        return set()

    def exec_argv(self, node: str, argv: list[str]) -> list[str]:
        ns = self.paths.netns(node)
        if argv and argv[0] == "vtysh" and "-N" not in argv:
            argv = ["vtysh", "-N", ns] + argv[1:]
        return ["ip", "netns", "exec", ns] + argv

    # -- teardown -----------------------------------------------------------------------
    def down(self, deadline_s: float = DOWN_DEADLINE_S) -> DownReport:
        """Remove everything named after this lab, whether or not its state survived, and return
        only once none of its processes is alive (zombies count as gone).

        ``up`` may have been killed at any moment, leaving work in flight: a daemon that forks
        into the background, a ``baglab up`` child that has not yet entered its namespace, an
        ``ip`` adding namespaces, the engine starting a container.  So ``down`` works in passes:
        remove the lab's containers, kill every process of the lab (by namespace, including
        namespaces whose name an earlier pass deleted, and by command line: see
        ``remnants.lab_pids``), delete its namespaces; until a pass finds nothing.  At the
        deadline it stops and reports what survived."""
        from . import remnants

        prefix = self.paths.ns_prefix
        rep = DownReport()
        inodes: dict[int, str] = {}
        killed: set[int] = set()
        deleted: set[str] = set()
        t0 = time.monotonic()
        end = t0 + deadline_s
        while True:
            rep.passes += 1
            gone_containers = self._remove_containers()
            names = nsutil.list_netns(prefix)
            inodes.update(remnants.netns_inodes(names))
            pids = remnants.lab_pids(self.paths.name, set(inodes))
            killed |= set(pids)
            if pids:
                nsutil.kill_all(pids, deadline_s=max(0.5, min(KILL_GRACE_S, end - time.monotonic())))
            if names:
                # deleting a namespace removes its veths, and with them the peer ends
                subprocess.run(["ip", "-force", "-batch", "-"], input="".join(f"netns del {n}\n" for n in names),
                               text=True, capture_output=True)
                deleted |= set(names)
            if not (pids or names or gone_containers):
                break
            if time.monotonic() >= end:
                rep.survivors = remnants.lab_pids(self.paths.name, set(inodes))
                break
        rep.processes = len(killed)
        rep.namespaces = len(deleted)
        rep.leftover_ns = nsutil.list_netns(prefix)
        for d in nsutil.own_dirs(FRR_RUN, prefix):
            shutil.rmtree(d, ignore_errors=True)
        if self.paths.root.is_dir() and not self.paths.root.is_symlink():
            shutil.rmtree(self.paths.root, ignore_errors=True)
        rep.seconds = time.monotonic() - t0
        return rep

    def _remove_containers(self) -> int:
        """Containers labelled with this lab, whichever runtime this object is (a docker lab whose
        state is gone is torn down by the netns runtime): how many were removed."""
        from .docker import engine_or_none, remove_lab_containers
        if self._engine is None:
            self._engine = engine_or_none() or False
        return remove_lab_containers(self.paths.name, self._engine) if self._engine else 0


def all_labs() -> list[str]:
    """Lab names that have either a state directory or namespaces on this host.  Only names baglab
    could have made count: a foreign ``bl_.._x`` namespace or a stray directory must never turn into
    a path that ``down --all`` removes."""
    names = {lab_name_of_netns(ns) for ns in nsutil.list_netns("bl_")}
    if STATE_ROOT.is_dir():
        names |= {p.name for p in STATE_ROOT.iterdir() if p.is_dir() and not p.is_symlink()
                  and is_lab_name(p.name)}
    names.discard(None)
    return sorted(names)
