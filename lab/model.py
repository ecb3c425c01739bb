"""The topology YAML as a typed schema.

The YAML states *intent* (planes, fabrics, bundle sizes, port speeds, failure
labels), never wires: the plan derives wires from it.  Every model forbids
unknown keys so a typo fails loudly instead of silently building the wrong lab.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

NAME_RE = r"^[a-z][a-z0-9]{0,7}$"
LAB_V4 = ipaddress.ip_network("198.18.0.0/15")
LAB_V6 = ipaddress.ip_network("2001:db8::/32")
_SPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([GT])(?:bps|b)?\s*$", re.I)


def parse_speed(value: object) -> int:
    """Speeds in Gbit/s.  '800G', '1.6T' and plain integers (Gbit/s) are accepted."""
    if isinstance(value, bool):
        raise ValueError("a speed is like '800G' or '1.6T'")
    if isinstance(value, (int, float)):
        gbps = float(value)
    else:
        m = _SPEED_RE.match(str(value))
        if not m:
            raise ValueError(f"{value!r} is not a speed; write it like '800G' or '1.6T'")
        gbps = float(m.group(1)) * (1000 if m.group(2).upper() == "T" else 1)
    if gbps <= 0 or gbps != int(gbps):
        raise ValueError(f"{value!r} must be a positive whole number of Gbit/s")
    return int(gbps)


Speed = Annotated[int, BeforeValidator(parse_speed)]
Name = Annotated[str, Field(pattern=NAME_RE, description="lower-case letters and digits, at most 8")]
# YAML 1.1 reads a bare 'off' as false (and 'on' as true): take those as the policy words
MacsecMode = Annotated[Literal["required", "optional", "off"],
                       BeforeValidator(lambda v: {False: "off", True: "required"}.get(v, v) if isinstance(v, bool) else v)]
Password = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[!-~]+$")]


def _lab_network(value: str, *, v6: bool | None = None) -> str:
    net = ipaddress.ip_network(value, strict=True)
    if v6 is not None and (net.version == 6) != v6:
        raise ValueError(f"{value} must be IPv{'6' if v6 else '4'}")
    pool = LAB_V6 if net.version == 6 else LAB_V4
    if not net.subnet_of(pool):
        raise ValueError(f"{value} is outside the lab range {pool}; lab traffic must never leave the lab")
    return str(net)


LabPrefix = Annotated[str, AfterValidator(_lab_network)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Labels(Strict):
    """Failure-domain labels; the same name on several elements puts them in one domain."""

    data_hall: str | None = None
    power_feed: str | None = None


class BagSpec(Strict):
    planes: int = Field(ge=1, le=16)
    #: one label for all planes, or one per plane
    data_halls: str | list[str] | None = None
    power_feeds: str | list[str] | None = None

    @model_validator(mode="after")
    def _per_plane(self) -> "BagSpec":
        for field in ("data_halls", "power_feeds"):
            v = getattr(self, field)
            if isinstance(v, list) and len(v) != self.planes:
                raise ValueError(f"{field} lists {len(v)} labels for {self.planes} planes")
        return self

    def label(self, field: str, plane: int) -> str | None:
        v = getattr(self, field)
        return v[plane - 1] if isinstance(v, list) else v


class BulkRoutes(Strict):
    """Extra prefixes an emulated fabric announces, for scale.  IPv4 is capped by the lab range
    (/32s from addressing.bulk_v4); IPv6 /64s come from addressing.bulk_v6."""

    ipv4: int = Field(default=0, ge=0, le=32768)
    ipv6: int = Field(default=0, ge=0, le=4_000_000)


class FabricSpec(Strict):
    name: Name
    kind: Literal["nsf", "dsf"]
    #: who speaks for the fabric's STSWs/edge pod: FRR, baglab's bulk BGP speaker (bgp/speaker.py),
    #: or ExaBGP fed through its API (bgp/exabgp_feed.py)
    emulator: Literal["frr", "bulk", "exabgp"] = "frr"
    routes: BulkRoutes = Field(default_factory=BulkRoutes)
    #: NSF only: spine planes, and STSWs in each (default: one per BAG plane)
    spine_planes: int = Field(default=1, ge=1, le=16)
    stsws_per_plane: int | None = Field(default=None, ge=1, le=64)
    #: member links from each STSW (NSF) or from the edge pod (DSF) to each BAG plane it meets
    uplinks_per_bag_plane: int = Field(default=1, ge=1, le=32)
    port_speed: Speed = 800
    #: GPU-facing capacity of the fabric, for the L2->BAG oversubscription figure
    capacity: Speed | None = None
    #: how many prefixes to allocate per address family, or an explicit list
    prefixes: int | list[LabPrefix] = 1
    data_hall: str | None = None
    #: one label, or one per spine plane (NSF)
    power_feed: str | list[str] | None = None

    @field_validator("prefixes")
    @classmethod
    def _prefix_count(cls, v: int | list[str]) -> int | list[str]:
        if isinstance(v, int) and not 0 <= v <= 4096:
            raise ValueError("prefix count must be between 0 and 4096")
        return v

    @model_validator(mode="after")
    def _kind_fields(self) -> "FabricSpec":
        if self.kind == "dsf" and (self.spine_planes != 1 or self.stsws_per_plane is not None):
            raise ValueError("a dsf fabric reaches BAG through one edge pod: spine_planes/stsws_per_plane are for nsf")
        if (self.routes.ipv4 or self.routes.ipv6) and self.emulator == "frr":
            raise ValueError("bulk routes need 'emulator: bulk' or 'emulator: exabgp' (FRR cannot originate them quickly)")
        if isinstance(self.power_feed, list) and len(self.power_feed) != self.spine_planes:
            raise ValueError(f"power_feed lists {len(self.power_feed)} labels for {self.spine_planes} spine planes")
        return self


class RegionSpec(Strict):
    name: Name
    role: Literal["hub", "spoke"] = "spoke"
    bag: BagSpec
    fabrics: list[FabricSpec] = Field(default_factory=list)


class BundleOverride(Strict):
    """A different member count for one plane pair (fibre is rarely uniform)."""

    a_plane: int = Field(ge=1)
    b_plane: int = Field(ge=1)
    links: int = Field(ge=0, le=32)


class InterconnectSpec(Strict):
    between: tuple[Name, Name]
    mode: Literal["planar", "spread"]
    links_per_bundle: int = Field(default=1, ge=1, le=32)
    port_speed: Speed = 800
    length_m: int = Field(default=1000, ge=1, description="cable length, for design checks")
    #: BAG-to-BAG links must be MACsec-protected: 'required' drops every frame that is not MACsec,
    #: 'optional' protects but still accepts plaintext (should-secure), 'off' sends plaintext
    macsec: MacsecMode = "required"
    #: TCP-MD5 (RFC 2385) password on every BGP session of these links
    tcp_md5: Password | None = None
    bundles: list[BundleOverride] = Field(default_factory=list)
    data_hall: str | None = None
    power_feed: str | None = None


class ExtraLink(Strict):
    """Escape hatch: a link between two planned nodes that no rule generates."""

    a: str
    b: str
    links: int = Field(default=1, ge=1, le=32)
    port_speed: Speed = 800
    macsec: MacsecMode = "off"
    tcp_md5: Password | None = None
    data_hall: str | None = None
    power_feed: str | None = None


class CollectorSpec(Strict):
    """A route collector (ExaBGP) peering with chosen routers; it records every UPDATE it receives
    and announces nothing, so it never changes forwarding."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,7}$")]
    peers: list[str] = Field(min_length=1)


