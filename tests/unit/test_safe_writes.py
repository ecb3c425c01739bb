"""Output files (rendered configs, exports, reports, pictures) go where the user says, often shared
ground: root never writes through a link planted there, never reuses another user's file, and
refuses a directory someone else owns or may change before writing anything."""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from lab import safe_io
from lab.config import export
from lab.errors import LabError
from lab.workflows.review import write_rendered


NOBODY = 65534
IMAGE = "baglab/node:0123456789abcdef"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")


@pytest.fixture
def victim(tmp_path):
    v = tmp_path / "victim"
    v.write_text("precious\n")
    return v


@pytest.fixture
def shared():
    """A directory every user may traverse (pytest's own tmp_path is 0700: no one else could read
    anything under it whatever the file modes)."""
    d = Path(tempfile.mkdtemp(prefix="baglab-safe-writes-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.lstat().st_mode)


def _readable_by(uid: int, path: Path) -> bool:
    return subprocess.run(["cat", str(path)], user=uid, capture_output=True).returncode == 0


def plant(link, target):
    """A link another user planted (root's or the invoking user's own links are theirs to keep)."""
    link.symlink_to(target)
    os.lchown(link, 65534, 65534)


def test_render_replaces_a_planted_config_link_instead_of_writing_through_it(tmp_path, mini, victim):
    out = tmp_path / "review"
    (out / "r1-bag1").mkdir(parents=True)
    plant(out / "r1-bag1" / "frr.conf", victim)
    files = write_rendered(mini, None, out)
    conf = out / "r1-bag1" / "frr.conf"
    assert victim.read_text() == "precious\n"
    assert conf in files and not conf.is_symlink() and "router bgp" in conf.read_text()
    assert _mode(conf) == 0o600 and conf.stat().st_uid == os.geteuid()


def test_render_refuses_a_symlinked_node_directory_and_writes_nothing(tmp_path, mini):
    elsewhere = tmp_path / "etc"
    elsewhere.mkdir()
    out = tmp_path / "review"
    out.mkdir()
    (out / "r2-bag1").symlink_to(elsewhere)        # root's own link: inside the output, still never followed
    with pytest.raises(LabError, match=r"review/r2-bag1: a symlink"):
        write_rendered(mini, None, out)
    assert list(elsewhere.iterdir()) == []
    assert [p.name for p in out.iterdir()] == ["r2-bag1"], "nothing half-built: no other node written"


@needs_root
def test_render_replaces_another_users_file_so_they_cannot_read_the_password(shared, mini):
    node = shared / "review" / "r1-bag1"
    node.mkdir(parents=True)
    node.chmod(0o755)
    (shared / "review").chmod(0o755)
    conf = node / "frr.conf"
    conf.write_text("")
    os.chown(conf, NOBODY, NOBODY)
    conf.chmod(0o644)
    before = conf.stat().st_ino
    assert _readable_by(NOBODY, conf)            # the check below can fail
    write_rendered(mini, None, shared / "review")
    st = conf.stat()
    assert st.st_ino != before and (st.st_uid, _mode(conf)) == (os.geteuid(), 0o600)
    assert " password " in conf.read_text() and not _readable_by(NOBODY, conf)


@needs_root
def test_render_refuses_an_output_directory_another_user_owns(tmp_path, mini):
    out = tmp_path / "review"
    out.mkdir()
    os.chown(out, NOBODY, NOBODY)
    refused = rf"^{re.escape(str(out))}: owned by .*uid {NOBODY}\), not by root or the user running baglab"
    with pytest.raises(LabError, match=refused):
        write_rendered(mini, None, out)
    assert list(out.iterdir()) == []
    with pytest.raises(LabError, match=rf"^{re.escape(str(out))}: owned by"):      # nor a new directory made inside it
        write_rendered(mini, None, out / "deeper")
    assert list(out.iterdir()) == []


def test_render_into_a_sticky_shared_directory_makes_a_private_one(tmp_path, mini):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    tmp.chmod(0o1777)                            # like /tmp: '--render /tmp/review'
    files = write_rendered(mini, None, tmp / "review")
    assert _mode(tmp / "review") == 0o700 and (tmp / "review").stat().st_uid == os.geteuid()
    assert _mode(files[0].parent) == 0o700 and {_mode(f) for f in files} == {0o600}


def test_a_directory_others_may_write_without_the_sticky_bit_is_refused(tmp_path, mini):
    tmp = tmp_path / "open"
    tmp.mkdir()
    tmp.chmod(0o777)
    with pytest.raises(LabError, match=r"open: writable by group or others \(mode 0777\) without the sticky bit"):
        write_rendered(mini, None, tmp / "review")
    assert list(tmp.iterdir()) == []


@needs_root
def test_group_write_counts_only_for_the_users_own_group(tmp_path, mini):
    # a checkout made under umask 002 is 0775 in the user's private group: fine; another group's is not
    own = tmp_path / "own"
    own.mkdir()
    own.chmod(0o775)
    assert write_rendered(mini, None, own / "review")
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chown(shared, 0, 65534)
    shared.chmod(0o775)
    with pytest.raises(LabError, match=r"shared: writable by group or others \(mode 0775\)"):
        write_rendered(mini, None, shared / "review")
    assert list(shared.iterdir()) == []


@needs_root
def test_a_link_another_user_made_in_the_given_path_is_not_followed(tmp_path, victim):
    (tmp_path / "real").mkdir()
    (tmp_path / "mine").symlink_to(tmp_path / "real")
    assert safe_io.write_output(tmp_path / "mine" / "a.json", "{}").read_text() == "{}"   # root's own link: followed
    assert (tmp_path / "real" / "a.json").is_file()
    (tmp_path / "theirs").symlink_to(tmp_path / "real")
    os.lchown(tmp_path / "theirs", NOBODY, NOBODY)
    with pytest.raises(LabError, match=rf"theirs: a symlink owned by .*uid {NOBODY}"):
        safe_io.write_output(tmp_path / "theirs" / "b.json", "{}")
    assert not (tmp_path / "real" / "b.json").exists()


def test_export_replaces_a_planted_topology_link(tmp_path, mini, victim):
    out = tmp_path / "exp"
    out.mkdir()
    plant(out / "bag-mini.clab.yml", victim)
    exp = export.write(mini, out, IMAGE)
    assert victim.read_text() == "precious\n"
    assert not exp.topology_file.is_symlink() and exp.topology_file.read_text().startswith("# containerlab")
    assert _mode(exp.topology_file) == 0o644
    assert {_mode(p.parent) for p in exp.secret_files} == {0o700}, "a directory holding a password is private"


def test_export_refuses_a_symlinked_node_directory_and_writes_nothing(tmp_path, mini):
    elsewhere = tmp_path / "etc"
    elsewhere.mkdir()
    (tmp_path / "exp" / "configs").mkdir(parents=True)
    (tmp_path / "exp" / "configs" / "r2-bag1").symlink_to(elsewhere)
    with pytest.raises(LabError, match=r"configs/r2-bag1: "):
        export.write(mini, tmp_path / "exp", IMAGE)
    assert list(elsewhere.iterdir()) == []
    assert [p.name for p in (tmp_path / "exp" / "configs").iterdir()] == ["r2-bag1"], "no other node written first"
    assert [p.name for p in (tmp_path / "exp").iterdir()] == ["configs"]


def test_export_clears_a_stale_package_copy_and_refuses_a_linked_one(tmp_path, routes):
    plan = routes      # has emulated (non-FRR) nodes
    bgp = tmp_path / "exp" / "configs" / "bgp"
    bgp.mkdir(parents=True)
    (bgp / "gone.py").write_text("")
    export.write(plan, tmp_path / "exp", IMAGE)
    assert (bgp / "speaker.py").is_file() and not (bgp / "gone.py").exists()
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "file").write_text("mine")
    shutil.rmtree(bgp)
    bgp.symlink_to(keep)
    with pytest.raises(LabError, match=r"configs/bgp: a symlink where baglab writes its own output"):
        export.write(plan, tmp_path / "exp", IMAGE)
    assert [p.name for p in keep.iterdir()] == ["file"] and (keep / "file").read_text() == "mine"


def _check_report():
    from lab.verdict.checks.verdict import CheckReport, Verdict

    return CheckReport("bag-mini", "pc1", "i.yaml", [Verdict("reach", "reachability", "PASS", "ok", {}, 0.1)])


def test_check_reports_replace_planted_links(tmp_path, victim):
    from lab.verdict.checks import report

    for write, name in ((report.write_json, "c.json"), (report.write_html, "c.html"), (report.write_junit, "c.xml")):
        plant(tmp_path / name, victim)
        p = write(_check_report(), tmp_path / name)
        assert not p.is_symlink() and p.stat().st_size > 0 and _mode(p) == 0o644
    assert victim.read_text() == "precious\n"


@needs_root
def test_check_report_into_a_directory_another_user_owns_is_refused(tmp_path):
    from lab.verdict.checks import report

    (tmp_path / "reports").mkdir()
    os.chown(tmp_path / "reports", NOBODY, NOBODY)
    with pytest.raises(LabError, match=rf"reports: owned by .*uid {NOBODY}"):
        report.write_html(_check_report(), tmp_path / "reports" / "c.html")
    assert list((tmp_path / "reports").iterdir()) == []


def test_convergence_report_clears_and_draws_timelines_without_following_a_link(tmp_path):
    from lab.verdict.report import Report

    from .test_report_pictures import _Timeline, _events, _result

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.png").write_text("mine")
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "timelines").symlink_to(elsewhere)
    rep = Report(tmp_path / "r", "lab", "bag-mini")
    r = _result("first")
    rep.add(r, _Timeline(_events(r.started)), ["r1-bag1", "r2-bag1"])
    rep.write()
    assert [p.name for p in elsewhere.iterdir()] == ["keep.png"]
    timelines = tmp_path / "r" / "timelines"
    assert not timelines.is_symlink() and len(list(timelines.glob("*.png"))) == 1


