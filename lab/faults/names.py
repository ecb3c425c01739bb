"""Names a user types for bundles and planes, checked against the plan, with errors that say what
exists: a bundle with fewer members says how many it has, a reversed bundle name is the same
bundle, a typo gets the names closest to it, a missing plane lists the planes of every region."""
from __future__ import annotations

import difflib
from typing import Iterable

from lab.errors import LabError
from lab.design.plan import Link, Plan


def bundle_name(plan: Plan, name: str) -> str:
    """The plan's name of a bundle: as typed, or with its two ends the other way round."""
    known = {l.bundle for l in plan.links}
    if name in known:
        return name
    a, sep, b = name.partition("~")
    if sep and f"{b}~{a}" in known:
        return f"{b}~{a}"
    near = difflib.get_close_matches(name, sorted(known), n=5, cutoff=0.6)
    hint = f"did you mean {', '.join(near)}? " if near else ""
    raise LabError(f"no bundle {name!r}; {hint}{len(known)} bundles, named <node>~<node>: "
                   f"'baglab plan TOPO' lists them all")


def bundle_members(plan: Plan, name: str, members: Iterable[int] | None = None) -> list[Link]:
    """A bundle's links (only ``members`` when given), or an error saying which members it has."""
    canon = bundle_name(plan, name)
    links = sorted((l for l in plan.links if l.bundle == canon), key=lambda l: l.member)
    want = set(members or ())
    missing = sorted(want - {l.member for l in links})
    if missing:
        have = ", ".join(str(l.member) for l in links)
        raise LabError(f"bundle {canon!r} exists and has {len(links)} member{'s' if len(links) != 1 else ''} "
                       f"({have}); no member {', '.join(map(str, missing))}")
    return [l for l in links if not want or l.member in want]


def planes_listing(plan: Plan) -> str:
    """'r1: 1, 2; r2: 1, 2': the BAG planes each region has."""
    by_region: dict[str, set[int]] = {}
    for n in plan.nodes:
        if n.role == "bag" and n.bag_plane is not None:
            by_region.setdefault(n.region, set()).add(n.bag_plane)
    return "; ".join(f"{r}: {', '.join(map(str, sorted(ps)))}" for r, ps in sorted(by_region.items()))


def plane_nodes(plan: Plan, plane: int, region: str | None = None) -> tuple[list[str], str]:
    """The BAG routers of a plane (in one region, or everywhere) and how to call them."""
    names = [n.name for n in plan.nodes if n.role == "bag" and n.bag_plane == plane
             and (region is None or n.region == region)]
    if not names:
        raise LabError(f"no BAG plane {plane}" + (f" in region {region}" if region else "")
                       + f"; BAG planes per region: {planes_listing(plan)}")
    return names, f"BAG plane {plane}" + (f" of {region}" if region else "")
