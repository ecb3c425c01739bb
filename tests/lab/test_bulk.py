"""Live: an emulated fabric announcing bulk routes, checked by count and by representative prefix.

Run once per emulator: baglab's bulk speaker and ExaBGP fed through its API."""
from __future__ import annotations

import os
import signal

import pytest

from lab.workflows.build import up
from lab.observe.converge import failure_report
from lab.observe.settle import Strategy, settle
from lab.faults import FaultInjector
from lab.runtime import down_lab, runtime_for
from lab.state import LabPaths

from ..conftest import TOPOLOGIES

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module", params=["bulk", "exabgp"])
def bulk_lab(request, tmp_path_factory):
    topo = tmp_path_factory.mktemp("topo") / "bag-routes.yaml"
    topo.write_text((TOPOLOGIES / "bag-routes.yaml").read_text().replace("emulator: bulk", f"emulator: {request.param}"))
    paths = LabPaths(f"bk{request.param[0]}{os.getpid() % 10000}")
    try:
        res = up(topo, paths.name)
        yield res.plan, paths
    finally:
        down_lab(paths)


def test_bulk_routes_reach_every_bag_fib(bulk_lab):
    plan, paths = bulk_lab
    conv = settle(plan, paths, Strategy.CONVERGED, deadline_s=30)
    assert conv.ok, failure_report(plan, paths, conv)
    import subprocess
    out = subprocess.run(["ip", "-o", "-n", paths.netns("r2-bag2"), "-6", "route", "show", "proto", "bgp"],
                         capture_output=True, text=True, check=True).stdout
    assert out.count("\n") == 10000 + 1     # the bulk block and the fabric's own /56


#: ExaBGP re-announces 10,000 routes from four processes on two cores in 25-37 s (measured on a
#: machine running CI): the deadline is for a wrong outcome, not for ExaBGP's speed
MOVE_S = 90


def test_withdraw_and_reannounce(bulk_lab):
    plan, paths = bulk_lab
    fi = FaultInjector(plan, paths)
    f = fi.withdraw("r1-f1")
    conv = settle(plan, paths, Strategy.CONVERGED, failures=fi.failures(), deadline_s=MOVE_S)
    assert conv.ok, failure_report(plan, paths, conv)
    fi.restore(f)
    conv = settle(plan, paths, Strategy.CONVERGED, failures=fi.failures(), deadline_s=MOVE_S)
    assert conv.ok, failure_report(plan, paths, conv)


def test_a_dead_speaker_is_named(bulk_lab):
    plan, paths = bulk_lab
    rt = runtime_for(paths)
    proc = "speaker" if plan.node("r1-f1-p1s1").emulator == "bulk" else "exabgp"
    os.kill(rt.processes(plan)["r1-f1-p1s1"][proc], signal.SIGKILL)
    try:
        conv = settle(plan, paths, Strategy.CONVERGED, deadline_s=3)
        text = failure_report(plan, paths, conv, rt.processes(plan))
        assert not conv.ok and f"daemons not running: r1-f1-p1s1/{proc}" in text
        assert "--- tail of " in text and "r1-f1-p1s1/frr.log" in text
    finally:
        rt.start_daemons(plan, nodes=["r1-f1-p1s1"])
    conv = settle(plan, paths, Strategy.CONVERGED, deadline_s=MOVE_S)
    assert conv.ok, failure_report(plan, paths, conv)
