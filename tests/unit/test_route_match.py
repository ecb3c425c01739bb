"""lab.verdict.checks.route_match as pure logic: prefix-list style specs and prefix sets, routers chosen
by name, role, region, plane or fabric, and every attribute rule of a ``paths`` intent."""
from __future__ import annotations

import pytest

from lab.observe.routes import SELF, RoutePath
from lab.verdict.checks import route_match as rm
from lab.verdict.checks.schema import Paths, Where


# -- specs -----------------------------------------------------------------------------------------

def _m(spec: str, prefix: str, fabrics=None) -> bool:
    return rm.parse_spec(spec, fabrics).matches(prefix)


def test_any_matches_both_families_and_requires_nothing_exact():
    s = rm.parse_spec("any")
    assert s.matches("198.19.0.0/24") and s.matches("2001:db8:1000::/56") and s.matches("0.0.0.0/0")
    assert s.exact == ()


def test_a_bare_prefix_is_exactly_itself():
    s = rm.parse_spec("198.19.0.0/24")
    assert s.exact == ("198.19.0.0/24",)
    assert s.matches("198.19.0.0/24")
    assert not s.matches("198.19.0.0/25")          # more specific
    assert not s.matches("198.19.0.0/23")          # less specific
    assert not s.matches("198.19.1.0/24")


@pytest.mark.parametrize("spec, yes, no", [
    # ge N: N up to the family's maximum
    ("198.19.0.0/16 ge 24", ["198.19.0.0/24", "198.19.255.0/24", "198.19.0.1/32"],
     ["198.19.0.0/23", "198.19.0.0/16", "198.20.0.0/24"]),
    # le N: the prefix's own length up to N
    ("198.19.0.0/16 le 24", ["198.19.0.0/16", "198.19.128.0/17", "198.19.3.0/24"],
     ["198.19.0.0/25", "198.18.0.0/15", "198.20.0.0/16"]),
    # ge N le M: both edges included
    ("198.19.0.0/16 ge 20 le 24", ["198.19.0.0/20", "198.19.0.0/24", "198.19.16.0/22"],
     ["198.19.0.0/19", "198.19.0.0/25", "198.19.0.0/16"]),
    # ge equal to the length, le equal to the maximum: the edges are accepted
    ("198.19.0.0/16 ge 16", ["198.19.0.0/16", "198.19.0.0/32"], ["198.18.0.0/15"]),
    ("198.18.0.0/16 le 32", ["198.18.0.0/16", "198.18.0.17/32"], ["198.19.0.0/16"]),
    # the leak guard of bag-mini: link /31s and loopback /32s, and their IPv6 /127 and /128
    ("198.18.0.0/16 ge 31", ["198.18.0.16/31", "198.18.128.8/32"], ["198.18.0.0/24", "198.19.0.0/24"]),
    ("2001:db8::/64 ge 127", ["2001:db8::10/127", "2001:db8::11/128"],
     ["2001:db8::/64", "2001:db8::/126", "2001:db8:1000::/56", "2001:db8:0:1::8/128"]),
    ("more-specifics of 198.19.0.0/16", ["198.19.0.0/17", "198.19.2.0/24", "198.19.0.1/32"],
     ["198.19.0.0/16", "198.18.0.0/15"]),
    ("more-specifics of 2001:db8:1000::/52", ["2001:db8:1000::/56", "2001:db8:1000:200::/56"],
     ["2001:db8:1000::/52", "2001:db8::/32"]),
])
def test_ranges(spec, yes, no):
    s = rm.parse_spec(spec)
    assert s.exact == ()                            # a range requires no prefix by name
    for p in yes:
        assert s.matches(p), (spec, p)
    for p in no:
        assert not s.matches(p), (spec, p)


def test_specs_never_match_the_other_family():
    assert not _m("198.19.0.0/16 le 32", "2001:db8:1000::/56")
    assert not _m("2001:db8::/32 le 128", "198.19.0.0/24")
    assert not _m("::/0 le 128", "198.19.0.0/24")
    assert _m("::/0 le 128", "2001:db8:1000::/56")


