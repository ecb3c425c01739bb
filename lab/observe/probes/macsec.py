"""Wire probes for MACsec-only links, crafted with scapy and sent from inside the namespaces.

For one protected link and direction (sender end -> receiver end) the probe puts
five kinds of frame on the sender's *wire*, as a device spliced into the cable
would: plaintext, correctly keyed MACsec, MACsec under a wrong key, keyed MACsec
with one ciphertext bit flipped, and replays of the keyed frames.  Each kind
carries UDP to its own port on the receiver's address on that link, so a counter
in the receiver's IP prerouting hook tells which kinds were *delivered*; the wire's
nftables chain and the SecY's counters tell which were *dropped* and why.  Every
expectation waits on those counters with a deadline, so a frame still in flight
is never mistaken for a frame dropped.

Keyed probes use the link's real SAK (the lab's key chain) under their own SCI (a
random port number on the sender's MAC): a transmitter the CA knows, with its own
packet-number space, so the router's own SA is not disturbed.
"""
from __future__ import annotations

import os
import socket
import struct
from dataclasses import dataclass, field

from scapy.contrib.macsec import MACsecSA
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from lab.errors import LabError
from lab.host import nft, nsutil
from lab.macsec import enforce, keys as macsec_keys, ports
from lab.design.plan import Link, Plan
from lab.state import LabPaths
from lab.wait import poll

KINDS = ("plaintext", "keyed", "wrong_key", "tampered", "replayed")
PORTS = {k: 47001 + i for i, k in enumerate(KINDS)}
ADVANCE_PORT = 47000      # not counted: the frame that moves the replay window past the keyed ones
PROBE_TABLE = "baglab_probe"
#: which counter proves each kind was dropped: the wire's nft chain or a SecY drop reason
DROP_REASON = {"plaintext": "nft", "wrong_key": "bad_icv", "tampered": "bad_icv", "replayed": "replay"}


@dataclass
class ProbeResult:
    link: int
    bundle: str
    member: int
    sender: str
    receiver: str
    sent: dict = field(default_factory=dict)
    delivered: dict = field(default_factory=dict)
    dropped: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def send_frames(ns: str, ifname: str, frames: list[bytes]) -> None:
    def go():
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        try:
            s.bind((ifname, 0))
            for f in frames:
                s.send(f)
        finally:
            s.close()
    nsutil.in_netns(ns, go)


def install_delivery_counters(ns: str) -> None:
    rules = "".join(f"    udp dport {p} counter\n" for p in PORTS.values())
    nft.apply(ns, nft.replace_table("inet", PROBE_TABLE, "  chain pre {\n    type filter hook prerouting priority -300;\n"
                                    f"{rules}  }}\n"))


def delivered_counts(ns: str) -> dict[str, int]:
    by_port = {nft.match(r, "dport"): nft.packets(r) for r in nft.rules(ns, "inet", PROBE_TABLE)}
    return {k: by_port.get(p, 0) for k, p in PORTS.items()}


def craft(plan: Plan, paths: LabPaths, link: Link, sender: str, count: int) -> dict[str, list[bytes]]:
    """The frames of each kind, as bytes; only scapy builds and encrypts them."""
    chain = macsec_keys.load(paths)
    tx_key = next(k for k in chain.keys if k["id"] == chain.tx)
    sak = macsec_keys.sak(tx_key["cak"], link, chain.cipher)
    s_end, r_end = link.end(sender), link.peer(sender)
    s_side, r_side = ("a", "b") if link.a.node == sender else ("b", "a")
    smac, rmac = ports.wire_mac(link.id, s_side), ports.wire_mac(link.id, r_side)
    dst = r_end.ipv4.split("/")[0]
    src = s_end.ipv4.split("/")[0]

    def inner(kind: str, i: int) -> Ether:
        return Ether(src=smac, dst=rmac) / IP(src=src, dst=dst, ttl=64) / UDP(sport=40000 + i, dport=PORTS[kind]) \
            / f"baglab-probe {kind} {i}".encode()

    sci = bytes.fromhex(smac.replace(":", "")) + struct.pack("!H", 0x100 + int.from_bytes(os.urandom(2), "big") % 0xFE00)
    an = chain.tx % 4

    def sealed(kind: str, key: bytes, pns: list[int]) -> list[bytes]:
        out = []
        for i, pn in enumerate(pns):
            sa = MACsecSA(sci=sci, an=an, pn=pn, key=key, icvlen=16, encrypt=1, send_sci=1)
            out.append(bytes(sa.encrypt(sa.encap(inner(kind, i)))))
        return out

    keyed = sealed("keyed", sak, list(range(1, count + 1)))
    # within the replay window 802.1AE accepts a PN again; one valid frame beyond the window
    # (to an uncounted port) makes every replayed keyed frame late by more than the window
    top = count + chain.replay_window + 1
    advance = []
    if chain.replay_window:
        sa = MACsecSA(sci=sci, an=an, pn=top, key=sak, icvlen=16, encrypt=1, send_sci=1)
        pkt = Ether(src=smac, dst=rmac) / IP(src=src, dst=dst) / UDP(sport=40000, dport=ADVANCE_PORT) / b"advance"
        advance = [bytes(sa.encrypt(sa.encap(pkt)))]
    tampered = []
    for f in sealed("tampered", sak, list(range(top + 1, top + 1 + count))):
        b = bytearray(f)
        b[40] ^= 0x01            # one ciphertext bit
        tampered.append(bytes(b))
    return {"plaintext": [bytes(inner("plaintext", i)) for i in range(count)], "keyed": keyed,
            "wrong_key": sealed("wrong_key", os.urandom(len(sak)), list(range(top + 1 + count, top + 1 + 2 * count))),
            "tampered": tampered,
            "replayed": keyed, "advance": advance}