def test_pictures_are_written_as_files_not_through_links(tmp_path, victim):
    from lab.verdict.cdf import cdf_pngs

    from .test_convergence_stats import DEADLINES, trial

    plant(tmp_path / "convergence-cdf-link.png", victim)
    paths = cdf_pngs([trial(100.0), trial(120.0)], DEADLINES, tmp_path)
    assert victim.read_text() == "precious\n"
    assert [p.name for p in paths] == ["convergence-cdf-link.png"] and paths[0].read_bytes()[:4] == b"\x89PNG"


def test_sweep_pages_replace_planted_links(tmp_path, victim):
    from lab.verdict import sweep_page
    from lab.workflows.sweep import SweepReport

    plant(tmp_path / "sweep.json", victim)
    plant(tmp_path / "sweep.html", victim)
    j, h = sweep_page.write(SweepReport("bag-mini", 0), tmp_path)
    assert victim.read_text() == "precious\n" and not j.is_symlink() and not h.is_symlink()


def test_a_directory_in_place_of_the_file_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / "b.html").mkdir()
    with pytest.raises(LabError, match="b.html: a directory is in the way"):
        safe_io.write_outputs(tmp_path, {"a.json": ("{}", 0o644), "b.html": ("x", 0o644)})
    assert not (tmp_path / "a.json").exists()


