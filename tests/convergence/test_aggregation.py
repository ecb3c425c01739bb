"""Conditional route aggregation on bag-agg: the hub's BAG routers advertise one aggregate of
both hub fabrics to the spoke, and only while both fabrics contribute to it.

A BAG router that has lost its paths to one fabric would otherwise keep attracting that
fabric's traffic with the aggregate and drop it on the aggregate's discard route: the
blackhole the design's conditional aggregation exists to prevent.  Here the aggregate is
withdrawn by that router alone, probes prove no packet is dropped, and it returns when the
fabric does.  bag-agg also drains by AS-path prepending, tested at the end.
"""
from __future__ import annotations

import pytest

from lab.config.oracle import BLACKHOLE, paths_through_drains
from lab.observe.probes import flows
from lab.pytest_plugin import extra_lab

from ..conftest import TOPOLOGIES

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module", params=["withdraw", "specifics"])
def agg(request, tmp_path_factory):
    """bag-agg as written (a thin aggregate is withdrawn) and with ``when_thin: specifics`` (the
    thin router advertises the more-specifics it still has, by FRR conditional advertisement)."""
    topo = TOPOLOGIES / "bag-agg.yaml"
    if request.param == "specifics":
        text = topo.read_text().replace("    min_fabrics: 2\n", "    min_fabrics: 2\n    when_thin: specifics\n")
        assert "when_thin: specifics" in text
        topo = tmp_path_factory.mktemp("agg") / "bag-agg-specifics.yaml"
        topo.write_text(text)
    with extra_lab(topo, request, f"agg-{request.param}") as got:
        assert all(a.when_thin == request.param for a in got[0].plan.aggregates)
        yield got


def _aggregate(plan, family="ipv4"):
    return next(a for a in plan.aggregates if a.family == family)


def _probe_all(lab, prefixes, srcs=("r2-f3-p1s1", "r2-f3-p1s2", "r2-f3-p2s1", "r2-f3-p2s2")):
    """Flows from every spoke STSW to every more-specific behind the aggregate: (sent, lost) lines."""
    flows.install(lab.plan, lab.paths)
    bad = []
    for src in srcs:
        for p in prefixes:
            r = flows.probe(lab.plan, lab.paths, src, p, flows=64)
            if r.blackholed:
                bad.append(f"{src} -> {p}: {r.blackholed} of {r.sent} lost")
    return bad


def test_spoke_sees_only_the_aggregate(agg):
    lab, observe, faults = agg
    observe.scenario = "aggregate steady"
    observe.steady()
    for fam in ("ipv4", "ipv6"):
        a = _aggregate(lab.plan, fam)
        assert observe.fib("r1-bag1")[a.prefix][0].ifname == BLACKHOLE, "the aggregating router discards the rest"
        spoke = observe.fib("r2-bag1")
        assert a.prefix in spoke and not set(a.covers) & set(spoke), f"r2-bag1 should hold {a.prefix} only: {sorted(spoke)}"
        # the hub's own fabrics keep the more-specifics and never receive the aggregate
        edge = observe.fib("r1-f2-edge")
        assert a.prefix not in edge and set(a.covers) - set(lab.plan.node("r1-f2-edge").prefixes) <= set(edge)
    assert set(observe.shares("r2-bag1", _aggregate(lab.plan).prefix)) == {"r1-bag1", "r1-bag2"}
    assert not _probe_all(lab, _aggregate(lab.plan).covers + _aggregate(lab.plan, "ipv6").covers)


