"""What a pytest session owns beyond its fixtures: SIGTERM handled like Ctrl-C, and the labs of
sessions that were killed.

SIGTERM (a CI timeout) becomes a KeyboardInterrupt, so the session's teardown removes the labs it
started, also one still being built; a lab's removal is not cut short by a second signal.  A lab
the suite starts records its harness (pid and start time) in its state; a lab whose pytest harness
died (``kill -9``) is stale: the next session of the same checkout removes it before it starts.
"""
from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager

from lab.workflows.build import up
from lab.host import nsutil
from lab.runtime import down_lab
from lab.state import STATE_ROOT, LabPaths, LabState, is_lab_name


# -- interruption: SIGTERM like Ctrl-C, teardown shielded, stale labs of dead harnesses ----------
class _Signals:
    """SIGTERM raises KeyboardInterrupt in the main thread (pytest then tears the session down, as
    for Ctrl-C), except while a lab is being removed: then it is held until the removal is done.

    Python drops an exception raised in some places: a signal that lands in an at-fork hook
    (logging's, run in the parent by every ``subprocess.Popen``) raises there and is only printed
    as "Exception ignored".  So until the interruption is seen arriving (the lab being built
    catches it, or pytest reports it), a watchdog sends SIGTERM again every RETRY_S."""

    RETRY_S = 2.0

    def __init__(self):
        self.previous = None
        self.pid = None          # the session's process: a forked child (pyroute2 forks to enter a
                                 # namespace) must not run the session's teardown on SIGTERM
        self.shielded = 0
        self.pending = False
        self.terminating = False     # an interruption was raised
        self.delivered = False       # ... and seen arriving: teardown is under way
        self.reason = ""
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    def handler(self, signum, frame):
        if os.getpid() != self.pid:
            signal.signal(signum, signal.SIG_DFL)     # a fork of the session: die as it would have
            os.kill(os.getpid(), signum)
            return
        if self.delivered:
            return             # a further SIGTERM: the teardown the first one started goes on
        if self.shielded:
            self.pending = True
            return
        self.interrupt(f"signal {signal.Signals(signum).name}")

    def interrupt(self, why: str):
        self.terminating = True
        self.reason = why
        if self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, name="baglab-sigterm", daemon=True)
            self._watchdog.start()
        raise KeyboardInterrupt(why)

    def _watch(self):
        while not self._stop.wait(self.RETRY_S):
            if self.delivered:
                return
            if not self.shielded:
                os.kill(self.pid, signal.SIGTERM)

    def arrived(self):
        """The interruption reached someone who acts on it (lab removal, pytest's session)."""
        if self.terminating:
            self.delivered = True

    def stop(self):
        self._stop.set()

    @contextmanager
    def shield(self):
        self.shielded += 1
        try:
            yield
        finally:
            self.shielded -= 1
        if not self.shielded and self.pending and not self.delivered:
            self.pending = False
            self.interrupt("signal SIGTERM (held while a lab was removed)")


_SIGNALS = _Signals()


def _start_ticks(pid: int) -> int | None:
    try:
        return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def harness(config) -> dict:
    """This session, as recorded in the state of the labs it starts."""
    return {"kind": "pytest", "pid": os.getpid(), "start": _start_ticks(os.getpid()),
            "rootdir": str(config.rootpath)}


def harness_alive(h: dict) -> bool:
    pid = h.get("pid")
    return isinstance(pid, int) and _start_ticks(pid) == h.get("start") and nsutil._alive(pid)


def stale(paths: LabPaths) -> bool:
    """The lab was started by a pytest session that is gone (killed before its teardown)."""
    h = LabState.read(paths).harness
    return isinstance(h, dict) and h.get("kind") == "pytest" and not harness_alive(h)


def remove_lab(paths: LabPaths):
    """down_lab that a SIGTERM does not cut short; fails the caller if anything survived."""
    with _SIGNALS.shield():
        rep = down_lab(paths)
    assert not rep.survivors and not rep.leftover_ns, f"teardown of {paths.name} left {rep}"
    return rep


def remove_stale_labs(config) -> list[str]:
    """Labs of this checkout whose pytest harness died: removed before the session starts."""
    if os.geteuid() != 0 or not STATE_ROOT.is_dir():
        return []
    removed = []
    for d in sorted(STATE_ROOT.iterdir()):
        if d.is_symlink() or not is_lab_name(d.name):
            continue            # not a lab baglab could have made
        paths = LabPaths(d.name)
        h = LabState.read(paths).harness
        if isinstance(h, dict) and h.get("rootdir") == str(config.rootpath) and stale(paths):
            remove_lab(paths)
            removed.append(d.name)
    return removed


def start_lab(request, topology, name: str, runtime: str, policy=None, frr: str | None = None):
    """up() for the suite: records the harness; a lab interrupted (Ctrl-C, SIGTERM) while it is
    being built is removed before the interruption goes on.  ``policy``: a policy directory (None:
    the built-in one); ``frr``: every router on that FRR version (None: as the topology says)."""
    try:
        return up(topology, name, runtime=runtime, harness=harness(request.config), policy=policy, frr=frr)
    except BaseException as exc:
        # interrupted: by Ctrl-C, or by SIGTERM, whose KeyboardInterrupt a library's cleanup on the
        # way out may have replaced (pyroute2's event loop raises RuntimeError when stopped by it)
        interrupted = isinstance(exc, KeyboardInterrupt) or _SIGNALS.terminating
        if interrupted and _SIGNALS.pid in (None, os.getpid()):     # not in a fork of the session
            _SIGNALS.arrived()
            remove_lab(LabPaths(name))
            if not isinstance(exc, KeyboardInterrupt):
                raise KeyboardInterrupt(f"{_SIGNALS.reason} while building lab {name}") from exc
        raise
