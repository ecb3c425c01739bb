"""BFD timers in the topology: a policy-wide default and per-interconnect, per-fabric (its uplinks)
and per-link overrides.

Kept out of lab/design/model.py (which holds the rest of the schema) so the schema stays small; the plan
resolves each link's timers once (lab/design/plan/steps/assign.py), so renderers never walk overrides.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt


class BfdSpec(BaseModel):
    """RFC 5880 asynchronous mode: a session is down after ``multiplier`` intervals without a packet.
    FRR's bfdd takes 10..60000 ms and a multiplier of 2..255."""
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    interval_ms: StrictInt = Field(default=300, ge=10, le=60000)
    multiplier: StrictInt = Field(default=3, ge=2, le=255)


def _off_words(v: object) -> object:
    # YAML 1.1 reads a bare 'off' as false: 'bfd: off' and 'bfd: false' both mean no BFD here
    return "off" if v is False else v


#: an override: timers of its own, or 'off' (no BFD on these links even when the policy has it)
BfdOverride = Annotated[BfdSpec | Literal["off"], BeforeValidator(_off_words)]


def resolve(policy: BfdSpec | None, override: BfdSpec | str | None) -> BfdSpec | None:
    """A link's timers: its own override, else the policy's; None: no BFD."""
    if override == "off":
        return None
    return override if isinstance(override, BfdSpec) else policy
