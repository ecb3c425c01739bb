"""Two snapshots side by side: per router, prefix and aspect, what changed, split into the
differences the candidate declares as intended and the rest.

Flow splits are measurements: a difference counts only beyond the statistical tolerance of
two independent samples (each lab hashes flows with its own seed), so noise is never reported.
FIBs, BGP paths (the selected ones, and with ``paths`` every other) and what each router sends its
neighbours (``advertised``) are read, not sampled: any change is real.
The N-1 sweep as observed (outcomes.py) differs by a lost or looping packet, a FIB once quiet,
or a convergence or restoration far slower than the other lab's.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from lab.verdict.checks.schema import IntendedChange
from lab.exit_codes import FAILED, PASSED, UNDECIDED
from lab.workflows.diff import intended as judging
from lab.workflows.diff.intended import PRESENCE
from lab.workflows.diff.snapshot import Snapshot

ASPECTS = ("fib", "as_path", "local_pref", "communities", "link_bandwidth", "paths", "advertised", "flows", "sweep")
#: FRR rounds weights to integers (floor of a percentage): shares closer than this are the same design
FIB_TOLERANCE = 0.015
#: hash buckets make even an exact split uneven at a few percent: the floor of a flow tolerance
FLOW_FLOOR = 0.05
COMMUNITY_FIELDS = ("communities", "large_communities", "ext_communities")
#: convergence times closer than this (ms), or than half the slower one, are the same
CONVERGENCE_SLACK_MS = 2500.0
#: restoration waits for BGP sessions to come back, on connect-retry timers: identical runs of one
#: lab measured 0.4 s and 3.4 s for the same repair, so only a far slower repair counts
RESTORE_SLACK_MS = 10000.0


@dataclass
class Difference:
    router: str
    prefix: str
    aspect: str
    before: str
    after: str
    detail: str = ""
    source: str = ""           # flows and sweep: the source router (or the failure)
    fabrics: list[str] = field(default_factory=list)   # the destination prefix's fabrics
    intended_by: str = ""      # the intended change's 'why' (or its patterns) when it matches
    #: what changed, as data an intended change's stated value is compared with (lab.workflows.diff.intended):
    #: {"kind": "communities", "field", "before", "after"}, {"kind": "link_bandwidth", "before", "after"}
    #: (bytes/s), {"kind": "as_path", "before", "after"} (lists of ASN lists), {"kind": "presence",
    #: "direction": "appearing" | "going"}; {} for a change no statement judges
    change: dict = field(default_factory=dict)
    #: unintended although an intended change covers its aspect: observed vs declared value
    mismatch: str = ""


@dataclass
class DiffReport:
    baseline: str | None
    candidate: str | None
    intended: list[Difference] = field(default_factory=list)
    unintended: list[Difference] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)   # why no verdict (a lab never quiet)
    #: stated values of intended changes that no difference showed (the candidate did not do it)
    unfulfilled: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return UNDECIDED if self.undecided else FAILED if self.unintended or self.unfulfilled else PASSED

    def as_dict(self) -> dict:
        d = asdict(self)
        d["exit_code"] = self.exit_code
        return d


def shares_text(shares: dict[str, float] | None) -> str:
    if not shares:
        return "absent"
    return " ".join(f"{k} {v:.0%}" for k, v in sorted(shares.items()))


def fib_differences(base: Snapshot, cand: Snapshot) -> list[Difference]:
    out = []
    for router in sorted(set(base.fib) | set(cand.fib)):
        a, b = base.fib.get(router, {}), cand.fib.get(router, {})
        for prefix in sorted(set(a) | set(b)):
            sa, sb = a.get(prefix), b.get(prefix)
            if not _same_shares(sa, sb):
                out.append(Difference(router, prefix, "fib", shares_text(sa), shares_text(sb),
                                      change=_presence(bool(sa), bool(sb))))
    return out


def _presence(before: bool, after: bool) -> dict:
    """A prefix on one side only: {"kind": "presence", "direction": ...}; {} when on both (or neither)."""
    if before == after:
        return {}
    return {"kind": PRESENCE, "direction": "appearing" if after else "going"}


def _same_shares(a: dict | None, b: dict | None) -> bool:
    if not a or not b:
        return not a and not b
    return set(a) == set(b) and all(abs(a[k] - b[k]) <= FIB_TOLERANCE for k in a)


def _text(v) -> str:
    if v is None or v == []:
        return "none"
    return ", ".join(map(str, v)) if isinstance(v, list) else str(v)


def _bytes(mbit: list) -> list[int]:
    """The best-path record's link-bandwidth (FRR's Mbit/s) as carried on the wire (bytes/s)."""
    return [round(v * 1e6 / 8) for v in mbit or []]


def _asns(paths: list[str]) -> list[list[int]]:
    return [[int(a) for a in p.split() if a.isdigit()] for p in paths or []]


def _value_change(aspect: str, key: str, before, after) -> dict:
    if aspect == "communities":
        return {"kind": "communities", "field": key, "before": list(before or []), "after": list(after or [])}
    if aspect == "link_bandwidth":
        return {"kind": "link_bandwidth", "before": _bytes(before), "after": _bytes(after)}
    if aspect == "as_path":
        return {"kind": "as_path", "before": _asns(before), "after": _asns(after)}
    return {}


def bgp_differences(base: Snapshot, cand: Snapshot) -> list[Difference]:
    out = []
    for router in sorted(set(base.bgp) | set(cand.bgp)):
        a, b = base.bgp.get(router, {}), cand.bgp.get(router, {})
        for prefix in sorted(set(a) | set(b)):
            pa, pb = a.get(prefix), b.get(prefix)
            if pa is None or pb is None:
                if not (pa is None and pb is None):
                    out.append(Difference(router, prefix, "as_path", _text(pa and pa["as_path"]) if pa else "no route",
                                          _text(pb["as_path"]) if pb else "no route", "best path",
                                          change=_presence(pa is not None, pb is not None)))
                continue
            for aspect, keys in (("as_path", ("as_path",)), ("local_pref", ("local_pref",)),
                                 ("communities", COMMUNITY_FIELDS), ("link_bandwidth", ("link_bandwidth",))):
                for k in keys:
                    if pa.get(k) != pb.get(k):
                        out.append(Difference(router, prefix, aspect, _text(pa.get(k)), _text(pb.get(k)),
                                              k if k != aspect else "",
                                              change=_value_change(aspect, k, pa.get(k), pb.get(k))))
    return out


def _used(p: dict) -> bool:
    """A path that carries traffic: the best one or a multipath (which of equal paths FRR calls best
    depends on arrival order, so 'best' alone would differ between two identical labs)."""
    return bool(p.get("best") or p.get("multipath"))


def _path_key(p: dict) -> tuple[str, str]:
    return p.get("peer", ""), p.get("peer_addr", "")


def _from(p: dict) -> str:
    addr = p.get("peer_addr", "")
    return f"path from {p.get('peer', '?')}" + (f" ({addr})" if addr and addr != p.get("peer") else "")


def _path_summary(p: dict | None) -> str:
    if p is None:
        return "none"
    return f"AS path {' '.join(map(str, p.get('as_path', []))) or '(empty)'}" + \
        (", selected" if _used(p) else ", not selected")


#: a path's attributes compared one by one: key -> aspect (attributes of selected paths are in the
#: best-path record already; MED and origin, which it lacks, are compared for every path)
PATH_ATTRIBUTES = (("as_path", "as_path"), ("local_pref", "local_pref"), ("communities", "communities"),
                   ("large_communities", "communities"), ("link_bandwidth", "link_bandwidth"))


def paths_differences(base: Snapshot, cand: Snapshot) -> list[Difference]:
    """Every path of every prefix (not only the selected ones), matched by the session it came over:
    a path appearing or going, a path's selection, MED and origin are aspect ``paths``; the attributes
    of a path selected on neither side are their own aspects (communities, as_path, ...), detail naming
    the path.  Snapshots without paths (written before they were recorded) are not compared."""
    if not base.paths or not cand.paths:
        return []
    out = []
    for router in sorted(set(base.paths) | set(cand.paths)):
        a, b = base.paths.get(router, {}), cand.paths.get(router, {})
        best_a, best_b = base.bgp.get(router, {}), cand.bgp.get(router, {})
        for prefix in sorted(set(a) | set(b)):
            la, lb = a.get(prefix) or [], b.get(prefix) or []
            if not la or not lb:
                if (la or lb) and prefix not in best_a and prefix not in best_b:     # else the best path said it
                    out.append(Difference(router, prefix, "paths", f"{len(la)} path(s)", f"{len(lb)} path(s)",
                                          "the prefix", change=_presence(bool(la), bool(lb))))
                continue
            out += _path_pairs(router, prefix, {_path_key(p): p for p in la}, {_path_key(p): p for p in lb})
    return out


def _path_pairs(router: str, prefix: str, a: dict, b: dict) -> list[Difference]:
    out = []
    for key in sorted(set(a) | set(b)):
        pa, pb = a.get(key), b.get(key)
        if pa is None or pb is None:
            out.append(Difference(router, prefix, "paths", _path_summary(pa), _path_summary(pb), _from(pa or pb)))
            continue
        if _used(pa) != _used(pb):
            out.append(Difference(router, prefix, "paths", "selected" if _used(pa) else "not selected",
                                  "selected" if _used(pb) else "not selected", _from(pa)))
        for k in ("med", "origin"):
            if pa.get(k) != pb.get(k):
                out.append(Difference(router, prefix, "paths", _text(pa.get(k)), _text(pb.get(k)), f"{k}, {_from(pa)}"))
        if _used(pa) and _used(pb):
            continue
        for k, aspect in PATH_ATTRIBUTES:
            va, vb = pa.get(k), pb.get(k)
            if (va or None) != (vb or None):
                change = _value_change(aspect, k, va, vb)
                if aspect == "link_bandwidth":       # already bytes/s here
                    change = {"kind": "link_bandwidth", "before": list(va or []), "after": list(vb or [])}
                elif aspect == "as_path":
                    change = {"kind": "as_path", "before": [list(va or [])], "after": [list(vb or [])]}
                detail = (f"{k}, " if k != aspect else "") + f"{_from(pa)}, not selected"
                out.append(Difference(router, prefix, aspect, _text(_path_value(k, va)), _text(_path_value(k, vb)),
                                      detail, change=change))
    return out


def _path_value(key: str, v):
    return " ".join(map(str, v)) if key == "as_path" and isinstance(v, list) else v


def advertised_differences(base: Snapshot, cand: Snapshot) -> list[Difference]:
    """A prefix a router now sends, or no longer sends, to some neighbours (Adj-RIB-Out); one
    difference per router, prefix and direction, naming the neighbours.  Snapshots without the
    Adj-RIB-Out are not compared."""
    if not base.advertised or not cand.advertised:
        return []
    out = []
    for router in sorted(set(base.advertised) | set(cand.advertised)):
        a, b = base.advertised.get(router, {}), cand.advertised.get(router, {})
        moved: dict[tuple[str, bool], list[str]] = {}
        for nbr in sorted(set(a) | set(b)):
            sa, sb = set(a.get(nbr, [])), set(b.get(nbr, []))
            for p in sa ^ sb:
                moved.setdefault((p, p in sb), []).append(nbr)
        for (prefix, now), nbrs in sorted(moved.items()):
            out.append(Difference(router, prefix, "advertised", "not sent" if now else "sent",
                                  "sent" if now else "not sent", f"to {', '.join(nbrs)}",
                                  change=_presence(not now, now)))
    return out


def flow_tolerance(p: float, n_a: int, n_b: int) -> float:
    """Four standard deviations of the difference of two sampled shares, never under FLOW_FLOOR."""
    if not n_a or not n_b:
        return FLOW_FLOOR
    return max(FLOW_FLOOR, 4 * math.sqrt(max(p * (1 - p), 1e-9) * (1 / n_a + 1 / n_b)))


def flow_differences(base: Snapshot, cand: Snapshot) -> list[Difference]:
    out = []
    for key in sorted(set(base.flows) | set(cand.flows)):
        a, b = base.flows.get(key), cand.flows.get(key)
        if a is None or b is None:
            continue        # different pairs probed: a different plan, not a policy difference
        src, prefix = a["source"], a["prefix"]
        out += _delivery(a, b, src, prefix)
        for router in sorted(set(a["split"]) | set(b["split"])):
            out += _router_split(router, a, b, src, prefix)
    return out


def _delivery(a: dict, b: dict, src: str, prefix: str) -> list[Difference]:
    """Packets lost or looping are not noise: any change in them is reported."""
    la, lb = a["sent"] - a["delivered"], b["sent"] - b["delivered"]
    if la == lb and a["ttl_expired"] == b["ttl_expired"]:
        return []
    return [Difference(src, prefix, "flows", _delivered(a), _delivered(b), "delivery", src)]


def _delivered(d: dict) -> str:
    return f"{d['delivered']}/{d['sent']} delivered" + (f", {d['ttl_expired']} looped" if d.get("ttl_expired") else "")


def _router_split(router: str, a: dict, b: dict, src: str, prefix: str) -> list[Difference]:
    ca, cb = a["split"].get(router, {}), b["split"].get(router, {})
    na, nb = sum(ca.values()), sum(cb.values())
    # how much of the pair's traffic crosses this router at all
    ta, tb = na / (a["sent"] or 1), nb / (b["sent"] or 1)
    if abs(ta - tb) > flow_tolerance((na + nb) / ((a["sent"] + b["sent"]) or 1), a["sent"], b["sent"]):
        return [Difference(router, prefix, "flows", f"{ta:.0%} of flows ({shares_text(_share(ca))})",
                           f"{tb:.0%} of flows ({shares_text(_share(cb))})", "traffic through the router", src)]
    if not na or not nb:
        return []
    for nbr in sorted(set(ca) | set(cb)):
        pa, pb = ca.get(nbr, 0) / na, cb.get(nbr, 0) / nb
        if abs(pa - pb) > flow_tolerance((ca.get(nbr, 0) + cb.get(nbr, 0)) / (na + nb), na, nb):
            return [Difference(router, prefix, "flows", f"{shares_text(_share(ca))} of {na}",
                               f"{shares_text(_share(cb))} of {nb}", f"split (e.g. {nbr} {pa:.0%} -> {pb:.0%})", src)]
    return []


def _share(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values()) or 1
    return {k: v / total for k, v in counts.items()}


def _slower(a: float, b: float, slack_ms: float) -> bool:
    return abs(a - b) > slack_ms and max(a, b) > 2 * min(a, b)


def sweep_differences(base: Snapshot, cand: Snapshot) -> list[Difference]:
    out = []
    for case in sorted(set(base.sweep) & set(cand.sweep)):
        a, b = base.sweep[case], cand.sweep[case]
        for key in sorted(set(a["delivered"]) | set(b["delivered"])):
            da, db = a["delivered"].get(key), b["delivered"].get(key)
            if (da and da["sent"] - da["delivered"]) != (db and db["sent"] - db["delivered"]):
                src, prefix = key.split(">", 1)
                out.append(Difference(src, prefix, "sweep", _delivered(da) if da else "not probed",
                                      _delivered(db) if db else "not probed", f"during {case}", case))
        if a["looped"] != b["looped"]:
            out.append(Difference("", "", "sweep", f"{a['looped']} looped", f"{b['looped']} looped",
                                  f"during {case}", case))
        for what, slack in (("convergence_ms", CONVERGENCE_SLACK_MS), ("restore_ms", RESTORE_SLACK_MS)):
            if _slower(a[what], b[what], slack):
                out.append(Difference("", "", "sweep", f"{a[what]:.0f} ms", f"{b[what]:.0f} ms",
                                      f"{what.split('_')[0]} after {case}", case))
        for router in sorted(set(a["fib"]) | set(b["fib"])):
            fa, fb = a["fib"].get(router, {}), b["fib"].get(router, {})
            for prefix in sorted(set(fa) | set(fb)):
                if not _same_shares(fa.get(prefix), fb.get(prefix)):
                    out.append(Difference(router, prefix, "sweep", shares_text(fa.get(prefix)),
                                          shares_text(fb.get(prefix)), f"FIB during {case}", case))
    return out


def compare(base: Snapshot, cand: Snapshot, intended: list[IntendedChange] = (),
            fabric_prefixes: dict[str, tuple[str, ...]] | None = None) -> DiffReport:
    """``fabric_prefixes`` resolves 'fabric NAME' in stated prefixes (route_match.fabric_prefixes of the
    plan; default: from the snapshots)."""
    rep = DiffReport(base.policy, cand.policy)
    for s, side in ((base, "baseline"), (cand, "candidate")):
        if s.quiet and not s.quiet.get("ok", True):
            rep.undecided.append(f"{side} lab {s.lab} never went quiet: {s.quiet.get('why', '')}")
        rep.undecided += [f"{side} lab {s.lab} never went quiet during or after {case}"
                          for case, o in sorted(s.sweep.items()) if not o.get("quiet", True)]
    diffs = fib_differences(base, cand) + bgp_differences(base, cand) + paths_differences(base, cand) \
        + advertised_differences(base, cand) + flow_differences(base, cand) + sweep_differences(base, cand)
    fabrics = {**base.fabrics, **cand.fabrics}
    if fabric_prefixes is None and any(c.prefixes is not None for c in intended):
        fabric_prefixes = {**judging.snapshot_fabrics(base.fabrics), **judging.snapshot_fabrics(cand.fabrics)}
    specs = [judging.prefix_specs(c, fabric_prefixes) for c in intended]
    fulfilled: set = set()
    for d in diffs:
        d.fabrics = d.fabrics or fabrics.get(d.prefix, [])
        hit, why, used = judging.first_accepting(d, intended, specs)
        fulfilled |= used
        if hit is not None:
            d.intended_by = hit.why or " / ".join(filter(None, (",".join(hit.nodes), ",".join(hit.fabrics),
                                                               ",".join(hit.aspects + hit.statements()))))
            rep.intended.append(d)
        else:
            d.mismatch = "; ".join(why)
            rep.unintended.append(d)
    for i, c in enumerate(intended):
        for key in c.statements():
            if (i, key) not in fulfilled:
                rep.unfulfilled.append(f"{judging.statement_text(c, key)} ({c.why or 'intended change ' + str(i + 1)}):"
                                       " declared, but no difference shows it")
    return rep
