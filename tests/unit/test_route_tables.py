"""lab.observe.routes on tables real routers printed (tests/data/frr-routes, see its README): FRR 8.4's
and 10.7's ``show bgp <afi> unicast json detail``, zebra's RIB, the Adj-RIB-Out and the ExaBGP
collector's record, each turned into the RoutePaths the route-level checks judge."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.observe import collector
from lab.observe.routes import SELF, collector_paths, parse_adj_out, parse_bgp, parse_rib, peer_names

DATA = Path(__file__).resolve().parents[1] / "data" / "frr-routes"
F1, F2, F3 = "198.19.0.0/24", "198.19.1.0/24", "198.19.2.0/24"
F1_6, F2_6, F3_6 = "2001:db8:1000::/56", "2001:db8:1000:100::/56", "2001:db8:1000:200::/56"


def _rec(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def _bgp(mini, rec: dict, node: str, fam: str = "ipv4"):
    bgp = rec["bgp"][node] if node in rec["bgp"] else rec["bgp"]
    return parse_bgp(bgp[fam], peer_names(mini)[node])


def _heard(mini, name: str):
    return collector_paths(collector.read(DATA / name), peer_names(mini)["coll2"])


@pytest.mark.parametrize("version", ["84", "107"])
def test_bgp_table_every_path_with_its_neighbour(mini, version):
    """FRR 8.4 lists a prefix's entry then its paths; 10.7 one object with 'paths': the same table."""
    t = _bgp(mini, _rec(f"r2-bag1-{version}.json"), "r2-bag1")
    assert sorted(t) == [F1, F2, F3]
    # the thick bundle: three sessions to r1-bag1, one to r1-bag2; f3 from its plane-1 STSWs
    assert sorted(p.peer for p in t[F1]) == ["r1-bag1", "r1-bag1", "r1-bag1", "r1-bag2"]
    assert sorted(p.peer_addr for p in t[F1]) == ["198.18.0.24", "198.18.0.26", "198.18.0.28", "198.18.0.32"]
    assert sorted(p.peer for p in t[F3]) == ["r2-f3-p1s1", "r2-f3-p2s1"]
    for prefix, paths in t.items():
        assert sum(p.best for p in paths) == 1, prefix
        assert all(p.prefix == prefix for p in paths)
    assert {p.as_path for p in t[F1]} == {(4200000000, 4200100000)}
    assert {p.as_path for p in t[F3]} == {(4200100002,)}
    # 'bandwidth 1600' on the hub BAG's ports is 200000000 bytes/s on the wire, 'bandwidth 800' 100000000
    assert {p.link_bandwidth for p in t[F1]} == {(200000000,)}
    assert {p.link_bandwidth for p in t[F2]} == {(100000000,)}
    # eBGP paths without LOCAL_PREF are compared at the table's default (FRR prints no locPrf)
    assert {p.local_pref for ps in t.values() for p in ps} == {100}
    v6 = _bgp(mini, _rec(f"r2-bag1-{version}.json"), "r2-bag1", "ipv6")
    assert sorted(v6) == sorted([F1_6, F2_6, F3_6])
    assert sorted(p.peer for p in v6[F3_6]) == ["r2-f3-p1s1", "r2-f3-p2s1"]


def test_the_built_in_policy_carries_no_community_and_no_med_across_regions(mini):
    t = _bgp(mini, _rec("r2-bag1-84.json"), "r2-bag1")
    assert {p.communities for ps in t.values() for p in ps} == {()}
    assert {p.large_communities for ps in t.values() for p in ps} == {()}
    assert {p.med for p in t[F1]} == {None} and {p.med for p in t[F3]} == {0}
    assert {p.origin for ps in t.values() for p in ps} == {"igp"}
    best = next(p for p in t[F3] if p.best)
    assert best.multipath and all(p.multipath for p in t[F3])


