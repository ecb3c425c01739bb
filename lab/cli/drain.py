"""``baglab drain`` and ``baglab undrain`` (plane, node, link; undrain all): traffic moved off a
target with BGP policy before maintenance, and back onto it after."""
from __future__ import annotations

from typing import List, Optional

import typer
from rich.markup import escape

from lab.faults.kinds import FaultKind
from lab.session import open_lab
from lab.cli import views
from lab.cli.app import sub_app
from lab.cli.common import (BundleArg, MembersOpt, NameOpt, NodeArg, PlaneArg, RegionOpt, WaitOpt,
                     bundle_links, check_node, check_plane)
from lab.cli.fault import inject
from lab.cli.views import err

drain_app = sub_app("drain", "Move traffic off a plane, router or link with BGP policy "
                    "(policy.drain: graceful-shutdown or as-path-prepend) before maintenance.")
undrain_app = sub_app("undrain", "Take a drain back (traffic returns).")


def _drain(name: str, make, wait: bool, check=None) -> None:
    """Apply a drain, wait for the oracle's drained state, and say what still crosses the drain."""
    from lab.config.oracle import paths_through_drains

    inject(name, make, wait, check, then=lambda s: views.through_drains(paths_through_drains(s.plan, s.faults.failures())))


def _undrain(name: str, pick, wait: bool) -> None:
    """Take back every active drain ``pick`` selects; with ``wait``, check the oracle's state after."""
    from lab.workflows import inject as wf

    with open_lab(name) as s:
        res = wf.undrain(s, pick, wait, on_undrained=lambda f: err.print(f"undrained {escape(f.target)}"))
        if res is not None:
            views.verdict(res)


@drain_app.command("plane")
def drain_plane(plane: int = PlaneArg, region: Optional[str] = RegionOpt, name: str = NameOpt, wait: bool = WaitOpt):
    """Drain a BAG plane (in one region, or everywhere)."""
    _drain(name, lambda fi, plan: fi.drain_plane(plane, region), wait, lambda plan: check_plane(plan, plane, region))


@drain_app.command("node")
def drain_node(node: str = NodeArg, name: str = NameOpt, wait: bool = WaitOpt):
    """Drain one router: everything it advertises is marked."""
    _drain(name, lambda fi, plan: fi.drain_nodes([node]), wait, lambda plan: check_node(plan, node))


@drain_app.command("link")
def drain_link(bundle: str = BundleArg, member: Optional[List[int]] = MembersOpt,
               name: str = NameOpt, wait: bool = WaitOpt):
    """Drain a bundle, or some of its members (both ends' advertisements are marked)."""
    def make(fi, plan):
        ls = bundle_links(plan, bundle, member)
        return fi.drain_links(ls, ls[0].bundle + (f" members {sorted(member)}" if member else ""))
    _drain(name, make, wait, lambda plan: bundle_links(plan, bundle, member))


@undrain_app.command("plane")
def undrain_plane(plane: int = PlaneArg, region: Optional[str] = RegionOpt, name: str = NameOpt, wait: bool = WaitOpt):
    """Undrain a BAG plane."""
    _undrain(name, lambda f: f.kind == FaultKind.DRAIN_PLANE and f.matches(plane=plane, region=region), wait)


@undrain_app.command("node")
def undrain_node(node: str = typer.Argument(..., help="a drained router (see 'baglab faults')"), name: str = NameOpt,
                 wait: bool = WaitOpt):
    """Undrain a router."""
    _undrain(name, lambda f: f.kind == FaultKind.DRAIN_NODE and f.matches(nodes=[node]), wait)


@undrain_app.command("link")
def undrain_link(bundle: str = typer.Argument(..., help="a drained bundle (see 'baglab faults')"), name: str = NameOpt,
                 wait: bool = WaitOpt):
    """Undrain a bundle (every drain of its members)."""
    _undrain(name, lambda f: f.kind == FaultKind.DRAIN_LINK and (f.matches(bundle=bundle) or f.matches(bundle=_reversed(bundle))),
             wait)


def _reversed(bundle: str) -> str:
    """'r2-bag1~r1-bag1' names the same bundle as 'r1-bag1~r2-bag1'."""
    a, _, b = bundle.partition("~")
    return f"{b}~{a}"


@undrain_app.command("all")
def undrain_all(name: str = NameOpt, wait: bool = WaitOpt):
    """Undrain everything."""
    _undrain(name, lambda f: True, wait)
