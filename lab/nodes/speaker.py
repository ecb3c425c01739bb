"""A minimal eBGP speaker that announces many prefixes fast: baglab's bulk fabric emulator.

ExaBGP 5 builds a Python object per route and sends ~4,700 routes/s here (131k
/64s: 28-32 s and 460-840 MB RSS), so at 100k-1M prefixes the lab would measure
ExaBGP, not FRR.  This speaker packs UPDATE messages once (up to 4,096 bytes,
~400 IPv6 /64 NLRIs each, all sharing one attribute set with the link-bandwidth
extended community) and writes them to the socket as a byte stream.

It speaks only what it needs: OPEN with multiprotocol (IPv4/IPv6 unicast) and
4-octet-AS capabilities, KEEPALIVE, UPDATE (announce and withdraw), and closes on
NOTIFICATION.  SIGUSR1 withdraws everything, SIGUSR2 announces it again (the
"fabric withdraws / re-announces" fault); SIGTERM sends a Cease and exits.

Run: ``python -m lab.nodes.speaker CONFIG.json`` inside the node's namespace.
"""
from __future__ import annotations

import ipaddress
import json
import select
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass

MARKER = b"\xff" * 16
OPEN, UPDATE, NOTIFICATION, KEEPALIVE = 1, 2, 3, 4
AS_TRANS = 23456
MAX_MSG = 4096


def _msg(kind: int, body: bytes) -> bytes:
    return MARKER + struct.pack("!HB", 19 + len(body), kind) + body


def _attr(flags: int, code: int, value: bytes) -> bytes:
    if len(value) > 255:
        return struct.pack("!BBH", flags | 0x10, code, len(value)) + value
    return struct.pack("!BBB", flags, code, len(value)) + value


def _nlri(net: ipaddress._BaseNetwork) -> bytes:
    nbytes = (net.prefixlen + 7) // 8
    return bytes([net.prefixlen]) + net.network_address.packed[:nbytes]


def link_bandwidth_community(mbps: float) -> bytes:
    """Transitive two-octet-AS link bandwidth (0x0004): ``mbps`` is the value as FRR's ``set extcommunity
    bandwidth`` takes it (Mbps), sent as bytes/s in an IEEE float, whole at any size (no 32-bit wrap)."""
    bytes_per_s = mbps * 125_000
    return struct.pack("!BBH", 0x00, 0x04, AS_TRANS) + struct.pack("!f", bytes_per_s)


def keepalive_due(hold: int, idle: float) -> bool:
    """A third of the hold time after the last message sent; never with a hold time of 0 (RFC 4271
    4.4: no KEEPALIVEs then; sending one on every pass of the loop kept a core busy)."""
    return hold > 0 and idle >= hold / 3


def open_message(asn: int, router_id: str, hold: int, families: list[str]) -> bytes:
    caps = b""
    for fam in families:
        afi = 1 if fam == "ipv4" else 2
        caps += struct.pack("!BBHBB", 1, 4, afi, 0, 1)
    caps += struct.pack("!BBI", 65, 4, asn)
    params = struct.pack("!BB", 2, len(caps)) + caps
    return _msg(OPEN, struct.pack("!BHH4sB", 4, AS_TRANS if asn > 0xFFFF else asn, hold,
                                  ipaddress.ip_address(router_id).packed, len(params)) + params)


def update_messages(prefixes: list[str], asn: int, next_hop: str, bandwidth_mbps: float,
                    withdraw: bool = False) -> list[bytes]:
    """Pack prefixes (one family) into as few UPDATEs as fit in 4,096 bytes each."""
    if not prefixes:
        return []
    nets = [ipaddress.ip_network(p) for p in prefixes]
    v6 = nets[0].version == 6
    base_attrs = b""
    if not withdraw:
        base_attrs = (_attr(0x40, 1, b"\x00")                                    # ORIGIN IGP
                      + _attr(0x40, 2, struct.pack("!BBI", 2, 1, asn))           # AS_PATH: SEQUENCE [asn]
                      + _attr(0xC0, 16, link_bandwidth_community(bandwidth_mbps)))
        if not v6:
            base_attrs += _attr(0x40, 3, ipaddress.ip_address(next_hop).packed)
    out, chunk, size = [], [], 0
    # room for NLRIs: 4096 - header(19) - withdrawn len(2) - attrs len(2) - attrs - MP header (~25)
    room = MAX_MSG - 19 - 4 - len(base_attrs) - (30 if v6 else 0)
    for n in nets:
        b = _nlri(n)
        if size + len(b) > room:
            out.append(_pack(chunk, base_attrs, v6, next_hop, withdraw))
            chunk, size = [], 0
        chunk.append(b)
        size += len(b)
    if chunk:
        out.append(_pack(chunk, base_attrs, v6, next_hop, withdraw))
    return out


def _pack(chunk: list[bytes], base_attrs: bytes, v6: bool, next_hop: str, withdraw: bool) -> bytes:
    nlri = b"".join(chunk)
    if v6:
        if withdraw:
            attrs = _attr(0x80, 15, struct.pack("!HB", 2, 1) + nlri)
        else:
            nh = ipaddress.ip_address(next_hop).packed
            attrs = base_attrs + _attr(0x80, 14, struct.pack("!HBB", 2, 1, len(nh)) + nh + b"\x00" + nlri)
        return _msg(UPDATE, struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs)
    if withdraw:
        return _msg(UPDATE, struct.pack("!H", len(nlri)) + nlri + struct.pack("!H", 0))
    return _msg(UPDATE, struct.pack("!H", 0) + struct.pack("!H", len(base_attrs)) + base_attrs + nlri)


