"""Observed vs expected: the comparison every lab check ends in.

A lab is converged when every node's kernel FIB holds exactly the next hops and
weights the oracle predicts, and every planned BGP session is Established.  On
timeout the report says, per node and prefix, what was expected and what was
seen, plus the daemon log tail: enough to debug without re-running.  Waiting for it is
lab.observe.settle's (strategy CONVERGED); this module compares and reports.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from lab.config.oracle import NONE, Failures, NextHop, expected_counts
from lab.config.render import sessions

from lab.errors import LabError
from lab.observe.fib import CountingFibReader, FibHop, FibReader
from lab.log_tail import log_tail
from lab.observe.frr import bgp_sessions, many, rib
from lab.design.plan import Plan, prefix_key
from lab.design.node_kinds import kind_of
from lab.state import LabPaths

WEIGHT_TOLERANCE = 1   # FRR truncates bw*100/sum; allow one unit either way


@dataclass(frozen=True)
class Mismatch:
    node: str
    prefix: str
    expected: tuple[tuple[str, int], ...]     # (ifname, weight)
    observed: tuple[tuple[str, int], ...]

    def __str__(self) -> str:
        if self.prefix.startswith("all "):
            return f"{self.node} {self.prefix}: expected {self.expected[0][1]} observed {self.observed[0][1]}"
        fmt = lambda hs: ", ".join(f"{i} w{w}" for i, w in hs) or "(no route)"  # noqa: E731
        return f"{self.node} {self.prefix}: expected [{fmt(self.expected)}] observed [{fmt(self.observed)}]"


def _hops_match(exp: tuple[tuple[str, int], ...], obs: tuple[tuple[str, int], ...]) -> bool:
    if [i for i, _ in exp] != [i for i, _ in obs]:
        return False
    return all(abs(a - b) <= WEIGHT_TOLERANCE for (_, a), (_, b) in zip(exp, obs))


def _key_expected(hops: list[NextHop]) -> tuple[tuple[str, int], ...]:
    if len(hops) == 1:
        return ((hops[0].ifname, 100),)
    return tuple(sorted((h.ifname, h.weight) for h in hops))


def _key_observed(hops: list[FibHop]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted((h.ifname, h.weight) for h in hops))


def fib_mismatches(plan: Plan, expected: dict[str, dict[str, list[NextHop]]], reader,
                   nodes: list[str] | None = None) -> list[Mismatch]:
    out: list[Mismatch] = []
    counts = expected_counts(plan, expected) if isinstance(reader, CountingFibReader) else None
    for node in nodes or list(expected):
        observed = reader.read(node, plan.address_families)
        exp = expected.get(node, {})
        if counts is not None:
            for fam in plan.address_families:
                want, got = counts[node][fam], reader.counts[node][fam]
                if want != got:
                    out.append(Mismatch(node, f"all {fam} BGP routes", (("count", want),), (("count", got),)))
        for prefix in sorted(set(exp) | set(observed), key=prefix_key):
            e = _key_expected(exp[prefix]) if prefix in exp else ()
            o = _key_observed(observed[prefix]) if prefix in observed else ()
            if not _hops_match(e, o):
                out.append(Mismatch(node, prefix, e, o))
    return out


BULK_THRESHOLD = 5000


def fib_reader(plan: Plan, netns_of: dict[str, str]):
    """The netlink reader for ordinary labs; the counting reader once bulk routes make tables large."""
    if sum(b.count for n in plan.nodes for b in n.bulk) >= BULK_THRESHOLD:
        return CountingFibReader(netns_of, set(plan.prefixes()))
    return FibReader(netns_of)


def session_problems(plan: Plan, paths: LabPaths, nodes: list[str] | None = None,
                     failures: Failures = NONE) -> list[str]:
    """Planned sessions (over links the failures leave up) not Established."""
    names = [n for n in (nodes or [n.name for n in plan.nodes]) if kind_of(plan.node(n)).has_fib]
    states = many(lambda n: _safe_sessions(paths.netns(n)), names)
    problems = []
    for n in names:
        st = states[n]
        if isinstance(st, str):
            problems.append(f"{n}: cannot query bgpd: {st}")
            continue
        for s in sessions(plan, plan.node(n)):
            if not failures.link_up(plan.links[s.link]):
                continue
            state = st.get(s.addr, "not configured")
            if state != "Established":
                problems.append(f"{n}: session to {s.peer} via {s.ifname} ({s.addr}) is {state}")
    return problems


def _safe_sessions(ns: str):
    try:
        return bgp_sessions(ns)
    except Exception as exc:  # noqa: BLE001 - reported, not raised, so one dead node does not hide the rest
        return str(exc)


def wait_sessions(plan: Plan, paths: LabPaths, nodes: list[str], failures: Failures, deadline_s: float) -> list[str]:
    """Sessions may lag the FIB (a reset session re-announces what the FIB still had): poll them too."""
    end = time.monotonic() + deadline_s
    while True:
        problems = session_problems(plan, paths, nodes, failures)
        if not problems or time.monotonic() >= end:
            return problems
        time.sleep(0.2)


def rib_snapshot(plan: Plan, paths: LabPaths, nodes: list[str]) -> dict:
    """Every router's RIB (lab/observe/frr.py rib): a few ms over the daemons' sockets."""
    nodes = [n for n in nodes if kind_of(plan.node(n)).has_fib]
    return many(lambda n: rib(paths.netns(n), plan.address_families), nodes)


def rib_fib_mismatches(plan: Plan, paths: LabPaths, nodes: list[str]) -> list[str]:
    """Where zebra's RIB (selected BGP routes, FIB-flagged next hops) and the kernel disagree."""
    nodes = [n for n in nodes if kind_of(plan.node(n)).has_fib]
    ribs = many(lambda n: rib(paths.netns(n), plan.address_families), nodes)
    out = []
    with fib_reader(plan, {n: paths.netns(n) for n in nodes}) as reader:
        wanted = set(plan.prefixes()) if isinstance(reader, CountingFibReader) else None
        for n in nodes:
            fib = {p: _key_observed(h) for p, h in reader.read(n, plan.address_families).items()}
            if wanted is not None:
                ribs[n] = {p: h for p, h in ribs[n].items() if p in wanted}
            r = {p: tuple(h) for p, h in ribs[n].items()}
            for prefix in sorted(set(fib) | set(r), key=prefix_key):
                if fib.get(prefix, ()) != r.get(prefix, ()):
                    fmt = lambda hs: ", ".join(f"{i} w{w}" for i, w in hs) or "(none)"  # noqa: E731
                    out.append(f"{n} {prefix}: RIB [{fmt(r.get(prefix, ()))}] FIB [{fmt(fib.get(prefix, ()))}]")
    return out


