"""A policy directory: Jinja2 fragments of FRR configuration, chosen per node.

Layout (README, "Your own routing policy")::

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
- templates run in Jinja2's immutable sandbox: no ``_``-prefixed attribute (``__globals__``,
  ``__class__``, ...), no ``mro``, no mutation of the context's lists and dicts, no pydantic API on
  the plan's models (``parse_file`` reads files); of Jinja2's globals ``lipsum`` is dropped;
- no value a fragment builds and no fragment's output may exceed ``MAX_SIZE`` characters or
  items, nor an integer ``MAX_INT_BITS`` bits: ``*``, ``**``, ``+`` and ``%``, the growing str
  methods and filters, printf and ``str.format`` widths, namespace attributes, call arguments
  and lazily built sequences are checked before they are built.
  Not bounded: CPU time.  Loops over ``range`` (at most 100,000 items each) nest, so a hostile
  fragment can still spin for hours; render untrusted policies under a CI job timeout.
"""
from __future__ import annotations

import hashlib
import inspect
import os
import re
import stat
import string
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import Namespace
from pydantic import BaseModel

from lab.errors import LabError
from lab.node_kinds import kind_of
from lab.plan import Node, Plan

#: the built-in policy: a policy directory like any other
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "policies" / "default"

#: the optional per-node selectors, in rendering order after common and role
SELECTORS = ("region", "plane", "node")

#: the intent file a policy directory may carry (read by the checks, never rendered)
INTENTS = "intents.yaml"

#: the most characters (or items) of one value a fragment builds, or of a fragment's output or
#: file: FRR configs are kilobytes, this only keeps a template from exhausting root's memory
MAX_SIZE = 1 << 24
#: the most bits of an integer a fragment computes (``2 ** 10 ** 10`` would take minutes)
MAX_INT_BITS = 1 << 16


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


def _size(v, depth: int = 2) -> int:
    """Characters or items of ``v`` and, two levels down, of what it holds."""
    if isinstance(v, (str, bytes)):
        return len(v)
    if not isinstance(v, (list, tuple, dict, set, frozenset)):
        return 0
    n = len(v)
    if depth and n <= MAX_SIZE:
        n += sum(_size(x, depth - 1) for x in ([*v.keys(), *v.values()] if isinstance(v, dict) else v))
    return n


def _limit(n: int, what: str) -> None:
    if n > MAX_SIZE:
        raise SecurityError(f"{what} would hold {n:,} characters or items; a policy fragment may build "
                            f"at most {MAX_SIZE:,}")


def _bits(n: int, what: str) -> None:
    if n > MAX_INT_BITS:
        raise SecurityError(f"{what} would have {n:,} bits; a policy fragment may compute at most {MAX_INT_BITS:,}")


_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _printf_widths(fmt: str, what: str) -> None:
    for width in (g for m in _PRINTF.finditer(fmt) for g in m.groups() if g):
        if width == "*":
            raise SecurityError(f"{what}: '*' widths are refused in policy fragments; write the width")
        _limit(int(width), what)


def _format_widths(fmt: str, what: str) -> None:
    for _, _, spec, _ in string.Formatter().parse(fmt):
        if spec and "{" in spec:
            raise SecurityError(f"{what}: widths taken from arguments are refused in policy fragments")
        for width in re.findall(r"\d+", spec or ""):
            _limit(int(width), what)


def _check_binop(op: str, a, b) -> None:
    ints = isinstance(a, int) and isinstance(b, int)
    if op == "*" and ints:
        _bits(a.bit_length() + b.bit_length(), "a product")
    elif op == "*" and (isinstance(a, int) or isinstance(b, int)):
        times, seq = (a, b) if isinstance(a, int) else (b, a)
        _limit(_size(seq) * max(times, 0), "a repetition")
    elif op == "**" and ints and abs(a) > 1 and b > 0:
        _bits(a.bit_length() * b, "a power")
    elif op == "+" and not ints:
        _limit(_size(a) + _size(b), "a concatenation")
    elif op == "%" and isinstance(a, str):
        _printf_widths(a, "a %-format")


def _replaced(s: str, old: str, new: str, count) -> int:
    n = len(s) + 1 if old == "" else s.count(old)
    n = min(n, count) if isinstance(count, int) and count >= 0 else n
    return len(s) + n * max(0, len(new) - len(old))


def _arg(args, kwargs, i: int, name: str, default):
    return args[i] if len(args) > i else kwargs.get(name, default)


