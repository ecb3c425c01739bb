"""Reading a topology file: YAML -> validated :class:`lab.model.Topology`.

Errors carry the YAML path and the line of the offending node, found by walking
PyYAML's node tree, because pydantic only knows the path.
"""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from .errors import TopologyError, format_path
from .model import Topology


def _line_of(root: yaml.Node | None, parts) -> int | None:
    node, line = root, None
    for part in parts:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            node = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


class LoadedTopology:
    """A validated topology plus what is needed to point back into its file."""

    def __init__(self, model: Topology, source: str, yaml_root: yaml.Node | None):
        self.model, self.source, self._root = model, source, yaml_root

    def error(self, parts, reason: str) -> TopologyError:
        return TopologyError(format_path(parts), reason, source=self.source, line=_line_of(self._root, parts))


def _clean_parts(loc) -> list:
    # pydantic inserts union-branch names ('list[str]', 'int') and validator tags into locations
    return [p for p in loc if isinstance(p, int) or ("[" not in p and p not in {"int", "str", "function-after"})]


def load_text(text: str, source: str = "<string>") -> LoadedTopology:
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise TopologyError("", f"not valid YAML: {getattr(exc, 'problem', exc)}", source=source,
                            line=mark.line + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise TopologyError("", "a topology is a mapping with at least 'name' and 'regions'", source=source)
    try:
        model = Topology.model_validate(data)
    except ValidationError as exc:
        errs = [(e, _clean_parts(e["loc"])) for e in exc.errors()]
        # a union ('3' or a list) fails in every branch; the deepest location is the one that explains it
        first, parts = max(errs, key=lambda ep: len(ep[1]))
        others = {tuple(p) for _, p in errs if p != parts[: len(p)]}
        msg = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling)"
        if others:
            msg += f" (and {len(others)} more problem{'s' if len(others) > 1 else ''})"
        raise TopologyError(format_path(parts), msg, source=source, line=_line_of(root, parts)) from None
    return LoadedTopology(model, source, root)


def load(path: str | Path) -> LoadedTopology:
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise TopologyError("", f"cannot read topology: {exc.strerror}", source=str(p)) from None
    return load_text(text, str(p))
