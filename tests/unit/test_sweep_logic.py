"""The sweep's pure parts: which failures exist, which pairs are probed, how splits and diffs are judged."""
from __future__ import annotations

import json
from collections import Counter

from lab import sweep
from lab.plan import build_plan
from lab.probes.flows import Round, split_problems
from lab.topology import load

from ..conftest import TOPOLOGIES


def test_every_single_failure_is_enumerated_once():
    p = build_plan(load(TOPOLOGIES / "bag-mini.yaml"))
    cs = sweep.cases(p)
    kinds = Counter(c.kind for c in cs)
    net_links = [l for l in p.links if l.kind != "collector"]
    assert kinds["link"] == len(net_links)
    assert kinds["node"] == sum(1 for n in p.nodes if n.role != "collector")
    assert kinds["bundle"] == sum(1 for b in {l.bundle for l in net_links}
                                  if sum(1 for l in net_links if l.bundle == b) > 1)
    # planes: each region's planes, plus each plane everywhere
    assert kinds["plane"] == 2 * 2 + 2
    assert kinds["data_hall"] == len({n.data_hall for n in p.nodes if n.data_hall})
    assert len({(c.kind, c.target) for c in cs}) == len(cs)


def test_probe_pairs_cover_every_ordered_pair_of_fabrics_in_both_families():
    p = build_plan(load(TOPOLOGIES / "bag-mini.yaml"))
    pairs = sweep.sample_pairs(p)
    fabrics = {(n.region, n.fabric) for n in p.nodes if n.fabric}
    assert len(pairs) == len(fabrics) * (len(fabrics) - 1)
    assert {":" in prefix for _, prefix in pairs} == {True, False}
    for srcs, prefix in pairs:
        assert all(s.fabric == srcs[0].fabric for s in srcs) and prefix not in srcs[0].prefixes


def test_split_judgement_is_statistical_and_names_the_router():
    r = Round("a", "198.19.0.0/24", 400, 400, 0, {"r1": {"x": 300, "y": 100}})
    assert split_problems(r, {"r1": {"x": 75, "y": 25}}, {"r1": {"x": 75, "y": 25}}) == []
    bad = split_problems(r, {"r1": {"x": 75, "y": 25}}, {"r1": {"x": 50, "y": 50}})
    assert bad and bad[0].startswith("r1 198.19.0.0/24 via x: 75% of 400 flows, expected 50%")
    lost = Round("a", "198.19.0.0/24", 400, 390, 10, {})
    assert split_problems(lost, {}, {}) == ["a -> 198.19.0.0/24: 10 of 400 packets never arrived (10 expired in a loop)"]


def test_policy_diff_reports_what_changes():
    a = sweep.SweepReport("t", 0, items=[sweep.Item("link", "x#1"), sweep.Item("node", "n", cut_off=["s -> p"])])
    b = sweep.SweepReport("t", 0, items=[sweep.Item("link", "x#1", violations=["blackhole: s -> p"]),
                                        sweep.Item("node", "n")])
    d = sweep.diff(a, b)
    assert "link x#1: NEW blackhole: s -> p" in d and "node n: no longer cut off: s -> p" in d
    assert sweep.diff(a, a) == []
    row = {"source": "s", "prefix": "p", "router": "r1", "flows": 1, "share": 0.5, "installed_weight": 1}
    a.splits = [dict(row, next_hop="x", expected_weight=50), dict(row, next_hop="y", expected_weight=50)]
    b.splits = [dict(row, next_hop="x", expected_weight=75), dict(row, next_hop="y", expected_weight=25)]
    d = sweep.diff(a, b)
    assert "steady state: r1 p (from s) via x: 50% -> 75%" in d and "steady state: r1 p (from s) via y: 50% -> 25%" in d


def test_report_files_name_every_failure_and_violation(tmp_path):
    rep = sweep.SweepReport("bag-mini", 0, seconds=12.0, steady=[],
                            splits=[{"source": "s", "prefix": "p", "router": "r1", "next_hop": "x", "flows": 3,
                                     "share": 0.75, "installed_weight": 75, "expected_weight": 75}],
                            items=[sweep.Item("link", "a~b#1", 120.0, 2000.0),
                                   sweep.Item("node", "r1-bag1", violations=["blackhole: s -> p <lost>"])])
    j, h = sweep.write(rep, tmp_path)
    doc = json.loads(j.read_text())
    assert doc["violations"] == 1 and [i["target"] for i in doc["items"]] == ["a~b#1", "r1-bag1"]
    page = h.read_text()
    assert "a~b#1" in page and "blackhole: s -&gt; p &lt;lost&gt;" in page and "<td>75%</td>" in page
