"""A rollout's phases: ordered selections of routers, in the words operators use (a router, a role,
a region, a BAG plane, "the rest").

Each phase changes the routers it selects that no earlier phase changed, so phases can be written
the way change tickets are ("the spoke region", then "the hub") without listing what came before.
A phase that would change nothing is a mistake in the plan (a typo, or a phase swallowed by an
earlier one) and is refused; routers that no phase reaches are refused too, unless the file says
``partial: true`` (a rehearsal of the first steps only).
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Callable

from pydantic import Field, StrictBool, StrictInt, ValidationError

from lab.design.model import MAX_ITEMS, Strict, matching
from lab.design.node_kinds import kind_of
from lab.design.plan import Node, Plan
from lab.design.yaml_files import Located, Text, load_model

#: a phase's name is shown in tables, JUnit XML, HTML and plot titles (each escapes it): one line,
#: as a change ticket words it ("canary (5%)", an upgrade's router pattern '*-bag1')
PhaseName = Annotated[str, matching(re.compile(r"[^\s\x00-\x1f\x7f-\x9f\ud800-\udfff][^\x00-\x1f\x7f-\x9f\ud800-\udfff]{0,63}"),
                                    "a phase name is 1-64 characters on one line, not starting with a space")]
#: a router name or a shell pattern of router names
Pattern = Annotated[str, matching(re.compile(r"[A-Za-z0-9_.*?\[\]!-]{1,64}"),
                                  "a router name or pattern is 1-64 letters, digits and -_.*?[]!")]
Word = Annotated[str, Field(min_length=1, max_length=32)]
#: wildcard patterns in one file: each is tried on every router (a thousand), twice
MAX_WILDCARDS = 256
_WILD = re.compile(r"[*?\[]")


class PlaneRef(Strict):
    plane: StrictInt = Field(ge=1, le=16)
    region: Word | None = None     # unset: that plane in every region


class PhaseSpec(Strict):
    name: PhaseName                # one line, as the change ticket words it
    nodes: list[Pattern] = Field(default=[], max_length=MAX_ITEMS)   # shell patterns of router names
    roles: list[Word] = Field(default=[], max_length=MAX_ITEMS)      # every router of these roles
    regions: list[Word] = Field(default=[], max_length=MAX_ITEMS)    # every router of these regions
    #: the BAG routers of a plane (not the STSWs striped to it)
    planes: list[PlaneRef] = Field(default=[], max_length=MAX_ITEMS)
    rest: StrictBool = False       # every router no earlier phase changed
    drain: StrictBool = False      # drain the phase's routers, change them, undrain


class PhasesFile(Strict):
    description: Text = ""
    #: the phases may leave routers unchanged (a rehearsal of the first steps); otherwise a router
    #: no phase reaches is an error
    partial: StrictBool = False
    phases: list[PhaseSpec] = Field(min_length=1, max_length=64)


@dataclass(frozen=True)
class Phase:
    name: str
    routers: tuple[str, ...]
    drain: bool


def _policy_routers(plan: Plan) -> list[Node]:
    return [n for n in plan.nodes if kind_of(n).has_policy]


def _matcher(patterns: list[str]) -> Callable[[str], bool]:
    """Whether a router name matches one of ``patterns``: plain names by a set lookup, so only
    the wildcards cost a match per router."""
    exact = {p for p in patterns if not _WILD.search(p)}
    wild = [p for p in patterns if _WILD.search(p)]
    return lambda name: name in exact or any(fnmatch.fnmatchcase(name, p) for p in wild)


def _selects(spec: PhaseSpec, n: Node, named: Callable[[str], bool] | None = None) -> bool:
    return (spec.rest or (named or _matcher(spec.nodes))(n.name) or n.role in spec.roles
            or n.region in spec.regions
            or n.role == "bag" and any(n.bag_plane == p.plane and p.region in (None, n.region) for p in spec.planes))


def _unknown_names(loaded: Located[PhasesFile], plan: Plan) -> None:
    nodes = _policy_routers(plan)
    known = {"roles": {n.role for n in nodes}, "regions": {n.region for n in nodes}}
    names = {n.name for n in nodes}
    wildcards = 0
    for i, spec in enumerate(loaded.model.phases):
        for field in ("roles", "regions"):
            for j, v in enumerate(getattr(spec, field)):
                if v not in known[field]:
                    raise loaded.error(["phases", i, field, j], f"no {field[:-1]} {v!r}; known: "
                                       f"{', '.join(sorted(known[field]))}")
        for j, pat in enumerate(spec.nodes):
            wild = bool(_WILD.search(pat))
            wildcards += wild
            if wildcards > MAX_WILDCARDS:
                raise loaded.error(["phases", i, "nodes", j], f"more than {MAX_WILDCARDS} wildcard patterns in the "
                                   "file; select by regions, roles or planes instead")
            if not (any(fnmatch.fnmatchcase(n, pat) for n in names) if wild else pat in names):
                raise loaded.error(["phases", i, "nodes", j], f"{pat!r} matches no router; see 'baglab plan'")
        for j, p in enumerate(spec.planes):
            if not any(n.bag_plane == p.plane and p.region in (None, n.region) for n in nodes if n.role == "bag"):
                raise loaded.error(["phases", i, "planes", j], f"no BAG plane {p.plane}"
                                   + (f" in region {p.region}" if p.region else ""))


def resolve(loaded: Located[PhasesFile], plan: Plan) -> list[Phase]:
    """The phases as router lists, in order; located errors for names, empty phases, leftovers."""
    _unknown_names(loaded, plan)
    done: set[str] = set()
    out = []
    for i, spec in enumerate(loaded.model.phases):
        named = _matcher(spec.nodes)
        picked = tuple(n.name for n in _policy_routers(plan) if n.name not in done and _selects(spec, n, named))
        if not picked:
            raise loaded.error(["phases", i], f"phase {spec.name!r} changes no router (earlier phases took them all)")
        done.update(picked)
        out.append(Phase(spec.name, picked, spec.drain))
    left = [n.name for n in _policy_routers(plan) if n.name not in done]
    if left and not loaded.model.partial:
        raise loaded.error(["phases"], f"{len(left)} router(s) no phase changes ({', '.join(left[:6])}"
                           f"{', ...' if len(left) > 6 else ''}); add a phase with 'rest: true' or say 'partial: true'")
    return out


def load_phases(path: str | Path, plan: Plan) -> list[Phase]:
    return resolve(load_model(path, PhasesFile, "phases file", "a mapping with 'phases'"), plan)


def step_spec(what: str, value: str | None) -> PhaseSpec:
    """``baglab upgrade plane P | region R | NODE``: the one phase an upgrade step is, as a phase
    of a phases file would say it (``plane R/P``: that plane of region R only)."""
    from lab.errors import LabError
    if what in ("plane", "region") and not value:
        raise LabError(f"'{what}' needs a value: 'baglab upgrade plane 1', 'plane r2/1' or 'region r2'")
    if what not in ("plane", "region") and value:
        raise LabError(f"upgrade {what} {value}: give 'plane P', 'region R' or one router name (or pattern)")
    try:
        if what == "region":
            return PhaseSpec(name=f"region {value}", regions=[value])
        if what == "plane":
            region, _, num = value.rpartition("/")
            if not num.isdigit() or int(num) < 1:
                raise LabError(f"plane {value!r}: a BAG plane is a number (1, 2, ...), optionally 'REGION/N'")
            return PhaseSpec(name=f"BAG plane {value}", planes=[PlaneRef(plane=int(num), region=region or None)])
        return PhaseSpec(name=what, nodes=[what])
    except ValidationError as exc:
        # the command line is held to what a phases file may say (a plane up to 16, names without '$')
        reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise LabError(f"upgrade {' '.join(ascii(x)[:70] for x in (what, value) if x)}: {reason}") from None


def select(plan: Plan, spec: PhaseSpec) -> list[str]:
    """The routers one phase picks on its own (no earlier phases); an error when it picks none."""
    from lab.errors import LabError
    got = [n.name for n in _policy_routers(plan) if _selects(spec, n)]
    if not got:
        raise LabError(f"{spec.name!r} selects no router of this lab; see 'baglab plan'")
    return got
