"""Every name an intent file uses, resolved against the plan before any lab is touched.

A typo (``f4``, ``r1-bag9``, plane 3) becomes one located error -- file:line: YAML path -- naming
what exists, instead of a check that silently covers nothing."""
from __future__ import annotations

import difflib
import re
from fnmatch import fnmatchcase

from lab.design.plan import Plan
from lab.observe.routes import WELL_KNOWN
from lab.verdict.checks import route_match
from lab.verdict.checks.schema import LoadedIntents


def fabrics(plan: Plan) -> dict[str, list[str]]:
    """Region-qualified fabric name (``r1-f1``) -> its originating routers (STSW, edge pod, emulator)."""
    out: dict[str, list[str]] = {}
    for n in plan.nodes:
        if n.fabric and n.originates:
            out.setdefault(f"{n.region}-{n.fabric}", []).append(n.name)
    return out


def fabric(plan: Plan, name: str) -> str | None:
    """``f1`` (unique across regions) or ``r1-f1`` -> ``r1-f1``; None when unknown or ambiguous."""
    known = fabrics(plan)
    if name in known:
        return name
    hits = [q for q in known if q.split("-", 1)[1] == name]
    return hits[0] if len(hits) == 1 else None


def _hint(name: str, known) -> str:
    known = sorted(set(known))
    near = difflib.get_close_matches(name, known, n=3)
    shown = ", ".join(known[:16]) + (f", ... ({len(known) - 16} more)" if len(known) > 16 else "")
    return f"did you mean {', '.join(near)}? " * bool(near) + f"known: {shown}"


def _check(loaded: LoadedIntents, parts, name: str, ok: bool, what: str, known) -> None:
    if not ok:
        raise loaded.error(parts, f"unknown {what} {name!r}; {_hint(name, known)}")


def _fabric(plan: Plan, loaded: LoadedIntents, parts, name: str, known) -> None:
    hits = [q for q in fabrics(plan) if q.split("-", 1)[1] == name]
    if fabric(plan, name) is None and len(hits) > 1:
        raise loaded.error(parts, f"fabric {name!r} is in several regions ({', '.join(sorted(hits))}): "
                           "name it with its region")
    _check(loaded, parts, name, fabric(plan, name) is not None, "fabric", known)


def resolve(plan: Plan, loaded: LoadedIntents) -> None:
    """Raise the first unknown name, located in the intent file."""
    it = loaded.model
    fab = sorted(fabrics(plan)) + sorted({q.split("-", 1)[1] for q in fabrics(plan)})
    routers = [n.name for n in plan.nodes]
    regions = sorted({n.region for n in plan.nodes})
    planes = sorted({n.bag_plane for n in plan.nodes if n.role == "bag" and n.bag_plane})
    links = [f"{l.bundle}#{l.member}" for l in plan.links]
    bundles = sorted({l.bundle for l in plan.links})
    if it.reachability:
        for i, p in enumerate(it.reachability.except_pairs):
            _fabric(plan, loaded, ["reachability", "except", i, "from"], p.src, fab)
            _fabric(plan, loaded, ["reachability", "except", i, "to"], p.dst, fab)
    for i, s in enumerate(it.shares):
        at = [s.at] if isinstance(s.at, str) else s.at
        for j, r in enumerate(at):
            where = ["shares", i, "at"] + ([j] if isinstance(s.at, list) else [])
            _check(loaded, where, r, r in routers, "router", routers)
        _fabric(plan, loaded, ["shares", i, "fabric"], s.fabric, fab)
        for j, f in enumerate(s.failures):
            _check(loaded, ["shares", i, "failures", j], f, f in links or f in bundles or f in routers,
                   "link, bundle or router", links + bundles + routers)
        if isinstance(s.expect, dict) and s.by != "neighbour":
            known = regions if s.by == "region" else [str(p) for p in planes]
            for g in s.expect:
                _check(loaded, ["shares", i, "expect", g], g, str(g) in known, s.by, known)
        elif isinstance(s.expect, dict):
            for g in s.expect:
                _check(loaded, ["shares", i, "expect", g], g, g in routers, "neighbour", routers)
    for i, d in enumerate(it.drains):
        given = [k for k in ("plane", "router", "link") if getattr(d, k) is not None]
        if len(given) != 1:
            raise loaded.error(["drains", i], "a drain names exactly one of plane, router or link")
        if d.plane is not None:
            _check(loaded, ["drains", i, "plane"], str(d.plane), d.plane in planes, "plane", map(str, planes))
        if d.region is not None:
            _check(loaded, ["drains", i, "region"], d.region, d.region in regions, "region", regions)
        if d.router is not None:
            _check(loaded, ["drains", i, "router"], d.router, d.router in routers, "router", routers)
        if d.link is not None:
            _check(loaded, ["drains", i, "link"], d.link, d.link in links or d.link in bundles,
                   "link (bundle#member) or bundle", links + bundles)
    for i, a in enumerate(it.attributes):
        _check(loaded, ["attributes", i, "leaving"], a.leaving, a.leaving in regions, "region", regions)
    resolve_routes(plan, loaded)
    resolve_intended(plan, loaded)


