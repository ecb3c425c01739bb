"""Route-level intents judged from the daemons' own tables: which routes a router holds (``routes``),
what it sends a neighbour (``advertised``) and the attributes of the paths it holds (``paths``).

One verdict per intent; a FAIL names router, prefix and path (the peer it came from, its AS path)
and the attribute found, the first few in the summary and up to 200 in the evidence."""
from __future__ import annotations

from fnmatch import fnmatchcase

from lab.design.plan import Plan
from lab.observe.routes import SELF, RouteTables
from lab.verdict.checks import route_match as rm
from lab.verdict.checks.verdict import CheckKind, Status, Verdict

SHOWN = 6          # findings in a summary line
KEPT = 200         # findings in the evidence


def collapse(findings: list[str]) -> list[str]:
    """The same finding over a bundle's parallel sessions once, with how many times."""
    counts: dict[str, int] = {}
    for f in findings:
        counts[f] = counts.get(f, 0) + 1
    return [f + (f" (x{n})" if n > 1 else "") for f, n in counts.items()]


def _verdict(cid: str, kind: CheckKind, spec, findings: list[str], ok_text: str, ev: dict) -> Verdict:
    findings = collapse(findings)
    why = f" ({spec.why})" if getattr(spec, "why", "") else ""
    ev = {**ev, "findings": findings[:KEPT], "findings_total": len(findings)}
    if findings:
        more = f"; ... {len(findings) - SHOWN} more" if len(findings) > SHOWN else ""
        return Verdict(cid, kind, Status.FAIL, "; ".join(findings[:SHOWN]) + more + why, ev)
    return Verdict(cid, kind, Status.PASS, ok_text + why, ev)


def _scope(plan: Plan, spec) -> rm.PrefixSet:
    return rm.prefix_set(plan, spec.prefixes, spec.except_, spec.families)


def _spec_id(spec) -> str:
    out = ",".join(spec.prefixes)
    return out + (f" except {','.join(spec.except_)}" if spec.except_ else "")


HOLD = {"has": "holds", "lacks": "lacks", "none": "holds nothing of", "also": "also holds"}
SEND = {"has": "sends", "lacks": "does not send", "none": "sends nothing of", "also": "also sends"}


def held_faults(router: str, held: dict[str, object], scope: rm.PrefixSet, expect: str, count, explain,
                words: dict = HOLD, subject: str = "") -> list[str]:
    """What is wrong with the prefixes ``held`` at ``router`` for a present/absent/exactly intent
    (``subject``, ``words``: how a finding reads, 'r2-bag1 sends r1-bag1 ...' for Adj-RIB-Out)."""
    who = subject or router
    matching = sorted(p for p in held if scope.matches(p))
    out: list[str] = []
    if expect in ("present", "exactly"):
        out += [f"{who} {words['lacks']} {p}" for p in scope.required() if p not in held]
        for s in scope.include:
            if not s.exact and not any(s.matches(p) and scope.matches(p) for p in held):
                out.append(f"{who} {words['none']} {s.text}")
    if expect == "absent":
        out += [f"{who} {words['has']} {p} ({explain(router, p)})" for p in matching]
    if expect == "exactly":
        extra = [p for p in held if scope.in_family(p) and not scope.matches(p)]
        out += [f"{who} {words['also']} {p} ({explain(router, p)})" for p in sorted(extra)]
    if count is not None:
        if count.max is not None and len(matching) > count.max:
            out.append(f"{who} {words['has']} {len(matching)} matching prefixes, more than {count.max}: "
                       f"{', '.join(matching[:8])}" + (" ..." if len(matching) > 8 else ""))
        if count.min is not None and len(matching) < count.min:
            out.append(f"{who} {words['has']} {len(matching)} matching prefixes, fewer than {count.min}")
    return out


def originators(plan: Plan, tables: RouteTables, prefix: str, path) -> list[str]:
    """The routers that put ``prefix`` into BGP themselves, among those of the AS that ends its AS path:
    read from their own tables, so a leak names the router it started at, not only the last hop."""
    if not path.as_path:
        return []
    asn = path.as_path[-1]
    nodes = [n.name for n in plan.nodes if n.asn == asn and n.role != "collector"]
    tables.prefetch(nodes, ["bgp"])
    return [n for n in nodes if any(p.peer == SELF for p in tables.bgp(n).get(prefix, []))]


def _explainer(plan: Plan, tables: RouteTables):
    def explain(router: str, prefix: str) -> str:
        paths = tables.bgp(router).get(prefix, [])
        if not paths:
            return "not in BGP"
        seen = collapse([p.describe() for p in paths])
        shown = "; ".join(seen[:2]) + (f"; +{len(seen) - 2} more" if len(seen) > 2 else "")
        origin = originators(plan, tables, prefix, paths[0])
        if origin:
            shown += f"; originated by {', '.join(origin)} (origin {paths[0].origin})"
        return shown
    return explain


