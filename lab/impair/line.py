"""The user-space delay line: netem's loss, delay, jitter and duplication for a port the lab
serves itself (the SecY), on kernels without ``sch_netem``.

Frames keep their order (a fibre does not reorder): a frame's departure is its arrival plus the
delay and a uniform jitter, but never before the frame ahead of it.  Pure and clocked by the
caller, so it is unit-tested with a seeded generator and a fake clock.
"""
from __future__ import annotations

import random
from collections import deque

from lab.impair.spec import Impairment


class DelayLine:
    def __init__(self, imp: Impairment, rng: random.Random | None = None):
        self.imp = imp
        self.rng = rng or random.Random()
        self.queue: deque[tuple[float, bytes]] = deque()
        self.last_due = 0.0
        # sent, and how late in total (us): what a loaded machine adds to the delay asked for
        self.counts = {"offered": 0, "lost": 0, "duplicated": 0, "sent": 0, "late_us": 0.0}
        self.recent_late_us: deque[float] = deque(maxlen=2048)

    def push(self, frame: bytes, now: float) -> int:
        """Offer a frame at ``now`` (seconds); returns how many copies will leave (0: lost)."""
        self.counts["offered"] += 1
        if self.imp.loss and self.rng.random() * 100.0 < self.imp.loss:
            self.counts["lost"] += 1
            return 0
        copies = 2 if self.imp.duplicate and self.rng.random() * 100.0 < self.imp.duplicate else 1
        self.counts["duplicated"] += copies - 1
        jitter = self.rng.uniform(-self.imp.jitter_ms, self.imp.jitter_ms) if self.imp.jitter_ms else 0.0
        due = max(now + (self.imp.delay_ms + jitter) / 1000.0, self.last_due)
        self.last_due = due
        for _ in range(copies):
            self.queue.append((due, frame))
        return copies

    def due(self, now: float) -> list[bytes]:
        """Frames whose time has come, in order."""
        out = []
        while self.queue and self.queue[0][0] <= now:
            due, frame = self.queue.popleft()
            out.append(frame)
            if now != float("inf"):
                self.counts["late_us"] += (now - due) * 1e6
                self.recent_late_us.append((now - due) * 1e6)
        self.counts["sent"] += len(out)
        return out

    def summary(self) -> dict:
        """The counters, with the median and 90th percentile of the recent frames' lateness."""
        late = sorted(self.recent_late_us)
        pick = (lambda q: round(late[min(len(late) - 1, int(q * len(late)))], 1)) if late else (lambda q: 0.0)
        return {**self.counts, "late_us_p50": pick(0.5), "late_us_p90": pick(0.9)}

    @property
    def mean_late_us(self) -> float:
        return self.counts["late_us"] / self.counts["sent"] if self.counts["sent"] else 0.0

    def next_due(self) -> float | None:
        return self.queue[0][0] if self.queue else None
