"""The Docker engine as the container runtimes and ``down`` reach it: a client, the labels that
mark a lab's containers, and their removal.  Shared by the docker and containerlab runtimes,
teardown.py and remnants.py, so none of them imports a runtime to find the lab's containers."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lab.errors import LabError

LABEL_LAB = "org.baglab.lab"
LABEL_NODE = "org.baglab.node"
WORKERS = 4


def engine():
    """A Docker SDK client for a running engine, or one clear error."""
    try:
        import docker
    except ImportError:
        raise LabError("the Docker SDK for Python is missing: run 'make deps'") from None
    try:
        c = docker.from_env(timeout=120)
        c.ping()
        return c
    except Exception as exc:   # noqa: BLE001 - every way of not reaching the engine gets the same advice
        raise LabError(f"no Docker engine answers ({type(exc).__name__}: {exc}); run 'make docker-setup' "
                       "(installs docker.io, starts dockerd with --bridge=none --iptables=false)") from None


def engine_or_none():
    if not Path("/var/run/docker.sock").exists() and not os.environ.get("DOCKER_HOST"):
        return None
    try:
        return engine()
    except LabError:
        return None


def remove_lab_containers(lab: str, client=None) -> int:
    """Every container labelled with this lab, whatever state it is in; returns how many."""
    client = client or engine_or_none()
    if client is None:
        return 0
    def rm(cid: str) -> int:
        try:
            client.api.remove_container(cid, force=True)
            return 1
        except Exception:  # noqa: BLE001 - already being removed by a concurrent down
            return 0
    with ThreadPoolExecutor(WORKERS) as pool:
        return sum(pool.map(rm, lab_container_ids(lab, client)))


def lab_container_ids(lab: str, client) -> list[str]:
    """Ids of the lab's containers in one listing (the high-level list inspects each container
    afterwards, and fails when one disappears in between, as during a concurrent down or up)."""
    return [c["Id"] for c in client.api.containers(all=True, filters={"label": f"{LABEL_LAB}={lab}"})]
