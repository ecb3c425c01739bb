"""docs/intents.md against the schema: its generated key tables are the schema's, every key of every
model is in it, every kind has an example, and every example is a valid intent file for bag-mini
(names resolved), so the document cannot drift from what baglab accepts."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from lab.design.plan import build_plan
from lab.design.topology import load
from lab.verdict.checks import schema_doc
from lab.verdict.checks.schema import Intents
from lab.verdict.checks.validate import validate, validate_against

from ..conftest import TOPOLOGIES

DOC = Path(__file__).resolve().parents[2] / "docs" / "intents.md"


def _text() -> str:
    return DOC.read_text()


def _examples() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", _text(), re.S)


def test_generated_block_is_the_schema():
    text = _text()
    block = text[text.index(schema_doc.BEGIN):text.index(schema_doc.END) + len(schema_doc.END)]
    assert block == schema_doc.markdown(), "docs/intents.md is stale: paste `python -m lab.verdict.checks.schema_doc`"


def test_every_field_of_every_model_is_documented():
    text = _text()
    documented = {m for _, m in schema_doc.MODELS}
    # a model reachable from Intents but missing from MODELS would be undocumented
    reachable, todo = set(), [Intents]
    while todo:
        m = todo.pop()
        reachable.add(m)
        todo += [x for f in m.model_fields.values() for x in _models(f.annotation) if x not in reachable]
    assert reachable == documented
    for path, model in schema_doc.MODELS:
        section = text[text.index(f"### `{path}` ({model.__name__})"):]
        section = section[:section.find("\n### ", 1) if "\n### " in section[1:] else len(section)]
        for name, f in model.model_fields.items():
            assert f"| `{f.alias or name}` |" in section, f"{path}: key {f.alias or name} missing from docs/intents.md"


def _models(tp):
    from lab.design.yaml_files import _models_in
    return _models_in(tp)


def test_every_kind_has_an_example():
    kinds = [k for k in Intents.model_fields if k != "description"]
    seen = {k for ex in _examples() for k in yaml.safe_load(ex)}
    assert set(kinds) <= seen, f"no example for {sorted(set(kinds) - seen)}"


@pytest.mark.parametrize("i", range(9))
def test_examples_are_valid_for_bag_mini(tmp_path, i):
    examples = _examples()
    assert len(examples) == 9
    f = tmp_path / "intents.yaml"
    f.write_text(examples[i])
    v = validate(f, TOPOLOGIES / "bag-mini.yaml")
    assert v.checked, examples[i]


def test_shipped_intent_files_validate():
    plan = build_plan(load(TOPOLOGIES / "bag-mini.yaml"))
    from lab.verdict.checks.schema import load_intents

    for f in [TOPOLOGIES / "intents/bag-mini.yaml", *sorted((TOPOLOGIES / "policies/bag-mini").glob("*/intents.yaml"))]:
        assert validate_against(plan, load_intents(f), "bag-mini").checked
