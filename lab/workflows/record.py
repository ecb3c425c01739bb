"""``baglab record``: an intent file drafted from what a running, known-good lab does, for a person
to review, trim and keep beside the policy (lab.verdict.checks.draft writes it)."""
from __future__ import annotations

import time

from lab.design.node_kinds import kind_of
from lab.observe.routes import RouteTables
from lab.observe.settle import Strategy, settle
from lab.session import Lab
from lab.verdict.checks import draft
from lab.verdict.checks.verdict import CheckKind


class NotQuiet(RuntimeError):
    """The lab kept changing: a draft of a moving target would encode a transient."""


def record(lab: Lab, kinds=draft.DRAFTABLE, *, settle_s: float = 2.0, deadline_s: float = 30.0,
           say=lambda _m: None) -> tuple[str, dict]:
    """(the intent file's text, figures: routers, seconds per stage, statements per kind)."""
    plan, paths = lab.plan, lab.paths
    t0 = time.time()
    say("waiting for the lab to go quiet")
    q = settle(plan, paths, Strategy.QUIET, quiet_s=settle_s, deadline_s=deadline_s)
    if not q.ok:
        raise NotQuiet(f"lab {paths.name} never went quiet within {deadline_s:g} s: {'; '.join(q.changing[:4])}")
    t1 = time.time()
    tables = RouteTables(plan, paths)
    # emulated fabric routers (bulk, ExaBGP) keep no tables: what they hear is in their BAG routers' Adj-RIB-Out
    routers = [n.name for n in plan.nodes if n.role != "collector" and not kind_of(n).emulates_fabric]
    collectors = [n.name for n in plan.nodes if n.role == "collector"]
    kinds = [CheckKind(k) for k in kinds]
    say(f"reading the tables of {len(routers)} routers")
    tables.prefetch(routers + collectors, ["bgp"] + (["out"] if CheckKind.ADVERTISED in kinds else []))
    t2 = time.time()
    bgp = {r: tables.bgp(r) for r in routers + collectors}
    sections: dict = {}
    if CheckKind.ROUTES in kinds:
        sections[CheckKind.ROUTES] = draft.draft_routes(plan, bgp)
    if CheckKind.ADVERTISED in kinds:
        sections[CheckKind.ADVERTISED] = draft.draft_advertised(plan, {r: tables.adj_out(r) for r in routers})
    if CheckKind.PATHS in kinds:
        sections[CheckKind.PATHS] = draft.draft_paths(plan, {r: bgp[r] for r in routers})
    policy = lab.state.policy or "built-in policy"
    header = [f"Drafted by 'baglab record' from lab {paths.name} ({plan.topology}, {policy}) on "
              f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}.",
              "What the lab did, not what it should do: review every statement, trim what is incidental,",
              "then check candidates with: baglab check THIS_FILE --name LAB"]
    text = draft.render(header, sections)
    figures = {"routers": len(routers), "collectors": len(collectors), "quiet_s": round(t1 - t0, 2),
               "read_s": round(t2 - t1, 2), "draft_s": round(time.time() - t2, 2),
               "statements": {k.value: len(v) for k, v in sections.items()}, "lines": text.count("\n")}
    return text, figures
