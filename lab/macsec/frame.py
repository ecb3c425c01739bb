"""IEEE 802.1AE (MACsec) framing with GCM-AES-128/256, as the user-space shim speaks it.

Kept free of sockets and namespaces so that the unit tests can check it, byte for
byte, against an independent implementation (scapy's ``MACsecSA``).  Only what a
point-to-point BAG link needs: encryption with confidentiality offset 0 (E=C=1),
an explicit SCI in every SecTAG, 32-bit packet numbers (no XPN), and the standard's
replay check (a frame is accepted while PN >= highest accepted PN + 1 - window), made after
the ICV check.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ETH_P_MACSEC = 0x88E5
ICV_LEN = 16
SECTAG_LEN = 16              # EtherType(2) TCI/AN(1) SL(1) PN(4) SCI(8)
HDR_LEN = 12 + SECTAG_LEN    # DA, SA, SecTAG: the associated data GCM authenticates
TCI_SC, TCI_E, TCI_C, TCI_V, TCI_ES, TCI_SCB = 0x20, 0x08, 0x04, 0x80, 0x40, 0x10
CIPHERS = {"gcm-aes-128": 16, "gcm-aes-256": 32}


class Drop(Exception):
    """A received frame the SecY must not deliver; ``reason`` names the 802.1AE counter it feeds."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def sci_of(mac: bytes, port: int = 1) -> bytes:
    return mac + struct.pack("!H", port)


def encrypt(frame: bytes, key: bytes, sci: bytes, an: int, pn: int) -> bytes:
    """Ethernet frame (DA SA type payload) -> MACsec frame carrying it, encrypted and authenticated."""
    if len(frame) < 14:
        raise ValueError("an Ethernet frame has at least 14 bytes")
    if not 0 < pn <= 0xFFFFFFFF:
        raise ValueError("the packet number space is exhausted: the SA needs a new key")
    secure = frame[12:]                                  # the original EtherType travels encrypted
    sl = len(secure) if len(secure) < 48 else 0
    hdr = frame[:12] + struct.pack("!HBBI", ETH_P_MACSEC, TCI_SC | TCI_E | TCI_C | (an & 3), sl, pn) + sci
    return hdr + AESGCM(key).encrypt(sci + struct.pack("!I", pn), secure, hdr)


@dataclass
class SecTag:
    an: int
    pn: int
    sci: bytes
    tci: int


def parse(frame: bytes) -> SecTag:
    if len(frame) < 12 + 8 or struct.unpack("!H", frame[12:14])[0] != ETH_P_MACSEC:
        raise Drop("not_macsec")
    tci_an, sl, pn = struct.unpack("!BBI", frame[14:20])
    if tci_an & TCI_V:
        raise Drop("bad_tag")                            # version must be 0
    if not tci_an & TCI_SC:
        # no explicit SCI: it is the source MAC with port 1 (ES) -- we always send it, so be strict
        if tci_an & TCI_SCB:
            raise Drop("bad_tag")
        sci = sci_of(frame[6:12])
        if len(frame) < 20 + ICV_LEN:
            raise Drop("bad_tag")
        return SecTag(tci_an & 3, pn, sci, tci_an)
    if len(frame) < HDR_LEN + ICV_LEN or pn == 0:
        raise Drop("bad_tag")
    return SecTag(tci_an & 3, pn, frame[20:28], tci_an)


@dataclass
class RxState:
    """Receive side of one port: SAKs by association number and, per (SCI, SAK), the next PN
    expected.  Any SCI that authenticates under the link's SAK is a member of the CA.  Replay
    state belongs to the key, not to the AN, so a key that comes back (a mismatch repaired)
    does not reopen the packet numbers it already accepted."""

    keys: dict[int, bytes]
    window: int = 0
    next_pn: dict[tuple[bytes, bytes], int] = field(default_factory=dict)

    def decrypt(self, frame: bytes) -> bytes:
        tag = parse(frame)
        if not (tag.tci & TCI_E and tag.tci & TCI_C):
            raise Drop("not_encrypted")                  # policy: confidentiality is mandatory
        key = self.keys.get(tag.an)
        if key is None:
            raise Drop("no_sa")
        hlen = 20 + (8 if tag.tci & TCI_SC else 0)
        # the ICV first, then the replay check: a frame under a wrong key is counted as such,
        # not as "late", which is what an operator chasing a key mismatch needs to see
        try:
            secure = AESGCM(key).decrypt(tag.sci + struct.pack("!I", tag.pn), frame[hlen:], frame[:hlen])
        except InvalidTag:
            raise Drop("bad_icv") from None
        sa = (tag.sci, key)
        if tag.pn < self.next_pn.get(sa, 1) - self.window:
            raise Drop("replay")
        self.next_pn[sa] = max(self.next_pn.get(sa, 1), tag.pn + 1)
        return frame[:12] + secure
