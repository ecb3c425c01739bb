"""What a fault is: its kind, its structured scope, the actions that make it and undo it.

One class per family of faults (links, nodes, a withdrawal, a MACsec or TCP-MD5 mismatch, a
session reset, a drain), each with a ``build`` that turns the plan and the caller's choice into
actions, and one JSON form for all of them.  Building needs only the plan, so it is pure and
unit-testable; the injector journals what was built and runs it.  ``target`` is the display
text people read; ``scope`` holds the same thing as fields, which is what undrain and
duplicate checks compare (text is for reading, not for matching).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable

from lab.config.oracle import Failures
from lab.config.render import end_address, sessions

from lab.errors import LabError
from lab.design.node_kinds import kind_of
from lab.design.plan import Link, Plan
from lab.text_enum import TextEnum
from lab.faults.actions import (Action, ClearSession, Context, DrainSync, Kill, LinkState, MacsecKey, Md5, NftDrop,
                      Signal, Start, action_from_json)

class LinkMode(TextEnum):
    """How a link fails: the port admin down, carrier lost, dropped silently, or shut by the router."""
    ADMIN = "admin"
    CARRIER = "carrier"
    SILENT = "silent"
    SHUT = "shut"


class NodeMode(TextEnum):
    """How a router fails: SIGTERM, SIGKILL, or its ports dark then SIGKILL (power)."""
    STOP = "stop"
    CRASH = "crash"
    POWER = "power"


class Side(TextEnum):
    """Which end(s) of a link a fault acts on."""
    A = "a"
    B = "b"
    BOTH = "both"


class DomainKind(TextEnum):
    """The kinds of failure domain a node or cable is labelled with (the plan's attribute name)."""
    DATA_HALL = "data_hall"
    POWER_FEED = "power_feed"


#: one end of a link (a key or password mismatch is configured on one end)
End = TextEnum("End", [(s.name, s.value) for s in Side if s is not Side.BOTH])


class FaultKind(TextEnum):
    """Every kind of fault a journal may hold.  Text-valued so ``f.kind == "plane"``, f-strings and
    report JSON read as before."""
    LINK_ADMIN = "link-admin"
    LINK_CARRIER = "link-carrier"
    LINK_SILENT = "link-silent"
    LINK_SHUT = "link-shut"
    LINKS_ADMIN = "links-admin"
    LINKS_CARRIER = "links-carrier"
    LINKS_SILENT = "links-silent"
    LINKS_SHUT = "links-shut"
    BUNDLE = "bundle"
    BUNDLE_MEMBERS = "bundle-members"
    NODE_STOP = "node-stop"
    NODE_CRASH = "node-crash"
    NODE_POWER = "node-power"
    NODES = "nodes"
    PLANE = "plane"
    DATA_HALL = "data-hall"
    POWER_FEED = "power-feed"
    FABRIC_PART = "fabric-part"                 # some routers of a fabric lose power
    FABRIC_DISCONNECT = "fabric-disconnect"     # a fabric cut off from the BAGs
    WITHDRAW = "withdraw"
    MACSEC_MISMATCH = "macsec-mismatch"
    MD5_MISMATCH = "md5-mismatch"
    SESSION_RESET = "session-reset"
    DRAIN_NODE = "drain-node"
    DRAIN_PLANE = "drain-plane"
    DRAIN_LINK = "drain-link"
    IMPAIR = "impair"                           # loss, delay, jitter, duplication (lab/faults/impairment.py)
    MEMBERS = "link-members"                    # k of a represented link's ports down (lab/faults/members.py)

    @classmethod
    def parse(cls, value: Any) -> "FaultKind":
        try:
            return cls(value)
        except ValueError:
            raise LabError(f"unknown fault kind {value!r} (known: {', '.join(k.value for k in cls)})") from None

    @property
    def is_drain(self) -> bool:
        return self.value.startswith("drain")


FAULT_TYPES: dict[str, type["Fault"]] = {}


def fault_type(cls: type["Fault"]) -> type["Fault"]:
    """Journals name a fault's class by ``type``; registering keeps the name and the class together."""
    FAULT_TYPES[cls.type] = cls
    return cls


@dataclass
class Fault:
    """A recorded fault: what it is (kind, scope), what the oracle must assume (links, nodes,
    withdrawn, drained), and the actions that apply and undo it."""
    type: ClassVar[str] = ""
    id: int
    kind: FaultKind
    target: str
    started: float = 0.0               # wall clock (time.time()), comparable with timeline events
    links: list[int] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    drained: list[list] = field(default_factory=list)   # [node, link id]: advertisements a drain marks
    scope: dict = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    inverse: list[Action] = field(default_factory=list)  # applied in reverse order
    restored: float | None = None
    members_down: list[list] = field(default_factory=list)   # [link id, ports down] of represented links

    @property
    def failures(self) -> Failures:
        return Failures.of(self.links, self.nodes, self.withdrawn, [tuple(d) for d in self.drained],
                           members_down=[tuple(m) for m in self.members_down])

    @property
    def is_drain(self) -> bool:
        return self.kind.is_drain

    def matches(self, **want: Any) -> bool:
        """Every given scope field has the given value (what undrain and duplicate checks ask)."""
        return all(self.scope.get(k) == v for k, v in want.items())

    def numbered(self, fid: int) -> "Fault":
        """Take the id the journal's counter gives (before anything is applied)."""
        self.id = fid
        return self

    def apply(self, ctx: Context) -> None:
        for a in self.actions:
            a.apply(ctx)

    def undo(self, ctx: Context) -> None:
        """Starts last: daemons come back after their links, as after a real power-on."""
        starts = [a for a in self.inverse if isinstance(a, Start)]
        for a in [a for a in reversed(self.inverse) if not isinstance(a, Start)] + starts:
            a.apply(ctx)

    def roll_back(self, ctx: Context) -> None:
        """Best effort after a failed apply: leave the lab as it was; the original error is the one
        to report, so errors here are swallowed."""
        for a in reversed(self.inverse):
            try:
                a.apply(ctx)
            except Exception:  # noqa: BLE001
                pass

    # -- JSON -------------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {"type": self.type, "id": self.id, "kind": self.kind.value, "target": self.target,
                "scope": self.scope, "started": self.started, "restored": self.restored,
                "links": self.links, "nodes": self.nodes, "withdrawn": self.withdrawn, "drained": self.drained,
                "members_down": self.members_down,
                "actions": [a.to_json() for a in self.actions], "undo": [a.to_json() for a in self.inverse]}

    @staticmethod
    def from_json(doc: Any) -> "Fault":
        if not isinstance(doc, dict):
            raise LabError(f"fault journal: a fault must be an object, not {doc!r}")
        cls = FAULT_TYPES.get(doc.get("type"))
        if cls is None:
            raise LabError(f"fault journal: unknown fault type {doc.get('type')!r} "
                           f"(known: {', '.join(sorted(FAULT_TYPES))})")
        try:
            return cls(id=int(doc["id"]), kind=FaultKind.parse(doc["kind"]), target=str(doc["target"]),
                       started=doc.get("started", 0.0), restored=doc.get("restored"),
                       links=list(doc.get("links", [])), nodes=list(doc.get("nodes", [])),
                       withdrawn=list(doc.get("withdrawn", [])), drained=[list(d) for d in doc.get("drained", [])],
                       scope=dict(doc.get("scope", {})),
                       members_down=[list(m) for m in doc.get("members_down", [])],
                       actions=[action_from_json(a) for a in doc.get("actions", [])],
                       inverse=[action_from_json(a) for a in doc["undo"]])
        except KeyError as e:
            raise LabError(f"fault journal: fault {doc.get('id')!r} has no {e.args[0]!r}") from None


