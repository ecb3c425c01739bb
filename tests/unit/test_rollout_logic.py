"""The rollout's pure parts: who runs which policy, the journal, bindings handed to frr-reload.py,
when a loss happened, sessions named by their ends, verdicts and the reports (no lab, no root)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from lab.config.policy import without_superseded
from lab.config.render import sessions
from lab.errors import LabError
from lab.workflows.rollout import journal, report
from lab.workflows.rollout.phase import PhaseResult, loss_window
from lab.workflows.rollout.phases import Phase
from lab.workflows.rollout.run import RolloutReport
from lab.workflows.rollout.sessions import reset
from lab.state import LabPaths, LabState, node_policies, policy_dir_of, set_node_policy


@pytest.fixture
def paths(fake_lab):
    fake_lab("rlu")
    p = LabPaths("rlu")
    LabState.update(p, policy="/pol/base")
    return p


def test_node_policies_track_who_runs_what(paths):
    assert policy_dir_of(paths, "r1-bag1") == "/pol/base"
    set_node_policy(paths, ["r1-bag1", "r2-bag2"], "/pol/cand")
    assert policy_dir_of(paths, "r1-bag1") == "/pol/cand" and policy_dir_of(paths, "r1-bag2") == "/pol/base"
    set_node_policy(paths, ["r1-bag1"], "/pol/base")        # back on the lab's own: leaves the map
    assert node_policies(paths) == {"r2-bag2": "/pol/cand"}


def test_journal_round_trip_and_refuses_a_second_rollout_while_half_done(paths):
    phases = [Phase("one", ("r1-bag1",), False), Phase("two", ("r2-bag1",), True)]
    rec = journal.new(paths, "/pol/base", "/pol/cand", "p.yaml", None, False, phases)
    assert journal.read(paths).phase_list() == phases
    assert oct(journal.path(paths).stat().st_mode & 0o777) == "0o600"
    rec.done, rec.status = [0], "interrupted"
    journal.write(paths, rec)
    set_node_policy(paths, ["r1-bag1"], "/pol/cand")
    with pytest.raises(LabError, match="half rolled out.*--resume.*rollback"):
        journal.new(paths, "/pol/base", "/pol/other", "p.yaml", None, False, phases)
    set_node_policy(paths, ["r1-bag1"], "/pol/base")
    assert journal.new(paths, "/pol/base", "/pol/other", "p.yaml", None, False, phases).candidate == "/pol/other"


def test_an_unreadable_journal_is_named(paths):
    journal.path(paths).write_text("{not json")
    with pytest.raises(LabError, match="rollout journal .* unreadable"):
        journal.read(paths)


def test_frr_reload_gets_only_the_bindings_in_force():
    text = "\n".join(["router bgp 1", " address-family ipv4 unicast", "  neighbor 10.0.0.1 route-map T out",
                      "  neighbor 10.0.0.1 route-map FROM-PEER in", " exit-address-family",
                      " address-family ipv6 unicast", "  neighbor 2001:db8::1 route-map T out", " exit-address-family",
                      "exit", "route-map T permit 10", "exit", "router bgp 1", " address-family ipv4 unicast",
                      "  neighbor 10.0.0.1 route-map T-DRAIN out", " exit-address-family", "exit", ""])
    got = without_superseded(text)
    assert "route-map T out" not in got.split("address-family ipv6")[0]     # the drained binding replaced it
    assert "neighbor 10.0.0.1 route-map T-DRAIN out" in got
    assert "neighbor 2001:db8::1 route-map T out" in got                     # another family: kept
    assert "neighbor 10.0.0.1 route-map FROM-PEER in" in got                 # another direction: kept
    assert without_superseded(got) == got


def test_loss_window_ignores_packets_in_flight():
    steady = [[t / 2, 150 * t, 150 * t - 2] for t in range(10)]
    assert loss_window(steady, 300) is None
    lossy = [[0.0, 0, 0], [0.5, 150, 150], [1.0, 300, 200], [1.5, 450, 250], [2.0, 600, 400], [2.5, 750, 550]]
    assert loss_window(lossy, 300) == [1.0, 1.5]


def test_a_reset_is_named_once_by_its_two_ends(mini):
    bag2 = [s for s in sessions(mini, mini.node("r2-bag2")) if s.peer == "r2-f3-p1s2"]
    back = sessions(mini, mini.node("r2-f3-p1s2"))
    addr_back = next(s.addr for s in back if s.peer == "r2-bag2" and s.family == "ipv4")
    before = {("r2-bag2", bag2[0].addr): (1, 0), ("r2-f3-p1s2", addr_back): (1, 0), ("r1-bag1", "x"): (1, 0)}
    after = {("r2-bag2", bag2[0].addr): (2, 1), ("r2-f3-p1s2", addr_back): (2, 1), ("r1-bag1", "x"): (1, 0)}
    assert reset(mini, before, after) == [f"r2-bag2 ~ r2-f3-p1s2 (ipv4, link {bag2[0].link})"]
    assert reset(mini, before, before) == []


def _phase(name, status, **kw) -> PhaseResult:
    return PhaseResult(name, ["r1-bag1"], False, "/pol/cand", status=status, **kw)


def _report(action, *phases, not_run=()) -> RolloutReport:
    return RolloutReport(action, "bag-mini", "rlu", "/pol/base", "/pol/cand", "p.yaml", None, list(phases),
                         list(not_run))


def test_verdicts_and_exit_codes():
    assert _report("rollout", _phase("a", "PASS"), _phase("b", "PASS")).exit_code == 0
    assert _report("rollout", _phase("a", "PASS"), _phase("b", "FAIL"), not_run=["c"]).exit_code == 1
    assert _report("rollout", _phase("a", "INCONCLUSIVE")).exit_code == 3
    assert _report("rollout").exit_code == 3                     # nothing ran: nothing proven
    # a rollback starts from whatever broke; it is judged by the baseline it ends in
    assert _report("rollback", _phase("a", "FAIL"), _phase("b", "PASS")).exit_code == 0
    assert _report("rollback", _phase("a", "PASS"), _phase("b", "FAIL")).exit_code == 1


def test_reports_name_the_failing_phase_and_its_loss(tmp_path):
    bad = _phase("spoke plane 2", "FAIL", problems=["242 of 3267 probe packets lost (r2-f3-p1s2 -> x: 30)"],
                 lost=242, sent=3267, sessions_reset=["r2-bag2 ~ r2-f3-p1s2 (ipv4, link 9)"], loss_window_s=[4.3, 12.4],
                 events=[[1.9, "reload"], [4.3, "reloaded"]], samples=[[0.5, 100, 100], [5.0, 1000, 800]])
    rep = _report("rollout", _phase("canary", "PASS"), bad, not_run=["hub"])
    lines = report.problems(rep)
    assert any("spoke plane 2: 242 of 3267" in line for line in lines)
    assert any("sessions reset: r2-bag2 ~ r2-f3-p1s2" in line for line in lines)
    assert any("between 4.3 s and 12.4 s" in line and "reload at 1.9 s" in line for line in lines)
    suite = ET.fromstring(report.junit(rep).split("?>", 1)[1]).find("testsuite")
    assert suite.get("failures") == "1" and suite.get("skipped") == "1"
    assert [c.get("name") for c in suite.iter("testcase")] == ["canary", "spoke plane 2", "hub"]
    assert json.loads(report.write_json(rep, tmp_path / "r.json").read_text())["exit_code"] == 1
    page = report.write_html(rep, tmp_path / "r.html").read_text()
    assert page.count("data:image/png;base64,") == 2 and "not run" in page


def _main(capsys, *args: str) -> tuple[int, str]:
    from lab import cli

    with pytest.raises(SystemExit) as exc:
        cli.main(list(args))
    return exc.value.code, capsys.readouterr().err


def test_cli_rollout_needs_its_inputs_and_rollback_needs_a_rollout(paths, capsys):
    code, err = _main(capsys, "rollout", "--name", "rlu")
    assert code == 2 and "needs TOPOLOGY, --phases and --candidate or --frr (or --resume)" in err
    code, err = _main(capsys, "rollout", "--resume", "--name", "rlu")
    assert code == 2 and "no unfinished rollout to resume" in err
    code, err = _main(capsys, "rollback", "--name", "rlu")
    assert code == 2 and "nothing to roll back" in err


def test_a_phase_name_with_dollars_draws_as_written():
    from lab.workflows.rollout.report import timeline_png
    # unescaped, matplotlib reads '$\frac{$' as TeX and fails to draw
    png = timeline_png(_phase("canary $\\frac{$ 5%", "PASS"))
    assert png.startswith(b"\x89PNG")


def test_a_broken_step_fails_the_phase_whatever_its_words():
    from lab.workflows.rollout.phase import decide

    quiet = _phase("p", "PASS", problems=["never quiet after the reload: r1-bag1 kept changing"])
    decide(quiet, [])
    assert quiet.status == "INCONCLUSIVE"
    # the verdict follows the step, not the wording of the problem it left
    broken = _phase("p", "PASS", problems=["r1-bag1: could not apply the candidate"], broken=["reload"])
    decide(broken, [])
    assert broken.status == "FAIL"
    clean = _phase("p", "PASS")
    decide(clean, [])
    assert clean.status == "PASS"
