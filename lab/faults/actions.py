"""The primitive actions faults are made of, each with a JSON form.

A fault is a list of these and the list that undoes it.  Both are journalled, so the
journal is read back by whichever process restores the lab: every action must say in
plain fields what it does (no closures, no plan lookups that could differ later), and
every ``op`` the journal may hold must be registered here, or restoring fails loudly.
"""
from __future__ import annotations

import os
import signal
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, Protocol

from pyroute2 import IPRoute

from lab.errors import LabError
from lab.host import nft, nsutil
from lab.forwarder import control as forwarders
from lab.macsec import keys as macsec_keys, secy
from lab.design.plan import Plan
from lab.state import LabPaths

NFT_TABLE = "baglab_fault"


class Context(Protocol):
    """What an action needs from the lab: the injector provides it (tests a recorder)."""
    plan: Plan
    paths: LabPaths
    runtime: Any

    def configure(self, node: str, cmds: list[str]) -> str: ...

    def sync_drain(self, node: str, exclude: int | None) -> None: ...


ACTIONS: dict[str, type["Action"]] = {}


def register(cls: type["Action"]) -> type["Action"]:
    """Journals name actions by ``op``; registering keeps that name and the class together."""
    if cls.op in ACTIONS:
        raise ValueError(f"two actions claim op {cls.op!r}")
    ACTIONS[cls.op] = cls
    return cls


@dataclass
class Action:
    op: ClassVar[str] = ""
    node: str

    def apply(self, ctx: Context) -> None:
        raise NotImplementedError

    def to_json(self) -> dict:
        return {"op": self.op, **asdict(self)}


def action_from_json(doc: Any) -> Action:
    """An action as journalled; a journal from another baglab version fails here, by name."""
    if not isinstance(doc, dict) or not isinstance(doc.get("op"), str):
        raise LabError(f"fault journal: an action must be an object with an 'op', not {doc!r}")
    cls = ACTIONS.get(doc["op"])
    if cls is None:
        raise LabError(f"fault journal: unknown action op {doc['op']!r} (known: {', '.join(sorted(ACTIONS))}); "
                       "was the lab faulted by another baglab version?")
    args = {k: v for k, v in doc.items() if k != "op"}
    want = {f.name for f in fields(cls)}
    if set(args) != want:
        raise LabError(f"fault journal: action {doc['op']!r} has fields {sorted(args)}, expected {sorted(want)}")
    return cls(**args)


@register
@dataclass
class LinkState(Action):
    """An interface set administratively up or down (the peer end sees carrier change)."""
    op: ClassVar[str] = "link"
    ifname: str
    state: str                      # "up" | "down"

    def apply(self, ctx: Context) -> None:
        with IPRoute(netns=ctx.paths.netns(self.node)) as ipr:
            idx = ipr.link_lookup(ifname=self.ifname)
            if not idx:
                raise LabError(f"{self.node} has no interface {self.ifname}")
            ipr.link("set", index=idx[0], state=self.state)


@register
@dataclass
class NftDrop(Action):
    """Frames arriving on a port dropped (or let through again) while the link stays up."""
    op: ClassVar[str] = "nft-drop"
    port: str
    drop: bool = True

    def apply(self, ctx: Context) -> None:
        ns = ctx.paths.netns(self.node)
        if not self.drop:
            nft.apply(ns, f"delete chain netdev {NFT_TABLE} {self.port}\n", tolerate=True)
            return
        nft.apply(ns, f"table netdev {NFT_TABLE} {{\n  chain {self.port} {{\n"
                      f"    type filter hook ingress device \"{self.port}\" priority -500; policy drop;\n  }}\n}}\n")


@register
@dataclass
class Kill(Action):
    """Every process of a node stopped: TERM is an orderly stop, KILL a crash."""
    op: ClassVar[str] = "kill"
    signal: str = "KILL"            # "TERM" | "KILL"

    def apply(self, ctx: Context) -> None:
        ns = ctx.paths.netns(self.node)
        # the MACsec shim and the impairment forwarder are the box's ports and cable, not routing
        # daemons: they stay; nor is a container's init (the namespace's holder in the docker runtime)
        keep = ctx.runtime.infrastructure_pids(self.node)
        pids = [p for ps in nsutil.pids_by_netns([ns]).values() for p in ps
                if not any(m in nsutil.cmdline(p) for m in (secy.MARKER, forwarders.MARKER)) and p not in keep]
        left = nsutil.kill_all(pids, deadline_s=5.0, crash=self.signal == "KILL")
        if left:
            raise LabError(f"could not stop processes {left} on {self.node}")


