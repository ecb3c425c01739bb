"""The sweep's pure parts: which failures exist, which pairs are probed, how splits and diffs are judged."""
from __future__ import annotations

import json
from collections import Counter

from lab.workflows import sweep
from lab.observe.probes.flows import Round, gaps, split_problems, split_rows



def test_every_single_failure_is_enumerated_once(mini):
    p = mini
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


def test_probe_pairs_cover_every_ordered_pair_of_fabrics_in_both_families(mini):
    p = mini
    pairs = sweep.sample_pairs(p)
    fabrics = {(n.region, n.fabric) for n in p.nodes if n.fabric}
    assert len(pairs) == len(fabrics) * (len(fabrics) - 1)
    assert {":" in prefix for _, prefix in pairs} == {True, False}
    for srcs, prefix in pairs:
        assert all(s.fabric == srcs[0].fabric for s in srcs) and prefix not in srcs[0].prefixes


def test_split_judgement_is_statistical_and_names_the_router():
    r = Round("a", "198.19.0.0/24", 1600, 1600, 0, {"r1": {"x": 1200, "y": 400}})
    assert split_problems(r, {"r1": {"x": 75, "y": 25}}, {"r1": {"x": 75, "y": 25}}) == []
    bad = split_problems(r, {"r1": {"x": 75, "y": 25}}, {"r1": {"x": 50, "y": 50}})
    assert bad and bad[0].startswith("r1 198.19.0.0/24 via x: 75% of 1600 flows, expected 50% +-5%")
    lost = Round("a", "198.19.0.0/24", 400, 390, 10, {})
    assert split_problems(lost, {}, {}) == ["a -> 198.19.0.0/24: 10 of 400 packets never arrived (10 expired in a loop)"]


def test_a_split_of_56_flows_is_not_passed_as_50_50():
    """34 %/66 % over 56 flows is inside +-4 sigma of 50/50: too few flows to tell, so not a pass."""
    r = Round("a", "198.19.2.0/24", 56, 56, 0, {"r1": {"x": 19, "y": 37}})
    bad = split_problems(r, {"r1": {"x": 50, "y": 50}}, {"r1": {"x": 50, "y": 50}})
    assert bad == ["r1 198.19.2.0/24: only 56 flows, too few to judge its split to +-5 points (needs 1600)"]
    rows = split_rows(r, {"r1": {"x": 50, "y": 50}}, {"r1": {"x": 50, "y": 50}})
    assert {w["verdict"] for w in rows} == {"too few flows"} and rows[0]["tolerance"] > 0.25


def test_a_planted_60_40_skew_fails_and_an_even_split_passes():
    even = {"r1": {"x": 50, "y": 50}}
    skew = Round("a", "p", 1600, 1600, 0, {"r1": {"x": 960, "y": 640}})
    rows = split_rows(skew, even, even)
    assert [w["verdict"] for w in rows] == ["skewed", "skewed"] and abs(rows[0]["tolerance"] - 0.05) < 1e-9
    assert len(split_problems(skew, even, even)) == 2
    fair = Round("a", "p", 1600, 1600, 0, {"r1": {"x": 830, "y": 770}})     # 51.9 %: 1.5 sigma
    assert split_problems(fair, even, even) == []
    assert {w["verdict"] for w in split_rows(fair, even, even)} == {"ok"}


def test_a_router_with_one_next_hop_needs_no_flow_count():
    r = Round("a", "p", 10, 10, 0, {"r1": {"x": 10}})
    assert split_problems(r, {"r1": {"x": 1}}, {"r1": {"x": 1}}) == []


