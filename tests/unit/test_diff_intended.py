"""Intended changes that state values: a difference is intended only when the observed change is the
stated one (a typo'd community is unintended, named with both values); aspects alone work as before;
every path and the Adj-RIB-Out are compared; old snapshots still load and compare."""
from __future__ import annotations


import pytest

from lab.verdict.checks.schema import IntendedChange
from lab.workflows.diff import intended as judging
from lab.workflows.diff.compare import compare
from lab.workflows.diff.snapshot import Snapshot

from ..conftest import TOPOLOGIES
from .test_diff_compare import changed

P, Q = "198.19.2.0/24", "198.19.0.0/24"


def best(**kw) -> dict:
    base = {"as_path": ["4200000001 4200100002"], "local_pref": None, "communities": [], "large_communities": [],
            "ext_communities": [], "link_bandwidth": [1600.0], "multipaths": 1}
    return {**base, **kw}


def path(peer: str, addr: str, **kw) -> dict:
    base = {"peer": peer, "peer_addr": addr, "as_path": [4200000001, 4200100002], "communities": [],
            "large_communities": [], "link_bandwidth": [200000000], "local_pref": None, "med": None, "origin": "igp",
            "best": True, "multipath": True}
    return {**base, **kw}


def snap(**kw) -> Snapshot:
    s = Snapshot("bag-mini", "pd-b", None, 0.0, {"ok": True}, {P: ["r2-f3"], Q: ["r1-f1"]},
                 fib={"r1-bag1": {P: {"r2-bag1": 1.0}, Q: {"r1-f1-p1s1": 1.0}}},
                 bgp={"r1-bag1": {P: best(), Q: best(as_path=["4200100000"])}},
                 paths={"r1-bag1": {P: [path("r2-bag1", "198.18.0.29"),
                                        path("r1-f2-edge", "198.18.0.10", best=False, multipath=False,
                                             as_path=[4200100001, 4200000001, 4200100002])],
                                    Q: [path("r1-f1-p1s1", "198.18.0.0", as_path=[4200100000])]}},
                 advertised={"r1-bag1": {"r1-f1-p1s1": [P, Q], "r2-bag1": [Q]}})
    for k, v in kw.items():
        setattr(s, k, v)
    return s




def tagged(value: str) -> Snapshot:
    return changed(snap(), lambda c: c.bgp["r1-bag1"][P].update(communities=[value]))


# -- communities -----------------------------------------------------------------------------------

def test_a_typod_community_is_unintended_naming_observed_and_declared():
    ic = IntendedChange(communities={"added": ["64512:300"]}, why="tag BAG routes")
    rep = compare(snap(), tagged("65512:300"), [ic])
    (d,) = rep.unintended
    assert (d.aspect, d.router, d.prefix) == ("communities", "r1-bag1", P)
    assert d.mismatch == "communities added 65512:300, declared 64512:300"
    assert rep.intended == [] and rep.exit_code == 1
    # and the declared value was never seen anywhere
    assert rep.unfulfilled == ["communities added 64512:300 (tag BAG routes): declared, but no difference shows it"]


def test_the_declared_community_is_intended():
    rep = compare(snap(), tagged("64512:300"), [IntendedChange(communities={"added": ["64512:300"]}, why="tag")])
    assert [(d.aspect, d.intended_by) for d in rep.intended] == [("communities", "tag")]
    assert (rep.unintended, rep.unfulfilled, rep.exit_code) == ([], [], 0)


def test_aspects_only_accepts_any_value_as_before():
    rep = compare(snap(), tagged("65512:300"), [IntendedChange(aspects=["communities"])])
    assert len(rep.intended) == 1 and rep.unintended == [] and rep.unfulfilled == [] and rep.exit_code == 0
    assert rep.intended[0].intended_by == "* / * / communities"


