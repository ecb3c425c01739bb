"""The convergence suite's one lab-only knob: bgpd's coalesce-time on the labs it starts.

Every restore in the suite waits for sessions to come back, and FRR holds a new session's first
update for its coalesce time (1 s + 50 ms per configured peer: ~1.6-2 s on a BAG router) before
any route returns: about half of the suite's wall time was that wait.  The suite therefore runs
the topology with ``policy.bgp_coalesce_ms`` set (``--bgp-coalesce-ms``, docs/benchmarks/suite-time.md),
a knob a user can deploy as well; a topology that sets it keeps its own value, and the hold
time, keepalives, BFD and every other timer stay as the topology says.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from lab.safe_io import write_output
from lab.design.topology import load

#: what the suite sets unless told otherwise (--bgp-coalesce-ms / BAGLAB_TEST_COALESCE_MS; 'topology': none)
SUITE_COALESCE_MS = 100


def parse_coalesce(value: str | None) -> int | None:
    """'topology' (or empty): the topology's own setting; otherwise milliseconds, 0-10000."""
    if value is None or str(value).strip() in ("", "topology"):
        return None
    text = str(value).strip()
    if not text.isdigit() or int(text) > 10_000:
        raise ValueError(f"--bgp-coalesce-ms: {value!r} is neither 'topology' nor 0-10000 ms")
    return int(text)


def with_coalesce(topology: str | Path, directory: Path, coalesce_ms: int | None) -> str:
    """The topology to start: ``topology`` itself, or a copy in ``directory`` whose policy sets
    bgpd's coalesce time.  The original is validated first, so its errors name its own file and line."""
    loaded = load(topology)
    if coalesce_ms is None or loaded.model.policy.bgp_coalesce_ms is not None:
        return str(topology)
    doc = yaml.safe_load(Path(topology).read_text())
    doc["policy"] = {**(doc.get("policy") or {}), "bgp_coalesce_ms": coalesce_ms}
    return str(write_output(Path(directory) / Path(topology).name, yaml.safe_dump(doc, sort_keys=False)))