def _str_method(s: str, name: str, args: tuple, kwargs: dict) -> tuple:
    """Refuse a str method whose result would be too big; the arguments to call it with."""
    what = f"str.{name}"
    if name in ("center", "ljust", "rjust", "zfill"):
        _limit(_arg(args, kwargs, 0, "width", 0), what)
    elif name == "expandtabs":
        _limit(len(s) * _arg(args, kwargs, 0, "tabsize", 8), what)
    elif name == "replace" and len(args) >= 2:
        _limit(_replaced(s, str(args[0]), str(args[1]), _arg(args, kwargs, 2, "count", -1)), what)
    elif name == "join" and args:
        items = list(_bounded(iter(args[0]), what))    # a generator is sized by consuming it
        _limit(_size(items) + len(s) * len(items), what)
        args = (items, *args[1:])
    return args


def _bounded(it: Iterator, what: str) -> Iterator:
    """A lazily built sequence (map, select, unique...) may not grow past MAX_SIZE either."""
    total = 0
    for x in it:
        total += 1 + _size(x)
        _limit(total, what)
        yield x


def _filter_size(name: str, a: dict) -> int:
    """The size of what a growing filter would return (0: the arguments bound it)."""
    if name == "center":
        return a["width"]
    if name == "indent" and isinstance(a["s"], str):
        w = a["width"] if isinstance(a["width"], int) else len(str(a["width"]))
        return len(a["s"]) + (a["s"].count("\n") + 1) * w
    if name == "replace" and isinstance(a["s"], str):
        return _replaced(a["s"], str(a["old"]), str(a["new"]), a["count"])
    if name == "wordwrap" and isinstance(a["s"], str):
        return len(a["s"]) * (1 + len(a["wrapstring"] or "\n"))    # at worst a wrap after every character
    if name == "join":
        a["value"] = list(_bounded(iter(a["value"]), "filter 'join'"))
        return _size(a["value"]) + len(str(a["d"])) * len(a["value"])
    if name == "format" and isinstance(a["value"], str):
        _printf_widths(a["value"], "filter 'format'")
    return 0


def _guarded_filter(name: str, f):
    sig = inspect.signature(f)

    @wraps(f)   # keeps jinja's pass_context/pass_environment marks
    def run(*args, **kwargs):
        _limit(sum(_size(v) for v in (*args, *kwargs.values())), f"the arguments of filter {name!r}")
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError:   # jinja's async variants take an eval context their signature hides
            bound = None
        if bound is not None:
            bound.apply_defaults()
            _limit(_filter_size(name, bound.arguments), f"filter {name!r}")
            args, kwargs = bound.args, bound.kwargs
        out = f(*args, **kwargs)
        return _bounded(out, f"filter {name!r}") if isinstance(out, Iterator) else out
    return run


class _Namespace(Namespace):
    """``namespace()``: its attributes carry values across loop iterations, so they stay bounded."""

    def __setitem__(self, name: str, value) -> None:
        _limit(_size(value), f"namespace attribute {name!r}")
        if isinstance(value, int):
            _bits(value.bit_length(), f"namespace attribute {name!r}")
        super().__setitem__(name, value)


#: pydantic's own API on the plan's models: parse_file reads any file, model_rebuild changes classes
_PYDANTIC_API = frozenset(vars(BaseModel))


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def is_safe_attribute(self, obj, attr: str, value) -> bool:
        if isinstance(obj, BaseModel) and attr in _PYDANTIC_API:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context, operator: str, left, right):
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value):
        fmt = super().wrap_str_format(value)
        if fmt is not None:
            _format_widths(value.__self__, f"str.{value.__name__}")
        return fmt

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (jinja's names: a template may pass self=)
        # macro arguments too: a macro calling itself with a doubled string would double forever
        _limit(sum(_size(v) for v in (*args, *kwargs.values())), "the arguments of a call")
        if isinstance(__obj, types.BuiltinMethodType) and isinstance(__obj.__self__, str):
            args = _str_method(__obj.__self__, __obj.__name__, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)


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
    env = _Sandbox(loader=_Fragments(root, texts), trim_blocks=True, lstrip_blocks=True,
                   undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    del env.globals["lipsum"]       # paragraphs of filler text of any size: nothing an FRR config needs
    env.globals["namespace"] = _Namespace
    env.filters = {name: _guarded_filter(name, f) for name, f in env.filters.items()}
    return env


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