def _ids(links: Iterable[Link]) -> list[int]:
    return sorted({l.id for l in links})


@fault_type
@dataclass
class LinkFault(Fault):
    """Links set down at one or both ends, lose carrier, or silently drop every frame."""
    type: ClassVar[str] = "links"

    @classmethod
    def build(cls, ls: list[Link], side: str, mode: LinkMode, kind: FaultKind, label: str,
              scope: dict) -> "LinkFault":
        """admin: the chosen end(s) set down (the other end sees carrier loss);
        carrier: the chosen end loses carrier while staying admin-up (its peer end is set down);
        silent: frames dropped on the chosen end(s), links stay up: only BFD (policy.bfd) or the hold timer notices;
        shut: the routers' own interfaces set down (on a protected link the port above the SecY, the
        cable stays lit: shut both sides, or the far end waits for its hold timer)."""
        actions, undo = [], []
        for l in ls:
            ends = {"a": [l.a], "b": [l.b], "both": [l.a, l.b]}[side]
            if mode == "carrier":
                if side == "both":
                    raise LabError("carrier loss is seen at one end: pick side a or b")
                ends = [l.peer(ends[0].node)]
            for e in ends:
                if mode == "silent":
                    actions.append(NftDrop(e.node, e.port))
                    undo.append(NftDrop(e.node, e.port, drop=False))
                else:
                    port = e.ifname if mode == "shut" else e.port
                    actions.append(LinkState(e.node, port, "down"))
                    undo.append(LinkState(e.node, port, "up"))
        return cls(0, kind, f"{label} ({side}, {mode})", links=_ids(ls), actions=actions, inverse=undo,
                   scope={**scope, "links": _ids(ls), "side": side, "mode": mode})