#: an intent file is untrusted and must not hang a check: Python's re backtracks, so the pattern is
#: held to a subset that stays near-linear on any AS path (a candidate policy may prepend 200 times):
#: no quantified group and no backreference (exponential: '(a+)+$'), at most one unbounded
#: repetition ('.*', '+', '{n,}': with re.search's start positions each one multiplies the work by the
#: path's length), and {n,m} counts of at most 16
QUANTIFIED_GROUP = re.compile(r"\)\s*[*+?{]|\\[1-9]|\(\?P=")
UNBOUNDED = re.compile(r"(?<!\\)[*+]|\{\d*,\}")
COUNTED = re.compile(r"\{(\d+)(?:,(\d+))?\}")


def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` could take super-linear time, or None."""
    if QUANTIFIED_GROUP.search(pattern):
        return "a quantified group or a backreference can take exponential time ('(4200000000 )+')"
    if len(UNBOUNDED.findall(pattern)) > 1:
        return "more than one unbounded repetition ('*', '+', '{n,}') multiplies the time by the path's length"
    if any(int(hi or lo) > 16 for lo, hi in COUNTED.findall(pattern)):
        return "a repetition count above 16"
    return None


def _routers(plan: Plan, loaded: LoadedIntents, parts, where, what: str = "router") -> list[str]:
    """A route intent's router choice: each name, region and fabric exists, and the whole chooses
    at least one router (an intent that covers nothing is an error, never a silent PASS)."""
    routers = [n.name for n in plan.nodes]
    if isinstance(where, (str, list)):
        pats = [where] if isinstance(where, str) else where
        for j, p in enumerate(pats):
            if not any(fnmatchcase(r, p) for r in routers):
                _check(loaded, parts + ([j] if isinstance(where, list) else []), p, False, what, routers)
    else:
        regions = sorted({n.region for n in plan.nodes})
        for j, p in enumerate(where.routers):
            if not any(fnmatchcase(r, p) for r in routers):
                _check(loaded, parts + ["routers", j], p, False, what, routers)
        for j, g in enumerate(where.regions):
            _check(loaded, parts + ["regions", j], g, g in regions, "region", regions)
        fab = sorted(fabrics(plan)) + sorted({q.split("-", 1)[1] for q in fabrics(plan)})
        for j, f in enumerate(where.fabrics):
            _fabric(plan, loaded, parts + ["fabrics", j], f, fab)
        planes = sorted({n.bag_plane for n in plan.nodes if n.bag_plane})
        for j, pl in enumerate(where.planes):
            _check(loaded, parts + ["planes", j], str(pl), pl in planes, "plane", [str(x) for x in planes])
    chosen = route_match.select(plan, where)
    if not chosen:
        raise loaded.error(parts, f"chooses no {what} ({route_match.describe(where)}); "
                           f"roles here: {', '.join(sorted({n.role for n in plan.nodes}))}")
    return chosen


def _family(spec: route_match.PrefixSpec) -> set[str]:
    """The families an entry can match ('any' both)."""
    if spec.network is not None:
        return {f"ipv{spec.network.version}"}
    if spec.fabric_prefixes:
        return {"ipv6" if ":" in p else "ipv4" for p in spec.fabric_prefixes}
    return {"ipv4", "ipv6"}


def _prefixes(plan: Plan, loaded: LoadedIntents, parts, spec) -> None:
    fab = route_match.fabric_prefixes(plan)
    for key, texts in (("prefixes", spec.prefixes), ("except", spec.except_)):
        for j, t in enumerate(texts):
            try:
                parsed = route_match.parse_spec(t, fab)
            except route_match.SpecError as e:
                raise loaded.error(parts + [key, j], str(e)) from None
            if key == "prefixes" and not _family(parsed) & set(spec.families):
                raise loaded.error(parts + [key, j], f"{t!r} is {'/'.join(sorted(_family(parsed)))} but families is "
                                   f"[{', '.join(spec.families)}]: it would cover nothing")


def _communities(loaded: LoadedIntents, parts, rule, large: bool, keys=("has", "lacks", "exactly")) -> None:
    for key in keys:
        for j, c in enumerate(getattr(rule, key) or []):
            ok = re.fullmatch(r"[0-9*?]+(:[0-9*?]+){2}" if large else r"[0-9*?]+:[0-9*?]+", c) \
                or (not large and c in WELL_KNOWN)
            if not ok:
                form = "ASN:DATA1:DATA2" if large else f"ASN:VALUE or a well-known name ({', '.join(WELL_KNOWN)})"
                raise loaded.error(parts + [key, j], f"{c!r} is not a {'large ' * large}community ({form}; "
                                   "'*' and '?' as wildcards)")


def _order(loaded: LoadedIntents, parts, lo, hi, what: str) -> None:
    """A minimum above its maximum: nothing could ever satisfy it."""
    if lo is not None and hi is not None and lo > hi:
        raise loaded.error(parts, f"{what}: {lo} is above {hi}, so nothing can match")


def _sessions(plan: Plan) -> set[tuple[str, str]]:
    return {(a.node, b.node) for l in plan.links for a, b in ((l.a, l.b), (l.b, l.a))}


def resolve_routes(plan: Plan, loaded: LoadedIntents) -> None:
    """The route-level kinds: routers, prefix sets, patterns and tables that can be judged."""
    it = loaded.model
    for i, r in enumerate(it.routes):
        chosen = _routers(plan, loaded, ["routes", i, "at"], r.at)
        _prefixes(plan, loaded, ["routes", i], r)
        if r.table != "bgp" and any(plan.node(n).role == "collector" for n in chosen):
            raise loaded.error(["routes", i, "table"], f"a collector has no {r.table}: it only hears BGP "
                               "(table: bgp)")
        if r.count is not None:
            _order(loaded, ["routes", i, "count"], r.count.min, r.count.max, "count min above max")
    sessions = _sessions(plan)
    for i, a in enumerate(it.advertised):
        senders = _routers(plan, loaded, ["advertised", i, "from"], a.src)
        if all(plan.node(n).role == "collector" for n in senders):
            raise loaded.error(["advertised", i, "from"], "a collector sends nothing: name the routers "
                               "that send (the collector is a 'to')")
        to = _routers(plan, loaded, ["advertised", i, "to"], a.to, "neighbour")
        if not any((s, t) in sessions for s in senders for t in to):
            near = sorted({t for s in senders for (x, t) in sessions if x == s})
            raise loaded.error(["advertised", i, "to"], f"no router of 'from' ({route_match.describe(a.src)}) has a "
                               f"session to one of 'to' ({route_match.describe(a.to)}); their neighbours: "
                               f"{', '.join(near[:16])}")
        _prefixes(plan, loaded, ["advertised", i], a)
        if a.count is not None:
            _order(loaded, ["advertised", i, "count"], a.count.min, a.count.max, "count min above max")
    for i, p in enumerate(it.paths):
        chosen = _routers(plan, loaded, ["paths", i, "at"], p.at)
        for key in ("learnt_from", "next_hop", "best_via"):
            if getattr(p, key) is not None:
                _routers(plan, loaded, ["paths", i, key], getattr(p, key), "neighbour")
        colls = [n for n in chosen if plan.node(n).role == "collector"]
        if colls and (p.which != "all" or p.best_via is not None):
            raise loaded.error(["paths", i, "which" if p.which != "all" else "best_via"],
                               f"{colls[0]} is a collector: it keeps every path it heard and selects none "
                               "(which: all, and no best_via, where 'at' chooses a collector)")
        _prefixes(plan, loaded, ["paths", i], p)
        for key in ("communities", "large_communities"):
            if getattr(p, key) is not None:
                _communities(loaded, ["paths", i, key], getattr(p, key), key == "large_communities")
        if p.as_path is not None:
            a = p.as_path
            if a.matches is not None:
                try:
                    re.compile(a.matches)
                except re.error as e:
                    raise loaded.error(["paths", i, "as_path", "matches"], f"not a regular expression: {e}") from None
                why = regex_problem(a.matches)
                if why:
                    raise loaded.error(["paths", i, "as_path", "matches"], f"{why}; write it out, or use "
                                       "as_path's has / lacks / min_length / max_length")
            _order(loaded, ["paths", i, "as_path"], a.min_length, a.max_length, "min_length above max_length")
            for key in ("has", "lacks"):
                for j, r in enumerate(getattr(a, key)):
                    if isinstance(r, str) and "-" in r:
                        lo, hi = map(int, r.split("-"))
                        _order(loaded, ["paths", i, "as_path", key, j], lo, hi, f"ASN range {r}")
        for key in ("local_pref", "med"):
            v = getattr(p, key)
            if v is not None and not isinstance(v, int):
                _order(loaded, ["paths", i, key], v.min, v.max, "min above max")
        if not any(getattr(p, k) is not None for k in ("communities", "large_communities", "as_path", "local_pref",
                                                        "med", "origin", "link_bandwidth", "next_hop", "best_via")):
            raise loaded.error(["paths", i], "says nothing about the paths: give communities, large_communities, "
                               "as_path, local_pref, med, origin, link_bandwidth, next_hop or best_via")


def resolve_intended(plan: Plan, loaded: LoadedIntents) -> None:
    """``intended_changes``: each says what changes (aspects or a value), a value is stated in one
    form, communities are communities, and prefix entries parse (fabrics known)."""
    fab = route_match.fabric_prefixes(plan)
    for i, c in enumerate(loaded.model.intended_changes):
        parts = ["intended_changes", i]
        if not c.aspects and not c.statements():
            raise loaded.error(parts, "says nothing about what changes: give aspects, or a value (communities, "
                               "large_communities, link_bandwidth, as_path, prefixes)")
        for key in ("communities", "large_communities"):
            if getattr(c, key) is not None:
                _communities(loaded, parts + [key], getattr(c, key), key == "large_communities", ("added", "removed"))
        lb = c.link_bandwidth
        if lb is not None and ((lb.from_ is None) != (lb.to is None)
                               or (lb.from_ is None) == (lb.bytes_per_second is None)):
            raise loaded.error(parts + ["link_bandwidth"], "state 'from' and 'to' (one value replaced), or "
                               "'bytes_per_second' (the values afterwards), not both")
        if c.prefixes is not None:
            if not c.prefixes.appearing and not c.prefixes.going:
                raise loaded.error(parts + ["prefixes"], "names no prefix: give appearing, going or both")
            for key in ("appearing", "going"):
                for j, t in enumerate(getattr(c.prefixes, key)):
                    try:
                        route_match.parse_spec(t, fab)
                    except route_match.SpecError as e:
                        raise loaded.error(parts + ["prefixes", key, j], str(e)) from None
