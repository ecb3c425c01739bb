"""Live: data-plane flow probes and the exhaustive N-1 sweep on bag-mini.

The sweep must find nothing wrong with the designed policy, and must find a
planted fault: a spine switch that withholds the link-bandwidth community.
"""
from __future__ import annotations

import os
import subprocess

import pytest

from lab.config.oracle import expected_routes
from lab.workflows import sweep
from lab.workflows.build import up
from lab.observe.converge import failure_report
from lab.observe.settle import Strategy, settle
from lab.observe.fib import FibReader
from lab.observe.probes import flows
from lab.observe.probes.precision import flows_for_pair
from lab.runtime import down_lab
from lab.session import open_lab
from lab.state import LabPaths

from ..conftest import ROOT, TOPOLOGIES

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def mini_lab(request):
    base = request.config.getoption("--lab-name")      # under --lab-name's, like the plugin's extra labs
    paths = LabPaths(f"{base}-sw"[:16] if base else f"sw{os.getpid() % 10000}")
    try:
        plan = up(TOPOLOGIES / "bag-mini.yaml", paths.name).plan
        flows.install(plan, paths, reach_ports=len(sweep.sample_pairs(plan)))
        yield plan, paths
    finally:
        down_lab(paths)


def test_flow_split_follows_the_weights(mini_lab):
    """r1-f2-edge -> r2's fabric: r1-bag routers split over 3+1 members toward r2-bag1 and 1 toward
    r2-bag2; the packets' real split per router must match installed and oracle weights."""
    plan, paths = mini_lab
    prefix = plan.node("r2-f3-p1s1").prefixes_v4[0]
    exp = expected_routes(plan)
    n = flows_for_pair(exp, "r1-f2-edge", flows.target(prefix))      # +-5 points at every splitting router
    r = flows.probe(plan, paths, "r1-f2-edge", prefix, flows=n)
    assert r.delivered == r.sent == n and r.ttl_expired == 0, r
    with FibReader({n: paths.netns(n) for n in r.split}) as fib:
        installed = {n: {h.ifname: h.weight for h in fib.read(n).get(prefix, [])} for n in r.split}
    expected = {n: {h.ifname: h.weight for h in exp[n].get(prefix, [])} for n in r.split}
    assert "r1-bag1" in r.split and len(r.split["r1-bag1"]) >= 2, f"no multipath seen at r1-bag1: {r.split}"
    assert flows.split_problems(r, installed, expected) == []
    # and the check can fail: against weights that say "all on one link" it must complain, and
    # against weights 10 points off the real ones (a planted 60/40 where 50/50 is installed)
    skewed = {n: {next(iter(w)): 1} for n, w in expected.items() if w}
    assert flows.split_problems(r, installed, skewed)
    even = next(n for n, w in expected.items() if len(w) == 2 and len(set(w.values())) == 1)
    a, b = sorted(expected[even])
    planted = dict(expected, **{even: {a: 60, b: 40}})
    assert any(p.startswith(f"{even} {prefix} via {a}:") for p in flows.split_problems(r, installed, planted)), \
        flows.split_rows(r, installed, planted)


#: CI sweeps every plane, bundle and failure domain, the BAG routers and the edge pod, and one link of
#: each kind (24 of bag-mini's 47 cases, ~2.5 min); BAGLAB_FULL_MATRIX=1 ('make test-matrix') all of them
FULL_MATRIX = os.environ.get("BAGLAB_FULL_MATRIX") == "1"
CI_LINKS = {"r1-f1-p1s1~r1-bag1#1", "r1-f2-edge~r1-bag1#1", "r1-bag1~r2-bag1#1"}


def _in_ci(case) -> bool:
    if case.kind == "link":
        return case.target in CI_LINKS
    if case.kind == "node":
        return case.target.endswith(("-bag1", "-bag2", "-edge"))
    return True


def test_sweep_finds_no_violation_on_the_designed_policy(mini_lab):
    plan, paths = mini_lab
    only = None if FULL_MATRIX else _in_ci
    with open_lab(paths, plan) as lab:
        rep = sweep.run(lab, only=only)
    sweep.write(rep, ROOT / "reports", "sweep")
    kinds = {i.kind for i in rep.items}
    assert kinds == {"link", "bundle", "node", "plane", "data_hall", "power_feed"}
    assert len(rep.items) == len([c for c in sweep.cases(plan) if only is None or only(c)])
    assert FULL_MATRIX or len(rep.items) == 24, [f"{i.kind} {i.target}" for i in rep.items]
    bad = [f"{i.kind} {i.target}: {v}" for i in rep.items for v in i.violations] + rep.steady
    assert not bad, "\n".join(bad)
    # the steady-state split is reported per router, prefix and next hop, beside both weights
    pairs = sweep.sample_pairs(plan)
    assert {r["prefix"] for r in rep.splits} == {prefix for _, prefix in pairs}
    assert all(r["installed_weight"] and r["expected_weight"] for r in rep.splits if r["flows"]), rep.splits
    # losing the DSF edge pod cuts its prefixes off: the sweep must call that explained, not a blackhole
    edge = next(i for i in rep.items if i.kind == "node" and i.target == "r1-f2-edge")
    assert edge.cut_off, "the oracle says r1-f2-edge's prefixes are unreachable without it"


def test_sweep_catches_a_spine_switch_withholding_link_bandwidth(mini_lab):
    plan, paths = mini_lab
    ns = paths.netns("r2-f3-p1s1")
    maps = subprocess.run(["vtysh", "-N", ns, "-c", "show running-config"], capture_output=True, text=True).stdout
    origin_maps = sorted({line.split()[1] for line in maps.splitlines() if line.startswith("route-map ORIGIN")})

    def vty(*cmds):
        argv = ["vtysh", "-N", ns, "-c", "configure terminal"]
        for c in cmds:
            argv += ["-c", c]
        argv += ["-c", "end", "-c", "clear bgp * soft out"]
        subprocess.run(argv, check=True, capture_output=True)

    vty(*[c for m in origin_maps for c in (f"route-map {m} permit 10", "no set extcommunity bandwidth")])
    try:
        # one failure is enough to show it (each case waits out its deadline: nothing converges as designed)
        with open_lab(paths, plan) as lab:
            rep = sweep.run(lab, only=lambda c: c.kind == "bundle" and c.target == "r1-bag1~r2-bag1",
                            deadline_s=8)
        found = rep.steady + [v for i in rep.items for v in i.violations]
        assert found, "a spine switch without link-bandwidth must not pass the sweep"
        assert any("r2" in f or "198.19.2." in f or "2001:db8:1000:200" in f for f in found), found
    finally:
        speeds = {m: m.split("-")[1] for m in origin_maps}
        vty(*[c for m in origin_maps for c in (f"route-map {m} permit 10", f"set extcommunity bandwidth {speeds[m]}")])
    conv = settle(plan, paths, Strategy.CONVERGED, deadline_s=30)
    assert conv.ok, failure_report(plan, paths, conv)