def _power_off(plan: Plan, name: str) -> tuple[list[Action], list[Action]]:
    """The box goes dark: every port loses light (peers see carrier loss), then the CPU stops."""
    ports = [l.end(name).port for l in plan.links_of(name)]
    return [LinkState(name, p, "down") for p in ports], [LinkState(name, p, "up") for p in ports]


@fault_type
@dataclass
class NodeFault(Fault):
    """Routers stopped, crashed or powered off; a failure domain's cut cables go down with them."""
    type: ClassVar[str] = "nodes"

    @classmethod
    def build(cls, plan: Plan, names: list[str], mode: NodeMode, kind: FaultKind, target: str, scope: dict,
              extra_links: Iterable[Link] = ()) -> "NodeFault":
        actions, undo = [], []
        for n in names:
            if mode == "power":
                down, up = _power_off(plan, n)
                actions += down
                undo += up
            actions.append(Kill(n, "TERM" if mode == "stop" else "KILL"))
            undo.append(Start(n))
        cut = [l for l in extra_links if l.a.node not in names and l.b.node not in names]
        for l in cut:
            for e in (l.a, l.b):
                actions.append(LinkState(e.node, e.port, "down"))
                undo.append(LinkState(e.node, e.port, "up"))
        return cls(0, kind, target or ", ".join(names), links=_ids(cut), nodes=sorted(set(names)),
                   actions=actions, inverse=undo, scope={**scope, "mode": mode})


@fault_type
@dataclass
class Withdrawal(Fault):
    """An emulated fabric withdraws every prefix it announces (sessions stay up)."""
    type: ClassVar[str] = "withdrawal"

    @classmethod
    def build(cls, plan: Plan, fabric: str) -> "Withdrawal":
        names = [n.name for n in plan.nodes if n.name == fabric or f"{n.region}-{n.fabric}" == fabric]
        if not names or not all(kind_of(plan.node(n)).emulates_fabric for n in names):
            raise LabError(f"{fabric!r} is not an emulated fabric ('emulator: bulk' or 'emulator: exabgp')")
        return cls(0, FaultKind.WITHDRAW, fabric, withdrawn=sorted(names), scope={"fabric": fabric},
                   actions=[Signal(n, "withdraw") for n in names], inverse=[Signal(n, "announce") for n in names])


def _end_scope(link: Link, node: str) -> dict:
    return {"link": link.id, "bundle": link.bundle, "member": link.member, "node": node}


@fault_type
@dataclass
class MacsecMismatch(Fault):
    """One end of a protected link gets a SAK from a CAK its peer does not hold: every frame it
    sends fails the ICV check and vice versa, so the BGP sessions fall at the hold timer."""
    type: ClassVar[str] = "macsec-mismatch"

    @classmethod
    def build(cls, link: Link, side: End) -> "MacsecMismatch":
        end = link.a if side == "a" else link.b
        if not end.wire:
            raise LabError(f"link {link.id} ({link.bundle} member {link.member}) is not MACsec-protected")
        return cls(0, FaultKind.MACSEC_MISMATCH, f"{link.bundle} member {link.member} ({end.node})",
                   links=[link.id], scope=_end_scope(link, end.node),
                   actions=[MacsecKey(end.node, link.id, "wrong")], inverse=[MacsecKey(end.node, link.id, "right")])


