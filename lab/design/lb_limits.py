"""Link-bandwidth limits of each FRR version baglab runs, as data: the values ``set extcommunity
bandwidth`` accepts, the encodings a version speaks, and what a configured or a cumulative value
becomes on the wire.  Pure (nothing here runs anything).

Every fact was measured (issue 28) with bench/lb_limits.py on tests/data/frr-lb/lb-wrap.yaml, on
FRR 8.4.4 (the host's), 10.3 and 10.7.1 (Debian trixie and sid roots), 2026-12-07; the evidence is
tests/data/frr-lb/lb-limits-<84|103|107>.json and tests/unit/test_lb_limits.py holds this module to
it.  docs/link-bandwidth.md has the table.

- Unit: ``set extcommunity bandwidth N`` takes N in **Mbps**; the community carries **bytes/s**,
  N * 125,000 (25,600 -> 3,200,000,000).
- Encodings (:data:`ENCODINGS`):

  ``ieee``      the classic community (RFC 4360 type 0x00, sub-type 0x04, transitive): a 2-octet
                AS and bytes/s as an IEEE-754 single-precision float.  FRR's default.  A float32 has
                a 24-bit mantissa: 11,000 Mbps (1,375,000,000 bytes/s) goes as 1,375,000,064.
  ``raw``       the classic community with bytes/s as an unsigned 32-bit integer:
                ``neighbor X disable-link-bw-encoding-ieee`` on the sender.
  ``extended``  draft-li-idr-link-bandwidth-ext: an IPv6-address-specific extended community (path
                attribute 25, 20 octets, type 0x02, sub-type 0x06), bytes/s as an unsigned 64-bit
                integer in octets 4-11 and a 4-octet AS in octets 12-15:
                ``neighbor X extended-link-bandwidth``; FRR 10.x only (8.4: "% Unknown command").

  Both neighbour flags reach the updates only after the session is reset (``clear bgp X``): with a
  soft refresh alone nothing changed on any version (bgpd keeps its update group's copy of the
  neighbour's flags).  Not measured: an FRR *receiver* of ``raw`` values (only the collector was
  sent them); values of 2^64 bytes/s and above.
- Beyond 2^32 bytes/s (34,359.74 Mbps), classic: FRR 8.4 and 10.3 keep bytes/s modulo 2^32 --
  configured values (10.3 accepts up to 4,294,967,295 Mbps: 34,360 went out as 32,704 bytes/s) and
  cumulative sums (3 x 25,600 = 76,800 Mbps went out as 1,010,065,408 bytes/s, 8,080.5 Mbps); 10.7
  computes in 64 bits and its float carries the value whole (to float32 precision).  ``raw`` wraps
  modulo 2^32 on every version (no clamp at UINT32_MAX on any of the three).  ``extended`` carries
  every value measured exactly (up to 1,610,612,735,625,000 bytes/s), cumulative sums included.
- The AS: the classic community carries AS_TRANS (23456) for a 4-byte ASN (every baglab ASN is one);
  the extended community carries AS_TRANS on 10.3 and the router's own 4-byte ASN on 10.7.
- The receiver decodes what came and weighs its multipaths by it with its usual rule
  (lab.config.oracle.ucmp_weights): a wrapped value is weighed as the wrapped value.

A version missing here must be measured before a plan may trust its link-bandwidth arithmetic.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Iterable

#: bytes/s per Mbps: ``set extcommunity bandwidth N`` means N Mbps, the wire carries bytes/s
BYTES_PER_MBPS = 125_000
#: the classic community's 32-bit bytes/s: 34,359.74 Mbps
WRAP = 1 << 32
#: the extended community's 64-bit bytes/s
WRAP_EXTENDED = 1 << 64
AS_TRANS = 23456

#: encoding -> how a sender turns it on (the receiver decodes both community types)
ENCODINGS = {
    "ieee": "default (classic community, bytes/s as IEEE float32)",
    "raw": "neighbor X disable-link-bw-encoding-ieee (classic community, bytes/s as uint32), then clear bgp X",
    "extended": "neighbor X extended-link-bandwidth (IPv6-address-specific community, bytes/s as uint64), "
                "then clear bgp X",
}


@dataclass(frozen=True)
class LbLimits:
    version: str
    #: the Mbps values ``set extcommunity bandwidth`` accepts, inclusive
    configurable: tuple[int, int]
    #: classic IEEE values (configured and cumulative) computed in 64 bits; False: kept modulo 2^32
    ieee_64bit: bool
    #: ``neighbor X extended-link-bandwidth`` exists
    extended: bool
    #: the extended community carries the router's 4-byte ASN (False: AS_TRANS)
    extended_real_as: bool = False


CATALOGUE: dict[str, LbLimits] = {v.version: v for v in (
    LbLimits("8.4", (1, 25_600), ieee_64bit=False, extended=False),
    LbLimits("10.3", (1, 4_294_967_295), ieee_64bit=False, extended=True, extended_real_as=False),
    LbLimits("10.7", (0, 4_294_967_295), ieee_64bit=True, extended=True, extended_real_as=True),
)}


def limits(version: str) -> LbLimits:
    try:
        return CATALOGUE[version]
    except KeyError:
        raise KeyError(f"FRR {version!r}: link-bandwidth limits not measured (known: "
                       f"{', '.join(CATALOGUE)})") from None


def encodings(version: str) -> tuple[str, ...]:
    """The encodings ``version`` can send."""
    return ("ieee", "raw", "extended") if limits(version).extended else ("ieee", "raw")


def to_bytes(mbps: int) -> int:
    return mbps * BYTES_PER_MBPS


def to_mbps(bytes_per_s: int) -> float:
    return bytes_per_s / BYTES_PER_MBPS


def configurable(version: str, mbps: int) -> bool:
    lo, hi = limits(version).configurable
    return lo <= mbps <= hi


def refusal(mbps: int) -> str:
    """FRR's answer to a value out of range, the same on every version measured."""
    return f"% Unknown command: set extcommunity bandwidth {mbps}"


