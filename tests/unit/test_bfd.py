"""BFD as policy, no root: the schema, each link's resolved timers, the rendered
profiles and neighbour lines, bfdd's own config file, and the judgement of bfdd's peer list."""
from __future__ import annotations

import shutil
import textwrap

import pytest
import yaml

from lab.config.daemon_split import split_by_daemon
from lab.config.frrcheck import rejections
from lab.config.render import render_node
from lab.errors import TopologyError
from lab.observe.bfd import Peer, judge, link_states, planned
from lab.design.plan import Plan, build_plan
from lab.design.topology import load_text

from ..conftest import TOPOLOGIES

MINI = (TOPOLOGIES / "bag-mini.yaml").read_text()


def mini_with(policy_bfd=None, f1=None, f2=None, interconnect=None, bulk_f2=False) -> str:
    """bag-mini's YAML with BFD settings added where given (None: key absent)."""
    t = yaml.safe_load(MINI)
    if policy_bfd is not None:
        t["policy"] = {"bfd": policy_bfd}
    fabrics = {f["name"]: f for r in t["regions"] for f in r["fabrics"]}
    for name, v in (("f1", f1), ("f2", f2)):
        if v is not None:
            fabrics[name]["bfd"] = v
    if interconnect is not None:
        t["interconnects"][0]["bfd"] = interconnect
    if bulk_f2:
        fabrics["f2"]["emulator"] = "bulk"
    return yaml.safe_dump(t, sort_keys=False)


def plan_of(text: str) -> Plan:
    return build_plan(load_text(text, "t.yaml"))


def timers(plan: Plan, bundle: str):
    b = next(l for l in plan.links if l.bundle == bundle).bfd
    return b and (b.interval_ms, b.multiplier)


@pytest.fixture(scope="module")
def bfd_plan() -> Plan:
    return plan_of(mini_with({"interval_ms": 300, "multiplier": 3}, f1={"interval_ms": 500, "multiplier": 4},
                             f2="off"))


def test_without_bfd_no_link_has_it_and_the_plan_is_as_before(mini):
    assert not any(l.bfd for l in mini.links)
    assert '"bfd"' not in mini.to_json(), "plans without BFD (and their digests) must not change"
    for n in mini.nodes:
        if n.emulator == "frr":
            text = render_node(mini, n, "/x.log")
            assert "\nbfd\n" not in text and " bfd profile " not in text, n.name


def test_policy_and_overrides_resolve_per_link(bfd_plan):
    assert timers(bfd_plan, "r1-bag1~r2-bag1") == (300, 3)          # the policy's
    assert timers(bfd_plan, "r2-f3-p1s1~r2-bag1") == (300, 3)
    assert timers(bfd_plan, "r1-f1-p1s1~r1-bag1") == (500, 4)       # the fabric's own
    assert timers(bfd_plan, "r1-f2-edge~r1-bag1") is None           # the fabric's 'off'
    assert all(l.bfd is None for l in bfd_plan.links if l.kind == "collector"), "ExaBGP speaks no BFD"
    assert Plan.from_json(bfd_plan.to_json()) == bfd_plan


def test_interconnect_override_and_yaml_off_words():
    p = plan_of(mini_with({"interval_ms": 300, "multiplier": 3}, interconnect={"interval_ms": 100, "multiplier": 5}))
    assert timers(p, "r1-bag1~r2-bag1") == (100, 5) and timers(p, "r1-f1-p1s1~r1-bag1") == (300, 3)
    for off in (False, "off"):      # YAML 1.1 reads a bare off as false
        text = mini_with({"interval_ms": 300, "multiplier": 3}, interconnect=off)
        assert timers(plan_of(text), "r1-bag1~r2-bag1") is None, off
    bare = MINI.replace("    macsec: required\n", "    macsec: required\n    bfd: off\n") + "policy: {bfd: {}}\n"
    assert "bfd: off" in bare and timers(plan_of(bare), "r1-bag1~r2-bag1") is None
    assert timers(plan_of(bare), "r1-f1-p1s1~r1-bag1") == (300, 3), "the defaults: 300 ms x 3"
    # an override alone turns BFD on where the policy has none
    assert timers(plan_of(mini_with(f1={"interval_ms": 50, "multiplier": 3})), "r1-f1-p1s1~r1-bag1") == (50, 3)


@pytest.mark.parametrize("bfd, words", [({"interval_ms": 5, "multiplier": 3}, "greater than or equal to 10"),
                                        ({"interval_ms": 300, "multiplier": 1}, "greater than or equal to 2"),
                                        ({"interval_ms": 300, "multiplier": 3, "mult": 3}, "mult"),
                                        ({"interval_ms": "300", "multiplier": 3}, "integer")])
