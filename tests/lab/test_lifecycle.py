"""Live: up / status / exec / down on real FRR in namespaces, idempotency and leak-free teardown."""
from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from pyroute2 import IPRoute

from lab.config.oracle import Failures, neighbour_shares
from lab.workflows.build import up
from lab.observe.converge import session_problems, failure_report
from lab.observe.settle import Strategy, settle
from lab.design.model import LAB_V4, LAB_V6
from lab.host import nsutil
from lab.runtime import down_lab, runtime_for
from lab.state import FRR_RUN, LabPaths
from lab.wait import poll

from ..cli import BAGLAB, baglab
from ..conftest import TOPOLOGIES

pytestmark = pytest.mark.lab
MINI = str(TOPOLOGIES / "bag-mini.yaml")



def leftovers(name: str) -> dict:
    paths = LabPaths(name)
    return {"namespaces": nsutil.list_netns(paths.ns_prefix),
            "processes": nsutil.pids_by_cmdline(paths.ns_prefix),
            "frr_dirs": sorted(p.name for p in FRR_RUN.glob(f"{paths.ns_prefix}*")),
            "state": paths.root.exists()}


NOTHING = {"namespaces": [], "processes": [], "frr_dirs": [], "state": False}


@pytest.fixture(scope="module")
def lab():
    name = f"t{os.getpid() % 100000}"
    down_lab(LabPaths(name))
    res = up(MINI, name)
    yield res.plan, LabPaths(name)
    rep = down_lab(LabPaths(name))
    assert not rep.survivors and not rep.leftover_ns
    assert leftovers(name) == NOTHING


def test_fib_equals_oracle_and_sessions_established(lab):
    plan, paths = lab
    conv = settle(plan, paths, Strategy.CONVERGED, deadline_s=10)
    assert conv.ok, failure_report(plan, paths, conv)
    assert session_problems(plan, paths) == []


def test_status_json_shows_ucmp_weights_from_kernel(lab):
    plan, paths = lab
    st = json.loads(baglab("status", "--name", paths.name, "--json").stdout)
    assert st["converged"] is True
    r2 = next(n for n in st["nodes"] if n["name"] == "r2-bag1")
    prefix = plan.node("r1-f1-p1s1").prefixes_v4[0]
    route = next(r for r in r2["routes"] if r["prefix"] == prefix)
    shares: dict[str, int] = {}
    for h in route["nexthops"]:
        shares[h["peer"]] = shares.get(h["peer"], 0) + h["weight"]
    assert shares == {"r1-bag1": 75, "r1-bag2": 25}, route
    edge = next(n for n in st["nodes"] if n["name"] == "r1-f2-edge")
    far = next(r for r in edge["routes"] if r["prefix"] == plan.node("r2-f3-p1s1").prefixes_v4[0])
    assert sorted(h["weight"] for h in far["nexthops"]) == [16, 16, 33, 33]


def test_status_table_is_readable(lab):
    _, paths = lab
    out = baglab("status", "--name", paths.name).stdout
    assert "UCMP next hops and weights" in out and "r1-bag1 75% r1-bag2 25%" in out


def test_up_is_idempotent(lab):
    plan, paths = lab
    before = runtime_for(paths).processes(plan)
    res = up(MINI, paths.name)
    assert res.reused and res.convergence.ok
    assert runtime_for(paths).processes(plan) == before, "a second up must not restart daemons"


def test_lab_is_sealed_from_the_host(lab):
    plan, paths = lab
    with IPRoute() as host:
        host_ifs = {l.get_attr("IFLA_IFNAME") for l in host.get_links()}
    lab_ifs = {name for l in plan.links for e in (l.a, l.b) for name in (e.ifname, e.wire) if name}
    assert not host_ifs & lab_ifs, "no lab interface may live in the host namespace"
    for n in plan.nodes:
        protected = {l.end(n.name).ifname for l in plan.links_of(n.name) if l.end(n.name).wire}
        with IPRoute(netns=paths.netns(n.name)) as ipr:
            for link in ipr.get_links():
                info = link.get_attr("IFLA_LINKINFO")
                kind = info.get_attr("IFLA_INFO_KIND") if info else "loopback"
                name = link.get_attr("IFLA_IFNAME")
                # cables are veths; a MACsec port's router side is a veth to the SecY (or a kernel macsec device)
                allowed = ("veth", "macsec") if name in protected else ("veth", "loopback")
                assert kind in allowed, (n.name, name, kind)
                # a veth end numbered like its peer has its carrier changes batched
                assert kind != "veth" or link["index"] != link.get_attr("IFLA_LINK"), \
                    f"{n.name} {name}: ifindex {link['index']} equals its peer's: carrier changes up to 1 s late"
            for a in ipr.get_addr():
                ip = ipaddress.ip_address(a.get_attr("IFA_ADDRESS"))
                assert ip.is_loopback or ip.is_link_local or ip in (LAB_V4 if ip.version == 4 else LAB_V6), (n.name, ip)
            for fam in (2, 10):
                for r in ipr.route("dump", family=fam):
                    assert r["dst_len"] > 0 or r["table"] != 254, f"{n.name} has a default route"


def test_exec_runs_inside_the_node(lab):
    plan, paths = lab
    out = baglab("exec", "r1-bag1", "--name", paths.name, "--", "ip", "-j", "addr", "show", "dev", "lo").stdout
    assert plan.node("r1-bag1").router_id in out
    out = baglab("exec", "r1-bag1", "--name", paths.name, "--", "vtysh", "-c", "show bgp summary json").stdout
    assert json.loads(out)["ipv4Unicast"]["as"] == plan.node("r1-bag1").asn


