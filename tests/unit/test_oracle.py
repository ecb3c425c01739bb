"""The expected-weight oracle: FRR's UCMP arithmetic and path selection, from the plan alone."""
from __future__ import annotations

import pytest

from lab.config.oracle import Failures, expected_routes, neighbour_shares, ucmp_weights



@pytest.mark.parametrize("bws, weights", [
    ([300, 100], [75, 25]),
    ([300, 100, 50], [66, 22, 11]),      # FRR truncates
    ([1, 1000], [1, 99]),                # never below 1
    ([800, 800, 800, 800], [25, 25, 25, 25]),
])
def test_frr_weight_arithmetic(bws, weights):
    assert ucmp_weights(bws) == weights


def prefix_of(plan, fabric_node: str, v6=False):
    n = plan.node(fabric_node)
    return (n.prefixes_v6 if v6 else n.prefixes_v4)[0]


def test_three_links_vs_one_is_75_25(mini):
    exp = expected_routes(mini)
    hops = exp["r2-bag1"][prefix_of(mini, "r1-f1-p1s1")]
    assert len(hops) == 4
    assert neighbour_shares(hops) == {"r1-bag1": 0.75, "r1-bag2": 0.25}


def test_cumulative_bandwidth_weighs_planes_by_capacity(mini):
    # the DSF edge pod sees r1-bag1 with 3+1 links towards r2 and r1-bag2 with 1+1: 6400 vs 3200
    hops = expected_routes(mini)["r1-f2-edge"][prefix_of(mini, "r2-f3-p1s1")]
    assert {h.ifname: h.weight for h in hops} == {"r1-bag1-1": 33, "r1-bag1-2": 33, "r1-bag2-1": 16, "r1-bag2-2": 16}
    assert {h.bandwidth for h in hops} == {6400.0, 3200.0}


def test_member_link_loss_shifts_weight_proportionally(mini):
    member = next(l for l in mini.links if l.bundle == "r1-bag1~r2-bag1" and l.member == 1)
    exp = expected_routes(mini, Failures.of(links=[member.id]))
    hops = exp["r2-bag1"][prefix_of(mini, "r1-f1-p1s1")]
    shares = neighbour_shares(hops)
    assert shares["r1-bag1"] == pytest.approx(2 / 3, abs=0.01)
    # and the edge pod now sees r1-bag1 at (2+1) x 1600 vs r1-bag2 at 2 x 1600
    edge = {h.ifname: h.weight for h in exp["r1-f2-edge"][prefix_of(mini, "r2-f3-p1s1")]}
    assert edge == {"r1-bag1-1": 30, "r1-bag1-2": 30, "r1-bag2-1": 20, "r1-bag2-2": 20}


def test_whole_bundle_and_node_loss(mini):
    p = prefix_of(mini, "r1-f1-p1s1")
    bundle = [l.id for l in mini.links if l.bundle.startswith("r1-bag1~")]
    exp = expected_routes(mini, Failures.of(links=bundle))
    assert {h.peer for h in exp["r2-bag1"][p]} == {"r1-bag2"}
    exp = expected_routes(mini, Failures.of(nodes=["r1-bag2", "r1-bag1"]))
    assert p not in exp["r2-bag1"], "with no hub BAG left the prefix is withdrawn upstream"
    assert "r1-bag1" not in exp


def test_origin_nodes_never_transit(mini):
    exp = expected_routes(mini)
    for node, table in exp.items():
        for prefix, hops in table.items():
            for h in hops:
                peer = mini.node(h.peer)
                if peer.role != "bag":
                    assert prefix in peer.prefixes, f"{node} routes {prefix} via non-origin fabric node {peer.name}"


def test_every_node_reaches_every_foreign_prefix(mini):
    exp = expected_routes(mini)
    for n in mini.nodes:
        if n.emulator != "frr":
            assert n.name not in exp, "emulated nodes keep no FIB to check"
            continue
        foreign = set(mini.prefixes()) - set(n.prefixes)
        if n.role != "bag":
            # a fabric never learns its own fabric's prefixes back (AS loop), only other fabrics'
            foreign -= {p for m in mini.nodes if m.fabric == n.fabric and m.region == n.region for p in m.prefixes}
        assert set(exp[n.name]) == foreign, n.name


def test_link_mode_ignores_remote_capacity(mini):
    plan = mini.model_copy(update={"transit_bandwidth": "link"})
    hops = expected_routes(plan)["r1-f2-edge"][prefix_of(mini, "r2-f3-p1s1")]
    assert {h.weight for h in hops} == {25}