@dataclass
class Neighbor:
    peer: str
    local: str
    peer_as: int
    bandwidth_mbps: float


class PeerSession:
    def __init__(self, cfg: dict, nb: Neighbor):
        self.cfg, self.nb = cfg, nb
        self.sock: socket.socket | None = None
        self.buf = b""
        self.out = bytearray()      # queued bytes: a slow peer must not stall the other sessions
        self.established = False
        self.last_sent = 0.0

    def connect(self) -> None:
        fam = socket.AF_INET6 if ":" in self.nb.peer else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        s.bind((self.nb.local, 0))
        s.settimeout(2.0)
        s.connect((self.nb.peer, 179))
        s.setblocking(False)
        self.sock = s
        self.out = bytearray()
        fams = ["ipv6" if ":" in self.nb.peer else "ipv4"]
        self.send(open_message(self.cfg["asn"], self.cfg["router_id"], self.cfg.get("hold", 9), fams))

    def send(self, data: bytes) -> None:
        """Queue; flush() writes as much as the peer's window takes without blocking."""
        self.out += data
        self.flush()

    def flush(self) -> None:
        assert self.sock is not None
        while self.out:
            try:
                n = self.sock.send(memoryview(self.out)[:1 << 20])
            except BlockingIOError:
                return
            del self.out[:n]
            self.last_sent = time.monotonic()

    def messages(self):
        assert self.sock is not None
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        if not data:
            raise ConnectionError("peer closed the session")
        yield from self._split(data)

    def _split(self, data: bytes):
        self.buf += data
        while len(self.buf) >= 19:
            length, kind = struct.unpack("!HB", self.buf[16:19])
            if len(self.buf) < length:
                break
            body, self.buf = self.buf[19:length], self.buf[length:]
            yield kind, body


def run(cfg: dict) -> None:
    nbs = [Neighbor(**n) for n in cfg["neighbors"]]
    state = {"announced": True}
    pending: list[str] = []
    signal.signal(signal.SIGUSR1, lambda *_: pending.append("withdraw"))
    signal.signal(signal.SIGUSR2, lambda *_: pending.append("announce"))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    every = list(cfg["prefixes"])
    for b in cfg.get("bulk", []):
        from lab.design.plan import BulkBlock

        every += list(BulkBlock(**b).prefixes())
    cfg["prefixes"] = every
    prefixes = {"ipv4": [p for p in every if ":" not in p], "ipv6": [p for p in every if ":" in p]}
    sessions: list[PeerSession] = []
    packed: dict[tuple[int, bool], list[bytes]] = {}

    def updates(i: int, withdraw: bool) -> list[bytes]:
        if (i, withdraw) not in packed:
            nb = nbs[i]
            fam = "ipv6" if ":" in nb.peer else "ipv4"
            packed[(i, withdraw)] = update_messages(prefixes[fam], cfg["asn"], nb.local, nb.bandwidth_mbps, withdraw)
        return packed[(i, withdraw)]

    sessions = [PeerSession(cfg, nb) for nb in nbs]
    retry_at = [0.0] * len(sessions)

    def drop(i: int, s: PeerSession, exc: BaseException) -> None:
        print(f"{time.time():.3f} session {s.nb.peer} down: {exc}", flush=True)
        if s.sock is not None:
            s.sock.close()
        s.sock, s.established, s.buf, s.out = None, False, b"", bytearray()
        retry_at[i] = time.monotonic() + 1.0
    while not stop:
        now = time.monotonic()
        for i, s in enumerate(sessions):
            if s.sock is None and now >= retry_at[i]:
                try:
                    s.connect()
                except OSError:
                    s.sock, retry_at[i] = None, now + 1.0
        live = [s for s in sessions if s.sock is not None]
        if live:
            ready, writable, _ = select.select([s.sock for s in live], [s.sock for s in live if s.out], [], 0.2)
        else:
            ready, writable = [], []
            time.sleep(0.2)
        for s in live:
            i = sessions.index(s)
            if s.sock in ready or s.sock in writable:
                try:
                    if s.sock in writable:
                        s.flush()
                    for kind, body in s.messages():
                        if kind == OPEN:
                            s.send(_msg(KEEPALIVE, b""))
                        elif kind == KEEPALIVE and not s.established:
                            s.established = True
                            if state["announced"]:
                                s.send(b"".join(updates(i, False)))
                            print(f"{time.time():.3f} established {s.nb.peer}", flush=True)
                        elif kind == NOTIFICATION:
                            raise ConnectionError(f"notification {body[:2].hex()}")
                except (OSError, ConnectionError) as exc:
                    drop(i, s, exc)
                    continue
            if s.established and not s.out and keepalive_due(cfg.get("hold", 9), time.monotonic() - s.last_sent):
                try:
                    s.send(_msg(KEEPALIVE, b""))
                except OSError as exc:
                    drop(i, s, exc)
        while pending:
            what = pending.pop(0)
            state["announced"] = what == "announce"
            for i, s in enumerate(sessions):
                if s.established:
                    try:
                        s.send(b"".join(updates(i, what == "withdraw")))
                    except OSError as exc:
                        drop(i, s, exc)
            print(f"{time.time():.3f} {what} {len(cfg['prefixes'])} prefixes", flush=True)
    for s in sessions:
        if s.sock is not None:
            try:
                s.send(_msg(NOTIFICATION, bytes([6, 2])))   # Cease / administrative shutdown
            except OSError:
                pass


def main() -> None:
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    run(cfg)


if __name__ == "__main__":
    main()