def test_fabric_entries(mini):
    fabs = rm.fabric_prefixes(mini)
    assert tuple(fabs["f1"]) == tuple(fabs["r1-f1"]) == ("198.19.0.0/24", "2001:db8:1000::/56")
    assert tuple(fabs["f3"]) == ("198.19.2.0/24", "2001:db8:1000:200::/56")
    assert set(fabs["region r1"]) == set(fabs["f1"]) | set(fabs["f2"])
    s = rm.parse_spec("fabric f1", fabs)
    assert tuple(s.exact) == ("198.19.0.0/24", "2001:db8:1000::/56")
    assert s.matches("198.19.0.0/24") and s.matches("2001:db8:1000::/56")
    assert not s.matches("198.19.1.0/24") and not s.matches("198.19.0.0/25")
    assert tuple(rm.parse_spec("fabric r2-f3", fabs).exact) == tuple(fabs["f3"])
    with pytest.raises(rm.SpecError, match=r"unknown fabric 'f9'; known: f1, f2, f3, r1-f1, r1-f2, r2-f3"):
        rm.parse_spec("fabric f9", fabs)
    # without the plan (the schema's syntax check) a fabric entry is accepted and matches nothing
    assert not rm.parse_spec("fabric f9").matches("198.19.0.0/24")


def test_fabric_names_in_several_regions_must_be_qualified(two_region):
    fabs = rm.fabric_prefixes(two_region)
    repeated = {k.split("-", 1)[1] for k in fabs if "-" in k and sum(q.endswith("-" + k.split("-", 1)[1])
                                                                         for q in fabs) > 1}
    assert repeated, "bag-2region repeats a fabric name across regions"
    for short in repeated:
        assert short not in fabs                    # ambiguous: only the region-qualified names exist
        with pytest.raises(rm.SpecError, match="unknown fabric"):
            rm.parse_spec(f"fabric {short}", fabs)


@pytest.mark.parametrize("text, why", [
    ("foo", "is not a prefix"),
    ("198.19.0.1/24", "host bits set"),
    ("198.19.0.0/33", "is not a prefix"),
    ("198.19.0.0/16 ge", "is not a prefix set entry"),
    ("198.19.0.0/16 le 24 ge 20", "is not a prefix set entry"),     # ge before le, as in a prefix-list
    ("198.19.0.0/16 ge 33", "ge/le must be between 16 and 32"),
    ("198.19.0.0/16 ge 8", "ge/le must be between 16 and 32"),
    ("198.19.0.0/16 le 15", "ge/le must be between 16 and 32"),
    ("2001:db8::/64 ge 129", "ge/le must be between 64 and 128"),
    ("198.19.0.0/16 ge 25 le 24", "ge is greater than le"),
    ("more-specifics of 198.19.0.1/32", "has no more-specifics"),
    ("more-specifics of 198.19.0.1/16", "host bits set"),
    ("", "is not a prefix set entry"),
])
def test_bad_specs(text, why):
    with pytest.raises(rm.SpecError, match=why) as e:
        rm.parse_spec(text)
    if "ge/le" not in why and "greater" not in why and "no more" not in why:
        assert "'P ge N le M'" in str(e.value)      # the forms that exist are named


# -- prefix sets -------------------------------------------------------------------------------------

def test_prefix_set_except_and_families(mini):
    s = rm.prefix_set(mini, ["198.19.0.0/16 le 24", "2001:db8:1000::/48 le 56"], ["fabric f2"], ["ipv4", "ipv6"])
    assert s.matches("198.19.0.0/24") and s.matches("2001:db8:1000:200::/56")
    assert not s.matches("198.19.1.0/24") and not s.matches("2001:db8:1000:100::/56")     # f2 excepted
    assert s.in_family("198.18.0.16/31") and not s.in_family("198.19.1.0/24")
    v4 = rm.prefix_set(mini, ["any"], families=["ipv4"])
    assert v4.matches("198.18.0.16/31") and not v4.matches("2001:db8::10/127")
    assert not v4.in_family("2001:db8::10/127")


def test_required_lists_each_exact_prefix_once_in_scope(mini):
    s = rm.prefix_set(mini, ["fabric f1", "198.19.0.0/24", "fabric f3", "198.19.0.0/16 ge 24"], ["2001:db8:1000:200::/56"],
                      ["ipv4", "ipv6"])
    assert s.required() == ["198.19.0.0/24", "2001:db8:1000::/56", "198.19.2.0/24"]
    assert rm.prefix_set(mini, ["fabric f1"], families=["ipv6"]).required() == ["2001:db8:1000::/56"]


# -- routers -----------------------------------------------------------------------------------------

def _w(**kw) -> Where:
    return Where.model_validate(kw)


