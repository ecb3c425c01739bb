"""The forwarder: the user-space stretch of cable of a node's impaired plain ports
(lab/forwarder/splice.py), on kernels without netem.

Per port it reads the frames the router sent (redirected into the helper pair), passes them
through the port's delay line (lab/impair/line.py: loss, delay, jitter, duplication, order
kept) and sends them out of the router's own interface with the lab's mark.  One process per
node, started with the node's first impaired plain port and stopped with its last; SIGHUP
re-reads ``forward.json``; counters go to ``forward-stats.json`` (the SecY's shape: per port
``impaired`` and ``drops``, plus what the kernel dropped before the forwarder could read it).
A forwarder killed outright leaves its ports dark (frames vanish: the hold timer notices), as a
SecY does; restoring the impairment removes the redirect all the same.

Run: ``python -m lab.forwarder.loop CONFIG.json STATS.json LOG NETNS`` inside the node's namespace.
"""
from __future__ import annotations

import errno
import functools
import json
import os
import socket
import struct
import sys
import time
from dataclasses import dataclass, field

from lab import safe_io
from lab.host.ethtool import precise_timers
from lab.impair import serve
from lab.impair.line import DelayLine
from lab.impair.spec import Impairment
from lab.forwarder.splice import MARK

ETH_P_ALL, PACKET_OUTGOING = 0x0003, 4
SOL_PACKET, PACKET_STATISTICS, SO_RCVBUFFORCE = 263, 6, 33
RCVBUF = 32 << 20           # a burst waits here while the forwarder is scheduled out
BATCH = 256


@dataclass
class FPort:
    helper: str
    rx: socket.socket           # the helper's far end: what the router sent
    tx: socket.socket           # the router's interface, marked so the redirect lets it out
    line: DelayLine
    drops: dict = field(default_factory=dict)
    kernel_drops: int = 0       # frames the socket buffer could not hold (PACKET_STATISTICS)

    def close(self) -> None:
        self.rx.close()
        self.tx.close()


def open_rx(dev: str) -> socket.socket:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
    except PermissionError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
    s.bind((dev, ETH_P_ALL))
    s.setblocking(False)
    return s


def open_tx(dev: str) -> socket.socket:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)      # protocol 0: receives nothing
    s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, MARK)
    s.bind((dev, 0))
    return s


class Forwarder:
    def __init__(self, cfg_path: str, stats_path: str, log_path: str):
        self.cfg_path, self.stats_path = cfg_path, stats_path
        self.log = safe_io.append_text(log_path)
        self.ports: dict[str, FPort] = {}
        self.generation = 0
        self.reload_wanted = self.stop = False
        self.dirty = True

    def say(self, text: str) -> None:
        self.log.write(f"{time.time():.3f} impair-forwarder: {text}\n")

    def load(self) -> None:
        doc = json.loads(safe_io.read_text(self.cfg_path))
        for name in [n for n in self.ports if n not in doc["ports"]]:
            p = self.ports.pop(name)
            self.flush(name, p, float("inf"))       # what is on the line still arrives
            p.close()
            self.say(f"{name}: no longer impaired")
        for name, want in doc["ports"].items():
            imp = Impairment.from_json(want["params"])
            old = self.ports.get(name)
            if old is None:
                self.ports[name] = FPort(want["helper"], open_rx(want["helper"]), open_tx(name), DelayLine(imp))
            elif old.line.imp != imp:
                self.flush(name, old, float("inf"))
                old.line = DelayLine(imp)
            else:
                continue
            self.say(f"{name}: impaired: {imp.describe()} (frames read from {want['helper']})")
        self.generation = doc["generation"]
        self.dirty = True

    def from_router(self, name: str, p: FPort) -> None:
        now = time.monotonic()
        for _ in range(BATCH):
            try:
                frame, addr = p.rx.recvfrom(65536)
            except BlockingIOError:
                break
            if addr[2] == PACKET_OUTGOING:
                continue
            p.line.push(frame, now)
        self.dirty = True
        self.flush(name, p, time.monotonic())

    def flush(self, name: str, p: FPort, now: float) -> None:
        for frame in p.line.due(now):
            try:
                p.tx.send(frame)
            except OSError as exc:      # the port is down: lost, as on a dark fibre
                reason = f"tx_{errno.errorcode.get(exc.errno, exc.errno)}"
                p.drops[reason] = p.drops.get(reason, 0) + 1

    def wait_s(self) -> float:
        return serve.wait_s(p.line for p in self.ports.values())

    def write_stats(self) -> None:
        for p in self.ports.values():       # PACKET_STATISTICS resets on read: accumulate
            _, dropped = struct.unpack("II", p.rx.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
            p.kernel_drops += dropped
        doc = {"t": time.time(), "pid": os.getpid(), "impair_generation": self.generation,
               "ports": {n: {"impaired": p.line.summary(), "helper": p.helper, "drops": dict(p.drops),
                             "kernel_drops": p.kernel_drops} for n, p in self.ports.items()}}
        safe_io.write_file(self.stats_path, json.dumps(doc))
        self.dirty = False

    def run(self) -> None:
        serve.handle_signals(self)
        precise_timers()
        os.setpriority(os.PRIO_PROCESS, 0, -10)         # frames must leave on time on a busy host
        self.load()
        serve.serve(self, lambda: {p.rx.fileno(): functools.partial(self.from_router, n, p) for n, p in self.ports.items()},
                    lambda now: [self.flush(n, p, now) for n, p in self.ports.items()], "the old impairments")
        for n, p in self.ports.items():
            self.flush(n, p, float("inf"))
        self.write_stats()


def main() -> None:
    Forwarder(sys.argv[1], sys.argv[2], sys.argv[3]).run()


if __name__ == "__main__":
    main()