def float32(value: int) -> int:
    """``value`` as an IEEE-754 single carries it (round to nearest even), back as an integer."""
    return int(struct.unpack(">f", struct.pack(">f", float(value)))[0])


def carried(version: str, true_bytes: int, encoding: str = "ieee") -> int:
    """The bytes/s a receiver decodes when a ``version`` router sends ``true_bytes`` (a configured
    value times 125,000, or a cumulative sum) in ``encoding``."""
    if encoding == "ieee":
        return float32(true_bytes if limits(version).ieee_64bit else true_bytes % WRAP)
    if encoding == "raw":
        return true_bytes % WRAP
    if encoding == "extended":
        if not limits(version).extended:
            raise ValueError(f"FRR {version} has no extended link-bandwidth")
        return true_bytes % WRAP_EXTENDED
    raise ValueError(f"unknown encoding {encoding!r}: one of {', '.join(ENCODINGS)}")


def configured(version: str, mbps: int, encoding: str = "ieee") -> int:
    """What ``set extcommunity bandwidth mbps`` puts on the wire (bytes/s as decoded)."""
    if not configurable(version, mbps):
        raise ValueError(f"FRR {version}: {refusal(mbps)}")
    return carried(version, to_bytes(mbps), encoding)


def cumulative(version: str, received: Iterable[int], encoding: str = "ieee") -> int:
    """What ``set extcommunity bandwidth cumulative`` sends on: the sum of the bytes/s the router's
    multipaths carry (as it decoded them), through the version's arithmetic and the encoding."""
    return carried(version, sum(received), encoding)


def whole(version: str, true_bytes: int, encoding: str = "ieee") -> bool:
    """Whether ``true_bytes`` arrives whole (up to float32 rounding): False where it wraps."""
    if encoding == "extended":
        return true_bytes < WRAP_EXTENDED
    if encoding == "ieee" and limits(version).ieee_64bit:
        return True
    return true_bytes < WRAP


def community_as(version: str, asn: int, encoding: str = "ieee") -> int:
    """The AS the community carries for a router of ``asn``.  Only 4-byte ASNs were measured
    (baglab's plan gives no other); a 2-byte ASN is carried as itself by FRR's code."""
    if encoding == "extended" and limits(version).extended_real_as:
        return asn
    return asn if asn <= 0xFFFF else AS_TRANS


def frr_string(asn: int, bytes_per_s: int) -> str:
    """How FRR prints a link-bandwidth community (``show bgp`` JSON ``extendedCommunity.string``,
    the same for the extended one): bytes/s, then the bit rate in whole Gbps, Mbps or Kbps
    (truncated, always '.000').  Values under 125 bytes/s (1 Kbps) were not seen."""
    for unit, size in (("Gbps", 125_000_000), ("Mbps", 125_000), ("Kbps", 125)):
        if bytes_per_s >= size:
            return f"LB:{asn}:{bytes_per_s} ({bytes_per_s // size}.000 {unit})"
    raise ValueError(f"{bytes_per_s} bytes/s: FRR's print of values under 1 Kbps was not measured")
