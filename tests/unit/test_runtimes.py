"""Runtime selection and the docker runtime's naming, without root or an engine."""
from __future__ import annotations

import pytest

from lab.runtime import make_runtime, runtime_for
from lab.runtime.docker import DockerRuntime
from lab.runtime.netns import NetnsRuntime
from lab.state import LabPaths, write_state


def test_runtime_recorded_in_state_is_the_one_used(tmp_path, monkeypatch):
    import lab.state as st
    monkeypatch.setattr(st, "STATE_ROOT", tmp_path)
    paths = LabPaths("x1")
    assert isinstance(runtime_for(paths), NetnsRuntime) and runtime_for(paths).name == "netns"
    write_state(paths, runtime="docker")
    assert isinstance(runtime_for(paths), DockerRuntime)


def test_docker_names_follow_the_lab():
    rt = make_runtime("docker", LabPaths("d8x"))
    assert rt.container_name("r1-bag1") == "bl_d8x_r1-bag1" == rt.paths.netns("r1-bag1")
    argv = rt.exec_argv("r1-bag1", ["vtysh", "-c", "show bgp summary"])
    assert argv[:3] == ["docker", "exec", "-i"] and argv[-5:] == ["vtysh", "-N", "bl_d8x_r1-bag1", "-c",
                                                                  "show bgp summary"]


@pytest.mark.parametrize("name", ["netns", "docker", "containerlab"])
def test_every_runtime_has_the_interface_build_uses(name):
    rt = make_runtime(name, LabPaths("x1"))
    for attr in ("check_host", "create_namespaces", "create_links", "write_configs", "start_daemons",
                 "processes", "exec_argv", "infrastructure_pids", "down", "python"):
        assert hasattr(rt, attr), (name, attr)
