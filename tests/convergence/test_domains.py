"""Failure-domain capacity: the oracle's figures, confirmed from the live routers' BGP tables."""
from __future__ import annotations

import pytest

from lab.config.oracle import expected_routes
from lab.verdict import domains

pytestmark = pytest.mark.lab


@pytest.mark.parametrize("kind, label", [("power_feed", "pf1a"), ("data_hall", "dh1b")])
def test_domain_capacity_loss_matches_the_bgp_tables(lab, faults, observe, kind, label):
    plan = lab.plan
    steady = domains.lab_capacity(plan, lab.paths, faults.failures())
    assert not domains.compare(domains.capacity(plan, expected_routes(plan)), steady)
    f = faults.domain(kind, label)
    observe.after_fault(f, faults.failures())
    fails = faults.failures()
    want = domains.capacity(plan, expected_routes(plan, fails), fails)
    got = domains.lab_capacity(plan, lab.paths, fails)
    assert not domains.compare(want, got), domains.compare(want, got)
    # and the report's rows are exactly the (region, prefix) pairs that lost capacity in the lab
    lost_in_lab = {k for k, v in steady.items() if got.get(k, 0.0) < v - 1e-9}
    assert lost_in_lab == {(i.region, i.prefix) for i in domains.report(plan) if (i.kind, i.label) == (kind, label)}
    faults.restore_and_check(f)


def test_capacity_comparison_can_fail(lab):
    got = domains.lab_capacity(lab.plan, lab.paths, faults_none())
    key = next(iter(got))
    assert domains.compare({**got, key: got[key] * 2}, got)


def faults_none():
    from lab.config.oracle import NONE
    return NONE