class Policy(Strict):
    #: what a BAG router puts in the link-bandwidth community of routes it passes on:
    #: 'cumulative' (sum of its multipaths' bandwidth: capacity-aware) or 'link' (the egress port speed)
    transit_bandwidth: Literal["cumulative", "link"] = "cumulative"
    address_families: list[Literal["ipv4", "ipv6"]] = Field(default_factory=lambda: ["ipv4", "ipv6"], min_length=1)
    maximum_paths: int = Field(default=64, ge=1, le=64)
    #: FRR 8.4's kernel nexthop groups lose a member after a short link flap (see README); off by default
    kernel_nexthop_groups: bool = False
    keepalive: int = Field(default=3, ge=1)
    holdtime: int = Field(default=9, ge=3)
    #: MACsec cipher suite of protected links, and the replay window (0: strictly increasing PNs)
    macsec_cipher: Literal["gcm-aes-128", "gcm-aes-256"] = "gcm-aes-128"
    macsec_replay_window: int = Field(default=0, ge=0, le=1 << 16)
    #: how a drained router or link repels traffic: RFC 8326 graceful shutdown (the GRACEFUL_SHUTDOWN
    #: community on what it advertises; every router sets local-preference 0 on routes carrying it),
    #: or a longer AS path (its own ASN prepended ``drain_prepend`` times)
    drain: Literal["graceful-shutdown", "as-path-prepend"] = "graceful-shutdown"
    drain_prepend: int = Field(default=3, ge=1, le=10)


