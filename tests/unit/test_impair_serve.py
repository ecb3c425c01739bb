"""The data paths' shared loop (lab/impair/serve.py) with a process made of plain callables and a
socket pair: flush before reading, reload failures kept, stats written; no root needed."""
from __future__ import annotations

import socket
import time

from lab.impair import serve
from lab.impair.line import DelayLine
from lab.impair.spec import Impairment


class Proc:
    def __init__(self, sock: socket.socket):
        self.sock, self.stop, self.reload_wanted, self.dirty = sock, False, True, True
        self.events: list[str] = []

    def wait_s(self) -> float:
        return 0.5

    def load(self) -> None:
        raise ValueError("torn file")

    def say(self, text: str) -> None:
        self.events.append(text)

    def write_stats(self) -> None:
        self.events.append("stats")
        self.dirty = False

    def read(self) -> None:
        self.events.append(f"read {self.sock.recv(100)!r}")
        self.stop = True


def test_one_round_flushes_then_reads_then_reloads_then_writes_stats():
    a, b = socket.socketpair()
    proc = Proc(a)
    b.send(b"frame")
    serve.serve(proc, lambda: {a.fileno(): proc.read}, lambda now: proc.events.append("flush"), "the old keys")
    assert proc.events == ["flush", "read b'frame'", "reload failed, keeping the old keys: torn file", "stats"]


def test_select_sleeps_until_the_next_due_frame_and_no_longer_than_idle():
    assert serve.wait_s([None]) == serve.IDLE_S
    line = DelayLine(Impairment(delay_ms=30.0))
    line.push(b"x", time.monotonic())
    assert 0.0 < serve.wait_s([None, line]) <= 0.03