def test_names_outside_the_output_directory_are_refused(tmp_path):
    with pytest.raises(LabError, match="not a path inside the output directory"):
        safe_io.write_outputs(tmp_path / "out", {"../x": ("x", 0o644)})
    assert not (tmp_path / "x").exists()


def test_the_sudo_user_is_trusted_only_under_root(monkeypatch):
    monkeypatch.setenv("SUDO_UID", "1234")
    assert (1234 in safe_io.trusted_uids()) == (os.getuid() == 0)
    assert 0 in safe_io.trusted_uids() and os.getuid() in safe_io.trusted_uids()


def test_devices_are_written_into_and_own_links_kept(tmp_path, capfd):
    # '--json /dev/null' must not turn the host's /dev/null into a file, nor '--html /dev/stdout'
    # (root's link) replace the link
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    safe_io.write_output(null, "{}")
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    out = tmp_path / "stdout"
    out.symlink_to("/proc/self/fd/1")
    r, w = os.pipe()
    saved = os.dup(1)
    try:
        os.dup2(w, 1)
        safe_io.write_output(out, "to the pipe")
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(w)
    assert os.read(r, 100) == b"to the pipe" and out.is_symlink()
    os.close(r)
    mine = tmp_path / "mine.json"
    mine.symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(LabError, match="a link to .*name the file itself"):
        safe_io.write_output(mine, "{}")
    assert mine.is_symlink() and not (tmp_path / "elsewhere.json").exists()
