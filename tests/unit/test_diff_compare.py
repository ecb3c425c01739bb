"""compare() on hand-made snapshots: what counts as a difference, what is noise, what is intended."""
from __future__ import annotations

import copy

import pytest

from lab.verdict.checks.schema import IntendedChange
from lab.workflows.diff.compare import compare, flow_tolerance
from lab.workflows.diff.snapshot import Snapshot, _split_lb, best_path, grouped, json_stream
from lab.observe.fib import FibHop

P = "198.19.2.0/24"


def path(**kw) -> dict:
    base = {"as_path": [4200000001, 4200100002], "local_pref": None, "communities": [], "large_communities": [],
            "ext_communities": [], "link_bandwidth": [1600.0], "multipaths": 4}
    return {**base, **kw}


def flow(split: dict, sent: int = 256, delivered: int = 256, looped: int = 0) -> dict:
    return {"source": "r1-f2-edge", "prefix": P, "sent": sent, "delivered": delivered, "ttl_expired": looped,
            "split": split}


def snap(**kw) -> Snapshot:
    s = Snapshot("bag-mini", "pd-b", None, 0.0, {"ok": True}, {P: ["r2-f3"]},
                 fib={"r1-bag1": {P: {"r2-bag1": 0.75, "r2-bag2": 0.25}}, "r1-bag2": {P: {"r2-bag1": 1.0}}},
                 bgp={"r1-bag1": {P: path()}, "r1-bag2": {P: path()}},
                 flows={f"r1-f2-edge>{P}": flow({"r1-f2-edge": {"r1-bag1": 128, "r1-bag2": 128},
                                                 "r1-bag1": {"r2-bag1": 96, "r2-bag2": 32}})})
    for k, v in kw.items():
        setattr(s, k, v)
    return s


def changed(s: Snapshot, fn) -> Snapshot:
    c = copy.deepcopy(s)
    fn(c)
    return c


def test_identical_snapshots_have_no_difference():
    rep = compare(snap(), snap())
    assert (rep.intended, rep.unintended, rep.exit_code) == ([], [], 0)


def test_fib_change_is_reported_at_its_router_only():
    cand = changed(snap(), lambda c: c.fib["r1-bag1"].update({P: {"r2-bag1": 0.5, "r2-bag2": 0.5}}))
    rep = compare(snap(), cand)
    assert [(d.router, d.prefix, d.aspect) for d in rep.unintended] == [("r1-bag1", P, "fib")]
    assert rep.unintended[0].before == "r2-bag1 75% r2-bag2 25%" and rep.unintended[0].after == "r2-bag1 50% r2-bag2 50%"
    assert rep.exit_code == 1


def test_fib_rounding_is_not_a_change_but_a_lost_prefix_is():
    cand = changed(snap(), lambda c: c.fib["r1-bag1"].update({P: {"r2-bag1": 0.76, "r2-bag2": 0.24}}))
    assert compare(snap(), cand).unintended == []
    gone = changed(snap(), lambda c: c.fib["r1-bag2"].pop(P))
    (d,) = compare(snap(), gone).unintended
    assert (d.router, d.after) == ("r1-bag2", "absent")


def test_community_change_names_the_field():
    cand = changed(snap(), lambda c: c.bgp["r1-bag2"][P].update(large_communities=["4200000000:1:2"]))
    (d,) = compare(snap(), cand).unintended
    assert (d.router, d.aspect, d.detail, d.before, d.after) == \
        ("r1-bag2", "communities", "large_communities", "none", "4200000000:1:2")


def test_link_bandwidth_change_is_its_own_aspect():
    cand = changed(snap(), lambda c: c.bgp["r1-bag1"][P].update(link_bandwidth=[]))
    (d,) = compare(snap(), cand).unintended
    assert (d.aspect, d.before, d.after) == ("link_bandwidth", "1600.0", "none")


def test_flow_split_within_tolerance_is_noise():
    key = f"r1-f2-edge>{P}"
    cand = changed(snap(), lambda c: c.flows[key]["split"]["r1-bag1"].update({"r2-bag1": 90, "r2-bag2": 38}))
    assert compare(snap(), cand).unintended == []


def test_flow_split_beyond_tolerance_is_reported():
    key = f"r1-f2-edge>{P}"
    cand = changed(snap(), lambda c: c.flows[key]["split"]["r1-bag1"].update({"r2-bag1": 64, "r2-bag2": 64}))
    (d,) = compare(snap(), cand).unintended
    assert (d.router, d.aspect, d.source) == ("r1-bag1", "flows", "r1-f2-edge") and "r2-bag1 75%" in d.detail


def test_lost_packets_are_never_noise():
    key = f"r1-f2-edge>{P}"
    cand = changed(snap(), lambda c: c.flows[key].update(delivered=255))
    (d,) = compare(snap(), cand).unintended
    assert d.detail == "delivery" and d.after == "255/256 delivered"


def test_tolerance_shrinks_with_more_flows_but_never_below_the_floor():
    assert flow_tolerance(0.5, 100, 100) > flow_tolerance(0.5, 1000, 1000)
    assert flow_tolerance(0.5, 10**6, 10**6) == pytest.approx(0.05)


