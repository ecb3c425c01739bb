"""What the far region hears: an ExaBGP route collector peering with r2's BAG routers.

Asserts *what* was withdrawn upstream and *when* (withdrawal propagation time from
the fault's timestamp), and that no prefix the oracle says is unaffected churned.
"""
from __future__ import annotations

import time

import pytest

from lab.config.oracle import NONE, Failures, expected_routes
from lab.observe import collector
from lab.wait import wait_for

pytestmark = pytest.mark.lab
WITHDRAWAL_BOUND_MS = 2000   # far-region withdrawal must arrive within this of the fault


def records(lab):
    c = next(n for n in lab.plan.nodes if n.role == "collector")
    return c, lab.paths.node_dir(c.name) / "updates.jsonl"


def advertised(plan, node: str, failures: Failures) -> dict[str, float]:
    """prefix -> link bandwidth the node advertises onward (cumulative), per the oracle."""
    return {p: sum(h.bandwidth for h in hops) for p, hops in expected_routes(plan, failures)[node].items()}


def wait_quiet(path, quiet_s: float = 1.0, deadline_s: float = 20.0) -> None:
    """Initial convergence refines bandwidths UPDATE by UPDATE: start a fault only after the record settles."""
    end = time.time() + deadline_s
    while True:
        evs = collector.read(path)
        last = max((e.t for e in evs), default=0.0)
        if time.time() - last >= quiet_s:
            return
        assert time.time() < end, f"the collector kept hearing updates for {deadline_s}s: {evs[-3:]}"
        time.sleep(0.1)


def test_collector_hears_every_prefix(lab, observe):
    observe.steady()
    c, path = records(lab)
    peers = {l.peer(c.name).node: l for l in lab.plan.links_of(c.name)}
    addr_of = {}
    for node, l in peers.items():
        e = l.peer(c.name)
        addr_of[e.ipv4.split("/")[0]] = node
        addr_of[e.ipv6.split("/")[0]] = node
    want = {(node, p) for node in peers for p in advertised(lab.plan, node, NONE)}

    def heard():
        got = {(addr_of.get(e.peer), e.prefix) for e in collector.read(path) if e.kind == "announce"}
        return want <= got

    wait_for(heard, 15, f"the collector to hear {len(want)} (peer, prefix) announcements")
    # the bandwidth it hears is the cumulative capacity the oracle computes
    last: dict[tuple[str, str], float | None] = {}
    for e in collector.read(path):
        if e.kind == "announce":
            last[(addr_of.get(e.peer), e.prefix)] = e.bandwidth
    for node in peers:
        for p, bw in advertised(lab.plan, node, NONE).items():
            assert last[(node, p)] == pytest.approx(bw, rel=1e-3), (node, p, last[(node, p)], bw)


def test_withdrawal_reaches_the_far_region_and_nothing_else_churns(lab, faults, observe):
    c, path = records(lab)
    peers = [l.peer(c.name).node for l in lab.plan.links_of(c.name)]
    edge = "r1-f2-edge"
    observe.steady()
    wait_quiet(path)
    before = {n: advertised(lab.plan, n, NONE) for n in peers}
    f = faults.nodes([edge], "power", kind="fabric-disconnect", target=edge)
    res = observe.after_fault(f, faults.failures())
    after = {n: advertised(lab.plan, n, faults.failures()) for n in peers}
    gone = {p for n in peers for p in before[n] if p not in after[n]}
    changed = {p for n in peers for p in before[n] if after[n].get(p) != before[n][p]}
    assert gone == set(lab.plan.node(edge).prefixes), "the oracle should withdraw exactly the DSF's prefixes"

    def withdrawn():
        evs = collector.read(path, since=f.started)
        got = {e.prefix for e in evs if e.kind == "withdraw"}
        return evs if gone <= got else None

    evs = wait_for(withdrawn, 10, f"withdrawals of {sorted(gone)} at the collector")
    latency_ms = {p: (min(e.t for e in evs if e.prefix == p and e.kind == "withdraw") - f.started) * 1000 for p in gone}
    assert max(latency_ms.values()) <= WITHDRAWAL_BOUND_MS, latency_ms
    # an unaffected prefix must not be withdrawn nor re-announced with other attributes; a duplicate
    # announcement (same bandwidth) is protocol noise, counted in the report but not a routing change
    addr_of = {}
    for l in lab.plan.links_of(c.name):
        e = l.peer(c.name)
        addr_of[e.ipv4.split("/")[0]] = addr_of[e.ipv6.split("/")[0]] = e.node
    noise = [e for e in evs if e.prefix not in changed]
    churned = [(round((e.t - f.started) * 1000), addr_of.get(e.peer), e.kind, e.prefix, e.bandwidth,
                before[addr_of.get(e.peer)].get(e.prefix)) for e in noise
               if e.kind == "withdraw" or e.bandwidth != before[addr_of.get(e.peer)].get(e.prefix)]
    assert not churned, f"unaffected prefixes changed at the far region (ms, peer, kind, prefix, bw, was): {churned}"
    observe.report.results[-1][0].target += (f" (far-region withdrawal {max(latency_ms.values()):.0f} ms, "
                                             f"{len(noise)} duplicate announcements of unaffected prefixes)")
    faults.restore_and_check(f)
    assert res.converged
