"""Failure domains (data halls, power feeds): what each one's loss costs, prefix by prefix.

Capacity is read the way the design's routers read it: the link-bandwidth their
multipaths carry.  For a prefix and a region, it is the sum over that region's
BAG routers of the bandwidth of every path they use towards the prefix -- for
the prefix's own region the uplink capacity towards its fabric, for another
region the cumulative bandwidth the remote BAG routers advertise.  The oracle
computes it for the whole plan before and after each domain fails; the lab
confirms it by failing the domain for real and reading the same figure out of
every BAG router's BGP table.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional

from lab.config.oracle import NONE, Failures, expected_routes

from lab.errors import LabError
from lab.design.plan import Link, Plan
from lab.design.node_kinds import kind_of
from lab.faults.kinds import DomainKind


def labels(plan: Plan) -> list[tuple[DomainKind, str]]:
    out: set[tuple[DomainKind, str]] = set()
    for n in plan.nodes:
        if n.data_hall:
            out.add((DomainKind.DATA_HALL, n.data_hall))
        if n.power_feed:
            out.add((DomainKind.POWER_FEED, n.power_feed))
    for l in plan.links:
        out |= ({(DomainKind.DATA_HALL, x) for x in l.data_halls}
                | {(DomainKind.POWER_FEED, x) for x in l.power_feeds})
    return sorted(out)


def members(plan: Plan, kind: DomainKind, label: str) -> tuple[list[str], list[Link]]:
    """Routers in the domain (they lose power) and cables labelled with it (they are cut)."""
    return plan.domain_members(kind, label)


def failures_of(plan: Plan, kind: DomainKind, label: str) -> Failures:
    names, cut = members(plan, kind, label)
    return Failures.of(links=[l.id for l in cut], nodes=names)


@dataclass(frozen=True)
class Impact:
    kind: str
    label: str
    prefix: str
    region: str            # whose BAG tier's view
    before_gbps: float
    after_gbps: float

    @property
    def lost(self) -> float:
        return 1.0 - self.after_gbps / self.before_gbps if self.before_gbps else 0.0


def capacity(plan: Plan, expected: dict, failures: Failures = NONE) -> dict[tuple[str, str], float]:
    """(region, prefix) -> Gbit/s of link-bandwidth the region's live BAG routers use towards it."""
    out: dict[tuple[str, str], float] = {}
    agg = {a.prefix for a in plan.aggregates}
    for n in plan.nodes:
        if n.role != "bag" or n.name in failures.nodes:
            continue
        for prefix, hops in expected.get(n.name, {}).items():
            if prefix in agg:
                continue          # an aggregate's link-bandwidth is inherited, not a capacity
            key = (n.region, prefix)
            out[key] = out.get(key, 0.0) + sum(h.bandwidth for h in hops)
    return out


def report(plan: Plan) -> list[Impact]:
    """Every domain, every (region, prefix) whose capacity it reduces."""
    base = capacity(plan, expected_routes(plan))
    out = []
    for kind, label in labels(plan):
        f = failures_of(plan, kind, label)
        after = capacity(plan, expected_routes(plan, f), f)
        for (region, prefix), before in sorted(base.items()):
            got = after.get((region, prefix), 0.0)
            if got < before - 1e-9:
                out.append(Impact(kind, label, prefix, region, before, got))
    return out


def lab_capacity(plan: Plan, paths, failures: Failures) -> dict[tuple[str, str], float]:
    """The same figure read from the live BGP tables (multipath and best paths' link-bandwidth)."""
    from lab.observe.frr import bgp_paths, many

    bags = [n for n in plan.nodes if n.role == "bag" and n.name not in failures.nodes and kind_of(n).has_fib]
    agg = {a.prefix for a in plan.aggregates}
    prefixes = [p for p in plan.prefixes() if p not in agg]
    out: dict[tuple[str, str], float] = {}
    tables = many(lambda n: {p: bgp_paths(paths.netns(n.name), p) for p in prefixes}, bags)
    for n in bags:
        for p, ps in tables[n].items():
            bw = sum(x["bandwidth"] or 0.0 for x in ps if x["multipath"] or x["best"])
            if bw:
                out[(n.region, p)] = out.get((n.region, p), 0.0) + bw
    return out


def compare(expected: dict[tuple[str, str], float], observed: dict[tuple[str, str], float],
            tolerance: float = 0.01) -> list[str]:
    out = []
    for key in sorted(set(expected) | set(observed)):
        e, o = expected.get(key, 0.0), observed.get(key, 0.0)
        if abs(e - o) > tolerance * max(e, o, 1.0):
            out.append(f"region {key[0]} towards {key[1]}: oracle {e:g} Gbit/s, BGP tables {o:g} Gbit/s")
    return out


