"""The topology YAML as a typed schema.

The YAML states *intent* (planes, fabrics, bundle sizes, port speeds, failure
labels), never wires: the plan derives wires from it.  Every model forbids
unknown keys so a typo fails loudly instead of silently building the wrong lab.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from lab.design.bfd import BfdOverride, BfdSpec
from lab.design.frr_spec import FrrSpec, as_spec
from lab.design.policy_spec import DesignSpec, Policy  # noqa: F401 (the schema's users import them from here)
from lab.design.schema_types import (MAX_ITEMS, Count, Label, MacsecMode, Name, NodeRef, Password,
                                     PerPlane, Speed, Strict, matching, parse_speed)  # noqa: F401 (re-exported)
from lab.impair.yaml import ImpairmentSpec


LAB_V4 = ipaddress.ip_network("198.18.0.0/15")
LAB_V6 = ipaddress.ip_network("2001:db8::/32")


def _lab_network(value: str, *, v6: bool | None = None) -> str:
    net = ipaddress.ip_network(value, strict=True)
    if v6 is not None and (net.version == 6) != v6:
        raise ValueError(f"{value} must be IPv{'6' if v6 else '4'}")
    pool = LAB_V6 if net.version == 6 else LAB_V4
    if not net.subnet_of(pool):
        raise ValueError(f"{value} is outside the lab range {pool}; lab traffic must never leave the lab")
    return str(net)


LabPrefix = Annotated[str, AfterValidator(_lab_network)]
RESERVED_NODE_NAMES = frozenset({"bgp"})


class BagSpec(Strict):
    planes: Count = Field(ge=1, le=16)
    #: one label for all planes, or one per plane
    data_halls: Label | PerPlane | None = None
    power_feeds: Label | PerPlane | None = None

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

    ipv4: Count = Field(default=0, ge=0, le=32768)
    ipv6: Count = Field(default=0, ge=0, le=4_000_000)


class FabricSpec(Strict):
    name: Name
    kind: Literal["nsf", "dsf"]
    #: who speaks for the fabric's STSWs/edge pod: FRR, baglab's bulk BGP speaker (lab/nodes/speaker.py),
    #: or ExaBGP fed through its API (lab/nodes/exabgp_feed.py)
    emulator: Literal["frr", "bulk", "exabgp"] = "frr"
    routes: BulkRoutes = Field(default_factory=BulkRoutes)
    #: NSF only: spine planes, and STSWs in each (default: one per BAG plane)
    spine_planes: Count = Field(default=1, ge=1, le=16)
    stsws_per_plane: Count | None = Field(default=None, ge=1, le=64)
    #: member links from each STSW (NSF) or from the edge pod (DSF) to each BAG plane it meets
    uplinks_per_bag_plane: Count = Field(default=1, ge=1, le=32)
    port_speed: Speed = 800
    #: how many physical links each member stands for (a LAG or a group of parallel ports): its
    #: link-bandwidth and shares are those of ``represents`` x ``port_speed``, and a failure can take
    #: down part of it (``baglab fault members``)
    represents: Count = Field(default=1, ge=1, le=100_000)
    #: GPU-facing capacity of the fabric, for the L2->BAG oversubscription figure
    capacity: Speed | None = None
    #: how many prefixes to allocate per address family, or an explicit list
    prefixes: Count | Annotated[list[LabPrefix], Field(max_length=8192)] = 1
    data_hall: Label | None = None
    #: one label, or one per spine plane (NSF)
    power_feed: Label | PerPlane | None = None
    #: BFD on this fabric's uplinks: timers of their own, or 'off' (default: policy.bfd)
    bfd: BfdOverride | None = None

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
        if self.emulator != "frr" and isinstance(self.bfd, BfdSpec):
            raise ValueError(f"bfd needs FRR at both ends; the {self.emulator} emulator has no BFD")
        if isinstance(self.power_feed, list) and len(self.power_feed) != self.spine_planes:
            raise ValueError(f"power_feed lists {len(self.power_feed)} labels for {self.spine_planes} spine planes")
        return self


class RegionSpec(Strict):
    name: Name
    role: Literal["hub", "spoke"] = "spoke"
    bag: BagSpec
    fabrics: list[FabricSpec] = Field(default_factory=list, max_length=MAX_ITEMS)


class BundleOverride(Strict):
    """A different member count for one plane pair (fibre is rarely uniform)."""

    a_plane: Count = Field(ge=1, le=16)
    b_plane: Count = Field(ge=1, le=16)
    links: Count = Field(ge=0, le=32)


class InterconnectSpec(Strict):
    between: tuple[Name, Name]
    mode: Literal["planar", "spread"]
    links_per_bundle: Count = Field(default=1, ge=1, le=32)
    port_speed: Speed = 800
    #: how many physical links each member stands for (a LAG or a group of parallel ports): its
    #: link-bandwidth and shares are those of ``represents`` x ``port_speed``, and a failure can take
    #: down part of it (``baglab fault members``)
    represents: Count = Field(default=1, ge=1, le=100_000)
    #: cable length, for the design checks; 1,000 km is beyond any data-centre link (and keeps headroom finite)
    length_m: Count = Field(default=1000, ge=1, le=1_000_000)
    #: BAG-to-BAG links must be MACsec-protected: 'required' drops every frame that is not MACsec,
    #: 'optional' protects but still accepts plaintext (should-secure), 'off' sends plaintext
    macsec: MacsecMode = "required"
    #: TCP-MD5 (RFC 2385) password on every BGP session of these links
    tcp_md5: Password | None = None
    #: BFD on these links: timers of their own, or 'off' (default: policy.bfd)
    bfd: BfdOverride | None = None
    bundles: list[BundleOverride] = Field(default_factory=list, max_length=MAX_ITEMS)
    data_hall: Label | None = None
    power_feed: Label | None = None


class ExtraLink(Strict):
    """Escape hatch: a link between two planned nodes that no rule generates."""

    a: NodeRef
    b: NodeRef
    links: Count = Field(default=1, ge=1, le=32)
    port_speed: Speed = 800
    #: how many physical links each member stands for (a LAG or a group of parallel ports): its
    #: link-bandwidth and shares are those of ``represents`` x ``port_speed``, and a failure can take
    #: down part of it (``baglab fault members``)
    represents: Count = Field(default=1, ge=1, le=100_000)
    macsec: MacsecMode = "off"
    tcp_md5: Password | None = None
    bfd: BfdOverride | None = None
    data_hall: Label | None = None
    power_feed: Label | None = None


class CollectorSpec(Strict):
    """A route collector (ExaBGP) peering with chosen routers; it records every UPDATE it receives
    and announces nothing, so it never changes forwarding."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,7}$")]
    peers: list[NodeRef] = Field(min_length=1, max_length=256)

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, v: str) -> str:
        # 'baglab export' writes each node's files to configs/<node>/ next to configs/bgp/, the
        # package the emulated nodes run: a collector of that name would have its config replaced
        if v in RESERVED_NODE_NAMES:
            raise ValueError(f"{v!r} is reserved (the export's configs/{v}/ holds baglab's node programs); pick another name")
        return v


