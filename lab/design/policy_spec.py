"""The topology's ``policy:`` and ``design:`` sections: how every router behaves, and the budgets
of the design checks."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, StrictFloat, ValidationInfo, field_validator

from lab.design.bfd import BfdSpec
from lab.design.hw_weights import HardwareTable
from lab.design.schema_types import Count, Strict


class Policy(Strict):
    #: what a BAG router puts in the link-bandwidth community of routes it passes on:
    #: 'cumulative' (sum of its multipaths' bandwidth: capacity-aware) or 'link' (the egress port speed)
    transit_bandwidth: Literal["cumulative", "link"] = "cumulative"
    #: how many Mbps of capacity one unit of a configured link-bandwidth value stands for.  FRR reads
    #: the value as Mbps (bytes/s on the wire); 1000 (the default) writes 800 for an 800G port, a
    #: 1:1000 scale every version carries; 1 writes real speeds (800,000), which FRR 8.4 refuses
    #: and 10.3 wraps past 34,359 Mbps (docs/link-bandwidth.md)
    bandwidth_unit: Count = Field(default=1000, ge=1, le=1_000_000_000)
    address_families: list[Literal["ipv4", "ipv6"]] = Field(default_factory=lambda: ["ipv4", "ipv6"], min_length=1,
                                                            max_length=2)

    @field_validator("address_families")
    @classmethod
    def _once_each(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):      # a family listed twice doubled every session in plan and configs
            raise ValueError("each address family at most once")
        return v
    maximum_paths: Count = Field(default=64, ge=1, le=64)
    #: kernel nexthop groups (zebra) on or off for every router; unset: each FRR version's default
    #: (lab/design/frr_versions.py: off on 8.4, whose groups lose a member after a short link flap)
    kernel_nexthop_groups: StrictBool | None = None
    #: what a router does with a multipath set where some paths carry no link-bandwidth: 'ecmp'
    #: (FRR's default), 'skip-missing' or 'default-weight' (lab.design.bandwidth_missing, docs/explanation/weights.md)
    bandwidth_missing: Literal["ecmp", "skip-missing", "default-weight"] = "ecmp"
    #: BGP timers (RFC 4271 4.2, 10): the hold time is 0 (no keepalives, no hold timer) or 3 to
    #: 65535 s, and keepalives must come more often than the hold time or every session flaps
    keepalive: Count = Field(default=3, ge=1, le=21845)
    holdtime: Count = Field(default=9, ge=0, le=65535)
    #: bgpd's coalesce-time: a new session's first update waits this long (unset: FRR's 1 s + 50 ms a peer)
    bgp_coalesce_ms: Count | None = Field(default=None, ge=0, le=10_000)
    #: MACsec cipher suite of protected links, and the replay window (0: strictly increasing PNs)
    macsec_cipher: Literal["gcm-aes-128", "gcm-aes-256"] = "gcm-aes-128"
    macsec_replay_window: Count = Field(default=0, ge=0, le=1 << 16)
    #: how a drained router or link repels traffic: RFC 8326 graceful shutdown (the GRACEFUL_SHUTDOWN
    #: community on what it advertises; every router sets local-preference 0 on routes carrying it),
    #: or a longer AS path (its own ASN prepended ``drain_prepend`` times)
    drain: Literal["graceful-shutdown", "as-path-prepend"] = "graceful-shutdown"
    drain_prepend: Count = Field(default=3, ge=1, le=10)
    #: BFD (FRR's bfdd) on every link between two FRR routers: a silent failure is noticed after
    #: interval x multiplier instead of the hold time; none by default
    bfd: BfdSpec | None = None
    #: the ASIC group hardware shares are computed for (unset: 128 members, proportional)
    hardware_table: HardwareTable | None = None

    @field_validator("holdtime")
    @classmethod
    def _timers(cls, v: int, info: ValidationInfo) -> int:
        if 0 < v < 3:
            raise ValueError("a BGP hold time is 0 (none) or at least 3 seconds")
        keepalive = info.data.get("keepalive")
        if v and keepalive is not None and keepalive >= v:
            raise ValueError(f"keepalive {keepalive} s must be shorter than the hold time {v} s "
                             "(usually a third of it), or sessions expire between keepalives")
        return v


class DesignSpec(Strict):
    """Budgets for the design checks ``baglab plan`` prints (the lab itself has no buffers)."""

    #: buffer a BAG-to-BAG port may spend on PFC headroom, all lossless classes together
    #: at most 64 GB: more than the whole deep buffer of any switch, per port
    pfc_buffer_per_port_mb: StrictFloat = Field(default=64.0, gt=0, le=65536)
    lossless_classes: Count = Field(default=1, ge=0, le=8)
    mtu: Count = Field(default=9216, ge=1500, le=16384)
    #: time both ends need to react to PFC (PHY, MAC, pause processing), in nanoseconds
    pfc_response_ns: Count = Field(default=1500, ge=0, le=1_000_000)
    #: light in fibre: about 4.9 ns per metre (3.34 in vacuum, so nothing is faster)
    fibre_ns_per_m: StrictFloat = Field(default=4.9, ge=3.3, le=20)
    max_l2_bag_oversubscription: StrictFloat | None = Field(default=5.0, gt=0, le=1000)
    max_bag_bag_oversubscription: StrictFloat | None = Field(default=None, gt=0, le=1000)
