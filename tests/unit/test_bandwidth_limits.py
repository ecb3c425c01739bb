"""The plan's link-bandwidth design check and the oracle's version arithmetic, on designs whose
cumulative values pass 2^32 bytes/s (34,359.7 Mbps)."""
from __future__ import annotations

import pytest

from lab.config.oracle import expected_routes, on_the_wire
from lab.design.plan import build_plan
from lab.design.topology import load_text
from lab.verdict import bandwidth_limits

from ..conftest import TOPOLOGIES

SPOKE_F3 = """      - name: f3
        kind: nsf
        spine_planes: 2
        port_speed: 800G"""


def six_uplinks(frr: str | None = None):
    """bag-mini with 6 uplinks per BAG plane in the spoke's NSF: r1-bag1's cumulative value towards the
    spoke is 4 x 9,600 = 38,400 Mbps (the issue's design)."""
    text = (TOPOLOGIES / "bag-mini.yaml").read_text()
    assert SPOKE_F3 in text
    text = text.replace(SPOKE_F3, SPOKE_F3.replace("port_speed", "uplinks_per_bag_plane: 6\n        port_speed"))
    if frr:
        text += f"frr: {frr}\n"
    return build_plan(load_text(text, "six-uplinks"))


def test_below_the_limit_a_value_is_carried_as_it_is():
    assert on_the_wire(34_359.0, None) == 34_359.0 and on_the_wire(1_600.0, "10.3") == 1_600.0


@pytest.mark.parametrize("frr,carried", [(None, 4_040.26), ("8.4", 4_040.26), ("10.3", 4_040.26), ("10.7", 38_400.0)])
def test_a_cumulative_value_past_2_32_bytes_wraps_on_8_4_and_10_3(frr, carried):
    # 38,400 Mbps = 4.8e9 bytes/s; minus 2^32 = 505,032,704 bytes/s = 4,040.26 Mbps (measured on 8.4 and 10.3)
    assert on_the_wire(38_400.0, frr) == pytest.approx(carried, abs=0.01)


def test_the_oracle_predicts_the_edge_pods_wrapped_weights():
    """What the issue saw live: the DSF edge pod's 33/33/16/16 became 8/8/41/41 on 8.4 and 10.3."""
    plan = six_uplinks()
    edge = expected_routes(plan)["r1-f2-edge"]["198.19.2.0/24"]
    assert sorted(h.weight for h in edge) == [8, 8, 41, 41]
    assert {round(h.bandwidth, 2) for h in edge if h.peer == "r1-bag1"} == {4_040.26}
    meant = expected_routes(plan, exact=True)["r1-f2-edge"]["198.19.2.0/24"]
    assert sorted(h.weight for h in meant) == [16, 16, 33, 33]


def test_on_10_7_the_value_arrives_whole():
    plan = six_uplinks("'10.7'")
    edge = expected_routes(plan)["r1-f2-edge"]["198.19.2.0/24"]
    assert {round(h.bandwidth) for h in edge if h.peer == "r1-bag1"} == {38_400}
    assert not bandwidth_limits.carried(plan)


def test_the_plan_names_router_prefix_value_and_version():
    rows = bandwidth_limits.carried(six_uplinks())
    edge = next(r for r in rows if r.scope == "r1-f2-edge 198.19.2.0/24")
    assert not edge.ok and edge.what == "link-bandwidth from r1-bag1 (FRR 8.4)"
    assert edge.need == "38,400 Mbps" and edge.limit == "carried as 4,040.3 Mbps"
    assert edge.note.endswith("weights 33/33/16/16 -> 8/8/41/41"), edge.note
    assert any(r.note.startswith("one path") or "one path" in r.note for r in rows)


def test_a_shipped_design_passes():
    assert bandwidth_limits.checks(build_plan(load_text((TOPOLOGIES / "bag-mini.yaml").read_text(), "m"))) == []


def test_a_port_speed_frr_8_4_refuses_is_a_plan_error():
    text = (TOPOLOGIES / "bag-mini.yaml").read_text().replace(SPOKE_F3, SPOKE_F3.replace("800G", "51200G"))
    with pytest.raises(Exception, match=r"link-bandwidth 51,200 \(1 x 51200G at policy.bandwidth_unit 1,000 Mbps per "
                                        r"unit\) is beyond what FRR 8.4 at r2-f3-p1s1 accepts \(1-25,600\)"):
        build_plan(load_text(text, "big"))
