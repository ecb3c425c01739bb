"""Topology -> plan: every node, wire, address and ASN the lab will build.

Pure and deterministic (same YAML, same plan, byte for byte) so that a plan can be
reviewed, diffed and unit-tested without root.  ``build_plan`` is the ordered list of
steps below (netlab-style): each takes the ``Draft`` and returns it with its own fields
filled, so the order is read here and each step's output can be looked at in a test.
The order matters: names before wires, wires before addresses, collectors after the
fabric (their wires are numbered last), checks that read the whole plan at the end.
"""
from __future__ import annotations

from typing import Callable

from lab.design.topology import LoadedTopology
from lab.design.plan.draft import Draft
from lab.design.plan.model import (IFNAME_MAX, Aggregate, Bfd, BulkBlock, Endpoint, Frozen, Link, Node,
                    Oversubscription, Plan, Role, prefix_key)
from lab.design.plan.steps import aggregate, assign, expand, versions

Step = Callable[[Draft], Draft]

STEPS: tuple[tuple[str, Step], ...] = (
    ("nodes", expand.nodes),
    ("fabric_uplinks", expand.fabric_uplinks),
    ("interconnects", expand.interconnects),
    ("extra_links", expand.extra_links),
    ("collectors", expand.collectors),
    ("explicit_prefixes", assign.explicit_prefixes),
    ("node_addresses", assign.node_addresses),
    ("links", assign.links),
    ("multipath", assign.multipath),
    ("frr_versions", versions.frr_versions),
    ("oversubscription", aggregate.oversubscription),
    ("aggregates", aggregate.aggregates),
)


def run_steps(loaded: LoadedTopology, until: str | None = None) -> Draft:
    """Run the steps in order, stopping after the one named ``until`` (for tests and debugging)."""
    d = Draft(loaded)
    for name, step in STEPS:
        d = step(d)
        if name == until:
            break
    return d


def assemble(d: Draft) -> Plan:
    """The finished draft as a frozen Plan, with the policy knobs every renderer reads."""
    p = d.t.policy
    return Plan(topology=d.t.name, address_families=tuple(p.address_families),
                transit_bandwidth=p.transit_bandwidth, maximum_paths=p.maximum_paths,
                kernel_nexthop_groups=p.kernel_nexthop_groups,
                bandwidth_missing=p.bandwidth_missing, keepalive=p.keepalive, holdtime=p.holdtime,
                bgp_coalesce_ms=p.bgp_coalesce_ms,
                macsec_cipher=p.macsec_cipher, macsec_replay_window=p.macsec_replay_window,
                drain_method=p.drain, drain_prepend=p.drain_prepend, bandwidth_unit=p.bandwidth_unit,
                **({"hardware_members": p.hardware_table.members, "hardware_rule": p.hardware_table.rule}
                   if p.hardware_table else {}),
                nodes=tuple(d.planned_nodes), links=tuple(d.planned_links),
                oversubscription=tuple(d.oversubscription), aggregates=tuple(d.aggregates))


def build_plan(loaded: LoadedTopology) -> Plan:
    return assemble(run_steps(loaded))


__all__ = ["IFNAME_MAX", "STEPS", "Aggregate", "Bfd", "BulkBlock", "Draft", "Endpoint", "Frozen",
           "Link", "Node", "Oversubscription", "Plan", "Role", "assemble", "build_plan", "prefix_key", "run_steps"]