def test_patterns_and_removals():
    base = changed(snap(), lambda c: c.bgp["r1-bag1"][P].update(communities=["64512:1", "65000:9"]))
    cand = changed(snap(), lambda c: c.bgp["r1-bag1"][P].update(communities=["64512:300", "65000:9"]))
    ok = IntendedChange(communities={"added": ["64512:3*"], "removed": ["64512:1"]})
    assert compare(base, cand, [ok]).exit_code == 0
    # removing 64512:1 is not declared: the same added value is no longer enough
    (d,) = compare(base, cand, [IntendedChange(communities={"added": ["64512:300"]})]).unintended
    assert d.mismatch == "communities removed 64512:1, declared removed none"
    # a declared removal that left the value on the routes
    kept = changed(snap(), lambda c: c.bgp["r1-bag1"][P].update(communities=["64512:1", "64512:300", "65000:9"]))
    (d,) = compare(base, kept, [ok]).unintended
    assert "declared removed 64512:1" in d.mismatch


def test_a_community_field_without_a_statement_must_not_change():
    cand = changed(tagged("64512:300"), lambda c: c.bgp["r1-bag1"][P].update(large_communities=["4200000000:1:2"]))
    rep = compare(snap(), cand, [IntendedChange(communities={"added": ["64512:300"]})])
    assert [d.detail for d in rep.intended] == [""]
    (d,) = rep.unintended
    assert d.detail == "large_communities" and d.mismatch == "large_communities added 4200000000:1:2, declared none"
    both = IntendedChange(communities={"added": ["64512:300"]}, large_communities={"added": ["4200000000:1:*"]})
    assert compare(snap(), cand, [both]).exit_code == 0


def test_statements_only_judge_the_routers_and_fabrics_they_name():
    cand = tagged("64512:300")
    assert compare(snap(), cand, [IntendedChange(nodes=["r2-*"], communities={"added": ["64512:300"]})]).unintended
    assert compare(snap(), cand, [IntendedChange(fabrics=["f1"], communities={"added": ["64512:300"]})]).unintended
    # another change accepting it wins over one stating another value
    rep = compare(snap(), cand, [IntendedChange(communities={"added": ["1:1"]}),
                                 IntendedChange(fabrics=["f3"], communities={"added": ["64512:300"]})])
    assert len(rep.intended) == 1 and rep.unintended == []
    assert rep.unfulfilled and "1:1" in rep.unfulfilled[0]


# -- link bandwidth, AS path -----------------------------------------------------------------------

def test_link_bandwidth_from_to_in_bytes_per_second():
    cand = changed(snap(), lambda c: c.bgp["r1-bag1"][P].update(link_bandwidth=[800.0]))    # FRR's Mbit/s
    assert compare(snap(), cand, [IntendedChange(link_bandwidth={"from": 200000000, "to": 100000000})]).exit_code == 0
    (d,) = compare(snap(), cand, [IntendedChange(link_bandwidth={"from": 200000000, "to": 50000000})]).unintended
    assert d.mismatch == "link_bandwidth 200000000 -> 100000000 bytes/s, declared 200000000 -> 50000000"
    assert compare(snap(), cand, [IntendedChange(link_bandwidth={"bytes_per_second": [100000000]})]).exit_code == 0
    stripped = changed(snap(), lambda c: c.bgp["r1-bag1"][P].update(link_bandwidth=[]))
    assert compare(snap(), stripped, [IntendedChange(link_bandwidth={"bytes_per_second": []})]).exit_code == 0
    (d,) = compare(snap(), stripped, [IntendedChange(link_bandwidth={"bytes_per_second": [100000000]})]).unintended
    assert d.mismatch == "link_bandwidth now none bytes/s (was 200000000), declared 100000000"


def test_as_path_prepend_at_the_receiver_and_further_on():
    direct = changed(snap(), lambda c: c.bgp["r1-bag1"][P].update(as_path=["4200000001 4200000001 4200000001 4200100002"]))
    prepend = IntendedChange(as_path={"prepended": [4200000001, 4200000001]})
    assert compare(snap(), direct, [prepend]).exit_code == 0
    # a router beyond the receiver: the run sits after the ASes in between
    far = changed(snap(), lambda c: c.bgp["r1-bag1"][P].update(as_path=["4200000001 4200100002 4200100002"]))
    assert compare(snap(), far, [IntendedChange(as_path={"prepended": [4200100002]})]).exit_code == 0
    (d,) = compare(snap(), direct, [IntendedChange(as_path={"prepended": [4200000002, 4200000002]})]).unintended
    assert d.mismatch == ("as_path 4200000001 4200000001 4200000001 4200100002 (was 4200000001 4200100002), "
                          "declared prepended 4200000002 4200000002")
    assert judging._inserted((1, 1, 1, 2), (1, 2), (1, 1)) and not judging._inserted((1, 2, 1), (1, 2), (1, 1))


