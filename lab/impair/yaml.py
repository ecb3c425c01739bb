"""``impairments:`` in a topology: the schema, so a bad figure is refused with the file, line and
YAML path (``impairments[0].loss``) like every other key, before anything is built.  Whether the
named bundle and members exist is the plan's question (lab/faults/impairment.py)."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from lab.impair.spec import MAX_DELAY_MS, Impairment, fibre_delay_ms

Percent = Annotated[float, Field(ge=0, le=100, strict=True)]
Millis = Annotated[float, Field(ge=0, le=MAX_DELAY_MS, strict=True)]


class ImpairmentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    #: a bundle as 'baglab plan' names it (either end first)
    link: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*~[a-z0-9][a-z0-9-]*$", max_length=64)]
    #: member links (default: every member of the bundle)
    members: list[Annotated[int, Field(ge=1, le=32, strict=True)]] | None = Field(default=None, max_length=32)
    loss: Percent = 0.0
    delay_ms: Millis = 0.0
    #: adds the propagation delay of this much fibre (5 us per km) to delay_ms
    fibre_km: Annotated[float, Field(ge=0, le=100_000, strict=True)] = 0.0
    jitter_ms: Millis = 0.0
    duplicate: Percent = 0.0

    @field_validator("jitter_ms")
    @classmethod
    def _within_delay(cls, v: float, info: ValidationInfo) -> float:
        delay = info.data.get("delay_ms", 0.0) + fibre_delay_ms(info.data.get("fibre_km", 0.0))
        if v > delay:
            raise ValueError(f"jitter_ms ({v:g}) must not exceed the delay ({delay:g} ms): "
                             "a frame cannot arrive before it was sent")
        return v

    @model_validator(mode="after")
    def _something(self) -> "ImpairmentSpec":
        if not (self.loss or self.delay_ms or self.fibre_km or self.duplicate):
            raise ValueError("an impairment needs at least one of loss, delay_ms, fibre_km, duplicate above 0")
        total = self.delay_ms + fibre_delay_ms(self.fibre_km)
        if total > MAX_DELAY_MS:
            raise ValueError(f"delay_ms plus the fibre's delay is {total:g} ms, more than {MAX_DELAY_MS:g} ms")
        return self

    def impairment(self) -> Impairment:
        return Impairment(self.loss, self.delay_ms + fibre_delay_ms(self.fibre_km), self.jitter_ms, self.duplicate)
