"""Root shows the end of a daemon's log in its error messages, never a file the frr user linked
there, and never reads more than the end of it."""
from __future__ import annotations

import os
import time

import pytest

from lab import log_tail as lt
from lab.forwarder import control
from lab.log_tail import TAIL_BYTES, log_tail
from lab.state import LabPaths

SECRET = "root:$6$very-secret-hash:19000:0:99999:7:::"


@pytest.fixture
def secret(tmp_path):
    s = tmp_path / "shadow"
    s.write_text(SECRET + "\n")
    return s


def test_the_last_lines_of_a_plain_log(tmp_path):
    log = tmp_path / "frr.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert log_tail(log, 3) == "line 97\nline 98\nline 99"
    assert log_tail(log) == "\n".join(f"line {i}" for i in range(85, 100))


def test_a_symlink_to_a_secret_is_not_shown(tmp_path, secret):
    log = tmp_path / "frr.log"
    log.symlink_to(secret)
    out = log_tail(log)
    assert SECRET not in out and "very-secret" not in out
    assert out == f"{log}: not a plain file (a symbolic link was planted); not shown"


def test_a_hard_link_to_a_secret_is_not_shown(tmp_path, secret):
    log = tmp_path / "frr.log"
    os.link(secret, log)
    out = log_tail(log)
    assert "very-secret" not in out
    assert out == f"{log}: not a plain file (a hard link was planted); not shown"


def test_a_planted_fifo_neither_blocks_nor_is_read(tmp_path):
    log = tmp_path / "frr.log"
    os.mkfifo(log)
    t0 = time.monotonic()
    assert "a FIFO, device or directory was planted" in log_tail(log)
    assert time.monotonic() - t0 < 1.0


def test_a_missing_log_says_so(tmp_path):
    assert log_tail(tmp_path / "frr.log") == f"(no log at {tmp_path / 'frr.log'})"


def test_a_huge_log_gives_its_tail_quickly(tmp_path):
    """A sparse 1 GiB file: reading it whole would take seconds and a gigabyte."""
    log = tmp_path / "frr.log"
    with open(log, "wb") as f:
        f.truncate(1 << 30)
        f.seek(0, os.SEEK_END)
        f.write(b"".join(b"event %d\n" % i for i in range(50)))
    t0 = time.monotonic()
    out = log_tail(log, 5)
    assert time.monotonic() - t0 < 0.5
    assert out == "\n".join(f"event {i}" for i in range(45, 50))


def test_a_cut_first_line_is_dropped_and_escapes_are_defused(tmp_path):
    log = tmp_path / "frr.log"
    log.write_bytes(b"x" * (TAIL_BYTES + 10) + b"\nok \x1b[2J\xff done\n")
    assert log_tail(log, 10) == "ok ?[2J\ufffd done"


def test_every_site_shows_the_same_tail():
    # converge, the forwarder and the SecY use this one function
    from lab.macsec import secy
    from lab.observe import converge
    assert converge.log_tail is lt.log_tail and control.log_tail is lt.log_tail and secy.log_tail is lt.log_tail


def test_forwarder_stats_refuse_a_planted_link(tmp_path, monkeypatch, secret):
    from lab import state
    monkeypatch.setattr(state, "STATE_ROOT", tmp_path)
    paths = LabPaths("tail")
    paths.node_dir("r1").mkdir(parents=True)
    stats = paths.node_dir("r1") / "forward-stats.json"
    secret.write_text('{"pid": 7, "secret": "very-secret"}')
    stats.symlink_to(secret)
    assert control.stats(paths, "r1") == {}
    stats.unlink()
    stats.write_text('{"pid": 7}')
    assert control.stats(paths, "r1") == {"pid": 7}
