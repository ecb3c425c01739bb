"""The FRR version of each router, from the topology's ``frr:`` rules (lab.design.frr_spec).

Only FRR routers get one: emulated fabrics and collectors are not FRR.  A version must be one
baglab knows (lab.design.frr_versions); whether it is built is the runtime's question
at bring-up, not the plan's."""
from __future__ import annotations

from lab.design.bandwidth_missing import unsupported
from lab.errors import LabError
from lab.design.frr_versions import ASSUMED_VERSION, SUITES
from lab.design.node_kinds import FRR, kind_of
from lab.design.plan.draft import Draft


def frr_versions(d: Draft) -> Draft:
    spec = d.t.frr
    if spec is not None:
        _check(d, spec)
        d.planned_nodes = [n.model_copy(update={"frr": spec.version_for(n.name, n.role, n.region, n.bag_plane)})
                           if kind_of(n) is FRR else n for n in d.planned_nodes]
    missing = options_missing(d.t.policy.bandwidth_missing, d.planned_nodes)
    if missing:
        raise d.err(["policy", "bandwidth_missing"], missing)
    return d


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
