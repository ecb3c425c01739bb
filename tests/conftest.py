"""Shared test plumbing: the lab marker needs root, and every lab gets a unique name."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOPOLOGIES = ROOT / "topologies"


def pytest_collection_modifyitems(config, items):
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="lab tests need root (network namespaces, FRR)")
    for item in items:
        if "lab" in item.keywords:
            item.add_marker(skip)


def pytest_addoption(parser):
    from lab.pytest_plugin import pytest_addoption as add

    add(parser)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from lab.pytest_plugin import pytest_terminal_summary as summary

    summary(terminalreporter, exitstatus, config)


# the plugin's interruption handling: SIGTERM like Ctrl-C, stale labs of killed runs removed
def pytest_configure(config):
    from lab.pytest_plugin import pytest_configure as configure

    configure(config)


def pytest_unconfigure(config):
    from lab.pytest_plugin import pytest_unconfigure as unconfigure

    unconfigure(config)


def pytest_sessionstart(session):
    from lab.pytest_plugin import pytest_sessionstart as start

    start(session)


def pytest_keyboard_interrupt(excinfo):
    from lab.pytest_plugin import pytest_keyboard_interrupt as interrupted

    interrupted(excinfo)


@pytest.fixture(scope="session")
def mini():
    """bag-mini's plan (frozen, so one serves every pure-logic test)."""
    from lab.plan import build_plan
    from lab.topology import load

    return build_plan(load(TOPOLOGIES / "bag-mini.yaml"))
