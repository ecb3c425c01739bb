"""An impairment as numbers a person types, checked once so every path (CLI, topology YAML,
journal) refuses the same nonsense with the same words.

Loss at or above :data:`DOWN_LOSS` is *beyond recovery*: BGP's keepalives cannot cross it
reliably, the sessions fall at the hold timer and may come back only by luck, so the oracle
treats such a link as down (anything less, it treats as up: TCP retransmits through it).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

DOWN_LOSS = 90.0
#: delays beyond a second are not a fibre (a second is ~200,000 km); they would only fill queues
MAX_DELAY_MS = 1000.0
FIBRE_US_PER_KM = 5.0


@dataclass(frozen=True)
class Impairment:
    loss: float = 0.0          # percent of frames dropped, each direction
    delay_ms: float = 0.0      # added one-way delay
    jitter_ms: float = 0.0     # uniform spread around the delay (frames keep their order)
    duplicate: float = 0.0     # percent of frames sent twice

    def __post_init__(self) -> None:
        for name in ("loss", "duplicate"):
            _check_range(name, getattr(self, name), 0.0, 100.0, "%")
        _check_range("delay_ms", self.delay_ms, 0.0, MAX_DELAY_MS, " ms")
        _check_range("jitter_ms", self.jitter_ms, 0.0, MAX_DELAY_MS, " ms")
        if self.jitter_ms > self.delay_ms:
            raise ValueError(f"jitter_ms ({self.jitter_ms:g}) must not exceed delay_ms ({self.delay_ms:g}): "
                             "a frame cannot arrive before it was sent")
        if self.is_none:
            raise ValueError("an impairment needs at least one of loss, delay_ms, duplicate above 0")

    @property
    def is_none(self) -> bool:
        return not (self.loss or self.delay_ms or self.duplicate)

    @property
    def beyond_recovery(self) -> bool:
        """The oracle's reading: the link carries no BGP session (see the module docstring)."""
        return self.loss >= DOWN_LOSS

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: dict) -> "Impairment":
        return cls(**{k: float(doc.get(k, 0.0)) for k in ("loss", "delay_ms", "jitter_ms", "duplicate")})

    def describe(self) -> str:
        parts = [f"loss {self.loss:g}%" if self.loss else "",
                 f"delay {self.delay_ms:g} ms" + (f" ±{self.jitter_ms:g}" if self.jitter_ms else "") if self.delay_ms else "",
                 f"duplicate {self.duplicate:g}%" if self.duplicate else ""]
        return ", ".join(p for p in parts if p)


def _check_range(name: str, value, low: float, high: float, unit: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, not {value!r}")
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name} must lie in {low:g}-{high:g}{unit}, not {value!r}")


def fibre_delay_ms(length_km: float) -> float:
    """One-way propagation in fibre (~5 us per km): what 'baglab impair --fibre-km' adds."""
    return length_km * FIBRE_US_PER_KM / 1000.0
