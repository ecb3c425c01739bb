"""Reversible, recorded failure injection: the facade callers use.

Every fault is built (lab.faults.kinds) as typed actions with their inverses and journalled
(lab.faults.journal) in the lab's state directory before it is applied, so any process (a test,
the CLI, a later ``baglab restore``) can put the lab back as it was.  Each fault also states what
the oracle must assume (failed links and nodes).  The injector is also the context actions run
in: the plan, the paths, the runtime that built the lab, FRR configuration and drain re-sync.
"""
from __future__ import annotations

import time
from typing import Iterable

from lab.config.oracle import Failures
from lab.config.policy import Policy, live_bindings, load_policy, render_node
from lab.config.render import sessions

from lab.errors import LabError
from lab.frr.router import Router
from lab.design.plan import Link, Plan
from lab.runtime import runtime_for
from lab.runtime.frr import write_frr_config
from lab.state import LabPaths, LabState, policy_dir_of
from lab.host import netem
from lab.impair.spec import Impairment
from lab.faults.impairment import LinkImpairment, active_on, choose_backend
from lab.faults.journal import Journal
from lab.faults.members import MembersDown
from lab.faults.names import bundle_members
from lab.faults.kinds import (DomainKind, Drain, End, Fault, FaultKind, LinkFault, LinkMode, MacsecMismatch, Md5Mismatch,
                    NodeFault, NodeMode, SessionReset, Side, Withdrawal, link_drain_pairs, links_scope, node_drain_pairs)
from lab.faults.names import plane_nodes

__all__ = ["Fault", "FaultInjector", "FaultKind"]


