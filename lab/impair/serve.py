"""The event loop of both user-space data paths: the MACsec SecY (lab/macsec/shim.py) and the
impairment forwarder (lab/forwarder/loop.py).

One loop so the two keep the same timing rules: frames that are due leave before new ones are
read, select never sleeps past the next due frame (nor 0.1 s), a SIGHUP reloads between batches
and a reload that fails keeps what was loaded, and the stats file is rewritten at most every
50 ms.  The process object brings its own reading, flushing, loading and stats.
"""
from __future__ import annotations

import select
import signal
import time
from typing import Callable, Iterable

from lab.errors import LabError
from lab.impair.line import DelayLine

IDLE_S = 0.1
STATS_EVERY_S = 0.05


def handle_signals(proc) -> None:
    """SIGHUP asks for a reload, SIGTERM for an orderly stop: both only set a flag the loop reads
    (set before the first load, so an early SIGHUP does not kill the process)."""
    signal.signal(signal.SIGHUP, lambda *_: setattr(proc, "reload_wanted", True))
    signal.signal(signal.SIGTERM, lambda *_: setattr(proc, "stop", True))


def wait_s(lines: Iterable[DelayLine | None]) -> float:
    """How long select may sleep: until the next delayed frame is due, at most IDLE_S."""
    dues = [d for line in lines if line is not None and (d := line.next_due()) is not None]
    return max(0.0, min([IDLE_S] + [d - time.monotonic() for d in dues]))


def serve(proc, readers: Callable[[], dict[int, Callable[[], None]]], flush_all: Callable[[float], None],
          kept: str) -> None:
    """Run until ``proc.stop``.  ``readers()``: fd -> what reads it, asked afresh each round (a
    reload may change the ports); ``kept``: what a failed reload keeps, for the log."""
    last_write = 0.0
    while not proc.stop:
        by_fd = readers()
        try:
            ready, _, _ = select.select(list(by_fd), [], [], proc.wait_s())
        except InterruptedError:
            ready = []
        flush_all(time.monotonic())
        for fd in ready:
            by_fd[fd]()
        if proc.reload_wanted:
            proc.reload_wanted = False
            try:
                proc.load()
            except (OSError, ValueError, KeyError, LabError) as exc:
                proc.say(f"reload failed, keeping {kept}: {exc}")
        if proc.dirty and time.monotonic() - last_write >= STATS_EVERY_S:
            proc.write_stats()
            last_write = time.monotonic()