def test_a_route_gone_is_no_prepend():
    gone = changed(snap(), lambda c: c.bgp["r1-bag1"].pop(P))
    rep = compare(snap(), gone, [IntendedChange(as_path={"prepended": [4200000001]})])
    d = next(d for d in rep.unintended if d.aspect == "as_path")
    assert d.change == {"kind": "presence", "direction": "going"} and "declared as_path values" in d.mismatch


# -- prefixes --------------------------------------------------------------------------------------

def _gone(s: Snapshot) -> None:
    s.fib["r1-bag1"].pop(P)
    s.bgp["r1-bag1"].pop(P)
    s.paths["r1-bag1"].pop(P)
    s.advertised["r1-bag1"]["r1-f1-p1s1"].remove(P)


def test_prefixes_going_in_every_aspect_that_shows_it():
    cand = changed(snap(), _gone)
    rep = compare(snap(), cand, [IntendedChange(prefixes={"going": [P]}, why="retire")])
    assert sorted(d.aspect for d in rep.intended) == ["advertised", "as_path", "fib"]
    assert rep.exit_code == 0
    adv = next(d for d in rep.intended if d.aspect == "advertised")
    assert (adv.before, adv.after, adv.detail) == ("sent", "not sent", "to r1-f1-p1s1")
    # as a prefix-list entry, or the fabric's prefixes
    for entry in ("198.19.0.0/16 le 24", "fabric f3", "fabric r2-f3"):
        assert compare(snap(), cand, [IntendedChange(prefixes={"going": [entry]})]).exit_code == 0, entry


def test_the_wrong_prefix_or_direction_is_unintended():
    cand = changed(snap(), _gone)
    rep = compare(snap(), cand, [IntendedChange(prefixes={"going": ["198.19.3.0/24"]})])
    assert {d.mismatch for d in rep.unintended} == {"198.19.2.0/24 going, declared going 198.19.3.0/24"}
    rep = compare(cand, snap(), [IntendedChange(prefixes={"going": [P]})])
    assert {d.mismatch for d in rep.unintended} == {"198.19.2.0/24 appearing, declared appearing none"}


def test_a_prefixes_statement_does_not_excuse_other_fib_changes():
    cand = changed(snap(), lambda c: c.fib["r1-bag1"].update({Q: {"r1-f1-p1s1": 0.5, "r1-f1-p2s1": 0.5}}))
    rep = compare(snap(), cand, [IntendedChange(prefixes={"appearing": [P]})])
    assert [d.aspect for d in rep.unintended] == ["fib"] and rep.unintended[0].mismatch == ""


# -- every path, Adj-RIB-Out -----------------------------------------------------------------------

def test_a_path_not_selected_is_compared_attribute_by_attribute():
    cand = changed(snap(), lambda c: c.paths["r1-bag1"][P][1].update(communities=["65512:300"]))
    (d,) = compare(snap(), cand).unintended
    assert (d.aspect, d.after, d.detail) == ("communities", "65512:300",
                                             "path from r1-f2-edge (198.18.0.10), not selected")
    (d,) = compare(snap(), cand, [IntendedChange(communities={"added": ["64512:300"]})]).unintended
    assert d.mismatch == "communities added 65512:300, declared 64512:300"


def test_paths_appearing_going_selection_and_med_are_aspect_paths():
    def edit(c):
        c.paths["r1-bag1"][P][1].update(multipath=True)                                  # now selected
        c.paths["r1-bag1"][Q][0].update(med=20)
        c.paths["r1-bag1"][Q].append(path("r1-f1-p2s1", "198.18.0.4", as_path=[4200100000], best=False))
    rep = compare(snap(), changed(snap(), edit))
    got = sorted((d.aspect, d.prefix, d.before, d.after, d.detail) for d in rep.unintended)
    assert got == [("paths", Q, "none", "20", "med, path from r1-f1-p1s1 (198.18.0.0)"),
                   ("paths", Q, "none", "AS path 4200100000, selected", "path from r1-f1-p2s1 (198.18.0.4)"),
                   ("paths", P, "not selected", "selected", "path from r1-f2-edge (198.18.0.10)")]
    assert compare(snap(), changed(snap(), edit), [IntendedChange(aspects=["paths"])]).exit_code == 0