def test_flows_per_pair_come_from_the_least_travelled_splitting_router(mini):
    from lab.config.oracle import expected_routes
    from lab.observe.probes.flows import target
    from lab.observe.probes.precision import flows_for, flows_for_pair, reach_shares

    p = mini
    exp = expected_routes(p)
    dst = target(p.node("r2-f3-p1s1").prefixes_v4[0])
    shares = reach_shares(exp, "r1-f2-edge", dst)
    prefix = p.node("r2-f3-p1s1").prefixes_v4[0]
    ends = [x for node, x in shares.items() if not exp.get(node, {}).get(prefix)]
    assert shares["r1-f2-edge"] == 1.0 and abs(sum(ends) - 1.0) < 1e-9       # every flow ends somewhere
    n = flows_for_pair(exp, "r1-f2-edge", dst)
    splitting = [x for node, x in shares.items() if len(exp[node].get(prefix, [])) > 1]
    assert min(splitting) < 0.5            # a plane with a third of the traffic: more flows than 1,600
    assert n >= flows_for(5) and all(n * x >= flows_for(5) - 1 for x in splitting)


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
    assert "steady state: r1 p (from s) via x: 50% -> 75% (sampled prefixes only)" in d
    assert "steady state: r1 p (from s) via y: 50% -> 25% (sampled prefixes only)" in d


def test_policy_diff_names_every_prefix_the_oracle_moves_not_only_the_sampled_ones(mini):
    """transit_bandwidth: link moves r1-f2-edge's shares for 198.19.2.0/24 as much as for
    2001:db8:1000:200::/56, although the probes sample only one of them."""
    cand = mini.model_copy(update={"transit_bandwidth": "link"})
    a = sweep.SweepReport("t", 0, designed=sweep.designed_shares(mini))
    b = sweep.SweepReport("t", 0, designed=sweep.designed_shares(cand))
    d = sweep.diff(a, b)
    assert any(line.startswith("steady state: r1-f2-edge 198.19.2.0/24 via ") for line in d), d
    assert any(line.startswith("steady state: r1-f2-edge 2001:db8:1000:200::/56 via ") for line in d), d
    assert sweep.diff(a, a) == []


def test_report_files_name_every_failure_and_violation(tmp_path):
    rep = sweep.SweepReport("bag-mini", 0, seconds=12.0, steady=[],
                            splits=[{"source": "s", "prefix": "p", "router": "r1", "next_hop": "x", "flows": 1234,
                                     "share": 0.75, "installed_weight": 75, "expected_weight": 75,
                                     "tolerance": 0.049, "verdict": "ok"},
                                    {"source": "s", "prefix": "p", "router": "r2", "next_hop": "y", "flows": 19,
                                     "share": 0.34, "installed_weight": 50, "expected_weight": 50,
                                     "tolerance": 0.267, "verdict": "too few flows"}],
                            items=[sweep.Item("link", "a~b#1", 120.0, 2000.0),
                                   sweep.Item("node", "r1-f2-edge", cut_off=["r1-f1-p1s1 -> 198.19.2.0/24"]),
                                   sweep.Item("node", "r1-bag1", violations=["blackhole: s -> p <lost>"])])
    j, h = sweep.write(rep, tmp_path)
    doc = json.loads(j.read_text())
    assert doc["violations"] == 1 and [i["target"] for i in doc["items"]] == ["a~b#1", "r1-f2-edge", "r1-bag1"]
    page = h.read_text()
    assert "a~b#1" in page and "blackhole: s -&gt; p &lt;lost&gt;" in page and ">75%</td>" in page
    # the pairs cut off are named, not counted; "none" is explained; each split row has tolerance and verdict
    assert "r1-f1-p1s1 -&gt; 198.19.2.0/24" in page and '"none": every pair stayed' in page
    assert "&plusmn;5%" in page and "&plusmn;27%" in page and ">too few flows</td>" in page and ">ok</td>" in page


def test_a_blackhole_is_placed_at_the_router_behind_the_loss(mini):
    plan = mini
    up = plan.links_of("r1-bag1")[0]
    a, b = up.a, up.b
    split = {a.node: {a.ifname: 100}, b.node: {}}
    assert gaps(plan, a.node, split, {a.node: 0, b.node: 70}) == {b.node: 30}
    assert gaps(plan, a.node, split, {a.node: 0, b.node: 100}) == {}
    r = Round(a.node, "p", 100, 70, 0, split, {b.node: 30})
    assert any(f"inside {b.node}: 30" in p for p in split_problems(r, {}, {}))
