"""Drains are hitless maintenance: proven on bag-mini with real packets flowing the whole time.

The rehearsal an engineer runs before draining a BAG plane in production:
drain it (BGP policy: GRACEFUL_SHUTDOWN), check the traffic has left it (FIBs
equal the oracle's drained state, and probe packets stop crossing it), power it
off (no FIB entry changes on any router that had another path), power it on
(it comes back drained, so still nothing moves), undrain.  A stream of probe
packets between every pair of fabrics that can avoid the plane runs throughout
and must lose nothing.
"""
from __future__ import annotations

import pytest

from bgp.oracle import expected_routes, paths_through_drains
from lab.probes import flows
from lab.probes.stream import Stream
from lab.wait import wait_for

pytestmark = pytest.mark.lab


def _pairs(plan, avoid: dict) -> list[tuple[str, str]]:
    """Every FRR origin to one prefix per family of every other fabric, except pairs whose only
    way crosses the drain (they are reported, not probed: their loss is by design)."""
    exp = expected_routes(plan)
    out = []
    for n in plan.nodes:
        if not n.originates or n.emulator != "frr" or not n.fabric:
            continue
        for p in plan.prefixes():
            if p in n.prefixes or p not in exp.get(n.name, {}) or (n.name, p) in avoid:
                continue
            out.append((n.name, p))
    return out


def _fib_outside(observe, plan, skip_nodes: set[str], skip_pairs: dict) -> dict:
    return {(n.name, p): hops for n in plan.nodes if n.emulator == "frr" and n.name not in skip_nodes
            for p, hops in observe.fib(n.name).items() if (n.name, p) not in skip_pairs}


def test_drain_plane_rehearsal_is_hitless(lab, oracle, faults, observe):
    plan = lab.plan
    drained_nodes = {n.name for n in plan.nodes if n.role == "bag" and n.region == "r1" and n.bag_plane == 1}
    stream = None
    try:
        f_drain = faults.drain_plane(1, "r1")
        stranded = paths_through_drains(plan, faults.failures())
        # NSF STSWs stripe to one BAG plane each: those of plane 1 cannot avoid it
        assert {r for r, _ in stranded} == {"r1-f1-p1s1", "r1-f1-p2s1"}, sorted(stranded)
        # the stream starts only now (the drain was just applied, nothing has converged yet)
        # so it covers the drain's own transition too
        pairs = _pairs(plan, stranded)
        assert len(pairs) >= 20
        stream = Stream(plan, lab.paths, pairs, flows_per_pair=4, pps=300).start()
        observe.after_fault(f_drain, faults.failures())

        # 1. traffic has left the plane: oracle weights, installed weights, packets
        p = lab.prefix("r1-f1-p1s1")
        assert oracle.shares("r2-bag1", p, faults.failures()) == {"r1-bag2": 1.0}
        assert observe.shares("r2-bag1", p) == {"r1-bag2": 1.0}
        assert set(observe.shares("r1-f2-edge", lab.prefix("r2-f3-p1s1"))) == {"r1-bag2"}
        before = flows.read(plan, lab.paths)["r1-bag1"].egress
        mark = stream.sent
        wait_for(lambda: stream.sent >= mark + 600, 10, "600 more probe packets to be sent")
        after = flows.read(plan, lab.paths)["r1-bag1"].egress
        crossed = {i: after.get(i, 0) - before.get(i, 0) for i in after if after.get(i, 0) != before.get(i, 0)}
        assert not crossed, f"probe packets still cross drained r1-bag1: {crossed}"

        # 2. power the drained plane off: nothing changes for anyone who had another way
        fib_before = _fib_outside(observe, plan, drained_nodes, stranded)
        f_off = faults.plane(1, "r1")
        observe.after_fault(f_off, faults.failures())
        fib_after = _fib_outside(observe, plan, drained_nodes, stranded)
        changed = sorted(k for k in set(fib_before) | set(fib_after) if fib_before.get(k) != fib_after.get(k))
        assert not changed, "powering off a drained plane changed FIBs: " + "; ".join(
            f"{n} {p}: {fib_before.get((n, p))} -> {fib_after.get((n, p))}" for n, p in changed[:10])

        # 3. power on: the routers come back drained (their config says so), undrain
        faults.restore_and_check(f_off)
        assert "-DRAIN out" in (lab.paths.node_dir("r1-bag1") / "frr.conf").read_text()
        assert observe.shares("r2-bag1", p) == {"r1-bag2": 1.0}, "a drained router attracted traffic after power-on"
        faults.restore_and_check(f_drain)
        assert set(observe.shares("r2-bag1", p)) == {"r1-bag1", "r1-bag2"}
    finally:
        results = stream.stop() if stream else []
    lost = [r for r in results if r.lost]
    assert results and sum(r.sent for r in results) > 1000
    assert not lost, "probe packets lost during the rehearsal: " + "; ".join(
        f"{r.src} -> {r.prefix}: {r.lost} of {r.sent + r.unroutable} ({r.unroutable} unroutable at the source)"
        for r in lost)


def test_drain_link_moves_only_that_members_share(lab, oracle, faults, observe):
    link = lab.link("r1-bag1~r2-bag1", member=1)
    f = faults.drain_links([link])
    observe.after_fault(f, faults.failures())
    p = lab.prefix("r1-f1-p1s1")
    # two undrained members to r1-bag1, one to r1-bag2: the drained member carries nothing
    got = observe.fib("r2-bag1")[p]
    assert link.b.ifname not in {h.ifname for h in got} and link.a.ifname not in {h.ifname for h in got}, got
    assert not paths_through_drains(lab.plan, faults.failures()), "every router can avoid one member link"
    faults.restore_and_check(f)


def test_a_wrong_drain_expectation_fails(lab, faults, observe):
    """If the oracle assumed a drain the lab does not have, the comparison must fail."""
    from bgp.oracle import Failures
    from lab.converge import wait_converged

    bag = lab.plan.node("r1-bag1")
    lie = Failures.of(drained=[(bag.name, l.id) for l in lab.plan.links_of(bag.name)])
    conv = wait_converged(lab.plan, lab.paths, lie, deadline_s=2, check_sessions=False)
    assert not conv.ok and any(m.node == "r2-bag1" for m in conv.mismatches)


def test_the_stream_sees_loss_when_a_plane_goes_down_undrained(lab, faults, observe):
    """The control for the rehearsal: the same power-off without the drain loses packets, and the
    stream must say so (else 'zero lost' would prove nothing)."""
    from bgp.oracle import Failures

    plan = lab.plan
    bag = plan.node("r1-bag1")
    would_strand = paths_through_drains(plan, Failures.of(drained=[(bag.name, l.id) for l in plan.links_of(bag.name)]))
    stream = Stream(plan, lab.paths, _pairs(plan, would_strand), flows_per_pair=4, pps=300).start()
    try:
        wait_for(lambda: stream.sent >= 300, 10, "the stream to get going")
        f = faults.plane(1, "r1")
        observe.after_fault(f, faults.failures())
    finally:
        results = stream.stop()
    faults.restore_and_check(f)
    lost = sum(r.lost for r in results)
    assert lost > 0, "powering off a loaded, undrained plane lost no packet: the stream cannot see loss"
