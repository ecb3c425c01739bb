"""The FRR version of each router, from the topology's ``frr:`` rules (lab.design.frr_spec).

Only FRR routers get one: emulated fabrics and collectors are not FRR.  A version must be one
baglab knows (lab.design.frr_versions); whether it is built is the runtime's question
at bring-up, not the plan's."""
from __future__ import annotations

from lab.design import lb_limits
from lab.design.bandwidth_missing import unsupported
from lab.errors import LabError
from lab.design.frr_versions import ASSUMED_VERSION, SUITES
from lab.design.node_kinds import FRR, kind_of
from lab.design.plan.draft import Draft, path_of


def frr_versions(d: Draft) -> Draft:
    spec = d.t.frr
    if spec is not None:
        _check(d, spec)
        d.planned_nodes = [n.model_copy(update={"frr": spec.version_for(n.name, n.role, n.region, n.bag_plane)})
                           if kind_of(n) is FRR else n for n in d.planned_nodes]
    missing = options_missing(d.t.policy.bandwidth_missing, d.planned_nodes)
    if missing:
        raise d.err(["policy", "bandwidth_missing"], missing)
    refused = lb_refused(d.planned_nodes, d.planned_links, d.t.policy.transit_bandwidth, d.t.policy.bandwidth_unit)
    if refused:
        raise d.err(path_of(refused[0]), refused[1])
    return d


def lb_refused(nodes, links, transit: str, unit: int) -> tuple[str, str] | None:
    """The first link whose link-bandwidth value a router that configures it cannot take (its
    version's ``set extcommunity bandwidth`` range, lab.design.lb_limits), as (YAML path, reason)."""
    by_name = {n.name: n for n in nodes}
    for link in links:
        for end in (link.a, link.b):
            n = by_name[end.node]
            if kind_of(n) is not FRR or not (n.originates or (n.role == "bag" and transit == "link")):
                continue
            version = n.frr or ASSUMED_VERSION
            if version in lb_limits.CATALOGUE and not lb_limits.configurable(version, link.lb_value):
                lo, hi = lb_limits.limits(version).configurable
                return link.source, (
                    f"link-bandwidth {link.lb_value:,} ({link.represents} x {link.speed_gbps}G at "
                    f"policy.bandwidth_unit {unit:,} Mbps per unit) is beyond what FRR {version} at {n.name} accepts "
                    f"({lo:,}-{hi:,}): raise policy.bandwidth_unit or run a version that takes it "
                    "(docs/link-bandwidth.md)")
    return None


def options_missing(option: str, nodes) -> str | None:
    """Why the routers' FRR versions cannot honour ``policy.bandwidth_missing`` (None: they can)."""
    lacking = unsupported(option, {n.frr for n in nodes if kind_of(n) is FRR})
    if not lacking:
        return None
    return f"{option!r} is not an option of FRR {', '.join(lacking)} (which routers run it: the topology's frr:)"


def _check(d: Draft, spec) -> None:
    known = {"nodes": {n.name for n in d.planned_nodes}, "roles": {n.role for n in d.planned_nodes},
             "regions": {n.region for n in d.planned_nodes},
             "planes": {str(n.bag_plane) for n in d.planned_nodes if n.role == "bag" and n.bag_plane is not None}}
    for field in ("roles", "regions", "planes", "nodes"):
        for key, version in getattr(spec, field).items():
            if key not in known[field]:       # a typo would leave every router on the default, silently
                raise d.err(["frr", field, key], f"no {field[:-1]} {key!r} in this topology (known: "
                            f"{', '.join(sorted(known[field]))})")
            _known_version(d, ["frr", field, key], version)
    if spec.default:
        _known_version(d, ["frr", "default"], spec.default)


def _known_version(d: Draft, parts, version: str) -> None:
    if version not in SUITES:
        raise d.err(parts, f"FRR {version} is not a version baglab can run: known are {', '.join(SUITES)} "
                    "(write versions quoted: YAML reads 10.10 as 10.1)")


def with_frr(plan, version: str | None):
    """``baglab up --frr V``: every FRR router on V, whatever the topology said (None: as planned)."""
    if version is None:
        return plan
    if version not in SUITES:
        raise LabError(f"--frr {version}: not a version baglab can run: known are {', '.join(SUITES)}")
    missing = options_missing(plan.bandwidth_missing, [n.model_copy(update={"frr": version}) for n in plan.nodes])
    if missing:
        raise LabError(f"--frr {version}: the topology's policy.bandwidth_missing: {missing}")
    refused = lb_refused([n.model_copy(update={"frr": version}) for n in plan.nodes], plan.links, plan.transit_bandwidth,
                         plan.bandwidth_unit)
    if refused:
        raise LabError(f"--frr {version}: {refused[0]}: {refused[1]}")
    return plan.model_copy(update={"nodes": tuple(n.model_copy(update={"frr": version}) if kind_of(n) is FRR else n
                                                  for n in plan.nodes)})


def with_native(plan, native: str):
    """Routers without a version run their runtime's own FRR (the host's, the image's), but are
    rendered and judged as ASSUMED_VERSION: where the runtime's is another (a trixie host's 10.3),
    they are pinned to it, so the template, the weight rule and the defaults follow the daemons
    that really run."""
    if native == ASSUMED_VERSION:
        return plan
    return plan.model_copy(update={"nodes": tuple(n.model_copy(update={"frr": native})
                                                  if kind_of(n) is FRR and n.frr is None else n for n in plan.nodes)})
