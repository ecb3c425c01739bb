"""BFD: a silent failure converges within BFD's detection time, not the hold time.

A silent failure drops every frame while both ports stay up (an optic that goes deaf, a
line card that stops forwarding): no carrier loss tells the routers, so without BFD only the BGP
hold timer notices (9 s here; tests/convergence/test_scenarios.py pins that on plain bag-mini).
bag-mini runs here with ``policy.bfd`` 300 ms x 3 and two overrides: the NSF fabric's uplinks at
500 ms x 4, the DSF fabric's uplinks without BFD.  The BAG-to-BAG links are MACsec-protected, so
their BFD packets cross the SecY like any other frame: the fault drops frames on the wire below it.
"""
from __future__ import annotations

import pytest
import yaml

from lab.observe import bfd
from lab.observe.links import link_report
from lab.workflows.status import gather
from lab.pytest_plugin import extra_lab
from lab.wait import poll

from ..conftest import TOPOLOGIES

pytestmark = pytest.mark.lab

#: what BGP and zebra take after BFD declares a session down (session torn down, paths withdrawn,
#: FIBs rewritten on every router): with 300 ms x 3 this keeps the issue's bound, 1.5 s
REACTION_MS = 600


def bfd_topology(directory) -> str:
    """bag-mini with BFD: the policy's timers, one fabric's own, one fabric without."""
    topo = yaml.safe_load((TOPOLOGIES / "bag-mini.yaml").read_text())
    topo["policy"] = {**topo.get("policy", {}), "bfd": {"interval_ms": 300, "multiplier": 3}}
    fabrics = {f["name"]: f for r in topo["regions"] for f in r["fabrics"]}
    fabrics["f1"]["bfd"] = {"interval_ms": 500, "multiplier": 4}
    fabrics["f2"]["bfd"] = "off"
    path = directory / "bag-mini-bfd.yaml"
    path.write_text(yaml.safe_dump(topo, sort_keys=False))
    return str(path)


@pytest.fixture(scope="module")
def bfd_lab(request, tmp_path_factory):
    with extra_lab(bfd_topology(tmp_path_factory.mktemp("bfd")), request, "bfd") as got:
        frr = request.config.getoption("--frr")
        routers = [n for n in got[0].plan.nodes if n.emulator == "frr"]
        assert frr is None or all(n.frr == frr for n in routers), f"the lab does not run FRR {frr}"
        yield got


def _all_up(lab) -> list[str]:
    """What is not as planned: sessions not up, other timers, sessions the plan does not have."""
    routers = [n.name for n in lab.plan.nodes]
    seen = bfd.lab_peers(lab.plan, lab.paths.netns, routers)
    problems = []
    for node, peers in seen.items():
        j = bfd.judge(lab.plan, node, peers)
        problems += [f"{node} -> {x}" for x in j["not_up"] + j["timers_differ"]]
        problems += [f"{node} -> {a}: not planned" for a in j["unplanned"]]
    return problems


def _wait_all_up(lab, deadline_s: float = 15.0) -> None:
    left: list[str] = []

    def done() -> bool:
        left[:] = _all_up(lab)
        return not left
    assert poll(done, deadline_s, 0.2), f"BFD sessions not as planned after {deadline_s:.0f}s: {left}"


def _states(lab, link) -> dict[str, str]:
    ends = [link.a.node, link.b.node]
    return bfd.link_states(lab.plan, bfd.lab_peers(lab.plan, lab.paths.netns, ends)).get(link.id, {})


def test_bfd_sessions_follow_the_policy_and_its_overrides(bfd_lab):
    lab, observe, _ = bfd_lab
    observe.scenario = "bfd steady"
    _wait_all_up(lab)
    def timers(bundle: str):
        b = lab.link(bundle).bfd
        return b and (b.interval_ms, b.multiplier)
    assert timers("r1-f1-p1s1~r1-bag1") == (500, 4), "the fabric's override"
    assert timers("r1-f2-edge~r1-bag1") is None, "the fabric's 'off'"
    assert timers("r1-bag1~r2-bag1") == timers("r2-f3-p1s1~r2-bag1") == (300, 3), "the policy's timers"
    assert not any(l.bfd for l in lab.plan.links if l.kind == "collector"), "ExaBGP speaks no BFD"
    protected = lab.link("r1-bag1~r2-bag1", member=1)
    assert protected.macsec == "required" and _states(lab, protected) == {"r1-bag1": "up", "r2-bag1": "up"}
    shown = {n["name"]: n.get("bfd") for n in gather(lab.session)["nodes"]}     # baglab status
    assert shown["r1-bag1"]["up"] == shown["r1-bag1"]["planned"] == 12, shown["r1-bag1"]
    assert shown["r1-f2-edge"]["planned"] == 0 and shown["coll2"] is None, shown
    res = observe.steady()
    assert res.ok, res.report


@pytest.mark.parametrize("bundle", ["r1-bag1~r2-bag1", "r1-f1-p1s1~r1-bag1"], ids=["protected-300x3", "uplink-500x4"])
def test_silent_failure_converges_within_bfd_detection(bfd_lab, bundle):
    lab, observe, faults = bfd_lab
    observe.scenario = f"bfd silent {bundle}"
    _wait_all_up(lab)
    link = lab.link(bundle, member=1)
    f = faults.link(link, mode="silent")
    try:
        _check_silent_failure(lab, observe, faults, f, link, bundle)
    finally:
        faults.restore_and_check(f)     # also after a failed check: the next case needs every session
    _wait_all_up(lab)


def _check_silent_failure(lab, observe, faults, f, link, bundle) -> None:
    limit_ms = link.bfd.detect_ms + REACTION_MS
    res = observe.after_fault(f, faults.failures(), deadline_s=10)
    assert res.converged, res.report
    down = poll(lambda: set(_states(lab, link).values()) == {"down"}, 5.0, 0.1)
    assert down, f"{bundle}: BFD did not report the link down at both ends: {_states(lab, link)}"
    row = next(r for r in link_report(lab.plan, lab.paths) if r["id"] == link.id)       # baglab links
    assert [e["bfd"] for e in row["ends"]] == ["down", "down"], row
    assert row["bfd"] == {"interval_ms": link.bfd.interval_ms, "multiplier": link.bfd.multiplier}, row
    assert res.overall_ms < limit_ms, (
        f"{bundle}: a silent failure converged in {res.overall_ms:.0f} ms, over BFD's "
        f"{link.bfd.interval_ms} ms x {link.bfd.multiplier} + {REACTION_MS} ms")


def test_silent_failure_without_bfd_waits_for_the_hold_timer(bfd_lab):
    """The DSF fabric's uplinks have BFD off: the same fault there is noticed by the hold timer only."""
    lab, observe, faults = bfd_lab
    observe.scenario = "bfd off: silent r1-f2-edge~r1-bag1"
    link = lab.link("r1-f2-edge~r1-bag1", member=1)
    assert link.bfd is None and not _states(lab, link)
    f = faults.link(link, mode="silent")
    res = observe.after_fault(f, faults.failures(), deadline_s=30)
    assert res.converged, res.report
    assert res.overall_ms > 1000 * (lab.plan.holdtime - lab.plan.keepalive - 1), \
        f"converged in {res.overall_ms:.0f} ms: with frames dropped and no BFD only the hold timer can notice"
    faults.restore_and_check(f)
