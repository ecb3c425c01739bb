"""802.1AE framing checked against an independent implementation (scapy's MACsecSA)."""
from __future__ import annotations

import os

import pytest
from scapy.contrib.macsec import MACsec, MACsecSA
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from lab.macsec.frame import Drop, RxState, encrypt, sci_of

A_MAC, B_MAC = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
FRAME = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
              IP(src="198.18.0.0", dst="198.18.0.1") / TCP(sport=40000, dport=179, flags="S"))


@pytest.mark.parametrize("keylen", [16, 32])
def test_our_frames_decrypt_with_scapy(keylen):
    key, sci = os.urandom(keylen), sci_of(A_MAC)
    wire = encrypt(FRAME, key, sci, an=2, pn=7)
    pkt = Ether(wire)
    assert pkt.type == 0x88E5 and pkt[MACsec].AN == 2 and pkt[MACsec].PN == 7 and bytes(pkt[MACsec].SCI) == sci
    sa = MACsecSA(sci=sci, an=2, pn=7, key=key, icvlen=16, encrypt=1, send_sci=1)
    assert bytes(sa.decap(sa.decrypt(pkt))) == FRAME


@pytest.mark.parametrize("keylen", [16, 32])
def test_scapy_frames_decrypt_with_ours(keylen):
    key, sci = os.urandom(keylen), sci_of(B_MAC, 2)
    sa = MACsecSA(sci=sci, an=1, pn=100, key=key, icvlen=16, encrypt=1, send_sci=1)
    wire = bytes(sa.encrypt(sa.encap(Ether(FRAME))))
    assert RxState({1: key}).decrypt(wire) == FRAME


def test_short_frames_carry_the_short_length():
    key, sci = os.urandom(16), sci_of(A_MAC)
    short = FRAME[:14] + b"x" * 10
    wire = encrypt(short, key, sci, 0, 1)
    assert wire[15] == 12 and RxState({0: key}).decrypt(wire) == short     # SL = 2 (type) + 10


def test_wrong_key_tamper_replay_unknown_an_and_plaintext_are_dropped():
    key, sci = os.urandom(16), sci_of(A_MAC)
    rx = RxState({0: key})
    first = encrypt(FRAME, key, sci, 0, 1)
    assert rx.decrypt(first) == FRAME

    def reason(frame, state=rx):
        with pytest.raises(Drop) as e:
            state.decrypt(frame)
        return e.value.reason

    assert reason(encrypt(FRAME, os.urandom(16), sci, 0, 2)) == "bad_icv"
    tampered = bytearray(encrypt(FRAME, key, sci, 0, 3))
    tampered[40] ^= 0x01
    assert reason(bytes(tampered)) == "bad_icv"
    assert reason(first) == "replay"                     # the same PN again
    assert reason(encrypt(FRAME, key, sci, 3, 5)) == "no_sa"
    assert reason(FRAME) == "not_macsec"
    # a failed frame does not advance the window: the genuine PN 2 is still welcome
    assert rx.decrypt(encrypt(FRAME, key, sci, 0, 2)) == FRAME
    # replay state is per SCI: another transmitter in the CA starts its own PN space
    assert rx.decrypt(encrypt(FRAME, key, sci_of(B_MAC), 0, 1)) == FRAME


def test_replay_state_follows_the_key_not_the_an():
    key, other, sci = os.urandom(16), os.urandom(16), sci_of(A_MAC)
    rx = RxState({0: key})
    rx.decrypt(encrypt(FRAME, key, sci, 0, 5))
    rx.keys = {0: other}                                  # a mismatch: another key under AN 0
    assert rx.decrypt(encrypt(FRAME, other, sci, 0, 1)) == FRAME
    rx.keys = {0: key}                                    # repaired: the old SA's PNs stay spent
    with pytest.raises(Drop, match="replay"):
        rx.decrypt(encrypt(FRAME, key, sci, 0, 5))
    assert rx.decrypt(encrypt(FRAME, key, sci, 0, 6)) == FRAME


def test_replay_window_admits_late_frames_only_within_it():
    key, sci = os.urandom(16), sci_of(A_MAC)
    rx = RxState({0: key}, window=2)
    rx.decrypt(encrypt(FRAME, key, sci, 0, 10))
    assert rx.decrypt(encrypt(FRAME, key, sci, 0, 9)) == FRAME          # late, within the window
    with pytest.raises(Drop, match="replay"):
        rx.decrypt(encrypt(FRAME, key, sci, 0, 8))


def test_pn_exhaustion_needs_a_new_key():
    with pytest.raises(ValueError, match="new key"):
        encrypt(FRAME, os.urandom(16), sci_of(A_MAC), 0, 1 << 32)
