"""Link impairments as journalled faults: loss, delay, jitter and duplication on a member link,
both directions, undone like any fault (``baglab impair --clear``, ``baglab restore``).

Each end is impaired where its frames leave: with the kernel's netem on the port where the host
has it, else in the user-space SecY's delay line (lab/impair/line.py) on a protected port, whose
frames already cross a process the lab owns, else (a plain port) in the same delay line in the
node's forwarder, spliced in beside the router's interface for as long as the impairment lasts
(lab/forwarder/splice.py, lab/forwarder/control.py).  An impairment beyond recovery
(lab/impair/spec.py) is a failed link to the oracle.
"""
from __future__ import annotations

import json
import os
import signal
from dataclasses import dataclass
from typing import Callable, ClassVar

from lab import safe_io
from lab.errors import LabError
from lab.host import netem
from lab.forwarder import control as forwarders
from lab.impair.spec import Impairment
from lab.macsec import ports as macsec_ports, secy
from lab.design.plan import Endpoint, Link, Plan
from lab.design.topology import LoadedTopology
from lab.wait import poll
from lab.faults.actions import Action, Context, register
from lab.faults.kinds import Fault, FaultKind, fault_type
from lab.faults.names import bundle_members

Backend = Callable[[Endpoint], str]     # an end -> "netem" | "shim" | "forwarder"


@register
@dataclass
class ImpairPort(Action):
    """One end's frames towards the cable impaired as ``params`` say (None: no longer)."""
    op: ClassVar[str] = "impair"
    port: str                       # netem: the device the frames leave by
    ifname: str                     # the SecY's port, by the router's interface name
    backend: str                    # "netem" | "shim" | "forwarder"
    params: dict | None = None

    def apply(self, ctx: Context) -> None:
        if self.backend == "netem":
            options = netem.args(**Impairment.from_json(self.params).to_json()) if self.params else None
            netem.set_port(ctx.paths.netns(self.node), self.port, options)
        elif self.backend == "forwarder":
            forwarders.impair(ctx.paths, self.node, self.ifname, self.params)
        else:
            shim_impair(ctx, self.node, self.ifname, self.params)


def shim_impair(ctx: Context, node: str, ifname: str, params: dict | None, deadline_s: float = 10.0) -> None:
    """Change one port in the node's ``impair.json``, tell its SecY (SIGHUP) and wait until its
    counters say it took this generation."""
    pid = secy.shim_pids(ctx.paths, ctx.plan).get(node)
    if pid is None:      # before the file changes: a SecY started later must not pick it up
        raise LabError(f"the SecY of {node} is not running: it serves the impairment of {ifname}")
    path = ctx.paths.node_dir(node) / "impair.json"
    try:
        doc = json.loads(safe_io.read_text(path))
    except (OSError, LabError, ValueError):
        doc = {"generation": 0, "ports": {}}
    if params is None:
        doc["ports"].pop(ifname, None)
    else:
        doc["ports"][ifname] = params
    doc["generation"] += 1
    safe_io.write_file(path, json.dumps(doc))
    os.kill(pid, signal.SIGHUP)
    if not poll(lambda: macsec_ports.stats(ctx.paths, node).get("impair_generation", -1) >= doc["generation"],
                deadline_s):
        raise LabError(f"the SecY of {node} did not take impairment generation {doc['generation']} "
                       f"within {deadline_s:.0f}s")


def choose_backend(end: Endpoint, has_netem: bool) -> str:
    """netem where the kernel has it; else the SecY a protected port already crosses; else a
    forwarder spliced in for the purpose (it costs a process and a helper pair per port)."""
    if has_netem:
        return "netem"
    return "shim" if end.wire else "forwarder"


@fault_type
@dataclass
class LinkImpairment(Fault):
    """Loss, delay, jitter, duplication on one member link, both directions."""
    type: ClassVar[str] = "impairment"

    @classmethod
    def build(cls, link: Link, imp: Impairment, backend_of: Backend) -> "LinkImpairment":
        actions, undo = [], []
        for e in (link.a, link.b):
            backend = backend_of(e)
            actions.append(ImpairPort(e.node, e.port, e.ifname, backend, imp.to_json()))
            undo.append(ImpairPort(e.node, e.port, e.ifname, backend, None))
        return cls(0, FaultKind.IMPAIR, f"{link.bundle} member {link.member} ({imp.describe()})",
                   links=[link.id] if imp.beyond_recovery else [],
                   scope={"link": link.id, "bundle": link.bundle, "member": link.member, **imp.to_json()},
                   actions=actions, inverse=undo)


def active_on(faults: list[Fault], link: Link) -> Fault | None:
    """The active impairment of ``link``, if any."""
    return next((f for f in faults if f.restored is None and f.kind == FaultKind.IMPAIR
                 and f.scope.get("link") == link.id), None)


def from_topology(loaded: LoadedTopology, plan: Plan) -> list[tuple[Link, Impairment]]:
    """The topology's ``impairments:`` as links of the plan, each named at most once; an unknown
    bundle or member or a link listed twice is an error at its YAML path, before anything is built."""
    out: dict[int, tuple[Link, Impairment]] = {}
    for i, spec in enumerate(loaded.model.impairments):
        try:
            links = bundle_members(plan, spec.link, spec.members)
        except LabError as exc:
            raise loaded.error(["impairments", i, "link"], str(exc)) from None
        for link in links:
            if link.id in out:
                raise loaded.error(["impairments", i], f"{link.bundle} member {link.member} is impaired "
                                   "twice; one impairment per link")
            out[link.id] = (link, spec.impairment())
    return list(out.values())