def test_a_prefix_sent_to_a_new_neighbour_is_aspect_advertised():
    cand = changed(snap(), lambda c: c.advertised["r1-bag1"]["r2-bag1"].append(P))
    (d,) = compare(snap(), cand).unintended
    assert (d.aspect, d.prefix, d.before, d.after, d.detail) == ("advertised", P, "not sent", "sent", "to r2-bag1")
    assert compare(snap(), cand, [IntendedChange(aspects=["advertised"])]).exit_code == 0
    assert compare(snap(), cand, [IntendedChange(prefixes={"appearing": [P]})]).exit_code == 0


def test_snapshots_written_before_paths_and_advertised_load_and_compare():
    old = snap().as_dict()
    del old["paths"], old["advertised"]
    s = Snapshot.from_dict(old)
    assert (s.paths, s.advertised) == ({}, {})
    assert compare(s, snap()).exit_code == 0 and compare(snap(), s).exit_code == 0
    # a key from a newer baglab is left out, not an error
    assert Snapshot.from_dict({**snap().as_dict(), "later": {}}).paths == snap().paths


# -- the intent file -------------------------------------------------------------------------------

def _loaded(tmp_path, body: str):
    from lab.verdict.checks.schema import load_intents

    f = tmp_path / "intents.yaml"
    f.write_text(body)
    return load_intents(f)


@pytest.mark.parametrize("body, where, needs", [
    ("intended_changes:\n  - why: nothing\n", ":2: intended_changes[0]", "give aspects, or a value"),
    ("intended_changes:\n  - link_bandwidth: {from: 1}\n", ":2: intended_changes[0].link_bandwidth", "'from' and 'to'"),
    ("intended_changes:\n  - link_bandwidth: {from: 1, to: 2, bytes_per_second: [2]}\n", ".link_bandwidth", "not both"),
    ("intended_changes:\n  - communities: {added: [64512-300]}\n", ":2: intended_changes[0].communities.added[0]",
     "is not a community"),
    ("intended_changes:\n  - prefixes:\n      going: [fabric f9]\n", ":3: intended_changes[0].prefixes.going[0]",
     "unknown fabric 'f9'"),
    ("intended_changes:\n  - prefixes: {going: [198.19.2.1/24]}\n", ".prefixes.going[0]", "host bits set"),
    ("intended_changes:\n  - prefixes: {}\n", ".prefixes", "names no prefix"),
])
def test_bad_statements_are_located_errors(tmp_path, mini, body, where, needs):
    from lab.errors import TopologyError
    from lab.verdict.checks.names import resolve_intended

    with pytest.raises(TopologyError) as exc:
        resolve_intended(mini, _loaded(tmp_path, body))
    assert where in str(exc.value) and needs in str(exc.value), str(exc.value)


def test_the_documented_forms_load(tmp_path, mini):
    from lab.verdict.checks.names import resolve_intended

    body = """intended_changes:
  - nodes: [r1-*]
    fabrics: [f3]
    communities: {added: ["64512:300"], removed: ["64512:1*"]}
    large_communities: {added: ["4200000000:1:*"]}
    link_bandwidth: {from: 200000000, to: 100000000}
    as_path: {prepended: [4200000001, 4200000001]}
    prefixes: {appearing: ["198.19.9.0/24"], going: ["fabric f3", "more-specifics of 198.19.0.0/16"]}
    why: all at once
  - aspects: [paths, advertised]
  - link_bandwidth: {bytes_per_second: []}
"""
    loaded = _loaded(tmp_path, body)
    resolve_intended(mini, loaded)
    c = loaded.model.intended_changes
    assert c[0].statements() == ["communities", "large_communities", "link_bandwidth", "as_path", "prefixes"]
    assert c[0].link_bandwidth.from_ == 200000000 and c[2].link_bandwidth.bytes_per_second == []


