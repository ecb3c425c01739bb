"""The route-level checks (lab.verdict.checks.routes) as pure logic: a RouteTables for bag-mini whose
caches are filled beforehand, so every table a check asks for is already read and no lab is touched
(its LabPaths is a stand-in that fails the test if anything reaches for a lab)."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from lab.observe import collector
from lab.observe.routes import SELF, RoutePath, RouteTables, collector_paths, parse_adj_out, parse_bgp, parse_rib, \
    peer_names
from lab.verdict.checks import route_match as rm
from lab.verdict.checks import routes as rc
from lab.verdict.checks.schema import Advertised, Count, Paths, Routes
from lab.verdict.checks.verdict import CheckKind, Status

F1, F2, F3 = "198.19.0.0/24", "198.19.1.0/24", "198.19.2.0/24"
F1_6, F2_6, F3_6 = "2001:db8:1000::/56", "2001:db8:1000:100::/56", "2001:db8:1000:200::/56"
FABRIC = {F1: 4200100000, F2: 4200100001, F3: 4200100002, F1_6: 4200100000, F2_6: 4200100001, F3_6: 4200100002}
HUB = (F1, F2, F1_6, F2_6)
LEAK_GUARD = ["198.18.0.0/16 ge 31", "2001:db8::/64 ge 127"]
DATA = Path(__file__).resolve().parents[1] / "data" / "frr-routes"


class NoLab:
    """Where a RouteTables keeps its LabPaths: any use means a check went to read a lab."""
    def __getattr__(self, name):
        raise AssertionError(f"a check reached for the lab ({name})")


def _path(prefix, peer, as_path, best=False, **kw) -> RoutePath:
    return RoutePath(prefix, peer, as_path=tuple(as_path), best=best, multipath=True, local_pref=100,
                     link_bandwidth=(100000000,), **kw)


def _world(tag: bool = False) -> dict:
    """bag-mini as the built-in policy leaves it (``tag``: region-tag's 64512:2 between regions):
    the BGP tables of the BAG routers and the collector, the spoke BAGs' RIB, FIB and Adj-RIB-Out."""
    com = ("64512:2",) if tag else ()
    bgp: dict[str, dict[str, list[RoutePath]]] = {}
    for plane in (1, 2):
        spoke, hub = f"r2-bag{plane}", f"r1-bag{plane}"
        t = {}
        for p in HUB:
            sessions = ["r1-bag1"] * 3 + ["r1-bag2"] if plane == 1 else ["r1-bag1", "r1-bag2"]
            t[p] = [_path(p, peer, (4200000000, FABRIC[p]), best=i == len(sessions) - 1, communities=com)
                    for i, peer in enumerate(sessions)]
        for p in (F3, F3_6):
            t[p] = [_path(p, f"r2-f3-p{s}s{plane}", (FABRIC[p],), best=s == 1) for s in (1, 2)]
        bgp[spoke] = t
        h = {}
        for p in (F1, F1_6):
            h[p] = [_path(p, f"r1-f1-p{s}s{plane}", (FABRIC[p],), best=s == 1) for s in (1, 2)]
        for p in (F2, F2_6):
            h[p] = [_path(p, "r1-f2-edge", (FABRIC[p],), best=s == 1) for s in (1, 2)]
        for p in (F3, F3_6):
            h[p] = [_path(p, "r2-bag1", (4200000001, FABRIC[p]), best=True, communities=com),
                    _path(p, "r2-bag2", (4200000001, FABRIC[p]), communities=com)]
        bgp[hub] = h
    bgp["coll2"] = {p: [RoutePath(p, r, as_path=(4200000001, 4200000000, FABRIC[p]) if p in HUB else
                                  (4200000001, FABRIC[p]), communities=com if p in HUB else ())
                        for r in ("r2-bag1", "r2-bag2")] for p in FABRIC}
    rib = {r: {**{p: ["bgp"] for p in FABRIC}, "198.18.0.16/31": ["connected"], "2001:db8::10/127": ["connected"]}
           for r in ("r2-bag1", "r2-bag2")}
    fib = {r: {p: ["bgp"] for p in FABRIC} for r in ("r2-bag1", "r2-bag2")}
    every = sorted(FABRIC)
    out = {"r2-bag1": {"coll2": every, "r1-bag1": every, "r1-bag2": every,
                       "r2-f3-p1s1": sorted(HUB), "r2-f3-p2s1": sorted(HUB)},
           "r2-bag2": {"coll2": every, "r1-bag1": every, "r1-bag2": every,
                       "r2-f3-p1s2": sorted(HUB), "r2-f3-p2s2": sorted(HUB)}}
    return {"bgp": bgp, "rib": rib, "fib": fib, "out": out}


def _tables(plan, world=None) -> RouteTables:
    w = world or _world()
    t = RouteTables(plan, NoLab())
    t._bgp.update(w["bgp"])
    t._rib.update(w["rib"])
    t._fib.update(w["fib"])
    t._out.update(w["out"])
    for n in plan.nodes:        # a router the world leaves out holds nothing (a leak's origin is looked up)
        t._bgp.setdefault(n.name, {})
    return t


def _leak(world, router="r2-bag1", prefix="198.18.0.16/31", peer="r2-f3-p1s1", as_path=(4200100002,)):
    world["bgp"][router][prefix] = [_path(prefix, peer, as_path, best=True)]
    return world


def _routes(**kw) -> Routes:
    return Routes.model_validate(kw)


def _adv(**kw) -> Advertised:
    return Advertised.model_validate(kw)


def _paths(**kw) -> Paths:
    return Paths.model_validate(kw)


# -- held_faults -------------------------------------------------------------------------------------

def _scope(mini, include, exclude=(), families=None):
    return rm.prefix_set(mini, include, exclude, families)


def _explain(router, prefix):
    return f"why {prefix}"


def test_held_present(mini):
    held = dict.fromkeys([F1, F3])
    assert rc.held_faults("r", held, _scope(mini, ["fabric f1"], families=["ipv4"]), "present", None, _explain) == []
    assert rc.held_faults("r", held, _scope(mini, ["fabric f1", "fabric f2"], families=["ipv4"]), "present", None,
                          _explain) == ["r lacks 198.19.1.0/24"]
    # a range needs one prefix in it, outside 'except'
    assert rc.held_faults("r", held, _scope(mini, ["198.19.0.0/16 ge 24"]), "present", None, _explain) == []
    assert rc.held_faults("r", held, _scope(mini, ["198.19.0.0/16 ge 24"], ["fabric f1", "fabric f3"]), "present",
                          None, _explain) == ["r holds nothing of 198.19.0.0/16 ge 24"]
    assert rc.held_faults("r", {}, _scope(mini, ["any"]), "present", None, _explain) == ["r holds nothing of any"]


def test_held_absent_names_each_leak_with_its_origin(mini):
    held = dict.fromkeys([F1, "198.18.0.16/31", "2001:db8::11/128"])
    assert rc.held_faults("r", held, _scope(mini, LEAK_GUARD), "absent", None, _explain) == \
        ["r holds 198.18.0.16/31 (why 198.18.0.16/31)", "r holds 2001:db8::11/128 (why 2001:db8::11/128)"]
    assert rc.held_faults("r", held, _scope(mini, LEAK_GUARD, families=["ipv6"]), "absent", None, _explain) == \
        ["r holds 2001:db8::11/128 (why 2001:db8::11/128)"]
    assert rc.held_faults("r", dict.fromkeys([F1]), _scope(mini, LEAK_GUARD), "absent", None, _explain) == []


def test_held_exactly(mini):
    scope = _scope(mini, ["fabric f1", "fabric f3"], ["2001:db8::/64 ge 127"])
    assert rc.held_faults("r", dict.fromkeys([F1, F1_6, F3, F3_6]), scope, "exactly", None, _explain) == []
    got = rc.held_faults("r", dict.fromkeys([F1, F1_6, F3, F2, "2001:db8::11/128"]), scope, "exactly", None, _explain)
    # missing f3's IPv6 prefix, f2's is extra; the excepted link address is neither
    assert got == ["r lacks 2001:db8:1000:200::/56", "r also holds 198.19.1.0/24 (why 198.19.1.0/24)"]
    v4 = _scope(mini, ["fabric f1"], families=["ipv4"])
    assert rc.held_faults("r", dict.fromkeys([F1, F1_6]), v4, "exactly", None, _explain) == []


def test_held_count(mini):
    held = dict.fromkeys(FABRIC)
    scope = _scope(mini, ["any"])
    assert rc.held_faults("r", held, scope, "present", Count(min=6, max=6), _explain) == []
    assert rc.held_faults("r", held, scope, "present", Count(max=5), _explain) == \
        ["r holds 6 matching prefixes, more than 5: " + ", ".join(sorted(FABRIC))]
    assert rc.held_faults("r", held, scope, "present", Count(min=7), _explain) == \
        ["r holds 6 matching prefixes, fewer than 7"]
    many = dict.fromkeys(f"198.19.{i}.0/24" for i in range(10))
    got = rc.held_faults("r", many, scope, "absent", Count(max=9), lambda r, p: "x")
    assert got[-1].endswith(" ...") and got[-1].startswith("r holds 10 matching prefixes, more than 9: 198.19.0.0/24")


def test_held_words_for_what_is_sent(mini):
    got = rc.held_faults("r2-bag1", {F1: None}, _scope(mini, ["fabric f3"], families=["ipv4"]), "exactly", None,
                         _explain, rc.SEND, "r2-bag1 -> r1-bag1:")
    assert got == ["r2-bag1 -> r1-bag1: does not send 198.19.2.0/24",
                   "r2-bag1 -> r1-bag1: also sends 198.19.0.0/24 (why 198.19.0.0/24)"]


def test_collapse():
    assert rc.collapse(["a", "b", "a", "a"]) == ["a (x3)", "b"]
    assert rc.collapse([]) == []


# -- routes ------------------------------------------------------------------------------------------------

def test_routes_present(mini):
    v = rc.check_routes(mini, _tables(mini), _routes(at="r2-bag*", prefixes=["fabric f1", "fabric f2", "fabric f3"]))
    assert v.kind == CheckKind.ROUTES and v.status == Status.PASS, v.summary
    assert v.evidence["routers"] == ["r2-bag1", "r2-bag2"] and v.evidence["matching"] == 12
    assert v.check == "routes:r2-bag*:present:fabric f1,fabric f2,fabric f3:bgp"
    w = _world()
    del w["bgp"]["r2-bag2"][F2]
    v = rc.check_routes(mini, _tables(mini, w), _routes(at="r2-bag*", prefixes=["fabric f1", "fabric f2", "fabric f3"]))
    assert v.status == Status.FAIL and v.summary == "r2-bag2 lacks 198.19.1.0/24"
    assert v.evidence["findings"] == ["r2-bag2 lacks 198.19.1.0/24"] and v.evidence["findings_total"] == 1


def test_routes_absent_names_the_leak(mini):
    spec = _routes(at={"roles": ["bag"], "regions": ["r2"]}, prefixes=LEAK_GUARD, expect="absent",
                   why="no link subnet leaves its fabric")
    v = rc.check_routes(mini, _tables(mini), spec)
    assert v.status == Status.PASS and v.summary.endswith("(no link subnet leaves its fabric)")
    v = rc.check_routes(mini, _tables(mini, _leak(_world())), spec)
    assert v.status == Status.FAIL
    assert v.summary == ("r2-bag1 holds 198.18.0.16/31 (from r2-f3-p1s1, AS path 4200100002) "
                         "(no link subnet leaves its fabric)")


def test_routes_exactly(mini):
    spec = _routes(at="r2-bag1", prefixes=["fabric f1", "fabric f2", "fabric f3"], expect="exactly")
    assert rc.check_routes(mini, _tables(mini), spec).status == Status.PASS
    v = rc.check_routes(mini, _tables(mini, _leak(_world(), prefix="2001:db8::10/127")), spec)
    assert v.status == Status.FAIL
    assert v.summary == "r2-bag1 also holds 2001:db8::10/127 (from r2-f3-p1s1, AS path 4200100002)"
    # the leak is outside the family asked for
    spec6 = _routes(at="r2-bag1", prefixes=["fabric f1", "fabric f2", "fabric f3"], expect="exactly", families=["ipv4"])
    assert rc.check_routes(mini, _tables(mini, _leak(_world(), prefix="2001:db8::10/127")), spec6).status == Status.PASS


def test_routes_count(mini):
    spec = _routes(at="r2-bag1", prefixes=["more-specifics of 198.19.0.0/16"], count={"max": 3, "min": 3})
    assert rc.check_routes(mini, _tables(mini), spec).status == Status.PASS
    spec = _routes(at="r2-bag1", prefixes=["more-specifics of 198.19.0.0/16"], count={"max": 2})
    v = rc.check_routes(mini, _tables(mini), spec)
    assert v.status == Status.FAIL
    assert v.summary == "r2-bag1 holds 3 matching prefixes, more than 2: 198.19.0.0/24, 198.19.1.0/24, 198.19.2.0/24"


def test_routes_rib_and_fib(mini):
    t = _tables(mini)
    for table in ("rib", "fib"):
        spec = _routes(at="r2-bag*", prefixes=["fabric f1", "fabric f3"], table=table)
        v = rc.check_routes(mini, t, spec)
        assert v.status == Status.PASS and v.evidence["table"] == table and v.check.endswith(f":{table}")
    # zebra's RIB holds the connected link subnets too: a leak guard there names them, not in BGP
    v = rc.check_routes(mini, t, _routes(at="r2-bag1", prefixes=LEAK_GUARD, expect="absent", table="rib"))
    assert v.status == Status.FAIL
    assert v.evidence["findings"] == ["r2-bag1 holds 198.18.0.16/31 (not in BGP)",
                                      "r2-bag1 holds 2001:db8::10/127 (not in BGP)"]
    assert rc.check_routes(mini, t, _routes(at="r2-bag1", prefixes=LEAK_GUARD, expect="absent",
                                            table="fib")).status == Status.PASS
    w = _world()
    del w["fib"]["r2-bag2"][F3]
    v = rc.check_routes(mini, _tables(mini, w), _routes(at="r2-bag*", prefixes=["fabric f3"], table="fib"))
    assert v.status == Status.FAIL and v.summary == "r2-bag2 lacks 198.19.2.0/24"


def test_routes_at_the_collector(mini):
    spec = _routes(at="coll2", prefixes=["fabric f1", "fabric f2", "fabric f3"], expect="exactly")
    v = rc.check_routes(mini, _tables(mini), spec)
    assert v.status == Status.PASS and v.evidence["matching"] == 6
    v = rc.check_routes(mini, _tables(mini, _leak(_world(), router="coll2", peer="r2-bag1",
                                                  as_path=(4200000001, 4200100002))), spec)
    assert v.status == Status.FAIL
    assert v.summary == "coll2 also holds 198.18.0.16/31 (from r2-bag1, AS path 4200000001 4200100002)"


def test_many_findings_are_cut_in_the_summary_and_kept_in_the_evidence(mini):
    w = _world()
    for i in range(250):
        _leak(w, prefix=f"198.18.{i // 128}.{(i % 128) * 2}/31")
    v = rc.check_routes(mini, _tables(mini, w), _routes(at="r2-bag1", prefixes=LEAK_GUARD, expect="absent"))
    assert v.status == Status.FAIL
    assert v.summary.count("r2-bag1 holds") == rc.SHOWN and v.summary.endswith(f"; ... {250 - rc.SHOWN} more")
    assert len(v.evidence["findings"]) == rc.KEPT and v.evidence["findings_total"] == 250


# -- advertised --------------------------------------------------------------------------------------------

def test_advertised_to_the_collector(mini):
    spec = _adv(**{"from": "r2-bag*", "to": "coll2", "prefixes": ["fabric f1", "fabric f2", "fabric f3"],
                   "expect": "exactly"})
    v = rc.check_advertised(mini, _tables(mini), spec)
    assert v.kind == CheckKind.ADVERTISED and v.status == Status.PASS and v.evidence["pairs"] == 2
    w = _world()
    w["out"]["r2-bag2"]["coll2"] = sorted(FABRIC) + ["198.18.0.18/31"]
    _leak(w, router="r2-bag2", peer="r2-f3-p1s2", prefix="198.18.0.18/31")
    v = rc.check_advertised(mini, _tables(mini, w), spec)
    assert v.status == Status.FAIL
    assert v.summary == "r2-bag2 -> coll2: also sends 198.18.0.18/31 (from r2-f3-p1s2, AS path 4200100002)"


def test_advertised_to_the_hub(mini):
    to_hub = {"from": {"roles": ["bag"], "regions": ["r2"]}, "to": {"roles": ["bag"], "regions": ["r1"]}}
    v = rc.check_advertised(mini, _tables(mini), _adv(**to_hub, prefixes=["fabric f3"]))
    assert v.status == Status.PASS and v.evidence["pairs"] == 4
    # FRR's Adj-RIB-Out towards the hub holds the hub's own prefixes too: 'exactly' says so, once per pair
    v = rc.check_advertised(mini, _tables(mini), _adv(**to_hub, prefixes=["fabric f3"], expect="exactly"))
    assert v.status == Status.FAIL and v.evidence["findings_total"] == 16
    assert v.evidence["findings"][0] == \
        "r2-bag1 -> r1-bag1: also sends 198.19.0.0/24 (from r1-bag1, AS path 4200000000 4200100000 (x3); " \
        "from r1-bag2, AS path 4200000000 4200100000)"
    w = _world()
    w["out"]["r2-bag1"]["r1-bag2"] = [p for p in w["out"]["r2-bag1"]["r1-bag2"] if p != F3_6]
    v = rc.check_advertised(mini, _tables(mini, w), _adv(**to_hub, prefixes=["fabric f3"]))
    assert v.status == Status.FAIL and v.summary == "r2-bag1 -> r1-bag2: does not send 2001:db8:1000:200::/56"


def test_advertised_absent_and_count(mini):
    w = _world()
    w["out"]["r2-bag1"]["r2-f3-p1s1"] = sorted(HUB) + ["198.19.2.0/24"]
    spec = _adv(**{"from": "r2-bag1", "to": {"fabrics": ["f3"]}, "prefixes": ["fabric f3"], "expect": "absent"})
    assert rc.check_advertised(mini, _tables(mini), spec).status == Status.PASS
    v = rc.check_advertised(mini, _tables(mini, w), spec)
    assert v.status == Status.FAIL
    assert v.summary.startswith("r2-bag1 -> r2-f3-p1s1: sends 198.19.2.0/24 (from r2-f3-p1s1, AS path 4200100002;")
    spec = _adv(**{"from": "r2-bag1", "to": "r2-f3-*", "count": {"max": 3}})
    v = rc.check_advertised(mini, _tables(mini), spec)
    assert v.status == Status.FAIL and v.evidence["findings"] == [
        f"r2-bag1 -> r2-f3-p{s}s1: sends 4 matching prefixes, more than 3: {', '.join(sorted(HUB))}" for s in (1, 2)]


def test_advertised_without_a_session(mini):
    v = rc.check_advertised(mini, _tables(mini), _adv(**{"from": "r2-bag1", "to": "r1-f1-p1s1"}))
    assert v.status == Status.FAIL and v.summary == "no session from r2-bag1 to r1-f1-p1s1"


def test_a_collector_named_as_a_sender_is_left_out(mini):
    # coll2 has no Adj-RIB-Out in the tables: asking for it would reach for the lab
    v = rc.check_advertised(mini, _tables(mini), _adv(**{"from": ["coll2", "r2-bag1"], "to": "coll2"}))
    assert v.status == Status.PASS and v.evidence["pairs"] == 1


# -- paths -------------------------------------------------------------------------------------------------

def test_best_via(mini):
    spec = _paths(at="r2-bag*", prefixes=["fabric f3"], best_via={"fabrics": ["f3"]})
    v = rc.check_paths(mini, _tables(mini), spec)
    assert v.kind == CheckKind.PATHS and v.status == Status.PASS, v.summary
    assert v.evidence["paths"] == 8                         # every path judged (which: all), 2 per prefix
    v = rc.check_paths(mini, _tables(mini), _paths(at="r2-bag1", prefixes=["fabric f3"], best_via="r1-bag*"))
    assert v.status == Status.FAIL
    assert v.evidence["findings"] == [
        "r2-bag1 198.19.2.0/24: best path from r2-f3-p1s1, AS path 4200100002, not via r1-bag*",
        "r2-bag1 2001:db8:1000:200::/56: best path from r2-f3-p1s1, AS path 4200100002, not via r1-bag*"]


def test_best_via_an_originated_or_missing_best(mini):
    w = _world()
    w["bgp"]["r2-bag1"][F3] = [RoutePath(F3, SELF, best=True)]
    w["bgp"]["r2-bag1"][F3_6] = [replace(p, best=False) for p in w["bgp"]["r2-bag1"][F3_6]]
    v = rc.check_paths(mini, _tables(mini, w), _paths(at="r2-bag1", prefixes=["fabric f3"], best_via={"fabrics": ["f3"]}))
    assert v.status == Status.FAIL
    assert v.evidence["findings"] == ["r2-bag1 198.19.2.0/24: best path originated here, not via fabrics=f3",
                                      "r2-bag1 2001:db8:1000:200::/56: no best path"]


def test_communities_on_paths_from_the_other_region(mini):
    spec = _paths(at={"roles": ["bag"], "regions": ["r2"]}, prefixes=["fabric f1", "fabric f2"],
                  learnt_from={"roles": ["bag"], "regions": ["r1"]}, communities={"has": ["64512:2"]})
    v = rc.check_paths(mini, _tables(mini, _world(tag=True)), spec)
    assert v.status == Status.PASS and v.evidence["paths"] == 24    # (4 + 2 sessions) x 4 prefixes
    v = rc.check_paths(mini, _tables(mini, _world(tag=False)), spec)
    assert v.status == Status.FAIL and v.evidence["findings_total"] == 16       # per router, prefix and neighbour
    # r2-bag1's three sessions to r1-bag1 carry the same path: one finding, counted
    assert v.evidence["findings"][0] == \
        "r2-bag1 198.19.0.0/24 from r1-bag1, AS path 4200000000 4200100000: communities lacks 64512:2 (x3)"


def test_which_paths_are_judged(mini):
    """r2-bag1's f3 paths: the best (igp), a multipath (igp), and one neither (incomplete)."""
    w = _world()
    best, other = w["bgp"]["r2-bag1"][F3]
    w["bgp"]["r2-bag1"][F3] = [best, other, RoutePath(F3, "r2-f3-p2s1", as_path=(4200100002,), origin="incomplete")]
    t = _tables(mini, w)
    got = {which: rc.check_paths(mini, t, _paths(at="r2-bag1", prefixes=[F3], which=which, origin="igp"))
           for which in ("all", "best", "multipath")}
    assert {k: (v.status, v.evidence["paths"]) for k, v in got.items()} == \
        {"all": (Status.FAIL, 3), "best": (Status.PASS, 1), "multipath": (Status.PASS, 2)}
    w["bgp"]["r2-bag1"][F3] = [replace(best, origin="incomplete"), other]
    got = {which: rc.check_paths(mini, _tables(mini, w), _paths(at="r2-bag1", prefixes=[F3], which=which,
                                                                 origin="igp")).status
           for which in ("all", "best", "multipath")}
    assert got == {"all": Status.FAIL, "best": Status.FAIL, "multipath": Status.FAIL}


def test_paths_that_judge_nothing_fail(mini):
    v = rc.check_paths(mini, _tables(mini), _paths(at="r2-bag1", prefixes=["198.20.0.0/16 le 32"], origin="igp"))
    assert v.status == Status.FAIL and v.summary == "no all path of 198.20.0.0/16 le 32 at r2-bag1"
    v = rc.check_paths(mini, _tables(mini), _paths(at="r2-bag1", prefixes=["fabric f1"], learnt_from="r2-f3-*",
                                                   origin="igp"))
    assert v.status == Status.FAIL and v.summary == "no all path of fabric f1 at r2-bag1 learnt from r2-f3-*"


def test_next_hop_and_attributes_at_the_collector(mini):
    spec = _paths(at="coll2", prefixes=["fabric f1"], next_hop={"roles": ["bag"], "regions": ["r2"]},
                  as_path={"has": [4200000001], "max_length": 3})
    v = rc.check_paths(mini, _tables(mini), spec)
    assert v.status == Status.PASS and v.evidence["paths"] == 4
    v = rc.check_paths(mini, _tables(mini), _paths(at="coll2", prefixes=["fabric f1"], next_hop="r2-bag1"))
    assert v.status == Status.FAIL and v.evidence["findings"] == [
        f"coll2 {p} from r2-bag2, AS path 4200000001 4200000000 4200100000: next hop r2-bag2 is not one of the "
        "allowed routers" for p in (F1, F1_6)]


# -- on tables real routers printed (tests/data/frr-routes) ---------------------------------------------

def _real(mini, version: str) -> RouteTables:
    t = RouteTables(mini, NoLab())
    t._bgp.update({n.name: {} for n in mini.nodes})
    names = peer_names(mini)
    for node in ("r2-bag1", "r1-bag1"):
        rec = json.loads((DATA / f"{node}-{version}.json").read_text())
        t._bgp[node] = {**parse_bgp(rec["bgp"]["ipv4"], names[node]), **parse_bgp(rec["bgp"]["ipv6"], names[node])}
        if "rib" in rec:
            t._rib[node] = {**parse_rib(rec["rib"]["ipv4"]), **parse_rib(rec["rib"]["ipv6"])}
            out: dict[str, set] = {}
            for addr, data in rec["adj_out"].items():
                out.setdefault(names[node][addr], set()).update(parse_adj_out(data))
            t._out[node] = {k: sorted(v) for k, v in out.items()}
    t._bgp["coll2"] = collector_paths(collector.read(DATA / f"coll2-updates-{version}.jsonl"), names["coll2"])
    return t


@pytest.mark.parametrize("version", ["84", "107"])
def test_real_tables(mini, version):
    t = _real(mini, version)
    fabrics = ["fabric f1", "fabric f2", "fabric f3"]
    held = fabrics if version == "84" else ["fabric f2", "fabric f3", "2001:db8:1000::/56"]     # f1's v4 withdrawn
    checks = [
        rc.check_routes(mini, t, _routes(at="r2-bag1", prefixes=LEAK_GUARD, expect="absent")),
        rc.check_routes(mini, t, _routes(at="r2-bag1", prefixes=fabrics, expect="exactly")),
        rc.check_routes(mini, t, _routes(at="r2-bag1", prefixes=fabrics, table="rib")),
        rc.check_routes(mini, t, _routes(at="coll2", prefixes=held, expect="exactly")),
        rc.check_advertised(mini, t, _adv(**{"from": "r2-bag1", "to": "coll2", "prefixes": fabrics,
                                             "expect": "exactly"})),
        rc.check_advertised(mini, t, _adv(**{"from": "r2-bag1", "to": "r1-bag1", "prefixes": ["fabric f3"]})),
        rc.check_paths(mini, t, _paths(at="r2-bag1", prefixes=["fabric f3"], best_via={"fabrics": ["f3"]})),
        rc.check_paths(mini, t, _paths(at="r2-bag1", prefixes=["fabric f1", "fabric f2"], which="best",
                                       local_pref=100, as_path={"max_length": 2, "has": [4200000000]},
                                       link_bandwidth={"count": 1})),
    ]
    assert [v.summary for v in checks if v.status != Status.PASS] == []
    # the region-tag capture: what crosses regions carries 64512:2; the built-in policy's does not
    tagged = _paths(at="r2-bag1", prefixes=["fabric f1", "fabric f2"], learnt_from="r1-bag*",
                    communities={"has": ["64512:2"]}, large_communities={"exactly": ["64512:2:*"]}, med=20)
    v = rc.check_paths(mini, t, tagged)
    assert v.status == (Status.PASS if version == "107" else Status.FAIL), v.summary
    origin = rc.check_paths(mini, t, _paths(at="r2-bag1", prefixes=["fabric f3"], origin="igp"))
    if version == "107":
        assert origin.status == Status.FAIL and origin.evidence["findings"] == [
            "r2-bag1 198.19.2.0/24 from r2-f3-p1s1, AS path 4200100002: origin is incomplete, not igp",
            "r2-bag1 2001:db8:1000:200::/56 from r2-f3-p1s1, AS path 4200100002: origin is incomplete, not igp"]
    else:
        assert origin.status == Status.PASS