def test_select_by_name_pattern_and_list(mini):
    assert rm.select(mini, "r2-bag1") == ["r2-bag1"]
    assert rm.select(mini, "r2-bag*") == ["r2-bag1", "r2-bag2"]
    assert rm.select(mini, ["r1-bag2", "r2-f3-p?s1"]) == ["r1-bag2", "r2-f3-p1s1", "r2-f3-p2s1"]
    assert rm.select(mini, ["coll2"]) == ["coll2"]
    assert rm.select(mini, ["coll2", "r2-bag1"], collectors=False) == ["r2-bag1"]
    assert rm.select(mini, "nothing*") == []
    assert rm.select(mini, None) == []


def test_select_by_what_routers_are(mini):
    assert rm.select(mini, _w(roles=["bag"], regions=["r1"])) == ["r1-bag1", "r1-bag2"]
    assert rm.select(mini, _w(roles=["bag"], planes=[2])) == ["r1-bag2", "r2-bag2"]
    # an STSW's plane is the BAG plane it stripes to
    assert rm.select(mini, _w(roles=["stsw"], planes=[1], regions=["r2"])) == ["r2-f3-p1s1", "r2-f3-p2s1"]
    assert rm.select(mini, _w(fabrics=["f3"])) == ["r2-f3-p1s1", "r2-f3-p1s2", "r2-f3-p2s1", "r2-f3-p2s2"]
    assert rm.select(mini, _w(fabrics=["r1-f2"])) == ["r1-f2-edge"]
    assert rm.select(mini, _w(routers=["r1-*"], roles=["edge", "bag"])) == ["r1-bag1", "r1-bag2", "r1-f2-edge"]
    assert rm.select(mini, _w(regions=["r2"], planes=[3])) == []


def test_collectors_only_when_asked(mini):
    every = rm.select(mini, _w())
    assert "coll2" not in every and len(every) == len(mini.nodes) - 1
    assert "coll2" not in rm.select(mini, _w(regions=["r2"]))
    assert rm.select(mini, _w(roles=["collector"])) == ["coll2"]
    assert rm.select(mini, _w(routers=["coll2"])) == ["coll2"]
    assert rm.select(mini, _w(roles=["collector", "bag"], regions=["r2"])) == ["r2-bag1", "r2-bag2", "coll2"]
    assert rm.select(mini, _w(roles=["collector"]), collectors=False) == []
    # a name pattern is a name: '*' written as a router choice covers the collector too
    assert "coll2" in rm.select(mini, "*")


def test_describe():
    assert rm.describe("r2-bag*") == "r2-bag*"
    assert rm.describe(["a", "b"]) == "a,b"
    assert rm.describe(_w(roles=["bag"], planes=[1, 2])) == "roles=bag planes=1,2"
    assert rm.describe(_w()) == "every router"


# -- path attributes -----------------------------------------------------------------------------------

#: r2-bag1's path for the hub's f1 from r1-bag1 in bag-mini on the region-tag policy
PATH = RoutePath("198.19.0.0/24", "r1-bag1", "198.18.0.24", as_path=(4200000000, 4200100000),
                 communities=("64512:2",), large_communities=("64512:2:1",), link_bandwidth=(200000000,),
                 local_pref=100, med=20, origin="igp", best=True, multipath=True)


def _faults(path=PATH, peer_ok=None, **rule) -> list[str]:
    return rm.path_faults(path, Paths.model_validate({"at": "r2-bag1", **rule}), peer_ok)


def _with(**kw) -> RoutePath:
    from dataclasses import replace
    return replace(PATH, **kw)


def test_no_rule_no_fault():
    assert _faults() == []


