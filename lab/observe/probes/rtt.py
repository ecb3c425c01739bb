"""Round-trip times over one link, answered by the far router's kernel (ICMP echo), so no
process of ours sits on the far side: what a link impairment adds shows as the difference from
the same link unimpaired.  Timestamps come from the sender's clock only (perf_counter_ns), so
the two ends' clocks never need to agree.
"""
from __future__ import annotations

import os
import select
import socket
import struct
import time
from dataclasses import dataclass
from statistics import median, pstdev

from lab.host import nsutil


@dataclass
class Rtts:
    sent: int
    samples_us: list[float]            # one per echo answered, in order sent

    @property
    def answered(self) -> int:
        return len(self.samples_us)

    @property
    def lost(self) -> int:
        return self.sent - self.answered

    @property
    def median_us(self) -> float:
        return median(self.samples_us)

    @property
    def spread_us(self) -> float:
        return pstdev(self.samples_us) if len(self.samples_us) > 1 else 0.0

    def percentile_us(self, q: float) -> float:
        s = sorted(self.samples_us)
        return s[min(len(s) - 1, int(q / 100.0 * len(s)))]


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def _echo(ident: int, seq: int) -> bytes:
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"baglab-rtt" * 4
    return body[:2] + struct.pack("!H", _checksum(body)) + body[4:]


def icmp_rtts(netns: str, dst: str, count: int, interval_s: float = 0.005, timeout_s: float = 1.0) -> Rtts:
    """``count`` echoes to ``dst`` from inside ``netns``, one at a time (each waits for its answer
    or ``timeout_s``), ``interval_s`` apart."""
    sock = nsutil.in_netns(netns, lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
    ident = os.getpid() & 0xFFFF
    samples = []
    try:
        for seq in range(count):
            sent = time.perf_counter_ns()
            sock.sendto(_echo(ident, seq), (dst, 0))
            got = _answer(sock, ident, seq, sent + int(timeout_s * 1e9))
            if got is not None:
                samples.append((got - sent) / 1000.0)
            time.sleep(interval_s)
    finally:
        sock.close()
    return Rtts(count, samples)


def _answer(sock: socket.socket, ident: int, seq: int, deadline_ns: int) -> int | None:
    """The receive time of echo reply ``seq`` (None at the deadline); other packets are skipped."""
    while True:
        left = (deadline_ns - time.perf_counter_ns()) / 1e9
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            return None
        data = sock.recv(2048)
        now = time.perf_counter_ns()
        ihl = (data[0] & 0x0F) * 4
        kind, _, _, rid, rseq = struct.unpack_from("!BBHHH", data, ihl)
        if kind == 0 and rid == ident and rseq == seq:
            return now
