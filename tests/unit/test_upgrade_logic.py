"""The upgrade rehearsal's pure parts: who runs which FRR version (state.json, the plan the lab runs),
what one upgrade step selects, what a rollout or rollback moves, how an upgrade is reported and
reloaded with the router's own frr-reload.py (no lab, no root)."""
from __future__ import annotations

from pathlib import Path

import pytest

from lab.errors import LabError
from lab.frr.roots import host_version
from lab.workflows.rollout import journal
from lab.workflows.rollout.phase import Setup, upgrading
from lab.workflows.rollout.phases import Phase, select, step_spec
from lab.frr.reload import _reload_argv, reload_script
from lab.workflows.rollout.run import rollback_targets, upgrade_targets
from lab.workflows.rollout.upgrade import UpgradeResult
from lab.session import Lab
from lab.state import (LabPaths, LabState, load_built_plan, load_plan, node_versions, same_version,
                       set_node_version, with_versions)
from lab.workflows.status import mixed_versions_line, running_versions


@pytest.fixture
def paths(fake_lab):
    fake_lab("ugu")
    p = LabPaths("ugu")
    LabState.update(p, policy="/pol/base")
    return p


def test_versions_recorded_and_the_running_plan_carries_them(paths):
    built = load_built_plan(paths)
    assert built.node("r1-bag1").frr is None and node_versions(paths) == {}
    set_node_version(paths, built, ["r1-bag1", "r2-bag1"], "10.3")
    assert node_versions(paths) == {"r1-bag1": "10.3", "r2-bag1": "10.3"}
    running = load_plan(paths)
    assert running.node("r1-bag1").frr == "10.3" and running.node("r1-bag2").frr is None
    assert load_built_plan(paths).node("r1-bag1").frr is None      # plan.json itself is never rewritten
    # back on the version it was built with (None: the host's): leaves the map, like node_policies
    set_node_version(paths, built, ["r1-bag1"], host_version())
    assert node_versions(paths) == {"r2-bag1": "10.3"}
    set_node_version(paths, built, ["r2-bag1"], "10.7")
    assert load_plan(paths).node("r2-bag1").frr == "10.7"


def test_same_version_reads_none_as_the_hosts():
    assert same_version(None, host_version()) and same_version("10.3", "10.3")
    assert not same_version(None, "10.3") and not same_version("10.3", "10.7")


def test_with_versions_changes_only_the_routers_named(mini):
    assert with_versions(mini, {}) is mini
    p = with_versions(mini, {"r1-bag1": "10.7"})
    assert [n.name for n in p.nodes if n.frr] == ["r1-bag1"]
    assert p.digest() != mini.digest() and len(p.nodes) == len(mini.nodes)


def test_step_selects_a_plane_a_region_or_routers(mini):
    assert select(mini, step_spec("plane", "1")) == ["r1-bag1", "r2-bag1"]
    assert select(mini, step_spec("plane", "r2/2")) == ["r2-bag2"]
    assert step_spec("plane", "r2/2").name == "BAG plane r2/2"
    assert set(select(mini, step_spec("region", "r2"))) == {"r2-bag1", "r2-bag2", "r2-f3-p1s1", "r2-f3-p1s2",
                                                                 "r2-f3-p2s1", "r2-f3-p2s2"}
    assert select(mini, step_spec("r1-f2-edge", None)) == ["r1-f2-edge"]
    assert select(mini, step_spec("r1-f1-p1*", None)) == ["r1-f1-p1s1", "r1-f1-p1s2"]


@pytest.mark.parametrize("what, value, msg", [
    ("plane", None, "'plane' needs a value"), ("region", "", "'region' needs a value"),
    ("plane", "x", "a BAG plane is a number"), ("plane", "0", "a BAG plane is a number"),
    ("r1-bag1", "2", "give 'plane P', 'region R' or one router name"),
])
def test_step_refuses_what_it_cannot_read(what, value, msg):
    with pytest.raises(LabError, match=msg):
        step_spec(what, value)


def test_step_that_selects_nothing_says_so(mini):
    with pytest.raises(LabError, match="'BAG plane 3' selects no router"):
        select(mini, step_spec("plane", "3"))
    with pytest.raises(LabError, match="'r9-bag1' selects no router"):
        select(mini, step_spec("r9-bag1", None))


def test_targets_of_an_upgrade_and_of_its_rollback(paths):
    phases = [Phase("one", ("r1-bag1", "r2-bag1"), True), Phase("two", ("r1-bag2",), True)]
    assert upgrade_targets(phases, None) is None
    assert upgrade_targets(phases, "10.3") == {"r1-bag1": "10.3", "r2-bag1": "10.3", "r1-bag2": "10.3"}
    built = load_built_plan(paths)
    assert rollback_targets(built, paths) is None      # nothing upgraded: a policy rollback
    set_node_version(paths, built, ["r1-bag1"], "10.3")
    assert rollback_targets(built, paths) == {"r1-bag1": host_version()}


def test_upgrading_names_only_routers_whose_version_changes(paths):
    plan = with_versions(load_built_plan(paths), {"r2-bag1": "10.3"})
    setup = Setup(Lab(paths, plan), versions={"r1-bag1": "10.3", "r2-bag1": "10.3"})
    assert upgrading(setup, ["r1-bag1", "r2-bag1", "r1-bag2"]) == ["r1-bag1"]
    assert upgrading(Setup(Lab(paths, plan)), ["r1-bag1"]) == []