def probe_link(plan: Plan, paths: LabPaths, link: Link, sender: str, count: int = 20,
               deadline_s: float = 5.0) -> ProbeResult:
    """Send every kind of probe across one protected link and account for each frame."""
    if not link.a.wire:
        raise LabError(f"link {link.id} ({link.bundle}) is not MACsec-protected")
    if ports.backend(paths) != "shim":
        raise LabError("the probes read the user-space SecY's counters; this lab uses the kernel's macsec")
    s_end, r_end = link.end(sender), link.peer(sender)
    s_ns, r_ns = paths.netns(s_end.node), paths.netns(r_end.node)
    res = ProbeResult(link.id, link.bundle, link.member, s_end.node, r_end.node)
    install_delivery_counters(r_ns)
    frames = craft(plan, paths, link, sender, count)

    def drops() -> dict[str, int]:
        d = dict(ports.stats(paths, r_end.node).get("ports", {}).get(r_end.ifname, {}).get("drops", {}))
        d["nft"] = enforce.counters(r_ns).get(r_end.wire, {}).get("plaintext", 0)
        return d

    def rx_ok() -> int:
        return ports.stats(paths, r_end.node).get("ports", {}).get(r_end.ifname, {}).get("rx_ok", 0)

    for kind in KINDS:
        before_drop, before_dlv, before_ok = drops(), delivered_counts(r_ns), rx_ok()
        send_frames(s_ns, s_end.wire, frames[kind])
        res.sent[kind] = len(frames[kind])
        if kind == "keyed" and frames["advance"]:
            send_frames(s_ns, s_end.wire, frames["advance"])
        if kind == "keyed":
            done = poll(lambda: delivered_counts(r_ns)["keyed"] - before_dlv["keyed"] >= count, deadline_s)
            if not done:
                res.problems.append(f"keyed: only {delivered_counts(r_ns)['keyed'] - before_dlv['keyed']} of {count} "
                                    f"delivered (SecY rx_ok +{rx_ok() - before_ok}, drops now {drops()})")
        else:
            reason = DROP_REASON[kind]
            done = poll(lambda: drops().get(reason, 0) - before_drop.get(reason, 0) >= count, deadline_s)
            if not done:
                res.problems.append(f"{kind}: {drops().get(reason, 0) - before_drop.get(reason, 0)} of {count} "
                                    f"counted as {reason} within {deadline_s:.0f}s")
        after_dlv, after_drop = delivered_counts(r_ns), drops()
        res.delivered[kind] = after_dlv[kind] - before_dlv[kind]
        res.dropped[kind] = sum(after_drop.get(k, 0) - before_drop.get(k, 0) for k in after_drop)
        want = count if kind == "keyed" else 0
        if res.delivered[kind] != want:
            res.problems.append(f"{kind}: {res.delivered[kind]} delivered at {r_end.node}, expected {want}")
    return res


def probe_protected(plan: Plan, paths: LabPaths, count: int = 20) -> list[tuple[Link, ProbeResult]]:
    """Every MACsec-only link probed from each of its ends, one after the other: ``baglab probe``."""
    protected = [l for l in plan.links if l.a.wire]
    if not protected:
        raise LabError("this lab has no MACsec-protected link")
    return [(l, probe_link(plan, paths, l, sender, count=count)) for l in protected for sender in (l.a.node, l.b.node)]
