"""Design checks the lab cannot emulate but can compute: PFC headroom and oversubscription.

A lossless class needs, on every port, enough buffer to absorb what is still in
flight after the port sends PAUSE: the data on the cable in both directions
(the pause travels back while data keeps coming), a maximum frame at each end,
and what both ends send while they react.  Long BAG-to-BAG cables make this the
deep-buffer budget of the design; the check prints each interconnect's need
against the YAML's ``design.pfc_buffer_per_port_mb`` and the longest cable that
budget allows.
"""
from __future__ import annotations

from dataclasses import dataclass

from lab.design.model import DesignSpec
from lab.design.plan import Plan


@dataclass(frozen=True)
class Check:
    scope: str
    what: str
    need: str
    limit: str
    ok: bool
    note: str = ""


def pfc_headroom_bytes(speed_gbps: int, length_m: float, d: DesignSpec) -> int:
    """Per lossless class: 2 x (cable delay x rate) + response time x rate + 2 x MTU."""
    bytes_per_ns = speed_gbps / 8
    return int(bytes_per_ns * (2 * length_m * d.fibre_ns_per_m + d.pfc_response_ns) + 2 * d.mtu)


def max_length_m(speed_gbps: int, d: DesignSpec) -> float:
    """The longest cable whose headroom, times the lossless classes, fits the budget."""
    if not d.lossless_classes:
        return float("inf")
    per_class = d.pfc_buffer_per_port_mb * 1e6 / d.lossless_classes
    bytes_per_ns = speed_gbps / 8
    return max(0.0, ((per_class - 2 * d.mtu) / bytes_per_ns - d.pfc_response_ns) / (2 * d.fibre_ns_per_m))


def checks(plan: Plan, d: DesignSpec) -> list[Check]:
    out: list[Check] = []
    seen: set[str] = set()
    for l in plan.links:
        if l.kind != "interbag" or l.bundle in seen or l.length_m is None:
            continue
        seen.add(l.bundle)
        need = pfc_headroom_bytes(l.speed_gbps, l.length_m, d) * d.lossless_classes
        budget = d.pfc_buffer_per_port_mb * 1e6
        out.append(Check(scope=f"{l.bundle} ({l.speed_gbps}G, {l.length_m / 1000:g} km)",
                         what=f"PFC headroom per port, {d.lossless_classes} lossless class(es)",
                         need=f"{need / 1e6:.1f} MB", limit=f"{d.pfc_buffer_per_port_mb:g} MB", ok=need <= budget,
                         note=f"budget allows {max_length_m(l.speed_gbps, d) / 1000:.1f} km"))
    for o in plan.oversubscription:
        limit = d.max_l2_bag_oversubscription if o.tier == "L2->BAG" else d.max_bag_bag_oversubscription
        ratio = o.ratio
        out.append(Check(scope=o.scope, what=f"{o.tier} oversubscription",
                         need=f"{ratio:.2f}:1" if ratio else "no capacity",
                         limit=f"{limit:g}:1" if limit else "-",
                         ok=ratio is not None and (limit is None or ratio <= limit),
                         note=f"{o.demand_gbps / 1000:g}T over {o.capacity_gbps / 1000:g}T"))
    return out
