"""What the routers of one lab did, recorded so two labs can be compared: per router and prefix
the kernel FIB grouped by neighbour, the BGP best path's attributes, every path of the BGP table,
what the router sends each neighbour (Adj-RIB-Out), and the real split of probe flows between
every source fabric and destination prefix.

Everything is plain data (JSON as written to disk with the report): a snapshot outlives its
lab, and two snapshots are compared without either lab running.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields

from lab.config.oracle import BLACKHOLE

from lab.observe.fib import FibHop, FibReader
from lab.observe.routes import RouteTables
from lab.design.plan import Plan
from lab.observe.probes import flows as probes
from lab.state import LabPaths
from lab.wait import poll
from lab.design.node_kinds import FRR, kind_of
from lab.observe.settled import routers

#: flows per (source, prefix): a share's standard error is at most 0.5/sqrt(N), ~3 points at 256,
#: and the whole of bag-mini's probing stays within a few seconds
FLOWS = 256


@dataclass
class Snapshot:
    topology: str
    lab: str
    policy: str | None
    taken: float
    quiet: dict = field(default_factory=dict)          # a QUIET lab.observe.settle.Settled as a dict
    #: prefix -> the fabrics ("region-fabric") it belongs to (an aggregate: all it covers)
    fabrics: dict[str, list[str]] = field(default_factory=dict)
    #: router -> prefix -> neighbour -> share of the installed weight
    fib: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    #: router -> prefix -> best path attributes
    bgp: dict[str, dict[str, dict]] = field(default_factory=dict)
    #: "source>prefix" -> {source, prefix, sent, delivered, ttl_expired, split: router -> neighbour -> flows}
    flows: dict[str, dict] = field(default_factory=dict)
    #: N-1 case -> what was observed (lab.workflows.diff.outcomes)
    sweep: dict[str, dict] = field(default_factory=dict)
    #: router -> prefix -> every path of its BGP table, selected or not (lab.observe.routes.RoutePath
    #: without the prefix: peer, peer_addr, as_path, communities, large_communities, link_bandwidth
    #: in bytes/s, local_pref, med, origin, best, multipath); {} in snapshots written before
    paths: dict[str, dict[str, list[dict]]] = field(default_factory=dict)
    #: router -> neighbour -> the prefixes it sends that neighbour (Adj-RIB-Out); {} in snapshots written before
    advertised: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Snapshot":
        """Older snapshots lack newer fields (their defaults: not compared); keys this version does
        not know are left out."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def write(self, path) -> None:
        from lab.safe_io import write_output

        write_output(path, json.dumps(self.as_dict(), indent=1, sort_keys=True))


def neighbours_of(plan: Plan, node: str) -> dict[str, str]:
    """ifname -> the router at the other end: what an engineer calls a next hop."""
    return {l.end(node).ifname: l.peer(node).node for l in plan.links_of(node)}


def grouped(hops: list[FibHop], neighbours: dict[str, str]) -> dict[str, float]:
    """Next hops by neighbour with their share of the weight, rounded to a tenth of a percent."""
    total = sum(h.weight for h in hops) or 1
    out: dict[str, float] = {}
    for h in hops:
        peer = BLACKHOLE if h.ifname == BLACKHOLE else neighbours.get(h.ifname, h.ifname)
        out[peer] = out.get(peer, 0.0) + h.weight / total
    return {k: round(v, 3) for k, v in sorted(out.items())}


def fib_view(plan: Plan, paths: LabPaths) -> dict[str, dict[str, dict[str, float]]]:
    names = routers(plan)
    with FibReader({n: paths.netns(n) for n in names}) as fib:
        return {n: {p: grouped(h, neighbours_of(plan, n)) for p, h in sorted(fib.read(n).items())} for n in names}


