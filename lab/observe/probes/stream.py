"""Continuous probe traffic for maintenance rehearsals: every packet sent is accounted for.

A rehearsal (drain, take down, bring back, undrain) must show *zero* lost packets,
which a round of probes before and after cannot: packets are lost in the moments
between.  A stream keeps a steady trickle of real UDP packets flowing for each
(source, destination prefix) pair, each pair on its own destination port with
its own delivery counter (lab.observe.probes.flows), several source ports per pair so
multipath spreads them.  At the end it waits (with a deadline) until every
packet sent has been delivered, and reports per pair what was not.
"""
from __future__ import annotations

import errno
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable

from lab.design.plan import Plan
from lab.host import nft, nsutil
from lab.state import LabPaths
from lab.wait import poll
from lab.design.node_kinds import kind_of
from lab.observe.probes import flows


@dataclass
class PairResult:
    src: str
    prefix: str
    sent: int
    delivered: int
    unroutable: int        # sends the source's kernel refused: no route at that moment

    @property
    def lost(self) -> int:
        return self.sent + self.unroutable - self.delivered


TRANSIT_TABLE = "baglab_stream"


class Arrivals:
    """The end of a stream's wait: every packet arrived, or the delivery counters stood still for
    ``still_s`` after sending stopped.  A packet crosses a veth lab in milliseconds, so one not in
    after a second without any counter moving is not coming; waiting longer only delayed every
    stream that really lost packets (the controls that must show loss) by the whole deadline."""

    def __init__(self, read: Callable[[], list[int]], sent: list[int], still_s: float,
                 clock: Callable[[], float] = time.monotonic):
        self.read, self.sent, self.still_s, self.clock = read, sent, still_s, clock
        self.last: list[int] | None = None
        self.since = clock()

    def done(self) -> bool:
        got = self.read()
        if all(d >= s for d, s in zip(got, self.sent)):
            return True
        if got != self.last:
            self.last, self.since = got, self.clock()
            return False
        return self.clock() - self.since >= self.still_s


class Stream:
    def __init__(self, plan: Plan, paths: LabPaths, pairs: list[tuple[str, str]], flows_per_pair: int = 4,
                 pps: int = 400, port_base: int = 0):
        self.plan, self.paths, self.pairs = plan, paths, list(pairs)
        self.flows_per_pair, self.interval = flows_per_pair, 1.0 / pps
        self.port_base = port_base
        self._sent = [0] * len(self.pairs)
        self._unroutable = [0] * len(self.pairs)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._socks: list[list[tuple[socket.socket, tuple]]] = []
        self._before: dict = {}

    def port(self, k: int) -> int:
        return flows.DPORT + self.port_base + k + 1

    def _open(self) -> None:
        for k, (src, prefix) in enumerate(self.pairs):
            node = self.plan.node(src)
            own = node.prefixes_v6 if ":" in prefix else node.prefixes_v4
            fam = socket.AF_INET6 if ":" in prefix else socket.AF_INET
            dst = (flows.target(prefix), self.port(k))

            def make(own=own, fam=fam, k=k):
                out = []
                for i in range(self.flows_per_pair):
                    s = socket.socket(fam, socket.SOCK_DGRAM)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind((flows.target(own[0]), 40000 + (self.port_base + k) * self.flows_per_pair + i))
                    s.setblocking(False)
                    out.append(s)
                return out
            self._socks.append([(s, dst) for s in nsutil.in_netns(self.paths.netns(src), make)])

    def _install_transit(self) -> None:
        """A counter of the stream's packets each router forwards: proof that a drained router
        carries none of them."""
        lo, hi = self.port(0), self.port(len(self.pairs) - 1)
        body = (f"  chain c_fwd {{\n    type filter hook forward priority -290; policy accept;\n"
                f"    udp dport {lo}-{hi} counter\n  }}\n")
        for n in self.plan.nodes:
            if kind_of(n).has_fib:
                nft.apply(self.paths.netns(n.name), nft.replace_table("inet", TRANSIT_TABLE, body))

    def transit(self) -> dict[str, int]:
        """router -> stream packets it has forwarded so far."""
        return {n.name: sum(nft.packets(r) for r in nft.rules(self.paths.netns(n.name), "inet", TRANSIT_TABLE))
                for n in self.plan.nodes if kind_of(n).has_fib}

    def start(self) -> "Stream":
        flows.install(self.plan, self.paths, reach_ports=self.port_base + len(self.pairs))
        self._install_transit()
        self._open()
        self._before = flows.read(self.plan, self.paths)
        self._thread = threading.Thread(target=self._run, daemon=True, name="probe-stream")
        self._thread.start()
        return self

    def _run(self) -> None:
        i = 0
        nxt = time.monotonic()
        while not self._stop.is_set():
            k = i % len(self.pairs)
            s, dst = self._socks[k][(i // len(self.pairs)) % self.flows_per_pair]
            try:
                s.sendto(b"baglab-stream", dst)
                self._sent[k] += 1
            except OSError as exc:
                if exc.errno not in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EAGAIN):
                    raise
                self._unroutable[k] += 1
            i += 1
            nxt += self.interval
            delay = nxt - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)

    @property
    def sent(self) -> int:
        return sum(self._sent)

    @property
    def attempted(self) -> int:
        """Packets sent plus sends the source's kernel refused (no route): every one must arrive."""
        return sum(self._sent) + sum(self._unroutable)

    def delivered(self) -> list[int]:
        now = flows.read(self.plan, self.paths)
        return [sum(now[n].by_port.get(self.port(k), 0) - self._before.get(n, flows.Counters()).by_port.get(self.port(k), 0)
                    for n in now) for k in range(len(self.pairs))]

    def stop(self, deadline_s: float = 5.0, still_s: float = 1.0) -> list[PairResult]:
        """Stop sending; wait until every packet sent has arrived, or no counter has moved for
        ``still_s`` (what is lost is lost: a lossy stream waited the whole deadline), or the
        deadline; per-pair account."""
        self._stop.set()
        if self._thread:
            self._thread.join()
        poll(Arrivals(self.delivered, list(self._sent), still_s).done, deadline_s)
        got = self.delivered()
        for socks in self._socks:
            for s, _ in socks:
                s.close()
        return [PairResult(src, prefix, self._sent[k], got[k], self._unroutable[k])
                for k, (src, prefix) in enumerate(self.pairs)]