class AggregateSpec(Strict):
    """The region's BAG routers advertise one aggregate covering the listed fabrics' prefixes to
    other regions (instead of the more-specifics), but only while at least ``min_fabrics`` of those
    fabrics contribute routes to it: a BAG router that lost its paths to a fabric stops attracting
    traffic it would blackhole."""

    region: Name
    #: contributing fabrics (default: every fabric of the region)
    fabrics: Annotated[list[Name], Field(max_length=MAX_ITEMS)] | None = None
    #: fabrics that must contribute (default: all of them)
    min_fabrics: Count | None = Field(default=None, ge=1)
    #: what a router whose aggregate has too few fabrics advertises abroad: nothing of them
    #: ('withdraw'), or the more-specifics it still has ('specifics', FRR's conditional
    #: advertisement: up to 5 s later, but a fabric's loss no longer hides its neighbours)
    when_thin: Literal["withdraw", "specifics"] = "withdraw"


#: the longest pool prefix each pool can still serve from: a /31 (v4) or /127 (v6) per link, one
#: loopback address, a /32 or /64 per bulk route
_POOL_MAX_LEN = {"p2p_v4": 31, "p2p_v6": 127, "bulk_v6": 64}


def _pool(value: str, field: str) -> str:
    longest = _POOL_MAX_LEN.get(field)
    if longest is not None and ipaddress.ip_network(value).prefixlen > longest:
        raise ValueError(f"{value} is too small for {field}: it needs a /{longest} or shorter")
    return value


