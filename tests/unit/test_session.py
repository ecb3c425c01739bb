"""open_lab without a running lab: a plan.json under a temporary STATE_ROOT stands in for it,
so what the Lab handle builds (and what it does not) can be checked without root."""
from __future__ import annotations

import pytest

from lab import state
from lab.errors import LabError
from lab.session import open_lab

LAB = "sessiontest"


@pytest.fixture
def lab_dir(fake_lab):
    return fake_lab(LAB)


def test_plan_read_from_the_lab_and_nothing_started(lab_dir, mini):
    with open_lab(LAB) as s:
        assert s.name == LAB and s.paths.root == lab_dir
        assert s.plan.digest() == mini.digest()
        assert not s.timeline_open
        assert s.faults is s.faults           # one injector per handle
        assert s.faults.faults() == []
    assert not s.timeline_open


def test_given_plan_is_not_reread(tmp_path, monkeypatch, mini):
    monkeypatch.setattr(state, "STATE_ROOT", tmp_path)       # no plan.json anywhere
    with open_lab(LAB, mini) as s:
        assert s.plan is mini


def test_state_is_read_afresh(lab_dir):
    with open_lab(LAB) as s:
        assert s.state.policy is None
        state.LabState.update(s.paths, policy="/x")
        assert s.state.policy == "/x"


def test_a_new_plan_reaches_the_injector(lab_dir, mini):
    from lab.state import with_versions

    with open_lab(LAB) as s:
        fi = s.faults
        assert fi.runtime is s.runtime            # one runtime per handle
        moved = with_versions(s.plan, {s.plan.nodes[0].name: "10.3"})
        s.plan = moved
        assert s.plan is moved and fi.plan is moved


def test_routers_are_the_plan_nodes_only(lab_dir):
    with open_lab(LAB) as s:
        assert list(s.routers) == [n.name for n in s.plan.nodes] and len(s.routers) == len(s.plan.nodes)
        assert s.plan.nodes[0].name in s.routers and "nosuch" not in s.routers
        with pytest.raises(KeyError, match=f"lab {LAB} has no node 'nosuch' \\(it has {s.plan.nodes[0].name}, "):
            s.routers["nosuch"]


def test_no_such_lab_is_a_lab_error(tmp_path, monkeypatch):
    monkeypatch.setattr(state, "STATE_ROOT", tmp_path)
    with pytest.raises(LabError, match="no lab named 'nolab'"):
        with open_lab("nolab"):
            pass


def test_bad_name_is_refused():
    with pytest.raises(LabError, match="lab name"):
        with open_lab("../etc"):
            pass


def test_opened_timeline_is_stopped_even_after_an_error(lab_dir, monkeypatch):
    from lab.observe import timeline as tl_mod

    events = []

    class FakeTimeline:
        def __init__(self, netns_of):
            events.append(("made", len(netns_of)))

        def start(self):
            events.append("start")
            return self

        def stop(self):
            events.append("stop")

    monkeypatch.setattr(tl_mod, "Timeline", FakeTimeline)
    with pytest.raises(RuntimeError):
        with open_lab(LAB) as s:
            assert s.timeline is s.timeline
            raise RuntimeError("boom")
    assert events == [("made", len(s.plan.nodes)), "start", "stop"]


def test_domains_confirm_refuses_another_plan(lab_dir, agg):
    from lab.verdict import domains

    other = agg
    with open_lab(LAB) as s:
        with pytest.raises(LabError, match=f"lab {LAB} runs another plan than agg.yaml"):
            next(domains.confirm(s, other, source="agg.yaml"))
        assert not s.timeline_open            # refused before any watcher started


def test_rehearsal_document_fields():
    from lab.observe.probes.stream import PairResult
    from lab.workflows.rehearsal import Rehearsal, Step, document

    import dataclasses

    fields = {f.name for f in dataclasses.fields(PairResult)}
    pr = PairResult(**{f: ("a" if f in ("src", "prefix") else 0) for f in fields})
    rep = Rehearsal("BAG plane 1", [("a", "p")], {("r1", "p"): {"x"}}, [Step("drain", 12.0, True)], [pr])
    doc = document(rep)
    assert list(doc) == ["target", "ok", "sent", "lost", "steps", "pairs", "not_probed"]
    assert doc["steps"] == [{"name": "drain", "converged_ms": 12.0, "ok": True, "problems": []}]
    assert doc["not_probed"] == ["r1"] and doc["ok"] is True


def test_a_rollout_takes_a_mid_upgrade_lab_as_it_is(lab_dir, tmp_path):
    """'baglab rollout' rebuilds nothing it would lose: a lab of the same topology running other
    FRR versions than it was built with is rolled out from as it runs (lab.workflows.rollout.run.bring_up)."""
    from lab.workflows.rollout.run import running_as_built

    paths, topo = state.LabPaths(LAB), tmp_path / "t.yaml"
    topo.write_text("")
    state.LabState.update(paths, phase="up", source=str(topo), node_versions={"r1-bag1": "10.3"})
    assert running_as_built(paths, str(topo), None)
    assert not running_as_built(paths, str(topo), "some-baseline")      # a baseline asked for: 'up' decides
    assert not running_as_built(paths, str(tmp_path / "other.yaml"), None)
    state.LabState.update(paths, node_versions=None)
    assert not running_as_built(paths, str(topo), None)                 # as built: 'up' reuses or rebuilds
