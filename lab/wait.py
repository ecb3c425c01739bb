"""Waiting on a condition with a deadline: the lab's only way to synchronise (never a bare sleep)."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def poll(pred: Callable[[], T], deadline_s: float, interval_s: float = 0.02) -> T | None:
    """pred's first truthy value, or None once the deadline passed (pred is asked once more at the end)."""
    end = time.monotonic() + deadline_s
    while True:
        got = pred()
        if got or time.monotonic() > end:
            return got or None
        time.sleep(interval_s)


def wait_for(pred: Callable[[], T], deadline_s: float, what: str) -> T:
    """Like poll, but a missed deadline is a test failure that says what was still missing."""
    got = poll(pred, deadline_s, 0.05)
    if not got:
        raise AssertionError(f"timed out after {deadline_s}s waiting for {what}")
    return got
