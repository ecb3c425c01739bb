"""The plan's expansion as named steps: same plan as before the split, byte for byte.

tests/data/plan-digests.json holds the digests the single-module planner (before it was
split into steps) produced for every shipped topology and a few generated labs; any
drift in the plan of any of them fails here."""
from __future__ import annotations

import json

import pytest

from lab.design.generate import generate
from lab.design.plan import build_plan
from lab.design.topology import load, load_text

from ..conftest import ROOT, TOPOLOGIES
from ..plans import plan_of

DIGESTS = json.loads((ROOT / "tests" / "data" / "plan-digests.json").read_text())
GENERATED = {"generate-default": {},
             "generate-small": dict(regions=2, planes=2, nsf_per_region=1, spine_planes=1, dsf=True,
                                    links_per_bundle=1, prefixes=2),
             "generate-nodsf": dict(regions=3, planes=3, nsf_per_region=2, dsf=False)}


def test_every_shipped_topology_has_a_recorded_digest():
    assert {p.name for p in TOPOLOGIES.glob("*.yaml")} <= set(DIGESTS)


@pytest.mark.parametrize("name", sorted(p.name for p in TOPOLOGIES.glob("*.yaml")))
def test_shipped_topology_plans_as_before(name):
    plan = plan_of(name)
    assert plan.digest() == DIGESTS[name]


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_lab_plans_as_before(name):
    plan = build_plan(load_text(generate(**GENERATED[name]), name))
    assert plan.digest() == DIGESTS[name]


def test_build_plan_is_the_named_steps_in_order():
    from lab.design.plan import STEPS
    assert [name for name, _ in STEPS] == [
        "nodes", "fabric_uplinks", "interconnects", "extra_links", "collectors",
        "explicit_prefixes", "node_addresses", "links", "multipath", "frr_versions", "oversubscription", "aggregates"]


def test_each_step_fills_its_own_part_of_the_draft():
    from lab.design.plan import run_steps
    loaded = load(TOPOLOGIES / "bag-agg.yaml")
    after_nodes = run_steps(loaded, until="nodes")
    assert after_nodes.nodes and not after_nodes.wires
    assert {w["kind"] for w in run_steps(loaded, until="fabric_uplinks").wires} == {"uplink"}
    addressed = run_steps(loaded, until="node_addresses")
    assert len(addressed.planned_nodes) == len(addressed.nodes) and not addressed.planned_links
    linked = run_steps(loaded, until="links")
    assert len(linked.planned_links) == len(linked.wires) and not linked.aggregates
    assert run_steps(loaded).aggregates


def test_no_function_in_the_planner_is_long():
    import ast
    files = sorted((ROOT / "lab" / "design" / "plan").rglob("*.py"))
    assert len(files) > 5, "the planner's modules were not found"
    for path in files:
        assert len(path.read_text().splitlines()) <= 400, path
        for fn in ast.walk(ast.parse(path.read_text())):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert fn.end_lineno - fn.lineno + 1 <= 50, f"{path.name}:{fn.name}"
