"""Runtime selection and the docker runtime's naming, without root or an engine."""
from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from lab.runtime import make_runtime, runtime_for
from lab.runtime.docker import DockerRuntime
from lab.runtime.base import Runtime
from lab.runtime.netns import NetnsRuntime
from lab.state import LabPaths, LabState

TOPO = Path(__file__).resolve().parents[2] / "topologies" / "bag-mini.yaml"


def test_runtime_recorded_in_state_is_the_one_used(tmp_path, monkeypatch):
    import lab.state as st
    monkeypatch.setattr(st, "STATE_ROOT", tmp_path)
    paths = LabPaths("x1")
    assert isinstance(runtime_for(paths), NetnsRuntime) and runtime_for(paths).name == "netns"
    LabState.update(paths, runtime="docker")
    assert isinstance(runtime_for(paths), DockerRuntime)


def test_docker_names_follow_the_lab():
    rt = make_runtime("docker", LabPaths("d8x"))
    assert rt.container_name("r1-bag1") == "bl_d8x_r1-bag1" == rt.paths.netns("r1-bag1")
    argv = rt.exec_argv("r1-bag1", ["vtysh", "-c", "show bgp summary"])
    confdir = str(rt.paths.node_dir("r1-bag1"))     # where vtysh finds <confdir>/<netns>/vtysh.conf
    assert argv[:3] == ["docker", "exec", "-i"] and argv[-7:] == ["vtysh", "-N", "bl_d8x_r1-bag1", "--config_dir",
                                                                  confdir, "-c", "show bgp summary"]


@pytest.mark.parametrize("name", ["netns", "docker", "containerlab"])
def test_exec_of_vtysh_keeps_no_history(name, fake_lab):
    # 'baglab exec NODE -- vtysh' may carry a password: no history file in root's HOME
    fake_lab("d8x")
    argv = make_runtime(name, LabPaths("d8x")).exec_argv("r1-bag1", ["vtysh", "-c", "conf t"])
    env = argv.index("env")
    assert argv[env + 1:env + 5] == ["-u", "VTYSH_LOG", "VTYSH_HISTFILE=/dev/null/.history_frr", "HOME=/dev/null"]
    assert argv.index("vtysh") > env + 4


PROTOCOL_METHODS = [n for n, v in vars(Runtime).items() if callable(v) and not n.startswith("_")]


@pytest.mark.parametrize("name", ["netns", "docker", "containerlab"])
def test_every_runtime_implements_the_protocol_by_itself(name):
    """Each protocol method is defined on the runtime's own class (composition, not a parent's
    method inherited and hollowed out) with the protocol's parameters."""
    rt = make_runtime(name, LabPaths("x1"))
    assert isinstance(rt, Runtime)
    cls = type(rt)
    assert cls.__mro__[1:] == (object,), f"{cls.__name__} subclasses {cls.__mro__[1].__name__}"
    for meth in PROTOCOL_METHODS:
        assert meth in vars(cls), (name, meth)
        want = list(inspect.signature(getattr(Runtime, meth)).parameters)
        got = list(inspect.signature(getattr(cls, meth)).parameters)
        assert got[:len(want)] == want or (got == want[1:] and isinstance(vars(cls)[meth], staticmethod)), \
            (name, meth, got, want)
    assert isinstance(rt.makes_links, bool) and rt.python and rt.name == name


def test_only_containerlab_wires_its_own_links(mini):
    """A runtime without the link step says so (makes_links) and refuses the step outright."""
    from lab.errors import LabError
    assert make_runtime("netns", LabPaths("x1")).makes_links and make_runtime("docker", LabPaths("x1")).makes_links
    rt = make_runtime("containerlab", LabPaths("x1"))
    assert not rt.makes_links
    plan = mini
    with pytest.raises(LabError, match="deploy"):
        rt.create_links(plan)
