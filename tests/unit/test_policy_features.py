"""Drains, conditional aggregation, failure-domain capacity and design checks: pure logic."""
from __future__ import annotations

import pytest

from lab.config.oracle import (Failures, aggregate_path, expected_routes, neighbour_shares, paths_through_drains,
                        set_size, ucmp_weights)
from lab.config.render import render_node
from lab.verdict import domains
from lab.verdict.headroom import checks, max_length_m, pfc_headroom_bytes
from lab.errors import TopologyError
from lab.design.model import DesignSpec
from lab.design.plan import build_plan
from lab.design.topology import load, load_text

from ..conftest import TOPOLOGIES
from ..plans import plan_of


def _drain_node(plan, name):
    return Failures.of(drained=[(name, l.id) for l in plan.links_of(name)])


def test_every_session_honours_gshut_and_has_a_drained_twin(mini):
    n = mini.node("r1-bag1")
    c = render_node(mini, n, "/x")
    assert c.count("route-map FROM-PEER in") == 2 * len(mini.links_of(n.name))
    assert "route-map TRANSIT-DRAIN permit 10" in c and "set community graceful-shutdown additive" in c
    assert "-DRAIN out" not in c
    drained = render_node(mini, n, "/x", {l.id for l in mini.links_of(n.name)})
    assert drained.count("route-map TRANSIT-DRAIN out") == 2 * len(mini.links_of(n.name))
    assert "! drained (baglab drain)" in drained


def test_prepend_drain_renders_own_asn_and_no_gshut_policy(agg):
    n = agg.node("r2-bag2")
    c = render_node(agg, n, "/x")
    assert f"set as-path prepend {n.asn} {n.asn} {n.asn}" in c
    assert "FROM-PEER" not in c


@pytest.mark.parametrize("topo", ["bag-mini.yaml", "bag-agg.yaml"])
def test_drained_plane_carries_nothing_where_there_is_another_way(topo):
    plan = plan_of(topo)
    f = _drain_node(plan, "r1-bag1")
    exp = expected_routes(plan, f)
    far = plan.node("r2-f3-p1s1").prefixes_v4[0]
    assert set(neighbour_shares(exp["r1-f2-edge"][far])) == {"r1-bag2"}
    # single-homed STSWs keep using it: the oracle says so, and names them
    assert set(neighbour_shares(exp["r1-f1-p1s1"][far])) == {"r1-bag1"}
    assert {r for r, _ in paths_through_drains(plan, f)} == {"r1-f1-p1s1", "r1-f1-p2s1"}
    assert not paths_through_drains(plan, Failures())


def test_gshut_propagates_when_the_drained_path_is_the_only_one(mini):
    # drain every link r2-bag1 has towards the hub: r2-bag1 still uses them (no other way), and the
    # routes it passes on keep the community, so r2's STSWs see local-preference 0 too
    f = Failures.of(drained=[(e, l.id) for l in mini.links_of("r2-bag1") if l.kind == "interbag" for e in
                             (l.a.node, l.b.node)])
    exp = expected_routes(mini, f)
    p = mini.node("r1-f1-p1s1").prefixes_v4[0]
    assert set(neighbour_shares(exp["r2-bag1"][p])) == {"r1-bag1", "r1-bag2"}


def test_ucmp_falls_back_to_ecmp_when_a_path_lacks_bandwidth():
    assert ucmp_weights([800, 800, 1600]) == [25, 25, 50]
    assert ucmp_weights([800, 0]) == [1, 1]


def test_as_set_aggregation_counts_fabrics():
    assert aggregate_path([(1,), (2,)]) == (frozenset({1, 2}),)
    assert aggregate_path([(1,), (1,)]) == (1,)
    assert aggregate_path([(9, 1), (9, 2)]) == (9, frozenset({1, 2}))
    assert set_size((frozenset({1, 2}),)) == 2 and set_size((1,)) == 1


