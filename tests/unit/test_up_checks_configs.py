"""``up`` runs FRR's check on every rendered config before it tears down or builds anything:
a config FRR rejects is one error, and the host is left as it was."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from lab.workflows import build
from lab.errors import LabError
from lab.state import LabPaths

from ..conftest import TOPOLOGIES

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("vtysh") is None,
                                reason="up's host checks need root and FRR's vtysh")


def test_a_fragment_frr_rejects_stops_up_before_anything_is_built():
    """The shipped frr-rejects candidate: one error naming the fragment's file and line and the
    routers, and no state directory or namespace of the lab."""
    name = "pbu"
    with pytest.raises(LabError) as exc:
        build.up(TOPOLOGIES / "bag-mini.yaml", name, policy=TOPOLOGIES / "policies/bag-mini/frr-rejects")
    msg = str(exc.value)
    assert "frr-rejects/common.j2:4: " in msg and "FRR rejects 'set as-path prepand 64512'" in msg, msg
    assert "nothing was built" in msg and msg.count("FRR rejects '") == 1, msg
    assert not LabPaths(name).root.exists(), "no state directory for a lab that was refused"
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert f"bl_{name}_" not in netns
