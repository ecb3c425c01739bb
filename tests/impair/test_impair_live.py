"""Link impairments on a live lab: what they add shows in real packets, light
loss leaves BGP alone, heavy loss brings sessions down by the hold timer and the FIBs follow the
oracle (which reads such a link as down), and the sweep and a rehearsal still hold on an
impaired lab.  On this platform (no sch_netem) every impairment here is served by the SecY's
user-space delay line: all are on BAG-to-BAG (protected) links.
"""
from __future__ import annotations

import math
import time

import pytest

from lab.workflows import sweep
from lab.impair.spec import Impairment, fibre_delay_ms
from lab.macsec.ports import stats
from lab.frr.show import show_json
from lab.observe.probes.rtt import icmp_rtts
from lab.workflows.rehearsal import rehearse
from lab.wait import poll

pytestmark = pytest.mark.lab

FIBRE = "r1-bag1~r2-bag1"           # three members: member 1 impaired, member 2 the control
LONE = "r1-bag1~r2-bag2"            # one member: losing it reroutes


def _addr(end) -> str:
    return end.ipv4.split("/")[0]


def _low_rtt_us(lab, link, count: int = 300) -> float:
    """The 10th percentile of ICMP round trips over the link: what the path adds, without the
    scheduling noise of a machine shared with other labs (the tail)."""
    r = icmp_rtts(lab.paths.netns(link.a.node), _addr(link.b), count, interval_s=0.002)
    assert r.answered >= count * 0.95, f"{r.lost} of {count} echoes unanswered over {link.bundle}#{link.member}"
    return r.percentile_us(10)


def _added_one_way_us(lab, impaired, control, rounds: int = 3) -> float:
    """Half the round-trip difference between the impaired member and an unimpaired one of the same
    bundle (same routers, same SecYs), measured alternately so load on the machine hits both."""
    diffs = [_low_rtt_us(lab, impaired) - _low_rtt_us(lab, control) for _ in range(rounds)]
    return sorted(diffs)[len(diffs) // 2] / 2


def test_60km_of_fibre_shows_as_300us_one_way(lab, faults):
    m1, m2 = lab.link(FIBRE, 1), lab.link(FIBRE, 2)
    before = _added_one_way_us(lab, m1, m2)
    f = faults.impair(m1, Impairment(delay_ms=fibre_delay_ms(60)))
    added = _added_one_way_us(lab, m1, m2)
    lines = [stats(lab.paths, e.node)["ports"][e.ifname]["impaired"] for e in (m1.a, m1.b)]
    late = max(c["late_us_p50"] for c in lines)
    faults.restore(f)
    after = _added_one_way_us(lab, m1, m2)
    # the delay line reports how late a busy machine let it send (median per frame): allowed on top
    assert 210 <= added <= 450 + late, (f"60 km of fibre (300 us) added {added:.0f} us one way (before: "
                                        f"{before:.0f} us; the SecY sent a median {late:.0f} us late)")
    assert abs(before) < 100 and abs(after) < 100, f"members differ without an impairment: {before:.0f}, {after:.0f} us"
    line = stats(lab.paths, m1.a.node)["ports"][m1.a.ifname]
    assert line["impaired"] is None, "the SecY still impairs the port after the fault was restored"


def _sessions(lab, link) -> dict[str, tuple[str, int]]:
    """Each BGP session on the link, from the a-side: state and connections dropped so far."""
    ns = lab.paths.netns(link.a.node)
    out = {}
    for addr in (_addr(link.b),):
        peer = show_json(ns, f"show bgp neighbors {addr} json")[addr]
        out[addr] = (peer["bgpState"], peer["connectionsDropped"])
    return out


def two_pct_loss_rides_out_two_hold_times(lab, faults, link, read_counts):
    """2 % loss on ``link`` for two hold times: its BGP session must stay up without a dropped
    connection and 1,000 echoes must lose what two lossy directions lose.  ``read_counts()``, called
    while the impairment is still on, reads the impairing process's counters; returned."""
    before = _sessions(lab, link)
    assert all(s == "Established" for s, _ in before.values()), before
    f = faults.impair(link, Impairment(loss=2.0))
    probe = icmp_rtts(lab.paths.netns(link.a.node), _addr(link.b), 1000, interval_s=0.002, timeout_s=0.2)
    deadline = time.monotonic() + 2 * lab.plan.holdtime
    while time.monotonic() < deadline:       # two hold times: a flap would show as a dropped connection
        assert _sessions(lab, link) == before, f"BGP on {link.bundle}#{link.member} changed under 2 % loss"
        time.sleep(1.0)
    counts = read_counts()
    faults.restore(f)
    # echo and reply each cross one lossy direction: 1 - 0.98^2 = 3.96 % of 1000 (39.6, σ 6.2), ±5σ
    p = 1 - 0.98 ** 2
    mean, sd = 1000 * p, math.sqrt(1000 * p * (1 - p))
    assert mean - 5 * sd <= probe.lost <= mean + 5 * sd, \
        f"{probe.lost} of 1000 echoes lost at 2 % loss each way (expected {mean:.0f} ± {5 * sd:.0f})"
    return counts


def test_2pct_loss_on_a_bag_member_does_not_flap_bgp(lab, faults, observe):
    link = lab.link(FIBRE, 1)
    counts = two_pct_loss_rides_out_two_hold_times(
        lab, faults, link, lambda: stats(lab.paths, link.a.node)["ports"][link.a.ifname]["impaired"])
    assert 1 <= counts["lost"] <= 0.1 * counts["offered"], counts


def test_heavy_loss_fails_sessions_by_hold_timer_and_the_fibs_follow_the_oracle(lab, faults, observe):
    link = lab.link(LONE, 1)
    f = faults.impair(link, Impairment(loss=100.0))
    assert link.id in faults.failures().links, "the oracle must read a link beyond recovery as down"
    res = observe.after_fault(f, faults.failures(), deadline_s=30.0)
    assert res.converged, res.report
    # no carrier change: only the hold timer (9 s, keepalives every 3 s) can have noticed
    assert res.overall_ms >= 5000, f"rerouted after {res.overall_ms:.0f} ms: faster than any hold timer"
    assert poll(lambda: _sessions(lab, link)[_addr(link.b)][0] != "Established", 5.0)
    faults.restore_and_check(f)


def test_sweep_and_rehearsal_run_on_an_impaired_lab(lab, faults, observe):
    """A smoke test: member 1 of the fat bundle carries 60 km of fibre with jitter, the lone
    r1-bag1~r2-bag2 link is dead (100 % loss: down to the oracle); the sweep's bundle and BAG-link
    cases and a member-link drain rehearsal must hold as on a healthy lab."""
    faults.impair(lab.link(FIBRE, 1), Impairment(delay_ms=0.3, jitter_ms=0.1))
    dead = faults.impair(lab.link(LONE, 1), Impairment(loss=100.0))
    assert observe.after_fault(dead, faults.failures(), deadline_s=30.0).converged
    rep = sweep.run(lab.session, only=lambda c: c.kind == "bundle"
                    or (c.kind == "link" and c.target.startswith(("r1-bag2~", "r1-bag1~r2-bag1#3"))))
    assert len(rep.items) >= 3 and rep.violations == 0, rep.as_dict()
    reh = rehearse(lab.session, observe.after_fault, observe.after_restore, "link",
                   bundle=FIBRE, members=[2], faults=faults)
    assert reh.ok and reh.lost == 0, reh.summary()
