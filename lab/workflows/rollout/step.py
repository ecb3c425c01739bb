"""``baglab upgrade plane P | region R | NODE --frr V``: one phase of an upgrade, run on its own.

It is a rollout of one phase whose change is the FRR version: the same drain, probe stream,
waiting, oracle comparison and checks (lab.workflows.rollout.phase), and the same report.  Its routers keep
their policy (a router a rollout moved keeps the rollout's); the way back is the same command with
the old version (``--frr 8.4``), or ``baglab rollback`` after a ``baglab rollout --frr``.
"""
from __future__ import annotations

import time

from lab.errors import LabError
from lab.session import Lab
from lab.state import policy_dir_of
from lab.verdict.checks.verdict import ROLLOUT_KINDS
from lab.workflows.rollout.phase import Setup, run_phase
from lab.workflows.rollout.phases import select, step_spec
from lab.workflows.rollout.run import RolloutReport, _intents, preflight


def upgrade(lab: Lab, what: str, value: str | None, version: str, drain: bool = False, intents=None,
            kinds=ROLLOUT_KINDS, say=lambda _m: None) -> RolloutReport:
    t0 = time.monotonic()
    spec = step_spec(what, value)
    paths = lab.paths
    routers = select(lab.plan, spec)
    policies = {policy_dir_of(paths, r) for r in routers}
    if len(policies) > 1:
        raise LabError(f"{spec.name}: its routers run different policies ({', '.join(map(str, policies))}): "
                       "finish or roll back the rollout first")
    versions = {r: version for r in routers}
    pol = preflight(lab, policies.pop(), versions)
    src, loaded = _intents(lab.plan, intents, pol)
    setup = Setup(lab, loaded, tuple(kinds), say=say, versions=versions)
    res = run_phase(setup, spec.name, routers, drain, pol)
    say(f"{res.name}: {res.status}")
    rep = RolloutReport("upgrade", lab.plan.topology, paths.name, pol, pol, "-", src, frr=version, phases=[res])
    rep.seconds = round(time.monotonic() - t0, 2)
    return rep