def _split_lb(ext: str) -> tuple[list[str], list[float]]:
    """'RT:1:2 LB:23456:200000000 (1.000 Gbps)' -> (['RT:1:2'], [1600.0]): link bandwidth apart,
    in FRR's units (Mbit/s as configured, which baglab reads as Gbit/s)."""
    others, lbs, toks = [], [], ext.split()
    for i, tok in enumerate(toks):
        if tok.startswith("LB:"):
            lbs.append(int(tok.rsplit(":", 1)[1]) * 8 / 1e6)
        elif not (tok.startswith("(") or (i and toks[i - 1].startswith("(") and tok.endswith(")"))):
            others.append(tok)
    return others, sorted(lbs)


def best_path(entry: dict) -> dict | None:
    """The attributes of the paths that carry traffic (the best path and its multipaths) in one
    prefix's ``show bgp ... PREFIX json``.  Which of several equal paths FRR calls best depends
    on which arrived first, so the best path alone would differ between two identical labs; the
    multipath set does not."""
    paths = entry.get("paths", [])
    best = next((p for p in paths if p.get("bestpath", {}).get("overall")), None)
    if best is None:
        return None
    used = [best] + [p for p in paths if p.get("multipath") and p is not best]
    ext, lbs = set(), []
    for p in used:
        e, lb = _split_lb(p.get("extendedCommunity", {}).get("string", ""))
        ext.update(e)
        lbs += lb
    union = lambda key: sorted({c for p in used for c in p.get(key, {}).get("string", "").split()})  # noqa: E731
    return {"as_path": sorted({" ".join(str(a) for s in p.get("aspath", {}).get("segments", []) for a in s.get("list", []))
                               for p in used}),
            "local_pref": best.get("locPrf", best.get("localpref")),
            "communities": union("community"), "large_communities": union("largeCommunity"),
            "ext_communities": sorted(ext), "link_bandwidth": sorted(lbs), "multipaths": len(used)}


def json_stream(text: str) -> list:
    """Several show commands in one process (Router.show_many) print their JSON documents one after the other."""
    dec, out, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        doc, i = dec.raw_decode(text, i)
        out.append(doc)


def bgp_view(plan: Plan, paths: LabPaths) -> dict[str, dict[str, dict]]:
    """The best-path record alone (:func:`route_views` reads it with the rest, from the same tables)."""
    return route_views(plan, paths)[0]


def _routers_with_bgp(plan: Plan) -> list[str]:
    return [n for n in routers(plan) if kind_of(plan.node(n)) is FRR]


def _path_record(p) -> dict:
    d = p.as_dict()
    d.pop("prefix")
    d.update(as_path=list(p.as_path), communities=list(p.communities), large_communities=list(p.large_communities),
             link_bandwidth=list(p.link_bandwidth))
    return d


def route_views(plan: Plan, paths: LabPaths) -> tuple[dict, dict, dict]:
    """(best-path record, every path, Adj-RIB-Out) of every FRR router, read through
    lab.observe.routes.RouteTables: one JSON per router and family for the BGP table (from the
    daemon's socket, several routers at a time), one per session for what it sends; the best-path
    record comes from the same documents (the paths' extended communities, which RoutePath leaves
    out, included)."""
    prefixes = set(plan.prefixes())
    best: dict[str, dict[str, dict]] = {}

    def record(node: str, _family: str, doc: dict) -> None:
        mine = best.setdefault(node, {})
        for prefix, entries in (doc.get("routes") or {}).items():
            b = best_path({"paths": [e for e in entries if "peer" in e or "aspath" in e]}) if prefix in prefixes else None
            if b:
                mine[prefix] = b

    names = _routers_with_bgp(plan)
    tables = RouteTables(plan, paths, on_bgp_json=record)
    tables.prefetch(names, ["bgp", "out"])
    every = {n: {p: [_path_record(x) for x in ps] for p, ps in sorted(tables.bgp(n).items())} for n in names}
    return ({n: dict(sorted(best.get(n, {}).items())) for n in names}, every,
            {n: tables.adj_out(n) for n in names})


def prefix_fabrics(plan: Plan) -> dict[str, list[str]]:
    out: dict[str, set[str]] = {}
    for n in plan.nodes:
        if n.fabric:
            for p in n.prefixes_v4 + n.prefixes_v6:
                out.setdefault(p, set()).add(f"{n.region}-{n.fabric}")
    for a in plan.aggregates:
        out.setdefault(a.prefix, set()).update(a.fabrics)
    return {p: sorted(f) for p, f in out.items()}


