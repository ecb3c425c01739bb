"""A policy directory: Jinja2 fragments of FRR configuration, chosen per node.

Layout (docs/reference/policy-directory.md)::

    DIR/common.j2           every FRR router (optional)
    DIR/role/<role>.j2      required for each role with FRR routers in the topology
    DIR/region/<r>.j2       DIR/plane/<n>.j2       DIR/node/<name>.j2     (optional)
    DIR/intents.yaml        read by the checks, never rendered

Everything is compiled when the directory is loaded, so a syntax error stops ``up`` before any
namespace exists; a fragment naming something the plan lacks is an error too (a typo there would
otherwise silently apply nothing).

A policy directory may come from an untrusted merge request and is rendered as root, so:

- fragments are read once, at load, never through a symlink: a ``.j2`` that is a symlink or not a
  regular file, and any symlinked directory, is refused (the walk never follows one);
- ``include``/``import``/``extends`` reach those fragments only, as read at load;
- templates run in the sandbox of ``sandbox.py`` (no Python internals, no value beyond its limits).
"""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2

from lab.errors import LabError
from lab.design.node_kinds import kind_of
from lab.design.plan import Node, Plan

from lab.config.policy.sandbox import MAX_SIZE, environment


#: the built-in policy: a policy directory like any other
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "policies" / "default"

#: the optional per-node selectors, in rendering order after common and role
SELECTORS = ("region", "plane", "node")

#: the intent file a policy directory may carry (read by the checks, never rendered)
INTENTS = "intents.yaml"

@dataclass
class Policy:
    root: Path
    env: jinja2.Environment = field(repr=False)
    fragments: dict[str, Path]      # relative name ('role/bag.j2') -> file
    sources: dict[str, bytes] = field(repr=False)   # each fragment's bytes as read at load

    def digest(self) -> str:
        """What ``up`` compares to tell a lab built with another policy (the fragments' bytes, as
        loaded and rendered: a file changed since is another policy's)."""
        h = hashlib.sha256()
        for rel in sorted(self.fragments):
            h.update(rel.encode() + b"\0" + self.sources[rel] + b"\0")
        return h.hexdigest()[:16]

    def for_node(self, node: Node) -> list[str]:
        """The fragments that apply to a node, in rendering order."""
        want = ["common.j2", f"role/{node.role}.j2", f"region/{node.region}.j2"]
        if node.bag_plane is not None:
            want.append(f"plane/{node.bag_plane}.j2")
        want.append(f"node/{node.name}.j2")
        return [w for w in want if w in self.fragments]


class _Fragments(jinja2.BaseLoader):
    """The directory's fragments as read at load and nothing else: include, import and extends
    reach no other file (no '..', no absolute name, no symlink, nothing written since)."""

    def __init__(self, root: Path, texts: dict[str, str]):
        self.root, self.texts = root, texts

    def get_source(self, environment, template: str):
        parts = [p for p in template.split("/") if p not in ("", ".")]
        rel = "/".join(parts)
        if ".." in parts or rel not in self.texts:
            raise jinja2.TemplateNotFound(template, f"{template!r} is not a fragment of policy directory "
                                                    f"{self.root}: include, import and extends reach only its .j2 fragments")
        return self.texts[rel], str(self.root / rel), lambda: True


def _env(root: Path, texts: dict[str, str]) -> jinja2.Environment:
    return environment(_Fragments(root, texts))



def _compile(env: jinja2.Environment, root: Path, rel: str) -> None:
    try:
        env.get_template(rel)
    except jinja2.TemplateSyntaxError as e:
        raise LabError(f"{root / rel}:{e.lineno}: template error: {e.message}") from None
    except (RecursionError, MemoryError) as e:     # an expression nested thousands deep
        raise LabError(f"{root / rel}: template error: too deeply nested to compile ({type(e).__name__})") from None


def load_policy(path: str | Path | None = None, plan: Plan | None = None) -> Policy:
    """Read and compile a policy directory (None: the built-in one); with a plan, also check the
    directory against it (a role file for every role, no fragment for an unknown region/plane/node)."""
    root = Path(path).resolve() if path is not None else DEFAULT_DIR
    pol = _load(root) if root != DEFAULT_DIR else _default()
    if plan is not None:
        validate(pol, plan)
    return pol


def intents_of(path: str | Path) -> Path | None:
    """The directory's own ``intents.yaml``, None without one; a symlink or special file there is
    refused (it would be read as root and could echo another file into an error message)."""
    p = Path(path) / INTENTS
    try:
        mode = os.lstat(p).st_mode
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(mode):
        raise LabError(f"{p}: {'a symlink' if stat.S_ISLNK(mode) else 'not a regular file'}; a policy "
                       f"directory's {INTENTS} must be a regular file inside it")
    return p


@lru_cache(maxsize=1)
def _default() -> Policy:
    """The built-in policy, compiled once per process (drains and exports render it per node)."""
    return _load(DEFAULT_DIR)


def _walk(root: Path) -> list[Path]:
    """Every ``*.j2`` under root; a symlinked directory (never followed) or a ``.j2`` that is a
    symlink or not a regular file is refused, naming it."""
    found = []
    for top, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            p = Path(top) / name
            mode = os.lstat(p).st_mode
            if stat.S_ISLNK(mode) and (name in dirs or name.endswith(".j2")):
                raise LabError(f"{p}: a symlink (to {os.readlink(p)}); a policy directory's fragments and "
                               f"their directories must be regular files and directories inside it")
            if name.endswith(".j2") and not stat.S_ISREG(mode):
                raise LabError(f"{p}: not a regular file; a policy fragment must be one")
            if name in files and name.endswith(".j2"):
                found.append(p)
    return sorted(found)


def _read(p: Path) -> bytes:
    """No symlink followed and no FIFO waited on, even one swapped in since the walk (lab.safe_io's
    read_text would block on a FIFO, and the digest needs the bytes)."""
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        raise LabError(f"{p}: cannot read ({e.strerror}); a policy fragment must be a regular file, "
                       f"not a symlink") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise LabError(f"{p}: not a regular file; a policy fragment must be one")
        if st.st_size > MAX_SIZE:
            raise LabError(f"{p}: {st.st_size:,} bytes; a policy fragment may have at most {MAX_SIZE:,}")
        return f.read(MAX_SIZE + 1)


def _load(root: Path) -> Policy:
    if not root.is_dir():
        raise LabError(f"policy directory {root} does not exist")
    frags = {str(p.relative_to(root)): p for p in _walk(root)}
    for rel in frags:
        if rel != "common.j2" and (rel.count("/") != 1 or rel.split("/")[0] not in ("role",) + SELECTORS):
            raise LabError(f"{root / rel}: not a policy fragment: fragments are common.j2, role/<role>.j2, "
                           f"region/<region>.j2, plane/<n>.j2 or node/<name>.j2")
    sources = {rel: _read(p) for rel, p in frags.items()}
    texts = {}
    for rel, raw in sources.items():
        try:
            texts[rel] = raw.decode()
        except UnicodeDecodeError as e:
            raise LabError(f"{frags[rel]}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    pol = Policy(root, _env(root, texts), frags, sources)
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
