"""The sandbox policy fragments render in: Jinja2's immutable sandbox, plus limits on what a
fragment may build, checked before it is built.

A policy directory may come from an untrusted merge request and is rendered as root: no
``_``-prefixed attribute (``__globals__``, ``__class__``, ...), no ``mro``, no mutation of the
context's lists and dicts, no pydantic API on the plan's models (``parse_file`` reads files), no
``lipsum``; no value over ``MAX_SIZE`` characters or items nor integer over ``MAX_INT_BITS`` bits
(``*``, ``**``, ``+``, ``%``, ``~``, the growing str methods and filters, printf and
``str.format`` widths, namespace attributes, call arguments and lazily built sequences).
Not bounded: CPU time (nested ``range`` loops); render untrusted policies under a job timeout.
"""
from __future__ import annotations

import inspect
import re
import string
import types
from collections.abc import Iterator
from functools import wraps

import jinja2
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import Namespace
from pydantic import BaseModel

#: the most characters (or items) of one value a fragment builds, or of a fragment's output or
#: file: FRR configs are kilobytes, this only keeps a template from exhausting root's memory
MAX_SIZE = 1 << 24
#: the most bits of an integer a fragment computes (``2 ** 10 ** 10`` would take minutes)
MAX_INT_BITS = 1 << 16


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
    if name == "batch" and a["fill_with"] is not None:
        return a["linecount"] if isinstance(a["linecount"], int) else 0    # the last batch is padded to it
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


class _Codegen(CodeGenerator):
    """``a ~ b ~ ...`` is no binary operator to the sandbox: it compiles to a join, checked here."""

    def visit_Concat(self, node, frame) -> None:
        self.write("environment.checked_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _Codegen

    @staticmethod
    def checked_concat(parts: tuple) -> str:
        _limit(sum(_size(p) for p in parts), "operator '~'")
        texts = [str(p) for p in parts]
        _limit(sum(len(t) for t in texts), "operator '~'")
        return "".join(texts)

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


def environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """A sandboxed environment over ``loader`` with baglab's template settings."""
    env = _Sandbox(loader=loader, trim_blocks=True, lstrip_blocks=True,
                   undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    del env.globals["lipsum"]       # paragraphs of filler text of any size: nothing an FRR config needs
    env.globals["namespace"] = _Namespace
    env.filters = {name: _guarded_filter(name, f) for name, f in env.filters.items()}
    return env
