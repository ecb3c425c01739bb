"""Per-FRR-version defaults, each chosen from what this lab measured on that version's daemons
(README, "Findings per FRR version"); a topology's explicit setting always wins.

Kernel nexthop groups: FRR 8.4.4 loses a group member after a ~10 ms link flap and never heals,
so 8.4 routers install inline multipath routes.  10.3 and 10.7 healed after every flap of the
same reproduction (``bench/nhg_flap.py``), so they get zebra's own default back: groups on.
A version not in the table (the runtime's own FRR, ``frr`` unset) keeps the safe choice, off.
"""
from __future__ import annotations

#: what a router without a version is rendered and judged as (the template, the weight rule,
#: these defaults): bookworm's FRR, the default image's.  Runtimes whose own FRR differs pin
#: such routers to theirs (lab.plan.steps.versions.with_native).
ASSUMED_VERSION = "8.4"

#: version -> kernel nexthop groups on by default (evidence: bench/nhg_flap.py, README findings)
KERNEL_NEXTHOP_GROUPS: dict[str, bool] = {"8.4": False, "10.3": True, "10.7": True}


def kernel_nexthop_groups(version: str | None, asked: bool | None = None) -> bool:
    """Whether a router on ``version`` uses kernel nexthop groups; ``asked`` is the topology's
    ``policy.kernel_nexthop_groups`` (None: the version's default)."""
    if asked is not None:
        return asked
    return KERNEL_NEXTHOP_GROUPS.get(version or "", False)