def test_intended_changes_match_node_fabric_and_aspect():
    cand = changed(snap(), lambda c: (c.bgp["r1-bag1"][P].update(communities=["65000:1"]),
                                      c.bgp["r1-bag2"][P].update(communities=["65000:1"]),
                                      c.bgp["r1-bag2"][P].update(link_bandwidth=[800.0])))
    tag = IntendedChange(nodes=["r1-bag*"], fabrics=["f3"], aspects=["communities"], why="new tag")
    rep = compare(snap(), cand, [tag])
    assert sorted((d.router, d.aspect) for d in rep.intended) == [("r1-bag1", "communities"), ("r1-bag2", "communities")]
    assert rep.intended[0].intended_by == "new tag"
    assert [(d.router, d.aspect) for d in rep.unintended] == [("r1-bag2", "link_bandwidth")]
    assert rep.exit_code == 1
    # a pattern for another fabric or another router does not excuse anything
    for other in (IntendedChange(nodes=["r2-*"], aspects=["communities"]),
                  IntendedChange(fabrics=["r1-f1"], aspects=["communities"])):
        assert compare(snap(), cand, [other]).intended == []


def test_a_lab_never_quiet_cannot_be_decided():
    rep = compare(snap(), snap(quiet={"ok": False, "why": "still changing after 60 s"}))
    assert rep.exit_code == 3 and "never went quiet" in rep.undecided[0]


def test_sweep_outcomes_compare_losses_convergence_and_fib():
    case = {"quiet": True, "convergence_ms": 300.0, "restore_ms": 900.0, "looped": 0,
            "delivered": {f"r1-f2-edge>{P}": {"sent": 16, "delivered": 16}},
            "fib": {"r1-bag1": {P: {"r2-bag2": 1.0}}}}
    base = snap(sweep={"node r2-bag1": case})
    same = snap(sweep={"node r2-bag1": changed(case, lambda c: c.update(convergence_ms=700.0))})
    assert compare(base, same).unintended == []
    worse = snap(sweep={"node r2-bag1": changed(case, lambda c: (c["delivered"][f"r1-f2-edge>{P}"].update(delivered=3),
                                                                 c.update(convergence_ms=4000.0)))})
    got = {(d.aspect, d.router, d.detail) for d in compare(base, worse).unintended}
    assert got == {("sweep", "r1-f2-edge", "during node r2-bag1"), ("sweep", "", "convergence after node r2-bag1")}


def test_fib_hops_group_by_neighbour():
    hops = [FibHop("r2-bag1-1", "a", 25), FibHop("r2-bag1-2", "b", 25), FibHop("r2-bag1-3", "c", 25),
            FibHop("r2-bag2-1", "d", 25)]
    nb = {"r2-bag1-1": "r2-bag1", "r2-bag1-2": "r2-bag1", "r2-bag1-3": "r2-bag1", "r2-bag2-1": "r2-bag2"}
    assert grouped(hops, nb) == {"r2-bag1": 0.75, "r2-bag2": 0.25}


def test_best_path_keeps_link_bandwidth_apart_from_other_extended_communities():
    assert _split_lb("RT:1:2 LB:23456:200000000 (1.600 Gbps)") == (["RT:1:2"], [1600.0])
    docs = json_stream('{"paths": [{"bestpath": {"overall": true}, "locPrf": 200, "community": {"string": "65000:1"},'
                       ' "aspath": {"segments": [{"list": [1, 2]}]}}]}\n{}\n')
    assert len(docs) == 2
    b = best_path(docs[0])
    assert (b["as_path"], b["local_pref"], b["communities"], b["link_bandwidth"]) == (["1 2"], 200, ["65000:1"], [])
    assert best_path({"paths": [{"multipath": True}]}) is None


def test_equal_paths_give_the_same_record_whichever_frr_calls_best():
    """Two identical labs pick different best paths among equal multipaths (arrival order)."""
    a = {"aspath": {"segments": [{"list": [7, 9]}]}, "extendedCommunity": {"string": "LB:1:800000000 (6.4 Gbps)"}}
    b = {"aspath": {"segments": [{"list": [8, 9]}]}, "extendedCommunity": {"string": "LB:1:400000000 (3.2 Gbps)"}}
    one = best_path({"paths": [{**a, "bestpath": {"overall": True}}, {**b, "multipath": True}]})
    two = best_path({"paths": [{**a, "multipath": True}, {**b, "bestpath": {"overall": True}}]})
    assert one == two and one["link_bandwidth"] == [3200.0, 6400.0] and one["as_path"] == ["7 9", "8 9"]


def test_bad_input_fails_before_any_lab(tmp_path):
    from lab.workflows.diff.run import intended_changes, run
    from lab.errors import LabError

    topo = "topologies/bag-mini.yaml"
    with pytest.raises(LabError, match="no such file"):
        run(tmp_path / "none.yaml", None, None, prefix="pdu")
    with pytest.raises(LabError, match="no such directory"):
        run(topo, None, tmp_path / "missing", prefix="pdu")
    (tmp_path / "intents.yaml").write_text("intended_changes:\n  - nodes: ['r1-*']\n    aspects: [colour]\n")
    with pytest.raises(LabError) as exc:
        intended_changes(tmp_path)
    assert "intents.yaml" in str(exc.value) and ":3" in str(exc.value)
    (tmp_path / "intents.yaml").write_text("intended_changes:\n  - nodes: ['r1-*']\n    aspects: [communities]\n")
    assert [c.aspects for c in intended_changes(tmp_path)] == [["communities"]]