@register
@dataclass
class Start(Action):
    """A node's daemons started by the runtime that built the lab."""
    op: ClassVar[str] = "start"

    def apply(self, ctx: Context) -> None:
        ctx.runtime.start_daemons(ctx.plan, nodes=[self.node])


@register
@dataclass
class Signal(Action):
    """An emulated fabric told to withdraw (SIGUSR1) or re-announce (SIGUSR2) its prefixes."""
    op: ClassVar[str] = "signal"
    what: str                       # "withdraw" | "announce"

    def apply(self, ctx: Context) -> None:
        procs = ctx.runtime.processes(ctx.plan)[self.node]
        pid = procs.get("speaker") or procs.get("feed")
        if pid is None:
            raise LabError(f"{self.node} has no running speaker or ExaBGP feed to signal")
        os.kill(pid, signal.SIGUSR1 if self.what == "withdraw" else signal.SIGUSR2)


@register
@dataclass
class MacsecKey(Action):
    """One end of a MACsec link given a key its peer does not hold ("wrong"), or its own back."""
    op: ClassVar[str] = "macsec-key"
    link: int
    key: str                        # "wrong" | "right"

    def apply(self, ctx: Context) -> None:
        chain = macsec_keys.load(ctx.paths)
        name = f"{self.link}/{self.node}"
        if self.key == "wrong":
            chain.overrides[name] = os.urandom(32).hex()
        else:
            chain.overrides.pop(name, None)
        macsec_keys.save(ctx.paths, chain)
        secy.reload(ctx.paths, ctx.plan)     # the SecY is MACsec's, whichever runtime runs the routers


@register
@dataclass
class Md5(Action):
    """The TCP-MD5 password of a node's sessions to ``addrs`` ('' removes it).  It goes to FRR
    through ``configure`` (FRR's shell's stdin): the password must never sit on a command line."""
    op: ClassVar[str] = "md5"
    addrs: list[str] = field(default_factory=list)
    password: str = ""

    def apply(self, ctx: Context) -> None:
        cmds = [f"router bgp {ctx.plan.node(self.node).asn}"]
        cmds += [f"neighbor {a} password {self.password}" if self.password else f"no neighbor {a} password"
                 for a in self.addrs]
        problems = ctx.configure(self.node, cmds)
        if problems:
            raise LabError(f"setting the TCP-MD5 password on {self.node}: {problems}")


@register
@dataclass
class DrainSync(Action):
    """A node's drain policy made to match the journal, leaving out drain ``exclude`` (the one
    being undone: it is still active in the journal while its undo runs)."""
    op: ClassVar[str] = "drain-sync"
    exclude: int | None = None

    def apply(self, ctx: Context) -> None:
        ctx.sync_drain(self.node, self.exclude)


@register
@dataclass
class ClearSession(Action):
    """A BGP session reset from the node's side (``clear bgp <addr>``)."""
    op: ClassVar[str] = "clear"
    addr: str

    def apply(self, ctx: Context) -> None:
        from lab.frr.router import Router
        r = Router(ctx.paths, self.node).command(f"clear bgp {self.addr}")
        if r.returncode != 0:
            raise LabError(f"clear bgp {self.addr} on {self.node}: {r.stderr.strip()}")


@register
@dataclass
class Configure(Action):
    """Configuration lines applied live on a node's FRR (configure mode; ``do ...`` for exec
    commands): what a fault changes in a router's policy, spelled out so any process can replay it."""
    op: ClassVar[str] = "configure"
    lines: list[str] = field(default_factory=list)

    def apply(self, ctx: Context) -> None:
        problems = ctx.configure(self.node, self.lines)
        if problems:
            raise LabError(f"{self.node}: FRR refused the change: {problems}")


def action_from_legacy(step: list) -> Action:
    """A step of the journal before typed actions (``["link", node, ifname, "up"]``), so a lab
    faulted before the upgrade can still be restored."""
    try:
        op, node, *args = step
        if op == "nft-undrop":
            return NftDrop(node, args[0], drop=False)
        if op == "nft-drop":
            return NftDrop(node, args[0])
        if op == "md5":
            return Md5(node, list(args[0]), args[1])
        return ACTIONS[op](node, *args)
    except (KeyError, ValueError, TypeError, IndexError):
        raise LabError(f"fault journal: unknown step {step!r}") from None
