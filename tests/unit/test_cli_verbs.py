"""The CLI's shape: one module per verb, registered in a fixed order, and the sequencing of lab
operations done by lab.workflows (each tested here without a lab: actions recorded, sweeps faked)."""
from __future__ import annotations

from pathlib import Path

import pytest
import typer

from lab import cli, state
from lab.errors import LabError
from lab.faults.actions import ACTIONS
from lab.session import open_lab
from lab.workflows import inject as wf
from lab.workflows import sweep as sw
from lab.workflows.rollout import run as rollout_run

CLI = Path(cli.__file__).parent
NOT_VERBS = {"__init__", "__main__", "app", "common", "views", "docgen"}   # docgen: the reference pages, not a verb
# `baglab --help` lists single commands, then groups, each in the order lab.cli imports their modules
COMMANDS = ["plan", "up", "down", "status", "exec", "labs", "export", "faults", "restore", "impair", "rehearse",
            "links", "probe", "sweep", "domains", "frrcheck", "check", "record", "diff", "rollout", "rollback", "upgrade"]
GROUPS = ["fault", "drain", "undrain", "macsec"]
SHARED_MODULE = {"undrain": "drain"}        # one concept, one module


def test_every_verb_lives_in_the_module_named_after_it():
    root = typer.main.get_command(cli.app)
    for name, cmd in root.commands.items():
        module = f"lab.cli.{SHARED_MODULE.get(name, name)}"
        leaves = cmd.commands.values() if isinstance(cmd, typer.core.TyperGroup) else [cmd]
        for leaf in leaves:
            assert leaf.callback.__module__ == module, (name, leaf.name, leaf.callback.__module__)


def test_every_verb_module_holds_a_verb_and_says_which():
    names = set(COMMANDS) | set(GROUPS)
    for f in CLI.glob("*.py"):
        if f.stem in NOT_VERBS:
            continue
        assert f.stem in names, f"lab/cli/{f.name} registers no verb of its name"
        first = f.read_text().split('"""')[1].splitlines()[0]
        assert f"``baglab {f.stem}" in first, f"lab/cli/{f.name}'s docstring does not name its verb: {first}"


def test_help_lists_the_verbs_in_their_order():
    root = typer.main.get_command(cli.app)
    listed = list(root.commands)
    assert [c for c in listed if c not in GROUPS] == COMMANDS
    assert [c for c in listed if c in GROUPS] == GROUPS


# -- lab.workflows.inject: a fault, drain or impairment on one Lab, without a lab (actions recorded)

@pytest.fixture
def ran(monkeypatch):
    log: list = []
    for cls in ACTIONS.values():
        monkeypatch.setattr(cls, "apply", lambda self, ctx: log.append(self))
    return log


@pytest.fixture
def lab(fake_lab, ran):
    fake_lab("cliverbs")
    with open_lab("cliverbs") as s:
        yield s


def test_inject_checks_names_before_anything_runs(lab, ran):
    def bad(plan):
        raise LabError("unknown node 'x'")
    made = []
    with pytest.raises(LabError, match="unknown node"):
        wf.inject(lab, lambda fi, plan: made.append(fi.node("r1-bag1", "crash")), wait=False, check=bad)
    assert made == [] and ran == [] and not lab.timeline_open


def test_inject_without_wait_reports_the_fault_and_opens_no_timeline(lab):
    seen = []
    res = wf.inject(lab, lambda fi, plan: fi.node("r1-bag1", "crash"), wait=False, on_made=seen.append)
    assert res is None and [f.target for f in seen] == ["r1-bag1"] and not lab.timeline_open
    assert [f.id for f in lab.faults.active()] == [seen[0].id]


def test_restore_leaves_drains_and_says_so(lab):
    d = lab.faults.drain_plane(1, "r1")
    lab.faults.node("r1-bag1", "crash")
    told = []
    assert wf.restore(lab, None, wait=False, on_restored=lambda done, left: told.append((len(done), left))) is None
    assert told == [(1, True)] and [f.id for f in lab.faults.active()] == [d.id]
    with pytest.raises(LabError, match="no active fault 99"):
        wf.restore(lab, 99, wait=False)


def test_undrain_takes_back_only_what_is_picked(lab):
    keep = lab.faults.drain_nodes(["r2-bag2"])
    lab.faults.drain_plane(1, "r1")
    gone = []
    wf.undrain(lab, lambda f: f.id != keep.id, wait=False, on_undrained=gone.append)
    assert len(gone) == 1 and [f.id for f in lab.faults.drains()] == [keep.id]
    with pytest.raises(LabError, match="no such active drain; active: "):
        wf.undrain(lab, lambda f: False, wait=False)


