"""The rollout rehearsal on bag-mini, live: candidates pushed phase by phase with frr-reload.py,
packets counted throughout, the intent checks judging every mixed state.

One module lab runs the built-in policy; every test rolls a candidate out and the fixture rolls it
back (and checks that the rollback restored the baseline), so each test starts from the baseline."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from lab.config.policy import load_policy, render_node, without_superseded
from lab.workflows.check import load as load_intents, run_checks
from lab.workflows.diff.run import lab_names, run as diff_run
from lab.faults import FaultInjector
from lab.frr.show import show
from lab.pytest_plugin import extra_lab
from lab.workflows.rollout import journal, report
from lab.workflows.rollout.run import rollback, rollout
from lab.runtime import down_lab
from lab.session import open_lab
from lab.state import LabPaths, LabState, node_policies

from ..conftest import ROOT, TOPOLOGIES

pytestmark = pytest.mark.lab
POLICIES = ROOT / "topologies" / "policies" / "bag-mini"
PHASES = ROOT / "topologies" / "rollouts"
MINI_INTENTS = ROOT / "topologies" / "intents" / "bag-mini.yaml"


@pytest.fixture(scope="module")
def roll(request):
    with extra_lab(TOPOLOGIES / "bag-mini.yaml", request, "roll") as (lab, _obs, _fi):
        yield lab


@pytest.fixture
def lab(roll):
    """The module lab, rolled back to the baseline after the test, whatever it did."""
    yield roll
    if node_policies(roll.paths):
        rep = rollback(roll.session)
        assert rep.status == "PASS", report.problems(rep)
    assert not node_policies(roll.paths)


def _summary(rep) -> str:
    return "\n".join([f"{p.name}: {p.status} lost {p.lost}/{p.sent}" for p in rep.phases] + report.problems(rep))


def _phase(rep, name: str):
    return next(p for p in rep.phases if p.name == name)


def test_safe_candidate_every_phase_passes_without_loss_and_rollback_restores(lab, tmp_path):
    rep = rollout(lab.session, POLICIES / "safe-tag", PHASES / "bag-mini-4phase.yaml")
    assert [p.status for p in rep.phases] == ["PASS"] * 4, _summary(rep)
    assert all(p.lost == 0 and p.sent > 500 for p in rep.phases), _summary(rep)
    assert all(p.checks and all(c["status"] == "PASS" for c in p.checks) for p in rep.phases), _summary(rep)
    assert _phase(rep, "hub").routers and "r1-bag1" in _phase(rep, "hub").routers
    # the reports people and CI read
    files = [report.write_json(rep, tmp_path / "r.json"), report.write_junit(rep, tmp_path / "r.xml"),
             report.write_html(rep, tmp_path / "r.html")]
    assert json.loads(files[0].read_text())["status"] == "PASS"
    assert len(ET.fromstring(files[1].read_text().split("?>", 1)[1]).iter("testcase").__next__().attrib) >= 2
    assert files[2].read_text().count("data:image/png;base64,") == 4
    # a router restarts on the policy it was given: its config on disk is the candidate's
    cand = load_policy(POLICIES / "safe-tag", lab.plan)
    edge = lab.plan.node("r1-f2-edge")
    assert "64512:100" in (lab.paths.node_dir("r1-f2-edge") / "frr.conf").read_text()
    assert "64512:100" in show(lab.paths.netns("r1-f2-edge"), "show running-config")
    assert node_policies(lab.paths)["r1-f2-edge"] == str(cand.root)

    back = rollback(lab.session)
    assert back.status == "PASS", _summary(back)
    assert [p.name for p in back.phases] == [f"rollback {n}" for n in ("hub", "spoke region", "spoke BAG plane 2",
                                                                       "canary STSW")]
    assert not node_policies(lab.paths) and journal.read(lab.paths).status == "rolled-back"
    base = load_policy(LabState.read(lab.paths).policy, lab.plan)
    want = without_superseded(render_node(lab.plan, edge, str(lab.paths.log_file(edge.name)), frozenset(), base).text)
    assert (lab.paths.node_dir("r1-f2-edge") / "frr.conf").read_text() == want
    assert "64512:100" not in show(lab.paths.netns("r1-f2-edge"), "show running-config")


def test_stripping_link_bandwidth_fails_at_the_first_phase_with_plane_2(lab):
    rep = rollout(lab.session, POLICIES / "strip-lb-plane2", PHASES / "bag-mini-4phase.yaml")
    assert rep.exit_code == 1
    assert [p.status for p in rep.phases] == ["PASS", "FAIL"], _summary(rep)
    assert rep.phases[1].routers == ["r2-bag2"] and rep.not_run == ["spoke region", "hub"]
    assert any(c["kind"] == "shares" and c["status"] == "FAIL" for c in rep.phases[1].checks), _summary(rep)


def test_safe_when_finished_unsafe_half_way(lab):
    """region-tag: in its final state (a lab booted on it) diff and check find nothing wrong; phase by
    phase it breaks the spoke's plane 2 at the phase that moves r2-bag2 alone."""
    final = diff_run(TOPOLOGIES / "bag-mini.yaml", None, POLICIES / "region-tag", prefix="rtag", keep=True)
    try:
        assert final.report.exit_code == 0, [d.__dict__ for d in final.report.unintended[:5]]
        cand = LabPaths(lab_names("rtag")[1])
        with open_lab(cand) as h:
            verdict = run_checks(h, load_intents(h.plan, POLICIES / "region-tag" / "intents.yaml"))
        assert verdict.exit_code == 0, [(v.check, v.summary) for v in verdict.verdicts if v.status != "PASS"]
    finally:
        for name in lab_names("rtag"):
            down_lab(LabPaths(name))

    rep = rollout(lab.session, POLICIES / "region-tag", PHASES / "bag-mini-4phase.yaml")
    assert [p.status for p in rep.phases] == ["PASS", "FAIL"], _summary(rep)
    bad = rep.phases[1]
    assert bad.name == "spoke BAG plane 2" and bad.routers == ["r2-bag2"]
    assert bad.after_undrain.get("lost", 0) > 0, _summary(rep)
    assert {p["src"] for p in bad.after_undrain["lost_pairs"]} == {"r2-f3-p1s2", "r2-f3-p2s2"}, bad.after_undrain
    assert any("r2-bag2 has no route" in x for x in bad.problems), _summary(rep)