@dataclass
class Confirmation:
    """One domain failed for real: what differs between the oracle and the lab (nothing: confirmed)."""
    kind: str
    label: str
    problems: list[str] = field(default_factory=list)


def confirm(lab, designed: Plan, only: Optional[str] = None,
            source: Optional[str] = None) -> Iterator[Confirmation]:
    """Fail each domain (labels containing ``only``) in the running ``lab`` (a Lab), one at a time,
    and compare the capacities its BGP tables show with the oracle's; each domain is restored before
    the next.  A generator, so a caller can report each domain while the next one runs.

    ``designed`` is the plan the table was computed from: confirming it on a lab that runs another
    plan would compare unrelated figures; ``source`` (its topology file) names it in that error."""
    from lab.verdict.measure import after_fault, after_restore

    from lab.design.plan.steps.versions import with_native
    from lab.runtime import native_version

    plan, paths = lab.plan, lab.paths
    # 'up' pinned routers without a version to the runtime's own FRR where it is not 8.4: so is the design
    designed = with_native(designed, native_version(lab.state.runtime_name))
    if plan.digest() != designed.digest():
        raise LabError(f"lab {paths.name} runs another plan than {source or designed.topology}")
    fi, tl = lab.faults, lab.timeline
    for kind, label in labels(plan):
        if only and only not in label:
            continue
        f = fi.domain(kind, label)
        res = after_fault(plan, paths, tl, f, fi.failures(), "domains")
        fails = fi.failures()
        problems = compare(capacity(plan, expected_routes(plan, fails), fails), lab_capacity(plan, paths, fails))
        if not res.ok:
            problems.insert(0, "not converged to the oracle: " + res.report.splitlines()[0])
        fi.restore(f)
        after_restore(plan, paths, tl, f, fi.failures(), "domains")
        yield Confirmation(kind, label, problems)


def fabric_names(plan: Plan) -> dict[str, str]:
    """prefix -> the fabric that originates it ('r1-f1'): what a person calls a heatmap column."""
    out: dict[str, str] = {}
    for n in plan.nodes:
        if n.fabric:
            for p in n.prefixes:
                out.setdefault(p, f"{n.region}-{n.fabric}")
    return out


def heatmap_grid(impacts: list[Impact], fabric_of: dict[str, str] | None = None):
    """(row labels, column labels, grid of lost fractions): columns by fabric, then family and
    address (numeric, not text: 2001:db8:1000:: before 2001:db8:1000:100::), then viewing region."""
    from lab.design.plan import prefix_key

    fabric_of = fabric_of or {}
    rows = sorted({(i.kind, i.label) for i in impacts})
    cols = sorted({(i.prefix, i.region) for i in impacts},
                  key=lambda c: (fabric_of.get(c[0], "~"), prefix_key(c[0]), c[1]))
    grid = [[0.0] * len(cols) for _ in rows]
    for i in impacts:
        grid[rows.index((i.kind, i.label))][cols.index((i.prefix, i.region))] = i.lost
    row_labels = [f"{k.replace('_', ' ')} {lb}" for k, lb in rows]
    col_labels = [(f"{fabric_of[p]} ({p})" if p in fabric_of else p) + f", seen from {r}" for p, r in cols]
    return row_labels, col_labels, grid


def heatmap(impacts: list[Impact], path, fabric_of: dict[str, str] | None = None) -> None:
    import io

    import matplotlib.pyplot as plt

    from lab.safe_io import write_output

    fig = heatmap_figure(impacts, fabric_of)
    buf = io.BytesIO()      # drawn into memory: the path is written as every output file is (lab.safe_io)
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    write_output(path, buf.getvalue(), make_dirs=False)     # as matplotlib did: a missing directory is an error


def heatmap_figure(impacts: list[Impact], fabric_of: dict[str, str] | None = None):
    """Domains x (fabric prefix, viewing region): the fraction of capacity each domain takes away;
    every cell labelled, 0 % too (an empty cell reads as 'not computed')."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, cols, grid = heatmap_grid(impacts, fabric_of)
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(cols) + 3), max(3, 0.4 * len(rows) + 2.5)), layout="constrained")
    im = ax.imshow(grid, cmap="Reds", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(cols)), cols, rotation=60, ha="right", rotation_mode="anchor", fontsize=7)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            ax.text(c, r, f"{v:.0%}", ha="center", va="center", fontsize=6,
                    color="white" if v > 0.6 else ("grey" if not v else "black"))
    fig.colorbar(im, ax=ax, label="capacity lost")
    ax.set_title("capacity lost per failure domain (oracle): columns are fabrics' prefixes, "
                 "as each region's BAG tier sees them", fontsize=9)
    return fig
