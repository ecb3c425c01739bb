"""Live: the shipped intent files pass on the built-in policy, each topology in its own lab, and
the checks can fail -- a share stated wrongly, a fabric withdrawn, a lab that never goes quiet.

Labs are named ``<prefix><pid>`` (prefix from BAGLAB_CHECK_LAB_PREFIX, default ``ck``)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from lab.workflows.build import up
from lab.verdict.checks import report
from lab.verdict.checks.quiet import baseline
from lab.observe.settle import Strategy, settle
from lab.workflows.check import load, run_checks as run_on
from lab.verdict.checks.schema import Intents
from lab.session import open_lab
from lab.faults import FaultInjector
from lab.runtime import down_lab
from lab.state import LabPaths

from ..conftest import ROOT, TOPOLOGIES

pytestmark = pytest.mark.lab
PREFIX = os.environ.get("BAGLAB_CHECK_LAB_PREFIX", "ck")


def _lab(topology: str, k: int):
    paths = LabPaths(f"{PREFIX}{k}{os.getpid() % 10000}")
    plan = up(TOPOLOGIES / f"{topology}.yaml", paths.name).plan
    return plan, paths


@pytest.fixture(scope="module")
def mini_lab():
    plan, paths = None, None
    try:
        plan, paths = _lab("bag-mini", 0)
        yield plan, paths
    finally:
        if paths:
            down_lab(paths)


def run_checks(plan, paths, intents, **kw):
    with open_lab(paths, plan) as lab:
        return run_on(lab, intents, **kw)


#: CI sweeps bag-mini's BAG planes only (4 failures, ~40 s); the shipped file's bundles, planes and
#: failure domains (16 failures, ~200 s) run with BAGLAB_FULL_MATRIX=1 ('make test-matrix')
FULL_MATRIX = os.environ.get("BAGLAB_FULL_MATRIX") == "1"


def _passes(plan, paths, topology: str):
    path = TOPOLOGIES / "intents" / f"{topology}.yaml"
    loaded = load(plan, path)
    it = loaded.model
    if it.sweep is not None and not FULL_MATRIX:
        it = it.model_copy(update={"sweep": it.sweep.model_copy(update={"kinds": ["plane"], "domains": False})})
    rep = run_checks(plan, paths, it, source=str(path))
    out = ROOT / "reports" / "checks"
    report.write_json(rep, out / f"{topology}.json")
    report.write_junit(rep, out / f"{topology}.xml")
    bad = [f"{v.check}: {v.status}: {v.summary}" for v in rep.verdicts if v.status != "PASS"]
    assert not bad and rep.exit_code == 0, "\n".join(bad)
    kinds = {v.kind for v in rep.verdicts}
    return rep, kinds


def test_bag_mini_intents_pass(mini_lab):
    rep, kinds = _passes(*mini_lab, "bag-mini")
    assert {"quiet", "reachability", "shares", "attributes", "routes", "advertised", "paths", "drains",
            "sweep"} <= kinds, kinds


@pytest.mark.parametrize("topology,k", [("bag-2region", 1), ("bag-agg", 2), ("bag-routes", 3)])
def test_shipped_intents_pass(topology, k):
    paths = None
    try:
        plan, paths = _lab(topology, k)
        _, kinds = _passes(plan, paths, topology)
        assert {"quiet", "shares", "attributes"} <= kinds, kinds
        assert topology == "bag-routes" or "routes" in kinds, kinds
    finally:
        if paths:
            down_lab(paths)


def test_a_wrong_share_fails_naming_router_and_figures(mini_lab):
    plan, paths = mini_lab
    it = Intents.model_validate({"shares": [{"at": "r2-bag1", "fabric": "f1", "tolerance": 5,
                                             "expect": {"r1-bag1": 50, "r1-bag2": 50}}]})
    rep = run_checks(plan, paths, it)
    v = next(v for v in rep.verdicts if v.kind == "shares")
    assert v.status == "FAIL" and rep.exit_code == 1, v
    assert "r2-bag1" in v.summary and "expected 50.0 %" in v.summary and "observed 75" in v.summary, v.summary
    assert v.evidence["flows"] == 1600 and abs(v.evidence["flows_observed"]["r1-bag1"] - 75) < 5, v.evidence


def test_a_withdrawn_fabric_fails_reachability_listing_the_pairs(mini_lab):
    """The DSF pod stops announcing its IPv4 prefix (as a prefix-list typo would): every pair
    towards it must FAIL, and the others pass."""
    plan, paths = mini_lab
    edge = plan.node("r1-f2-edge")
    bgp = ["router bgp " + str(edge.asn), "address-family ipv4 unicast"]
    fi = FaultInjector(plan, paths)
    assert fi.configure(edge.name, bgp + [f"no network {edge.prefixes_v4[0]}"]) == ""
    try:
        rep = run_checks(plan, paths, Intents.model_validate({"reachability": {"families": ["ipv4"]}}),
                         settle_s=2.0)
    finally:
        before = baseline(plan, paths)
        assert fi.configure(edge.name, bgp + [f"network {edge.prefixes_v4[0]}"]) == ""
        assert settle(plan, paths, Strategy.QUIET, quiet_s=2.0, deadline_s=30.0, expect_change=True, before=before).ok
    failed = sorted(v.check for v in rep.verdicts if v.status == "FAIL")
    assert failed == ["reach:r1-f1->r1-f2:ipv4", "reach:r2-f3->r1-f2:ipv4"], failed
    assert rep.exit_code == 1
    v = next(v for v in rep.verdicts if v.check == "reach:r2-f3->r1-f2:ipv4")
    assert "0/16 packets delivered" in v.summary, v.summary


def test_a_lab_that_never_goes_quiet_is_inconclusive_exit_2(mini_lab, tmp_path):
    """A link flapping all through the check: ``baglab check`` must neither pass nor fail it."""
    plan, paths = mini_lab
    link = next(l for l in plan.links if l.bundle == "r1-f1-p1s1~r1-bag1")
    stop = threading.Event()

    def flap():
        fi = FaultInjector(plan, paths)
        while not stop.is_set():
            f = fi.link(link)
            stop.wait(0.7)
            fi.restore(f)
            stop.wait(0.7)

    t = threading.Thread(target=flap, daemon=True)
    t.start()
    try:
        r = subprocess.run([sys.executable, "-m", "lab.cli", "check", str(TOPOLOGIES / "intents" / "bag-mini.yaml"),
                            "--name", paths.name, "--only", "reachability", "--quiet-deadline", "6",
                            "--json", str(tmp_path / "c.json"), "--junit", str(tmp_path / "c.xml"),
                            "--html", str(tmp_path / "c.html")], capture_output=True, text=True, timeout=120)
    finally:
        stop.set()
        t.join(10)
    assert r.returncode == 3, r.stdout + r.stderr      # undecided, not bad input (2)
    assert "INCONCLUSIVE" in r.stdout and "never quiet" in r.stdout, r.stdout
    assert "r1-f1-p1s1" in (tmp_path / "c.json").read_text() or "r1-bag1" in (tmp_path / "c.json").read_text()
    assert settle(plan, paths, Strategy.QUIET, quiet_s=2.0, deadline_s=60.0).ok
