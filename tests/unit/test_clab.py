"""The containerlab runtime's subprocess side, without the binary: argv and inspect's JSON."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.errors import LabError
from lab.runtime import clab, make_runtime
from lab.state import LabPaths

TOPO = Path("/run/baglab/x1/clab/baglab-x1.clab.yml")


def test_argv():
    assert clab.deploy_argv(TOPO) == ["containerlab", "deploy", "-t", str(TOPO), "--reconfigure"]
    assert clab.inspect_argv(TOPO) == ["containerlab", "inspect", "-t", str(TOPO), "--format", "json"]
    assert clab.destroy_argv(TOPO) == ["containerlab", "destroy", "-t", str(TOPO), "--cleanup"]


def test_topology_file_lives_in_the_lab_state():
    rt = make_runtime("containerlab", LabPaths("x1"))
    assert rt.topo_file == TOPO


def _row(node: str, lab: str = "x1") -> dict:
    return {"lab_name": f"baglab-{lab}", "labPath": str(TOPO), "name": f"bl-baglab-{lab}-{node}",
            "container_id": "0123456789ab", "image": "baglab/node:abc", "kind": "linux", "state": "running",
            "ipv4_address": "N/A", "ipv6_address": "N/A", "owner": "root"}


def test_parse_inspect_old_layout():
    text = json.dumps({"containers": [_row("r1-bag1"), _row("r1-f1-p1s1"), _row("r1-bag1", lab="other")]})
    got = clab.parse_inspect(text, "x1")
    assert sorted(got) == ["r1-bag1", "r1-f1-p1s1"]
    assert got["r1-bag1"]["state"] == "running"


def test_parse_inspect_new_layout():
    text = json.dumps({"baglab-x1": [_row("r1-bag1"), _row("coll2")], "baglab-y": [_row("r9", lab="y")]})
    assert sorted(clab.parse_inspect(text, "x1")) == ["coll2", "r1-bag1"]


def test_parse_inspect_rejects_non_json():
    with pytest.raises(LabError, match="containerlab inspect gave no JSON"):
        clab.parse_inspect("time=... level=error msg=no containers found", "x1")


def test_missing_binary_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(clab.shutil, "which", lambda name: None if name == "containerlab" else f"/usr/bin/{name}")
    monkeypatch.setattr(clab.frr, "check_frr_host", lambda: None)
    with pytest.raises(LabError, match="needs the 'containerlab' binary on PATH"):
        clab.ContainerlabRuntime.check_host()


def test_unknown_runtime_is_one_clear_error():
    with pytest.raises(LabError, match="unknown runtime 'lxc' \\(known: netns, docker, containerlab\\)"):
        make_runtime("lxc", LabPaths("x1"))
