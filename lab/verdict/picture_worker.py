"""Timeline pictures drawn off the test's critical path, in one worker process.

A timeline PNG costs a few tenths of a second of CPU on a quiet machine and seconds on a loaded
one; drawn inline it delayed every event of the convergence suite (about 80 per run) while the
routers sat idle.  The worker draws while the next fault is applied and measured; ``wait`` at
the end of the run returns only when every picture is on disk, and a failed drawing is raised
there, not lost.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable


class PictureWorker:
    """Runs picture jobs in a spawned process (never forked: the test process has netlink
    threads), started on the first job; without a usable process the job runs inline."""

    def __init__(self):
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: list[Future] = []

    def submit(self, fn: Callable, *args) -> None:
        try:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            self._jobs.append(self._pool.submit(fn, *args))
        except (OSError, RuntimeError):          # no process to be had (limits, shutting down): draw here
            fn(*args)

    def wait(self) -> None:
        """Block until every picture is drawn; the first drawing error is raised."""
        jobs, self._jobs = self._jobs, []
        try:
            for job in jobs:
                job.result()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
