"""Reading a topology file: YAML -> validated :class:`lab.design.model.Topology`.

Errors carry the YAML path and the line of the offending node, found by walking
PyYAML's node tree, because pydantic only knows the path.

The file is untrusted input in the sense that a typo, a wrong path or a pasted
YAML trick must end in one located error, quickly, and never in a traceback, a
hang or a machine out of memory.  So the reader refuses what is not a small
regular text file, composes the YAML once (libyaml's event parser when present,
and our own composer, which bounds nesting and alias expansion and rejects
duplicate keys as it goes) and constructs the data from that one node tree.
"""
from __future__ import annotations

import os
import re
import stat
import typing
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, MappingEndEvent, ScalarEvent, SequenceEndEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from lab.errors import TopologyError, format_path
from lab.design.intent import IntentError, check_intent
from lab.design.model import Topology

#: 256 KiB: the largest shipped topology is 6 KB and an 8,000-prefix explicit list about 200 KB;
#: libyaml reads this much in well under a second, so every refusal stays under two
MAX_BYTES = 256 * 1024
#: the shipped topologies nest six levels deep; Python's own stack ends near a thousand
MAX_DEPTH = 32
#: values after expanding aliases and merge keys: an 8,000-prefix list is 8,000; a few lines of
#: nested aliases (a "billion laughs") would otherwise expand to millions before any other check
MAX_VALUES = 50_000
_EVENTS = yaml.CBaseLoader if getattr(yaml, "__with_libyaml__", False) else yaml.BaseLoader
_MERGE = "tag:yaml.org,2002:merge"
#: what YAML 1.1 refuses in a stream (PyYAML's reader says so without a line)
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _shown(key: str) -> str:
    """A mapping key as error messages show it: the YAML's keys are ordinary words, and anything
    else (terminal markup like '[red]', control characters) is shown with '?' in its place."""
    return re.sub(r"[^A-Za-z0-9_<>.-]", "?", key[:40])


class _Refused(Exception):
    """Raised while composing: a located reason the file is not read any further."""

    def __init__(self, parts: list, line: int | None, reason: str):
        super().__init__(reason)
        self.parts, self.line, self.reason = parts, line, reason


