"""k of a represented link's N ports down, without a lab: the fault built from the plan (the
reduced outbound maps and their undo), its journal form, its refusals, what it tells the oracle,
and the injector folding it in (actions recorded instead of run)."""
from __future__ import annotations

import json

import pytest

from lab.config.oracle import NONE, Failures, expected_routes
from lab.config.policy import load_policy, render_node
from lab.design.plan import build_plan
from lab.design.topology import load_text
from lab.errors import LabError
from lab.faults import Fault, FaultKind
from lab.faults.actions import ACTIONS, Configure
from lab.faults.journal import Journal
from lab.faults.members import MembersDown

from ..conftest import TOPOLOGIES

HUB_F1 = "        uplinks_per_bag_plane: 1\n        port_speed: 800G"
UPLINK = "r1-f1-p1s1~r1-bag1"


def represented(extra: str = "", interconnect: bool = False):
    text = (TOPOLOGIES / "bag-mini.yaml").read_text()
    text = text.replace(HUB_F1, HUB_F1.replace("port_speed", "represents: 4\n        port_speed"))
    if interconnect:
        text = text.replace("    links_per_bundle: 1\n", "    links_per_bundle: 1\n    represents: 2\n")
    return build_plan(load_text(text + extra, "members"))


@pytest.fixture(scope="module")
def plan():
    return represented()


def configs(plan):
    pol = load_policy(None, plan)
    return lambda node: render_node(plan, plan.node(node), "/tmp/log", frozenset(), pol).text


def uplink(plan):
    return next(l for l in plan.links if l.bundle == UPLINK)


def build(plan, down=2, link=None, drained=None):
    return MembersDown.build(plan, link or uplink(plan), down, configs(plan), drained)


def test_the_origin_advertises_a_reduced_copy_of_its_map_and_the_undo_rebinds_the_normal_one(plan):
    link = uplink(plan)
    assert (link.represents, link.lb_value, link.lb_with(2)) == (4, 3200, 1600)
    f = build(plan)
    assert f.kind is FaultKind.MEMBERS and f.links == [] and f.members_down == [[link.id, 2]]
    assert f.target == f"{UPLINK} member 1: 2 of 4 ports down"
    [do], [undo] = f.actions, f.inverse
    assert isinstance(do, Configure) and do.node == "r1-f1-p1s1" == undo.node
    v4, v6 = (link.b.ipv4.split("/")[0], link.b.ipv6.split("/")[0])
    assert do.lines[:4] == ["route-map ORIGIN4-3200-M1600 permit 10", " match ip address prefix-list OWN4",
                            " set extcommunity bandwidth 1600", "exit"]
    assert " match ipv6 address prefix-list OWN6" in do.lines
    assert f"  neighbor {v4} route-map ORIGIN4-3200-M1600 out" in do.lines
    assert f"  neighbor {v6} route-map ORIGIN6-3200-M1600 out" in do.lines
    assert do.lines[-2:] == [f"do clear bgp {v4} soft out", f"do clear bgp {v6} soft out"]
    assert f"  neighbor {v4} route-map ORIGIN4-3200 out" in undo.lines
    assert not any(l.startswith("route-map") for l in undo.lines)
    assert undo.lines[-2:] == do.lines[-2:]                       # re-advertised either way


def test_with_link_transit_both_ends_configure_the_reduced_value():
    plan = represented("policy:\n  transit_bandwidth: link\n")
    f = build(plan)
    assert [a.node for a in f.actions] == ["r1-f1-p1s1", "r1-bag1"] and f.scope["configured"] == ["r1-f1-p1s1", "r1-bag1"]
    bag = f.actions[1].lines
    assert "route-map TRANSIT-3200-M1600 permit 10" in bag and " set extcommunity bandwidth 1600" in bag


def test_the_fault_round_trips_through_the_journal_and_old_journals_load(plan, tmp_path):
    f = build(plan).numbered(7)
    back = Fault.from_json(json.loads(json.dumps(f.to_json())))
    assert type(back) is MembersDown and back == f
    old = {k: v for k, v in f.to_json().items() if k != "members_down"}
    assert Fault.from_json(old).members_down == []
    assert "configure" in ACTIONS and Configure("n", ["a", "b"]).to_json() == {"op": "configure", "node": "n",
                                                                               "lines": ["a", "b"]}


