"""Interruption handling without a lab: which processes belong to a lab, the pytest plugin's SIGTERM
semantics, and when a lab counts as stale."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from lab.workflows import harness as plug
from lab.runtime import remnants
from lab import state
from lab.state import LabPaths, LabState


@pytest.mark.parametrize("argv,lab,expected", [
    (["/x/.venv/bin/python", "/x/.venv/bin/baglab", "up", "t.yaml", "--name", "lf1"], "lf1", True),
    (["/x/.venv/bin/baglab", "up", "t.yaml", "-n", "lf1", "-q"], "lf1", True),
    (["python3", "-m", "lab.cli", "up", "t.yaml", "--name=lf1"], "lf1", True),
    (["python3", "-m", "lab.cli", "up", "t.yaml", "--name", "lf10"], "lf1", False),
    (["python3", "-m", "lab.cli", "down", "--name", "lf1"], "lf1", False),
    (["python3", "-m", "pytest", "tests", "--lab-name", "lf1", "-k", "up"], "lf1", False),
])
def test_a_baglab_up_of_the_lab_is_recognised(argv, lab, expected):
    assert remnants._is_up_of([a.encode() for a in argv], lab) is expected


def test_markers_do_not_match_a_longer_lab_name():
    m = remnants.markers("lf1")
    assert not any(x in b"/usr/lib/frr/zebra\0-N\0bl_lf10_r1\0" for x in m)
    assert not any(x in f"{LabPaths('lf10').node_dir('r1')}/speaker.json".encode() for x in m)
    assert any(x in b"bgpd\0-N\0bl_lf1_r1\0" for x in m)


def test_the_caller_and_its_ancestors_are_never_lab_processes():
    anc = remnants._ancestors()
    assert os.getpid() in anc and os.getppid() in anc


def _signals() -> plug._Signals:
    s = plug._Signals()
    s.pid = os.getpid()
    s.RETRY_S = 3600.0     # no re-sent SIGTERM into this test session
    return s


def test_sigterm_raises_keyboard_interrupt_and_waits_for_a_shielded_removal():
    s = _signals()
    try:
        with pytest.raises(KeyboardInterrupt, match="held"):
            with s.shield():
                s.handler(signal.SIGTERM, None)      # held during a removal ...
                assert s.pending and not s.terminating
        assert s.terminating                         # ... and raised when it is done
        s.arrived()
        s.handler(signal.SIGTERM, None)              # once under way, a further SIGTERM does not cut it short
    finally:
        s.stop()
    s = _signals()
    try:
        with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
            s.handler(signal.SIGTERM, None)
    finally:
        s.stop()


def test_a_swallowed_interruption_is_raised_again():
    """Python only prints an exception raised in an at-fork hook: the first KeyboardInterrupt is
    lost there.  The watchdog sends SIGTERM again until the interruption is seen arriving."""
    code = ("import os, signal, threading\n"
            "from lab.workflows import harness as p\n"
            "p._SIGNALS.pid = os.getpid()\n"
            "p._SIGNALS.RETRY_S = 0.2\n"
            "signal.signal(signal.SIGTERM, p._SIGNALS.handler)\n"
            "try:\n"
            "    os.kill(os.getpid(), signal.SIGTERM)\n"
            "    threading.Event().wait(5)\n"
            "except KeyboardInterrupt:\n"
            "    pass\n"                                   # swallowed, as in an at-fork hook
            "try:\n"
            "    threading.Event().wait(10)\n"
            "    print('not raised again')\n"
            "except KeyboardInterrupt as exc:\n"
            "    print('raised again:', exc)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert r.stdout.strip() == "raised again: signal SIGTERM", r.stdout + r.stderr


def test_sigterm_in_a_fork_of_the_session_just_ends_that_fork():
    """pyroute2 forks to enter a namespace and ends the child with SIGTERM: the child must not
    raise KeyboardInterrupt (it would run the session's teardown from a copy of its stack)."""
    code = ("import os, signal, sys\n"
            "from lab.workflows import harness as p\n"
            "p._SIGNALS.pid = os.getpid()\n"
            "signal.signal(signal.SIGTERM, p._SIGNALS.handler)\n"
            "r, w = os.pipe()\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    try:\n"
            "        os.write(w, b'1')\n"       # ready: Python's own handlers are set up after the fork
            "        signal.pause()\n"
            "    except KeyboardInterrupt:\n"
            "        os._exit(7)\n"
            "    os._exit(0)\n"
            "os.read(r, 1)\n"
            "os.kill(pid, signal.SIGTERM)\n"
            "_, status = os.waitpid(pid, 0)\n"
            "print(os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert r.stdout.strip() == "True", r.stdout + r.stderr


def test_a_lab_is_stale_only_when_its_pytest_harness_is_gone(monkeypatch, tmp_path):
    me = {"kind": "pytest", "pid": os.getpid(), "start": plug._start_ticks(os.getpid())}
    assert plug.harness_alive(me)
    assert not plug.harness_alive({**me, "start": (me["start"] or 0) + 1})      # pid reused
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert not plug.harness_alive({"kind": "pytest", "pid": dead.pid, "start": 1})
    states = {"a": {"harness": me}, "b": {"harness": {**me, "pid": dead.pid}}, "c": {"phase": "up"},
              "d": {"harness": {**me, "pid": dead.pid, "kind": "other"}}}
    monkeypatch.setattr(state, "STATE_ROOT", tmp_path)
    for name, fields in states.items():
        LabState.update(LabPaths(name), **fields)
    assert [n for n in "abcd" if plug.stale(LabPaths(n))] == ["b"]
