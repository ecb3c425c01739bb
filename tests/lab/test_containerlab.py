"""Live, containerlab runtime: only where a containerlab binary is on PATH (it is not installed on
the development machine; tests/unit/test_clab.py covers its argv and inspect parsing)."""
from __future__ import annotations

import os
import shutil

import pytest

from lab.workflows.build import up
from lab.observe.converge import failure_report
from lab.observe.settle import Strategy, settle
from lab.runtime import down_lab, runtime_for
from lab.runtime.docker_engine import engine_or_none
from lab.state import LabPaths

from ..conftest import TOPOLOGIES

pytestmark = [pytest.mark.lab,
              pytest.mark.skipif(shutil.which("containerlab") is None, reason="no containerlab binary on PATH")]


def test_containerlab_runtime_deploys_converges_and_destroys():
    if engine_or_none() is None:
        pytest.skip("no Docker engine answers")
    paths = LabPaths(f"cl{os.getpid() % 100000}")
    try:
        res = up(TOPOLOGIES / "bag-mini.yaml", paths.name, runtime="containerlab")
        assert res.convergence.ok
        assert runtime_for(paths).name == "containerlab"
        conv = settle(res.plan, paths, Strategy.CONVERGED, deadline_s=30)
        assert conv.ok, failure_report(res.plan, paths, conv)
    finally:
        rep = down_lab(paths)
    assert not rep.leftover_ns
