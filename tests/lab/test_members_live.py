"""Live: 2 of the 4 ports one STSW uplink stands for fail.  bag-mini with the hub's NSF f1
``represents: 4``: r1-f1-p1s1 advertises f1's prefixes to r1-bag1 with half its link-bandwidth,
so r1-bag1 weighs its two STSWs 1:2 instead of 1:1 and its cumulative value shrinks towards the
spoke; every FIB moves to what the oracle predicts, and back on restore.  One bring-up."""
from __future__ import annotations

import os

import pytest

from lab.config.oracle import NONE, expected_routes
from lab.observe.fib import FibReader
from lab.runtime import down_lab
from lab.session import open_lab
from lab.state import LabPaths
from lab.workflows import inject as wf
from lab.workflows.build import up

from ..conftest import TOPOLOGIES

pytestmark = pytest.mark.lab
HUB_F1 = "        uplinks_per_bag_plane: 1\n        port_speed: 800G"
UPLINK = "r1-f1-p1s1~r1-bag1"


def weights(routes: dict, nodes: list[str], only: dict | None = None) -> dict:
    """node -> prefix -> sorted weights (of ``only``'s prefixes: the oracle's, not connected routes)."""
    return {n: {p: sorted(h.weight for h in hops) for p, hops in routes[n].items() if only is None or p in only[n]}
            for n in nodes}


def test_two_of_four_ports_down_moves_the_weights_the_oracle_predicts_and_back(tmp_path):
    text = (TOPOLOGIES / "bag-mini.yaml").read_text()
    assert HUB_F1 in text
    topo = tmp_path / "members.yaml"
    topo.write_text(text.replace(HUB_F1, HUB_F1.replace("port_speed", "represents: 4\n        port_speed")))
    paths = LabPaths(f"mbr{os.getpid() % 1000}")
    down_lab(paths)
    try:
        plan = up(topo, paths.name).plan           # raises unless every FIB is what the oracle predicts
        link = next(l for l in plan.links if l.bundle == UPLINK)
        assert link.represents == 4
        with open_lab(paths, plan) as lab:
            res = wf.inject(lab, lambda fi, _plan: fi.members(link, 2), wait=True)
            assert res.ok, res.report
            failures = lab.faults.failures()
            assert failures.members_down == {(link.id, 2)}
            before, after = expected_routes(plan, NONE), expected_routes(plan, failures)
            moved = sorted(n for n in after if weights(after, [n]) != weights(before, [n]))
            assert "r1-bag1" in moved and any(n.startswith("r2-") for n in moved), moved
            with FibReader({n: paths.netns(n) for n in moved}) as fib:
                observed = {n: fib.read(n) for n in moved}
            assert weights(observed, moved, after) == weights(after, moved)
            assert weights(observed, ["r1-bag1"], after)["r1-bag1"]["198.19.0.0/24"] == [33, 66]

            res = wf.restore(lab, None, wait=True)
            assert res.ok, res.report
            assert lab.faults.failures() == NONE
            with FibReader({n: paths.netns(n) for n in moved}) as fib:
                observed = {n: fib.read(n) for n in moved}
            assert weights(observed, moved, before) == weights(before, moved)
    finally:
        rep = down_lab(paths)
        assert not rep.survivors and not rep.leftover_ns
