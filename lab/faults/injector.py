"""Reversible, recorded failure injection.

Every fault is a list of primitive actions with their inverses, journalled in
the lab's state directory before it is applied, so any process (a test, the
CLI, a later ``baglab restore``) can put the lab back as it was.  Each fault
also states what the oracle must assume (failed links and nodes).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from typing import Iterable, Literal

from pyroute2 import IPRoute

from bgp.oracle import Failures
from bgp.render import render_node, sessions

from .. import safe_io
from ..errors import LabError
from ..macsec import keys as macsec_keys
from ..plan import Link, Plan
from ..runtime import nft, nsutil, runtime_for
from ..state import LabPaths

LinkMode = Literal["admin", "carrier", "silent"]
NodeMode = Literal["stop", "crash", "power"]
NFT_TABLE = "baglab_fault"


@dataclass
class Fault:
    id: int
    kind: str
    target: str
    started: float                     # wall clock (time.time()), comparable with timeline events
    links: list[int] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    drained: list[list] = field(default_factory=list)   # [node, link id]: advertisements a drain marks
    undo: list[list] = field(default_factory=list)   # primitive actions, applied in reverse order
    restored: float | None = None

    @property
    def failures(self) -> Failures:
        return Failures.of(self.links, self.nodes, self.withdrawn, [tuple(d) for d in self.drained])

    @property
    def is_drain(self) -> bool:
        return self.kind.startswith("drain")


def plane_nodes(plan: Plan, plane: int, region: str | None = None) -> tuple[list[str], str]:
    """The BAG routers of a plane (in one region, or everywhere) and how to call them."""
    names = [n.name for n in plan.nodes if n.role == "bag" and n.bag_plane == plane
             and (region is None or n.region == region)]
    if not names:
        raise LabError(f"no BAG plane {plane}" + (f" in region {region}" if region else ""))
    return names, f"BAG plane {plane}" + (f" of {region}" if region else "")


def node_drain_pairs(plan: Plan, names: Iterable[str]) -> list[tuple[str, int]]:
    """Draining routers marks everything they advertise, on every link."""
    return [(n, l.id) for n in names for l in plan.links_of(n)]


def link_drain_pairs(plan: Plan, links: Iterable[Link]) -> list[tuple[str, int]]:
    """Draining links marks what both (FRR) ends advertise over them."""
    return [(e.node, l.id) for l in links for e in (l.a, l.b) if plan.node(e.node).emulator == "frr"]


class FaultInjector:
    def __init__(self, plan: Plan, paths: LabPaths):
        self.plan, self.paths = plan, paths
        self.runtime = runtime_for(paths)      # the runtime that built the lab restarts its daemons
        self._journal = paths.root / "faults.json"

    # -- journal ------------------------------------------------------------------------
    def faults(self) -> list[Fault]:
        try:
            return [Fault(**f) for f in json.loads(self._journal.read_text())]
        except (OSError, ValueError):
            return []

    def _save(self, faults: list[Fault]) -> None:
        # 0600: the undo of a TCP-MD5 fault names the link's password
        safe_io.write_file(self._journal, json.dumps([asdict(f) for f in faults], indent=1), mode=0o600)

    def active(self) -> list[Fault]:
        return [f for f in self.faults() if f.restored is None]

    def failures(self) -> Failures:
        """What the oracle must assume given every fault not yet restored."""
        links, nodes, withdrawn, drained = set(), set(), set(), set()
        for f in self.active():
            links |= set(f.links)
            nodes |= set(f.nodes)
            withdrawn |= set(f.withdrawn)
            drained |= {tuple(d) for d in f.drained}
        return Failures.of(links, nodes, withdrawn, drained)

    def _record(self, kind: str, target: str, actions: list[list], undo: list[list],
                links: Iterable[int] = (), nodes: Iterable[str] = (), withdrawn: Iterable[str] = (),
                drained: Iterable[tuple[str, int]] = ()) -> Fault:
        faults = self.faults()
        f = Fault(id=len(faults) + 1, kind=kind, target=target, started=0.0, links=sorted(set(links)),
                  nodes=sorted(set(nodes)), withdrawn=sorted(set(withdrawn)),
                  drained=[list(d) for d in sorted(set(drained))], undo=undo)
        faults.append(f)
        self._save(faults)             # journal first: a crash mid-way still leaves the undo behind
        f.started = time.time()
        try:
            for a in actions:
                self._apply(a)
        except BaseException:
            for a in reversed(undo):      # best effort: leave the lab as it was, then forget the fault
                try:
                    self._apply(a)
                except Exception:  # noqa: BLE001 - the original error is the one to report
                    pass
            self._save(faults[:-1])
            raise
        faults[-1] = f
        self._save(faults)
        return f

    # -- primitives ---------------------------------------------------------------------
    def _apply(self, action: list) -> None:
        op, node, *args = action
        ns = self.paths.netns(node)
        if op == "link":
            with IPRoute(netns=ns) as ipr:
                idx = ipr.link_lookup(ifname=args[0])
                if not idx:
                    raise LabError(f"{node} has no interface {args[0]}")
                ipr.link("set", index=idx[0], state=args[1])
        elif op == "nft-drop":
            script = (f"table netdev {NFT_TABLE} {{\n  chain {args[0]} {{\n"
                      f"    type filter hook ingress device \"{args[0]}\" priority -500; policy drop;\n  }}\n}}\n")
            nft.apply(ns, script)
        elif op == "nft-undrop":
            nft.apply(ns, f"delete chain netdev {NFT_TABLE} {args[0]}\n", tolerate=True)
        elif op == "kill":
            # the MACsec shim is the box's port hardware, not a routing daemon: it stays
            # nor is a container's init (the namespace's holder in the docker runtime)
            keep = self.runtime.infrastructure_pids(node)
            pids = [p for ps in nsutil.pids_by_netns([ns]).values() for p in ps
                    if b"lab.macsec.shim" not in nsutil.cmdline(p) and p not in keep]
            left = nsutil.kill_all(pids, deadline_s=5.0, crash=args[0] == "KILL")
            if left:
                raise LabError(f"could not stop processes {left} on {node}")
        elif op == "start":
            self.runtime.start_daemons(self.plan, nodes=[node])
        elif op == "signal":
            procs = self.runtime.processes(self.plan)[node]
            pid = procs.get("speaker") or procs.get("feed")
            if pid is None:
                raise LabError(f"{node} has no running speaker or ExaBGP feed to signal")
            os.kill(pid, signal.SIGUSR1 if args[0] == "withdraw" else signal.SIGUSR2)
        elif op == "macsec-key":
            chain = macsec_keys.load(self.paths)
            key = f"{args[0]}/{node}"
            if args[1] == "wrong":
                chain.overrides[key] = os.urandom(32).hex()
            else:
                chain.overrides.pop(key, None)
            macsec_keys.save(self.paths, chain)
            self.runtime.reload_macsec(self.plan)
        elif op == "md5":
            asn = self.plan.node(node).asn
            cmds = [f"router bgp {asn}"]
            for addr in args[0]:
                cmds.append(f"neighbor {addr} password {args[1]}" if args[1] else f"no neighbor {addr} password")
            problems = self._configure(node, cmds)
            if problems:
                raise LabError(f"setting the TCP-MD5 password on {node}: {problems}")
        elif op == "drain-sync":
            self._sync_drain(node, exclude=args[0])
        elif op == "clear":
            r = subprocess.run(["vtysh", "-N", ns, "-c", f"clear bgp {args[0]}"], capture_output=True, text=True)
            if r.returncode != 0:
                raise LabError(f"clear bgp {args[0]} on {node}: {r.stderr.strip()}")
        else:
            raise ValueError(op)

    # -- faults -------------------------------------------------------------------------
    def link(self, link: Link | int, side: Literal["a", "b", "both"] = "both", mode: LinkMode = "admin") -> Fault:
        """admin: the chosen end(s) set down (the other end sees carrier loss);
        carrier: the chosen end loses carrier while staying admin-up (its peer end is set down);
        silent: frames dropped on the chosen end(s), links stay up: only the BGP hold timer notices."""
        return self.links([link], side, mode, kind=f"link-{mode}")

    def links(self, links: Iterable[Link | int], side="both", mode: LinkMode = "admin", kind: str | None = None,
              target: str | None = None) -> Fault:
        ls = [self.plan.links[l] if isinstance(l, int) else l for l in links]
        actions, undo = [], []
        for l in ls:
            ends = {"a": [l.a], "b": [l.b], "both": [l.a, l.b]}[side]
            if mode == "carrier":
                if side == "both":
                    raise LabError("carrier loss is seen at one end: pick side a or b")
                ends = [l.peer(ends[0].node)]
            for e in ends:
                if mode == "silent":
                    actions.append(["nft-drop", e.node, e.port])
                    undo.append(["nft-undrop", e.node, e.port])
                else:
                    actions.append(["link", e.node, e.port, "down"])
                    undo.append(["link", e.node, e.port, "up"])
        label = target or (ls[0].bundle + f" member {ls[0].member}" if len(ls) == 1 else f"{len(ls)} links")
        return self._record(kind or f"links-{mode}", f"{label} ({side}, {mode})", actions, undo,
                            links=[l.id for l in ls])

    def bundle(self, bundle: str, members: Iterable[int] | None = None, side="both", mode: LinkMode = "admin") -> Fault:
        ls = [l for l in self.plan.links if l.bundle == bundle and (members is None or l.member in set(members))]
        if not ls:
            known = sorted({l.bundle for l in self.plan.links})
            raise LabError(f"no bundle {bundle!r} (or no such members); bundles: {', '.join(known[:8])} ...")
        kind = "bundle" if members is None else "bundle-members"
        return self.links(ls, side, mode, kind=kind, target=bundle + ("" if members is None else f" members {sorted(members)}"))

    def node(self, name: str, mode: NodeMode = "crash") -> Fault:
        return self.nodes([name], mode, kind=f"node-{mode}", target=name)

    def nodes(self, names: Iterable[str], mode: NodeMode = "power", kind: str = "nodes", target: str = "",
              extra_links: Iterable[Link] = ()) -> Fault:
        names = list(names)
        for n in names:
            self.plan.node(n)   # KeyError -> unknown node
        actions, undo = [], []
        for n in names:
            if mode == "power":
                # the box goes dark: every port loses light (peers see carrier loss), then the CPU stops
                for l in self.plan.links_of(n):
                    e = l.end(n)
                    actions.append(["link", n, e.port, "down"])
                    undo.append(["link", n, e.port, "up"])
            actions.append(["kill", n, "TERM" if mode == "stop" else "KILL"])
            undo.append(["start", n])
        link_ids = []
        for l in extra_links:
            if l.a.node in names or l.b.node in names:
                continue
            link_ids.append(l.id)
            for e in (l.a, l.b):
                actions.append(["link", e.node, e.port, "down"])
                undo.append(["link", e.node, e.port, "up"])
        return self._record(kind, target or ", ".join(names), actions, undo, links=link_ids, nodes=names)

    def plane(self, plane: int, region: str | None = None, mode: NodeMode = "power") -> Fault:
        names, target = plane_nodes(self.plan, plane, region)
        return self.nodes(names, mode, kind="plane", target=target)

    def domain(self, kind: Literal["data_hall", "power_feed"], label: str) -> Fault:
        """Everything in a failure domain loses power; cables labelled with it are cut."""
        from ..domains import members

        names, cut = members(self.plan, kind, label)
        if not names and not cut:
            raise LabError(f"no element carries {kind} {label!r}")
        return self.nodes(names, "power", kind=kind.replace("_", "-"), target=label, extra_links=cut)

    def withdraw(self, fabric: str) -> Fault:
        """An emulated fabric withdraws every prefix it announces (sessions stay up); undo re-announces."""
        names = [n.name for n in self.plan.nodes if n.name == fabric or f"{n.region}-{n.fabric}" == fabric]
        if not names or any(self.plan.node(n).emulator == "frr" for n in names):
            raise LabError(f"{fabric!r} is not an emulated fabric ('emulator: bulk' or 'emulator: exabgp')")
        return self._record("withdraw", fabric, [["signal", n, "withdraw"] for n in names],
                            [["signal", n, "announce"] for n in names], withdrawn=names)

    def _one_end(self, link: Link | int, side: Literal["a", "b"]):
        link = self.plan.links[link] if isinstance(link, int) else link
        return link, (link.a if side == "a" else link.b)

    def macsec_mismatch(self, link: Link | int, side: Literal["a", "b"] = "a") -> Fault:
        """One end of a protected link gets a SAK from a CAK its peer does not hold: every frame it
        sends fails the ICV check and vice versa, so the BGP sessions fall at the hold timer."""
        link, end = self._one_end(link, side)
        if not end.wire:
            raise LabError(f"link {link.id} ({link.bundle} member {link.member}) is not MACsec-protected")
        return self._record("macsec-mismatch", f"{link.bundle} member {link.member} ({end.node})",
                            [["macsec-key", end.node, link.id, "wrong"]], [["macsec-key", end.node, link.id, "right"]],
                            links=[link.id])

    def md5_mismatch(self, link: Link | int, side: Literal["a", "b"] = "a") -> Fault:
        """One end's BGP sessions on the link get a TCP-MD5 password its peer does not use: the kernel
        drops the peer's segments, the sessions go down and stay down until restored."""
        link, end = self._one_end(link, side)
        if self.plan.node(end.node).emulator != "frr":
            raise LabError(f"{end.node} is not an FRR router: pick the other side")
        peer = link.peer(end.node)
        addrs = [a.split("/")[0] for a in ((peer.ipv4 if f == "ipv4" else peer.ipv6) for f in self.plan.address_families)]
        wrong = "mismatch-" + os.urandom(6).hex()
        return self._record("md5-mismatch", f"{link.bundle} member {link.member} ({end.node})",
                            [["md5", end.node, addrs, wrong]], [["md5", end.node, addrs, link.tcp_md5 or ""]],
                            links=[link.id])

    def session_reset(self, node: str, link: Link, family: str = "ipv4") -> Fault:
        s = next(s for s in sessions(self.plan, self.plan.node(node))
                 if s.family == family and s.ifname == link.end(node).ifname)
        return self._record("session-reset", f"{node} -> {s.peer} via {s.ifname} ({family})",
                            [["clear", node, s.addr]], [])

    # -- drains (operator actions, journalled like faults so that 'restore' and crashes undo them) --
    def _drained_links(self, node: str, exclude: int | None = None) -> set[int]:
        return {int(l) for f in self.active() if f.id != exclude for n, l in f.drained if n == node}

    def _sync_drain(self, node: str, exclude: int | None) -> None:
        """Make the node's policy match the journal: its config (so a restart comes back drained)
        and, live, which route-map each session advertises through."""
        drained = self._drained_links(node, exclude)
        n = self.plan.node(node)
        conf = self.paths.node_dir(node) / "frr.conf"
        text = render_node(self.plan, n, str(self.paths.log_file(node)), drained)
        safe_io.write_file(conf, text, mode=0o640, owner=safe_io.frr_owner())
        cmds = [f"router bgp {n.asn}"]
        for fam in self.plan.address_families:
            cmds.append(f"address-family {fam} unicast")
            cmds += [f"neighbor {s.addr} route-map {s.route_map} out"
                     for s in sessions(self.plan, n, drained) if s.family == fam]
            cmds.append("exit-address-family")
        problems = self._configure(node, cmds)
        if problems:
            if self.runtime.processes(self.plan).get(node, {}).get("bgpd") is None:
                return      # powered off: the config file is what counts; it starts drained
            raise LabError(f"changing the drain policy on {node}: {problems}")

    def _configure(self, node: str, cmds: list[str]) -> str:
        """Apply configuration lines live; returns FRR's complaints ('' when none).  The lines go on
        vtysh's stdin, never its command line (/proc/*/cmdline is world-readable and TCP-MD5
        passwords travel here), and only FRR's '%' lines come back (the echo repeats the input)."""
        script = "configure terminal\n" + "\n".join(cmds) + "\nend\n"
        r = subprocess.run(["vtysh", "-N", self.paths.netns(node)], input=script, capture_output=True, text=True)
        problems = [l.strip() for l in r.stdout.splitlines() if l.lstrip().startswith("%")]
        if r.returncode != 0:
            problems.append(f"vtysh exit {r.returncode}: {r.stderr.strip()[-300:]}")
        return "; ".join(problems)

    def drain(self, pairs: Iterable[tuple[str, int]], kind: str, target: str) -> Fault:
        """Mark what ``pairs`` (advertising node, link id) advertise with the plan's drain policy."""
        pairs = sorted(set(pairs))
        nodes = sorted({n for n, _ in pairs})
        for n in nodes:
            if self.plan.node(n).emulator != "frr":
                raise LabError(f"{n} is an emulated fabric ({self.plan.node(n).emulator}): it has no policy to drain")
        for f in self.active():
            if f.is_drain and f.target == target:
                raise LabError(f"{target} is already drained (drain {f.id})")
        fid = len(self.faults()) + 1
        return self._record(kind, target, [["drain-sync", n, None] for n in nodes],
                            [["drain-sync", n, fid] for n in nodes], drained=pairs)

    def drain_nodes(self, names: Iterable[str], kind: str = "drain-node", target: str = "") -> Fault:
        names = list(names)
        for n in names:
            self.plan.node(n)   # KeyError -> unknown node
        return self.drain(node_drain_pairs(self.plan, names), kind, target or ", ".join(names))

    def drain_plane(self, plane: int, region: str | None = None) -> Fault:
        names, target = plane_nodes(self.plan, plane, region)
        return self.drain_nodes(names, "drain-plane", target)

    def drain_links(self, links: Iterable[Link | int], target: str | None = None) -> Fault:
        ls = [self.plan.links[l] if isinstance(l, int) else l for l in links]
        label = target or (f"{ls[0].bundle} member {ls[0].member}" if len(ls) == 1 else f"{len(ls)} links")
        return self.drain(link_drain_pairs(self.plan, ls), "drain-link", label)

    def drains(self) -> list[Fault]:
        return [f for f in self.active() if f.is_drain]

    # -- restoration --------------------------------------------------------------------
    def restore(self, fault: Fault | None = None, drains: bool = True) -> list[Fault]:
        """Undo one fault, or every active fault (newest first; ``drains=False`` keeps drains)."""
        faults = self.faults()
        targets = [f for f in faults if f.restored is None and (fault is None or f.id == fault.id)
                   and (drains or fault is not None or not f.is_drain)]
        for f in reversed(targets):
            # starts last: daemons come back after their links, as after a real power-on
            starts = [a for a in f.undo if a[0] == "start"]
            for a in [a for a in reversed(f.undo) if a[0] != "start"] + starts:
                self._apply(a)
            f.restored = time.time()
            # saved one by one: a later undo (a drain's re-sync) must see this one gone
            by_id = {t.id: t for t in targets if t.restored is not None}
            self._save([by_id.get(x.id, x) for x in faults])
        return targets

