"""Hardware weight tables: hand-computed quantisations of UCMP weights into ASIC groups."""
from __future__ import annotations

from pathlib import Path

import pytest

from lab.design.hw_weights import TableTooSmall, proportional, quantise

ROOT = Path(__file__).resolve().parents[2]


def test_a_3_to_1_split_fits_128_members_exactly():
    q = quantise({"r1-bag1": 3, "r1-bag2": 1}, 128)
    assert q.members == {"r1-bag1": 96, "r1-bag2": 32} and q.size == 128
    assert q.max_error == 0 and q.oversubscription == 1.0


def test_2_to_1_in_128_members_rounds_by_largest_remainder():
    # 85.33 / 42.67: floors 85 / 42, the one member left goes to the larger remainder (.67)
    q = quantise({"a": 2, "b": 1}, 128)
    assert q.members == {"a": 85, "b": 43}
    assert q.hardware == {"a": 85 / 128, "b": 43 / 128}
    assert q.max_error == pytest.approx(abs(85 / 128 - 2 / 3) * 100)       # 0.26 points
    assert q.max_error == pytest.approx(0.2604, abs=1e-4)


def test_three_equal_next_hops_in_4_members_cannot_be_fair():
    # 1.33 each: one member each, the fourth to the first by order (equal remainders, equal weights)
    q = quantise({"a": 1, "b": 1, "c": 1}, 4)
    assert q.members == {"a": 2, "b": 1, "c": 1}
    assert q.max_error == pytest.approx((0.5 - 1 / 3) * 100)
    assert q.oversubscription == pytest.approx(1.5)


def test_a_tiny_weight_keeps_one_member():
    # 1000:1 in 8 members: exact 7.99 / 0.008, but a next hop with a weight is never rounded away
    assert proportional({"big": 1000, "tiny": 1}, 8) == {"big": 7, "tiny": 1}


def test_zero_weights_are_not_members():
    assert proportional({"a": 1, "down": 0}, 4) == {"a": 4}


def test_more_next_hops_than_members_is_an_error():
    with pytest.raises(TableTooSmall, match="a group of 4 members cannot hold 5 next hops"):
        quantise({h: 1 for h in "abcde"}, 4)


def test_wcmp_takes_the_smallest_group_within_the_bound():
    # 2:1 is exact with 3 members: the paper's reduction frees the other 125 entries
    q = quantise({"a": 2, "b": 1}, 128, rule="wcmp")
    assert q.members == {"a": 2, "b": 1} and q.size == 3 and q.max_error == pytest.approx(0)
    # 100:99 within 5 %: 1/1 already (0.5 / 0.4975 = 1.005)
    q = quantise({"a": 100, "b": 99}, 128, rule="wcmp")
    assert q.size == 2 and q.oversubscription == pytest.approx(0.5 / (99 / 199))


def test_wcmp_without_a_group_within_the_bound_takes_the_least_oversubscribed():
    # 10:1 in at most 8: the small next hop always holds one member, 1/k of the traffic against 1/11
    # ideal: 11/k, least at k = 8 (1.375)
    q = quantise({"a": 10, "b": 1}, 8, rule="wcmp")
    assert q.size == 8 and q.members == {"a": 7, "b": 1}
    assert q.oversubscription == pytest.approx(11 / 8)


def test_unknown_rule():
    with pytest.raises(ValueError, match="unknown reduction rule 'ecmp'; known: proportional, wcmp"):
        quantise({"a": 1}, 8, rule="ecmp")


def test_status_reports_the_hardware_share_against_the_link_bandwidth(mini):
    from lab.config.oracle import NextHop
    from lab.observe.fib import FibHop
    from lab.workflows.status import hardware

    # 2:1 bandwidth installed as kernel weights 85/43; a 128-member group keeps 85/43, 3 members 2/1
    obs = [FibHop("e1", None, 85), FibHop("e2", None, 43)]
    exp = [NextHop(1, "e1", "r1-bag1", 1600.0, 85), NextHop(2, "e2", "r1-bag2", 800.0, 43)]
    hw = hardware(mini, obs, exp)
    assert hw["members"] == {"e1": 85, "e2": 43} and hw["ideal_from"] == "link-bandwidth"
    assert hw["max_error_points"] == pytest.approx(abs(85 / 128 - 2 / 3) * 100, abs=0.01)
    small = mini.model_copy(update={"hardware_members": 2})
    assert hardware(small, obs, exp)["members"] == {"e1": 1, "e2": 1}
    assert hardware(small, obs, exp)["max_error_points"] == pytest.approx(100 * (2 / 3 - 1 / 2), abs=0.01)
    assert hardware(mini, obs[:1], exp[:1]) is None                 # one next hop: nothing to quantise
    tiny = mini.model_copy(update={"hardware_members": 1})
    assert "cannot hold 2 next hops" in hardware(tiny, obs, exp)["error"]


def test_the_topology_chooses_the_table():
    from lab.design.plan import build_plan
    from lab.design.topology import load_text as loads

    text = (ROOT / "topologies" / "bag-mini.yaml").read_text()
    assert build_plan(loads(text)).hardware_members == 128
    plan = build_plan(loads(text + "policy:\n  hardware_table: {members: 4096, rule: wcmp}\n"))
    assert (plan.hardware_members, plan.hardware_rule) == (4096, "wcmp")
