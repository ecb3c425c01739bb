"""Property: whatever a topology file holds, baglab either refuses it with ONE
located TopologyError, in under 2 s and 200 MB, or accepts it and then plans, renders every
node's configuration and exports it to containerlab without an error.

Inputs are valid topologies (the shipped ones and lab/design/generate.py's) with mutations: wrong
types, booleans, huge/negative/infinite numbers, deleted and duplicated keys and items,
unicode and terminal-markup strings, known keys moved to the wrong place, deep nesting,
alias and merge-key bombs, non-UTF-8 bytes and truncation.

CI runs a fixed (derandomised) 200 examples in well under a minute; BAGLAB_FUZZ=N runs N
random ones for a longer hunt.
"""
from __future__ import annotations

import copy
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

from lab.config.render import render_all
from lab.verdict.headroom import checks
from lab.errors import TopologyError
from lab.config.export import write
from lab.design.generate import generate
from lab.design.plan import build_plan
from lab.design.topology import load_bytes

from ..conftest import TOPOLOGIES

SHIPPED = [p.read_text() for p in sorted(TOPOLOGIES.glob("*.yaml"))]
ERROR_SECONDS, ERROR_BYTES = 2.0, 200e6
KEYS = ["a", "a_plane", "address_families", "b", "b_plane", "bag", "bag_base", "between", "bulk_v4", "bulk_v6",
        "bundles", "capacity", "collector_base", "data_hall", "data_halls", "description", "emulator", "fabric_base",
        "fabrics", "fibre_ns_per_m", "holdtime", "ipv4", "ipv6", "keepalive", "kind", "length_m", "links",
        "links_per_bundle", "loopback_v4", "loopback_v6", "lossless_classes", "macsec", "max_l2_bag_oversubscription",
        "maximum_paths", "min_fabrics", "mode", "mtu", "name", "p2p_v4", "p2p_v6", "peers", "pfc_buffer_per_port_mb",
        "planes", "port_speed", "power_feed", "prefix_len_v4", "prefix_len_v6", "prefixes", "prefixes_v6", "region",
        "routes", "spine_planes", "stsws_per_plane", "tcp_md5", "uplinks_per_bag_plane"]
STRINGS = ["[/bold]", "[red]x", "800G", "1.6T", "0G", "1e999G", "r1", "r1-bag1", "bgp", "dh1", "nsf", "dsf",
           "bulk", "exabgp", "spread", "planar", "off", "198.19.128.0/24", "198.19.0.0/24", "2001:db8:1000::/40",
           "198.18.0.0/32", "198.18.128.0/32", "198.18.128.0/30", "2001:db8:0:1::/128", "10.0.0.0/8", "ipv4", "ipv6",
           "héllo", "\u202eevil", "a\nb", "", " ", "\x85", "𝔟𝔞𝔤"]

base_texts = st.one_of(
    st.sampled_from(SHIPPED),
    st.builds(generate, regions=st.integers(1, 3), planes=st.integers(1, 4), nsf_per_region=st.integers(0, 2),
              spine_planes=st.integers(1, 2), dsf=st.booleans(), links_per_bundle=st.integers(1, 3),
              prefixes=st.integers(0, 2)))
