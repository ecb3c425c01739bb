"""Namespaces, veths and addresses of a lab on this host: what the netns and docker runtimes
share (docker's namespaces come from containers, attached under the same names)."""
from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path

from pyroute2 import IPRoute

from lab.errors import LabError
from lab.frr.files import FRR_DAEMONS
from lab.host import ifindex, nsutil
from lab.host.sysctls import interface_sysctls, node_sysctls
from lab.macsec import ports as macsec_ports, secy
from lab.design.plan import Node, Plan
from lab.state import LabPaths
from lab.design.node_kinds import BULK, COLLECTOR, FRR, kind_of
from lab.runtime.base import Progress, _noop

# emulator helpers whose command line also names the emulator (not to be taken for it)
HELPERS = (b"lab.nodes.collector", b"lab.nodes.exabgp_feed")


class HostPlumbing:
    """The lab's namespaces and links, by name (paths.netns): the same whoever made the namespace."""

    def __init__(self, paths: LabPaths):
        self.paths = paths

    def add_namespaces(self, plan: Plan) -> None:
        nsutil.ip_batch([f"netns add {self.paths.netns(n.name)}" for n in plan.nodes])

    def attach(self, node: str, pid: int) -> None:
        """Name a container's namespace as the lab's (as containerlab does)."""
        ns = self.paths.netns(node)
        r = subprocess.run(["ip", "netns", "attach", ns, str(pid)], capture_output=True, text=True)
        if r.returncode != 0:
            raise LabError(f"ip netns attach {ns} {pid}: {r.stderr.strip()}")

    def set_sysctls(self, node: str, extra: dict[str, str] | None = None) -> None:
        nsutil.write_sysctls(self.paths.netns(node), {**(extra or {}), **node_sysctls(node)})

    def create_links(self, plan: Plan) -> None:
        """Veths created directly inside the two node namespaces: no lab interface ever exists
        in the host namespace, even for a moment.  Each end gets its own ifindex (lab/host/ifindex.py):
        otherwise the kernel delays its carrier changes by up to a second."""
        ns = self.paths.netns
        lines = []
        for l in plan.links:
            ia, ib = ifindex.of_link(l)
            lines.append(f"link add {l.a.port} netns {ns(l.a.node)} index {ia} type veth "
                         f"peer name {l.b.port} netns {ns(l.b.node)} index {ib}")
        nsutil.ip_batch(lines)

    def configure_interfaces(self, plan: Plan, progress: Progress = _noop) -> None:
        by_node: dict[str, list[tuple[str, str, str]]] = {n.name: [] for n in plan.nodes}
        for l in plan.links:
            for e in (l.a, l.b):
                by_node[e.node].append((e.ifname, e.ipv4, e.ipv6))
        for i, node in enumerate(plan.nodes, 1):
            self._address_node(node, by_node[node.name])
            progress("links", i, len(plan.nodes))

    def _address_node(self, node: Node, ifaces: list[tuple[str, str, str]]) -> None:
        with IPRoute(netns=self.paths.netns(node.name)) as ipr:
            idx = {l.get_attr("IFLA_IFNAME"): l["index"] for l in ipr.get_links()}
            for addr, plen in loopback_addresses(node):
                ipr.addr("add", index=idx["lo"], address=addr, prefixlen=plen)
            ipr.link("set", index=idx["lo"], state="up")
            for ifname, a4, a6 in ifaces:
                for a in (a4, a6):
                    addr, plen = a.split("/")
                    ipr.addr("add", index=idx[ifname], address=addr, prefixlen=int(plen))
                ipr.link("set", index=idx[ifname], state="up")
        nsutil.write_sysctls(self.paths.netns(node.name), interface_sysctls([i for i, _, _ in ifaces]))

    def processes(self, plan: Plan) -> dict[str, dict[str, int | None]]:
        """node -> daemon -> pid, found by namespace and command name / command line."""
        by_ns = nsutil.pids_by_netns([self.paths.netns(n.name) for n in plan.nodes])
        shims = secy.shim_pids(self.paths, plan) if macsec_ports.backend(self.paths) == "shim" else {}
        out: dict[str, dict[str, int | None]] = {}
        for n in plan.nodes:
            pids = by_ns.get(self.paths.netns(n.name), [])
            out[n.name] = _frr_processes(pids) if kind_of(n) is FRR else _emulator_processes(n, pids)
            if n.name in shims:
                out[n.name]["macsec"] = shims[n.name]
        return out


def loopback_addresses(node: Node) -> list[tuple[str, int]]:
    """Router id, IPv6 loopback, and the first address of each originated prefix (so probes
    have a target)."""
    out = [(node.router_id, 32), (node.loopback_v6, 128)]
    for p in node.prefixes_v4 + node.prefixes_v6:
        net = ipaddress.ip_network(p)
        out.append((str(net[1] if net.num_addresses > 1 else net[0]), net.max_prefixlen))
    return out


def _frr_processes(pids: list[int]) -> dict[str, int | None]:
    comms = {}
    for pid in pids:
        try:
            comms[Path(f"/proc/{pid}/comm").read_text().strip()] = pid
        except OSError:
            pass
    return {d: comms.get(d) for d in FRR_DAEMONS}


def _emulator_processes(n: Node, pids: list[int]) -> dict[str, int | None]:
    def find(tag: bytes) -> int | None:
        return next((p for p in pids if tag in nsutil.cmdline(p)
                     and not any(h in nsutil.cmdline(p) for h in HELPERS if h != tag)), None)
    kind = kind_of(n)
    if kind is BULK:
        return {"speaker": find(b"lab.nodes.speaker")}
    if kind is COLLECTOR:
        return {"exabgp": find(b"exabgp")}
    # an ExaBGP fabric: ExaBGP itself and the feed that gives it routes
    return {"exabgp": find(b"exabgp"), "feed": find(b"lab.nodes.exabgp_feed")}
