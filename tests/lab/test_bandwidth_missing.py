"""Live: a fabric stops sending the link-bandwidth community and every kernel FIB follows the
oracle's missing-bandwidth rule of the topology's ``policy.bandwidth_missing``, on the host's
FRR 8.4 and on 10.3 (and 10.7 with ``make test-versions``).  bag-mini comes up with
``skip-missing`` in its topology (so the rendered line is what the daemons run); the other
options are then set live on every router.  Per option, one STSW of fabric f1 stops marking (its
BAG router sees one path of two without the community, and the routers beyond see a cumulative
bandwidth of what remains), then the whole fabric (no path carries one); after each, marking
comes back and the FIBs return to the steady state.  ``--lab-name`` names the lab's prefix (else
a pid-derived name)."""
from __future__ import annotations

import os

import pytest

from lab.config.oracle import Failures, expected_routes
from lab.workflows.build import up
from lab.observe.settle import Strategy, settle
from lab.frr.roots import root_of
from lab.faults.unmark import set_marking, set_option
from lab.design.node_kinds import FRR, kind_of
from lab.frr.show import show
from lab.runtime import down_lab
from lab.state import LabPaths

from ..conftest import TOPOLOGIES

pytestmark = pytest.mark.lab
ONE_STSW = ["r1-f1-p1s1"]
WHOLE_FABRIC = ["r1-f1-p1s1", "r1-f1-p1s2", "r1-f1-p2s1", "r1-f1-p2s2"]


#: CI runs the host's 8.4 and 10.3 (~3 min each); 'make test-versions' adds 10.7
VERSIONS = os.environ.get("BAGLAB_TEST_VERSIONS", "8.4 10.3").split()


@pytest.fixture(scope="module", params=VERSIONS)
def lab(request, tmp_path_factory):
    version = request.param
    if version != "8.4" and root_of(version) is None:
        pytest.skip(f"FRR {version}'s root is not built: run 'make frr-roots'")
    topo = tmp_path_factory.mktemp("bwm") / "bag-mini-bwm.yaml"
    topo.write_text((TOPOLOGIES / "bag-mini.yaml").read_text() + "policy:\n  bandwidth_missing: skip-missing\n"
                    + (f'frr: "{version}"\n' if version != "8.4" else ""))
    base = request.config.getoption("--lab-name") or f"bm{os.getpid() % 10000}"
    paths = LabPaths(f"{base}{version.replace('.', '')}")
    down_lab(paths)
    res = up(topo, paths.name)          # raises unless every FIB equals the oracle (skip-missing)
    yield res.plan, paths
    rep = down_lab(paths)
    assert not rep.survivors and not rep.leftover_ns


def _converged(plan, paths, failures, what):
    res = settle(plan, paths, Strategy.CONVERGED, failures=failures, deadline_s=60.0)
    assert res.ok, f"{what}: FIBs differ from the oracle after {res.seconds:.1f} s: " + "; ".join(
        str(m) for m in res.mismatches[:8]) + "; ".join(res.session_problems[:4])


def test_the_rendered_option_is_what_the_daemons_run(lab):
    plan, paths = lab
    assert " bgp bestpath bandwidth skip-missing" in show(paths.netns("r1-bag1"), "show running-config").splitlines()


@pytest.mark.parametrize("option", ["skip-missing", "default-weight", "ecmp"])
@pytest.mark.parametrize("unmarked", [ONE_STSW, WHOLE_FABRIC], ids=["one-stsw", "whole-fabric"])
def test_fibs_follow_the_oracle_when_a_fabric_stops_marking(lab, option, unmarked):
    plan, paths = lab
    plan = plan.model_copy(update={"bandwidth_missing": option})
    failures = Failures.of(unmarked=unmarked)
    # the case can fail: the oracle expects other weights at the fabric's BAG router than in the steady state
    assert expected_routes(plan, failures)["r1-bag1"] != expected_routes(plan)["r1-bag1"]
    set_option(plan, paths, [n.name for n in plan.nodes if kind_of(n) is FRR], option)
    for node in unmarked:
        set_marking(plan, paths, node, marked=False)
    try:
        _converged(plan, paths, failures, f"{option}, {', '.join(unmarked)} unmarked")
    finally:
        for node in unmarked:
            set_marking(plan, paths, node, marked=True)
    _converged(plan, paths, Failures(), f"{option}, marking restored")
