"""Live: every runtime available here does what the Runtime protocol promises, checked the same
way for each: bag-mini comes up, processes() names a pid for every daemon, exec_argv runs a
command inside a node, infrastructure_pids are live processes that are not daemons, and down
leaves nothing of the lab behind."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from lab.workflows.build import up
from lab.host import nsutil
from lab.runtime import down_lab, runtime_for
from lab.runtime.base import Runtime
from lab.state import FRR_RUN, LabPaths

from ..conftest import TOPOLOGIES

pytestmark = pytest.mark.lab
MINI = TOPOLOGIES / "bag-mini.yaml"


def _available(name: str) -> None:
    """Skip with the reason when this host cannot run the runtime."""
    if name == "netns":
        return
    if name == "containerlab" and shutil.which("containerlab") is None:
        pytest.skip("no containerlab binary on PATH")
    from lab.frr import image
    from lab.runtime.docker_engine import engine_or_none
    client = engine_or_none()
    if client is None:
        pytest.skip("no Docker engine answers (run 'make docker-setup')")
    if image.present(client) is None:
        pytest.skip("the node image is not built (run 'make docker-image')")


def _leftovers(paths: LabPaths) -> dict:
    from lab.runtime.docker_engine import engine_or_none, lab_container_ids
    client = engine_or_none()
    return {"containers": lab_container_ids(paths.name, client) if client else [],
            "namespaces": nsutil.list_netns(paths.ns_prefix),
            "processes": nsutil.pids_by_cmdline(paths.ns_prefix),
            "frr_dirs": sorted(p.name for p in FRR_RUN.glob(f"{paths.ns_prefix}*")),
            "state": paths.root.exists()}


@pytest.mark.parametrize("runtime", ["netns", "docker", "containerlab"])
def test_runtime_conformance(runtime):
    _available(runtime)
    paths = LabPaths(f"cf{runtime[:2]}{os.getpid() % 10000}")
    down_lab(paths)
    try:
        plan = up(MINI, paths.name, runtime=runtime).plan
        rt = runtime_for(paths)
        assert isinstance(rt, Runtime) and rt.name == runtime

        procs = rt.processes(plan)
        assert set(procs) == {n.name for n in plan.nodes}
        assert all(pid for daemons in procs.values() for pid in daemons.values()), procs

        router = next(n.name for n in plan.nodes if n.emulator == "frr")
        out = subprocess.run(rt.exec_argv(router, ["ip", "-j", "link"]), capture_output=True, text=True,
                             timeout=30, stdin=subprocess.DEVNULL)
        assert out.returncode == 0, out.stderr
        names = {l["ifname"] for l in json.loads(out.stdout)}
        want = {e.ifname for l in plan.links for e in (l.a, l.b) if e.node == router}
        assert "lo" in names and want <= names, (want, names)

        infra = rt.infrastructure_pids(router)
        assert not infra & set(procs[router].values()), "a daemon counted as infrastructure"
        assert all(os.path.exists(f"/proc/{p}") for p in infra)
        if runtime == "netns":
            assert infra == set()
        else:
            assert infra, "a container node has an init a node fault must leave alone"
    finally:
        rep = down_lab(paths)
    assert not rep.survivors
    assert _leftovers(paths) == {"containers": [], "namespaces": [], "processes": [], "frr_dirs": [], "state": False}