values = st.one_of(
    st.booleans(), st.none(), st.integers(-3, 70), st.integers(-2 ** 70, 2 ** 70),
    st.sampled_from([2 ** 31, 2 ** 32, 2 ** 32 - 1, 4_294_967_294, 4_200_000_000, 10 ** 30, 65535, 65536, 25601]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(STRINGS), st.text(max_size=10),
    st.lists(st.sampled_from(STRINGS + [1, 2]), max_size=3), st.dictionaries(st.sampled_from(KEYS), st.integers(0, 3),
                                                                              max_size=2))


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


def _mutate(data, draw, values=values, keys=KEYS):
    """One structural change at a random place of the document (``values`` and ``keys``: what
    the kind of file is fuzzed with; tests/unit/test_yaml_files_fuzz.py passes its own)."""
    paths = list(_paths(data))
    path = draw(st.sampled_from(paths))
    if not path:
        return draw(values) if draw(st.integers(0, 9)) == 0 else data
    parent = data
    for p in path[:-1]:
        parent = parent[p]
    last = path[-1]
    op = draw(st.sampled_from(["replace", "replace", "delete", "duplicate", "add-key", "scale"]))
    if op == "replace":
        parent[last] = draw(values)
    elif op == "delete":
        del parent[last]
    elif op == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    elif op == "add-key" and isinstance(parent[last], dict):
        parent[last][draw(st.sampled_from(keys))] = draw(values)
    elif op == "scale" and isinstance(parent[last], int) and not isinstance(parent[last], bool):
        parent[last] = parent[last] * draw(st.sampled_from([-1, 0, 2, 16, 1000, 10 ** 12])) + draw(st.integers(-1, 1))
    return data


def _bomb(draw) -> str:
    n = draw(st.integers(1, 12))
    if draw(st.booleans()):
        out = "x0: &x0 {a: 1, b: 2}\n"
        return out + "".join(f"x{i}: &x{i} {{<<: [{', '.join([f'*x{i - 1}'] * 8)}], k{i}: 1}}\n" for i in range(1, n))
    out = "x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n"
    return out + "".join(f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 10)}]\n" for i in range(1, n))


def _text_mutation(text: str, draw) -> bytes:
    """Changes a YAML dump cannot make: duplicate keys, nesting, bombs, bytes, truncation."""
    op = draw(st.sampled_from(["none", "none", "dup-line", "nest", "bomb", "bytes", "truncate"]))
    lines = text.splitlines(keepends=True)
    if op == "dup-line" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(i, lines[i])
        text = "".join(lines)
    elif op == "nest":
        n = draw(st.sampled_from([5, 31, 33, 200, 999, 1001, 5000]))
        text += "deep: " + "[" * n + "]" * n + "\n" if draw(st.booleans()) else \
            "deep:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, min(n, 300)))
    elif op == "bomb":
        text += _bomb(draw)
    elif op == "truncate":
        text = text[:draw(st.integers(0, len(text)))]
    data = text.encode()
    if op == "bytes":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return data


@st.composite
def topology_files(draw) -> bytes:
    data = yaml.safe_load(draw(base_texts))
    for _ in range(draw(st.integers(0, 3))):
        data = _mutate(data, draw)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=draw(st.booleans()), width=200)
    return _text_mutation(text, draw)


def _accepted_builds(loaded, plan) -> None:
    checks(plan, loaded.model.design)
    render_all(plan, "/var/lib/baglab")
    with tempfile.TemporaryDirectory() as d:
        write(plan, Path(d), "baglab-node:test")


def _measure(data: bytes):
    """(loaded, plan or the TopologyError, seconds, peak bytes) of reading and planning."""
    tracemalloc.start()
    t0 = time.process_time()
    try:
        loaded = load_bytes(data, "h.yaml")
        return loaded, build_plan(loaded), time.process_time() - t0, tracemalloc.get_traced_memory()[1]
    except TopologyError as exc:
        return None, exc, time.process_time() - t0, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


_N = int(os.environ.get("BAGLAB_FUZZ", "0"))
FUZZ = settings(max_examples=_N or 200, derandomize=not _N, deadline=timedelta(seconds=20), database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


@FUZZ
@given(topology_files())
def test_refused_with_one_located_error_or_built(data):
    loaded, result, seconds, peak = _measure(data)
    if isinstance(result, TopologyError):
        msg = str(result)
        assert seconds < ERROR_SECONDS and peak < ERROR_BYTES, (msg, seconds, peak)
        assert result.source == "h.yaml" and msg.startswith("h.yaml") and "\n" not in msg, msg
        assert result.path or ": <top>: " in msg, msg
        # only a file that is empty or too large to be read has no line to point at
        assert result.line is not None or not data.strip() or "a topology is at most" in msg, msg
        return
    _accepted_builds(loaded, result)
