"""Live: link-bandwidth past 2^32 bytes/s on each FRR version.  bag-mini with 6 uplinks per BAG
plane in the spoke's NSF makes r1-bag1 sum 38,400 Mbps towards the spoke: 8.4 and 10.3 carry it
wrapped (4,040.26 Mbps) and the DSF edge pod weighs the hub's planes 8/8/41/41 instead of
33/33/16/16; 10.7 carries it whole.  ``plan`` names the routes; ``up`` converges as the
version-aware oracle predicts.  Versions: BAGLAB_TEST_VERSIONS (default "8.4"; 'make test-versions'
runs 8.4, 10.3 and 10.7)."""
from __future__ import annotations

import os

import pytest

from lab.config.oracle import expected_routes
from lab.frr.roots import root_of
from lab.observe.fib import FibReader
from lab.runtime import down_lab
from lab.state import LabPaths
from lab.verdict import bandwidth_limits
from lab.workflows.build import up

from ..conftest import TOPOLOGIES

pytestmark = pytest.mark.lab
VERSIONS = os.environ.get("BAGLAB_TEST_VERSIONS", "8.4").split()
SPOKE_F3 = "      - name: f3\n        kind: nsf\n        spine_planes: 2\n        port_speed: 800G"
EDGE, PREFIX = "r1-f2-edge", "198.19.2.0/24"


@pytest.mark.parametrize("version", VERSIONS)
def test_a_wrapping_cumulative_value_is_flagged_and_converges_as_predicted(version, tmp_path):
    if version != "8.4" and root_of(version) is None:
        pytest.skip(f"FRR {version}'s root is not built: run 'make frr-roots'")
    text = (TOPOLOGIES / "bag-mini.yaml").read_text()
    assert SPOKE_F3 in text
    text = text.replace(SPOKE_F3, SPOKE_F3.replace("port_speed", "uplinks_per_bag_plane: 6\n        port_speed"))
    topo = tmp_path / "six-uplinks.yaml"
    topo.write_text(text + ("" if version == "8.4" else f'frr: "{version}"\n'))
    name = f"lbw{version.replace('.', '')}{os.getpid() % 1000}"
    down_lab(LabPaths(name))
    try:
        plan = up(topo, name).plan          # raises unless every FIB is what the oracle predicts
        flagged = {r.scope for r in bandwidth_limits.carried(plan)}
        wraps = version in ("8.4", "10.3")
        assert (f"{EDGE} {PREFIX}" in flagged) == wraps, flagged
        predicted = sorted(h.weight for h in expected_routes(plan)[EDGE][PREFIX])
        with FibReader({EDGE: LabPaths(name).netns(EDGE)}) as fib:
            observed = sorted(h.weight for h in fib.read(EDGE)[PREFIX])
        assert observed == predicted, (version, observed, predicted)
        if version == "8.4":
            assert observed == [8, 8, 41, 41]          # the wrapped value, as the issue saw it
    finally:
        rep = down_lab(LabPaths(name))
        assert not rep.survivors and not rep.leftover_ns