def wait_rib_fib(plan: Plan, paths: LabPaths, nodes: list[str], deadline_s: float = 10.0) -> list[str]:
    end = time.monotonic() + deadline_s
    while True:
        problems = rib_fib_mismatches(plan, paths, nodes)
        if not problems or time.monotonic() >= end:
            return problems
        time.sleep(0.1)


def failure_report(plan: Plan, paths: LabPaths, result, processes: dict | None = None, limit: int = 25) -> str:
    """``result``: a lab.observe.settle.Settled that is not ok (its FIB mismatches and session problems)."""
    lines = [f"not converged after {result.seconds:.1f}s ({result.polls} polls)"]
    if processes:
        dead = [f"{n}/{d}" for n, ds in processes.items() for d, pid in ds.items() if pid is None]
        if dead:
            lines.append("daemons not running: " + ", ".join(dead))
    for m in result.mismatches[:limit]:
        lines.append("  FIB  " + str(m))
    if len(result.mismatches) > limit:
        lines.append(f"  ... and {len(result.mismatches) - limit} more FIB mismatches")
    for p in result.session_problems[:limit]:
        lines.append("  BGP  " + p)
    dead_nodes = sorted({n for n, ds in (processes or {}).items() if any(pid is None for pid in ds.values())})
    worst = (dead_nodes + sorted({m.node for m in result.mismatches} | {p.split(":")[0] for p in result.session_problems}
                                 - set(dead_nodes)))[:3]
    for n in worst:
        lines.append(f"--- tail of {paths.log_file(n)} ---")
        lines.append(log_tail(paths.log_file(n)))
    return "\n".join(lines)


def require_converged(plan: Plan, paths: LabPaths, result, processes: dict | None = None) -> None:
    if not result.ok:
        raise LabError(failure_report(plan, paths, result, processes))