class Addressing(Strict):
    p2p_v4: str = "198.18.0.0/17"
    loopback_v4: str = "198.18.128.0/20"
    prefixes_v4: str = "198.19.0.0/17"
    bulk_v4: str = "198.19.128.0/17"
    prefix_len_v4: Count = Field(default=24, ge=16, le=32)
    p2p_v6: str = "2001:db8::/64"
    loopback_v6: str = "2001:db8:0:1::/64"
    prefixes_v6: str = "2001:db8:1000::/36"
    bulk_v6: str = "2001:db8:8000::/33"
    prefix_len_v6: Count = Field(default=56, ge=40, le=128)

    @field_validator("p2p_v4", "loopback_v4", "prefixes_v4", "bulk_v4")
    @classmethod
    def _v4(cls, v: str, info: ValidationInfo) -> str:
        return _pool(_lab_network(v, v6=False), info.field_name)

    @field_validator("p2p_v6", "loopback_v6", "prefixes_v6", "bulk_v6")
    @classmethod
    def _v6(cls, v: str, info: ValidationInfo) -> str:
        return _pool(_lab_network(v, v6=True), info.field_name)

    @field_validator("prefix_len_v4", "prefix_len_v6")
    @classmethod
    def _fits_pool(cls, v: int, info: ValidationInfo) -> int:
        pool = info.data.get(info.field_name.replace("prefix_len", "prefixes"))
        if pool is not None and v < ipaddress.ip_network(pool).prefixlen:
            raise ValueError(f"/{v} prefixes do not fit the {pool} pool; use /{ipaddress.ip_network(pool).prefixlen} or longer")
        return v

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

    bag_base: Count = Field(default=4_200_000_000, ge=4_200_000_000, le=4_294_967_294)
    fabric_base: Count = Field(default=4_200_100_000, ge=4_200_000_000, le=4_294_967_294)
    collector_base: Count = Field(default=4_200_200_000, ge=4_200_000_000, le=4_294_967_294)


class Topology(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
    #: free text, printed by 'baglab plan': one line, no terminal markup brackets
    description: Annotated[str, Field(max_length=400), matching(re.compile(r"[^\[\]\x00-\x1f\x7f-\x9f\ud800-\udfff]*"),
                                                               "a description is one line without '[' or ']'")] = ""
    regions: list[RegionSpec] = Field(min_length=1, max_length=MAX_ITEMS)
    interconnects: list[InterconnectSpec] = Field(default_factory=list, max_length=MAX_ITEMS)
    links: list[ExtraLink] = Field(default_factory=list, max_length=MAX_ITEMS)
    collectors: list[CollectorSpec] = Field(default_factory=list, max_length=MAX_ITEMS)
    aggregates: list[AggregateSpec] = Field(default_factory=list, max_length=MAX_ITEMS)
    #: loss, delay, jitter, duplication on member links, applied once the lab is up (lab/impair/)
    impairments: list[ImpairmentSpec] = Field(default_factory=list, max_length=MAX_ITEMS)
    design: DesignSpec = Field(default_factory=DesignSpec)
    policy: Policy = Field(default_factory=Policy)
    addressing: Addressing = Field(default_factory=Addressing)
    asn: AsnPlan = Field(default_factory=AsnPlan)
    #: the FRR version of each router (lab.design.frr_spec); none: the host's (netns) or the image's (docker)
    frr: Annotated[FrrSpec | None, BeforeValidator(as_spec)] = None
