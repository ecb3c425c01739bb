"""Rollout phases: selections resolve to router lists in order; every mistake is one located error."""
from __future__ import annotations

import pytest

from lab.errors import TopologyError
from lab.workflows.rollout.phases import load_phases

from ..conftest import TOPOLOGIES


def _write(tmp_path, text: str):
    p = tmp_path / "phases.yaml"
    p.write_text(text)
    return p


def test_shipped_four_phases(mini):
    phases = load_phases(TOPOLOGIES / "rollouts" / "bag-mini-4phase.yaml", mini)
    assert [p.name for p in phases] == ["canary STSW", "spoke BAG plane 2", "spoke region", "hub"]
    assert phases[0].routers == ("r2-f3-p1s1",)
    assert phases[1].routers == ("r2-bag2",) and phases[1].drain
    assert "r2-bag1" in phases[2].routers and "r2-bag2" not in phases[2].routers
    assert all(n.startswith("r1-") for n in phases[3].routers)
    every = [r for p in phases for r in p.routers]
    assert len(every) == len(set(every)) == 13      # each FRR router once; the collector is no router


def test_an_empty_phase_is_refused_at_its_line(tmp_path, mini):
    p = _write(tmp_path, "phases:\n  - name: all\n    rest: true\n  - name: again\n    regions: [r1]\n")
    with pytest.raises(TopologyError, match=r"phases\.yaml:4: phases\[1\]: phase 'again' changes no router"):
        load_phases(p, mini)


def test_unknown_names_are_located(tmp_path, mini):
    p = _write(tmp_path, "phases:\n  - name: x\n    regions: [r9]\n")
    with pytest.raises(TopologyError, match=r":3: phases\[0\]\.regions\[0\]: no region 'r9'; known: r1, r2"):
        load_phases(p, mini)
    p = _write(tmp_path, "phases:\n  - name: x\n    nodes: [r1-bag9]\n")
    with pytest.raises(TopologyError, match="matches no router"):
        load_phases(p, mini)
    p = _write(tmp_path, "phases:\n  - name: x\n    planes: [{plane: 3}]\n")
    with pytest.raises(TopologyError, match="no BAG plane 3"):
        load_phases(p, mini)


def test_routers_left_over_need_partial(tmp_path, mini):
    p = _write(tmp_path, "phases:\n  - name: x\n    regions: [r2]\n")
    with pytest.raises(TopologyError, match=r"router\(s\) no phase changes .*'rest: true' or say 'partial: true'"):
        load_phases(p, mini)
    p.write_text("partial: true\nphases:\n  - name: x\n    regions: [r2]\n")
    assert [ph.name for ph in load_phases(p, mini)] == ["x"]


def test_a_misspelt_key_is_named(tmp_path, mini):
    p = _write(tmp_path, "phases:\n  - name: x\n    region: [r2]\n")
    with pytest.raises(TopologyError, match=r":3: phases\[0\]\.region: unknown key"):
        load_phases(p, mini)
