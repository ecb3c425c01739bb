"""Per-version defaults (lab/design/frr_versions.py) and the configs they produce.

The evidence (docs/explanation/emulation-boundary.md; bench/nhg_flap.py, 2026-12-01, load 1.7-3.0):
with kernel nexthop groups on, a 10 ms flap of each member of r1-bag1~r2-bag1 in bag-mini left
8.4.4's group without the flapped member every time (3 of 3: r2-bag1 198.19.0.0/24 RIB 4 hops,
FIB 3), while 10.3 and 10.7 healed every time (3 of 3 each, FIB equal to the oracle in 2.1-3.2 s).
"""
from __future__ import annotations

import json

import pytest

from lab.config.render import render_node
from lab.design.frr_versions import CATALOGUE, SUITES, kernel_nexthop_groups
from lab.design.plan import build_plan
from lab.design.plan.steps.versions import with_frr
from lab.design.topology import load_text

from ..conftest import ROOT, TOPOLOGIES

ON, OFF = "\nzebra nexthop kernel enable\n", "\nno zebra nexthop kernel enable\n"


def test_the_image_carries_the_version_routers_without_one_are_judged_as():
    # two facts kept apart (the image's FRR, the template's assumption): they must agree
    from lab.design.frr_versions import ASSUMED_VERSION, IMAGE_FRR
    from lab.frr.image import recipe

    assert IMAGE_FRR == ASSUMED_VERSION and recipe()["suite"] == SUITES[IMAGE_FRR]


def test_the_table_follows_the_recorded_flaps():
    """tests/data/frr-findings/nhg-flap.json is bench/nhg_flap.py's raw output: groups on exactly
    where every flap healed (at least 3 flaps), off where any flap diverged."""
    runs = json.loads((ROOT / "tests/data/frr-findings/nhg-flap.json").read_text())
    assert {r["frr"] for r in runs} == set(SUITES)
    for r in runs:
        diverged = [t for t in r["trials"] if t["rib_fib_count"] or not t["converged"]]
        assert len(diverged) == r["diverged"] and len(r["trials"]) >= 3
        assert CATALOGUE[r["frr"]].kernel_nexthop_groups is (not diverged), (r["frr"], [t["rib_fib"][:1] for t in diverged])


@pytest.mark.parametrize("version,expected", [("8.4", False), ("10.3", True), ("10.7", True), (None, False),
                                              ("11.0", False)])
def test_nexthop_groups_per_version(version, expected):
    assert kernel_nexthop_groups(version) is expected


@pytest.mark.parametrize("version", ["8.4", "10.3", "10.7", None])
@pytest.mark.parametrize("asked", [True, False])
def test_the_topology_setting_wins(version, asked):
    assert kernel_nexthop_groups(version, asked) is asked


def _bag_config(plan) -> str:
    return render_node(plan, plan.node("r1-bag1"), "/run/x/frr.log")


@pytest.mark.parametrize("version,line", [(None, OFF), ("8.4", OFF), ("10.3", ON), ("10.7", ON)])
def test_rendered_config_follows_the_version(version, line, mini):
    text = _bag_config(with_frr(mini, version))
    assert line in text and (ON if line == OFF else OFF) not in text


@pytest.mark.parametrize("setting,version,line", [("false", "10.3", OFF), ("true", "8.4", ON)])
def test_rendered_config_follows_an_explicit_policy(setting, version, line):
    text = (TOPOLOGIES / "bag-mini.yaml").read_text() + f"policy:\n  kernel_nexthop_groups: {setting}\n"
    plan = with_frr(build_plan(load_text(text, "nhg.yaml")), version)
    assert line in _bag_config(plan)


def test_mixed_versions_get_each_their_own_default():
    text = (TOPOLOGIES / "bag-mini.yaml").read_text() + 'frr: {default: "8.4", nodes: {r1-bag1: "10.7"}}\n'
    plan = build_plan(load_text(text, "mixed.yaml"))
    assert ON in _bag_config(plan)
    assert OFF in render_node(plan, plan.node("r1-bag2"), "/run/x/frr.log")
