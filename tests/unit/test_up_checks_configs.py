"""``up`` runs FRR's check on every rendered config before it tears down or builds anything:
a config FRR rejects is one error, and the host is left as it was."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from lab import build
from lab.errors import LabError
from lab.state import LabPaths

from ..conftest import TOPOLOGIES

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("vtysh") is None,
                                reason="up's host checks need root and FRR's vtysh")


def test_config_frr_rejects_stops_up_before_anything_is_built(monkeypatch):
    real = build.render_all

    def with_typo(plan, *a, **kw):        # a bad line where baglab's own config would have it
        out = real(plan, *a, **kw)
        conf = out["r1-bag1"]["frr.conf"]
        assert " set local-preference 0\n" in conf, "the template changed: pick another line to break"
        out["r1-bag1"]["frr.conf"] = conf.replace(" set local-preference 0\n", " set local-preferance 0\n", 1)
        return out
    monkeypatch.setattr(build, "render_all", with_typo)
    name = "pbu"
    with pytest.raises(LabError) as exc:
        build.up(TOPOLOGIES / "bag-mini.yaml", name)
    msg = str(exc.value)
    assert "r1-bag1: FRR rejects 'set local-preferance 0' (Unknown command)" in msg and "nothing was built" in msg
    assert "baglab's generated config line" in msg and msg.count("FRR rejects '") == 1
    assert not LabPaths(name).root.exists(), "no state directory for a lab that was refused"
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert f"bl_{name}_" not in netns
