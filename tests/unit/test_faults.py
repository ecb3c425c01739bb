"""Typed faults without a lab: actions are recorded instead of run, the journal lives in tmp.

What matters here is what another process reads back: ids from the journal's counter, every
action and kind surviving a JSON round trip, the old list format still restorable, restore and
undrain choosing faults by fields, and a journal this version cannot understand failing loudly.
"""
from __future__ import annotations

import json
import os
import stat

import pytest
from typer.testing import CliRunner

from lab import state
from lab.errors import LabError
from lab.faults import Fault, FaultInjector, FaultKind
from lab.faults.actions import (ACTIONS, ClearSession, Configure, DrainSync, Kill, LinkState, MacsecKey, Md5, NftDrop,
                                Signal, Start, action_from_json)
from lab.faults.impairment import ImpairPort
from lab.faults.journal import Journal, parse
from lab.faults.kinds import FAULT_TYPES


EVERY_ACTION = [LinkState("n", "eth1", "down"), NftDrop("n", "eth1"), NftDrop("n", "eth1", drop=False),
                Kill("n", "TERM"), Start("n"), Signal("n", "withdraw"), MacsecKey("n", 3, "wrong"),
                Md5("n", ["10.0.0.1", "fd00::1"], "secret"), DrainSync("n", 4), DrainSync("n"),
                ClearSession("n", "10.0.0.1"), ImpairPort("n", "mw12a", "r2-bag1-1", "shim", {"loss": 2.0}),
                ImpairPort("n", "eth1", "eth1", "netem", None), Configure("n", ["router bgp 1", "exit"])]


@pytest.fixture
def ran(monkeypatch):
    """Every action records itself instead of touching the host."""
    log: list = []
    for cls in ACTIONS.values():
        monkeypatch.setattr(cls, "apply", lambda self, ctx: log.append(self))
    return log


@pytest.fixture
def lab(tmp_path, monkeypatch, ran, mini):
    monkeypatch.setattr(state, "STATE_ROOT", tmp_path)
    plan = mini
    paths = state.LabPaths("tfunit")
    paths.root.mkdir()
    paths.plan_file.write_text(plan.to_json())
    return plan, paths, FaultInjector(plan, paths)


def journal_doc(paths) -> dict:
    return json.loads((paths.root / "faults.json").read_text())


def test_every_action_type_round_trips_through_json():
    assert {a.op for a in EVERY_ACTION} == set(ACTIONS)
    for a in EVERY_ACTION:
        assert action_from_json(json.loads(json.dumps(a.to_json()))) == a


def test_every_kind_round_trips_through_json():
    for i, kind in enumerate(FaultKind, 1):
        for cls in FAULT_TYPES.values():
            f = cls(i, kind, f"target {i}", started=1.5, links=[1, 2], nodes=["a"], withdrawn=["w"],
                    drained=[["a", 1]], scope={"plane": 1, "region": None}, actions=EVERY_ACTION[:3],
                    inverse=EVERY_ACTION[3:], restored=None)
            back = Fault.from_json(json.loads(json.dumps(f.to_json())))
            assert type(back) is cls and back == f and back.kind is kind


def test_kind_reads_as_its_text():
    assert FaultKind.PLANE == "plane" and f"{FaultKind.DRAIN_LINK}" == "drain-link"
    assert json.dumps({"k": FaultKind.NODE_POWER}) == '{"k": "node-power"}'


def test_ids_come_from_the_counter_and_survive_restore_and_deletion(lab, ran):
    plan, paths, fi = lab
    f1 = fi.link(plan.links[0])
    fi.restore(f1)
    real = LinkState.apply
    boom = {"left": 1}

    def fail_once(self, ctx):
        if self.state == "down" and boom["left"]:
            boom["left"] -= 1
            raise RuntimeError("no such device")
        real(self, ctx)
    LinkState.apply = fail_once
    try:
        with pytest.raises(RuntimeError):
            fi.link(plan.links[1])
    finally:
        LinkState.apply = real
    f3 = fi.node(plan.nodes[0].name)
    assert (f1.id, f3.id) == (1, 3)
    assert [f.id for f in fi.faults()] == [1, 3] and journal_doc(paths)["next_id"] == 4
    assert fi.faults()[0].restored is not None
    assert stat.S_IMODE(os.stat(paths.root / "faults.json").st_mode) == 0o600


