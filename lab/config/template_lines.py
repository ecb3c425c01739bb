"""From a line of a rendered FRR config back to the line of the Jinja2 fragment that wrote it.

FRR reports a rendered line; the user edits a template.  Rendering keeps only a block map (which
rendered lines came from which fragment file), so the template line is recovered by matching text:
a template line whose literal parts equal the rendered line once every ``{{ ... }}`` may stand for
anything.  It is a heuristic (two template lines can render alike; a line built by a loop of
inline tags matches nothing): the first match wins, and no match says so instead of guessing.
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol, Sequence

_EXPR = re.compile(r"\{\{.*?\}\}")
_TAG = re.compile(r"\{%.*?%\}|\{#.*?#\}")


class BlockLike(Protocol):
    """What ``lab.config.policy.Block`` provides: rendered lines first..last (1-based, inclusive)
    came from fragment ``path`` (None: baglab generated them itself)."""
    first: int
    last: int
    path: Path | None


class RenderedLike(Protocol):
    """What ``lab.config.policy.Rendered`` provides: a node's config text and its block map."""
    text: str
    blocks: Sequence[BlockLike]


@dataclass(frozen=True)
class Origin:
    """Where a rendered line came from: a fragment (and its template line when one matches),
    or baglab's own generated lines (path None)."""
    rendered_line: int
    path: Path | None = None
    template_line: int | None = None

    def __str__(self) -> str:
        if self.path is None:
            return f"baglab's generated config line {self.rendered_line}"
        if self.template_line is None:
            return f"{self.path} (no template line matches; rendered line {self.rendered_line})"
        return f"{self.path}:{self.template_line}"


def _line_pattern(template_line: str) -> re.Pattern | None:
    """None for lines that render nothing of their own (only ``{% %}``/``{# #}`` tags, or blank)."""
    literal = _TAG.sub("", template_line)
    if not literal.strip():
        return None
    parts = _EXPR.split(literal.strip())
    return re.compile(r"\s*" + ".*?".join(re.escape(p) for p in parts) + r"\s*")


def _read_plain(path: Path) -> str:
    """A fragment comes from an untrusted policy directory: never read through a symlink, nor
    wait on a FIFO planted in its place."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path}: not a regular file")
        return f.read().decode(errors="replace")


@lru_cache(maxsize=256)
def _patterns(path: Path, mtime_ns: int) -> tuple[tuple[int, re.Pattern], ...]:
    lines = _read_plain(path).splitlines()
    return tuple((i, pat) for i, l in enumerate(lines, 1) if (pat := _line_pattern(l)) is not None)


def template_line(path: Path, rendered: str) -> int | None:
    """The first line of the template at ``path`` that could have rendered ``rendered``."""
    try:
        pats = _patterns(path, os.lstat(path).st_mtime_ns)
    except OSError:
        return None
    target = rendered.strip()
    return next((i for i, pat in pats if pat.fullmatch(target)), None)


def origin(rendered: RenderedLike, line: int) -> Origin:
    """Which fragment (and template line) rendered line ``line`` (1-based) of a node's config."""
    block = next((b for b in rendered.blocks if b.first <= line <= b.last), None)
    if block is None or block.path is None:
        return Origin(line)
    lines = rendered.text.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return Origin(line, Path(block.path), template_line(Path(block.path), text))
