"""The user-space SecY: MACsec on hosts whose kernel has no ``macsec`` module.

Per protected port the router's interface is one end of a veth pair inside the
node (named as the plan names the port, so FRR, the FIB and the observers see
the usual name); the shim serves the other end (``ms<link><side>``) and the
cable is a veth (the *wire*).  Frames the router sends leave on the wire as
802.1AE frames (lab/macsec/frame.py); 802.1AE frames arriving on the wire are
checked (SA, replay, ICV) and delivered to the router, or dropped and counted.

The wire socket is an AF_PACKET socket bound to EtherType 0x88E5 on that one
device: such sockets are served *after* the netdev ingress hook, so the nftables
policy that drops non-MACsec frames (lab/macsec/enforce.py) stands in front of
it.  The router's carrier follows the wire's: the shim sets its own end down
when the wire loses carrier (netlink link events), so pulling a cable is
carrier loss to the router, delivered at once (a TAP's carrier changes, which
the shim used before, are batched by the kernel up to a second).
A SecY killed outright leaves the port up and dark (frames vanish: the BGP
hold timer notices); an orderly stop takes its ports down.  One process serves all
protected ports of a node; it is the node's hardware, so a crashed bgpd does not
take it down.

SIGHUP re-reads the configuration (keys: rotation, mismatch faults; link impairments from
``impair.json`` beside it, served by lab/impair/line.py on frames towards the wire); counters
are written to a JSON file that ``baglab links`` and the tests read.
Run: ``python -m lab.macsec.shim CONFIG.json STATS.json LOG NETNS`` inside the node's namespace.
"""
from __future__ import annotations

import errno
import fcntl
import functools
import hashlib
import json
import os
import socket
import struct
import sys
import time
from dataclasses import dataclass, field

from lab import safe_io
from lab.host.ethtool import no_checksum_offload, precise_timers
from lab.errors import LabError
from lab.impair import serve
from lab.impair.line import DelayLine
from lab.impair.spec import Impairment
from lab.macsec.frame import ETH_P_MACSEC, Drop, RxState, encrypt, sci_of

SIOCGIFFLAGS, IFF_RUNNING = 0x8913, 0x40
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_RCVBUFFORCE = 33
SOL_PACKET, PACKET_STATISTICS = 263, 6
RTMGRP_LINK, RTM_NEWLINK, RTM_GETLINK = 1, 16, 18
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300
IFF_UP, IFF_LOWER_UP = 0x1, 0x10000


@dataclass
class Port:
    cfg: dict
    port: socket.socket           # the SecY's end of the router's veth pair
    port_index: int
    sock: socket.socket
    wire_index: int
    rx: RxState
    tx_key: bytes
    tx_an: int
    sci: bytes
    tx_pn: int = 0
    used_pn: dict[bytes, int] = field(default_factory=dict)
    carrier: bool | None = None
    line: DelayLine | None = None         # an impairment on frames towards the wire
    stats: dict = field(default_factory=lambda: {"tx_protected": 0, "rx_ok": 0, "rx_plaintext_accepted": 0,
                                                 "drops": {}})


def open_port(name: str, proto: int) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
    sock.bind((name, proto))
    sock.setblocking(False)
    # forced past net.core.rmem_max (212992 by default): a burst of probe frames while the
    # SecY is descheduled must queue, not vanish where no counter of ours sees it
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 4 << 20)
    except PermissionError:             # without CAP_NET_ADMIN: as much as rmem_max allows
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    return sock


def socket_drops(sock: socket.socket) -> int:
    """Frames the kernel dropped since the last call because the socket's queue was full."""
    try:
        return struct.unpack("II", sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))[1]
    except OSError:
        return 0


