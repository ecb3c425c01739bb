"""docs/reference/topology.md and phases.md against their models: the generated key tables are what
lab.cli.docgen writes now, and every key of every model a file can hold is in them, so the reference
cannot drift from what the readers accept."""
from __future__ import annotations

import pytest

from lab.cli import docgen
from lab.design.yaml_files import _models_in


@pytest.mark.parametrize("page", sorted(docgen.schemas(), key=str), ids=lambda p: p.name)
def test_generated_block_is_the_model(page):
    text = page.read_text()
    block = text[text.index(docgen.BEGIN):text.index(docgen.END) + len(docgen.END)]
    assert block == docgen.schema_tables(docgen.schemas()[page]), f"{page.name} is stale: run `python -m lab.cli.docgen`"


@pytest.mark.parametrize("page", sorted(docgen.schemas(), key=str), ids=lambda p: p.name)
def test_every_key_of_every_model_is_documented(page):
    top, text = docgen.schemas()[page], page.read_text()
    reachable, todo = set(), [top]
    while todo:     # walked here, not by docgen.models: a model it missed would go unnoticed
        m = todo.pop()
        reachable.add(m)
        todo += [x for f in m.model_fields.values() for x in _models_in(f.annotation) if x not in reachable]
    assert reachable == {m for _, m in docgen.models(top)}
    for path, model in docgen.models(top):
        section = text[text.index(f"### `{path}` ({model.__name__})"):]
        section = section[:section.find("\n### ", 1) if "\n### " in section[1:] else len(section)]
        for name, f in model.model_fields.items():
            assert f"| `{f.alias or name}` |" in section, f"{path}: key {f.alias or name} missing from {page.name}"


def test_field_comments_are_read():
    from lab.workflows.rollout.phases import PhaseSpec

    notes = docgen._comments(PhaseSpec)
    assert notes["rest"] == "every router no earlier phase changed"
    assert notes["planes"].startswith("the BAG routers of a plane")
