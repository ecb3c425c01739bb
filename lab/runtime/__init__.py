"""Runtimes: ``netns`` (default, embedded), ``docker`` (a container per node) and ``containerlab``.

The lab's state records which runtime built it; everything that acts on a running lab gets its
runtime from :func:`runtime_for`, so faults restart daemons the way the lab started them.
What a runtime offers is the protocol in ``base.py``; the runtimes share helpers (plumbing.py,
frr.py, teardown.py, docker_engine.py), never each other.
"""
from __future__ import annotations

from lab.text_enum import TextEnum


class RuntimeName(TextEnum):
    """The runtimes a lab can be built on (``baglab up --runtime``)."""
    NETNS = "netns"
    DOCKER = "docker"
    CONTAINERLAB = "containerlab"


RUNTIMES = tuple(r.value for r in RuntimeName)


def check_runtime(name: str) -> str:
    from lab.errors import LabError
    if name not in RUNTIMES:
        raise LabError(f"unknown runtime {name!r} (known: {', '.join(RUNTIMES)})")
    return name


def native_version(name: str) -> str:
    """The FRR a router without a version runs on this runtime: the host's (netns) or the
    default image's (docker, containerlab)."""
    if check_runtime(name) == "netns":
        from lab.host.frr_install import host_version
        return host_version()
    from lab.design.frr_versions import IMAGE_FRR
    return IMAGE_FRR


def make_runtime(name: str, paths):
    check_runtime(name)
    if name == "docker":
        from lab.runtime.docker import DockerRuntime
        return DockerRuntime(paths)
    if name == "containerlab":
        from lab.runtime.clab import ContainerlabRuntime
        return ContainerlabRuntime(paths)
    from lab.runtime.netns import NetnsRuntime
    return NetnsRuntime(paths)


def runtime_for(paths):
    """The runtime that built this lab (from its state; netns when none is recorded)."""
    from lab.state import LabState
    return make_runtime(LabState.read(paths).runtime_name, paths)


def down_lab(paths):
    """Remove everything of the lab, whichever runtime built it and whether or not its state
    survived: the recorded runtime's teardown, then any container still labelled with the lab."""
    from lab.host import neigh_tables
    from lab.runtime.docker_engine import remove_lab_containers
    from lab.runtime.teardown import all_labs
    rep = runtime_for(paths).down()
    remove_lab_containers(paths.name)
    if not all_labs():      # the last lab: the host's neighbour tables as they were before baglab
        neigh_tables.restore(paths.root.parent)
    return rep
