"""Small YAML files a user writes beside a topology (intent files, rollout phases): read with the
topology reader's limits and composer, validated by a pydantic model, every error located
(file:line: YAML path), and the node tree kept so later name checks can point at a line too."""
from __future__ import annotations

import difflib
import re
import typing
from pathlib import Path
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, ValidationError

from lab.design import topology as _yaml
from lab.errors import TopologyError, format_path
from lab.design.model import matching

M = TypeVar("M", bound=BaseModel)

def _one_line(v):
    """A YAML block scalar (``description: >`` or ``|``) ends in a newline and may span lines: folded
    into one line as YAML's '>' would, so a reviewer's wording is not refused for its layout."""
    return " ".join(v.split()) if isinstance(v, str) and "\n" in v else v


#: free text of these files (a description, why a change is intended): shown in tables and
#: reports, so one line, as long as a topology's description at most, no control characters
Text = Annotated[str, Field(max_length=400), BeforeValidator(_one_line),
                 matching(re.compile(r"[^\x00-\x1f\x7f-\x9f\ud800-\udfff]*"), "free text is one line without control characters")]


class Located(Generic[M]):
    """A validated model plus what is needed to point back into its file."""

    def __init__(self, model: M, source: str, root):
        self.model, self.source, self._root = model, source, root

    def error(self, parts, reason: str) -> TopologyError:
        return TopologyError(format_path(parts), reason, source=self.source, line=_yaml._line_of(self._root, parts))


def _models_in(tp) -> list[type[BaseModel]]:
    """The models an annotation can hold (through Optional, unions, Annotated, lists and dicts)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return [m for a in typing.get_args(tp) for m in _models_in(a)]


def keys_at(model: type[BaseModel], parts) -> list[str]:
    """The keys a mapping at YAML path ``parts`` may have, as the user writes them (aliases)."""
    here = [model]
    for p in parts:
        fields = [f for m in here for name, f in m.model_fields.items() if p in (name, f.alias)]
        if fields:          # an index or a mapping's own key (a plane, a router) keeps the models
            here = [m for f in fields for m in _models_in(f.annotation)]
    return sorted({f.alias or name for m in here for name, f in m.model_fields.items()})


def _first_unknown_key(exc: ValidationError, root, source: str, model: type[BaseModel]) -> TopologyError | None:
    """A misspelt key also leaves the real one "missing"; the typo is what the user must see, with
    the keys that exist there (the nearest first), so the fix needs no documentation."""
    for e in exc.errors():
        if e["type"] == "extra_forbidden":
            parts = _yaml._clean_parts(e["loc"], model)
            known = keys_at(model, parts[:-1])
            near = difflib.get_close_matches(str(parts[-1]), known, n=2)
            reason = f"unknown key {str(parts[-1])!r}" + (f" (did you mean {' or '.join(near)}?)" if near else "") \
                + (f"; keys here: {', '.join(known)}" if known else " (check the spelling)")
            return TopologyError(format_path(parts), reason, source=source, line=_yaml._line_of(root, parts))
    return None


def load_model(path: str | Path, model: type[M], what: str, shape: str) -> Located[M]:
    """``what``: the kind of file, for "no such ..."; ``shape``: what its top level must be."""
    p = Path(path)
    if not p.exists():
        raise TopologyError("", f"no such {what}", source=str(p))
    data, root = _yaml._parse(_yaml.load_text_of(p), str(p))
    if not isinstance(data, dict):
        raise TopologyError("", f"{'an' if what[0] in 'aeiou' else 'a'} {what} is {shape}", source=str(p),
                            line=root.start_mark.line + 1 if root is not None else None)
    try:
        return Located(model.model_validate(data), str(p), root)
    except ValidationError as exc:
        raise _first_unknown_key(exc, root, str(p), model) or _yaml._validation_error(exc, root, str(p), model) from None