def test_bad_timers_are_one_error_naming_file_and_line(bfd, words):
    text = mini_with(bfd)
    with pytest.raises(TopologyError) as exc:
        plan_of(text)
    msg = str(exc.value)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("policy:"))
    assert "t.yaml" in msg and words in msg and any(f":{n}" in msg or f"line {n}" in msg for n in range(line, line + 5)), msg


def test_bfd_needs_frr_at_both_ends():
    bulk = MINI.replace("        kind: dsf\n", "        kind: dsf\n        emulator: bulk\n        bfd: {interval_ms: 300}\n")
    with pytest.raises(TopologyError, match="bulk emulator has no BFD"):
        plan_of(bulk)
    extra = MINI + textwrap.dedent("""\
        links:
          - {a: r1-bag1, b: coll2, bfd: {interval_ms: 300}}
        """)
    with pytest.raises(TopologyError, match=r"links\[0\]"):
        plan_of(extra)
    # the policy's default simply skips a bulk fabric's uplinks
    p = plan_of(mini_with({"interval_ms": 300}, bulk_f2=True))
    assert timers(p, "r1-f2-edge~r1-bag1") is None and timers(p, "r1-f1-p1s1~r1-bag1") == (300, 3)


def test_rendering_one_profile_per_timer_pair_and_each_neighbour_bound(bfd_plan):
    text = render_node(bfd_plan, bfd_plan.node("r1-bag1"), "/x.log")
    assert text.count("\nbfd\n") == 1
    assert text.count("\n profile bfd-300x3\n") == 1 and text.count("\n profile bfd-500x4\n") == 1
    bound = {line.split()[1]: line.split()[-1] for line in text.splitlines() if " bfd profile " in line}
    want = {a: f"bfd-{b.interval_ms}x{b.multiplier}" for a, (_, b) in planned(bfd_plan, "r1-bag1").items()}
    assert bound == want and len(want) == 12        # 6 links with BFD, two families each
    edge = render_node(bfd_plan, bfd_plan.node("r1-f2-edge"), "/x.log")
    assert "\nbfd\n" not in edge and " bfd profile " not in edge, "the DSF fabric has BFD off"


def test_bfd_block_goes_to_bfdd_alone(bfd_plan):
    files = split_by_daemon(render_node(bfd_plan, bfd_plan.node("r1-bag1"), "/x.log"))
    assert set(files) == {"zebra", "bfdd", "bgpd"}
    assert "detect-multiplier 3" in files["bfdd"] and "hostname r1-bag1" in files["bfdd"]
    assert "router bgp" not in files["bfdd"] and "zebra nexthop" not in files["bfdd"]
    assert "detect-multiplier" not in files["bgpd"] + files["zebra"]
    assert "bfd profile bfd-300x3" in files["bgpd"]


@pytest.mark.skipif(shutil.which("vtysh") is None, reason="FRR's vtysh is not installed")
def test_frr_parses_the_rendered_bfd_config(bfd_plan):
    for node in ("r1-bag1", "r2-bag2", "r1-f1-p1s1"):
        assert rejections(render_node(bfd_plan, bfd_plan.node(node), "/x.log")) == [], node


def test_judge_names_sessions_down_missing_or_with_other_timers(bfd_plan):
    want = planned(bfd_plan, "r2-bag1")
    seen = {a: Peer(a, "up", b.interval_ms, b.multiplier) for a, (_, b) in want.items()}
    assert judge(bfd_plan, "r2-bag1", seen) == {"planned": 12, "up": 12, "not_up": [], "timers_differ": [],
                                                 "unplanned": []}
    down, gone, slow = list(want)[:3]
    seen[down] = Peer(down, "down", 300, 3)
    del seen[gone]
    seen[slow] = Peer(slow, "up", 1000, 3)
    seen["198.18.9.9"] = Peer("198.18.9.9", "up", 300, 3)
    j = judge(bfd_plan, "r2-bag1", seen)
    assert j["up"] == 10 and len(j["not_up"]) == 2 and "missing" in " ".join(j["not_up"])
    assert j["timers_differ"] == [f"{slow} (link {want[slow][0]}): 1000 ms x 3, planned 300 ms x 3"]
    assert j["unplanned"] == ["198.18.9.9"]
    # per link: down when either family is
    states = link_states(bfd_plan, {"r2-bag1": seen})
    assert states[want[down][0]]["r2-bag1"] == "down"
