"""Impairments on plain (unprotected) links on a kernel without netem: the
node's forwarder, spliced in beside the router's interface (lab/forwarder/), delays and drops
real frames as the SecY does on protected ports; light loss leaves BGP alone, heavy loss fails
the sessions by the hold timer and the FIBs follow the oracle, a burst crosses a delayed link
whole, and clearing leaves nothing behind.  Nothing is forced: on a host with netem these run
on netem (the forwarder's own checks are then skipped).
"""
from __future__ import annotations

import subprocess

import pytest

from lab.forwarder import control, splice
from lab.host import netem
from lab.impair.spec import Impairment, fibre_delay_ms
from lab.observe.probes import flows
from lab.runtime import remnants
from lab.wait import poll

from .test_impair_live import _added_one_way_us, _addr, _sessions, two_pct_loss_rides_out_two_hold_times

pytestmark = pytest.mark.lab

EDGE = "r1-f2-edge~r1-bag1"         # plain, two members: member 1 impaired, member 2 the control
LONE = "r1-f1-p1s1~r1-bag1"         # plain, one member: losing it reroutes the STSW's traffic


def _forwarded(lab, link) -> bool:
    """Is the link served by forwarders here (no netem on this host)?"""
    return not netem.available(lab.paths.netns(link.a.node))


def _line(lab, end) -> dict:
    return control.stats(lab.paths, end.node)["ports"][end.ifname]


def _links(ns: str) -> str:
    return subprocess.run(["ip", "-n", ns, "-o", "link"], capture_output=True, text=True, check=True).stdout


def _assert_nothing_left(lab, link) -> None:
    for e in (link.a, link.b):
        ns = lab.paths.netns(e.node)
        assert not any(h in _links(ns) for h in splice.helper_names(e.ifname)), f"helper pair left on {e.node}"
        assert splice.redirected(ns, e.ifname) is None, f"redirect left on {e.node} {e.ifname}"
        assert control.pid_of(lab.paths, e.node) is None, f"the forwarder of {e.node} still runs"


def test_60km_of_fibre_on_a_plain_member_shows_as_300us_one_way(lab, faults):
    m1, m2 = lab.link(EDGE, 1), lab.link(EDGE, 2)
    before = _added_one_way_us(lab, m1, m2)
    f = faults.impair(m1, Impairment(delay_ms=fibre_delay_ms(60)))
    forwarded = _forwarded(lab, m1)
    if forwarded:
        pids = {e.node: control.pid_of(lab.paths, e.node) for e in (m1.a, m1.b)}
        assert all(pids.values()), f"no forwarder running: {pids}"
        assert all(p in remnants.lab_pids(lab.paths.name) for p in pids.values()), "down would not find them"
    added = _added_one_way_us(lab, m1, m2)
    late = max(_line(lab, e)["impaired"]["late_us_p50"] for e in (m1.a, m1.b)) if forwarded else 0.0
    faults.restore(f)
    after = _added_one_way_us(lab, m1, m2)
    assert 210 <= added <= 450 + late, (f"60 km of fibre (300 us) added {added:.0f} us one way on a plain link "
                                        f"(before: {before:.0f} us; the forwarder sent a median {late:.0f} us late)")
    assert abs(before) < 100 and abs(after) < 100, f"members differ without an impairment: {before:.0f}, {after:.0f} us"
    if forwarded:
        _assert_nothing_left(lab, m1)


def test_2pct_loss_on_a_plain_member_does_not_flap_bgp(lab, faults, observe):
    link = lab.link(EDGE, 1)
    counts = two_pct_loss_rides_out_two_hold_times(
        lab, faults, link, lambda: _line(lab, link.a)["impaired"] if _forwarded(lab, link) else None)
    if counts is not None:
        assert 1 <= counts["lost"] <= 0.1 * counts["offered"], counts
        _assert_nothing_left(lab, link)