def test_an_upgrade_is_reported_like_a_reload():
    got = UpgradeResult("r1-bag1", "8.4", "10.3", seconds=1.234, down_s=0.8).as_reload()
    assert got == {"node": "r1-bag1", "method": "upgrade 8.4 -> 10.3", "added": ["FRR 10.3"],
                   "removed": ["FRR 8.4"], "seconds": 1.23, "error": "", "down_s": 0.8}


def test_journal_keeps_the_upgrades_version_and_reads_older_records(paths):
    rec = journal.new(paths, "/pol/base", "/pol/base", "p.yaml", None, True, [Phase("one", ("r1-bag1",), True)],
                      frr="10.3")
    assert journal.read(paths).frr == "10.3" and rec.frr == "10.3"
    old = journal.path(paths).read_text().replace(',\n "frr": "10.3"', "")
    journal.path(paths).write_text(old)
    assert journal.read(paths).frr is None


def test_journal_refuses_a_new_rollout_while_versions_are_mixed(paths):
    journal.new(paths, "/pol/base", "/pol/base", "p.yaml", None, True, [Phase("one", ("r1-bag1",), True)], frr="10.3")
    set_node_version(paths, load_built_plan(paths), ["r1-bag1"], "10.3")
    with pytest.raises(LabError, match="half rolled out"):
        journal.new(paths, "/pol/base", "/pol/c", "p.yaml", None, False, [Phase("one", ("r1-bag1",), False)])


def test_reload_runs_the_routers_own_frr_reload(paths):
    host = _reload_argv(paths, "r1-bag1", "--test")
    assert host[0].endswith("frr-reload.py") and "unshare" not in host
    root = Path("/var/cache/baglab/frr-10.3/abc")
    own = _reload_argv(paths, "r1-bag1", "--test", root)
    assert own[:3] == ["unshare", "--mount", "--propagation"] and str(root) in own
    assert "/usr/lib/frr/frr-reload.py" in own and own[own.index("--bindir") + 1] == "/usr/bin"
    assert own[own.index("-N") + 1] == paths.netns("r1-bag1") and own[-2:] == host[-2:]
    assert reload_script(root) == root / "usr/lib/frr/frr-reload.py"


def test_status_names_a_mixed_lab(mini):
    assert mixed_versions_line(mini) is None
    mixed = with_versions(mini, {"r1-bag1": "10.3", "r2-bag1": "10.3"})
    assert running_versions(mixed)["10.3"] == ["r1-bag1", "r2-bag1"]
    line = mixed_versions_line(mixed)
    assert line.startswith("this lab runs mixed FRR versions: ") and "FRR 10.3 on 2 (r1-bag1, r2-bag1)" in line
    assert f"FRR {host_version()} on 11 " in line


def test_every_session_of_a_replaced_router_counts_as_reset(mini):
    from lab.workflows.rollout.sessions import of_routers
    got = of_routers(mini, ["r1-bag1", "r2-bag1"])
    assert "r1-bag1 ~ r2-bag1 (ipv4, link 12)" in got and "r2-bag1 ~ r2-f3-p1s1 (ipv6, link 8)" in got
    assert len(got) == len(set(got)) and not any("r1-bag2 ~ r2-bag2" in s for s in got)
    assert of_routers(mini, []) == []


def test_an_undrained_upgrade_keeps_single_homed_losses_apart():
    from lab.observe.probes.stream import PairResult
    from lab.workflows.rollout.phase import PhaseResult, _account
    res = PhaseResult("BAG plane 1", ["r1-bag1"], False, None)
    other = [PairResult("r1-f2-edge", "198.19.0.0/24", 57, 56, 0), PairResult("r1-f2-edge", "198.19.2.0/24", 57, 57, 0)]
    single = [PairResult("r1-f1-p1s1", "198.19.2.0/24", 50, 51, 19)]
    _account(res, other, single)
    assert (res.sent, res.lost, res.single_homed_lost) == (114, 1, 18)
    assert [p["prefix"] for p in res.lost_pairs] == ["198.19.0.0/24"]
    assert res.single_homed_pairs == [{"src": "r1-f1-p1s1", "prefix": "198.19.2.0/24", "lost": 18, "sent": 69}]


def test_a_phase_judges_each_change_by_its_fields_not_its_words(monkeypatch):
    """A router not tried (another failed first) is a failed change whose daemons were not
    replaced: its sessions are not counted as reset, whatever its error says."""
    from types import SimpleNamespace

    from lab.workflows.rollout import phase
    from lab.workflows.rollout.upgrade import UpgradeResult

    done = [UpgradeResult("r1-bag1", "8.4", "10.3", moved=True),
            UpgradeResult("r2-bag1", "8.4", "10.3", error="sessions not back within 30 s: r2-bag1", moved=True),
            UpgradeResult("r3-bag1", "8.4", "10.3", error="not upgraded: r2-bag1 failed first", skipped=True)]
    monkeypatch.setattr(phase, "upgrading", lambda setup, routers: list(routers))
    monkeypatch.setattr(phase, "upgrade_routers", lambda *a: done)
    setup = SimpleNamespace(versions={u.node: "10.3" for u in done}, faults=SimpleNamespace(), plan=None)
    changes = phase._change_all(setup, [u.node for u in done], None)
    assert [(c.report["node"], c.failed, c.restarted) for c in changes] == [
        ("r1-bag1", False, True), ("r2-bag1", True, True), ("r3-bag1", True, False)]
    assert changes[0].report == done[0].as_reload()         # the report's record, as before
