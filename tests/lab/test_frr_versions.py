"""Live: a router on another FRR version than the host's, started from that version's cached root
(make frr-roots) in its namespace, in a bag-mini whose other routers run the host's 8.4: the lab
converges to the version-aware oracle, the router's daemons are the root's, and its own vtysh
answers.  ``--lab-name`` names the lab (else a pid-derived name)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lab.workflows.build import up
from lab.errors import LabError
from lab.frr import roots as frr_roots
from lab.frr.roots import build, root_of, root_users
from lab.host import nsutil
from lab.observe.fib import FibReader
from lab.runtime import down_lab, runtime_for
from lab.state import LabPaths

from ..conftest import TOPOLOGIES
from .vty_answers import differences

pytestmark = pytest.mark.lab
VERSION, NODE = "10.3", "r2-bag2"


@pytest.fixture(scope="module")
def mixed(request, tmp_path_factory):
    if root_of(VERSION) is None:
        pytest.skip(f"FRR {VERSION}'s root is not built: run 'make frr-roots'")
    topo = tmp_path_factory.mktemp("frr") / "bag-mini-mixed.yaml"
    topo.write_text((TOPOLOGIES / "bag-mini.yaml").read_text() + f'frr:\n  nodes: {{{NODE}: "{VERSION}"}}\n')
    name = request.config.getoption("--lab-name") or f"fv{os.getpid() % 100000}"
    down_lab(LabPaths(name))
    res = up(topo, name)           # raises unless every FIB equals the (version-aware) oracle
    yield res.plan, LabPaths(name)
    rep = down_lab(LabPaths(name))
    assert not rep.survivors and not rep.leftover_ns


def _roots(paths: LabPaths, node: str) -> set[str]:
    pids = nsutil.pids_by_netns([paths.netns(node)])[paths.netns(node)]
    return {os.readlink(f"/proc/{p}/root") for p in pids
            if Path(f"/proc/{p}/comm").read_text().strip() in ("zebra", "bgpd", "mgmtd")}


def test_the_mixed_lab_converges_with_one_router_on_another_version(mixed):
    plan, _ = mixed
    assert plan.node(NODE).frr == VERSION
    assert plan.node("r2-bag1").frr is None


def test_the_routers_daemons_run_from_its_versions_root(mixed):
    _, paths = mixed
    assert _roots(paths, NODE) == {str(root_of(VERSION))}
    assert _roots(paths, "r2-bag1") == {"/"}


def test_exec_vtysh_is_the_routers_own_version(mixed):
    _, paths = mixed
    argv = runtime_for(paths).exec_argv(NODE, ["vtysh", "-c", "show version"])
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout
    assert f"FRRouting {VERSION} ({NODE})" in out


def test_the_vty_socket_answers_as_each_routers_own_vtysh(mixed):
    """The convergence checks read RIB and sessions off the daemons' sockets: on 8.4 and 10.3 alike."""
    _, paths = mixed
    assert {n: differences(paths.netns(n)) for n in (NODE, "r2-bag1")} == {NODE: [], "r2-bag1": []}


def test_a_root_in_use_is_not_rebuilt_under_the_running_routers(mixed, monkeypatch):
    """``make frr-roots`` with --force (or a changed recipe) must not delete the root a running
    lab's daemons are chrooted into: one error naming them, before any debootstrap (which would
    fail this test instead of running, should the guard ever miss them)."""
    _, paths = mixed
    root = root_of(VERSION)
    assert any(f"-N {paths.netns(NODE)} " in u for u in root_users(root)), root_users(root)

    def no_debootstrap(argv, what, **kw):
        raise AssertionError(f"the guard let a rebuild start: {what}")
    monkeypatch.setattr(frr_roots, "_run", no_debootstrap)
    with pytest.raises(LabError, match=rf"in use by .*-N {paths.netns(NODE)}.*take those labs down"):
        build(VERSION, force=True, log=lambda m: None)
    assert root_of(VERSION) == root and _roots(paths, NODE) == {str(root)}


def test_an_unknown_version_is_one_clear_error_and_builds_nothing():
    name = f"fvx{os.getpid() % 10000}"
    with pytest.raises(LabError, match=r"--frr 9\.1: not a version baglab can run: known are 8\.4, 10\.3, 10\.7"):
        up(str(TOPOLOGIES / "bag-mini.yaml"), name, frr="9.1")
    assert nsutil.list_netns(LabPaths(name).ns_prefix) == []


@pytest.mark.parametrize("topology,version", [("bag-mini.yaml", "10.7"), ("bag-2region.yaml", "10.3")])
def test_a_whole_lab_on_one_version_converges_to_that_versions_weights(request, topology, version):
    """``--frr V``: every kernel FIB equals the oracle with V's measured weight rule (up raises
    otherwise, naming each mismatch); the weights are V's, not 8.4's."""
    if root_of(version) is None:
        pytest.skip(f"FRR {version}'s root is not built: run 'make frr-roots'")
    paths = LabPaths(f"fvw{os.getpid() % 10000}")
    down_lab(paths)
    try:
        res = up(str(TOPOLOGIES / topology), paths.name, frr=version)
        assert {n.frr for n in res.plan.nodes if n.emulator == "frr" and n.role != "collector"} == {version}
        top = {"10.3": 254, "10.7": 255}[version]
        fib = FibReader({"r1-bag1": paths.netns("r1-bag1")}).read("r1-bag1")
        assert top in {h.weight for hops in fib.values() for h in hops if len(hops) > 1}
    finally:
        down_lab(paths)
