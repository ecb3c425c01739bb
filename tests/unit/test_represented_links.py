"""Links that stand for many ports (``represents``) and the link-bandwidth unit (``policy.bandwidth_unit``):
the plan's values, its refusals per FRR version, what the oracle predicts from them."""
from __future__ import annotations

import pytest

from lab.config.oracle import Failures, expected_routes, neighbour_shares
from lab.config.policy import load_policy, render_node
from lab.design.plan import build_plan
from lab.design.topology import load_text
from lab.errors import LabError
from lab.design.plan.steps.versions import with_frr

from ..conftest import TOPOLOGIES

HUB_DSF = """      - name: f2
        kind: dsf
        uplinks_per_bag_plane: 2
        port_speed: 400G"""
HUB_NSF = """      - name: f1
        kind: nsf
        spine_planes: 2
        uplinks_per_bag_plane: 1
        port_speed: 800G"""


def mini(*edits: tuple[str, str], extra: str = ""):
    text = (TOPOLOGIES / "bag-mini.yaml").read_text()
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    return build_plan(load_text(text + extra, "edited"))


def shares(plan, failures=Failures()):
    return {(n, p): neighbour_shares(h) for n, t in expected_routes(plan, failures).items() for p, h in t.items()}


def test_a_link_that_represents_two_ports_weighs_as_two_parallel_links():
    two = mini()
    one = mini((HUB_DSF, HUB_DSF.replace("uplinks_per_bag_plane: 2", "uplinks_per_bag_plane: 1\n        represents: 2")))
    edge_links = [l for l in one.links if l.a.node == "r1-f2-edge"]
    assert {(l.represents, l.capacity_gbps, l.lb_value) for l in edge_links} == {(2, 800, 800)}
    assert len(edge_links) == len([l for l in two.links if l.a.node == "r1-f2-edge"]) // 2
    # every router beyond the edge pod splits its traffic as it did with two members per plane
    a, b = shares(two), shares(one)
    beyond = [k for k in a if k[0] != "r1-f2-edge" and not k[0].startswith("r1-bag")]
    assert beyond and all(a[k] == pytest.approx(b[k]) for k in beyond)


def test_ports_down_shrink_what_the_origin_announces_and_move_the_shares():
    plan = mini((HUB_NSF, HUB_NSF.replace("port_speed: 800G", "represents: 4\n        port_speed: 800G")))
    link = next(l for l in plan.links if l.a.node == "r1-f1-p1s1" and l.b.node == "r1-bag1")
    assert (link.lb_value, link.lb_with(1), link.lb_with(3)) == (3200, 2400, 800)
    failures = Failures.of(members_down=[(link.id, 2)])
    assert failures.down_on(link) == 2 and Failures.of(members_down=[(link.id, 9)]).down_on(link) == 3
    before = expected_routes(plan)["r1-bag1"]
    after = expected_routes(plan, failures)["r1-bag1"]
    # r1-bag1 reaches f1 through both STSWs of its plane: 3,200 + 3,200 becomes 1,600 + 3,200
    f1 = next(p for p in plan.node("r1-f1-p1s1").prefixes_v4)
    bw = {h.peer: h.bandwidth for h in after[f1]}
    assert bw == {"r1-f1-p1s1": 1600.0, "r1-f1-p2s1": 3200.0}
    assert {h.peer: h.bandwidth for h in before[f1]} == {"r1-f1-p1s1": 3200.0, "r1-f1-p2s1": 3200.0}
    # the spoke hears r1-bag1's smaller cumulative value
    r2 = expected_routes(plan, failures)["r2-bag1"][f1]
    assert sorted(h.bandwidth for h in r2 if h.peer == "r1-bag1") == [4800.0] * 3


def test_the_configured_value_follows_the_unit_and_the_built_in_policy_writes_it():
    real = mini(extra="policy:\n  bandwidth_unit: 1\nfrr: '10.7'\n")
    link = next(l for l in real.links if l.a.node == "r1-f1-p1s1")
    assert (real.bandwidth_unit, link.lb_port, link.lb_value) == (1, 800_000, 800_000)
    conf = render_node(real, real.node("r1-f1-p1s1"), "/tmp/x.log", policy=load_policy(None, real)).text
    assert "set extcommunity bandwidth 800000" in conf and "route-map ORIGIN4-800000" in conf
    coarse = mini(extra="policy:\n  bandwidth_unit: 100000\n")
    assert {l.lb_value for l in coarse.links if l.a.node == "r1-f2-edge"} == {4}


def test_a_default_plan_serialises_as_before_the_options():
    text = mini().to_json()
    assert "represents" not in text and "lb_port" not in text and "bandwidth_unit" not in text
    rep = mini((HUB_DSF, HUB_DSF + "\n        represents: 3"), extra="policy:\n  bandwidth_unit: 100\n").to_json()
    assert '"represents": 3' in rep and '"bandwidth_unit": 100' in rep and '"lb_port": 8000' in rep


@pytest.mark.parametrize("unit,frr,error", [
    (1, None, "link-bandwidth 800,000 (1 x 800G at policy.bandwidth_unit 1 Mbps per unit) is beyond what FRR 8.4 "
              "at r1-f1-p1s1 accepts (1-25,600)"),
    (3, None, "3 Mbps per unit does not divide the 800G ports of regions[0].fabrics[0].uplinks_per_bag_plane"),
])
def test_a_value_a_version_cannot_take_is_refused_with_its_path(unit, frr, error):
    with pytest.raises(Exception) as e:
        mini(extra=f"policy:\n  bandwidth_unit: {unit}\n")
    assert error in str(e.value)


def test_represented_ports_past_8_4s_range_are_refused_there_and_taken_on_10_x():
    many = (HUB_NSF, HUB_NSF.replace("port_speed: 800G", "represents: 48\n        port_speed: 800G"))
    with pytest.raises(Exception, match=r"link-bandwidth 38,400 \(48 x 800G .* FRR 8.4 at r1-f1-p1s1"):
        mini(many)
    plan = mini(many, extra="frr: '10.3'\n")
    assert max(l.lb_value for l in plan.links) == 38_400
    with pytest.raises(LabError, match=r"--frr 8.4: regions\[0\].fabrics\[0\].uplinks_per_bag_plane: link-bandwidth"):
        with_frr(plan, "8.4")


def test_bundles_table_shows_what_a_link_stands_for():
    from lab.cli.views import _speed
    plan = mini((HUB_NSF, HUB_NSF.replace("port_speed: 800G", "represents: 48\n        port_speed: 800G")),
                extra="frr: '10.7'\n")
    link = next(l for l in plan.links if l.a.node == "r1-f1-p1s1")
    assert _speed(link) == "800G x48 = 38.4T" and _speed(next(l for l in plan.links if l.kind == "interbag")) == "800G"
