"""docs/reference/commands/ against the CLI: the committed pages are what lab.cli.docgen writes from
the click tree now, and every verb, sub-verb, argument and option of ``baglab`` is on its page, so
the command reference cannot drift from ``--help``."""
from __future__ import annotations

from pathlib import Path

import pytest

from lab.cli import docgen

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _commands():
    """(path, command) for every command and sub-command, walked from the root independently of docgen."""
    out, todo = [], [(["baglab", n], c) for n, c in docgen.root().commands.items()]
    while todo:
        path, cmd = todo.pop(0)
        out.append((path, cmd))
        todo += [(path + [n], c) for n, c in getattr(cmd, "commands", {}).items()]
    return out


def test_pages_are_what_the_generator_writes(tmp_path):
    docgen.write(tmp_path)
    fresh = {p.name: p.read_text() for p in tmp_path.glob("*.md")}
    committed = {p.name: p.read_text() for p in docgen.DOCS.glob("*.md")}
    assert committed.keys() == fresh.keys(), "docs/reference/commands/ is stale: run `python -m lab.cli.docgen`"
    stale = [n for n in fresh if fresh[n] != committed[n]]
    assert not stale, f"stale command pages {stale}: run `python -m lab.cli.docgen`"


@pytest.mark.parametrize("path,cmd", _commands(), ids=lambda x: " ".join(x) if isinstance(x, list) else "")
def test_every_verb_and_option_is_documented(path, cmd):
    page = (docgen.DOCS / f"{path[1]}.md").read_text()
    heading = f"# `{' '.join(path)}`"
    assert heading in page, f"{' '.join(path)} has no section in docs/reference/commands/{path[1]}.md"
    section = page[page.index(heading):]
    nxt = section.find("\n#", len(heading))
    section = section if nxt < 0 else section[:nxt]
    for p in cmd.params:
        if p.hidden if hasattr(p, "hidden") else False:
            continue
        names = [p.name.upper()] if p.param_type_name == "argument" else [*p.opts, *p.secondary_opts]
        for name in names:
            assert f"`{name}`" in section, f"{' '.join(path)}: {name} missing from its reference page"


def test_every_verb_is_in_the_index_and_the_navigation():
    index = (docgen.DOCS / "index.md").read_text()
    nav = (DOCS.parent / "mkdocs.yml").read_text()
    for name in docgen.root().commands:
        assert f"]({name}.md)" in index
        assert f"reference/commands/{name}.md" in nav, f"mkdocs.yml: baglab {name} missing from the navigation"
