"""The topology's ``frr:`` rules, ``--frr``, the rendered version line and the clear errors for
versions baglab cannot run (no root: the roots themselves are for the live tests)."""
from __future__ import annotations

import pytest

from lab.config.render import render_frr
from lab.errors import LabError
from lab.design.frr_spec import FrrSpec
from lab.design.plan import build_plan
from lab.design.node_kinds import FRR, kind_of
from lab.design.plan.steps.versions import with_frr, with_native
from lab.design.topology import TopologyError, load_text
from lab.frr.roots import recipe_hash
from lab.design.frr_versions import SUITES
from lab.frr.root import in_root

from ..conftest import TOPOLOGIES

MINI = (TOPOLOGIES / "bag-mini.yaml").read_text()


def _versions(extra: str) -> dict[str, str | None]:
    plan = build_plan(load_text(MINI + extra))
    return {n.name: n.frr for n in plan.nodes}


def test_the_most_specific_rule_wins():
    v = _versions('frr: {default: "8.4", roles: {bag: "10.3"}, regions: {r2: "10.7"}, planes: {"1": "8.4"},'
                  ' nodes: {r2-bag1: "10.3"}}\n')
    assert (v["r1-bag1"], v["r1-bag2"], v["r2-bag1"], v["r2-bag2"]) == ("8.4", "10.3", "10.3", "10.7")
    assert v["r1-f1-p1s1"] == "10.3" or v["r1-f1-p1s1"] == "8.4"


def test_a_bare_version_is_every_routers_and_emulators_get_none():
    plan = build_plan(load_text(MINI + "frr: 10.3\n"))
    assert {n.frr for n in plan.nodes if n.emulator == "frr" and n.role != "collector"} == {"10.3"}
    assert all(n.frr is None for n in plan.nodes if n.emulator != "frr" or n.role == "collector")


def test_no_frr_key_keeps_the_plan_as_before(mini):
    plan = mini
    assert all(n.frr is None for n in plan.nodes)
    assert '"frr":' not in plan.to_json()


def test_an_unknown_version_names_the_line_and_what_is_known():
    with pytest.raises(TopologyError) as e:
        build_plan(load_text(MINI + 'frr:\n  nodes: {r2-bag2: "9.1"}\n'))
    assert str(e.value).startswith("<string>:71: frr.nodes.r2-bag2: FRR 9.1 is not")
    assert all(v in str(e.value) for v in SUITES)


def test_an_unknown_node_is_an_error():
    with pytest.raises(TopologyError, match="no node 'r9-bag1'"):
        build_plan(load_text(MINI + 'frr:\n  nodes: {r9-bag1: "10.3"}\n'))


def test_cli_override_sets_every_router_and_rejects_unknown_versions(mini):
    plan = with_frr(mini, "10.7")
    assert {n.frr for n in plan.nodes if n.emulator == "frr" and n.role != "collector"} == {"10.7"}
    with pytest.raises(LabError, match="known are 8.4, 10.3, 10.7"):
        with_frr(plan, "11.0")


def test_routers_without_a_version_are_pinned_to_a_runtime_that_runs_another():
    """A trixie host runs 10.3: its unversioned routers must be rendered and judged as 10.3, not
    as the 8.4 the template assumes; on an 8.4 host (or image) the plan stays as it was."""
    topo = load_text((TOPOLOGIES / "bag-mini.yaml").read_text() + 'frr: {nodes: {r1-bag1: "10.7"}}\n')
    plan = build_plan(topo)
    assert with_native(plan, "8.4") == plan
    pinned = with_native(plan, "10.3")
    frr = {n.name: n.frr for n in pinned.nodes if kind_of(n) is FRR}
    assert frr.pop("r1-bag1") == "10.7" and set(frr.values()) == {"10.3"}
    assert all(n.frr is None for n in pinned.nodes if kind_of(n) is not FRR)
    assert "\nfrr version 10.3\n" in render_frr(pinned, "/run/baglab/x/nodes")["r1-bag2"].text


def test_the_config_says_the_routers_version():
    plan = build_plan(load_text(MINI + 'frr:\n  nodes: {r2-bag2: "10.3"}\n'))
    rendered = render_frr(plan, "/run/baglab/x/nodes")
    assert "\nfrr version 10.3\n" in rendered["r2-bag2"].text
    assert "\nfrr version 8.4\n" in rendered["r2-bag1"].text


@pytest.mark.skipif(not __import__("shutil").which("vtysh"), reason="no FRR (nor its frr user) on this host")
def test_each_version_has_its_own_recipe():
    from lab.frr.roots import recipe
    assert len({recipe_hash(recipe(v)) for v in SUITES}) == len(SUITES)


def test_host_routers_run_unwrapped_and_rooted_ones_chroot():
    assert in_root(None, ["zebra"]) == ["zebra"]
    argv = in_root(__import__("pathlib").Path("/r"), ["/usr/lib/frr/zebra", "-d"])
    assert argv[:2] == ["unshare", "--mount"] and argv[-4::3] == ["/r", "-d"] and argv[-2] == "/usr/lib/frr/zebra"


def test_a_state_root_outside_run_is_bound_into_the_root(monkeypatch):
    monkeypatch.setenv("BAGLAB_STATE", "/srv/labs")
    argv = in_root(__import__("pathlib").Path("/r"), ["zebra"])
    assert argv[-3:] == ["/r", "/srv/labs", "zebra"] and 'mount --rbind "$state" "$root$state"' in argv[-5]


def test_spec_lookup_ignores_planes_for_non_bag_routers():
    s = FrrSpec(planes={"1": "10.3"})
    assert s.version_for("r1-f1-p1s1", "stsw", "r1", 1) is None
    assert s.version_for("r1-bag1", "bag", "r1", 1) == "10.3"


def test_a_version_without_a_built_root_is_one_clear_error(monkeypatch, tmp_path):
    from lab.frr import roots as frr_roots
    monkeypatch.setattr(frr_roots, "CACHE", tmp_path)
    monkeypatch.setattr(frr_roots, "host_version", lambda: "8.4")
    assert frr_roots.resolve(None) is None and frr_roots.resolve("8.4") is None
    with pytest.raises(LabError, match=r"FRR 10\.7 is not available: available are 8\.4 .*make frr-roots"):
        frr_roots.resolve("10.7")


@pytest.mark.parametrize("rule, message", [
    ('frr: {regions: {rX: "10.3"}}\n', "frr.regions.rX: no region 'rX' in this topology (known: r1, r2)"),
    ('frr: {roles: {bags: "10.3"}}\n', "frr.roles.bags: no role 'bags'"),
    ('frr: {planes: {"9": "10.3"}}\n', "frr.planes.9: no plane '9' in this topology (known: 1, 2)"),
])
def test_a_rule_for_something_the_topology_lacks_is_an_error(rule, message):
    with pytest.raises(TopologyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_plan(load_text(MINI + rule))


def test_planes_may_be_written_as_numbers():
    v = _versions('frr: {planes: {2: "10.3"}}\n')
    assert (v["r1-bag1"], v["r1-bag2"], v["r2-bag2"]) == (None, "10.3", "10.3")
