"""The typed data passed from step to step while a topology is expanded into a plan.

One ``Draft`` travels through every step; each step fills the fields it owns (listed
with the step that writes them) so a test can stop after any step and look at them.
Errors are raised through ``Draft.err`` so they keep naming the YAML path and line.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from lab.errors import TopologyError, format_path
from lab.design.model import Topology
from lab.design.topology import LoadedTopology
from lab.design.plan.model import Aggregate, BulkBlock, Link, Node, Oversubscription


@dataclass
class Draft:
    loaded: LoadedTopology
    # nodes, collectors: name -> the node's fields, in expansion order
    nodes: dict[str, dict] = field(default_factory=dict)
    # fabric_uplinks, interconnects, extra_links, collectors: one entry per link member
    wires: list[dict] = field(default_factory=list)
    # explicit_prefixes: the fabrics' own prefixes, checked, that the allocators step over
    explicit: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = field(default_factory=list)
    # node_addresses: (region, fabric) -> its prefixes (v4, v6) and bulk blocks, shared by its routers
    fabric_prefixes: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    fabric_bulk: dict[tuple[str, str], tuple[BulkBlock, ...]] = field(default_factory=dict)
    bulk_used: dict[str, int] = field(default_factory=lambda: {"ipv4": 0, "ipv6": 0})
    planned_nodes: list[Node] = field(default_factory=list)
    # links: the wires numbered and named
    planned_links: list[Link] = field(default_factory=list)
    # oversubscription, aggregates
    oversubscription: list[Oversubscription] = field(default_factory=list)
    aggregates: list[Aggregate] = field(default_factory=list)

    @property
    def t(self) -> Topology:
        return self.loaded.model

    def err(self, parts, reason) -> TopologyError:
        """An error that names the YAML path ``parts`` and its line, as the reader's errors do."""
        return self.loaded.error(parts, reason)

    def add_node(self, parts, **kw) -> None:
        """Node names are derived from region/fabric names, so two rules can produce one name."""
        if kw["name"] in self.nodes:
            raise self.err(parts, f"node name {kw['name']!r} is produced twice")
        kw["source"] = fmt(parts)
        self.nodes[kw["name"]] = kw

    def add_bundle(self, parts, kind, a, b, count, speed, **extra) -> None:
        """A bundle is ``count`` member links; each member becomes its own wire (and link)."""
        for m in range(1, count + 1):
            self.wires.append(dict(parts=parts, kind=kind, a=a, b=b, member=m, speed=speed, **extra))


def fmt(parts) -> str:
    return format_path(parts)


def path_of(source: str) -> list:
    """Inverse of fmt for error reporting: 'regions[0].fabrics[1]' -> ['regions', 0, 'fabrics', 1]."""
    out: list = []
    for name, idx in re.findall(r"([A-Za-z_]+)|\[(\d+)\]", source):
        out.append(name if name else int(idx))
    return out