def test_a_diff_refuses_a_bad_statement_before_any_lab(tmp_path):
    import shutil

    from lab.errors import LabError
    from lab.workflows.diff.run import run

    cand = tmp_path / "cand"
    shutil.copytree(TOPOLOGIES / "policies" / "bag-mini" / "safe-tag", cand)
    (cand / "intents.yaml").write_text("intended_changes:\n  - prefixes: {going: [fabric f9]}\n")
    with pytest.raises(LabError, match="unknown fabric 'f9'"):
        run(TOPOLOGIES / "bag-mini.yaml", None, cand, prefix="pdu")


def test_tag_typo_renders_the_typo_and_declares_what_was_meant(mini):
    """The shipped candidate the live test diffs: BAG routers send 65512:300; intents.yaml says 64512:300."""
    from lab.config.policy import load_policy, render_node
    from lab.verdict.checks.schema import load_intents

    d = TOPOLOGIES / "policies" / "bag-mini" / "tag-typo"
    pol = load_policy(d, mini)
    bag, edge = (render_node(mini, mini.node(n), "/x", policy=pol).text for n in ("r1-bag1", "r1-f2-edge"))
    assert "set community 65512:300 additive" in bag and "64512:300" not in bag and "65512:300" not in edge
    (c,) = load_intents(d / "intents.yaml").model.intended_changes
    assert c.communities.added == ["64512:300"] and c.aspects == []


def test_route_views_read_each_table_once_and_derive_the_best_path_record(mini, monkeypatch):
    """One JSON per router and family (the best-path record from the same document, extended
    communities included), one per session for the Adj-RIB-Out."""
    from lab.observe import routes
    from lab.state import LabPaths
    from lab.workflows.diff import snapshot as S

    sent, asked = {"advertisedRoutes": {P: {}}}, []
    entry = {"peer": {"peerId": "198.18.0.29"}, "aspath": {"segments": [{"list": [4200000001, 4200100002]}]},
             "community": {"string": "64512:100"}, "bestpath": {"overall": True}, "multipath": True,
             "extendedCommunity": {"string": "RT:1:2 LB:23456:200000000 (1.600 Gbps)"}}
    backup = {"peer": {"peerId": "198.18.0.10"}, "aspath": {"segments": [{"list": [4200100001, 4200000001, 4200100002]}]}}

    def show_json(netns, cmd, timeout=10.0):
        asked.append((netns, cmd))
        if cmd == "show bgp ipv4 unicast json detail":
            return {"routes": {P: [{"prefix": P}, entry, backup], "198.18.0.0/31": [entry]}}
        return sent if "advertised-routes" in cmd else {}

    monkeypatch.setattr(routes, "show_json", show_json)
    best, every, adv = S.route_views(mini, LabPaths("d27u"))
    rec = best["r1-bag1"][P]
    assert (rec["communities"], rec["ext_communities"], rec["link_bandwidth"], rec["multipaths"]) == \
        (["64512:100"], ["RT:1:2"], [1600.0], 1)
    assert "198.18.0.0/31" not in best["r1-bag1"]          # not a plan prefix: not in the best-path record
    (a, b) = every["r1-bag1"][P]
    assert (a["peer"], a["link_bandwidth"], a["best"], b["peer"], b["best"], b["multipath"]) == \
        ("r2-bag1", [200000000], True, "r1-f2-edge", False, False)
    assert adv["r1-bag1"]["r2-bag1"] == [P]
    tables = [c for n, c in asked if n.endswith("r1-bag1") and "json detail" in c]
    assert sorted(tables) == ["show bgp ipv4 unicast json detail", "show bgp ipv6 unicast json detail"]
    assert "coll2" not in best and "coll2" not in adv


def test_the_report_pages_carry_mismatches_and_an_undecided_run(tmp_path):
    from lab.workflows.diff import report
    from lab.workflows.diff.run import DiffRun

    rep = compare(snap(), tagged("65512:300"), [IntendedChange(communities={"added": ["64512:300"]})])
    run = DiffRun(rep, snap(), tagged("65512:300"), [], 1.0, True)
    d = report.as_dict(run)["report"]
    assert d["unintended"][0]["mismatch"] == "communities added 65512:300, declared 64512:300"
    assert d["unfulfilled"] and d["exit_code"] == 1
    page = report.write_html(run, tmp_path / "d.html").read_text()
    assert "declared 64512:300" in page and "not observed" in page
    rep.undecided.append("candidate lab never went quiet")
    assert "could not decide" in report.write_html(run, tmp_path / "u.html").read_text()