def test_aggregate_replaces_the_specifics_abroad_only(agg):
    a = next(x for x in agg.aggregates if x.family == "ipv4")
    assert a.prefix == "198.19.0.0/23" and a.min_fabrics == 2
    exp = expected_routes(agg)
    assert a.prefix in exp["r2-bag1"] and not set(a.covers) & set(exp["r2-bag1"])
    assert exp["r1-bag1"][a.prefix][0].ifname == "blackhole"
    assert a.prefix not in exp["r1-f2-edge"]
    assert set(neighbour_shares(exp["r2-bag1"][a.prefix])) == {"r1-bag1", "r1-bag2"}
    c = render_node(agg, agg.node("r1-bag1"), "/x")
    assert "aggregate-address 198.19.0.0/23 as-set" in c
    assert "bgp as-path access-list AGG-THIN-1 deny [0-9]+,[0-9]+" in c
    assert "route-map TRANSIT-X out" in c


def test_thin_aggregate_is_withdrawn_by_that_router_only(agg):
    a = next(x for x in agg.aggregates if x.family == "ipv4")
    cut = Failures.of(nodes=["r1-f1-p1s1", "r1-f1-p2s1"])
    exp = expected_routes(agg, cut)
    assert set(neighbour_shares(exp["r2-bag1"][a.prefix])) == {"r1-bag2"}
    loose = agg.model_copy(update={"aggregates": tuple(x.model_copy(update={"min_fabrics": 1}) for x in agg.aggregates)})
    assert set(neighbour_shares(expected_routes(loose, cut)["r2-bag1"][a.prefix])) == {"r1-bag1", "r1-bag2"}


BASE = (TOPOLOGIES / "bag-mini.yaml").read_text()


@pytest.mark.parametrize("agg_yaml, where, words", [
    ("[{region: r9}]", "aggregates[0].region", "unknown region"),
    ("[{region: r1, fabrics: [f1, f7]}]", "aggregates[0].fabrics[1]", "no fabric 'f7'"),
    ("[{region: r1, min_fabrics: 3}]", "aggregates[0].min_fabrics", "3 fabrics required"),
    ("[{region: r1, fabrics: [f1]}]", "aggregates[0].fabrics", "would also cover"),
    ("[{region: r1}, {region: r1}]", "aggregates[1].region", "already aggregated"),
])
def test_bad_aggregates_name_the_yaml_path(agg_yaml, where, words):
    with pytest.raises(TopologyError) as e:
        build_plan(load_text(BASE + f"aggregates: {agg_yaml}\n"))
    assert where in str(e.value) and words in str(e.value)


def test_pfc_headroom_figures():
    d = DesignSpec()
    # 20 km of 800G: 100 B/ns x (2 x 98 us + 1.5 us) + 2 MTU = 19.77 MB
    assert pfc_headroom_bytes(800, 20_000, d) == 19_768_432
    assert pfc_headroom_bytes(400, 20_000, d) < pfc_headroom_bytes(800, 20_000, d)
    # the longest cable a budget allows, fed back, fits exactly
    m = max_length_m(800, d)
    assert abs(pfc_headroom_bytes(800, m, d) - d.pfc_buffer_per_port_mb * 1e6) < 200


def test_design_checks_flag_a_short_budget_and_oversubscription(mini):
    ok = checks(mini, load(TOPOLOGIES / "bag-mini.yaml").model.design)
    assert ok and all(c.ok for c in ok)
    tight = checks(mini, DesignSpec(pfc_buffer_per_port_mb=30, lossless_classes=2, max_l2_bag_oversubscription=4))
    bad = {c.what.split(",")[0] for c in tight if not c.ok}
    assert bad == {"PFC headroom per port", "L2->BAG oversubscription"}


def test_domain_capacity_report(mini):
    f1 = mini.node("r1-f1-p1s1").prefixes_v4[0]
    rows = {(i.kind, i.label, i.region, i.prefix): i for i in domains.report(mini)}
    # pf1a: r1-bag1 and f1's spine plane 1 lose power; r1 keeps r1-bag2 -> p2s2 only
    pf1a = rows[("power_feed", "pf1a", "r1", f1)]
    assert (pf1a.before_gbps, pf1a.after_gbps) == (3200, 800) and pf1a.lost == 0.75
    # a data hall holding the whole fabric takes all of its capacity
    assert rows[("data_hall", "dh1a", "r2", f1)].lost == 1.0
    names, cut = domains.members(mini, "data_hall", "dh1b")
    assert "r1-f2-edge" in names and all(l.a.node not in names and l.b.node not in names for l in cut)


