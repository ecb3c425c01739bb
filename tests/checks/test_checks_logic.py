"""Unit: intent files (located errors, names against the plan), the ideal share rule, exit codes
and the report writers.  No lab, no root."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from lab.verdict.checks import capacity, names
from lab.verdict.checks.report import junit, page, write_html, write_json, write_junit
from lab.workflows.check import load
from lab.verdict.checks.schema import load_intents
from lab.verdict.checks.verdict import CheckReport, Verdict, exit_code
from lab.errors import TopologyError

from ..conftest import TOPOLOGIES
from ..plans import plan_of


def _intents(tmp_path, text: str):
    p = tmp_path / "intents.yaml"
    p.write_text(text)
    return p


def test_unknown_key_is_located(tmp_path):
    p = _intents(tmp_path, "reachability:\n  families: [ipv4]\nshares:\n  - at: r2-bag1\n    fabirc: f1\n")
    with pytest.raises(TopologyError) as e:
        load_intents(p)
    assert f"{p}:5" in str(e.value) and "fabirc" in str(e.value)


def test_unknown_fabric_names_file_line_and_known(tmp_path, mini):
    p = _intents(tmp_path, "shares:\n  - at: r2-bag1\n    fabric: f4\n")
    with pytest.raises(TopologyError) as e:
        load(mini, p)
    msg = str(e.value)
    assert f"{p}:3" in msg and "unknown fabric 'f4'" in msg and "r1-f1" in msg


def test_unknown_router_suggests_nearest(tmp_path, mini):
    p = _intents(tmp_path, "shares:\n  - at: [r2-bag1, r2-bga2]\n    fabric: f1\n")
    with pytest.raises(TopologyError) as e:
        load(mini, p)
    assert "unknown router 'r2-bga2'" in str(e.value) and "did you mean r2-bag2" in str(e.value)


def test_unknown_plane_and_link(tmp_path, mini):
    p = _intents(tmp_path, "drains:\n  - plane: 3\n")
    with pytest.raises(TopologyError, match=r"unknown plane '3'.*known: 1, 2"):
        load(mini, p)
    p = _intents(tmp_path, "drains:\n  - link: r1-bag1~r2-bag1#7\n")
    with pytest.raises(TopologyError, match=r":2.*unknown link"):
        load(mini, p)


def test_shipped_intent_files_resolve():
    for f in sorted((TOPOLOGIES / "intents").glob("*.yaml")):
        plan = plan_of(f.name)
        assert load(plan, f).model is not None


def test_fabric_names_short_and_qualified(mini):
    assert names.fabric(mini, "f1") == "r1-f1" and names.fabric(mini, "r2-f3") == "r2-f3"
    assert names.fabric(mini, "f9") is None


def test_ideal_shares_thick_bundle(mini):
    assert capacity.ideal_shares(mini, "r2-bag1", "r1-f1") == pytest.approx({"r1-bag1": 75, "r1-bag2": 25})
    assert capacity.ideal_shares(mini, "r2-bag1", "r1-f1", by="plane") == pytest.approx({"1": 75, "2": 25})
    assert capacity.ideal_shares(mini, "r2-bag1", "r1-f1", by="region") == pytest.approx({"r1": 100})


def test_ideal_shares_after_a_member_link_fails(mini):
    dead = next(l.id for l in mini.links if l.bundle == "r1-bag1~r2-bag1" and l.member == 1)
    got = capacity.ideal_shares(mini, "r2-bag1", "r1-f1", dead_links=frozenset({dead}))
    assert got == pytest.approx({"r1-bag1": 200 / 3, "r1-bag2": 100 / 3})


def test_ideal_shares_capped_by_what_lies_behind(mini):
    # the DSF edge pod's 400G uplinks limit it; the spoke is reached 50/50 over its two BAG planes
    assert capacity.ideal_shares(mini, "r1-f2-edge", "r2-f3") == pytest.approx({"r1-bag1": 50, "r1-bag2": 50})


def test_no_path_through_a_region_back_into_it(mini):
    # r1-bag1 without its uplinks to the edge pod: r1-bag2 shares its ASN, so r2 cannot lead there
    dead = frozenset(l.id for l in mini.links if l.bundle == "r1-f2-edge~r1-bag1")
    assert not capacity.connected(mini, "r1-f1-p1s1", "r1-f2", dead_links=dead)
    assert capacity.connected(mini, "r1-f1-p1s2", "r1-f2", dead_links=dead)
    assert capacity.ideal_shares(mini, "r1-bag1", "r1-f2", dead_links=dead) == {}


def test_exit_codes():
    v = lambda s: Verdict("x", "k", s, "")       # noqa: E731
    assert exit_code([v("PASS"), v("PASS")]) == 0
    assert exit_code([v("PASS"), v("FAIL"), v("INCONCLUSIVE")]) == 1
    assert exit_code([v("PASS"), v("INCONCLUSIVE")]) == 3
    assert exit_code([]) == 3


def _report() -> CheckReport:
    return CheckReport("bag-mini", "pc1", "i.yaml", [
        Verdict("quiet", "quiet", "PASS", "quiet after 2 s"),
        Verdict("shares:r2-bag1->r1-f1", "shares", "FAIL", "r2-bag1: expected 50 %, observed 75 % <&>",
                {"expected": {"r1-bag1": 50}}),
        Verdict("sweep:node:r1-bag1", "sweep", "INCONCLUSIVE", "never quiet")], seconds=3.0)


def test_junit_parses_with_one_testcase_per_check(tmp_path):
    root = ET.fromstring(junit(_report()).split("?>", 1)[1])
    cases = root.findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == ["quiet", "shares:r2-bag1->r1-f1", "sweep:node:r1-bag1"]
    assert cases[1].find("failure").get("message").startswith("r2-bag1: expected 50 %")
    assert "r1-bag1" in cases[1].find("failure").text and cases[2].find("error") is not None
    assert root.find("testsuite").get("failures") == "1" and root.find("testsuite").get("errors") == "1"
    write_junit(_report(), tmp_path / "c.xml")
    ET.parse(tmp_path / "c.xml")


def test_json_and_html(tmp_path):
    d = json.loads(write_json(_report(), tmp_path / "c.json").read_text())
    assert d["exit_code"] == 1 and d["counts"] == {"PASS": 1, "FAIL": 1, "INCONCLUSIVE": 1}
    assert d["verdicts"][1]["evidence"] == {"expected": {"r1-bag1": 50}}
    text = write_html(_report(), tmp_path / "c.html").read_text()
    assert "&lt;&amp;&gt;" in text and "<&>" not in page(_report()).split("<table>")[1] and "exit code 1" in text


def test_a_fabric_name_in_several_regions_must_be_qualified(tmp_path, two_region):
    plan = two_region
    p = _intents(tmp_path, "reachability:\n  except:\n    - {from: f1, to: r2-d1}\n")
    with pytest.raises(TopologyError, match=r":3: reachability.except\[0\].from: fabric 'f1' is in several regions "
                                            r"\(r1-f1, r2-f1\)"):
        load(plan, p)


def test_probe_pairs_follow_the_plan_graph(mini):
    from lab.verdict.checks.reach import plan_pairs

    all_ = plan_pairs(mini, ["ipv4", "ipv6"], set())
    assert len(all_) == 12 and all(p.expected for p in all_)
    assert len({p.port for p in all_}) == 12
    without_pod = plan_pairs(mini, ["ipv4", "ipv6"], set(), dead_nodes=frozenset({"r1-f2-edge"}))
    assert sorted(p.pair for p in without_pod if not p.expected) == [
        "r1-f1->r1-f2:ipv4", "r1-f1->r1-f2:ipv6", "r2-f3->r1-f2:ipv4", "r2-f3->r1-f2:ipv6"]
    assert not any(p.src_fabric == "r1-f2" for p in without_pod)
    skipped = plan_pairs(mini, ["ipv4"], {("r1-f1", "r2-f3")})
    assert "r1-f1->r2-f3:ipv4" not in {p.pair for p in skipped} and len(skipped) == 5


def test_flow_count_from_tolerance_and_comparison():
    from lab.verdict.checks.shares import compare, flows_for, grouped

    assert flows_for(5) == 1600 and flows_for(2) == 10000 and flows_for(0.1) == 20000
    got = grouped({"a-1": 30, "a-2": 45, "b-1": 25}, {"a-1": "a", "a-2": "a", "b-1": "b"})
    assert got == pytest.approx({"a": 75, "b": 25})
    assert compare({"a": 75, "b": 25}, got, 2) == []
    assert compare({"a": 50, "b": 50}, got, 5) == ["a: expected 50.0 %, observed 75.0 %",
                                                   "b: expected 50.0 %, observed 25.0 %"]
    assert compare({"a": 100}, got, 5)[1].startswith("b: expected 0.0 %")


def test_probe_pairs_leave_out_emulated_fabrics_which_have_no_kernel_to_count_in():
    from lab.verdict.checks.reach import plan_pairs
    from tests.plans import plan_of

    pairs = plan_pairs(plan_of("bag-prod"), ["ipv4"], set())
    fabrics = {p.src_fabric for p in pairs} | {p.dst_fabric for p in pairs}
    assert fabrics == {f"r{r}-{f}" for r in range(1, 5) for f in ("f1", "d1")} and len(pairs) == 8 * 7