def test_a_failed_fault_is_rolled_back_and_forgotten(lab, ran, monkeypatch):
    plan, paths, fi = lab

    def refuse(self, ctx):
        ran.append(self)
        raise LabError("refused")
    monkeypatch.setattr(Kill, "apply", refuse)
    with pytest.raises(LabError, match="refused"):
        fi.node("r1-bag1", "power")
    ports = [l.end("r1-bag1").port for l in plan.links_of("r1-bag1")]
    assert ran[:len(ports)] == [LinkState("r1-bag1", p, "down") for p in ports]
    # best effort, every inverse in reverse order: the daemons' start, then the ports up
    assert ran[len(ports) + 1:] == [Start("r1-bag1")] + [LinkState("r1-bag1", p, "up") for p in reversed(ports)]
    assert fi.faults() == []


def test_restore_starts_daemons_last(lab, ran):
    plan, paths, fi = lab
    f = fi.plane(1, "r1")
    ran.clear()
    fi.restore(f)
    starts = [a for a in ran if isinstance(a, Start)]
    assert starts and ran[-len(starts):] == starts
    assert {a.node for a in starts} == set(f.nodes) and f.matches(plane=1, region="r1")


def test_drain_undo_resyncs_without_itself(lab, ran):
    plan, paths, fi = lab
    fi.link(plan.links[0])
    d = fi.drain_nodes(["r1-bag1"])
    assert d.id == 2 and d.scope == {"nodes": ["r1-bag1"]}
    assert fi.faults()[1].inverse == [DrainSync("r1-bag1", 2)]
    with pytest.raises(LabError, match="already drained"):
        fi.drain_nodes(["r1-bag1"])
    ran.clear()
    fi.restore(d)
    assert ran == [DrainSync("r1-bag1", 2)]


def test_restore_keeps_drains_when_asked_and_matches_by_id(lab, ran):
    plan, paths, fi = lab
    d = fi.drain_plane(1, "r1")
    f = fi.node("r2-bag1", "crash")
    g = fi.link(plan.links[0])
    assert [x.id for x in fi.restore(f)] == [f.id]
    assert {x.id for x in fi.active()} == {d.id, g.id}
    assert [x.id for x in fi.restore(drains=False)] == [g.id]
    assert [x.id for x in fi.drains()] == [d.id]


def test_scopes_are_fields(lab):
    plan, paths, fi = lab
    bundle = plan.links[0].bundle
    assert fi.plane(2).matches(plane=2, region=None)
    b = fi.bundle(bundle, [1])
    assert b.matches(bundle=bundle, members=[1], side="both", mode="admin") and b.kind == "bundle-members"
    dom = fi.domain("data_hall", "dh1a")
    assert dom.kind == "data-hall" and dom.matches(domain="data_hall", label="dh1a")
    assert fi.drain_links([l for l in plan.links if l.bundle == bundle], bundle).matches(bundle=bundle)


def undrain(paths, *args):
    from lab.cli import app
    return CliRunner().invoke(app, ["undrain", *args, "--name", paths.name, "--no-wait"])


def test_undrain_matches_fields_not_text(lab, ran):
    plan, paths, fi = lab
    p1 = fi.drain_plane(1, "r1")
    p1_all = fi.drain_plane(1)
    node = fi.drain_nodes(["r2-bag2"])
    bundle = plan.links[0].bundle
    link = fi.drain_links([l for l in plan.links if l.bundle == bundle][:1], f"{bundle} members [1]")
    r = undrain(paths, "plane", "1", "--region", "r1")
    assert r.exit_code == 0, r.output
    assert {f.id for f in fi.drains()} == {p1_all.id, node.id, link.id}
    assert undrain(paths, "node", "r2-bag2").exit_code == 0
    assert undrain(paths, "link", bundle).exit_code == 0
    assert [f.id for f in fi.drains()] == [p1_all.id]
    assert undrain(paths, "plane", "1").exit_code == 0 and fi.drains() == [] and p1.id == 1


OLD_JOURNAL = [
    {"id": 1, "kind": "node-power", "target": "r1-bag1", "started": 5.0, "links": [], "nodes": ["r1-bag1"],
     "withdrawn": [], "drained": [], "undo": [["link", "r1-bag1", "eth1", "up"], ["start", "r1-bag1"]],
     "restored": None},
    {"id": 2, "kind": "drain-plane", "target": "BAG plane 1 of r1", "started": 6.0, "links": [], "nodes": [],
     "withdrawn": [], "drained": [["r1-bag1", 0]], "undo": [["drain-sync", "r1-bag1", 2]], "restored": None},
    {"id": 3, "kind": "md5-mismatch", "target": "x member 1 (r1-bag1)", "started": 7.0, "links": [4], "nodes": [],
     "withdrawn": [], "drained": [], "undo": [["md5", "r1-bag1", ["10.0.0.1"], "pw"], ["nft-undrop", "r1-bag1", "e"],
                                             ["kill", "r1-bag1", "KILL"], ["signal", "f", "announce"],
                                             ["macsec-key", "r1-bag1", 4, "right"], ["clear", "r1-bag1", "a"]],
     "restored": 8.0},
]