class _Loader(Composer, SafeConstructor, Resolver):
    """PyYAML's composer and safe constructor over libyaml's (or PyYAML's) event stream, with
    limits: it tracks the YAML path so that a refusal can name it."""

    def __init__(self, text: str):
        self._events = _EVENTS(text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._path: list = []
        self._values = 0
        self._sizes: dict[int, int] = {}

    def check_event(self, *choices):
        return self._events.check_event(*choices)

    def peek_event(self):
        return self._events.peek_event()

    def get_event(self):
        return self._events.get_event()

    def dispose(self):
        self._events.dispose()

    def _count(self, n: int, mark) -> None:
        self._values += n
        if self._values > MAX_VALUES:
            raise _Refused(list(self._path), mark.line + 1, f"the YAML expands to more than {MAX_VALUES:,} values "
                           "(anchors, aliases or merge keys repeated): far more than any topology needs")

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            event = self.peek_event()
            node = self.anchors.get(event.anchor)
            if node is not None and id(node) not in self._sizes:
                raise _Refused(list(self._path), event.start_mark.line + 1,
                               f"alias *{event.anchor} refers to a value that contains it")
            if node is not None:
                self._count(self._sizes[id(node)], event.start_mark)
            return super().compose_node(parent, index)
        event = self.peek_event()
        if not self.check_event(ScalarEvent) and len(self._path) >= MAX_DEPTH:
            raise _Refused(list(self._path), event.start_mark.line + 1,
                           f"nested more than {MAX_DEPTH} levels deep; a topology needs about six")
        before = self._values
        self._count(1, event.start_mark)
        node = super().compose_node(parent, index)
        self._sizes[id(node)] = self._values - before
        return node

    def compose_sequence_node(self, anchor):
        start = self.get_event()
        tag = start.tag if start.tag not in (None, "!") else self.resolve(SequenceNode, None, start.implicit)
        node = SequenceNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
        while not self.check_event(SequenceEndEvent):
            self._path.append(len(node.value))
            node.value.append(self.compose_node(node, len(node.value)))
            self._path.pop()
        node.end_mark = self.get_event().end_mark
        return node

    def compose_mapping_node(self, anchor):
        start = self.get_event()
        tag = start.tag if start.tag not in (None, "!") else self.resolve(MappingNode, None, start.implicit)
        node = MappingNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
        seen: dict[str, int] = {}
        while not self.check_event(MappingEndEvent):
            self._path.append("?")
            key = self.compose_node(node, None)
            self._path[-1] = _shown(key.value) if isinstance(key, ScalarNode) else "?"
            self._check_duplicate(key, seen)
            value = self.compose_node(node, key)
            self._path.pop()
            node.value.append((key, value))
        node.end_mark = self.get_event().end_mark
        return node

    def _check_duplicate(self, key, seen: dict[str, int]) -> None:
        """YAML says keys are unique; PyYAML keeps the last silently, which hides a pasted block
        overriding an earlier one.  A merge key (``<<``) may be overridden: that is its purpose."""
        if not isinstance(key, ScalarNode) or key.tag == _MERGE:
            return
        line = key.start_mark.line + 1
        if key.value in seen:
            raise _Refused(list(self._path), line, f"duplicate key '{_shown(key.value)}' (first at line {seen[key.value]})")
        seen[key.value] = line

    def construct_object(self, node, deep=False):
        """Values the YAML accepts but Python cannot hold (a timestamp of month 13) become YAML
        errors at that node instead of escaping as ValueError."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            if isinstance(exc, yaml.YAMLError):
                raise
            raise yaml.constructor.ConstructorError(None, None, f"cannot read this value: {exc}", node.start_mark) from None


def _parse(text: str, source: str) -> tuple[object, yaml.Node | None]:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), root
    except _Refused as exc:
        raise TopologyError(format_path(exc.parts), exc.reason, source=source, line=exc.line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise TopologyError("", f"not valid YAML: {reason}", source=source,
                            line=mark.line + 1 if mark else None) from None
    finally:
        loader.dispose()


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


#: pydantic's names of union branches, which it puts in error locations
_BRANCHES = {"int", "str", "float", "bool", "constrained-str", "constrained-int", "constrained-float",
             "function-after", "function-before", "function-wrap", "function-plain"}


def _models_of(tp) -> list[type[BaseModel]]:
    """The models an annotation can hold (through Optional, unions, Annotated, lists and dicts)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return [m for a in typing.get_args(tp) for m in _models_of(a)]


def _clean_parts(loc, model: type[BaseModel] | None = None) -> list:
    # pydantic inserts union-branch names ('list[str]', 'int') and validator tags into locations;
    # a mapping key that is not a string (null, 1.5) is shown as YAML would print it.  With the
    # file's ``model`` the location is followed through its fields, so a branch named after its
    # model ('Where' of a router choice that is a name, a list or a mapping) is dropped too
    out = []
    here = [model] if model is not None else []
    for i, p in enumerate(loc):
        if isinstance(p, str) and here:
            fields = [f for m in here for n, f in m.model_fields.items() if p in (n, f.alias)]
            if fields:
                here = [m for f in fields for m in _models_of(f.annotation)]
            elif p in {m.__name__ for m in here}:
                continue
        if isinstance(p, int) and not isinstance(p, bool):
            out.append(p)
        elif not isinstance(p, str):
            out.append(_shown(str(p)))
        elif p == "[key]" and i == len(loc) - 1:
            continue     # pydantic's mark for "the key itself", which is the part before it
        elif "[" not in p and p not in _BRANCHES:
            out.append(p)
        elif p.startswith("[") or "]" in p and not p.endswith("]"):
            out.append(_shown(p))    # a user's key that looks like markup, not a union branch name
    return out


def _validation_error(exc: ValidationError, root, source: str, model: type[BaseModel] | None = None) -> TopologyError:
    errs = [(e, _clean_parts(e["loc"], model)) for e in exc.errors()]
    # a union ('3' or a list) fails in every branch; the deepest location is the one that explains it,
    # and of equally deep ones the branch whose type matched (a list too long, not "not an integer")
    first, parts = max(errs, key=lambda ep: (len(ep[1]), not ep[0]["type"].endswith("_type")))
    others = {tuple(p) for _, p in errs if p != parts[: len(p)]}
    msg = first["msg"].removeprefix("Value error, ")
    if first["loc"] and first["loc"][-1] == "[key]":
        msg = f"as a key: {msg}"
    if first["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling)"
    if others:
        msg += f" (and {len(others)} more problem{'s' if len(others) > 1 else ''})"
    return TopologyError(format_path(parts), msg, source=source, line=_line_of(root, parts))


def _check_printable(text: str, source: str) -> None:
    """PyYAML's reader refuses these too, but without a line to point at."""
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        raise TopologyError("", f"character U+{ord(bad.group()):04X} is not allowed in YAML (a control character?)",
                            source=source, line=text.count("\n", 0, bad.start()) + 1)


def load_text(text: str, source: str = "<string>") -> LoadedTopology:
    if len(text) > MAX_BYTES:
        raise TopologyError("", f"{len(text):,} characters; a topology is at most {MAX_BYTES // 1024} KiB", source=source)
    _check_printable(text, source)
    data, root = _parse(text, source)
    if not isinstance(data, dict):
        raise TopologyError("", "a topology is a mapping with at least 'name' and 'regions'", source=source,
                            line=root.start_mark.line + 1 if root is not None else None)
    try:
        model = Topology.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, root, source) from None
    try:
        check_intent(model)
    except IntentError as exc:
        raise TopologyError(format_path(exc.parts), str(exc), source=source, line=_line_of(root, exc.parts)) from None
    return LoadedTopology(model, source, root)


def decode(data: bytes, source: str) -> str:
    """UTF-8 (a byte-order mark is allowed), else an error at the line of the first byte that is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TopologyError("", f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
                            source=source, line=line) from None


def load_bytes(data: bytes, source: str = "<bytes>") -> LoadedTopology:
    return load_text(decode(data, source), source)


def load_text_of(p: Path) -> str:
    """A small user file's text (an intent or phases file), with the topology reader's limits."""
    text = decode(read_limited(p), str(p))
    _check_printable(text, str(p))
    return text


def read_limited(p: Path) -> bytes:
    """The bytes of a regular file no larger than MAX_BYTES.  A FIFO would block the reader and
    /dev/zero never ends, so anything but a regular file is refused before it is opened."""
    try:
        st = os.stat(p)
        if not stat.S_ISREG(st.st_mode):
            raise TopologyError("", "not a regular file (a directory, FIFO or device); give a topology "
                                "YAML file", source=str(p))
        if st.st_size > MAX_BYTES:
            raise TopologyError("", f"{st.st_size:,} bytes; a topology is at most {MAX_BYTES // 1024} KiB",
                                source=str(p))
        with open(p, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise TopologyError("", f"cannot read topology: {exc.strerror}", source=str(p)) from None
    if len(data) > MAX_BYTES:
        raise TopologyError("", f"more than {MAX_BYTES // 1024} KiB; a topology is at most that", source=str(p))
    return data


def load(path: str | Path) -> LoadedTopology:
    p = Path(path)
    return load_bytes(read_limited(p), str(p))
