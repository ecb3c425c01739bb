"""Live: MACsec-only BAG-to-BAG links and TCP-MD5, proven from the wire with scapy probes.

One bag-mini lab for the module.  Its six BAG-to-BAG links are `macsec: required`
and carry TCP-MD5 (topologies/bag-mini.yaml).  On this platform the SecY is the
user-space shim (no kernel macsec module); the probes read its counters.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest
from pyroute2 import IPRoute

from lab.config.oracle import Failures
from lab.workflows.build import up
from lab.observe.converge import failure_report
from lab.observe.settle import Strategy, settle
from lab.faults import FaultInjector
from lab.macsec import enforce
from lab.observe.links import link_report
from lab.observe.probes.macsec import KINDS, probe_link
from lab.macsec import secy
from lab.runtime import down_lab, runtime_for
from lab.state import LabPaths
from lab.wait import wait_for

from ..conftest import ROOT, TOPOLOGIES

pytestmark = pytest.mark.lab
PROBES = 10          # frames of each kind per link and direction


@pytest.fixture(scope="module")
def sec_lab():
    paths = LabPaths(f"sec{os.getpid() % 10000}")
    try:
        res = up(TOPOLOGIES / "bag-mini.yaml", paths.name)
        yield res.plan, paths
    finally:
        down_lab(paths)


def protected(plan):
    return [l for l in plan.links if l.a.wire]


def ports(plan, paths) -> dict[tuple[int, str], dict]:
    return {(r["id"], e["node"]): e for r in link_report(plan, paths) if r["macsec"] != "off" for e in r["ends"]}


def converged(plan, paths, fi, deadline_s=30):
    conv = settle(plan, paths, Strategy.CONVERGED, failures=fi.failures(), deadline_s=deadline_s)
    assert conv.ok, failure_report(plan, paths, conv, runtime_for(paths).processes(plan))


def test_bag_to_bag_links_carry_bgp_only_as_macsec(sec_lab):
    plan, paths = sec_lab
    assert {l.id for l in protected(plan)} == {l.id for l in plan.links if l.kind == "interbag"} != set()
    seen = ports(plan, paths)
    for (link, node), e in seen.items():
        assert e["tx_protected"] > 0 and e["rx_ok"] > 0, f"link {link} at {node}: no MACsec traffic: {e}"
        assert e["plaintext_in"] == 0, f"link {link} at {node}: {e['plaintext_in']} plaintext frames reached the wire"
        assert e["drops"] == {}, f"link {link} at {node}: the SecY dropped frames of the lab's own traffic: {e['drops']}"
    # the routers' sessions on those links are up and authenticated with TCP-MD5
    ns = paths.netns(protected(plan)[0].a.node)
    conf = subprocess.run(["vtysh", "-N", ns, "-c", "show running-config"], capture_output=True, text=True).stdout
    assert "password bag-mini-md5" in conf


def test_probes_on_every_protected_link(sec_lab):
    plan, paths = sec_lab
    results = []
    for l in protected(plan):
        for sender in (l.a.node, l.b.node):
            results.append(probe_link(plan, paths, l, sender, count=PROBES))
    report = ROOT / "reports" / "macsec-probes.json"
    report.parent.mkdir(exist_ok=True)
    report.write_text(json.dumps([r.__dict__ for r in results], indent=1))
    bad = [f"link {r.link} {r.sender}->{r.receiver}: {p}" for r in results for p in r.problems]
    assert not bad, "\n".join(bad)
    total = {k: sum(r.delivered[k] for r in results) for k in KINDS}
    assert total["plaintext"] == 0 and total["wrong_key"] == total["tampered"] == total["replayed"] == 0
    assert total["keyed"] == PROBES * len(results)
    assert all(r.dropped[k] == PROBES for r in results for k in KINDS if k != "keyed")


def test_the_probe_sees_plaintext_leak_when_the_filter_is_gone(sec_lab):
    """The probe's 'zero delivered' can fail: without the wire filter, plaintext reaches the router."""
    plan, paths = sec_lab
    l = protected(plan)[0]
    ns = paths.netns(l.b.node)
    subprocess.run(["ip", "netns", "exec", ns, "nft", "delete", "chain", "netdev", enforce.TABLE, f"in_{l.b.wire}"],
                   check=True)
    try:
        res = probe_link(plan, paths, l, l.a.node, count=PROBES, deadline_s=2)
        assert res.delivered["plaintext"] == PROBES, res
        assert any(p.startswith("plaintext:") for p in res.problems), res.problems
    finally:
        enforce.install(ns, [{"wire": e.wire, "mode": x.macsec} for x in plan.links_of(l.b.node)
                             for e in (x.end(l.b.node),) if e.wire])