def test_exec_unknown_node_is_a_clear_error(lab):
    _, paths = lab
    r = baglab("exec", "r9-bag1", "--name", paths.name, "--", "true", check=False)
    assert r.returncode == 2 and "unknown node 'r9-bag1'" in r.stderr


def test_the_check_can_fail_and_says_what_is_wrong(lab):
    """A down member link must show up as a FIB mismatch naming node, prefix and next hops."""
    plan, paths = lab
    link = next(l for l in plan.links if l.bundle == "r1-bag1~r2-bag1" and l.member == 1)
    with IPRoute(netns=paths.netns(link.b.node)) as ipr:
        idx = ipr.link_lookup(ifname=link.b.port)[0]     # the cable: both routers see carrier loss
        ipr.link("set", index=idx, state="down")
        try:
            # the routers learn of the cable asynchronously (through the MACsec SecY's carrier mirror):
            # wait until the steady-state check fails, then read what it says
            conv = poll(lambda: (lambda c: None if c.ok else c)(
                settle(plan, paths, Strategy.CONVERGED, deadline_s=0.3, check_sessions=False)), 5)
            assert conv is not None, "the FIB never reacted to the down link"
            assert not conv.ok
            text = failure_report(plan, paths, conv)
            assert "r2-bag1" in text and link.b.ifname in text and "expected [" in text and "observed [" in text
            assert "--- tail of" in text
            # and the oracle, told about the failure, agrees with the kernel
            moved = settle(plan, paths, Strategy.CONVERGED, failures=Failures.of(links=[link.id]), deadline_s=15,
                           check_sessions=False)
            assert moved.ok, failure_report(plan, paths, moved)
        finally:
            ipr.link("set", index=idx, state="up")
    back = settle(plan, paths, Strategy.CONVERGED, deadline_s=30)
    assert back.ok, failure_report(plan, paths, back)


def test_two_labs_coexist(lab):
    plan, paths = lab
    other = f"u{os.getpid() % 100000}"
    try:
        res = up(MINI, other)
        assert res.convergence.ok
        assert settle(plan, paths, Strategy.CONVERGED, deadline_s=10).ok, "the first lab must be unaffected"
    finally:
        down_lab(LabPaths(other))
    assert leftovers(other) == NOTHING
    assert len(nsutil.list_netns(paths.ns_prefix)) == len(plan.nodes)


def test_bad_topology_builds_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(MINI).read_text().replace("links_per_bundle: 1", "links_per_bundle: -3"))
    name = f"b{os.getpid() % 100000}"
    r = baglab("up", str(bad), "--name", name, check=False)
    assert r.returncode == 2
    assert "interconnects[0].links_per_bundle" in r.stderr and "Traceback" not in r.stderr
    assert leftovers(name) == NOTHING


def test_kill9_during_up_then_down_leaves_nothing():
    name = f"k{os.getpid() % 100000}"
    paths = LabPaths(name)
    proc = subprocess.Popen(BAGLAB + ["up", MINI, "--name", name, "-q"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    end = time.monotonic() + 30
    while time.monotonic() < end:   # kill once daemons are starting: the worst moment
        if len(list(FRR_RUN.glob(f"{paths.ns_prefix}*"))) >= 5 and nsutil.pids_by_cmdline(paths.ns_prefix):
            break
        time.sleep(0.01)
    else:
        proc.kill()
        pytest.fail("up never reached the daemon phase")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert leftovers(name)["namespaces"], "the kill should have left a half-built lab behind"
    r = baglab("down", "--name", name)
    assert "removed" in r.stderr
    assert leftovers(name) == NOTHING


def test_down_of_absent_lab_is_harmless():
    r = baglab("down", "--name", "neverwas")
    assert "removed 0 namespaces" in r.stderr


def test_neighbour_share_helper_matches_kernel_semantics(lab):
    plan, paths = lab
    from lab.config.oracle import expected_routes
    hops = expected_routes(plan)["r2-bag1"][plan.node("r1-f1-p1s1").prefixes_v6[0]]
    assert neighbour_shares(hops) == {"r1-bag1": 0.75, "r1-bag2": 0.25}


def test_fault_and_restore_from_the_cli(lab):
    plan, paths = lab
    r = baglab("fault", "link", "r1-bag1~r2-bag1", "--member", "2", "--name", paths.name)
    assert "as the oracle predicts" in r.stderr and "converged in" in r.stderr
    assert "active" in baglab("faults", "--name", paths.name).stdout
    bad = baglab("fault", "node", "r9-bag9", "--name", paths.name, check=False)
    assert bad.returncode != 0
    r = baglab("restore", "--name", paths.name)
    assert "restored 1 fault(s)" in r.stderr and "as the oracle predicts" in r.stderr
    assert "active" not in baglab("faults", "--name", paths.name).stdout
    assert settle(plan, paths, Strategy.CONVERGED, deadline_s=10).ok


def test_up_builds_afresh_when_only_the_impairments_changed(lab, tmp_path):
    """Impairments are not in the plan: a reused lab would keep the old ones."""
    _, paths = lab
    topo = tmp_path / "bag-mini-impaired.yaml"
    topo.write_text(Path(MINI).read_text() + "impairments:\n  - link: r1-bag1~r2-bag1\n    members: [1]\n"
                    "    delay_ms: 0.5\n")
    assert not up(str(topo), paths.name).reused
    assert "r1-bag1~r2-bag1 member 1 (delay 0.5 ms)" in baglab("faults", "--name", paths.name).stdout
    assert up(str(topo), paths.name).reused, "the same impairments: the lab is reused"
    assert not up(MINI, paths.name).reused, "impairments dropped from the topology: a lab without them"
    assert "impair" not in baglab("faults", "--name", paths.name).stdout