def test_heavy_loss_on_a_plain_link_fails_sessions_by_hold_timer_and_the_fibs_follow(lab, faults, observe):
    link = lab.link(LONE, 1)
    f = faults.impair(link, Impairment(loss=100.0))
    assert link.id in faults.failures().links, "the oracle must read a link beyond recovery as down"
    res = observe.after_fault(f, faults.failures(), deadline_s=30.0)
    assert res.converged, res.report
    # the router's carrier is untouched by the splice: only the hold timer (9 s) can have noticed
    assert res.overall_ms >= 5000, f"rerouted after {res.overall_ms:.0f} ms: faster than any hold timer"
    assert poll(lambda: _sessions(lab, link)[_addr(link.b)][0] != "Established", 5.0)
    if _forwarded(lab, link):
        assert _line(lab, link.a)["impaired"]["lost"] > 0
    faults.restore_and_check(f)
    if _forwarded(lab, link):
        _assert_nothing_left(lab, link)


def _burst(lab, src, dst, count: int) -> int:
    """``count`` UDP probe datagrams from one end of the link to the other's address, sent as
    fast as the flow prober sends; returns how many the far router's input counter saw."""
    before = flows.read(lab.plan, lab.paths)[dst.node].delivered
    sent = flows.send(lab.paths.netns(src.node), _addr(src), _addr(dst), count, sport_base=30000)
    assert sent == count, f"{count - sent} of {count} probes could not leave {src.node}"
    got = poll(lambda: (n := flows.read(lab.plan, lab.paths)[dst.node].delivered - before) >= count and n, 10.0)
    return got or flows.read(lab.plan, lab.paths)[dst.node].delivered - before


def test_a_burst_through_a_delayed_plain_link_loses_nothing(lab, faults):
    link = lab.link(EDGE, 1)
    flows.install(lab.plan, lab.paths)
    f = faults.impair(link, Impairment(delay_ms=1.0, jitter_ms=0.2))
    count = 5000
    there, back = _burst(lab, link.a, link.b, count), _burst(lab, link.b, link.a, count)
    lines = []
    if _forwarded(lab, link):       # counters are written every 50 ms at most: wait for the last frames
        poll(lambda: all(_line(lab, e)["impaired"]["sent"] >= count for e in (link.a, link.b)), 5.0)
        lines = [_line(lab, e) for e in (link.a, link.b)]
    faults.restore(f)
    assert (there, back) == (count, count), (f"of {count} probes each way over a delayed plain link, "
                                             f"{there} and {back} arrived; forwarder counters: {lines}")
    for line in lines:
        assert line["impaired"]["lost"] == 0 and line["kernel_drops"] == 0 and not line["drops"], line
        assert line["impaired"]["offered"] >= count, line
    if lines:
        _assert_nothing_left(lab, link)


def test_a_link_fault_still_acts_on_an_impaired_plain_link(lab, faults, observe):
    link = lab.link(LONE, 1)
    imp = faults.impair(link, Impairment(delay_ms=0.3))
    down = faults.link(link, side="a")
    res = observe.after_fault(down, faults.failures(), deadline_s=20.0)
    assert res.converged, res.report
    assert res.overall_ms < 5000, f"a port shutdown took {res.overall_ms:.0f} ms: carrier was not seen"
    faults.restore_and_check(down)
    assert poll(lambda: _sessions(lab, link)[_addr(link.b)][0] == "Established", 30.0), "session did not return"
    faults.restore_and_check(imp)


def test_a_crashed_router_keeps_its_forwarder_and_comes_back_impaired(lab, faults, observe):
    """The forwarder is the cable, not a routing daemon: a node fault leaves it running, so the
    restarted router's sessions come up over the impaired link."""
    link = lab.link(LONE, 1)
    imp = faults.impair(link, Impairment(delay_ms=0.3))
    pid = control.pid_of(lab.paths, link.a.node) if _forwarded(lab, link) else None
    crash = faults.node(link.a.node, mode="crash")
    assert observe.after_fault(crash, faults.failures(), deadline_s=30.0).converged
    if pid is not None:
        assert control.pid_of(lab.paths, link.a.node) == pid, "the node fault stopped the forwarder"
    assert all(r.ok for r in faults.restore_and_check(crash))
    assert poll(lambda: _sessions(lab, link)[_addr(link.b)][0] == "Established", 30.0), "session did not return"
    if pid is not None:
        assert _line(lab, link.a)["impaired"]["sent"] > 0
    faults.restore_and_check(imp)