def wire_has_carrier(ifname: str) -> bool:
    """Up and running (IFF_RUNNING: operationally up, i.e. carrier), read now (SIOCGIFFLAGS)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        flags = struct.unpack_from("16sH", fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, struct.pack("16s16x", ifname.encode())))[1]
    return bool(flags & IFF_UP and flags & IFF_RUNNING)


PN_MARGIN = 1 << 20


def _kid(key: bytes) -> str:
    """A key's name in the stats file: a digest, never the key."""
    return hashlib.sha256(b"baglab-kid" + key).hexdigest()[:16]


def _mac(ifname: str) -> bytes:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    try:
        s.bind((ifname, 0))
        return s.getsockname()[4][:6]
    finally:
        s.close()


class Shim:
    def __init__(self, cfg_path: str, stats_path: str, log_path: str):
        self.cfg_path, self.stats_path = cfg_path, stats_path
        self.log = safe_io.append_text(log_path)
        self.ports: dict[str, Port] = {}
        self.by_fd: dict[int, tuple[str, str]] = {}
        self.reload_wanted = False
        self.stop = False
        self.dirty = True
        self.generation = 0
        self.impair_generation = 0
        try:
            self.previous = json.loads(safe_io.read_text(stats_path)).get("ports", {})
        except (OSError, ValueError, LabError):
            self.previous = {}
        self.nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
        self.nl.bind((0, RTMGRP_LINK))

    def say(self, text: str) -> None:
        self.log.write(f"{time.time():.3f} macsec: {text}\n")

    # -- configuration ----------------------------------------------------------------------
    def load(self) -> None:
        cfg = json.loads(safe_io.read_text(self.cfg_path))
        window = cfg["replay_window"]
        for pc in cfg["ports"]:
            keys = {int(an): bytes.fromhex(k) for an, k in pc["keys"].items()}
            tx_an = pc["tx_an"]
            old = self.ports.get(pc["ifname"])
            if old is None:
                no_checksum_offload(pc["ifname"])
                sock = open_port(pc["wire"], ETH_P_ALL if pc["mode"] == "optional" else ETH_P_MACSEC)
                port = Port(pc, open_port(pc["secy"], ETH_P_ALL), socket.if_nametoindex(pc["secy"]), sock,
                            socket.if_nametoindex(pc["wire"]), RxState(keys, window),
                            keys[tx_an], tx_an, sci_of(_mac(pc["wire"])))
                # a restarted SecY must not reuse a packet number under a key its peers still
                # hold (GCM nonce reuse; the peers would also drop them as replays): resume past
                # what the previous instance recorded, with room for what it sent unrecorded
                prev = self.previous.get(pc["ifname"], {}).get("pn_by_key", {})
                port.used_pn = {k: prev[_kid(k)] + PN_MARGIN for k in keys.values() if _kid(k) in prev}
                port.tx_pn = port.used_pn.get(port.tx_key, 0)
                self.ports[pc["ifname"]] = port
                self.by_fd[port.port.fileno()] = (pc["ifname"], "port")
                # the router's port follows the wire from the start: frames the peer sends before the
                # first link event must find it up
                port.carrier = wire_has_carrier(pc["wire"])
                self.set_port(port, port.carrier)
                self.by_fd[sock.fileno()] = (pc["ifname"], "wire")
                self.say(f"{pc['ifname']} over {pc['wire']}: {cfg['cipher']}, mode {pc['mode']}, tx AN {tx_an}")
            else:
                old.rx.keys, old.rx.window, old.cfg = keys, window, pc
                if keys[tx_an] != old.tx_key or tx_an != old.tx_an:
                    # a packet number is never reused under a key (GCM nonce reuse would be fatal):
                    # a key that comes back resumes where it stopped
                    old.used_pn[old.tx_key] = old.tx_pn
                    old.tx_key, old.tx_an = keys[tx_an], tx_an
                    old.tx_pn = old.used_pn.get(old.tx_key, 0)
                    self.say(f"{pc['ifname']}: transmitting with AN {tx_an}")
        self.generation = cfg["generation"]
        self.load_impairments()
        self.dirty = True

    def load_impairments(self) -> None:
        """Each port's impairment as ``impair.json`` says (none: frames go straight through)."""
        try:
            doc = json.loads(safe_io.read_text(os.path.join(os.path.dirname(self.cfg_path), "impair.json")))
        except (OSError, LabError, ValueError) as exc:   # a torn or hand-edited file must not stop the SecY
            if not isinstance(exc, FileNotFoundError):
                self.say(f"impair.json unreadable, no impairments: {exc}")
            doc = {"generation": 0, "ports": {}}
        for name, p in self.ports.items():
            want = doc["ports"].get(name)
            if want is None:
                self.flush(p, float("inf"))
                p.line = None
            elif p.line is None or p.line.imp != Impairment.from_json(want):
                p.line = DelayLine(Impairment.from_json(want))
                os.setpriority(os.PRIO_PROCESS, 0, -10)     # frames must leave on time, also on a busy host
                self.say(f"{name}: impaired: {p.line.imp.describe()}")
        self.impair_generation = doc["generation"]

    # -- carrier ----------------------------------------------------------------------------
    def request_links(self) -> None:
        hdr = struct.pack("=LHHLL", 16 + 16, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0)
        self.nl.send(hdr + struct.pack("=BxHiII", socket.AF_UNSPEC, 0, 0, 0, 0))

    def on_netlink(self) -> None:
        data = self.nl.recv(1 << 16)
        off = 0
        while off + 16 <= len(data):
            ln, kind = struct.unpack_from("=LH", data, off)
            if ln < 16:
                break
            if kind == RTM_NEWLINK and ln >= 32:
                _, _, index, flags, _ = struct.unpack_from("=BxHiII", data, off + 16)
                for p in self.ports.values():
                    if p.wire_index == index:
                        up = bool(flags & IFF_UP and flags & IFF_LOWER_UP)
                        if up != p.carrier:
                            self.set_port(p, up)
                            p.carrier = up
                            self.dirty = True
                            self.say(f"{p.cfg['ifname']}: carrier {'up' if up else 'down'} (wire {p.cfg['wire']})")
            off += (ln + 3) & ~3

    def set_port(self, p: Port, up: bool) -> None:
        """The SecY's end of the router's port up or down: the router's end has carrier only while
        it is up (a veth's carrier needs both ends up)."""
        body = struct.pack("=BxHiII", socket.AF_UNSPEC, 0, p.port_index, IFF_UP if up else 0, IFF_UP)
        self.nl.send(struct.pack("=LHHLL", 16 + len(body), RTM_NEWLINK, NLM_F_REQUEST, 2, 0) + body)

    # -- frames -----------------------------------------------------------------------------
    def from_router(self, p: Port) -> None:
        for _ in range(64):
            try:
                frame, addr = p.port.recvfrom(65536)
            except BlockingIOError:
                return
            except OSError as exc:          # e.g. ENETDOWN: the port was set down (no carrier)
                if exc.errno != errno.ENETDOWN:
                    self._drop(p, f"tx_{errno.errorcode.get(exc.errno, exc.errno)}")
                return
            if addr[2] == PACKET_OUTGOING:  # what the shim itself delivered to the router
                continue
            self.dirty = True
            if p.line is None:
                self.to_wire(p, frame)
            else:                           # encrypted when it leaves: PNs rise in wire order
                p.line.push(frame, time.monotonic())
                self.flush(p, time.monotonic())

    def to_wire(self, p: Port, frame: bytes) -> None:
        p.tx_pn += 1
        try:
            p.sock.send(encrypt(frame, p.tx_key, p.sci, p.tx_an, p.tx_pn))
            p.stats["tx_protected"] += 1
        except OSError as exc:          # wire down: the frame is lost, as on a dark fibre
            self._drop(p, f"tx_{errno.errorcode.get(exc.errno, exc.errno)}")

    def flush(self, p: Port, now: float) -> None:
        """Send what the port's delay line holds that is due by ``now``."""
        if p.line is not None:
            for frame in p.line.due(now):
                self.to_wire(p, frame)

    def readers(self) -> dict:
        out = {self.nl.fileno(): self.on_netlink}
        for fd, (name, kind) in self.by_fd.items():
            out[fd] = functools.partial(self.from_router if kind == "port" else self.from_wire, self.ports[name])
        return out

    def wait_s(self) -> float:
        return serve.wait_s(p.line for p in self.ports.values())

    def from_wire(self, p: Port) -> None:
        for _ in range(64):
            try:
                frame, addr = p.sock.recvfrom(65536)
            except BlockingIOError:
                return
            except OSError as exc:
                # the wire went down (ENETDOWN): the socket reports it once and resumes when the
                # wire comes back; the carrier mirror has already told the router
                if exc.errno != errno.ENETDOWN:
                    self._drop(p, f"rx_{errno.errorcode.get(exc.errno, exc.errno)}")
                return
            if addr[2] == PACKET_OUTGOING:
                continue
            self.dirty = True
            if len(frame) >= 14 and frame[12:14] != b"\x88\xe5":
                if p.cfg["mode"] == "optional":         # should-secure: plaintext still accepted
                    if self._deliver(p, frame):
                        p.stats["rx_plaintext_accepted"] += 1
                else:
                    self._drop(p, "not_macsec")
                continue
            try:
                plain = p.rx.decrypt(frame)
            except Drop as d:
                self._drop(p, d.reason)
                continue
            if self._deliver(p, plain):
                p.stats["rx_ok"] += 1

    def _deliver(self, p: Port, frame: bytes) -> bool:
        """Hand a verified frame to the router; a port without carrier loses it."""
        try:
            p.port.send(frame)
            return True
        except OSError as exc:
            self._drop(p, "rx_port_down" if exc.errno == errno.ENETDOWN else f"rx_{errno.errorcode.get(exc.errno, exc.errno)}")
            return False

    @staticmethod
    def _drop(p: Port, reason: str) -> None:
        p.stats["drops"][reason] = p.stats["drops"].get(reason, 0) + 1

    def count_socket_drops(self) -> None:
        for p in self.ports.values():
            for where, sock in (("rx_queue_full_from_router", p.port), ("rx_queue_full_from_wire", p.sock)):
                if (n := socket_drops(sock)):
                    p.stats["drops"][where] = p.stats["drops"].get(where, 0) + n

    def write_stats(self) -> None:
        self.count_socket_drops()
        doc = {"t": time.time(), "generation": self.generation, "impair_generation": self.impair_generation,
               "pid": os.getpid(),
               "ports": {n: dict(p.stats, impaired=p.line.summary() if p.line else None,
                                 wire=p.cfg["wire"], mode=p.cfg["mode"], tx_an=p.tx_an, tx_pn=p.tx_pn,
                                 pn_by_key={_kid(k): v for k, v in {**p.used_pn, p.tx_key: p.tx_pn}.items()},
                                 carrier=p.carrier, rx_sas=sorted(p.rx.keys), sci=p.sci.hex())
                         for n, p in self.ports.items()}}
        safe_io.write_file(self.stats_path, json.dumps(doc))
        self.dirty = False

    # -- main loop --------------------------------------------------------------------------
    def run(self) -> None:
        serve.handle_signals(self)
        precise_timers()
        self.load()
        self.request_links()
        serve.serve(self, self.readers, lambda now: [self.flush(p, now) for p in self.ports.values()], "the old keys")
        for p in self.ports.values():       # an orderly stop: the ports go dark with their hardware
            self.set_port(p, False)
        self.write_stats()


def main() -> None:
    Shim(sys.argv[1], sys.argv[2], sys.argv[3]).run()


if __name__ == "__main__":
    main()