class FaultInjector:
    def __init__(self, plan: Plan, paths: LabPaths, runtime=None):
        self.plan, self.paths = plan, paths
        # the runtime that built the lab restarts its daemons (a Lab passes the one it holds)
        self.runtime = runtime if runtime is not None else runtime_for(paths)
        self.journal = Journal(paths.root / "faults.json")
        self._policies: dict[str | None, Policy] = {}

    @property
    def policy(self) -> Policy:
        """The policy directory the lab was built with (its state records it)."""
        return self._load(LabState.read(self.paths).policy)

    def policy_of(self, node: str) -> Policy:
        """The policy ``node`` runs: the lab's, or what a rollout gave it (a drain re-renders with it)."""
        return self._load(policy_dir_of(self.paths, node))

    def _load(self, directory: str | None) -> Policy:
        if directory not in self._policies:
            self._policies[directory] = load_policy(directory, self.plan)
        return self._policies[directory]

    # -- journal ------------------------------------------------------------------------
    def faults(self) -> list[Fault]:
        return self.journal.read().faults

    def active(self) -> list[Fault]:
        return [f for f in self.faults() if f.restored is None]

    def failures(self) -> Failures:
        """What the oracle must assume given every fault not yet restored."""
        links, nodes, withdrawn, drained, members = set(), set(), set(), set(), set()
        for f in self.active():
            links |= set(f.links)
            nodes |= set(f.nodes)
            withdrawn |= set(f.withdrawn)
            drained |= {tuple(d) for d in f.drained}
            members |= {tuple(m) for m in f.members_down}
        return Failures.of(links, nodes, withdrawn, drained, members_down=members)

    def _record(self, fault: Fault) -> Fault:
        """Journal the fault, then apply it; on any failure undo what was done and forget it."""
        entries = self.journal.read()
        entries.add(fault)
        self.journal.write(entries)       # journal first: a crash mid-way still leaves the undo behind
        fault.started = time.time()
        try:
            fault.apply(self)
        except BaseException:
            fault.roll_back(self)
            entries.drop(fault.id)        # the id stays used: the counter moved on
            self.journal.write(entries)
            raise
        self.journal.write(entries)
        return fault

    # -- faults -------------------------------------------------------------------------
    def _link(self, link: Link | int) -> Link:
        return self.plan.links[link] if isinstance(link, int) else link

    def link(self, link: Link | int, side: Side = Side.BOTH, mode: LinkMode = LinkMode.ADMIN) -> Fault:
        """admin: the chosen end(s) set down (the other end sees carrier loss);
        carrier: the chosen end loses carrier while staying admin-up (its peer end is set down);
        silent: frames dropped on the chosen end(s), links stay up: only BFD (policy.bfd) or the hold timer notices;
        shut: the routers' own interfaces set down (differs from admin only on protected links)."""
        return self.links([link], side, mode, kind=f"link-{mode}")

    def links(self, links: Iterable[Link | int], side: Side = Side.BOTH, mode: LinkMode = LinkMode.ADMIN,
              kind: str | None = None,
              target: str | None = None, scope: dict | None = None) -> Fault:
        ls = [self._link(l) for l in links]
        label = target or (ls[0].bundle + f" member {ls[0].member}" if len(ls) == 1 else f"{len(ls)} links")
        return self._record(LinkFault.build(ls, side, mode, FaultKind.parse(kind or f"links-{mode}"), label,
                                            scope or links_scope(ls)))

    def bundle(self, bundle: str, members: Iterable[int] | None = None, side: Side = Side.BOTH,
               mode: LinkMode = LinkMode.ADMIN) -> Fault:
        ls = bundle_members(self.plan, bundle, members)
        bundle = ls[0].bundle          # the plan's name, also when typed the other way round
        kind = "bundle" if members is None else "bundle-members"
        return self.links(ls, side, mode, kind=kind, target=bundle + ("" if members is None else f" members {sorted(members)}"))

    def node(self, name: str, mode: NodeMode = NodeMode.CRASH) -> Fault:
        return self.nodes([name], mode, kind=f"node-{mode}", target=name)

    def nodes(self, names: Iterable[str], mode: NodeMode = NodeMode.POWER, kind: str = "nodes", target: str = "",
              extra_links: Iterable[Link] = (), scope: dict | None = None) -> Fault:
        names = list(names)
        for n in names:
            self.plan.node(n)   # KeyError -> unknown node
        return self._record(NodeFault.build(self.plan, names, mode, FaultKind.parse(kind), target,
                                            scope or {"nodes": sorted(names)}, extra_links))

    def plane(self, plane: int, region: str | None = None, mode: NodeMode = NodeMode.POWER) -> Fault:
        names, target = plane_nodes(self.plan, plane, region)
        return self.nodes(names, mode, kind="plane", target=target, scope={"plane": plane, "region": region})

    def domain(self, kind: DomainKind, label: str) -> Fault:
        """Everything in a failure domain loses power; cables labelled with it are cut."""
        names, cut = self.plan.domain_members(kind, label)
        if not names and not cut:
            raise LabError(f"no element carries {kind} {label!r}")
        return self.nodes(names, "power", kind=kind.replace("_", "-"), target=label, extra_links=cut,
                          scope={"domain": kind, "label": label})

    def withdraw(self, fabric: str) -> Fault:
        """An emulated fabric withdraws every prefix it announces (sessions stay up); undo re-announces."""
        return self._record(Withdrawal.build(self.plan, fabric))

    def macsec_mismatch(self, link: Link | int, side: End = End.A) -> Fault:
        """One end of a protected link gets a key its peer does not hold (see MacsecMismatch)."""
        return self._record(MacsecMismatch.build(self._link(link), side))

    def md5_mismatch(self, link: Link | int, side: End = End.A) -> Fault:
        """One end's BGP sessions on the link get a TCP-MD5 password its peer does not use."""
        return self._record(Md5Mismatch.build(self.plan, self._link(link), side))

    def session_reset(self, node: str, link: Link, family: str = "ipv4") -> Fault:
        return self._record(SessionReset.build(self.plan, node, link, family))

    def members(self, link: Link | int, down: int) -> Fault:
        """``down`` of the ports a represented link stands for fail (see MembersDown); one such
        fault per link at a time."""
        link = self._link(link)
        old = next((f for f in self.active() if any(l == link.id for l, _ in f.members_down)), None)
        if old is not None:
            raise LabError(f"{link.bundle} member {link.member} already has ports down (fault {old.id}): restore it first")
        drained = {n: f.id for f in self.drains() for n, _ in f.drained}
        return self._record(MembersDown.build(self.plan, link, down, self._rendered, drained))

    def _rendered(self, node: str) -> str:
        n = self.plan.node(node)
        return render_node(self.plan, n, str(self.paths.log_file(node)), self.drained_links(node),
                           self.policy_of(node)).text

    def impair(self, link: Link | int, imp: Impairment) -> Fault:
        """Loss, delay, jitter, duplication on one member link (both directions), journalled;
        a link already impaired is refused (clear it first: one impairment per link)."""
        link = self._link(link)
        old = active_on(self.faults(), link)
        if old is not None:
            raise LabError(f"{link.bundle} member {link.member} is already impaired (fault {old.id}); "
                           f"'baglab impair --clear {link.bundle} -m {link.member}' first")
        has = {e.node: netem.available(self.paths.netns(e.node)) for e in (link.a, link.b)}
        return self._record(LinkImpairment.build(link, imp, lambda e: choose_backend(e, has[e.node])))

    def clear_impairment(self, link: Link | int) -> Fault:
        link = self._link(link)
        f = active_on(self.faults(), link)
        if f is None:
            raise LabError(f"{link.bundle} member {link.member} is not impaired; see 'baglab faults'")
        return self.restore(f)[0]

    # -- drains (operator actions, journalled like faults so that 'restore' and crashes undo them) --
    def drained_links(self, node: str, exclude: int | None = None) -> set[int]:
        """The links of ``node`` whose advertisements an active drain marks (its config must say so)."""
        return {int(l) for f in self.active() if f.id != exclude for n, l in f.drained if n == node}

    def sync_drain(self, node: str, exclude: int | None) -> None:
        """Make the node's policy match the journal: its config (so a restart comes back drained)
        and, live, which route-map each session advertises through."""
        drained = self.drained_links(node, exclude)
        n = self.plan.node(node)
        text = render_node(self.plan, n, str(self.paths.log_file(node)), drained, self.policy_of(node)).text
        write_frr_config(self.paths, node, text)     # a restart must come back drained
        cmds = [f"router bgp {n.asn}"]
        for fam, binds in live_bindings(text, sessions(self.plan, n)).items():
            cmds.append(f"address-family {fam} unicast")
            cmds += [f"neighbor {addr} route-map {rm} out" for addr, rm in binds]
            cmds.append("exit-address-family")
        problems = self.configure(node, cmds)
        if problems:
            if self.runtime.processes(self.plan).get(node, {}).get("bgpd") is None:
                return      # powered off: the config file is what counts; it starts drained
            raise LabError(f"changing the drain policy on {node}: {problems}")

    def configure(self, node: str, cmds: list[str]) -> str:
        """Apply configuration lines live; returns FRR's complaints ('' when none)."""
        return Router(self.paths, node, self.runtime).configure(cmds)

    _configure, _sync_drain = configure, sync_drain     # the names earlier callers used

    def drain(self, pairs: Iterable[tuple[str, int]], kind: str, target: str, scope: dict | None = None) -> Fault:
        """Mark what ``pairs`` (advertising node, link id) advertise with the plan's drain policy.
        Draining what an active drain of the same kind already covers (same scope) is refused."""
        pairs = sorted(set(pairs))
        scope = scope if scope is not None else {"pairs": [list(p) for p in pairs]}
        fk = FaultKind.parse(kind)
        built = Drain.build(self.plan, pairs, fk, target, scope)
        for f in self.active():
            busy = set(f.scope.get("configured", [])) & {n for n, _ in pairs} if f.members_down else set()
            if busy:       # the drain's re-sync would rebind the reduced link-bandwidth away
                raise LabError(f"{', '.join(sorted(busy))} advertises a reduced link-bandwidth (fault {f.id}, "
                               f"{f.target}): restore it before draining")
        for f in self.drains():
            if f.kind == fk and f.scope == scope:
                raise LabError(f"{target} is already drained (drain {f.id})")
        return self._record(built)

    def drain_nodes(self, names: Iterable[str], kind: str = "drain-node", target: str = "",
                    scope: dict | None = None) -> Fault:
        names = list(names)
        for n in names:
            self.plan.node(n)   # KeyError -> unknown node
        return self.drain(node_drain_pairs(self.plan, names), kind, target or ", ".join(names),
                          scope or {"nodes": names})

    def drain_plane(self, plane: int, region: str | None = None) -> Fault:
        names, target = plane_nodes(self.plan, plane, region)
        return self.drain_nodes(names, "drain-plane", target, scope={"plane": plane, "region": region})

    def drain_links(self, links: Iterable[Link | int], target: str | None = None) -> Fault:
        ls = [self._link(l) for l in links]
        label = target or (f"{ls[0].bundle} member {ls[0].member}" if len(ls) == 1 else f"{len(ls)} links")
        return self.drain(link_drain_pairs(self.plan, ls), "drain-link", label, links_scope(ls))

    def drains(self) -> list[Fault]:
        return [f for f in self.active() if f.is_drain]

    # -- restoration --------------------------------------------------------------------
    def restore(self, fault: Fault | None = None, drains: bool = True) -> list[Fault]:
        """Undo one fault, or every active fault (newest first; ``drains=False`` keeps drains)."""
        entries = self.journal.read()
        targets = [f for f in entries.faults if f.restored is None and (fault is None or f.id == fault.id)
                   and (drains or fault is not None or not f.is_drain)]
        for f in reversed(targets):
            f.undo(self)                  # starts last (Fault.undo)
            f.restored = time.time()
            # saved one by one: a later undo (a drain's re-sync) must see this one gone
            self.journal.write(entries)
        return targets
