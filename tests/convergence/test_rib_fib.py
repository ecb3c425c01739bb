"""RIB/FIB agreement after short flaps: FRR 8.4.4's kernel nexthop groups lose a member.

Seen here: after a ~10 ms link flap, zebra's RIB lists every weighted next hop
while the kernel's nexthop group keeps one fewer, and it never heals.  The lab's
8.4 default (``no zebra nexthop kernel enable``) avoids it; the suite must catch it
wherever it arises.  FRR 10.3 and 10.7 heal, so there groups are the default
(lab/design/frr_versions.py) and the same flap must end with RIB, FIB and oracle equal
(``pytest --frr 10.3``).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from pyroute2 import IPRoute

from lab.workflows.build import up
from lab.observe.converge import failure_report, wait_rib_fib
from lab.observe.settle import Strategy, settle
from lab.design.frr_versions import kernel_nexthop_groups
from lab.frr.roots import host_version
from lab.runtime import down_lab
from lab.state import LabPaths

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[2]


def flap(paths: LabPaths, node: str, ifname: str, seconds: float = 0.01) -> None:
    with IPRoute(netns=paths.netns(node)) as ipr:
        idx = ipr.link_lookup(ifname=ifname)[0]
        ipr.link("set", index=idx, state="down")
        time.sleep(seconds)          # the fault's duration, not a synchronisation
        ipr.link("set", index=idx, state="up")


def test_default_config_heals_after_a_short_flap(lab, observe):
    flap(lab.paths, "r1-bag1", lab.link("r1-bag1~r2-bag1").a.port)   # the cable: both ends see carrier loss
    res = observe.steady(deadline_s=20)
    assert res.ok and not res.rib_fib


def _nhg_topology(tmp_path) -> Path:
    topo = tmp_path / "nhg.yaml"
    # bare veths on the BAG-to-BAG links (no MACsec SecY between router and cable): the flap then
    # reaches both routers' interfaces at kernel speed, which is what reproduces FRR's bug reliably
    topo.write_text((ROOT / "topologies/bag-mini.yaml").read_text().replace("name: bag-mini", "name: bag-mini-nhg")
                    .replace("macsec: required", "macsec: off") + "policy:\n  kernel_nexthop_groups: true\n")
    return topo


def _flapped_nhg_lab(tmp_path, runtime_name, frr, paths):
    """bag-mini with kernel nexthop groups, one member of the thick bundle flapped for 10 ms."""
    plan = up(_nhg_topology(tmp_path), paths.name, runtime=runtime_name, frr=frr).plan
    link = next(l for l in plan.links if l.bundle == "r1-bag1~r2-bag1" and l.member == 1)
    flap(paths, "r1-bag1", link.a.ifname)
    conv = settle(plan, paths, Strategy.CONVERGED, deadline_s=15)
    # a FIB that stayed off the oracle for those 15 s has had its time to heal: one RIB/FIB read
    # then names the divergence (5 s more of waiting for it to heal cost every 8.4 run 5 s)
    return plan, conv, wait_rib_fib(plan, paths, [n.name for n in plan.nodes], deadline_s=5 if conv.ok else 0)


def _version(request) -> str:
    return request.config.getoption("--frr") or host_version()


def _paths(request) -> LabPaths:
    """Its own lab, named under --lab-name's when given (as extra_lab names them)."""
    base = request.config.getoption("--lab-name")
    return LabPaths(f"{base}-nhg"[:16] if base else f"nhg{os.getpid() % 10000}")


def test_nexthop_group_divergence_is_caught(tmp_path, runtime_name, request):
    if kernel_nexthop_groups(_version(request)):
        pytest.skip(f"FRR {_version(request)} heals after short flaps: test_nexthop_groups_heal covers it")
    paths = _paths(request)
    try:
        plan, conv, rib_fib = _flapped_nhg_lab(tmp_path, runtime_name, request.config.getoption("--frr"), paths)
        if conv.ok and not rib_fib:
            pytest.fail("FRR no longer loses a nexthop-group member after a short flap: "
                        "update docs/explanation/emulation-boundary.md and lab/design/frr_versions.py, and turn this test around")
        # the divergence is reported precisely: which node, which prefix, RIB vs FIB
        assert any(p.startswith("r2-bag1 198.19.0.0/24: RIB [r1-bag1-1 w25") and "FIB [r1-bag1-2" in p
                   for p in rib_fib), rib_fib
        text = failure_report(plan, paths, conv)
        assert "expected [r1-bag1-1 w25" in text and "observed [r1-bag1-2 w25" in text
    finally:
        down_lab(paths)


def test_nexthop_groups_heal(tmp_path, runtime_name, request):
    """Where the version's default is groups on, the flap that breaks 8.4 must heal completely."""
    if not kernel_nexthop_groups(_version(request)):
        pytest.skip(f"FRR {_version(request)} keeps groups off: test_nexthop_group_divergence_is_caught covers it")
    paths = _paths(request)
    try:
        plan, conv, rib_fib = _flapped_nhg_lab(tmp_path, runtime_name, request.config.getoption("--frr"), paths)
        assert not rib_fib, f"FRR {_version(request)}'s nexthop groups diverged after a 10 ms flap: {rib_fib[:4]}"
        assert conv.ok, failure_report(plan, paths, conv)
    finally:
        down_lab(paths)