def test_region_tag_communities_med_and_origin_on_frr_10(mini):
    """The 10.7 capture's policy: region-tag's 64512:2 plus 64512:2:1 and MED 20 on routes to the other
    region, and origin incomplete on what r2-f3-p1s1 sends."""
    rec = _rec("r2-bag1-107.json")
    t = _bgp(mini, rec, "r2-bag1")
    for prefix in (F1, F2):
        assert {(p.communities, p.large_communities, p.med) for p in t[prefix]} == {(("64512:2",), ("64512:2:1",), 20)}
    assert {p.communities for p in t[F3]} == {()}
    assert {p.peer: p.origin for p in t[F3]} == {"r2-f3-p1s1": "incomplete", "r2-f3-p2s1": "igp"}
    # igp beats incomplete: the best path is r2-f3-p2s1's, alone (FRR flags no path multipath then)
    assert [p.peer for p in t[F3] if p.best] == ["r2-f3-p2s1"]
    assert [p.peer for p in t[F3] if p.multipath] == []
    r1 = _bgp(mini, _rec("r1-bag1-107.json"), "r1-bag1")
    assert {p.communities for p in r1[F3]} == {("64512:2",)} and {p.peer for p in r1[F3]} == {"r2-bag1", "r2-bag2"}


def test_well_known_communities_as_numbers(mini):
    """FRR prints graceful-shutdown, no-peer, no-export by name; the wire (and the collector) by number."""
    rec = _rec("wellknown-84.json")
    t = _bgp(mini, rec, "r1-bag1")
    assert {p.communities for p in t[F1]} == {("64512:100", "65535:0", "65535:65284")}
    assert {p.local_pref for p in t[F1]} == {0}          # the built-in FROM-PEER: graceful-shutdown -> 0
    assert {p.communities for p in t[F2]} == {("65535:65281",)}
    assert {p.large_communities for p in t[F2]} == {("4200100001:0:1",)}
    heard = _heard(mini, "coll2-updates-wellknown-84.jsonl")
    assert {p.communities for p in heard[F1]} == {("64512:100", "65535:0", "65535:65284")}
    assert F2 not in heard                                 # no-export stopped it at the hub


def test_a_routers_own_paths_are_self(mini):
    rec = _rec("wellknown-84.json")
    own = _bgp(mini, rec, "r1-f1-p1s1")
    (p,) = own[F1]
    assert p.peer == SELF and p.as_path == () and p.best and p.path_length == 0
    assert p.describe() == "originated here, AS path (empty)"
    (p6,) = _bgp(mini, rec, "r1-f1-p1s1", "ipv6")[F1_6]
    assert p6.peer == SELF
    (learnt,) = own[F3]
    assert learnt.peer == "r1-bag1" and learnt.describe() == "from r1-bag1, AS path 4200000000 4200000001 4200100002"


def test_an_aggregate_with_an_as_set(mini):
    """bag-agg's hub aggregate: 'as-set' puts the contributors' ASNs in one AS_SET, which counts once."""
    rec = _rec("agg-84.json")
    (own,) = _bgp(mini, rec, "r1-bag1")["198.19.0.0/23"]
    assert own.peer == SELF                                # FRR prints peerId '::' for the v4 aggregate
    assert own.as_path == (4200100000, 4200100001) and own.path_length == 1
    assert own.link_bandwidth == (50000000, 100000000)
    far = _bgp(mini, rec, "r2-bag1")["198.19.0.0/23"]
    assert {p.as_path for p in far} == {(4200000000, 4200100000, 4200100001)}
    assert {p.path_length for p in far} == {2}
    heard = _heard(mini, "coll2-updates-agg-84.jsonl")["198.19.0.0/23"]
    assert {p.as_path for p in heard} == {(4200000001, 4200000000, 4200100000, 4200100001)}
    assert {p.path_length for p in heard} == {3}
    assert {len(p.link_bandwidth) for p in heard} == {2}


