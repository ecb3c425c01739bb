"""Which build directories and probe namespaces are a killed process's leftovers: the names baglab
gives them, the owner they record, and the rule that never takes one still in use (no root)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab import leftovers
from lab.leftovers import owner_of

from ..conftest import ROOT


def made_by_dead_child(parent: Path, prefix: str) -> Path:
    """A build directory made the way a build makes it, by a process that has exited since."""
    code = ("import sys; from pathlib import Path; from lab.leftovers import build_dir; "
            "print(build_dir(Path(sys.argv[1]), sys.argv[2]))")
    r = subprocess.run([sys.executable, "-c", code, str(parent), prefix], capture_output=True, text=True,
                       cwd=ROOT, check=True)
    return Path(r.stdout.strip())


def old(path: Path, age_s: float) -> Path:
    t = time.time() - age_s
    os.utime(path, (t, t))
    return path


@pytest.mark.parametrize("name,owner", [
    (".build-1234-98765-ab_c9xyz", (1234, 98765)), ("rootfs-7-8-abcdefgh", (7, 8)),
    ("bl_probe_1234-98765_0123abcd", (1234, 98765)),
    (".build-ab_c9xyz", False), ("rootfs-abcdefgh", False), ("bl_probe_0123abcd", False),   # older names
    (".build-1234-98765-short", None), (".build-", None), ("rootfs-ABCDEFGH", None), (".builder-abcdefgh", None),
    ("bl_probe_zzzzzzzz", None), ("bl_probe_1234-98765_0123abcd0", None), ("bl_lab_r1", None),
    ("342d89c6c5eadeb7", None), ("rootfs-1-2-abcdefgh/..", None)])
def test_names_baglab_makes_and_no_other(name, owner):
    assert owner_of(name) == owner


def test_a_build_dir_records_its_live_creator(tmp_path):
    d = leftovers.build_dir(tmp_path, leftovers.BUILD_PREFIX)
    assert owner_of(d.name) == (os.getpid(), leftovers.start_time(os.getpid()))
    assert leftovers.owner_alive(*owner_of(d.name))
    assert owner_of(leftovers.probe_netns_name()) == owner_of(d.name)


def test_a_dead_creator_or_a_reused_pid_is_not_alive(tmp_path):
    d = made_by_dead_child(tmp_path, leftovers.ROOTFS_PREFIX)
    pid, start = owner_of(d.name)
    assert pid != os.getpid() and not leftovers.owner_alive(pid, start)
    # this process's pid with another start time: the pid was reused
    assert not leftovers.owner_alive(os.getpid(), leftovers.start_time(os.getpid()) + 1)


def test_the_rule():
    me = (os.getpid(), leftovers.start_time(os.getpid()))
    dead = (me[0], me[1] + 1)
    assert leftovers.is_stale(dead, 0, 3600, in_use=False)
    assert not leftovers.is_stale(dead, 10**6, 3600, in_use=True)      # in use: never, however old
    assert not leftovers.is_stale(me, 10**6, 3600, in_use=False)       # its creator lives
    assert not leftovers.is_stale(False, 3599, 3600, in_use=False)     # owner-less and young
    assert leftovers.is_stale(False, 3600, 3600, in_use=False)


def test_mounts_under_a_path_deepest_first_and_no_sibling():
    info = ("22 1 0:21 / / rw - ext4 /dev/sda rw\n"
            "45 27 0:40 / /c/.build-1-2-abcdefgh/proc rw - proc proc rw\n"
            "46 27 0:41 / /c/.build-1-2-abcdefgh/dev/pts rw - devpts devpts rw\n"
            "47 27 0:42 / /c/.build-1-2-abcdefgh2/proc rw - proc proc rw\n"
            "48 27 0:43 / /c/.build-1-2-abcdefgh/with\\040space rw - tmpfs t rw\n")
    assert leftovers.mounts_under("/c/.build-1-2-abcdefgh", info) == [
        "/c/.build-1-2-abcdefgh/dev/pts", "/c/.build-1-2-abcdefgh/proc", "/c/.build-1-2-abcdefgh/with space"]


def test_sweep_takes_only_stale_build_dirs(tmp_path):
    cache, scratch = tmp_path / "cache", tmp_path / "scratch"
    ver = cache / "frr-10.3"
    ver.mkdir(parents=True)
    scratch.mkdir()

    def dead_name(prefix: str) -> str:      # a name whose recorded creator has exited
        return made_by_dead_child(scratch, prefix).name

    legacy_old = ver / ".build-abcd_123"
    legacy_old.mkdir()
    stale = [made_by_dead_child(ver, leftovers.BUILD_PREFIX), made_by_dead_child(cache, leftovers.ROOTFS_PREFIX),
             old(legacy_old, 7200)]
    (stale[0] / "etc").mkdir()
    (stale[0] / "etc/passwd").write_text("x\n")
    made = [ver / ".build-young_12", ver / "342d89c6c5eadeb7", cache / "frr-10.3x",
            cache / dead_name(leftovers.BUILD_PREFIX),          # a .build name outside frr-*
            ver / dead_name(leftovers.ROOTFS_PREFIX)]           # a rootfs name inside frr-*
    for d in made:
        d.mkdir()
        if d.name != ".build-young_12":
            old(d, 7200)
    kept = made + [leftovers.build_dir(ver, leftovers.BUILD_PREFIX), leftovers.build_dir(cache, leftovers.ROOTFS_PREFIX)]
    # a symlink named like a stale build directory: neither it nor its target is a build directory
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep").write_text("x")
    link = ver / dead_name(leftovers.BUILD_PREFIX)
    link.symlink_to(target)
    rep = leftovers.sweep_build_dirs(cache)
    assert sorted(rep.removed) == sorted(map(str, stale)) and not rep.failed
    assert [d for d in stale if d.exists()] == []
    assert [d for d in kept if not d.is_dir()] == []
    assert (target / "keep").exists() and link.is_symlink()


def test_a_dead_creators_dir_still_in_use_is_kept(tmp_path):
    ver = tmp_path / "frr-10.7"
    ver.mkdir()
    d = made_by_dead_child(ver, leftovers.BUILD_PREFIX)
    # an orphaned child of the killed build, still working in it
    p = subprocess.Popen(["sleep", "30"], cwd=d)
    try:
        assert leftovers.sweep_build_dirs(tmp_path).removed == [] and d.is_dir()
    finally:
        p.kill()
        p.wait()
    assert leftovers.sweep_build_dirs(tmp_path).removed == [str(d)] and not d.exists()
