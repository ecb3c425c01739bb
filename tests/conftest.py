"""Shared test plumbing: the lab marker needs root, and every lab gets a unique name."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOPOLOGIES = ROOT / "topologies"

# options, fixtures (lab, oracle, faults, observe) and the interruption handling of live tests
pytest_plugins = ["lab.pytest_plugin"]


def pytest_collection_modifyitems(config, items):
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="lab tests need root (network namespaces, FRR)")
    for item in items:
        if "lab" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def mini():
    """bag-mini's plan (frozen, so one serves every pure-logic test)."""
    from lab.design.plan import build_plan
    from lab.design.topology import load

    return build_plan(load(TOPOLOGIES / "bag-mini.yaml"))
