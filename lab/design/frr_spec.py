"""Which FRR version each router runs: the topology's ``frr:`` key.

A fabric in the middle of an upgrade runs several versions, so the version is chosen per router
with the most specific rule winning: node, then BAG plane, then region, then role, then the
default.  ``None`` everywhere means the host's FRR (the netns runtime) or the image's (docker).

    frr: "10.3"                         # every router
    frr: {default: "8.4", regions: {r2: "10.3"}, nodes: {r1-bag1: "10.7"}}
"""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: versions are written major.minor, as Debian's suites pin them (8.4, 10.3, 10.7)
Version = Annotated[str, Field(pattern=r"^[0-9]{1,2}\.[0-9]{1,2}$")]
_Map = Annotated[dict[str, Version], Field(max_length=256)]


class FrrSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default: Version | None = None
    roles: _Map = Field(default_factory=dict)
    regions: _Map = Field(default_factory=dict)
    #: BAG planes by number ("1", "2"): a plane of every region
    planes: _Map = Field(default_factory=dict)
    nodes: _Map = Field(default_factory=dict)

    @field_validator("planes", mode="before")
    @classmethod
    def _plane_numbers(cls, v: object) -> object:
        """planes: {1: "10.3"} as naturally written: the plane's number as its key."""
        return {str(k) if isinstance(k, int) and not isinstance(k, bool) else k: x for k, x in v.items()} \
            if isinstance(v, dict) else v

    def version_for(self, name: str, role: str, region: str, bag_plane: int | None) -> str | None:
        plane = self.planes.get(str(bag_plane)) if role == "bag" and bag_plane is not None else None
        return (self.nodes.get(name) or plane or self.regions.get(region) or self.roles.get(role)
                or self.default)


def as_spec(value: object) -> object:
    """A bare version is the default of every router (unquoted, YAML reads 10.10 as the number
    10.1: the unknown-version error says to quote it)."""
    return {"default": str(value)} if isinstance(value, (str, int, float)) and not isinstance(value, bool) else value


def overridden(spec: FrrSpec | None, version: str | None) -> FrrSpec | None:
    """``baglab up --frr V``: every router on V, whatever the topology said."""
    return FrrSpec(default=version) if version else spec