def test_partial_fabric_loss_withdraws_the_aggregate_and_restores_it(agg):
    lab, observe, faults = agg
    observe.scenario = "aggregate partial fabric loss"
    a4, a6 = _aggregate(lab.plan), _aggregate(lab.plan, "ipv6")
    # f1's plane-1 STSWs lose power: r1-bag1 still has f2 but no path to f1
    f = faults.nodes(["r1-f1-p1s1", "r1-f1-p2s1"], "power", kind="fabric-part", target="r1-f1 plane-1 STSWs")
    observe.after_fault(f, faults.failures())
    assert a4.covers[0] not in observe.fib("r1-bag1"), "r1-bag1 should have lost f1"
    assert a4.prefix in observe.fib("r1-bag1"), "r1-bag1 still aggregates f2 locally"
    for node in ("r2-bag1", "r2-bag2"):
        for a in (a4, a6):
            assert set(observe.shares(node, a.prefix)) == {"r1-bag2"}, \
                f"{node}: r1-bag1 still advertises {a.prefix} with one fabric of two"
            f2 = a.covers[1]
            if a4.when_thin == "specifics":   # r1-bag1 still serves f2, now by its more-specific
                assert set(observe.shares(node, f2)) == {"r1-bag1"}, observe.fib(node).get(f2)
            else:
                assert f2 not in observe.fib(node)
    # no packet for f1 (or f2) reaches r1-bag1's discard route
    assert not _probe_all(lab, a4.covers + a6.covers)
    faults.restore_and_check(f)
    assert set(observe.shares("r2-bag1", a4.prefix)) == {"r1-bag1", "r1-bag2"}, "aggregate not restored"


def test_the_lab_refutes_an_unconditional_aggregate(agg):
    """The control: the same failure, but the oracle is asked what an unconditional aggregate
    would do -- r1-bag1 keeps advertising, and its discard route eats f1's traffic.  The lab
    must disagree with that oracle (else the condition proves nothing)."""
    from lab.config.oracle import expected_routes
    from lab.observe.settle import Strategy, settle

    lab, observe, faults = agg
    observe.scenario = "aggregate control"
    loose = lab.plan.model_copy(update={"aggregates": tuple(replace_min(a) for a in lab.plan.aggregates)})
    f = faults.nodes(["r1-f1-p1s1", "r1-f1-p2s1"], "power", kind="fabric-part", target="r1-f1 plane-1 STSWs")
    observe.after_fault(f, faults.failures())
    exp = expected_routes(loose, faults.failures())
    assert {h.peer for h in exp["r2-bag1"][_aggregate(loose).prefix]} == {"r1-bag1", "r1-bag2"}
    conv = settle(loose, lab.paths, Strategy.CONVERGED, failures=faults.failures(), deadline_s=2, check_sessions=False)
    assert not conv.ok and any(m.node == "r2-bag1" for m in conv.mismatches)
    faults.restore_and_check(f)


def test_whole_fabric_loss(agg):
    """Data hall dh1a holds all of f1: every hub BAG router's aggregate is thin.  Withdrawing it
    hides the surviving f2 from the spoke too (the price of min_fabrics: 2, explained by the
    oracle); advertising the specifics instead keeps f2 reachable."""
    lab, observe, faults = agg
    observe.scenario = f"aggregate whole fabric loss ({lab.plan.aggregates[0].when_thin})"
    a4, a6 = _aggregate(lab.plan), _aggregate(lab.plan, "ipv6")
    f = faults.domain("data_hall", "dh1a")
    observe.after_fault(f, faults.failures())
    spoke = observe.fib("r2-bag1")
    assert a4.prefix not in spoke and a6.prefix not in spoke
    if a4.when_thin == "specifics":
        assert a4.covers[1] in spoke and a6.covers[1] in spoke
        assert not _probe_all(lab, [a4.covers[1], a6.covers[1]])
    else:
        assert a4.covers[1] not in spoke and a6.covers[1] not in spoke
    faults.restore_and_check(f)


def replace_min(a):
    return a.model_copy(update={"min_fabrics": 1})


def test_drain_by_prepend(agg):
    lab, observe, faults = agg
    observe.scenario = "drain by prepend"
    assert lab.plan.drain_method == "as-path-prepend"
    f = faults.drain_plane(2, "r2")
    observe.after_fault(f, faults.failures())
    assert "set as-path prepend" in (lab.paths.node_dir("r2-bag2") / "frr.conf").read_text()
    # the hub's BAG routers now reach the spoke's fabric through r2-bag1 only
    far = lab.prefix("r2-f3-p1s1")
    for node in ("r1-bag1", "r1-bag2"):
        assert set(observe.shares(node, far)) == {"r2-bag1"}
    assert {r for r, _ in paths_through_drains(lab.plan, faults.failures())} == {"r2-f3-p1s2", "r2-f3-p2s2"}
    faults.restore_and_check(f)
