"""One error type for everything a user can get wrong, always with a location.

A network engineer fixing a YAML file needs the path (``regions[0].fabrics[1].prefixes``)
and, where known, the line; a stack trace tells them nothing.
"""
from __future__ import annotations


class LabError(Exception):
    """A failure the user can act on; the CLI prints it without a traceback."""


class HostLimit(LabError):
    """A limit of the host (not of the lab or the input) was hit: the run could not decide (exit 3)."""
    exit_code = 3


class TopologyError(LabError):
    def __init__(self, path: str, reason: str, *, source: str | None = None, line: int | None = None):
        self.path, self.reason, self.source, self.line = path, reason, source, line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source or "topology"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.path or '<top>'}: {self.reason}"


def format_path(parts) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out