def check_routes(plan: Plan, tables: RouteTables, spec) -> Verdict:
    routers = rm.select(plan, spec.at, tables=True)
    scope = _scope(plan, spec)
    table = "bgp" if any(plan.node(r).role == "collector" for r in routers) else spec.table
    tables.prefetch(routers, [table] + (["bgp"] if table != "bgp" and spec.expect != "present" else []))
    findings: list[str] = []
    held_n = 0
    for r in routers:
        held = tables.bgp(r) if plan.node(r).role == "collector" else tables.table(r, spec.table)
        held_n += sum(scope.matches(p) for p in held)
        findings += held_faults(r, held, scope, spec.expect, spec.count, _explainer(plan, tables))
    cid = f"routes:{rm.describe(spec.at)}:{spec.expect}:{_spec_id(spec)}:{spec.table}"
    ok = f"{len(routers)} router(s), {spec.table} table: {spec.expect} holds ({held_n} matching prefix entries)"
    return _verdict(cid, CheckKind.ROUTES, spec, findings, ok,
                    {"routers": routers, "table": spec.table, "matching": held_n})


def check_advertised(plan: Plan, tables: RouteTables, spec) -> Verdict:
    senders = [r for r in rm.select(plan, spec.src, tables=True) if plan.node(r).role != "collector"]
    wanted = set(rm.select(plan, spec.to))
    scope = _scope(plan, spec)
    tables.prefetch(senders, ["out"])
    findings: list[str] = []
    sessions = 0
    for r in senders:
        for peer, sent in sorted(tables.adj_out(r).items()):
            if peer not in wanted:
                continue
            sessions += 1
            findings += held_faults(r, dict.fromkeys(sent), scope, spec.expect, spec.count, _explainer(plan, tables),
                                    SEND, f"{r} -> {peer}:")
    cid = f"advertised:{rm.describe(spec.src)}->{rm.describe(spec.to)}:{spec.expect}:{_spec_id(spec)}"
    if not sessions:
        findings = [f"no session from {rm.describe(spec.src)} to {rm.describe(spec.to)}"]
    return _verdict(cid, CheckKind.ADVERTISED, spec, findings,
                    f"{sessions} sender/neighbour pair(s): {spec.expect} holds", {"pairs": sessions})


def _chosen(paths, which: str):
    if which == "best":
        return [p for p in paths if p.best]
    if which == "multipath":
        return [p for p in paths if p.best or p.multipath]
    return paths


def check_paths(plan: Plan, tables: RouteTables, spec) -> Verdict:
    routers = rm.select(plan, spec.at, tables=True)
    scope = _scope(plan, spec)
    from_ = set(rm.select(plan, spec.learnt_from)) if spec.learnt_from is not None else None
    hops = set(rm.select(plan, spec.next_hop)) if spec.next_hop is not None else None
    hop_ok = hops.__contains__ if hops is not None else None
    via = set(rm.select(plan, spec.best_via)) if spec.best_via is not None else None
    tables.prefetch(routers, ["bgp"])
    findings: list[str] = []
    judged = 0
    for r in routers:
        for prefix, paths in sorted(tables.bgp(r).items()):
            if not scope.matches(prefix):
                continue
            chosen = [p for p in _chosen(paths, spec.which) if from_ is None or p.peer in from_]
            for p in chosen:
                judged += 1
                for fault in rm.path_faults(p, spec, hop_ok):
                    findings.append(f"{r} {prefix} {p.describe()}: {fault}")
            if via is not None and (from_ is None or chosen):
                best = next((p for p in paths if p.best), None)
                if best is None:
                    findings.append(f"{r} {prefix}: no best path")
                elif best.peer not in via and best.peer != SELF:
                    findings.append(f"{r} {prefix}: best path {best.describe()}, not via {rm.describe(spec.best_via)}")
                elif best.peer == SELF and not any(fnmatchcase(SELF, v) for v in via):
                    findings.append(f"{r} {prefix}: best path originated here, not via {rm.describe(spec.best_via)}")
                judged += best is not None and not chosen
    cid = f"paths:{rm.describe(spec.at)}:{_spec_id(spec)}" + \
        (f":from {rm.describe(spec.learnt_from)}" if spec.learnt_from is not None else "")
    if not judged:
        findings = findings or [f"no {spec.which} path of {_spec_id(spec)} at {rm.describe(spec.at)}"
                                + (f" learnt from {rm.describe(spec.learnt_from)}" if spec.learnt_from is not None else "")]
    return _verdict(cid, CheckKind.PATHS, spec, findings, f"{judged} path(s) at {len(routers)} router(s) as intended",
                    {"routers": routers, "paths": judged})
