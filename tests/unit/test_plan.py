"""The plan: deterministic, collision-free addressing, correct striping and capacities."""
from __future__ import annotations

import ipaddress
import subprocess
import sys
from collections import Counter

import pytest

from lab.design.generate import generate
from lab.design.model import LAB_V4, LAB_V6
from lab.design.plan import IFNAME_MAX, build_plan
from lab.design.topology import load_text

from ..conftest import ROOT
from ..plans import plan_of


@pytest.fixture(scope="module", params=["bag-mini", "bag-2region", "bag-scale"])
def plan(request):
    return plan_of(request.param)


def test_same_yaml_same_plan_byte_for_byte(two_region):
    # in a fresh interpreter too, so no dict/set ordering or hash seed can leak in
    a = two_region.to_json()
    code = ("from lab.design.plan import build_plan; from lab.design.topology import load; import sys;"
            "sys.stdout.write(build_plan(load('topologies/bag-2region.yaml')).to_json())")
    b = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"}).stdout
    assert a == b


def test_plan_round_trips_through_json(plan):
    assert type(plan).from_json(plan.to_json()) == plan


def test_every_address_is_unique_and_in_lab_ranges(plan):
    addrs = [n.router_id for n in plan.nodes] + [n.loopback_v6 for n in plan.nodes]
    for l in plan.links:
        for e in (l.a, l.b):
            addrs += [e.ipv4.split("/")[0], e.ipv6.split("/")[0]]
    dup = [a for a, c in Counter(addrs).items() if c > 1]
    assert not dup, f"duplicate addresses: {dup[:5]}"
    for a in addrs:
        ip = ipaddress.ip_address(a)
        assert ip in (LAB_V4 if ip.version == 4 else LAB_V6), a


def test_link_ends_share_one_p2p_subnet(plan):
    for l in plan.links:
        a4, b4 = ipaddress.ip_interface(l.a.ipv4), ipaddress.ip_interface(l.b.ipv4)
        a6, b6 = ipaddress.ip_interface(l.a.ipv6), ipaddress.ip_interface(l.b.ipv6)
        assert a4.network == b4.network and a4.network.prefixlen == 31
        assert a6.network == b6.network and a6.network.prefixlen == 127


def test_originated_prefixes_do_not_overlap_between_fabrics(plan):
    owner = {}
    for n in plan.nodes:
        for p in n.prefixes:
            owner.setdefault(p, set()).add((n.region, n.fabric))
    assert all(len(o) == 1 for o in owner.values())
    nets = [ipaddress.ip_network(p) for p in owner]
    for i, a in enumerate(nets):
        for b in nets[i + 1:]:
            assert a.version != b.version or not a.overlaps(b), (a, b)


def test_interface_names_fit_linux_and_are_unique_per_node(plan):
    per_node = Counter()
    for l in plan.links:
        for e in (l.a, l.b):
            assert len(e.ifname) <= IFNAME_MAX, e.ifname
            per_node[(e.node, e.ifname)] += 1
    assert max(per_node.values()) == 1


def test_asns_per_tier(plan):
    bag_asn = {n.region: n.asn for n in plan.nodes if n.role == "bag"}
    for n in plan.nodes:
        assert 4_200_000_000 <= n.asn <= 4_294_967_294
        if n.role == "bag":
            assert n.asn == bag_asn[n.region], "all BAG planes of a region share the tier ASN"
        else:
            assert n.asn not in bag_asn.values()
    fab_asn = {(n.region, n.fabric): n.asn for n in plan.nodes if n.fabric}
    assert len(set(fab_asn.values())) == len(fab_asn), "one ASN per fabric"


def test_nsf_striping_meets_matching_bag_plane(two_region):
    p = two_region
    for l in p.links:
        if l.kind != "uplink":
            continue
        stsw, bag = p.node(l.a.node), p.node(l.b.node)
        assert bag.role == "bag" and bag.region == stsw.region
        if stsw.role == "stsw":
            j = int(stsw.name.rsplit("s", 1)[1])
            assert bag.bag_plane == stsw.bag_plane == (j - 1) % 4 + 1
    # every BAG plane meets the matching STSW of every spine plane of r1-f1
    meets = {(p.node(l.b.node).bag_plane, p.node(l.a.node).spine_plane) for l in p.links
             if l.kind == "uplink" and p.node(l.a.node).fabric == "f1" and p.node(l.a.node).region == "r1"}
    assert meets == {(bp, sp) for bp in range(1, 5) for sp in (1, 2)}


def test_dsf_edge_pod_meets_every_bag_plane_with_its_member_count(two_region):
    p = two_region
    members = Counter(l.b.node for l in p.links if l.a.node == "r1-d1-edge")
    assert members == {f"r1-bag{i}": 2 for i in range(1, 5)}


def test_spread_with_bundle_override(mini):
    p = mini
    bundles = Counter(l.bundle for l in p.links if l.kind == "interbag")
    assert bundles == {"r1-bag1~r2-bag1": 3, "r1-bag1~r2-bag2": 1, "r1-bag2~r2-bag1": 1, "r1-bag2~r2-bag2": 1}
    assert all(l.macsec == "required" for l in p.links if l.kind == "interbag")


def test_oversubscription_figures(mini):
    p = mini
    got = {(o.scope, o.tier): round(o.ratio, 2) for o in p.oversubscription}
    # f1: 14.4T behind 4 STSW uplinks of 800G -> 4.5:1; r1: 4.8T of fabric uplinks over 6 x 800G inter-BAG
    assert got[("fabric r1-f1", "L2->BAG")] == 4.5
    assert got[("region r1", "BAG->BAG")] == 1.0
    assert got[("region r2", "BAG->BAG")] == round(3200 / 4800, 2)


def test_failure_domain_labels_reach_links(mini):
    p = mini
    l = next(l for l in p.links if l.a.node == "r1-f1-p2s1")
    assert "pf1b" in l.power_feeds and "dh1a" in l.data_halls


def test_generated_topology_is_large_and_valid():
    p = build_plan(load_text(generate(regions=4, planes=4, nsf_per_region=3), "gen"))
    assert len(p.nodes) >= 100
    assert len(p.links) == len({(l.a.node, l.a.ifname) for l in p.links})


def test_speed_parsing():
    from lab.design.model import parse_speed
    assert parse_speed("800G") == 800 and parse_speed("1.6T") == 1600 and parse_speed(400) == 400
    for bad in ("fast", "0G", "1.5G", True):
        with pytest.raises(ValueError):
            parse_speed(bad)


def test_a_changed_copy_indexes_its_own_links(mini):
    # plans are shared between tests, so the original may have indexed its links already
    some = mini.links[0]
    assert mini.link(some.id) is some
    assert mini.model_copy(update={"links": ()}).link(some.id) is None
