"""Weighted ECMP as a switch ASIC installs it: a route's next-hop weights quantised into a group of a
fixed number of member entries, each member one next hop, each flow hashed to one member.

The kernel keeps 8-bit weights per next hop; a Jericho-class ASIC keeps a table of N members (128,
512, 4,096 ...), so a share is (members of the next hop) / (members used).  Two reduction rules:

- ``proportional``: every member of the table used; each next hop gets floor(N * w / W) members and
  the members left over go to the largest remainders (Hamilton's method).  Every next hop with a
  weight keeps at least one member, so N must be at least the number of next hops.
- ``wcmp``: the table-size reduction of Zhou et al., "WCMP: Weighted Cost Multipathing for Improving
  Fairness in Data Centers" (EuroSys 2014): the smallest number of members T <= N whose proportional
  rounding keeps every next hop's oversubscription (hardware share / ideal share) within ``bound``,
  else the T <= N with the smallest worst oversubscription.  Smaller groups leave table space for
  other routes, at a bounded cost in fairness.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Hashable, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, StrictInt

RULES = ("proportional", "wcmp")
#: the paper's default bound on oversubscription (1.05: no next hop gets more than 5 % above its share)
WCMP_BOUND = 1.05


class HardwareTable(BaseModel):
    """The topology's ``policy.hardware_table``: each route's next-hop weights quantised into a
    group of ``members`` entries by ``rule``."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    members: StrictInt = Field(default=128, ge=1, le=65536)
    rule: Literal["proportional", "wcmp"] = "proportional"


class TableTooSmall(ValueError):
    """A group of N members cannot hold every next hop once."""


@dataclass(frozen=True)
class Quantised:
    """A route's next hops as the hardware holds them."""
    members: dict                    # next hop -> member entries
    size: int                        # entries used (<= the table size)
    ideal: dict                      # next hop -> ideal share (0..1), from the weights
    hardware: dict                   # next hop -> share the hash gives (0..1)

    @property
    def max_error(self) -> float:
        """The largest |hardware - ideal| over next hops, in percentage points."""
        return max((abs(self.hardware[h] - self.ideal[h]) * 100 for h in self.ideal), default=0.0)

    @property
    def oversubscription(self) -> float:
        """The largest hardware share / ideal share over next hops (1.0: exact)."""
        return max((self.hardware[h] / self.ideal[h] for h in self.ideal if self.ideal[h] > 0), default=1.0)


def proportional(weights: Mapping[Hashable, float], size: int) -> dict:
    """Exactly ``size`` members over the next hops with a weight, by largest remainders (ties: the
    larger weight, then the next hop's order), each at least one."""
    live = {h: Fraction(w).limit_denominator(10**9) for h, w in weights.items() if w > 0}
    if not live:
        return {}
    if size < len(live):
        raise TableTooSmall(f"a group of {size} members cannot hold {len(live)} next hops once each")
    total = sum(live.values())
    # one member each first, so no next hop is rounded away; the rest in proportion
    spare = size - len(live)
    exact = {h: live[h] / total * size for h in live}
    members = {h: 1 for h in live}
    need = {h: max(Fraction(0), exact[h] - 1) for h in live}
    scale = Fraction(spare) / sum(need.values()) if sum(need.values()) else Fraction(0)
    want = {h: need[h] * scale for h in live}
    for h in live:
        members[h] += int(want[h])
    left = size - sum(members.values())
    order = sorted(live, key=lambda h: (-(want[h] - int(want[h])), -live[h], list(live).index(h)))
    for h in order[:left]:
        members[h] += 1
    return members


def quantise(weights: Mapping[Hashable, float], table: int, rule: str = "proportional",
             bound: float = WCMP_BOUND) -> Quantised:
    """``weights`` (next hop -> weight, any positive scale) as a group of at most ``table`` members."""
    if rule not in RULES:
        raise ValueError(f"unknown reduction rule {rule!r}; known: {', '.join(RULES)}")
    live = {h: w for h, w in weights.items() if w > 0}
    total = sum(live.values())
    ideal = {h: w / total for h, w in live.items()} if total else {}
    if rule == "proportional":
        return _result(proportional(live, table), ideal)
    best = None
    for size in range(len(live), table + 1):
        q = _result(proportional(live, size), ideal)
        if q.oversubscription <= bound:
            return q
        if best is None or q.oversubscription < best.oversubscription - 1e-12:
            best = q
    if best is None:
        raise TableTooSmall(f"a group of {table} members cannot hold {len(live)} next hops once each")
    return best


def _result(members: dict, ideal: dict) -> Quantised:
    used = sum(members.values())
    return Quantised(members, used, ideal, {h: m / used for h, m in members.items()} if used else {})
