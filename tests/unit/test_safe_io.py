"""Root never writes, appends or chowns through a link the frr user could have planted."""
from __future__ import annotations

import os
import stat
import time

import pytest

from lab import safe_io
from lab.errors import LabError


@pytest.fixture
def victim(tmp_path):
    v = tmp_path / "victim"
    v.write_text("precious\n")
    return v


def test_write_replaces_a_planted_symlink_instead_of_writing_through_it(tmp_path, victim):
    conf = tmp_path / "frr.conf"
    conf.symlink_to(victim)
    safe_io.write_file(conf, "router bgp 1\n", mode=0o640)
    assert victim.read_text() == "precious\n"
    assert not conf.is_symlink() and conf.read_text() == "router bgp 1\n"
    assert stat.S_IMODE(conf.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_secrets_are_written_private(tmp_path):
    p = tmp_path / "plan.json"
    p.write_text("old")
    p.chmod(0o644)
    safe_io.write_file(p, "{}", mode=0o600)
    assert stat.S_IMODE(p.stat().st_mode) == 0o600


def test_append_refuses_symlinks_and_hard_links(tmp_path, victim):
    link = tmp_path / "frr.log"
    link.symlink_to(victim)
    with pytest.raises(LabError, match="frr.log"):
        safe_io.open_append(link)
    hard = tmp_path / "hard.log"
    os.link(victim, hard)
    with pytest.raises(LabError, match="not a plain file"):
        safe_io.open_append(hard)
    with pytest.raises(LabError):
        safe_io.read_text(hard)
    assert victim.read_text() == "precious\n"


def test_append_creates_and_appends(tmp_path):
    log = tmp_path / "frr.log"
    with safe_io.append_text(log) as f:
        f.write("a\n")
    with safe_io.append_text(log) as f:
        f.write("b\n")
    assert safe_io.read_text(log) == "a\nb\n"


def test_read_refuses_a_symlink(tmp_path, victim):
    (tmp_path / "stats.json").symlink_to(victim)
    with pytest.raises(OSError):
        safe_io.read_text(tmp_path / "stats.json")


def test_make_dir_refuses_a_symlink_in_place_of_the_directory(tmp_path):
    elsewhere = tmp_path / "etc"
    elsewhere.mkdir()
    elsewhere.chmod(0o700)
    (tmp_path / "bl_x_r1").symlink_to(elsewhere)
    with pytest.raises(LabError, match="not a plain directory"):
        safe_io.make_dir(tmp_path / "bl_x_r1")
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o700
    d = safe_io.make_dir(tmp_path / "a" / "b", mode=0o750)
    assert d.is_dir() and stat.S_IMODE(d.stat().st_mode) == 0o750


def test_write_into_a_symlinked_directory_is_refused(tmp_path, victim):
    (tmp_path / "node").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(LabError, match="not a plain directory"):
        safe_io.write_file(tmp_path / "node" / "frr.conf", "x")
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_read_text_refuses_a_planted_fifo_without_blocking(tmp_path):
    fifo = tmp_path / "forward-stats.json"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    with pytest.raises(LabError, match="not a plain file"):
        safe_io.read_text(fifo)
    assert time.monotonic() - t0 < 1.0
