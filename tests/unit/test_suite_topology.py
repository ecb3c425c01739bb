"""The suite's coalesce-time knob: rendered only when asked, never over the topology's own choice."""
from __future__ import annotations

import pytest
import yaml

from lab.config.render import render_node
from lab.errors import TopologyError
from lab.design.plan import build_plan
from lab.design.suite import parse_coalesce, with_coalesce
from lab.design.topology import load

from ..conftest import TOPOLOGIES

MINI = TOPOLOGIES / "bag-mini.yaml"


def _bgp_lines(topology) -> list[str]:
    plan = build_plan(load(topology))
    return render_node(plan, plan.node("r1-bag1"), "/x").splitlines()


def test_frr_keeps_its_own_heuristic_unless_the_topology_sets_it():
    assert not [l for l in _bgp_lines(MINI) if "coalesce-time" in l]


def test_the_suite_copy_sets_it_and_nothing_else(tmp_path, mini):
    copy = with_coalesce(MINI, tmp_path, 100)
    assert copy != str(MINI) and " coalesce-time 100" in _bgp_lines(copy)
    plain, fast = mini, build_plan(load(copy))
    assert fast.bgp_coalesce_ms == 100 and plain.bgp_coalesce_ms is None
    assert fast.model_copy(update={"bgp_coalesce_ms": None, "topology": plain.topology}) == plain


def test_a_topology_that_sets_it_keeps_its_value(tmp_path):
    doc = yaml.safe_load(MINI.read_text())
    doc["policy"] = {"bgp_coalesce_ms": 700}
    own = tmp_path / "own.yaml"
    own.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert with_coalesce(own, tmp_path / "x", 100) == str(own)
    assert " coalesce-time 700" in _bgp_lines(own)


def test_topology_or_nothing_leaves_the_file_alone(tmp_path):
    assert with_coalesce(MINI, tmp_path, None) == str(MINI) and not list(tmp_path.iterdir())


def test_a_bad_topology_is_reported_against_its_own_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINI.read_text() + "policy: {bgp_coalesce_ms: -1}\n")
    with pytest.raises(TopologyError) as err:
        with_coalesce(bad, tmp_path, 100)
    assert "bad.yaml" in str(err.value) and "bgp_coalesce_ms" in str(err.value)


@pytest.mark.parametrize("text, want", [(None, None), ("", None), ("topology", None), ("0", 0), ("100", 100)])
def test_parse_coalesce(text, want):
    assert parse_coalesce(text) == want


@pytest.mark.parametrize("text", ["-1", "abc", "10001", "1.5"])
def test_parse_coalesce_refuses(text):
    with pytest.raises(ValueError, match="--bgp-coalesce-ms"):
        parse_coalesce(text)