def test_password_change_resets_sessions_and_drain_makes_it_lossless(lab):
    plain = rollout(lab.session, POLICIES / "md5-spoke-plane2", PHASES / "bag-mini-md5.yaml", MINI_INTENTS)
    first = plain.phases[0]
    assert len(first.sessions_reset) == 4 and all("r2-bag2 ~ r2-f3-p" in s for s in first.sessions_reset), _summary(plain)
    assert first.lost > 0 and first.status == "FAIL", _summary(plain)
    assert rollback(lab.session).status == "PASS"

    drained = rollout(lab.session, POLICIES / "md5-spoke-plane2", PHASES / "bag-mini-md5.yaml", MINI_INTENTS, drain=True)
    first = drained.phases[0]
    assert len(first.sessions_reset) == 4, _summary(drained)
    assert first.drain and first.lost == 0 and first.sent > 500, _summary(drained)
    assert drained.status == "PASS", _summary(drained)
    assert not FaultInjector(lab.plan, lab.paths).drains()


def test_interrupted_rollout_resumes_with_its_drain_in_force(lab):
    def stop_after_reload(msg: str) -> None:
        if msg.startswith("spoke plane 2 and its STSWs: reloaded"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rollout(lab.session, POLICIES / "md5-spoke-plane2", PHASES / "bag-mini-md5.yaml", MINI_INTENTS, drain=True,
                say=stop_after_reload)
    rec = journal.read(lab.paths)
    assert rec.status == "interrupted" and rec.done == [] and rec.current == 0
    drains = FaultInjector(lab.plan, lab.paths).drains()
    assert [d.id for d in drains] == [rec.drain_fault] != [None], "the interrupted phase's drain stays in force"
    assert set(node_policies(lab.paths)) == {"r2-bag2", "r2-f3-p1s2", "r2-f3-p2s2"}

    rep = rollout(lab.session, None, None, resume=True)
    assert [p.name for p in rep.phases] == ["spoke plane 2 and its STSWs", "everything else"], _summary(rep)
    assert rep.status == "PASS", _summary(rep)
    again = rep.phases[0]
    assert again.drain and not any(r["added"] or r["removed"] for r in again.reloads), again.reloads
    assert again.lost == 0, _summary(rep)      # (sessions the interrupted reload reset may come back in it)
    assert not FaultInjector(lab.plan, lab.paths).drains()
    assert journal.read(lab.paths).status == "passed"


def test_route_intents_judge_every_mixed_state_and_catch_a_leak_at_the_canary(lab):
    """leak-connected's canary (r2-f3-p1s1 alone on the candidate) already leaks: the phase's
    route-level checks fail naming its prefixes, and the later phases never run."""
    rep = rollout(lab.session, POLICIES / "leak-connected", PHASES / "bag-mini-4phase.yaml",
                  kinds=("routes", "advertised", "paths"))
    assert rep.exit_code == 1 and [p.status for p in rep.phases] == ["FAIL"], _summary(rep)
    canary = rep.phases[0]
    assert canary.routers == ["r2-f3-p1s1"] and rep.not_run == ["spoke BAG plane 2", "spoke region", "hub"]
    assert {c["kind"] for c in canary.checks} >= {"routes", "advertised", "paths"}, canary.checks
    failed = [c for c in canary.checks if c["status"] == "FAIL"]
    assert {c["kind"] for c in failed} == {"routes", "advertised", "paths"}, _summary(rep)
    text = json.dumps(failed)
    assert "198.18.0.16/31" in text and "originated by r2-f3-p1s1" in text, text[:2000]
    # only the canary runs the candidate: the other STSWs' link subnets did not leak
    assert "198.18.0.18/31" not in text and "originated by r2-f3-p1s2" not in text, text[:2000]
