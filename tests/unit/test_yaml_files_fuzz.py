"""Property: whatever an intent file or a rollout phases file holds, baglab either refuses it with
ONE located TopologyError (a LabError), in under 2 s and 200 MB, or accepts it with every name
resolved against the plan -- never another exception, a hang or a memory blow-up.

Inputs are the shipped intent and phases files with the topology fuzz's mutations (wrong types,
huge and infinite numbers, deleted, duplicated and unknown keys, deep nesting, alias and merge-key
bombs, non-UTF-8 bytes, truncation) and values of their own: very long strings and lists,
path-escaping names, terminal markup and matplotlib's mathtext.

CI runs a fixed (derandomised) 150 examples of each; BAGLAB_FUZZ=N runs N random ones.
"""
from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

pytest.importorskip("hypothesis", reason="pip install -e '.[test]' (scripts/install-deps.sh) brings Hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from lab.verdict.checks import names
from lab.verdict.checks.schema import load_intents
from lab.errors import LabError, TopologyError
from lab.workflows.rollout.phases import load_phases

from ..conftest import TOPOLOGIES
from ..plans import plan_of
from .test_topology_fuzz import ERROR_BYTES, ERROR_SECONDS, _mutate, _text_mutation

INTENTS = sorted((TOPOLOGIES / "intents").glob("*.yaml"))
PHASES = sorted((TOPOLOGIES / "rollouts").glob("*.yaml"))
KEYS = ["at", "aspects", "attributes", "budget_ms", "by", "description", "domains", "drain", "drains", "except",
        "expect", "fabric", "fabrics", "failures", "families", "flows", "from", "intended_changes", "kinds", "leaving",
        "link", "link_bandwidth_values", "name", "nodes", "partial", "phases", "plane", "planes", "reachability",
        "region", "regions", "rest", "roles", "router", "routes", "shares", "sweep", "to", "tolerance", "why",
        "bogus", "Phases", "<<"]
STRINGS = ["r1", "r2", "r1-bag1", "r2-bag2", "r2-f3-p1s1", "f1", "r1-f1", "bag", "stsw", "edge", "collector", "*",
           "r?-bag[12]", "[!x]", "r1-bag1~r2-bag1#1", "r1-bag1~r2-bag1", "proportional", "neighbour", "plane", "region",
           "ipv4", "ipv6", "fib", "link", "bundle", "all", "specifics", "../../etc/passwd", "/etc/shadow", "..",
           "nodes/../../../root", "$\\frac{$", "$x^$", "[/bold]", "[red]x", "\x1b[2J", "a\nb", "\u202eevil", "", " ",
           "\x85", "héllo", "𝔟𝔞𝔤", "a" * 65, "x" * 5000, "*a" * 2000 + "b"]
values = st.one_of(
    st.booleans(), st.none(), st.integers(-3, 20), st.integers(-2 ** 70, 2 ** 70),
    st.sampled_from([2 ** 31, 2 ** 64, 10 ** 30, 4096, 4097, 600_000, 600_001, 65536]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(STRINGS), st.text(max_size=10),
    st.lists(st.sampled_from(STRINGS + [1, 2]), max_size=3),
    st.builds(lambda s, n: [s] * n, st.sampled_from(STRINGS[:12]), st.sampled_from([100, 300, 3000])),
    st.dictionaries(st.sampled_from(KEYS + STRINGS[:6]), st.one_of(st.integers(0, 3), st.sampled_from(STRINGS)),
                    max_size=2))


@st.composite
def files(draw, shipped: list[Path], topology: str | None = None) -> tuple[str, bytes]:
    """(the topology the file is written for, the file's bytes): an intent file is named after its
    topology, the phases files are all bag-mini's."""
    base = draw(st.sampled_from(shipped))
    data = yaml.safe_load(base.read_text())
    for _ in range(draw(st.integers(0, 3))):
        data = _mutate(data, draw, values=values, keys=KEYS)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=draw(st.booleans()), width=200)
    return topology or base.stem, _text_mutation(text, draw)


def _intents(path: Path, topology: str):
    loaded = load_intents(path)
    names.resolve(plan_of(topology), loaded)
    return loaded


def _phases(path: Path, topology: str):
    phases = load_phases(path, plan_of(topology))
    routers = {n.name for n in plan_of(topology).nodes}
    every = [r for p in phases for r in p.routers]
    assert every and len(every) == len(set(every)) and set(every) <= routers, phases
    return phases


def _check(reader, topology: str, data: bytes) -> None:
    plan_of(topology)          # planned outside the measurement: the plan is not the file's cost
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "h.yaml"
        path.write_bytes(data)
        tracemalloc.start()
        t0 = time.process_time()
        try:
            reader(path, topology)
            err = None
        except LabError as exc:
            err = exc
        finally:
            seconds, peak = time.process_time() - t0, tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    assert seconds < ERROR_SECONDS and peak < ERROR_BYTES, (str(err), seconds, peak)
    if err is None:
        return
    msg = str(err)
    assert isinstance(err, TopologyError), msg
    assert msg.startswith(str(path)) and "\n" not in msg and len(msg) < 1000, msg
    assert err.path or ": <top>: " in msg, msg
    # only a file that is empty or too large to be read has no line to point at
    assert err.line is not None or not data.strip() or "a topology is at most" in msg, msg


_N = int(os.environ.get("BAGLAB_FUZZ", "0"))
FUZZ = settings(max_examples=_N or 150, derandomize=not _N, deadline=timedelta(seconds=20), database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


@FUZZ
@given(files(INTENTS))
def test_intent_files_are_refused_with_one_located_error_or_resolved(file):
    _check(_intents, *file)


@FUZZ
@given(files(PHASES, "bag-mini"))
def test_phases_files_are_refused_with_one_located_error_or_resolved(file):
    _check(_phases, *file)