class AggregateSpec(Strict):
    """The region's BAG routers advertise one aggregate covering the listed fabrics' prefixes to
    other regions (instead of the more-specifics), but only while at least ``min_fabrics`` of those
    fabrics contribute routes to it: a BAG router that lost its paths to a fabric stops attracting
    traffic it would blackhole."""

    region: Name
    #: contributing fabrics (default: every fabric of the region)
    fabrics: list[Name] | None = None
    #: fabrics that must contribute (default: all of them)
    min_fabrics: int | None = Field(default=None, ge=1)
    #: what a router whose aggregate has too few fabrics advertises abroad: nothing of them
    #: ('withdraw'), or the more-specifics it still has ('specifics', FRR's conditional
    #: advertisement: up to 5 s later, but a fabric's loss no longer hides its neighbours)
    when_thin: Literal["withdraw", "specifics"] = "withdraw"


class DesignSpec(Strict):
    """Budgets for the design checks ``baglab plan`` prints (the lab itself has no buffers)."""

    #: buffer a BAG-to-BAG port may spend on PFC headroom, all lossless classes together
    pfc_buffer_per_port_mb: float = Field(default=64.0, gt=0)
    lossless_classes: int = Field(default=1, ge=0, le=8)
    mtu: int = Field(default=9216, ge=1500, le=16384)
    #: time both ends need to react to PFC (PHY, MAC, pause processing), in nanoseconds
    pfc_response_ns: int = Field(default=1500, ge=0)
    #: light in fibre: about 4.9 ns per metre
    fibre_ns_per_m: float = Field(default=4.9, gt=0)
    max_l2_bag_oversubscription: float | None = Field(default=5.0, gt=0)
    max_bag_bag_oversubscription: float | None = Field(default=None, gt=0)


class Addressing(Strict):
    p2p_v4: str = "198.18.0.0/17"
    loopback_v4: str = "198.18.128.0/20"
    prefixes_v4: str = "198.19.0.0/17"
    bulk_v4: str = "198.19.128.0/17"
    prefix_len_v4: int = Field(default=24, ge=16, le=32)
    p2p_v6: str = "2001:db8::/64"
    loopback_v6: str = "2001:db8:0:1::/64"
    prefixes_v6: str = "2001:db8:1000::/36"
    bulk_v6: str = "2001:db8:8000::/33"
    prefix_len_v6: int = Field(default=56, ge=40, le=128)

    @field_validator("p2p_v4", "loopback_v4", "prefixes_v4", "bulk_v4")
    @classmethod
    def _v4(cls, v: str) -> str:
        return _lab_network(v, v6=False)

    @field_validator("p2p_v6", "loopback_v6", "prefixes_v6", "bulk_v6")
    @classmethod
    def _v6(cls, v: str) -> str:
        return _lab_network(v, v6=True)

    @model_validator(mode="after")
    def _disjoint(self) -> "Addressing":
        pools = [(k, ipaddress.ip_network(getattr(self, k))) for k in
                 ("p2p_v4", "loopback_v4", "prefixes_v4", "bulk_v4",
                  "p2p_v6", "loopback_v6", "prefixes_v6", "bulk_v6")]
        for i, (ka, a) in enumerate(pools):
            for kb, b in pools[i + 1:]:
                if a.version == b.version and a.overlaps(b):
                    raise ValueError(f"address pools {ka} ({a}) and {kb} ({b}) overlap")
        return self


class AsnPlan(Strict):
    """Private 4-byte ASNs: one per region's BAG tier, one per fabric."""

    bag_base: int = Field(default=4_200_000_000, ge=4_200_000_000, le=4_294_967_294)
    fabric_base: int = Field(default=4_200_100_000, ge=4_200_000_000, le=4_294_967_294)
    collector_base: int = Field(default=4_200_200_000, ge=4_200_000_000, le=4_294_967_294)


class Topology(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
    description: str = ""
    regions: list[RegionSpec] = Field(min_length=1)
    interconnects: list[InterconnectSpec] = Field(default_factory=list)
    links: list[ExtraLink] = Field(default_factory=list)
    collectors: list[CollectorSpec] = Field(default_factory=list)
    aggregates: list[AggregateSpec] = Field(default_factory=list)
    design: DesignSpec = Field(default_factory=DesignSpec)
    policy: Policy = Field(default_factory=Policy)
    addressing: Addressing = Field(default_factory=Addressing)
    asn: AsnPlan = Field(default_factory=AsnPlan)

