"""Live: bag-prod, the production-sized design (84 routers, 16 Pbps per region pair through links that
stand for thousands of 800G ports).  Its plan flags no link-bandwidth value; ``up`` converges with
every FIB as the oracle predicts (``up`` raises otherwise); its intent file passes; the spread
interconnect's thicker plane pair is in the kernel's weights."""
from __future__ import annotations

import json
import os

import pytest

from lab.config.oracle import expected_routes, neighbour_shares
from lab.observe.fib import FibReader
from lab.pytest_plugin import extra_lab
from lab.verdict import bandwidth_limits

from ..cli import baglab
from ..conftest import TOPOLOGIES

pytestmark = pytest.mark.lab
INTENTS = TOPOLOGIES / "intents" / "bag-prod.yaml"


@pytest.fixture(scope="module")
def prod(request):
    with extra_lab(TOPOLOGIES / "bag-prod.yaml", request, "prod") as (lab, obs, fi):
        yield lab, obs, fi


def test_the_plan_flags_no_value_and_the_links_carry_production_capacity(prod):
    lab = prod[0]
    assert bandwidth_limits.carried(lab.plan) == []
    inter = {}
    for l in lab.plan.links:
        if l.kind == "interbag":
            pair = tuple(sorted({lab.plan.node(l.a.node).region, lab.plan.node(l.b.node).region}))
            inter[pair] = inter.get(pair, 0) + l.capacity_gbps
    assert inter == {("r1", "r2"): 16_000_000, ("r1", "r3"): 17_000_000, ("r1", "r4"): 16_000_000}


def test_the_kernel_weighs_the_thicker_plane_pair_as_predicted(prod):
    lab = prod[0]
    prefix = lab.plan.node("r1-f1-p1s1").prefixes_v4[0]
    predicted = expected_routes(lab.plan)["r3-bag1"][prefix]
    assert neighbour_shares(predicted) == pytest.approx({"r1-bag1": 0.4, "r1-bag2": 0.2, "r1-bag3": 0.2, "r1-bag4": 0.2})
    with FibReader({"r3-bag1": lab.paths.netns("r3-bag1")}) as fib:
        observed = fib.read("r3-bag1")[prefix]
    assert sorted((h.ifname, h.weight) for h in observed) == sorted((h.ifname, h.weight) for h in predicted), \
        f"r3-bag1 {prefix}: observed {observed}, predicted {predicted}"


def test_its_intent_file_passes(prod, tmp_path):
    lab = prod[0]
    r = baglab("check", str(INTENTS), "--name", lab.paths.name, "--json", str(tmp_path / "c.json"), check=False)
    doc = json.loads((tmp_path / "c.json").read_text())
    failed = [f"{v['status']} {v['check']}: {v['summary'][:300]}" for v in doc["verdicts"] if v["status"] != "PASS"]
    assert r.returncode == 0 and not failed, "\n".join(failed)
    kinds = {v["kind"] for v in doc["verdicts"]}
    assert {"reachability", "shares", "routes", "paths", "attributes"} <= kinds, kinds


def test_half_of_an_stsw_uplinks_ports_down_moves_the_shares_as_predicted_and_back(prod):
    """500 of the 1,000 ports r1-f1-p1s1~r1-bag1 stands for fail: r1-bag1 weighs its STSWs 1:2 and
    its smaller cumulative value moves the other regions' and the edge pods' weights."""
    from lab.config.oracle import NONE
    from lab.session import open_lab
    from lab.workflows import inject as wf

    with open_lab(prod[0].paths, prod[0].plan) as lab:
        _members_down(lab, wf, NONE)


def _members_down(lab, wf, NONE):
    link = next(l for l in lab.plan.links if l.bundle == "r1-f1-p1s1~r1-bag1")
    res = wf.inject(lab, lambda fi, _plan: fi.members(link, 500), wait=True)
    try:
        assert res.ok, res.report
        failures = lab.faults.failures()
        before, after = expected_routes(lab.plan, NONE), expected_routes(lab.plan, failures)
        moved = sorted(n for n in after if _weights(after, n) != _weights(before, n))
        assert {"r1-bag1", "r1-d1-edge", "r2-d1-edge", "r3-bag1"} <= set(moved), moved
        with FibReader({n: lab.paths.netns(n) for n in moved}) as fib:
            for n in moved:
                got = _weights({n: fib.read(n)}, n, after)
                assert got == _weights(after, n), f"{n}: observed {got}, predicted {_weights(after, n)}"
        prefix = lab.plan.node("r1-f1-p1s1").prefixes_v4[0]
        assert sorted(h.weight for h in after["r1-bag1"][prefix]) == [33, 66]
    finally:
        res = wf.restore(lab, None, wait=True)
    assert res.ok, res.report
    with FibReader({"r1-bag1": lab.paths.netns("r1-bag1")}) as fib:
        assert _weights({"r1-bag1": fib.read("r1-bag1")}, "r1-bag1", before) == _weights(before, "r1-bag1")


def _weights(routes: dict, node: str, only: dict | None = None) -> dict:
    """prefix -> sorted weights at ``node`` (of ``only``'s prefixes: the oracle's, not connected routes)."""
    return {p: sorted(h.weight for h in hops) for p, hops in routes[node].items() if only is None or p in only[node]}


VERSIONS = [v for v in os.environ.get("BAGLAB_TEST_VERSIONS", "8.4").split() if v != "8.4"]   # 8.4: the tests above


@pytest.mark.parametrize("version,unit", [(v, 800_000) for v in VERSIONS] +
                         [("10.7", 1)] * ("10.7" in VERSIONS))
def test_it_converges_as_predicted_on_each_version(request, tmp_path, version, unit):
    """On FRR 10.x with one unit per 800G port; on 10.7 also at real Mbps (800,000 per port, cumulative
    values up to 8,000,000,000 Mbps), which 10.7 carries whole ('up' raises unless every FIB is
    as predicted); 10.3 would wrap those (the plan says so), 8.4 refuses them."""
    from lab.frr.roots import root_of

    if root_of(version) is None:
        pytest.skip(f"FRR {version}'s root is not built: run 'make frr-roots'")
    topo = tmp_path / "bag-prod.yaml"
    topo.write_text((TOPOLOGIES / "bag-prod.yaml").read_text().replace("bandwidth_unit: 800000", f"bandwidth_unit: {unit}")
                    + f'frr: "{version}"\n')
    with extra_lab(topo, request, f"p{version.replace('.', '')}{unit % 7}", frr=version) as (lab, _obs, _fi):
        assert bandwidth_limits.carried(lab.plan) == []
        assert {n.frr for n in lab.plan.nodes if n.emulator == "frr" and n.role != "collector"} == {version}
        assert max(l.lb_value for l in lab.plan.links if l.kind == "uplink") == (1000 if unit == 800_000 else 800_000_000)
