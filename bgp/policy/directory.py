"""A policy directory: Jinja2 fragments of FRR configuration, chosen per node.

Layout (README, "Your own routing policy")::

    DIR/common.j2           every FRR router (optional)
    DIR/role/<role>.j2      required for each role with FRR routers in the topology
    DIR/region/<r>.j2       DIR/plane/<n>.j2       DIR/node/<name>.j2     (optional)
    DIR/intents.yaml        read by the checks, never rendered

Everything is compiled when the directory is loaded, so a syntax error stops ``up`` before any
namespace exists; a fragment naming something the plan lacks is an error too (a typo there would
otherwise silently apply nothing).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2

from lab.errors import LabError
from lab.node_kinds import kind_of
from lab.plan import Node, Plan

#: the built-in policy: a policy directory like any other
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "policies" / "default"

#: the optional per-node selectors, in rendering order after common and role
SELECTORS = ("region", "plane", "node")


@dataclass
class Policy:
    root: Path
    env: jinja2.Environment = field(repr=False)
    fragments: dict[str, Path]      # relative name ('role/bag.j2') -> file

    def digest(self) -> str:
        """What ``up`` compares to tell a lab built with another policy (the fragments' bytes)."""
        h = hashlib.sha256()
        for rel in sorted(self.fragments):
            h.update(rel.encode() + b"\0" + self.fragments[rel].read_bytes() + b"\0")
        return h.hexdigest()[:16]

    def for_node(self, node: Node) -> list[str]:
        """The fragments that apply to a node, in rendering order."""
        want = ["common.j2", f"role/{node.role}.j2", f"region/{node.region}.j2"]
        if node.bag_plane is not None:
            want.append(f"plane/{node.bag_plane}.j2")
        want.append(f"node/{node.name}.j2")
        return [w for w in want if w in self.fragments]


def _env(root: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(root)), trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)


def _compile(env: jinja2.Environment, root: Path, rel: str) -> None:
    try:
        env.get_template(rel)
    except jinja2.TemplateSyntaxError as e:
        raise LabError(f"{root / rel}:{e.lineno}: template error: {e.message}") from None


def load_policy(path: str | Path | None = None, plan: Plan | None = None) -> Policy:
    """Read and compile a policy directory (None: the built-in one); with a plan, also check the
    directory against it (a role file for every role, no fragment for an unknown region/plane/node)."""
    root = Path(path).resolve() if path is not None else DEFAULT_DIR
    pol = _load(root) if root != DEFAULT_DIR else _default()
    if plan is not None:
        validate(pol, plan)
    return pol


@lru_cache(maxsize=1)
def _default() -> Policy:
    """The built-in policy, compiled once per process (drains and exports render it per node)."""
    return _load(DEFAULT_DIR)


def _load(root: Path) -> Policy:
    if not root.is_dir():
        raise LabError(f"policy directory {root} does not exist")
    frags = {str(p.relative_to(root)): p for p in sorted(root.rglob("*.j2"))}
    for rel in frags:
        if rel != "common.j2" and (rel.count("/") != 1 or rel.split("/")[0] not in ("role",) + SELECTORS):
            raise LabError(f"{root / rel}: not a policy fragment: fragments are common.j2, role/<role>.j2, "
                           f"region/<region>.j2, plane/<n>.j2 or node/<name>.j2")
    pol = Policy(root, _env(root), frags)
    for rel in frags:
        _compile(pol.env, root, rel)
    return pol


def _names(plan: Plan) -> dict[str, set[str]]:
    frr = [n for n in plan.nodes if kind_of(n).has_policy]
    return {"role": {n.role for n in frr}, "region": {n.region for n in frr},
            "plane": {str(n.bag_plane) for n in frr if n.bag_plane is not None}, "node": {n.name for n in frr}}


def validate(pol: Policy, plan: Plan) -> None:
    have = _names(plan)
    for role in sorted(have["role"]):
        if f"role/{role}.j2" not in pol.fragments:
            raise LabError(f"policy directory {pol.root} has no role/{role}.j2, and topology {plan.topology} "
                           f"has FRR routers of role {role!r} (every such role needs its fragment, even an empty one)")
    for rel, p in pol.fragments.items():
        kind, _, name = rel.partition("/")
        name = name.removesuffix(".j2")
        if kind in SELECTORS and name not in have[kind]:
            raise LabError(f"{p}: topology {plan.topology} has no FRR router with {kind} {name!r} "
                           f"(there are: {', '.join(sorted(have[kind])) or 'none'})")
