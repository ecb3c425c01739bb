"""Live: the CLI's fault verbs on a real lab, with typed choices reaching the injector as values
and bad names refused before anything is touched."""
from __future__ import annotations

import subprocess
import sys

import pytest


pytestmark = pytest.mark.lab
BAGLAB = [sys.executable, "-m", "lab.cli"]


def baglab(*args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(BAGLAB + list(args), capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def lab_name(lab):  # noqa: F811 - the fixture imported above
    """The suite's lab, with every fault the CLI made restored afterwards."""
    yield lab.paths.name
    baglab("restore", "--name", lab.paths.name)
    baglab("undrain", "all", "--name", lab.paths.name, "--no-wait")


def test_carrier_fault_on_one_side_and_restore(lab_name):
    bundle = "r1-bag1~r2-bag1"
    r = baglab("fault", "link", bundle, "-m", "1", "--side", "a", "--mode", "carrier", "--name", lab_name)
    assert r.returncode == 0, r.stderr
    assert "(a, carrier)" in r.stderr and "as the oracle predicts" in r.stderr
    r = baglab("restore", "--name", lab_name)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("args", [["fault", "node", "nope"], ["drain", "node", "nope"]])
def test_unknown_node_refused_without_traceback(lab_name, args):
    r = baglab(*args, "--name", lab_name)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and "unknown node 'nope'" in r.stderr
    assert baglab("faults", "--name", lab_name).stdout.count("active") == 0