@pytest.mark.parametrize("rule, ok, bad, says", [
    ({"has": ["64512:2"]}, ("64512:2",), ("64512:3",), "communities lacks 64512:2"),
    ({"has": ["64512:*"]}, ("1:1", "64512:77"), ("64513:2",), "communities lacks 64512:*"),
    ({"has": ["64512:?"]}, ("64512:7",), ("64512:77",), "communities lacks 64512:?"),
    ({"lacks": ["65535:0"]}, ("64512:2",), ("64512:2", "65535:0"), "communities has 65535:0 (forbidden: 65535:0)"),
    ({"lacks": ["graceful-shutdown"]}, ("64512:2",), ("65535:0",), "has 65535:0 (forbidden: graceful-shutdown)"),
    ({"lacks": ["64512:*"]}, ("65000:1",), ("64512:2", "64512:100"), "has 64512:2, 64512:100 (forbidden: 64512:*)"),
    ({"exactly": ["64512:2"]}, ("64512:2",), ("64512:100", "64512:2"), "are 64512:100 64512:2, not exactly 64512:2"),
    ({"exactly": ["64512:2", "no-export"]}, ("64512:2", "65535:65281"), ("64512:2",), "not exactly 64512:2 no-export"),
    ({"exactly": ["64512:*"]}, ("64512:2", "64512:100"), ("64512:2", "65535:0"), "not exactly 64512:*"),
    ({"exactly": ["64512:*"]}, ("64512:2",), (), "communities are none, not exactly 64512:*"),
    ({"exactly": []}, (), ("64512:2",), "are 64512:2, not exactly none"),
])
def test_communities(rule, ok, bad, says):
    assert _faults(_with(communities=ok), communities=rule) == []
    got = _faults(_with(communities=bad), communities=rule)
    assert len(got) == 1 and says in got[0], got


def test_large_communities():
    rule = {"has": ["64512:2:*"], "lacks": ["64512:9:*"]}
    assert _faults(large_communities=rule) == []
    got = _faults(_with(large_communities=("64512:9:1",)), large_communities=rule)
    assert got == ["large communities lacks 64512:2:*", "large communities has 64512:9:1 (forbidden: 64512:9:*)"]
    # the standard communities are not the large ones
    assert _faults(_with(large_communities=()), large_communities={"has": ["64512:2"]}) == \
        ["large communities lacks 64512:2"]


@pytest.mark.parametrize("rule, path, says", [
    ({"max_length": 1}, PATH, "AS path 4200000000 4200100000 is 2 long, above 1"),
    ({"min_length": 3}, PATH, "is 2 long, below 3"),
    ({"min_length": 1}, _with(as_path=()), "AS path (empty) is 0 long, below 1"),
    ({"matches": "^4200100002$"}, PATH, "does not match /^4200100002$/"),
    ({"has": [4200100002]}, PATH, "lacks 4200100002"),
    ({"has": ["4200100001-4200100009"]}, PATH, "lacks 4200100001-4200100009"),
    ({"lacks": [4200000000]}, PATH, "has forbidden ASN 4200000000"),
    ({"lacks": ["4200000000-4200000099"]}, PATH, "has forbidden ASN 4200000000"),
    ({"private": "forbidden"}, PATH, "has private ASN 4200000000, 4200100000"),
    ({"private": "forbidden"}, _with(as_path=(3356, 65000)), "has private ASN 65000"),
])
def test_as_path_faults(rule, path, says):
    got = _faults(path, as_path=rule)
    assert len(got) == 1 and says in got[0], got


@pytest.mark.parametrize("rule, path", [
    ({"max_length": 2, "min_length": 2}, PATH),
    ({"matches": r"^4200000000 4200100\d+$"}, PATH),
    ({"matches": "^$"}, _with(as_path=())),
    ({"has": [4200100000, "4200000000-4200000001"], "lacks": [65000, "64512-65534"]}, PATH),
    ({"private": "forbidden"}, _with(as_path=(3356, 174))),
    ({"private": "allowed"}, PATH),
    # an AS_SET counts once (RFC 4271), as an aggregate's path from bag-agg's hub: 4200000000 {4200100000,4200100001}
    ({"max_length": 2}, _with(as_path=(4200000000, 4200100000, 4200100001), as_path_length=2)),
])
def test_as_path_holds(rule, path):
    assert _faults(path, as_path=rule) == []


def test_as_set_length_is_counted_once():
    agg = _with(as_path=(4200000000, 4200100000, 4200100001), as_path_length=2)
    assert agg.path_length == 2 and PATH.path_length == 2
    assert _faults(agg, as_path={"max_length": 1}) == \
        ["AS path 4200000000 4200100000 4200100001 is 2 long, above 1"]


@pytest.mark.parametrize("key, rule, value, says", [
    ("local_pref", 100, 0, "local preference is 0, not 100"),
    ("local_pref", {"min": 50}, 0, "local preference is 0, below 50"),
    ("local_pref", {"max": 100}, 200, "local preference is 200, above 100"),
    ("local_pref", {"min": 50}, None, "local preference is None, below 50"),
    ("med", 20, 0, "MED is 0, not 20"),
    ("med", {"min": 10, "max": 30}, 40, "MED is 40, above 30"),
    # a path without a MED is not one with MED 0 (what was carried is judged, not what FRR compares)
    ("med", {"max": 20}, None, None),
])
def test_numbers(key, rule, value, says):
    assert _faults(**{key: rule}) == []                     # PATH: local-pref 100, MED 20
    assert _faults(_with(**{key: value}), **{key: rule}) == ([says] if says else [])