@pytest.mark.parametrize("version", ["84", "107"])
def test_rib_selected_entries_and_their_protocols(version):
    rec = _rec(f"r2-bag1-{version}.json")
    rib = parse_rib(rec["rib"]["ipv4"])
    assert rib[F1] == rib[F3] == ["bgp"]
    assert rib["198.18.0.16/31"] == ["connected"]
    assert rib["198.18.128.8/32"] == ["connected"]        # the loopback: 'local' unselected, 'connected' selected
    rib6 = parse_rib(rec["rib"]["ipv6"])
    assert rib6[F3_6] == ["bgp"] and rib6["fe80::/64"] == ["connected"]
    if version == "107":
        assert rib["198.18.0.17/32"] == ["local"]


def test_rib_leaves_out_unselected_prefixes():
    assert parse_rib({"10.0.0.0/8": [{"protocol": "bgp", "selected": False}],
                      "10.1.0.0/16": [{"protocol": "static"}, {"protocol": "bgp", "selected": True}]}) == \
        {"10.1.0.0/16": ["bgp"]}


@pytest.mark.parametrize("version", ["84", "107"])
def test_adj_rib_out(version):
    out = _rec(f"r2-bag1-{version}.json")["adj_out"]
    assert parse_adj_out(out["198.18.0.36"]) == [F1, F2, F3]           # to coll2
    assert parse_adj_out(out["2001:db8::24"]) == sorted([F1_6, F2_6, F3_6])
    # to the hub: f3, and the hub's own prefixes too -- FRR sends them (the hub drops them as an AS loop)
    # unless 'neighbor X sender-as-path-loop-detection' is set
    assert parse_adj_out(out["198.18.0.24"]) == [F1, F2, F3]
    assert parse_adj_out({"advertisedRoutes": {}}) == [] and parse_adj_out({}) == []


def test_collector_holds_the_last_announcement_per_neighbour(mini):
    heard = _heard(mini, "coll2-updates-84.jsonl")
    assert sorted(heard) == sorted([F1, F2, F3, F1_6, F2_6, F3_6])     # fabric prefixes only
    assert sorted(p.peer for p in heard[F1]) == ["r2-bag1", "r2-bag2"]
    assert sorted(p.peer for p in heard[F1_6]) == ["r2-bag1", "r2-bag2"]
    by = {p.peer: p for p in heard[F1]}
    assert by["r2-bag1"].as_path == (4200000001, 4200000000, 4200100000)
    # cumulative link bandwidth: r2-bag1's four 200000000 bytes/s paths, r2-bag2's two
    assert by["r2-bag1"].link_bandwidth == (800000000,) and by["r2-bag2"].link_bandwidth == (400000000,)
    assert by["r2-bag1"].origin == "igp" and by["r2-bag1"].local_pref is None
    assert not any(p.best for ps in heard.values() for p in ps)          # a collector selects nothing


def test_collector_withdrawals_and_attributes_on_frr_10(mini):
    heard = _heard(mini, "coll2-updates-107.jsonl")
    assert F1 not in heard                                  # withdrawn at the end of the record
    assert F1_6 in heard
    events = collector.read(DATA / "coll2-updates-107.jsonl")
    assert [e.prefix for e in events if e.kind == "withdraw"] == [F1, F1]
    assert any(e.prefix == F1 and e.kind == "announce" for e in events)
    by = {p.peer: p for p in heard[F2]}
    assert by["r2-bag1"].communities == ("64512:2",) and by["r2-bag1"].large_communities == ("64512:2:1",)
    assert by["r2-bag1"].med is None                        # MED does not cross a second AS
    assert {p.communities for p in heard[F3]} == {()}


def test_peer_names_map_every_link_address(mini):
    names = peer_names(mini)
    assert names["r2-bag1"]["198.18.0.24"] == "r1-bag1" and names["r2-bag1"]["2001:db8::18"] == "r1-bag1"
    assert names["r2-bag1"]["198.18.0.36"] == "coll2"
    assert names["coll2"]["198.18.0.37"] == "r2-bag1" and names["coll2"]["2001:db8::27"] == "r2-bag2"