def flow_pairs(plan: Plan) -> list[tuple[str, str]]:
    """(source origin, destination prefix): one origin per fabric to every prefix of every other fabric."""
    by_fabric: dict[tuple[str, str], list] = {}
    for n in plan.nodes:
        if n.originates and kind_of(n).has_fib and n.fabric:
            by_fabric.setdefault((n.region, n.fabric), []).append(n)
    pairs = []
    for src_key, srcs in sorted(by_fabric.items()):
        for dst_key, dsts in sorted(by_fabric.items()):
            if src_key != dst_key:
                for p in sorted({p for d in dsts for p in d.prefixes_v4 + d.prefixes_v6}):
                    pairs.append((srcs[0].name, p))
    return pairs


def flow_view(plan: Plan, paths: LabPaths, flows: int = FLOWS) -> dict[str, dict]:
    """Pairs one after the other: the per-interface counters cannot tell two pairs' packets apart.

    A warm-up round first: a path's first packets wait for neighbour discovery (IPv6 queues only
    a few per neighbour), and a measured round must not lose them or see them arrive in the next."""
    pairs = flow_pairs(plan)
    probes.install(plan, paths, reach_ports=len(pairs))
    deliveries(plan, paths, [([plan.node(s)], p) for s, p in pairs], set(), 64)
    out = {}
    for src, prefix in pairs:
        r = probes.probe(plan, paths, src, prefix, flows=flows)
        split = {}
        for router, counts in sorted(r.split.items()):
            nb = neighbours_of(plan, router)
            d: dict[str, int] = {}
            for ifname, n in counts.items():
                d[nb.get(ifname, ifname)] = d.get(nb.get(ifname, ifname), 0) + n
            split[router] = dict(sorted(d.items()))
        out[f"{src}>{prefix}"] = {"source": src, "prefix": prefix, "sent": r.sent, "delivered": r.delivered,
                                  "ttl_expired": r.ttl_expired, "split": split}
    return out


def snapshot(plan: Plan, paths: LabPaths, flows: bool = True, policy: str | None = None,
             quiet: dict | None = None, flow_count: int = FLOWS) -> Snapshot:
    """Record one lab as it is now (the caller has waited for it to be quiet: lab.observe.settle, strategy QUIET)."""
    snap = Snapshot(plan.topology, paths.name, policy, time.time(), quiet or {}, prefix_fabrics(plan))
    snap.fib = fib_view(plan, paths)
    snap.bgp, snap.paths, snap.advertised = route_views(plan, paths)
    if flows:
        snap.flows = flow_view(plan, paths, flow_count)
    return snap


def deliveries(plan: Plan, paths: LabPaths, pairs, failed: set[str], flows_per_pair: int,
               deadline_s: float = 3.0) -> tuple[dict[str, dict], int]:
    """Every pair at once, each on its own port: -> ("source>prefix" -> sent/delivered, looped packets)."""
    before = probes.read(plan, paths)
    sent = {}
    for k, (srcs, prefix) in enumerate(pairs, 1):
        src = next((s for s in srcs if s.name not in failed), None)
        own = src and (src.prefixes_v6 if ":" in prefix else src.prefixes_v4)
        if own:
            probes.send(paths.netns(src.name), probes.target(own[0]), probes.target(prefix), flows_per_pair,
                        dport=probes.DPORT + k)
            sent[k] = f"{src.name}>{prefix}"

    def counts():
        now = probes.read(plan, paths)
        got = {k: sum(now[n].by_port.get(probes.DPORT + k, 0) - before[n].by_port.get(probes.DPORT + k, 0)
                      for n in now) for k in sent}
        return got, sum(now[n].ttl_expired - before[n].ttl_expired for n in now)

    got, looped = poll(lambda: (lambda c: c if all(v >= flows_per_pair for v in c[0].values()) else None)(counts()),
                       deadline_s) or counts()
    return {key: {"sent": flows_per_pair, "delivered": got[k]} for k, key in sent.items()}, looped
