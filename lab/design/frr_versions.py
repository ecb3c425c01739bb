"""What baglab knows of each FRR version it runs, as data: the plan, the config, the oracle and the
runtimes read it here (lab.frr.roots builds roots from it; nothing here builds or runs anything).

Every value was measured on that version's daemons (docs/explanation/emulation-boundary.md):

- ``suite``: the Debian suite that ships it (its root is that suite's debootstrap);
- ``kernel_nexthop_groups``: zebra's default chosen per version.  FRR 8.4.4 loses a group member
  after a ~10 ms link flap and never heals, so 8.4 routers install inline multipath routes; 10.3
  and 10.7 healed after every flap of the same reproduction (``bench/nhg_flap.py``);
- ``weight_scale``: how zebra turns link-bandwidth into kernel weights: None for 8.4's share of
  100 of the sum, N for floor(bw * N / max) (tests/unit/test_ucmp_versions.py);
- ``bandwidth_missing``: the ``policy.bandwidth_missing`` options its bgpd accepts (lab.design.bandwidth_missing).

A version missing here must be measured before baglab may run it.
"""
from __future__ import annotations

from dataclasses import dataclass

#: the policy.bandwidth_missing options (lab.design.bandwidth_missing renders them)
BANDWIDTH_MISSING = ("ecmp", "skip-missing", "default-weight")


@dataclass(frozen=True)
class FrrVersion:
    version: str
    suite: str
    kernel_nexthop_groups: bool
    weight_scale: int | None
    bandwidth_missing: frozenset[str]


CATALOGUE: dict[str, FrrVersion] = {v.version: v for v in (
    FrrVersion("8.4", "bookworm", False, None, frozenset(BANDWIDTH_MISSING)),
    FrrVersion("10.3", "trixie", True, 254, frozenset(BANDWIDTH_MISSING)),
    FrrVersion("10.7", "sid", True, 255, frozenset(BANDWIDTH_MISSING)),
)}

#: FRR version (major.minor) -> the Debian suite that ships it
SUITES = {v: c.suite for v, c in CATALOGUE.items()}

#: what a router without a version is rendered and judged as (the template, the weight rule, the
#: defaults above): bookworm's FRR.  Runtimes whose own FRR differs pin such routers to theirs
#: (lab.design.plan.steps.versions.with_native).  A choice about the template.
ASSUMED_VERSION = "8.4"

#: the FRR the default docker image carries (lab.frr.image installs bookworm's): a fact about the
#: image, kept apart from the choice above (a test holds them equal)
IMAGE_FRR = "8.4"


def kernel_nexthop_groups(version: str | None, asked: bool | None = None) -> bool:
    """Whether a router on ``version`` uses kernel nexthop groups; ``asked`` is the topology's
    ``policy.kernel_nexthop_groups`` (None: the version's default; a version not known here, the
    runtime's own FRR with ``frr`` unset, keeps the safe choice, off)."""
    if asked is not None:
        return asked
    known = CATALOGUE.get(version or "")
    return known.kernel_nexthop_groups if known else False


def weight_scale(version: str | None) -> int | None:
    """N where zebra installs floor(bw * N / max); None for 8.4's rule (and the host's FRR)."""
    known = CATALOGUE.get(version or "")
    return known.weight_scale if known else None