def test_key_mismatch_takes_the_link_down_and_traffic_reroutes(sec_lab):
    plan, paths = sec_lab
    fi = FaultInjector(plan, paths)
    l = protected(plan)[0]
    before = ports(plan, paths)[(l.id, l.b.node)]["drops"].get("bad_icv", 0)
    f = fi.macsec_mismatch(l, "a")
    try:
        converged(plan, paths, fi)     # the oracle's state with this link failed: the FIB rerouted
        after = wait_for(lambda: ports(plan, paths)[(l.id, l.b.node)]["drops"].get("bad_icv", 0) > before, 5,
                         f"{l.b.node} counting frames under the wrong key")
        assert after
    finally:
        fi.restore(f)
    converged(plan, paths, fi)


def test_md5_mismatch_keeps_the_session_down(sec_lab):
    plan, paths = sec_lab
    fi = FaultInjector(plan, paths)
    l = protected(plan)[1]
    f = fi.md5_mismatch(l, "b")
    try:
        converged(plan, paths, fi)
        # and it stays down: the peer's segments fail TCP-MD5 at the kernel
        out = subprocess.run(["vtysh", "-N", paths.netns(l.a.node), "-c", "show bgp summary json"],
                             capture_output=True, text=True).stdout
        peer = l.b.ipv4.split("/")[0]
        state = json.loads(out)["ipv4Unicast"]["peers"][peer]["state"]
        assert state != "Established", f"{l.a.node} -> {peer}: {state}"
    finally:
        fi.restore(f)
    converged(plan, paths, fi)


def test_key_rotation_is_hitless(sec_lab):
    plan, paths = sec_lab
    before = ports(plan, paths)
    kid = secy.rotate(paths, plan)
    # every port moves to the new association number, and keeps receiving without a single drop
    wait_for(lambda: all(e["tx_an"] == kid % 4 and e["rx_ok"] > before[k]["rx_ok"]
                         for k, e in ports(plan, paths).items()), 10, f"every port transmitting with key {kid}")
    after = ports(plan, paths)
    grew = {k: (before[k]["drops"], e["drops"]) for k, e in after.items() if e["drops"] != before[k]["drops"]}
    assert not grew, f"frames dropped during rotation: {grew}"
    converged(plan, paths, FaultInjector(plan, paths))


def test_shutting_a_routers_protected_port_leaves_the_secy_running(sec_lab):
    """An operator's 'shutdown' on the router side (above the SecY) drops that link, and only that."""
    plan, paths = sec_lab
    rt = runtime_for(paths)
    l = protected(plan)[2]
    pid = rt.processes(plan)[l.b.node]["macsec"]
    fi = FaultInjector(plan, paths)
    with IPRoute(netns=paths.netns(l.b.node)) as ipr:
        idx = ipr.link_lookup(ifname=l.b.ifname)[0]
        ipr.link("set", index=idx, state="down")
        try:
            conv = settle(plan, paths, Strategy.CONVERGED, failures=Failures.of(links=[l.id]), deadline_s=30)
            assert conv.ok, failure_report(plan, paths, conv, rt.processes(plan))
        finally:
            ipr.link("set", index=idx, state="up")
    converged(plan, paths, fi)
    assert rt.processes(plan)[l.b.node]["macsec"] == pid, "the SecY restarted or died"


def test_a_dead_shim_is_named(sec_lab):
    plan, paths = sec_lab
    rt = runtime_for(paths)
    node = protected(plan)[0].a.node
    os.kill(rt.processes(plan)[node]["macsec"], signal.SIGKILL)
    try:
        # SIGKILL is asynchronous: the process is gone when it has exited, not when kill returns
        wait_for(lambda: rt.processes(plan)[node]["macsec"] is None, 10, f"the SecY of {node} to exit")

        def diverged():
            # a killed SecY leaves its ports up and dark (the routers keep carrier, frames vanish):
            # the sessions over them fall at the hold timer, so the FIBs change only then
            conv = settle(plan, paths, Strategy.CONVERGED, deadline_s=0.5)
            return None if conv.ok else conv
        conv = wait_for(diverged, plan.holdtime + 6, f"the FIBs to show {node}'s dead SecY")
        text = failure_report(plan, paths, conv, rt.processes(plan))
        assert f"daemons not running: {node}/macsec" in text, text
    finally:
        secy.start(paths, plan, [node])     # the routers kept running; only the ports come back
    converged(plan, paths, FaultInjector(plan, paths))


def test_gcm_aes_256_with_a_replay_window_end_to_end():
    """bag-2region asks for GCM-AES-256 and a replay window of 16: the lab converges over it and the
    probes (keyed with the 32-byte SAK) pass; frames more than 16 PNs late are still refused as replays."""
    paths = LabPaths(f"s256{os.getpid() % 10000}")
    try:
        plan = up(TOPOLOGIES / "bag-2region.yaml", paths.name).plan
        assert plan.macsec_cipher == "gcm-aes-256" and plan.macsec_replay_window == 16
        seen = ports(plan, paths)
        assert all(e["drops"] == {} and e["rx_ok"] > 0 for e in seen.values()), seen
        l = protected(plan)[0]
        res = probe_link(plan, paths, l, l.b.node, count=PROBES)
        assert res.ok, res.problems
    finally:
        down_lab(paths)
