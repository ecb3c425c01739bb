"""Live: hardware shares, the kernel's UCMP weights as a switch ASIC group of N members would hold
them.  bag-mini's DSF edge pod splits 67/33 over its four uplinks towards the spoke; a 4-member
group gives each uplink one member, 50/50, and a 'shares' intent with hardware: true says so."""
from __future__ import annotations

import os

import pytest

from lab.runtime import down_lab
from lab.session import open_lab
from lab.state import LabPaths
from lab.verdict.checks.schema import Intents
from lab.workflows.build import up
from lab.workflows.check import run_checks
from lab.workflows.status import gather

from ..conftest import TOPOLOGIES

pytestmark = pytest.mark.lab
SPLIT = {"at": "r1-f2-edge", "fabric": "f3", "expect": {"r1-bag1": 66.7, "r1-bag2": 33.3}, "tolerance": 5}


@pytest.fixture(scope="module")
def small_table(tmp_path_factory):
    topo = tmp_path_factory.mktemp("hw") / "bag-mini.yaml"
    topo.write_text((TOPOLOGIES / "bag-mini.yaml").read_text() + "policy:\n  hardware_table: {members: 4}\n")
    paths = LabPaths(f"hw{os.getpid() % 10000}")
    try:
        up(topo, paths.name)
        with open_lab(paths) as lab:
            yield lab
    finally:
        down_lab(paths)


def test_a_4_member_group_cannot_hold_a_67_33_split_over_four_uplinks(small_table):
    lab = small_table
    kernel_only = run_checks(lab, Intents.model_validate({"shares": [SPLIT]}), ["shares"])
    hw = run_checks(lab, Intents.model_validate({"shares": [{**SPLIT, "hardware": True}]}), ["shares"])
    k = kernel_only.verdicts[-1]
    assert k.status == "PASS", k.summary                      # the kernel's weights are right
    assert k.evidence["hardware"]["table"] == 4 and k.evidence["hardware"]["shares"] == {"r1-bag1": 50.0,
                                                                                        "r1-bag2": 50.0}
    v = hw.verdicts[-1]
    assert v.status == "FAIL" and "hardware r1-bag1: expected 66.7 %, observed 50.0 %" in v.summary, v.summary


def test_status_shows_each_next_hops_hardware_share(small_table):
    st = gather(small_table)
    edge = next(n for n in st["nodes"] if n["name"] == "r1-f2-edge")
    route = next(r for r in edge["routes"] if r["prefix"] == "198.19.2.0/24")
    hw = route["hardware"]
    assert hw["table"] == 4 and sorted(hw["members"].values()) == [1, 1, 1, 1], hw
    assert hw["ideal_from"] == "link-bandwidth" and hw["max_error_points"] == pytest.approx(25 - 16.67, abs=0.5), hw
