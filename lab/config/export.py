"""Plan -> a containerlab topology (``.clab.yml``) with every node's configuration as binds.

``containerlab deploy -t <dir>/<name>.clab.yml`` (or clabernetes on Kubernetes, for labs larger
than one machine) runs it with the project's node image.  Each node is of kind ``linux`` with
``network-mode: none`` (no management network: lab traffic never leaves the lab), its links are
the plan's veths (``node:ifname``), and ``exec`` gives it what the netns runtime configures from
outside: loopback and link addresses, then its daemons (FRR through the image's frrinit.sh with the
bound ``daemons`` file; ExaBGP or the bulk speaker from a bound directory).

What the export does not carry (it is a plain topology; the harness is not part of it):
- MACsec: protected links are plain veths named as the router's interface (no SecY, no
  wire filter, no keys).  TCP-MD5 passwords *are* in frr.conf, written mode 0600 (its directory 0700).
- the oracle, convergence checks, observers and the fault journal.

Everything is written through :func:`lab.safe_io.write_outputs`: the output directory may be shared
ground, where a planted link or file is replaced, never written through.
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Callable
from pathlib import Path

import yaml

import lab.nodes
from lab.config.policy import load_policy, render_node
from lab.config.render import render_all

from lab.errors import LabError
from lab.safe_io import write_outputs
from lab.design.model import RESERVED_NODE_NAMES
from lab.design.plan import Link, Node, Plan
from lab.host.sysctls import NODE_SYSCTLS, hash_seed, ntable_commands
from lab.frr.files import DAEMONS_FILE
from lab.design.node_kinds import BULK, FRR, kind_of
from lab.text_enum import TextEnum

IN_NODE_DIR = "/var/lib/baglab"       # where exabgp / bulk nodes find their bound directory
IMAGE_PYTHON = "/opt/exabgp/bin/python"
IMAGE_EXABGP = "/opt/exabgp/bin/exabgp"
SYSCTLS = {"net.ipv6.conf.all.disable_ipv6": "0", "net.ipv6.conf.default.disable_ipv6": "0", **NODE_SYSCTLS}
NAME_OK = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._"


@dataclass
class Export:
    topology_file: Path
    files: list[Path]
    #: node files holding a TCP-MD5 password, written readable by their owner only
    secret_files: list[Path] = field(default_factory=list)


def clab_name(text: str) -> str:
    out = "".join(c if c in NAME_OK else "-" for c in text)
    return out if out[:1].isalnum() else f"b{out}"


def _addr_cmds(plan: Plan, node: Node) -> list[str]:
    cmds = []
    lo = [f"{node.router_id}/32", f"{node.loopback_v6}/128"]
    for p in node.prefixes_v4 + node.prefixes_v6:
        net = ipaddress.ip_network(p)
        lo.append(f"{net[1] if net.num_addresses > 1 else net[0]}/{net.max_prefixlen}")
    cmds += [f"ip addr add {a} dev lo" for a in lo]
    for l in plan.links_of(node.name):
        e = l.end(node.name)
        cmds += [f"ip addr add {e.ipv4} dev {e.ifname}", f"ip addr add {e.ipv6} dev {e.ifname}",
                 *ntable_commands(e.ifname), f"ip link set {e.ifname} up"]
    return cmds


def _background(cmd: str, log: str) -> str:
    # exec entries run through docker exec; a shell puts the daemon in the background
    return f"sh -c '{cmd} >>{log} 2>&1 </dev/null &'"


def node_entry(plan: Plan, node: Node, image: str, cfg_rel: str, extra_binds: list[str] | None = None) -> dict:
    """One node of the clab topology: ``cfg_rel`` is the node's config directory relative to the
    topology file."""
    sysctls = dict(SYSCTLS, **{"net.ipv4.fib_multipath_hash_seed": str(hash_seed(node.name))})
    entry: dict = {"kind": "linux", "image": image, "network-mode": "none",
                   "labels": {"org.baglab.role": node.role, "org.baglab.emulator": node.emulator,
                              "org.baglab.region": node.region},
                   "sysctls": sysctls, "cap-add": ["NET_ADMIN", "NET_RAW", "SYS_ADMIN"]}
    d = f"{IN_NODE_DIR}/{node.name}"
    kind = kind_of(node)
    if kind is FRR:
        binds = [f"{cfg_rel}/frr.conf:/etc/frr/frr.conf", f"{cfg_rel}/daemons:/etc/frr/daemons"]
        start = ["/usr/lib/frr/frrinit.sh start"]
    elif kind is BULK:
        binds = [f"{cfg_rel}:{d}", "configs/bgp:/opt/baglab/lab/nodes:ro"]
        start = [_background(f"{IMAGE_PYTHON} -m lab.nodes.speaker {d}/speaker.json {node.name}", f"{d}/speaker.log")]
    else:
        binds = [f"{cfg_rel}:{d}", "configs/bgp:/opt/baglab/lab/nodes:ro"]
        env = "exabgp_api_cli=false exabgp_daemon_user=root exabgp_log_processes=false exabgp_daemon_daemonize=false"
        start = [_background(f"env {env} {IMAGE_EXABGP} {d}/exabgp.conf", f"{d}/exabgp.log")]
    entry["binds"] = binds + list(extra_binds or [])
    entry["exec"] = _addr_cmds(plan, node) + start
    return entry


def link_entry(l: Link) -> dict:
    return {"endpoints": [f"{l.a.node}:{l.a.ifname}", f"{l.b.node}:{l.b.ifname}"]}


def node_files(plan: Plan, policy: str | Path | None = None) -> dict[str, dict[str, str]]:
    """node -> file name -> content, as the containers read them; ``policy``: the engineer's policy
    directory (checked against the plan as 'up' does), default the built-in one."""
    pol = load_policy(policy, plan)
    frr = {n.name: render_node(plan, n, "/var/log/frr/frr.log", policy=pol) for n in plan.nodes if kind_of(n) is FRR}
    rendered = render_all(plan, IN_NODE_DIR, IMAGE_PYTHON, lambda n: n, frr=frr)
    out: dict[str, dict[str, str]] = {}
    for n in plan.nodes:
        if kind_of(n) is FRR:
            out[n.name] = {"frr.conf": frr[n.name].text, "daemons": DAEMONS_FILE}
        else:
            out[n.name] = rendered[n.name]
    return out


def topology(plan: Plan, image: "str | Callable[[Node], str]", name: str | None = None, node_binds=None) -> dict:
    """The clab document (a dict); ``image``: one for every node, or ``image(node)``;
    ``node_binds(node) -> [bind]`` adds binds per node."""
    doc = {"name": clab_name(name or plan.topology),
           "topology": {"nodes": {n.name: node_entry(plan, n, image(n) if callable(image) else image, f"configs/{n.name}",
                                                     node_binds(n.name) if node_binds else None)
                                  for n in plan.nodes},
                        "links": [link_entry(l) for l in plan.links]}}
    return doc


def write(plan: Plan, out_dir: Path, image: "str | Callable[[Node], str]", name: str | None = None, node_binds=None,
          policy: str | Path | None = None) -> Export:
    """Write ``<out_dir>/<name>.clab.yml`` and ``<out_dir>/configs/<node>/*`` (plus, in configs/bgp/, the
    node programs the emulated nodes run: lab/nodes)."""
    out_dir = Path(out_dir)
    clash = RESERVED_NODE_NAMES & {n.name for n in plan.nodes}
    if clash:     # the schema refuses these names; a plan edited by hand must not delete configs either
        raise LabError(f"node {sorted(clash)[0]!r} would share configs/{sorted(clash)[0]}/ with baglab's node programs")
    doc = topology(plan, image, name, node_binds)
    files, secret, out = [], [], {}
    cfg = out_dir / "configs"
    for node, fs in node_files(plan, policy).items():
        for fname, text in fs.items():
            holds_password = " password " in text
            out[f"configs/{node}/{fname}"] = (text, 0o600 if holds_password else 0o644)
            files.append(cfg / node / fname)
            secret += [cfg / node / fname] if holds_password else []
    clear = []
    if any(kind_of(n) is not FRR for n in plan.nodes):
        out.update(_package_files(Path(lab.nodes.__file__).resolve().parent, "configs/bgp"))
        clear.append("configs/bgp")          # a module an earlier export had and this one has not
        files.append(cfg / "bgp")
    topo = out_dir / f"{doc['name']}.clab.yml"
    header = ("# containerlab topology written by 'baglab export' from plan " + plan.digest() + "\n"
              "# not carried: MACsec on protected links (plain veths here), the oracle and fault harness\n")
    # libyaml's emitter when present: the same text, a second less for a 116-router lab
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    out[topo.name] = (header + yaml.dump(doc, Dumper=dumper, sort_keys=False, default_flow_style=False, width=200), 0o644)
    write_outputs(out_dir, out, clear=clear)
    return Export(topo, [topo] + files, secret)


def _package_files(src: Path, dest: str) -> dict[str, tuple[bytes, int]]:
    """The node programs (lab/nodes) the emulated nodes run, as output files (no caches)."""
    out = {}
    for d, dirs, names in os.walk(src):
        dirs[:] = sorted(x for x in dirs if x != "__pycache__")
        for n in sorted(names):
            if not n.endswith(".pyc"):
                f = Path(d, n)
                out[f"{dest}/{f.relative_to(src)}"] = (f.read_bytes(), os.stat(f).st_mode & 0o755)
    return out


class ExportFormat(TextEnum):
    """What ``baglab export --format`` writes."""
    CONTAINERLAB = "containerlab"


FORMATS = tuple(f.value for f in ExportFormat)


def export_cli(topology_path: str, fmt: str, out_dir: str | None, image: str | None,
               policy: str | None = None) -> Export:
    from lab.design.plan import build_plan
    from lab.design.topology import load

    if fmt not in FORMATS:
        raise LabError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")
    plan = build_plan(load(topology_path))
    if image is None:         # each router on its FRR version's image (make docker-image / version_image)
        from lab.frr.version_image import tag_for
        return write(plan, Path(out_dir or f"exports/{plan.topology}"), lambda n: tag_for(n.frr), policy=policy)
    return write(plan, Path(out_dir or f"exports/{plan.topology}"), image, policy=policy)