def test_a_missing_med_is_no_med():
    assert _faults(_with(med=None), med=0) == ["MED is None, not 0"]


def test_origin():
    assert _faults(origin="igp") == []
    assert _faults(_with(origin="incomplete"), origin="igp") == ["origin is incomplete, not igp"]
    assert _faults(_with(origin="incomplete"), origin="incomplete") == []


def test_link_bandwidth():
    assert _faults(link_bandwidth={"count": 1, "bytes_per_second": [200000000]}) == []
    assert _faults(_with(link_bandwidth=(50000000, 100000000)), link_bandwidth={"count": 1}) == \
        ["2 link-bandwidth values, not 1"]
    assert _faults(_with(link_bandwidth=()), link_bandwidth={"count": 0}) == []
    assert _faults(link_bandwidth={"bytes_per_second": [100000000]}) == \
        ["link-bandwidth 200000000 bytes/s, not one of 100000000 bytes/s"]
    assert _faults(_with(link_bandwidth=()), link_bandwidth={"bytes_per_second": [100000000, 200000000]}) == \
        ["link-bandwidth none, not one of 100000000, 200000000 bytes/s"]


def test_link_bandwidth_range_in_mbps_names_a_wrapped_value():
    # 200,000,000 bytes/s is 1,600 Mbps; 38,400 Mbps wrapped at 2^32 bytes/s arrives as 4,040.26
    assert _faults(link_bandwidth={"mbps": {"min": 1600, "max": 1600}}) == []
    assert _faults(_with(link_bandwidth=(505032704,)), link_bandwidth={"mbps": {"min": 38400}}) == \
        ["link-bandwidth (Mbps) is 4040.262, below 38400"]
    assert _faults(link_bandwidth={"mbps": {"max": 800}}) == ["link-bandwidth (Mbps) is 1600.0, above 800"]
    assert _faults(_with(link_bandwidth=()), link_bandwidth={"mbps": {"min": 1}}) == \
        ["link-bandwidth (Mbps) is None, below 1"]


def test_next_hop():
    assert _faults(peer_ok={"r1-bag1", "r1-bag2"}.__contains__, next_hop="r1-bag*") == []
    assert _faults(peer_ok={"r1-bag2"}.__contains__, next_hop="r1-bag2") == \
        ["next hop r1-bag1 is not one of the allowed routers"]
    assert _faults(_with(peer=SELF), peer_ok={"r1-bag2"}.__contains__, next_hop="r1-bag2") == \
        ["next hop self is not one of the allowed routers"]


def test_every_fault_is_reported_not_only_the_first():
    bad = _with(communities=(), as_path=(1, 2, 3), med=5, origin="egp", link_bandwidth=())
    got = _faults(bad, communities={"has": ["64512:2"]}, as_path={"max_length": 2}, med=20, origin="igp",
                  link_bandwidth={"count": 1})
    assert len(got) == 5, got


def test_private_asns():
    assert rm.is_private(64512) and rm.is_private(65534) and rm.is_private(4200000000) and rm.is_private(4294967294)
    assert not rm.is_private(64511) and not rm.is_private(65535) and not rm.is_private(4199999999)
    assert not rm.is_private(4294967295)



def test_emulated_fabric_routers_are_chosen_as_peers_but_not_as_tables_to_read():
    from lab.design.plan import build_plan
    from lab.design.topology import load
    from ..conftest import TOPOLOGIES
    plan = build_plan(load(TOPOLOGIES / "bag-routes.yaml"))      # its hub NSF is the bulk speaker
    stsws = [n.name for n in plan.nodes if n.role == "stsw"]
    assert len(stsws) == 4 and rm.select(plan, _w(roles=["stsw"])) == stsws
    assert rm.select(plan, _w(roles=["stsw"]), tables=True) == [] and rm.select(plan, "r1-f1-*", tables=True) == []
    assert rm.select(plan, _w(roles=["bag"]), tables=True) == [n.name for n in plan.nodes if n.role == "bag"]
