"""The upgrade rehearsal on bag-mini, live: the BAG tier moved to FRR 10.3 one plane at a time,
drained, with probe packets counted and every steady state compared with the mixed-version
oracle, and rolled back to the host's 8.4 the same way; and a policy rollout on routers that run
10.3 (their own frr-reload.py and vtysh).  Needs the 10.3 root ('make frr-roots')."""
from __future__ import annotations

import subprocess

import pytest

from lab.frr.roots import host_version, root_of
from lab.frr.show import show
from lab.pytest_plugin import extra_lab
from lab.workflows.rollout import journal, report
from lab.workflows.rollout.run import rollback, rollout
from lab.frr.root import daemons_root
from lab.frr.vtysh import own_vtysh
from lab.state import load_plan, node_policies, node_versions
from lab.workflows.status import mixed_versions_line

from ..conftest import ROOT, TOPOLOGIES

pytestmark = pytest.mark.lab
VERSION = "10.3"
PHASES = ROOT / "topologies" / "rollouts"
SAFE_TAG = ROOT / "topologies" / "policies" / "bag-mini" / "safe-tag"
BAGS = {"r1-bag1", "r1-bag2", "r2-bag1", "r2-bag2"}


@pytest.fixture(scope="module", autouse=True)
def needs_root():
    if root_of(VERSION) is None:
        pytest.skip(f"FRR {VERSION}'s root is not built: run 'make frr-roots'")


def _summary(rep) -> str:
    return "\n".join([f"{p.name}: {p.status} lost {p.lost}/{p.sent} oracle {p.oracle or '-'} {p.seconds:.0f} s"
                      for p in rep.phases] + report.problems(rep))


def _running_version(paths, node: str) -> str:
    """major.minor of what the router's daemons run, read off the root they run from."""
    root = daemons_root(paths.netns(node))
    full = host_version() if root is None else (root / "frr-version").read_text().strip()
    return ".".join(full.split(".")[:2])


def test_bag_planes_upgraded_drained_without_loss_and_back(request):
    with extra_lab(TOPOLOGIES / "bag-mini.yaml", request, "upgr") as (lab, _obs, _fi):
        rep = rollout(lab.session, None, PHASES / "bag-mini-planes.yaml", drain=True, frr=VERSION)
        print(_summary(rep))
        assert [p.name for p in rep.phases] == ["BAG plane 1", "BAG plane 2"], _summary(rep)
        assert rep.status == "PASS" and all(p.status == "PASS" for p in rep.phases), _summary(rep)
        assert all(p.drain and p.lost == 0 and p.sent > 500 for p in rep.phases), _summary(rep)
        assert all(p.after_undrain.get("sent", 0) > 0 and p.after_undrain["lost"] == 0 for p in rep.phases)
        # steady state after each phase = the oracle of the versions running then (mixed after plane 1)
        assert [p.oracle for p in rep.phases] == ["equal", "equal"], _summary(rep)
        one, two = rep.phases
        assert {r for r, v in one.versions.items() if v == VERSION} == {"r1-bag1", "r2-bag1"}
        assert {r for r, v in two.versions.items() if v == VERSION} == BAGS
        assert all(r["method"] == f"upgrade {host_version()} -> {VERSION}" and not r["error"] for r in one.reloads)
        assert "r1-bag1 ~ r2-bag1 (ipv4, link 12)" in one.sessions_reset
        # who runs what: the state, the daemons themselves, their vtysh
        assert node_versions(lab.paths) == {b: VERSION for b in BAGS} and not node_policies(lab.paths)
        assert {b: _running_version(lab.paths, b) for b in BAGS} == {b: VERSION for b in BAGS}
        assert _running_version(lab.paths, "r1-f1-p1s1") == host_version()
        own = subprocess.run(own_vtysh(lab.paths.netns("r2-bag2")) + ["-c", "show version"], capture_output=True,
                             text=True)
        assert f"FRRouting {VERSION}" in own.stdout, own      # the router's own vtysh (the host's says 8.4)
        assert "mixed FRR versions" in mixed_versions_line(load_plan(lab.paths))
        assert f"frr version {VERSION}" in (lab.paths.node_dir("r1-bag2") / "frr.conf").read_text()

        back = rollback(lab.session)
        print(_summary(back))
        assert [p.name for p in back.phases] == ["rollback BAG plane 2", "rollback BAG plane 1"], _summary(back)
        assert back.status == "PASS" and all(p.lost == 0 and p.sent > 500 for p in back.phases), _summary(back)
        assert [p.oracle for p in back.phases] == ["equal", "equal"], _summary(back)
        assert node_versions(lab.paths) == {} and journal.read(lab.paths).status == "rolled-back"
        assert all(_running_version(lab.paths, b) == host_version() for b in BAGS)
        assert mixed_versions_line(load_plan(lab.paths)) is None


def test_policy_rollout_on_a_lab_of_10_3_routers(request):
    """frr-reload.py and vtysh of 10.3 itself reload 10.3 routers (the host's 8.4 vtysh cannot
    configure them): the safe candidate goes out and comes back without a lost packet."""
    with extra_lab(TOPOLOGIES / "bag-mini.yaml", request, "p103", frr=VERSION) as (lab, _obs, _fi):
        assert _running_version(lab.paths, "r1-f2-edge") == VERSION
        rep = rollout(lab.session, SAFE_TAG, PHASES / "bag-mini-4phase.yaml")
        print(_summary(rep))
        assert rep.status == "PASS" and all(p.lost == 0 and p.sent > 500 for p in rep.phases), _summary(rep)
        reloads = [r for p in rep.phases for r in p.reloads]
        assert reloads and all(r["method"] == "frr-reload" and not r["error"] for r in reloads), reloads
        edge = next(r for r in reloads if r["node"] == "r1-f2-edge")
        assert any("64512:100" in line for line in edge["added"]), edge
        assert "64512:100" in show(lab.paths.netns("r1-f2-edge"), "show running-config")
        back = rollback(lab.session)
        print(_summary(back))
        assert back.status == "PASS" and all(p.lost == 0 for p in back.phases), _summary(back)
        assert "64512:100" not in show(lab.paths.netns("r1-f2-edge"), "show running-config")
