"""docs/reference/policy-directory.md against what a fragment really sees: every name of the render
context (top-level, node, session and policy keys) is in the page's table, so a key added to
lab.config.policy.context cannot go undocumented."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from lab.config.policy.context import context
from lab.config.render import sessions

DOC = Path(__file__).resolve().parents[2] / "docs" / "reference" / "policy-directory.md"


def _row(name: str) -> str:
    text = DOC.read_text()
    start = text.index(f"| `{name}` |")
    return text[start:text.index("\n", start)]


def test_every_context_name_is_documented(mini):
    n = mini.node("r1-bag1")
    ctx = context(mini, n, sessions(mini, n))
    for name in ctx:
        assert f"| `{name}` |" in DOC.read_text(), f"context name {name} missing from {DOC.name}"
    for key in ctx["node"]:
        assert key in _row("node"), f"node.{key} missing"
    for f in dataclasses.fields(ctx["sessions"][0]):
        assert f.name in _row("sessions"), f"sessions[].{f.name} missing"
    for key in ctx["policy"]:
        assert key in _row("policy"), f"policy.{key} missing"
