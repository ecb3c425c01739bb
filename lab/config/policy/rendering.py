"""One router's frr.conf: baglab's skeleton, the policy's fragments, then baglab's mechanisms.

The result keeps a source map (``Rendered.blocks``) so that whatever later reads the text (FRR's
own parser in lab.config.frrcheck) can name the fragment a bad line came from."""
from __future__ import annotations

import re
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from lab.config.skeleton import Session, render_skeleton, sessions
from lab.config.template_lines import template_line
from lab.errors import LabError
from lab.design.plan import Node, Plan

from lab.config.policy import mechanisms as mech
from lab.config.policy.context import context
from lab.config.policy.directory import Policy, load_policy
from lab.config.policy.sandbox import MAX_SIZE


@dataclass(frozen=True)
class Block:
    first: int              # 1-based, inclusive, in the rendered text
    last: int
    path: Path | None       # the fragment file; None for what baglab generated


@dataclass(frozen=True)
class Rendered:
    text: str
    blocks: list[Block]

    def source_of(self, line: int) -> Block | None:
        return next((b for b in self.blocks if b.first <= line <= b.last), None)

    def locate(self, line: int) -> tuple[Path | None, int | None]:
        """The fragment a rendered line came from and, when it can be told, the template's line:
        Jinja2 keeps no output-to-source map, so the line is found by its text (a literal line, or
        a line whose ``{{ ... }}`` parts match anything); (None, None) for baglab's own lines."""
        block = self.source_of(line)
        if block is None or block.path is None:
            return None, None
        return block.path, template_line(block.path, self.text.splitlines()[line - 1])


def _template_line(err: BaseException, path: Path) -> int | None:
    """Jinja2 rewrites tracebacks so template frames carry the template's file and line."""
    lines = [f.lineno for f in traceback.extract_tb(err.__traceback__) if f.filename == str(path)]
    return lines[-1] if lines else None


def _render_capped(template: jinja2.Template, ctx: dict, path: Path, node: Node) -> str:
    """Template.render, but stopped once the output passes MAX_SIZE (a loop printing forever)."""
    gen, parts, size = template.generate(ctx), [], 0
    for chunk in gen:
        parts.append(chunk)
        size += len(chunk)
        if size > MAX_SIZE:
            # generate() delegates to the compiled template, suspended at the line that printed
            inner = gen.gi_yieldfrom
            line = template.get_corresponding_lineno(inner.gi_frame.f_lineno) if inner and inner.gi_frame else "?"
            gen.close()
            raise LabError(f"{path}:{line}: renders more than {MAX_SIZE:,} characters (rendering {node.name})")
    return "".join(parts)


def _render_fragment(pol: Policy, rel: str, ctx: dict, node: Node) -> str:
    path = pol.fragments[rel]
    try:
        text = _render_capped(pol.env.get_template(rel), ctx, path, node)
    except jinja2.TemplateSyntaxError as e:
        raise LabError(f"{path}:{e.lineno}: template error: {e.message} (rendering {node.name})") from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError, IndexError, ArithmeticError,
            RecursionError) as e:   # what a template can do wrong: undefined names, bad filters, the
        line = _template_line(e, path)  # sandbox's refusals (SecurityError, a TemplateError), overflow
        raise LabError(f"{path}:{line if line is not None else '?'}: {type(e).__name__}: {e} "
                       f"(rendering {node.name})") from None
    return text if not text or text.endswith("\n") else text + "\n"


class _Builder:
    def __init__(self):
        self.parts: list[str] = []
        self.blocks: list[Block] = []
        self.lines = 0

    def add(self, text: str, path: Path | None) -> None:
        n = text.count("\n")
        if n:
            self.parts.append(text)
            self.blocks.append(Block(self.lines + 1, self.lines + n, path))
            self.lines += n

    def text(self) -> str:
        return "".join(self.parts)


_PASSWORD = re.compile(r"^\s*neighbor\s+(\S+)\s+password\s", re.MULTILINE)


def without_overridden_passwords(sess: list[Session], frags: list[tuple[str, Path]]) -> list[Session]:
    """A fragment's ``neighbor X password`` replaces the topology's: FRR keeps only the last one,
    and a file with both is not what 'show running' prints (frr-reload.py would re-add the
    topology's on every reload, resetting the session)."""
    mine = {m.group(1) for text, _ in frags for m in _PASSWORD.finditer(text)}
    return [replace(s, password=None) if s.addr in mine else s for s in sess]


def render_node(plan: Plan, node: Node, log_file: str, drained: frozenset[int] | set[int] = frozenset(),
                policy: Policy | None = None) -> Rendered:
    """Skeleton, fragments (common, role, region, plane, node), then aggregation guards, drain twins
    and the drained sessions' bindings, derived from the config as rendered so far."""
    pol = policy or load_policy()
    sess = sessions(plan, node)
    ctx = context(plan, node, sess)
    frags = [(_render_fragment(pol, rel, ctx, node), pol.fragments[rel]) for rel in pol.for_node(node)]
    out = _Builder()
    out.add(render_skeleton(plan, node, log_file, without_overridden_passwords(sess, frags), drained), None)
    for text, path in frags:
        out.add(text, path)
    facts = mech.read_config(out.text())
    mech.check_bindings(node, plan, sess, facts)
    tail = (mech.guard_lines(plan, node, sess, facts) + mech.twin_lines(plan, node, sess, facts)
            + mech.drained_bindings(node, sess, facts, set(drained)))
    out.add("\n".join(["! baglab: aggregation guards, drain twins and drained sessions, after the policy", *tail,
                       "!"]) + "\n", None)
    return Rendered(out.text(), out.blocks)