def test_clearing_impairments_is_all_or_nothing(lab):
    from lab.cli.common import bundle_links
    from lab.impair.spec import Impairment

    links = bundle_links(lab.plan, lab.plan.links[0].bundle)
    lab.faults.impair(links[0], Impairment(5.0, 0.0, 0.0, 0.0))
    if len(links) > 1:
        with pytest.raises(LabError, match="is not impaired"):
            wf.clear_impairments(lab, links, wait=False)
    cleared = []
    assert wf.clear_impairments(lab, links[:1], wait=False, on_cleared=cleared.append) is None
    assert len(cleared) == 1 and lab.faults.active() == []


# -- lab.workflows.sweep.sweep_and_compare: two sweeps and their diff, sweeps faked

def test_sweep_and_compare_sweeps_both_writes_each_then_the_diff(tmp_path, monkeypatch):
    swept, reported = [], []

    def fake_sweep(topology, name, kinds, keep, watch):
        swept.append((topology, name, frozenset(kinds), keep))
        rep = sw.SweepReport(str(topology), 0.0)
        rep.items = [sw.Item("node", "r1-bag1", violations=["x"] if name.endswith("c") else [])]
        return rep

    monkeypatch.setattr(sw, "sweep_topology", fake_sweep)
    res = sw.sweep_and_compare("a.yaml", "lab1", {"node"}, tmp_path, candidate="b.yaml", candidate_name="lab1c",
                               on_report=lambda rep, j, h: reported.append((rep.topology, j.name, h.name)))
    assert swept == [("a.yaml", "lab1", frozenset({"node"}), False), ("b.yaml", "lab1c", frozenset({"node"}), False)]
    assert reported == [("a.yaml", "sweep.json", "sweep.html"), ("b.yaml", "sweep-candidate.json", "sweep-candidate.html")]
    assert res.changes == ["node r1-bag1: NEW x"]
    assert res.diff_file.read_text() == "node r1-bag1: NEW x\n"
    assert res.current.violations == 0 and res.candidate.violations == 1


def test_sweep_without_candidate_sweeps_once(tmp_path, monkeypatch):
    monkeypatch.setattr(sw, "sweep_topology", lambda *a, **k: sw.SweepReport("t", 0.0))
    res = sw.sweep_and_compare("a.yaml", "lab1", set(), tmp_path)
    assert res.candidate is None and res.changes == [] and not (tmp_path / "sweep-diff.txt").exists()


# -- lab.workflows.rollout.run.bring_up_and_roll_out

def test_rollout_refuses_missing_inputs_before_bringing_anything_up(monkeypatch, tmp_path):
    monkeypatch.setattr(state, "STATE_ROOT", tmp_path)
    monkeypatch.setattr(rollout_run, "bring_up", lambda *a, **k: pytest.fail("brought up"))
    with pytest.raises(LabError, match="rollout needs TOPOLOGY"):
        rollout_run.bring_up_and_roll_out(state.LabPaths("ro"), "t.yaml", None, "cand", None)


def test_rollout_brings_up_then_rolls_out_on_the_same_lab(monkeypatch, fake_lab):
    fake_lab("ro")
    calls = []
    monkeypatch.setattr(rollout_run, "bring_up", lambda paths, topo, base, say: calls.append(("up", paths.name, topo)))
    monkeypatch.setattr(rollout_run, "rollout", lambda lab, cand, phases, intents, **kw:
                        calls.append(("rollout", lab.name, cand, kw["resume"], kw["drain"])) or "report")
    assert rollout_run.bring_up_and_roll_out(state.LabPaths("ro"), "t.yaml", None, "cand", Path("p.yaml"),
                                             drain=True) == "report"
    assert calls == [("up", "ro", "t.yaml"), ("rollout", "ro", "cand", False, True)]
    calls.clear()
    rollout_run.bring_up_and_roll_out(state.LabPaths("ro"), None, None, None, None, resume=True, drain=False)
    assert calls == [("rollout", "ro", None, True, False)]


def test_a_rehearsal_refuses_a_lab_with_faults_before_it_starts(lab, tmp_path):
    from lab.workflows.rehearsal import RehearsalKind, rehearse_recorded

    lab.faults.drain_plane(1, "r1")
    with pytest.raises(LabError, match="active faults or drains"):
        rehearse_recorded(lab, tmp_path, RehearsalKind.NODE, node="r1-bag1")
    assert not lab.timeline_open and not (tmp_path / "rehearsal").exists()


def test_probing_a_lab_without_protected_links_is_refused(mini, tmp_path):
    from types import SimpleNamespace

    from lab.observe.probes.macsec import probe_protected

    plain = SimpleNamespace(links=[l for l in mini.links if not l.a.wire])     # only the links are read
    with pytest.raises(LabError, match="no MACsec-protected link"):
        probe_protected(plain, state.LabPaths("x"), 1)
