"""MACsec ports of a lab: on every protected port the wire (veth) carries only 802.1AE; the
router's interface on top of it is a kernel macsec device, or one end of a veth pair inside the
node whose other end the shim serves.  Not a TAP: the kernel batches a TAP's carrier changes (up
to a second late), a veth end whose index differs from its peer's is told at once.

A build step (lab/workflows/build.py) after the runtime has made the links: the ports are the box's port
hardware, the same under every runtime that has veths in node namespaces."""
from __future__ import annotations

import json
import subprocess

from lab import safe_io
from lab.errors import LabError
from lab.host import nsutil
from lab.design.plan import Link, Plan
from lab.state import LabPaths, LabState
from lab.macsec import enforce, kernel, keys
from lab.macsec.names import secy_port


def backend(paths: LabPaths) -> str:
    """'shim', 'kernel' or 'none' (a runtime without the ports), as recorded at bring-up."""
    return LabState.read(paths).macsec_backend or "shim"


def protected_nodes(plan: Plan) -> list[str]:
    return sorted({e.node for l in plan.links if l.a.wire for e in (l.a, l.b)})


def wire_mac(link_id: int, side: str) -> str:
    """Deterministic, locally administered: the SCI of each end is known from the plan."""
    return f"02:ba:{link_id >> 16 & 255:02x}:{link_id >> 8 & 255:02x}:{link_id & 255:02x}:0{side}"


def stats(paths: LabPaths, node: str) -> dict:
    """The shim's last counters of the node ({} before it wrote any)."""
    try:
        return json.loads(safe_io.read_text(paths.node_dir(node) / "macsec-stats.json"))
    except (OSError, ValueError, LabError):     # missing yet, half-written, or not a plain file
        return {}


def create(paths: LabPaths, plan: Plan) -> None:
    """Make every protected port: wire MACs, the router's veth pair or macsec device, no IPv6 on the
    wire, and the nftables filter that lets only 802.1AE in."""
    protected = [l for l in plan.links if l.a.wire]
    if not protected:
        return
    chosen = kernel.backend()
    LabState.update(paths, macsec_backend=chosen)
    chain = keys.create(paths, plan)
    per_node = _wire_commands(protected, chosen)
    configs = {node: keys.port_configs(plan, chain, node) for node in per_node}
    if chosen == "kernel":
        for node, pcs in configs.items():
            per_node[node] += _kernel_commands(plan, node, pcs, chain)
    for node, lines in per_node.items():
        ns = paths.netns(node)
        ends = [e for l in protected for e in (l.a, l.b) if e.node == node]
        # no IPv6 (not even MLD) on the wire: nothing but the SecY may speak there
        nsutil.write_sysctls(ns, {f"net.ipv6.conf.{e.wire}.disable_ipv6": "1" for e in ends})
        r = subprocess.run(["ip", "-n", ns, "-batch", "-"], input="\n".join(lines) + "\n",
                           text=True, capture_output=True)
        if r.returncode != 0:
            raise LabError(f"MACsec ports on {node} ({chosen}): {r.stderr.strip()}")
        if chosen == "shim":        # nor on the SecY's end of the port (down until the shim raises it)
            nsutil.write_sysctls(ns, {f"net.ipv6.conf.{secy_port(e.wire)}.disable_ipv6": "1" for e in ends})
        enforce.install(ns, configs[node])


def _wire_commands(protected: list[Link], chosen: str) -> dict[str, list[str]]:
    """node -> ip commands giving each wire its MAC (and, for the shim, the router's port: a veth
    pair in the node, the router's end with the wire's MAC, the SecY's end deaf to ARP)."""
    per_node: dict[str, list[str]] = {}
    for l in protected:
        for side, e in (("a", l.a), ("b", l.b)):
            mac = wire_mac(l.id, side)
            lines = per_node.setdefault(e.node, [])
            lines += [f"link set dev {e.wire} address {mac} mtu 1600 up"]
            if chosen == "shim":
                lines += [f"link add {e.ifname} address {mac} type veth peer name {secy_port(e.wire)}",
                          f"link set dev {secy_port(e.wire)} arp off"]
    return per_node


def _kernel_commands(plan: Plan, node: str, pcs: list[dict], chain) -> list[str]:
    out = []
    for port in pcs:
        link = plan.links[port["link"]]
        peer_mac = wire_mac(link.id, "b" if link.a.node == node else "a")
        out += kernel.commands(port, chain.cipher, chain.replay_window, peer_mac)
    return out
