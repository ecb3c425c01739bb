"""``baglab fault <kind>``: a recorded, reversible failure injected, then judged against the oracle
(unless --no-wait); ``inject`` is how ``drain`` and ``impair`` apply theirs too."""
from __future__ import annotations

from typing import List, Optional

import typer

from lab.errors import LabError
from lab.session import open_lab
from lab.cli import views
from lab.cli.app import sub_app
from lab.faults.kinds import DomainKind, End, LinkMode, NodeMode, Side
from lab.cli.common import (BundleArg, MembersOpt, NameOpt, NodeArg, PlaneArg, RegionOpt, WaitOpt, bundle_links, check_domain,
                     check_node, check_plane, one_link)

fault_app = sub_app("fault", "Inject a recorded, reversible failure and measure convergence.")


def inject(name: str, make, wait: bool, check=None, then=None) -> None:
    """lab.workflows.inject.inject on the named lab, the fault and its verdict printed.

    ``check(plan)`` validates the user's names first, so a typo fails before any timeline or
    runtime is touched and without a traceback; ``then(lab)``: what the verb shows afterwards,
    on the same Lab."""
    from lab.workflows import inject as wf

    with open_lab(name) as s:
        res = wf.inject(s, make, wait, check, on_made=views.fault_made)
        if res is not None:
            views.verdict(res)
        if then:
            then(s)


@fault_app.command("link")
def fault_link(bundle: str = BundleArg, member: Optional[List[int]] = MembersOpt,
               side: Side = typer.Option(Side.BOTH, help="which end(s) fail"),
               mode: LinkMode = typer.Option(LinkMode.ADMIN, help="admin down (the port: on a protected link "
                                             "the cable), carrier loss (one side), silent drop, or shut (the "
                                             "router's own interface)"),
               name: str = NameOpt, wait: bool = WaitOpt):
    """Fail a bundle, or some of its member links."""
    def check(plan):
        bundle_links(plan, bundle, member)
        if mode is LinkMode.CARRIER and side is Side.BOTH:
            raise LabError("carrier loss is seen at one end: pick --side a or --side b")
    inject(name, lambda fi, plan: fi.bundle(bundle, member or None, side=side.value, mode=mode.value), wait, check)


@fault_app.command("node")
def fault_node(node: str = NodeArg,
               mode: NodeMode = typer.Option(NodeMode.CRASH, help="SIGTERM, SIGKILL, or ports dark then SIGKILL"),
               name: str = NameOpt, wait: bool = WaitOpt):
    """Stop, crash or power off a router."""
    inject(name, lambda fi, plan: fi.node(node, mode.value), wait, lambda plan: check_node(plan, node))


@fault_app.command("plane")
def fault_plane(plane: int = PlaneArg, region: Optional[str] = RegionOpt, name: str = NameOpt, wait: bool = WaitOpt):
    """Power off a BAG plane (in one region, or everywhere)."""
    inject(name, lambda fi, plan: fi.plane(plane, region), wait, lambda plan: check_plane(plan, plane, region))


@fault_app.command("domain")
def fault_domain(kind: DomainKind = typer.Argument(..., help="failure-domain kind"),
                 label: str = typer.Argument(..., help="the label in the topology YAML, e.g. dh1a"),
                 name: str = NameOpt, wait: bool = WaitOpt):
    """Fail everything labelled with a data hall or power feed."""
    inject(name, lambda fi, plan: fi.domain(kind.value, label), wait,
           lambda plan: check_domain(plan, kind.value, label))


ProtectedArg = typer.Argument(..., help="e.g. r1-bag1~r2-bag1 (see 'baglab links')")
MemberOpt = typer.Option(1, "--member", "-m", min=1, help="the member link")


@fault_app.command("macsec-mismatch")
def fault_macsec(bundle: str = ProtectedArg, member: int = MemberOpt,
                 side: End = typer.Option(End.A, help="the end that gets the wrong key"),
                 name: str = NameOpt, wait: bool = WaitOpt):
    """Give one end of a protected link a key its peer does not hold."""
    inject(name, lambda fi, plan: fi.macsec_mismatch(one_link(plan, bundle, member), side.value), wait,
           lambda plan: one_link(plan, bundle, member))


@fault_app.command("md5-mismatch")
def fault_md5(bundle: str = ProtectedArg, member: int = MemberOpt,
              side: End = typer.Option(End.A, help="the end that gets the wrong password"),
              name: str = NameOpt, wait: bool = WaitOpt):
    """Give one end's BGP sessions on a link a TCP-MD5 password its peer does not use."""
    inject(name, lambda fi, plan: fi.md5_mismatch(one_link(plan, bundle, member), side.value), wait,
           lambda plan: one_link(plan, bundle, member))


@fault_app.command("members")
def fault_members(bundle: str = BundleArg, member: int = MemberOpt,
                  down: int = typer.Option(..., "--down", "-k", min=1, help="how many of the ports the link "
                                           "represents fail (fewer than all: all is 'baglab fault link')"),
                  name: str = NameOpt, wait: bool = WaitOpt):
    """Fail some of the ports a represented link stands for: its link-bandwidth shrinks, it stays up."""
    inject(name, lambda fi, plan: fi.members(one_link(plan, bundle, member), down), wait,
           lambda plan: one_link(plan, bundle, member))