def test_rehearsal_probes_only_pairs_that_can_avoid_the_drain(mini):
    from lab.workflows.rehearsal import stream_pairs

    f = _drain_node(mini, "r1-bag1")
    stranded = paths_through_drains(mini, f)
    pairs = stream_pairs(mini, stranded)
    assert pairs and not set(pairs) & set(stranded)
    assert all(src not in ("r1-f1-p1s1", "r1-f1-p2s1") for src, _ in pairs)
    # every other fabric origin probes every prefix but its own
    assert {s for s, _ in pairs} == {n.name for n in mini.nodes if n.originates and n.fabric} - {"r1-f1-p1s1", "r1-f1-p2s1"}


def test_delivery_walk_follows_aggregates_and_sees_discard_routes(mini, agg):
    from lab.config.oracle import delivers
    from lab.observe.probes.flows import target

    f1 = target(agg.node("r1-f1-p1s1").prefixes_v4[0])
    assert delivers(agg, expected_routes(agg), "r2-f3-p1s1", f1)         # via the aggregate
    # an unconditional aggregate keeps attracting f1's traffic to r1-bag1, which discards it
    cut = Failures.of(nodes=["r1-f1-p1s1", "r1-f1-p2s1"])
    loose = agg.model_copy(update={"aggregates": tuple(x.model_copy(update={"min_fabrics": 1}) for x in agg.aggregates)})
    assert not delivers(loose, expected_routes(loose, cut), "r2-f3-p1s1", f1, cut)
    assert delivers(agg, expected_routes(agg, cut), "r2-f3-p1s1", f1, cut)
    # plain topologies: same answer as 'has a route'
    far = target(mini.node("r2-f3-p1s1").prefixes_v4[0])
    assert delivers(mini, expected_routes(mini), "r1-f2-edge", far)
    dead = Failures.of(nodes=["r2-f3-p1s1", "r2-f3-p1s2", "r2-f3-p2s1", "r2-f3-p2s2"])
    assert not delivers(mini, expected_routes(mini, dead), "r1-f2-edge", far, dead)


def test_thin_aggregate_can_fall_back_to_specifics(agg):
    spec = agg.model_copy(update={"aggregates": tuple(x.model_copy(update={"when_thin": "specifics"})
                                                      for x in agg.aggregates)})
    a = next(x for x in spec.aggregates if x.family == "ipv4")
    f2 = a.covers[1]
    assert f2 not in expected_routes(spec)["r2-bag1"]            # full: the aggregate replaces them
    hall = domains.failures_of(spec, "data_hall", "dh1a")        # all of f1: every hub aggregate thin
    exp = expected_routes(spec, hall)
    assert a.prefix not in exp["r2-bag1"] and f2 in exp["r2-bag1"]
    assert f2 not in expected_routes(agg, hall)["r2-bag1"]        # 'withdraw' hides f2 as well
    c = render_node(spec, spec.node("r1-bag1"), "/x")
    assert "advertise-map AGG-MORE4-1 non-exist-map AGG-FULL4-1" in c and "bgp conditional-advertisement timer 5" in c
    # the more-specifics are matched only by the advertise-map, not denied by TRANSIT-X (and its twin)
    assert c.count("match ip address prefix-list AGG4-1-MORE") == 1
    # 'withdraw': TRANSIT-X denies them; its drained twin calls TRANSIT-X instead of repeating the guard
    withdraw = render_node(agg, agg.node("r1-bag1"), "/x")
    assert withdraw.count("match ip address prefix-list AGG4-1-MORE") == 1
    assert "route-map TRANSIT-X deny 1\n match ip address prefix-list AGG4-1-MORE" in withdraw
    assert "route-map TRANSIT-X-DRAIN permit 10\n set as-path prepend" in withdraw and " call TRANSIT-X\n" in withdraw