def test_the_old_list_journal_is_read_and_restored(lab, ran):
    plan, paths, fi = lab
    (paths.root / "faults.json").write_text(json.dumps(OLD_JOURNAL))
    old = fi.faults()
    assert [f.id for f in old] == [1, 2, 3] and old[1].matches(plane=1, region="r1")
    assert old[2].inverse[0] == Md5("r1-bag1", ["10.0.0.1"], "pw") and old[2].inverse[1] == NftDrop("r1-bag1", "e", False)
    assert undrain(paths, "plane", "1", "--region", "r1").exit_code == 0
    assert ran == [DrainSync("r1-bag1", 2)]
    ran.clear()
    fi.restore()
    assert ran == [LinkState("r1-bag1", "eth1", "up"), Start("r1-bag1")]
    assert journal_doc(paths)["next_id"] == 4 and fi.node("r2-bag1").id == 4


@pytest.mark.parametrize("doc, message", [
    ({"next_id": 2, "faults": [{"type": "nodes", "id": 1, "kind": "node-melt", "target": "x", "undo": []}]},
     "unknown fault kind 'node-melt'"),
    ({"next_id": 2, "faults": [{"type": "nodes", "id": 1, "kind": "nodes", "target": "x",
                                "undo": [{"op": "teleport", "node": "x"}]}]}, "unknown action op 'teleport'"),
    ({"next_id": 2, "faults": [{"type": "gremlin", "id": 1, "kind": "nodes", "target": "x", "undo": []}]},
     "unknown fault type 'gremlin'"),
    ({"next_id": 2, "faults": [{"type": "nodes", "id": 1, "kind": "nodes", "target": "x",
                                "undo": [{"op": "link", "node": "x"}]}]}, "has fields"),
    ([{"id": 1, "kind": "nodes", "target": "x", "undo": [["teleport", "x"]]}], "unknown step"),
    ([{"id": 1, "kind": "node-melt", "target": "x", "undo": []}], "unknown fault kind"),
])
def test_a_journal_this_version_cannot_read_is_a_clear_error(doc, message):
    with pytest.raises(LabError, match=message):
        parse(doc)


def test_unreadable_journal_is_an_error_and_none_is_empty(tmp_path):
    j = Journal(tmp_path / "faults.json")
    assert j.read().faults == [] and j.read().next_id == 1
    j.path.write_text("[{")
    with pytest.raises(LabError, match="not JSON"):
        j.read()


def test_an_unknown_kind_from_a_caller_is_refused_before_anything_runs(lab, ran):
    plan, paths, fi = lab
    with pytest.raises(LabError, match="unknown fault kind 'meteor'"):
        fi.nodes(["r1-bag1"], kind="meteor")
    assert ran == [] and fi.faults() == []


def test_cli_prints_faults_as_before(lab, ran):
    from lab.cli import app
    plan, paths, fi = lab
    r = CliRunner().invoke(app, ["fault", "node", "r1-bag1", "--mode", "power", "--name", paths.name, "--no-wait"])
    assert r.exit_code == 0 and "fault 1: node-power r1-bag1" in r.output, r.output
    r = CliRunner().invoke(app, ["faults", "--name", paths.name])
    assert "node-power" in r.output and "FaultKind" not in r.output, r.output
    r = CliRunner().invoke(app, ["restore", "1", "--name", paths.name, "--no-wait"])
    assert r.exit_code == 0 and "restored 1 fault(s)" in r.output, r.output


def test_a_protected_link_is_pulled_at_the_cable_and_shut_at_the_router(lab, ran):
    """admin acts on the port (on a protected link the wire under the SecY), shut on the routers'
    own interfaces: the reference a carrier loss is measured against."""
    plan, paths, fi = lab
    l = next(l for l in plan.links if l.a.wire)
    fi.link(l, mode="admin")
    fi.link(l, mode="shut")
    assert [(a.node, a.ifname) for a in ran] == [(l.a.node, l.a.wire), (l.b.node, l.b.wire),
                                                 (l.a.node, l.a.ifname), (l.b.node, l.b.ifname)]
    assert fi.faults()[-1].kind == "link-shut"
