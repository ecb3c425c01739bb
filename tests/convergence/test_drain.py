"""Drains are hitless maintenance: proven on bag-mini with real packets flowing the whole time.

The rehearsal (lab/workflows/rehearsal.py, also ``baglab rehearse``): drain (BGP policy:
GRACEFUL_SHUTDOWN), check traffic has left (FIBs equal the oracle's drained
state; no stream packet crosses the drained routers), take it down (no FIB entry
changes on any router that had another way), bring it back (drained: still
nothing moves), undrain -- with a stream of probe packets between every pair of
fabrics that can avoid the drained element running throughout, losing nothing.
"""
from __future__ import annotations

import pytest

from lab.config.oracle import Failures, paths_through_drains
from lab.workflows.rehearsal import stream_pairs, rehearse
from lab.observe.probes.stream import Stream
from lab.wait import wait_for

pytestmark = pytest.mark.lab


def test_drain_plane_rehearsal_is_hitless(lab, oracle, faults, observe):
    p = lab.prefix("r1-f1-p1s1")
    seen = {}

    def checkpoint(step):
        seen[step] = observe.shares("r2-bag1", p)
        if step == "drain":
            assert oracle.shares("r2-bag1", p, faults.failures()) == {"r1-bag2": 1.0}
            assert set(observe.shares("r1-f2-edge", lab.prefix("r2-f3-p1s1"))) == {"r1-bag2"}
        if step == "bring back (drained)":
            assert "-DRAIN out" in (lab.paths.node_dir("r1-bag1") / "frr.conf").read_text()

    rep = rehearse(lab.session, observe.after_fault, observe.after_restore, "plane",
                   plane=1, region="r1", checkpoint=checkpoint, faults=faults)
    # NSF STSWs stripe to one BAG plane each: those of plane 1 cannot avoid it, and are named
    assert {r for r, _ in rep.stranded} == {"r1-f1-p1s1", "r1-f1-p2s1"}
    assert len(rep.pairs) >= 20 and rep.sent > 2000
    assert rep.ok, rep.summary()
    assert seen["drain"] == {"r1-bag2": 1.0} and seen["bring back (drained)"] == {"r1-bag2": 1.0}
    assert set(seen["undrain"]) == {"r1-bag1", "r1-bag2"}


def test_drain_link_rehearsal(lab, faults, observe):
    rep = rehearse(lab.session, observe.after_fault, observe.after_restore, "link",
                   bundle="r1-bag1~r2-bag1", members=[1], window=200, faults=faults)
    assert not rep.stranded, "every router can avoid one member link"
    assert rep.ok, rep.summary()


def test_the_stream_sees_loss_and_transit_when_a_plane_goes_down_undrained(lab, faults, observe):
    """The controls for the rehearsal: without the drain, the drained routers' transit counter
    moves and the same power-off loses packets -- else 'zero' would prove nothing."""
    plan = lab.plan
    bag = plan.node("r1-bag1")
    would_strand = paths_through_drains(plan, Failures.of(drained=[(bag.name, l.id) for l in plan.links_of(bag.name)]))
    stream = Stream(plan, lab.paths, stream_pairs(plan, would_strand), flows_per_pair=4, pps=300).start()
    try:
        wait_for(lambda: stream.sent >= 300, 10, "the stream to get going")
        assert stream.transit()["r1-bag1"] > 0, "an undrained r1-bag1 carries stream packets"
        f = faults.plane(1, "r1")
        observe.after_fault(f, faults.failures())
    finally:
        results = stream.stop()
    faults.restore_and_check(f)
    assert sum(r.lost for r in results) > 0, "a loaded, undrained plane went down without loss?"


def test_a_wrong_drain_expectation_fails(lab, faults, observe):
    """If the oracle assumed a drain the lab does not have, the comparison must fail."""
    from lab.observe.settle import Strategy, settle

    bag = lab.plan.node("r1-bag1")
    lie = Failures.of(drained=[(bag.name, l.id) for l in lab.plan.links_of(bag.name)])
    conv = settle(lab.plan, lab.paths, Strategy.CONVERGED, failures=lie, deadline_s=2, check_sessions=False)
    assert not conv.ok and any(m.node == "r2-bag1" for m in conv.mismatches)