def test_failures_carry_the_ports_down_and_the_oracle_weights_move(plan):
    f = build(plan)
    assert f.failures == Failures.of(members_down=[(uplink(plan).id, 2)])
    assert f.failures.down_on(uplink(plan)) == 2
    before, after = expected_routes(plan, NONE), expected_routes(plan, f.failures)
    assert sorted(h.weight for h in before["r1-bag1"]["198.19.0.0/24"]) == [50, 50]
    assert sorted(h.weight for h in after["r1-bag1"]["198.19.0.0/24"]) == [33, 66]
    assert sorted(h.weight for h in after["r2-bag2"]["198.19.0.0/24"]) != [50, 50]   # the cumulative sum shrank


@pytest.mark.parametrize("down, message", [
    (4, "stands for 4 ports: 4 down is the link down, take the link down instead"),
    (5, "stands for only 4 ports, not 5"),
    (0, "ports down must be at least 1, not 0"),
])
def test_a_count_that_is_not_a_partial_failure_is_refused(plan, down, message):
    with pytest.raises(LabError, match=message):
        build(plan, down)


def test_a_link_of_one_port_is_refused(plan):
    single = next(l for l in plan.links if l.represents == 1)
    with pytest.raises(LabError, match="stands for one port: fail the link itself"):
        build(plan, 1, single)


def test_an_inter_bag_link_with_cumulative_transit_is_refused_saying_why():
    plan = represented(interconnect=True)
    ic = next(l for l in plan.links if l.represents == 2 and plan.node(l.a.node).role == "bag"
              and plan.node(l.b.node).role == "bag")
    with pytest.raises(LabError, match="neither end .* configures a value .* sum of its multipaths, which does not "
                                       "depend on the link"):
        build(plan, 1, ic)


def test_an_emulated_origin_is_refused():
    text = (TOPOLOGIES / "bag-routes.yaml").read_text().replace("        emulator: bulk\n",
                                                                   "        emulator: bulk\n        represents: 4\n")
    plan = build_plan(load_text(text, "routes"))
    link = next(l for l in plan.links if l.represents == 4)
    with pytest.raises(LabError, match=r"is an emulated fabric \(bulk\): the link-bandwidth it announces is fixed"):
        build(plan, 1, link)


def test_a_drained_end_is_refused(plan):
    with pytest.raises(LabError, match=r"r1-f1-p1s1 is drained \(drain 3\): undrain it first"):
        build(plan, drained={"r1-f1-p1s1": 3})


# -- through the injector, actions recorded instead of run --------------------------------------
@pytest.fixture
def injector(recording_injector, plan):
    return recording_injector(plan, "mbrunit")


def test_the_injector_journals_it_folds_it_into_failures_and_restore_undoes_it(plan, injector):
    fi, ran = injector
    f = fi.members(uplink(plan), 2)
    assert ran == f.actions and fi.failures().members_down == {(uplink(plan).id, 2)}
    assert Journal(fi.paths.root / "faults.json").read().faults[0] == f
    with pytest.raises(LabError, match="already has ports down \\(fault 1\\): restore it first"):
        fi.members(uplink(plan), 1)
    fi.restore()
    assert ran[-1] == f.inverse[0] and fi.failures() == NONE


def test_drains_and_reduced_values_on_one_router_exclude_each_other(plan, injector):
    fi, _ = injector
    f = fi.members(uplink(plan), 1)
    with pytest.raises(LabError, match=f"r1-f1-p1s1 advertises a reduced link-bandwidth \\(fault {f.id}"):
        fi.drain_nodes(["r1-f1-p1s1"])
    fi.restore()
    d = fi.drain_nodes(["r1-f1-p1s1"])
    with pytest.raises(LabError, match=f"r1-f1-p1s1 is drained \\(drain {d.id}\\)"):
        fi.members(uplink(plan), 1)


def test_the_cli_injects_it_and_restore_undoes_it(plan, injector):
    from typer.testing import CliRunner

    from lab.cli import app

    fi, ran = injector
    r = CliRunner().invoke(app, ["fault", "members", UPLINK, "--down", "2", "--name", "mbrunit", "--no-wait"])
    assert r.exit_code == 0, r.output
    assert fi.failures().members_down == {(uplink(plan).id, 2)} and isinstance(ran[-1], Configure)
    r = CliRunner().invoke(app, ["fault", "members", UPLINK, "--down", "4", "--name", "mbrunit", "--no-wait"])
    assert r.exit_code != 0 and "already has ports down" in str(r.exception)
    r = CliRunner().invoke(app, ["restore", "--name", "mbrunit", "--no-wait"])
    assert r.exit_code == 0, r.output
    assert fi.failures() == NONE and "route-map ORIGIN4-3200 out" in " ".join(ran[-1].lines)
