"""Live, docker runtime with mixed FRR versions: a bag-mini whose plane-2 BAG routers run 10.3
from that version's image (built on its root, lab/frr/version_image.py) and the rest the default
image's 8.4 converges to the version-aware oracle (``up`` raises otherwise, naming each
mismatch), each container runs its own version's daemons, and the 10.3 routers install 10.3's
weights.  ``--lab-name`` names the lab (else a pid-derived name)."""
from __future__ import annotations

import os

import pytest

from lab.workflows.build import up
from lab.frr.roots import root_of
from lab.observe.fib import FibReader
from lab.runtime import down_lab, runtime_for
from lab.runtime.docker_engine import engine_or_none
from lab.state import LabPaths

from ..conftest import TOPOLOGIES

pytestmark = pytest.mark.lab
VERSION = "10.3"


@pytest.fixture(scope="module")
def mixed(request, tmp_path_factory):
    if engine_or_none() is None:
        pytest.skip("no Docker engine answers (run 'make docker-setup')")
    if root_of(VERSION) is None:
        pytest.skip(f"FRR {VERSION}'s root is not built: run 'make frr-roots'")
    topo = tmp_path_factory.mktemp("dv") / "bag-mini-docker-mixed.yaml"
    topo.write_text((TOPOLOGIES / "bag-mini.yaml").read_text() + f'frr:\n  planes: {{"2": "{VERSION}"}}\n')
    name = request.config.getoption("--lab-name") or f"dv{os.getpid() % 100000}"
    paths = LabPaths(name)
    down_lab(paths)
    res = up(topo, name, runtime="docker")      # raises unless every FIB equals the oracle
    yield res.plan, paths
    rep = down_lab(paths)
    assert not rep.survivors and not rep.leftover_ns


def _show_version(paths: LabPaths, node: str) -> str:
    import subprocess
    argv = runtime_for(paths).exec_argv(node, ["vtysh", "-c", "show version"])
    return subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout


def test_the_plan_puts_plane_2_on_the_new_version(mixed):
    plan, _ = mixed
    assert {n.name for n in plan.nodes if n.frr == VERSION} == {"r1-bag2", "r2-bag2"}


@pytest.mark.parametrize("node,version", [("r1-bag2", VERSION), ("r2-bag2", VERSION), ("r1-bag1", "8.4")])
def test_each_container_runs_its_own_versions_frr(mixed, node, version):
    _, paths = mixed
    assert f"FRRouting {version}" in _show_version(paths, node)


def test_the_new_version_installs_its_own_weights(mixed):
    """10.3 scales to 254: a multipath route of r1-bag2 holds 254; 8.4's r1-bag1 never does."""
    _, paths = mixed
    fib = FibReader({n: paths.netns(n) for n in ("r1-bag1", "r1-bag2")})
    weights = {n: {h.weight for hops in fib.read(n).values() for h in hops if len(hops) > 1}
               for n in ("r1-bag1", "r1-bag2")}
    assert 254 in weights["r1-bag2"], weights
    assert 254 not in weights["r1-bag1"], weights
