"""Lab names become paths, namespace prefixes and ip-batch lines: hostile ones must never reach them."""
from __future__ import annotations

import os

import pytest

from lab import state
from lab.errors import LabError
from lab.host import nsutil
from lab.runtime import netns, teardown
from lab.state import LabPaths, check_lab_name, lab_name_of_netns

BAD = ["../..", "/", "..", "a/b", "ab\n", "a\nnetns del x", "A", "1a", "a_b", "a*", "a?", "a[b]", "",
       "a" * 17, "probe"]


@pytest.mark.parametrize("name", BAD)
def test_bad_names_never_make_paths(name):
    with pytest.raises(LabError):
        LabPaths(name)
    with pytest.raises(LabError):
        check_lab_name(name)


@pytest.mark.parametrize("name", ["a", "cv12345", "lab-2", "a" * 16])
def test_good_names_stay_under_the_state_root(name):
    p = LabPaths(name)
    assert p.root.parent == state.STATE_ROOT and p.root.name == name


def test_build_refuses_a_bad_name_before_building(tmp_path, monkeypatch):
    from lab.workflows.build import up

    monkeypatch.setattr(state, "STATE_ROOT", tmp_path / "state")
    with pytest.raises(LabError, match="lab name"):
        up("topologies/bag-mini.yaml", "../..")
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize("ns, lab", [("bl_good_r1-bag1", "good"), ("bl_.._x", None), ("bl__z", None),
                                     ("bl_a*_x", None), ("bl_probe_1234abcd", None), ("bl_x", None),
                                     ("other_a_b", None), ("bl_UP_x", None)])
def test_lab_of_a_namespace(ns, lab):
    assert lab_name_of_netns(ns) == lab


def test_down_all_only_sees_labs_baglab_could_have_made(tmp_path, monkeypatch):
    nsdir, root = tmp_path / "netns", tmp_path / "state"
    nsdir.mkdir()
    root.mkdir()
    for ns in ["bl_.._x", "bl__z", "bl_a*_x", "bl_good_r1", "bl_probe_00ff", "ip-other"]:
        (nsdir / ns).touch()
    (root / "good2").mkdir()
    (root / "Bad_dir").mkdir()
    os.symlink(tmp_path, root / "linked")
    monkeypatch.setattr(nsutil, "NETNS_DIR", nsdir)
    monkeypatch.setattr(teardown, "STATE_ROOT", root)
    assert netns.all_labs() == ["good", "good2"]


def test_own_dirs_is_a_prefix_test_without_globs_or_symlinks(tmp_path):
    for d in ["bl_a_r1", "bl_ab_r1", "bl_a-b_r1", "bl_b_r1"]:
        (tmp_path / d).mkdir()
    os.symlink(tmp_path / "bl_b_r1", tmp_path / "bl_a_r2")
    assert [p.name for p in nsutil.own_dirs(tmp_path, "bl_a_")] == ["bl_a_r1"]
    assert nsutil.own_dirs(tmp_path / "missing", "bl_a_") == []


def test_down_never_follows_a_symlinked_state_dir(tmp_path, monkeypatch):
    root, victim, frr = tmp_path / "state", tmp_path / "victim", tmp_path / "frr"
    for d in (root, victim, frr):
        d.mkdir()
    (victim / "keep").write_text("x")
    os.symlink(victim, root / "zz")
    os.symlink(victim, frr / "bl_zz_r1")
    monkeypatch.setattr(state, "STATE_ROOT", root)
    monkeypatch.setattr(teardown, "FRR_RUN", frr)
    netns.NetnsRuntime(LabPaths("zz")).down()
    assert (victim / "keep").exists()
