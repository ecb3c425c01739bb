"""Shared test plumbing: the lab marker needs root, every lab gets a unique name, and the
shipped topologies' plans are built once (tests/plans.py)."""
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


# The shipped plans several files read, by topology (tests.plans.plan_of for any other).
@pytest.fixture(scope="session")
def mini():
    """bag-mini's plan (frozen, so one serves every pure-logic test)."""
    from .plans import plan_of
    return plan_of("bag-mini")


@pytest.fixture(scope="session")
def agg():
    """bag-agg's plan: the BAG tier originates aggregates."""
    from .plans import plan_of
    return plan_of("bag-agg")


@pytest.fixture(scope="session")
def two_region():
    """bag-2region's plan: fabric names repeat across regions."""
    from .plans import plan_of
    return plan_of("bag-2region")


@pytest.fixture(scope="session")
def routes():
    """bag-routes' plan: emulated (bulk, non-FRR) route sources."""
    from .plans import plan_of
    return plan_of("bag-routes")
