"""Address pools too small for the topology, and plane pairs overridden twice: one located error
naming the YAML path and the numbers, never a traceback or a silently different lab."""
from __future__ import annotations

import ipaddress

import pytest

from lab.errors import TopologyError
from lab.design.plan import build_plan
from lab.design.plan.addresses import host_count
from lab.design.topology import load_text

from .test_topology import BASE

# BASE: 9 routers, 8 links, two fabrics of one prefix each per family
ROUTERS, LINKS = 9, 8
BULK = BASE.replace("{name: f2, kind: dsf}", "{name: f2, kind: dsf, emulator: bulk, routes: {ipv4: 5, ipv6: 5}}")


def plan(text: str):
    return build_plan(load_text(text, "t.yaml"))


def error_of(text: str) -> TopologyError:
    with pytest.raises(TopologyError) as exc:
        plan(text)
    return exc.value


@pytest.mark.parametrize("net", ["198.18.128.0/32", "198.18.128.0/31", "198.18.128.0/30", "198.18.128.0/24",
                                 "2001:db8::/128", "2001:db8::/127", "2001:db8::/126", "2001:db8::/120"])
def test_host_count_is_what_hosts_yields(net):
    assert host_count(ipaddress.ip_network(net)) == len(list(ipaddress.ip_network(net).hosts()))


@pytest.mark.parametrize("text, key, held, need", [
    (BASE + "addressing: {loopback_v4: 198.18.128.0/32}\n", "loopback_v4", "1 address,", ROUTERS),
    (BASE + "addressing: {loopback_v4: 198.18.128.0/31}\n", "loopback_v4", "2 addresses,", ROUTERS),
    (BASE + "addressing: {loopback_v4: 198.18.128.0/29}\n", "loopback_v4", "6 addresses,", ROUTERS),
    (BASE + "addressing: {loopback_v6: '2001:db8:0:1::/128'}\n", "loopback_v6", "1 address,", ROUTERS),
    (BASE + "addressing: {loopback_v6: '2001:db8:0:1::/125'}\n", "loopback_v6", "7 addresses,", ROUTERS),
    (BASE + "addressing: {p2p_v4: 198.18.0.0/31}\n", "p2p_v4", "1 /31 prefix,", LINKS),
    (BASE + "addressing: {p2p_v4: 198.18.0.0/29}\n", "p2p_v4", "4 /31 prefixes,", LINKS),
    (BASE + "addressing: {p2p_v6: '2001:db8::/126'}\n", "p2p_v6", "2 /127 prefixes,", LINKS),
    (BASE + "addressing: {prefixes_v4: 198.19.0.0/24}\n", "prefixes_v4", "1 /24 prefix,", 2),
    (BASE + "addressing: {prefixes_v6: '2001:db8:1000::/56'}\n", "prefixes_v6", "1 /56 prefix,", 2),
    (BULK + "addressing: {bulk_v4: 198.19.128.0/30}\n", "bulk_v4", "4 /32 routes,", 5),
    (BULK + "addressing: {bulk_v6: '2001:db8:8000::/62'}\n", "bulk_v6", "4 /64 routes,", 5),
])
def test_a_pool_too_small_names_its_path_and_the_numbers(text, key, held, need):
    err = error_of(text)
    assert err.path == f"addressing.{key}" and err.line == text.count("\n"), str(err)
    assert "exhausted" in err.reason and f"holds {held}" in err.reason, str(err)
    assert f"needs {need}" in err.reason and "\n" not in str(err), str(err)


def test_explicit_prefixes_in_the_pool_count_against_it():
    # f2's explicit /25 spoils one of the pool's two /24s; f1 asks for two
    text = (BASE.replace("{name: f1, kind: nsf, spine_planes: 2}", "{name: f1, kind: nsf, spine_planes: 2, prefixes: 2}")
            .replace("{name: f2, kind: dsf}", "{name: f2, kind: dsf, prefixes: ['198.19.0.0/25']}")
            + "addressing: {prefixes_v4: 198.19.0.0/23}\n")
    err = error_of(text)
    assert err.path == "addressing.prefixes_v4" and "holds 1 /24 prefix," in err.reason and "needs 2" in err.reason


def test_pools_just_large_enough_are_used_whole():
    p = plan(BASE + "addressing: {loopback_v4: 198.18.128.0/28, p2p_v4: 198.18.0.0/28, prefixes_v4: 198.19.0.0/23}\n")
    assert len(p.nodes) == ROUTERS and len(p.links) == LINKS
    ids = {n.router_id for n in p.nodes}
    assert len(ids) == ROUTERS and ids <= {str(h) for h in ipaddress.ip_network("198.18.128.0/28").hosts()}
    p = plan(BULK + "addressing: {bulk_v4: 198.19.128.0/29}\n")
    assert [b.count for n in p.nodes for b in n.bulk if b.prefixlen == 32] == [5]


def test_a_family_the_lab_does_not_run_needs_no_prefix_pool():
    p = plan(BASE + "policy: {address_families: [ipv4]}\naddressing: {prefixes_v6: '2001:db8:1000::/128', "
             "prefix_len_v6: 128}\n")
    assert all(not n.prefixes_v6 for n in p.nodes)


def test_the_same_bundle_twice_is_refused_naming_both():
    text = BASE.replace("{between: [r1, r2], mode: planar}", "{between: [r1, r2], mode: spread, bundles: [\n"
                        "      {a_plane: 1, b_plane: 2, links: 1},\n"
                        "      {a_plane: 1, b_plane: 1, links: 3},\n"
                        "      {a_plane: 1, b_plane: 1, links: 2}]}")
    err = error_of(text)
    assert err.path == "interconnects[0].bundles[2]" and err.line == 15, str(err)
    assert "duplicates interconnects[0].bundles[1]" in err.reason and "a_plane 1, b_plane 1" in err.reason, str(err)


def test_distinct_plane_pairs_are_fine():
    text = BASE.replace("{between: [r1, r2], mode: planar}", "{between: [r1, r2], mode: spread, bundles: ["
                        "{a_plane: 1, b_plane: 1, links: 3}, {a_plane: 2, b_plane: 1, links: 2}]}")
    links = [l for l in plan(text).links if l.kind == "interbag"]
    assert sorted({(l.bundle, sum(1 for m in links if m.bundle == l.bundle)) for l in links}) == [
        ("r1-bag1~r2-bag1", 3), ("r1-bag1~r2-bag2", 1), ("r1-bag2~r2-bag1", 2), ("r1-bag2~r2-bag2", 1)]
