"""What several verbs share: argument declarations and input checks.

The checks turn a user's typo (an unknown node, bundle, plane or label) into a LabError naming what
exists, before any runtime, timeline or fault is touched.  The verbs' choices (runtimes, fault
modes, check kinds, ...) are the core's own enumerations, taken as they are: one list each."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from lab.errors import LabError
from lab.state import DEFAULT_LAB, LabPaths, check_lab_name

TopoArg = typer.Argument(..., help="topology YAML, e.g. topologies/bag-mini.yaml")
NameOpt = typer.Option(DEFAULT_LAB, "--name", "-n", help="lab name; labs with different names coexist")
WaitOpt = typer.Option(True, "--wait/--no-wait", help="wait for convergence and compare with the oracle")
PlaneArg = typer.Argument(..., help="BAG plane number")
RegionOpt = typer.Option(None, help="only this region (default: every region)")
MembersOpt = typer.Option(None, "--member", "-m", help="members; default: all")
BundleArg = typer.Argument(..., help="e.g. r1-bag1~r2-bag1 (see 'baglab plan')")
NodeArg = typer.Argument(..., help="router name (see 'baglab plan')")
PolicyOpt = typer.Option(None, "--policy", help="policy directory of FRR fragments, or REF:PATH in this git "
                         "repository (e.g. main:policies/cand); default: the built-in lab/config/policies/default; "
                         "see docs/reference/policy-directory.md")
RolloutChecksOpt = typer.Option(None, "--checks", help="intent check kinds run after every phase (repeatable; "
                                "default: reachability, shares, attributes)")
ROLLOUT_REPORTS = Path("reports/rollout")


def lab_paths(name: str) -> LabPaths:
    return LabPaths(check_lab_name(name))


def listing(names, limit: int = 12) -> str:
    """A bounded list for an error message: a big plan must not turn one error into a screenful."""
    names = list(names)
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def check_node(plan, node: str) -> None:
    """Unknown names are a user error, not a KeyError traceback from deep inside the injector."""
    if node not in {n.name for n in plan.nodes}:
        raise LabError(f"unknown node {node!r}; nodes: {listing(n.name for n in plan.nodes)}")


def bundle_links(plan, bundle: str, members: Optional[List[int]] = None) -> list:
    """The bundle's links (only ``members`` when given; either end first), or a LabError naming what exists."""
    from lab.faults.names import bundle_members

    return bundle_members(plan, bundle, members)


def one_link(plan, bundle: str, member: int):
    """One member of a bundle, for faults that act on a single link."""
    return bundle_links(plan, bundle, [member])[0]


def check_plane(plan, plane: int, region: Optional[str]) -> None:
    from lab.faults.names import plane_nodes, planes_listing

    regions = sorted({n.region for n in plan.nodes if n.role == "bag"})
    if region is not None and region not in regions:
        raise LabError(f"unknown region {region!r}; BAG planes per region: {planes_listing(plan)}")
    plane_nodes(plan, plane, region)


def check_domain(plan, kind: str, label: str) -> None:
    from lab.verdict import domains as dm

    known = [l for k, l in dm.labels(plan) if k == kind]
    if label not in known:
        raise LabError(f"no element carries {kind} {label!r}; {kind} labels: {listing(known) or 'none'}")


def check_rehearsal(plan, kind, what: str, region: Optional[str], member: Optional[List[int]]) -> None:
    """The rehearsal runs for minutes with packets flowing: refuse a bad target before it starts
    (``kind``: a lab.workflows.rehearsal.RehearsalKind)."""
    from lab.workflows.rehearsal import RehearsalKind

    if kind == RehearsalKind.PLANE:
        if not what.isdigit():
            raise LabError(f"a plane is a number, not {what!r}")
        check_plane(plan, int(what), region)
    elif kind == RehearsalKind.NODE:
        check_node(plan, what)
    else:
        bundle_links(plan, what, member)
