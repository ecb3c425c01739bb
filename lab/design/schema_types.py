"""The topology schema's building blocks: speeds, names, labels and counts, each validated with a
message that says what is allowed."""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

NAME_RE = r"^[a-z][a-z0-9]{0,7}$"
_SPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([GT])(?:bps|b)?\s*$", re.I)


#: 100 Pbit/s: far above any fabric's GPU-facing capacity, low enough that every ratio and sum of
#: speeds stays an ordinary float (a number like 1e400 would overflow the oversubscription figures)
SPEED_MAX_GBPS = 100_000_000


def parse_speed(value: object) -> int:
    """Speeds in Gbit/s.  '800G', '1.6T' and plain integers (Gbit/s) are accepted."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("a speed is like '800G' or '1.6T'")
    if isinstance(value, str):
        m = _SPEED_RE.match(value)
        if not m or len(m.group(1)) > 12:
            raise ValueError(f"{value[:40]!r} is not a speed; write it like '800G' or '1.6T'")
        value = float(m.group(1)) * (1000 if m.group(2).upper() == "T" else 1)
    if not 0 < value <= SPEED_MAX_GBPS:   # also false for NaN; inf is above the maximum
        raise ValueError(f"a speed is between 1G and {SPEED_MAX_GBPS // 1_000_000}P (Gbit/s)")
    if value != int(value):
        raise ValueError(f"{value} must be a whole number of Gbit/s")
    return int(value)


Speed = Annotated[int, BeforeValidator(parse_speed)]
Name = Annotated[str, Field(pattern=NAME_RE, description="lower-case letters and digits, at most 8")]
# YAML 1.1 reads a bare 'off' as false (and 'on' as true): take those as the policy words
MacsecMode = Annotated[Literal["required", "optional", "off"],
                       BeforeValidator(lambda v: {False: "off", True: "required"}.get(v, v) if isinstance(v, bool) else v)]
Password = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[!-~]+$")]
#: failure-domain labels are free text printed in tables and error messages: a safe character set
#: keeps them from being read as terminal markup ('[/bold]', '[red]x') or breaking a line
_LABEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.:/+-]{0,31}")
_NODE_REF_RE = re.compile(r"[a-z][a-z0-9-]{0,31}")


def matching(regex: re.Pattern, what: str):
    """A validator with a message that says what is allowed and what was found, the latter as an
    escaped, shortened literal (it may itself be markup or control characters; the CLI prints
    errors without interpreting markup)."""
    def check(v: str) -> str:
        if not regex.fullmatch(v):
            raise ValueError(f"{what}, not {ascii(v[:40])}")
        return v
    return AfterValidator(check)


Label = Annotated[str, matching(_LABEL_RE, "a label is 1-32 letters, digits and ' _.:/+-', starting with a letter or digit")]
#: names of planned nodes in links/collectors (the plan checks they exist); same reason as Label
NodeRef = Annotated[str, matching(_NODE_REF_RE, "a node name is lower-case letters, digits and '-' (like r1-bag1)")]
#: counts are integers; YAML's true/false are not 1/0 (pydantic would take them so)
Count = StrictInt
#: one label per plane (at most 16 BAG or spine planes)
PerPlane = Annotated[list[Label], Field(max_length=16)]
#: a cap on every list of the schema (regions, fabrics, links...): far above a thousand routers' worth,
#: and validation stops at the first item too many instead of reporting 100,000 bad ones (seconds)
MAX_ITEMS = 256


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