@fault_type
@dataclass
class Md5Mismatch(Fault):
    """One end's BGP sessions on the link get a TCP-MD5 password its peer does not use: the kernel
    drops the peer's segments, the sessions go down and stay down until restored.  The undo names
    the link's password, which is why the journal is 0600."""
    type: ClassVar[str] = "md5-mismatch"

    @classmethod
    def build(cls, plan: Plan, link: Link, side: End) -> "Md5Mismatch":
        end = link.a if side == "a" else link.b
        if not kind_of(plan.node(end.node)).has_policy:
            raise LabError(f"{end.node} is not an FRR router: pick the other side")
        peer = link.peer(end.node)
        addrs = [end_address(peer, f) for f in plan.address_families]
        wrong = "mismatch-" + os.urandom(6).hex()
        return cls(0, FaultKind.MD5_MISMATCH, f"{link.bundle} member {link.member} ({end.node})",
                   links=[link.id], scope=_end_scope(link, end.node),
                   actions=[Md5(end.node, addrs, wrong)], inverse=[Md5(end.node, addrs, link.tcp_md5 or "")])


@fault_type
@dataclass
class SessionReset(Fault):
    """One BGP session cleared from one side; nothing to undo (it comes back by itself)."""
    type: ClassVar[str] = "session-reset"

    @classmethod
    def build(cls, plan: Plan, node: str, link: Link, family: str) -> "SessionReset":
        s = next(s for s in sessions(plan, plan.node(node))
                 if s.family == family and s.ifname == link.end(node).ifname)
        return cls(0, FaultKind.SESSION_RESET, f"{node} -> {s.peer} via {s.ifname} ({family})",
                   scope={"node": node, "peer": s.peer, "ifname": s.ifname, "family": family, "link": link.id},
                   actions=[ClearSession(node, s.addr)])


@fault_type
@dataclass
class Drain(Fault):
    """An operator drain: what (node, link) pairs advertise is marked with the plan's drain policy.
    Journalled like a fault so that 'restore' and a crashed process can take it back."""
    type: ClassVar[str] = "drain"

    @classmethod
    def build(cls, plan: Plan, pairs: Iterable[tuple[str, int]], kind: FaultKind, target: str,
              scope: dict) -> "Drain":
        pairs = sorted(set(pairs))
        nodes = sorted({n for n, _ in pairs})
        for n in nodes:
            if not kind_of(plan.node(n)).has_policy:
                raise LabError(f"{n} is an emulated fabric ({plan.node(n).emulator}): it has no policy to drain")
        return cls(0, kind, target, drained=[list(p) for p in pairs], scope=scope,
                   actions=[DrainSync(n) for n in nodes], inverse=[DrainSync(n) for n in nodes])

    def numbered(self, fid: int) -> "Drain":
        """The undo re-syncs each node leaving this drain out, so it must name this drain's id."""
        super().numbered(fid)
        for a in self.inverse:
            if isinstance(a, DrainSync):
                a.exclude = fid
        return self


# -- scopes and pairs callers also use (the rehearsal predicts what a drain will mark) ----------
def node_drain_pairs(plan: Plan, names: Iterable[str]) -> list[tuple[str, int]]:
    """Draining routers marks everything they advertise, on every link."""
    return [(n, l.id) for n in names for l in plan.links_of(n)]


def link_drain_pairs(plan: Plan, links: Iterable[Link]) -> list[tuple[str, int]]:
    """Draining links marks what both (FRR) ends advertise over them."""
    return [(e.node, l.id) for l in links for e in (l.a, l.b) if kind_of(plan.node(e.node)).has_policy]


def links_scope(links: list[Link]) -> dict:
    """A set of links as fields: their bundle (when they share one), members and ids."""
    bundles = {l.bundle for l in links}
    return {"bundle": bundles.pop() if len(bundles) == 1 else None,
            "members": sorted(l.member for l in links), "links": _ids(links)}
