"""The plan's data: the typed, frozen result every other part of baglab consumes.

Kept apart from the steps that compute it so that a reader of the renderers, the
oracle or the runtimes sees only what a plan holds, not how it was expanded.
"""
from __future__ import annotations

import hashlib
import ipaddress
import json
from functools import cached_property
from typing import Iterator, Literal

from pydantic import BaseModel, ConfigDict


IFNAME_MAX = 15

Role = Literal["bag", "stsw", "edge", "collector"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BulkBlock(Frozen):
    """``count`` consecutive prefixes of length ``prefixlen`` from ``first``: a million routes in one line."""

    first: str
    prefixlen: int
    count: int

    def prefixes(self) -> Iterator[str]:
        net = ipaddress.ip_network(self.first)
        step = 1 << (net.max_prefixlen - self.prefixlen)
        base = int(net.network_address)
        cls = type(net.network_address)
        for i in range(self.count):
            yield f"{cls(base + i * step)}/{self.prefixlen}"

    @property
    def family(self) -> str:
        return "ipv6" if ":" in self.first else "ipv4"


class Node(Frozen):
    name: str
    role: Role
    region: str
    fabric: str | None = None
    bag_plane: int | None = None       # BAG plane of a BAG router; the plane an STSW stripes to
    spine_plane: int | None = None
    asn: int
    router_id: str
    loopback_v6: str
    prefixes_v4: tuple[str, ...] = ()
    prefixes_v6: tuple[str, ...] = ()
    data_hall: str | None = None
    power_feed: str | None = None
    emulator: Literal["frr", "bulk", "exabgp"] = "frr"
    bulk: tuple[BulkBlock, ...] = ()
    #: FRR version (major.minor) of a router; None: the runtime's own FRR (the host's, the image's)
    frr: str | None = None
    source: str                        # YAML path that produced this node

    @property
    def originates(self) -> bool:
        return self.role != "bag"

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Prefixes checked one by one: the announced ones plus the first of each bulk block,
        which stands for the whole block (same origins, so the same next hops everywhere)."""
        return self.prefixes_v4 + self.prefixes_v6 + tuple(b.first for b in self.bulk)

    def bulk_count(self, family: str) -> int:
        return sum(b.count for b in self.bulk if b.family == family)


class Endpoint(Frozen):
    node: str
    ifname: str          # the interface the router uses (on a protected link: the MACsec device)
    ipv4: str   # address/len
    ipv6: str
    wire: str | None = None   # protected links only: the physical port (veth) under the MACsec device

    @property
    def port(self) -> str:
        """The interface a cable pull or a port shutdown acts on."""
        return self.wire or self.ifname


class Bfd(Frozen):
    """A link's BFD timers, resolved from the policy and its overrides (lab.design.bfd)."""

    interval_ms: int
    multiplier: int

    @property
    def profile(self) -> str:
        """One FRR bfd profile per distinct pair of timers: links that agree share it."""
        return f"bfd-{self.interval_ms}x{self.multiplier}"

    @property
    def detect_ms(self) -> int:
        return self.interval_ms * self.multiplier


class Link(Frozen):
    id: int
    kind: Literal["uplink", "interbag", "extra", "collector"]
    a: Endpoint
    b: Endpoint
    speed_gbps: int
    #: physical links this one stands for (a LAG, a group of ports): capacity and link-bandwidth scale by it
    represents: int = 1
    #: link-bandwidth of one represented port, in FRR's unit (Mbps) at the topology's policy.bandwidth_unit;
    #: None: the port's Gbps figure (the default unit, 1,000 Mbps per unit)
    lb_port: int | None = None
    bundle: str          # "<a>~<b>": all members between the same two nodes
    member: int
    macsec: Literal["required", "optional", "off"] = "off"
    tcp_md5: str | None = None
    length_m: int | None = None
    #: None: no BFD on this link's sessions
    bfd: Bfd | None = None
    data_halls: tuple[str, ...] = ()
    power_feeds: tuple[str, ...] = ()
    source: str

    def end(self, node: str) -> Endpoint:
        return self.a if self.a.node == node else self.b

    @property
    def capacity_gbps(self) -> int:
        return self.speed_gbps * self.represents

    @property
    def lb_value(self) -> int:
        """What ``set extcommunity bandwidth`` says for this link (FRR's Mbps, at the plan's scale)."""
        return self.lb_with(0)

    def lb_with(self, down: int) -> int:
        """The link-bandwidth with ``down`` of the represented ports failed."""
        return (self.lb_port if self.lb_port is not None else self.speed_gbps) * (self.represents - down)

    def peer(self, node: str) -> Endpoint:
        return self.b if self.a.node == node else self.a


class Aggregate(Frozen):
    """One family's aggregate of a region's fabrics, advertised by that region's BAG routers to
    other regions only while ``min_fabrics`` of the contributing fabrics (told apart by their
    ASNs in the aggregate's AS_SET) are present."""

    id: int
    region: str
    family: Literal["ipv4", "ipv6"]
    prefix: str
    fabrics: tuple[str, ...]            # "<region>-<fabric>"
    contributor_asns: tuple[int, ...]
    covers: tuple[str, ...]             # the more-specifics it replaces towards other regions
    min_fabrics: int
    when_thin: Literal["withdraw", "specifics"] = "withdraw"
    source: str

    def covers_prefix(self, prefix: str) -> bool:
        net, agg = ipaddress.ip_network(prefix), ipaddress.ip_network(self.prefix)
        return net.version == agg.version and net != agg and net.subnet_of(agg)


class Oversubscription(Frozen):
    scope: str           # "fabric r1-f1" / "region r1"
    tier: Literal["L2->BAG", "BAG->BAG"]
    demand_gbps: int
    capacity_gbps: int

    @property
    def ratio(self) -> float | None:
        return self.demand_gbps / self.capacity_gbps if self.capacity_gbps else None


class Plan(Frozen):
    topology: str
    address_families: tuple[str, ...]
    transit_bandwidth: str
    maximum_paths: int
    #: the topology's choice for every router; None: each router's FRR version decides (lab/design/frr_versions.py)
    kernel_nexthop_groups: bool | None = None
    bandwidth_missing: Literal["ecmp", "skip-missing", "default-weight"] = "ecmp"
    keepalive: int
    holdtime: int
    bgp_coalesce_ms: int | None = None      # None: FRR's own heuristic
    macsec_cipher: str = "gcm-aes-128"
    macsec_replay_window: int = 0
    drain_method: Literal["graceful-shutdown", "as-path-prepend"] = "graceful-shutdown"
    drain_prepend: int = 3
    #: the ASIC group the hardware shares are computed for (lab.design.hw_weights)
    hardware_members: int = 128
    #: Mbps of capacity per unit of a configured link-bandwidth value (the topology's policy.bandwidth_unit)
    bandwidth_unit: int = 1000
    hardware_rule: Literal["proportional", "wcmp"] = "proportional"
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    oversubscription: tuple[Oversubscription, ...]
    aggregates: tuple[Aggregate, ...] = ()

    # -- lookups: indexed once per plan, because rendering asks per node and per session
    # (scanning the links for every node was most of a 6 s render at a thousand routers) -----
    def node(self, name: str) -> Node:
        return self._node_index[name]

    def links_of(self, node: str) -> list[Link]:
        return list(self._links_index.get(node, ()))

    def link(self, link_id: int) -> Link | None:
        return self._link_ids.get(link_id)

    def domain_members(self, kind: str, label: str) -> tuple[list[str], list[Link]]:
        """Routers in a failure domain (``data_hall`` or ``power_feed``: they lose power) and the
        cables labelled with it (they are cut)."""
        names = [n.name for n in self.nodes if getattr(n, kind) == label]
        attr = "data_halls" if kind == "data_hall" else "power_feeds"
        cut = [l for l in self.links if label in getattr(l, attr) and l.a.node not in names and l.b.node not in names]
        return names, cut

    @cached_property
    def _node_index(self) -> dict[str, Node]:
        return {n.name: n for n in self.nodes}

    @cached_property
    def _link_ids(self) -> dict[int, Link]:
        return {l.id: l for l in self.links}

    @cached_property
    def _links_index(self) -> dict[str, list[Link]]:
        out: dict[str, list[Link]] = {}
        for l in self.links:
            out.setdefault(l.a.node, []).append(l)
            if l.b.node != l.a.node:
                out.setdefault(l.b.node, []).append(l)
        return out

    def prefixes(self, family: str | None = None) -> list[str]:
        """Every prefix the lab routes: the fabrics' own and the BAG tier's aggregates."""
        out: list[str] = []
        for n in self.nodes:
            out += [p for p in n.prefixes if family is None or (":" in p) == (family == "ipv6")]
        out += [a.prefix for a in self.aggregates if family is None or a.family == family]
        return sorted(set(out), key=prefix_key)

    def aggregates_of(self, node: str) -> list[Aggregate]:
        """The aggregates a BAG router originates."""
        n = self.node(node)
        return [a for a in self.aggregates if n.role == "bag" and a.region == n.region] if self.aggregates else []

    def to_json(self) -> str:
        d = self.model_dump(mode="json")
        for n in d["nodes"]:       # a router on the runtime's own FRR: as plans were before versions
            if n["frr"] is None:
                del n["frr"]
        for knob in ("kernel_nexthop_groups", "bgp_coalesce_ms"):   # left to FRR: no setting to record
            if d[knob] is None:
                del d[knob]
        for l in d["links"]:       # nor BFD, represented ports or a unit: plans (and digests) stay as they were
            for key, default in (("bfd", None), ("represents", 1), ("lb_port", None)):
                if l[key] == default:
                    del l[key]
        if d["bandwidth_missing"] == "ecmp":     # FRR's default: as plans were before the option
            del d["bandwidth_missing"]
        if d["bandwidth_unit"] == 1000:
            del d["bandwidth_unit"]
        if (d["hardware_members"], d["hardware_rule"]) == (128, "proportional"):   # nor the ASIC model's default
            del d["hardware_members"], d["hardware_rule"]
        return json.dumps(d, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Plan":
        return cls.model_validate_json(text)

    def digest(self) -> str:
        return self._digest

    @cached_property
    def _digest(self) -> str:
        """Computed once per plan: every node's config carries it, and serialising a 116-router
        plan again for each node made rendering and exporting it quadratic (3 s)."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    def model_copy(self, *, update=None, deep: bool = False) -> "Plan":
        copy = super().model_copy(update=update, deep=deep)
        for cached in ("_digest", "_node_index", "_links_index", "_link_ids"):   # a changed copy has its own
            copy.__dict__.pop(cached, None)
        return copy


def prefix_key(p: str):
    n = ipaddress.ip_network(p)
    return (n.version, n)
