"""The intent file's keys as Markdown, generated from the schema's models, so docs/intents.md
cannot drift from what is accepted: ``python -m lab.verdict.checks.schema_doc`` prints the block
the document carries between its ``schema:begin`` and ``schema:end`` markers (a unit test compares)."""
from __future__ import annotations

import inspect
import types
import typing

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from lab.verdict.checks import schema

#: every model of the file, top first, each with the YAML path it appears at
MODELS: tuple[tuple[str, type[BaseModel]], ...] = (
    ("(top level)", schema.Intents),
    ("reachability", schema.Reachability),
    ("reachability.except[]", schema.Pair),
    ("shares[]", schema.Share),
    ("sweep", schema.Sweep),
    ("drains[]", schema.Drain),
    ("attributes[]", schema.Attribute),
    ("routes[]", schema.Routes),
    ("routes[].at", schema.Where),
    ("routes[].count", schema.Count),
    ("advertised[]", schema.Advertised),
    ("paths[]", schema.Paths),
    ("paths[].communities", schema.CommunityRule),
    ("paths[].as_path", schema.AsPathRule),
    ("paths[].local_pref", schema.Range),
    ("paths[].link_bandwidth", schema.LinkBandwidthRule),
    ("intended_changes[]", schema.IntendedChange),
    ("intended_changes[].communities, .large_communities", schema.CommunityChange),
    ("intended_changes[].link_bandwidth", schema.LinkBandwidthChange),
    ("intended_changes[].as_path", schema.AsPathChange),
    ("intended_changes[].prefixes", schema.PrefixChange),
)

#: the pattern of a ``name`` (a router, fabric, region...): other patterns are plain text to a reader
NAME_PATTERN = next(m.pattern for a in typing.get_args(schema.Name)[1:] for m in getattr(a, "metadata", [a])
                    if getattr(m, "pattern", None))

BEGIN, END = "<!-- schema:begin (generated: python -m lab.verdict.checks.schema_doc) -->", "<!-- schema:end -->"


def _bounds(meta) -> str:
    """``ge``/``le`` of a field or an Annotated type, as ``1..16``."""
    lo = next((m.ge for m in meta if getattr(m, "ge", None) is not None), None)
    hi = next((m.le for m in meta if getattr(m, "le", None) is not None), None)
    return "" if lo is None and hi is None else f" {'' if lo is None else lo}..{'' if hi is None else hi}"


def _type(tp) -> str:
    """An annotation in the words of YAML: ``list of name``, ``ipv4 | ipv6``, ``integer 1..16``."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        meta = [m for a in args[1:] for m in (getattr(a, "metadata", None) or [a])]
        if args[0] is str and any(getattr(m, "pattern", None) == NAME_PATTERN for m in meta):
            return "name"
        return _type(args[0]) + _bounds(meta)
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type(a) for a in args if a is not type(None))
    if origin is list:
        return f"list of {_type(args[0])}"
    if origin is dict:
        return f"mapping {_type(args[0])} -> {_type(args[1])}"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"`{tp.__name__}` (below)"
    name = getattr(tp, "__name__", str(tp))
    return {"str": "text", "int": "integer", "float": "number", "bool": "true/false"}.get(name, name)


def _default(f) -> str:
    if f.is_required():
        return "required"
    d = f.default if f.default is not PydanticUndefined else None
    return "-" if d is None else f"`{d!r}`" if isinstance(d, str) else f"`{d}`"


def table(path: str, model: type[BaseModel]) -> str:
    lines = [f"### `{path}` ({model.__name__})", "", " ".join(inspect.cleandoc(model.__doc__ or "").split()), "",
             "| key | type | default | |", "|---|---|---|---|"]
    for name, f in model.model_fields.items():
        # a field typed Name directly has its pattern moved onto the field
        named = f.annotation is str and any(getattr(m, "pattern", None) == NAME_PATTERN for m in f.metadata)
        shown = "name" if named else _type(f.annotation) + _bounds(f.metadata)
        lines.append(f"| `{f.alias or name}` | {shown} | {_default(f)} | {f.description or ''} |")
    return "\n".join(lines)


def markdown() -> str:
    return "\n\n".join([BEGIN] + [table(p, m) for p, m in MODELS] + [END])


def keys() -> dict[str, list[str]]:
    """YAML path -> the keys accepted there (aliases as written)."""
    return {p: [f.alias or n for n, f in m.model_fields.items()] for p, m in MODELS}


if __name__ == "__main__":
    print(markdown())
