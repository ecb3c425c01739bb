"""Candidate policies on bag-mini, live: what each one really does to the routers.

Each module-scoped lab runs one example policy (topologies/policies/bag-mini/<name>); ``up`` with
a policy other than the built-in one waits for sessions and quiet FIBs, not for the oracle, so
whatever the policy broke is seen here, by reading the routers."""
from __future__ import annotations

import pytest

from lab.config.policy import load_policy
from lab.workflows.build import up
from lab.observe.settle import Strategy, settle
from lab.frr.show import show_json
from lab.observe.frr import bgp_paths
from lab.pytest_plugin import extra_lab
from lab.workflows.rehearsal import rehearse
from lab.state import LabState
from lab.wait import wait_for

from ..conftest import ROOT, TOPOLOGIES

pytestmark = pytest.mark.lab
POLICIES = ROOT / "topologies" / "policies" / "bag-mini"
MINI = TOPOLOGIES / "bag-mini.yaml"


@pytest.fixture(scope="module")
def safe(request):
    with extra_lab(MINI, request, "safe", POLICIES / "safe-tag") as got:
        yield got


def _communities(lab, node: str, prefix: str) -> dict[str, str]:
    """peer -> community string of each path the node's BGP table holds for the prefix."""
    afi = "ipv6" if ":" in prefix else "ipv4"
    data = show_json(lab.paths.netns(node), f"show bgp {afi} unicast {prefix} json")
    return {p.get("peer", {}).get("hostname") or p.get("peer", {}).get("peerId"): p.get("community", {}).get("string", "")
            for p in data.get("paths", [])}


def _gshut(community: str) -> str | None:
    """The community string when it carries GRACEFUL_SHUTDOWN (FRR spells it either way)."""
    return community if ("graceful-shutdown" in community or "gshut" in community) else None


def test_safe_tag_converges_to_the_oracle_and_tags_origins(safe):
    lab, _, _ = safe
    conv = settle(lab.plan, lab.paths, Strategy.CONVERGED, deadline_s=30)
    assert conv.ok, [str(m) for m in conv.mismatches[:5]] + conv.session_problems[:5]
    for prefix in (lab.prefix("r1-f2-edge"), lab.prefix("r2-f3-p1s1", v6=True)):
        comms = _communities(lab, "r1-bag1", prefix)
        assert comms and all("64512:100" in c for c in comms.values()), (prefix, comms)


def test_up_again_reuses_the_lab_only_with_the_same_policy(safe):
    lab, _, _ = safe
    st = LabState.read(lab.paths)
    assert st.policy == str((POLICIES / "safe-tag").resolve())
    assert st.policy_digest == load_policy(POLICIES / "safe-tag").digest() != load_policy().digest()
    # the topology the lab was built from (the suite's copy of bag-mini, with its coalesce time)
    assert up(st.source, lab.paths.name, policy=POLICIES / "safe-tag").reused


def test_drain_works_on_safe_tag(safe):
    lab, obs, fi = safe
    rep = rehearse(lab.session, obs.after_fault, obs.after_restore, "link",
                   bundle="r1-bag1~r2-bag1", members=[1], window=200, faults=fi)
    assert rep.ok, rep.summary()
    # the twin sets GRACEFUL_SHUTDOWN and calls the policy's map: both communities arrive
    d = fi.drain_nodes(["r1-bag1"])
    try:
        prefix = lab.prefix("r1-f1-p1s2")
        got = wait_for(lambda: _gshut(_communities(lab, "r1-f2-edge", prefix).get("r1-bag1", "")), 20,
                       "GRACEFUL_SHUTDOWN on r1-bag1's path at r1-f2-edge")
        assert "64512:100" in got
    finally:
        fi.restore(d)


@pytest.fixture(scope="module")
def strip(request):
    with extra_lab(MINI, request, "strp", POLICIES / "strip-lb-plane2") as got:
        yield got


def test_strip_lb_plane2_sends_no_link_bandwidth(strip):
    lab, _, _ = strip
    prefix = lab.prefix("r2-f3-p1s1")
    paths = bgp_paths(lab.paths.netns("r1-bag1"), prefix)
    by_peer = {p["peer"]: p["bandwidth"] for p in paths}
    assert by_peer.get("r2-bag2", "absent") is None, by_peer       # plane 2: stripped
    assert by_peer.get("r2-bag1"), by_peer                          # plane 1: still there
    # what plane 2 originates towards its own STSWs is stripped too
    edge = {p["peer"]: p["bandwidth"] for p in bgp_paths(lab.paths.netns("r1-f2-edge"), prefix)}
    assert edge.get("r1-bag2", "absent") is None and edge.get("r1-bag1"), edge


@pytest.fixture(scope="module")
def typo(request):
    with extra_lab(MINI, request, "typo", POLICIES / "prefix-typo") as got:
        yield got


def test_prefix_typo_withdraws_one_fabric(typo):
    lab, _, _ = typo
    f2_v4, f2_v6 = lab.prefix("r1-f2-edge"), lab.prefix("r1-f2-edge", v6=True)
    for bag in ("r1-bag1", "r2-bag2"):
        ns = lab.paths.netns(bag)
        assert bgp_paths(ns, lab.prefix("r1-f1-p1s1")), f"{bag} lost f1 too: the lab is broken, not the policy"
        assert bgp_paths(ns, f2_v6), f"{bag} lost f2's IPv6 prefix, which the typo does not touch"
        assert not bgp_paths(ns, f2_v4), f"{bag} still has {f2_v4}"


# -- the candidates' own intent files judge them (lab.verdict.checks): what an engineer runs in CI -------

def _verdicts(lab, name: str) -> tuple[dict[str, tuple[str, str]], int]:
    from lab.workflows.check import load, run_checks

    rep = run_checks(lab.session, load(lab.plan, POLICIES / name / "intents.yaml"))
    return {v.check: (v.status, v.summary) for v in rep.verdicts}, rep.exit_code


def test_safe_tag_passes_its_intents(safe):
    lab, _, _ = safe
    got, code = _verdicts(lab, "safe-tag")
    bad = {k: v for k, v in got.items() if v[0] != "PASS"}
    assert code == 0 and not bad, bad


def test_strip_lb_plane2_fails_the_share_and_attribute_checks_naming_routers(strip):
    lab, _, _ = strip
    got, code = _verdicts(lab, "strip-lb-plane2")
    failed = {k: v[1] for k, v in got.items() if v[0] == "FAIL"}
    assert code == 1, got
    share = failed.get("shares:r1-f2-edge->r2-f3:by-neighbour", "")
    assert "r1-bag1" in share and "expected 66.7 %" in share, failed     # the design's 2:1 became 1:1
    assert "shares:r2-bag1->r1-f1:by-neighbour" not in failed, failed      # ECMP happens to give 3:1 there
    assert "from r1-bag2: 0" in failed.get("attributes:leaving-r1:lb=1", ""), failed
    assert not any(k.startswith("reach:") for k in failed), failed


def test_prefix_typo_fails_reachability_with_the_pairs(typo):
    lab, _, _ = typo
    got, code = _verdicts(lab, "prefix-typo")
    failed = sorted(k for k, v in got.items() if v[0] == "FAIL")
    assert code == 1 and failed == ["reach:r1-f1->r1-f2:ipv4", "reach:r2-f3->r1-f2:ipv4"], got
