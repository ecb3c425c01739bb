"""The pure core under the live checks: how kernel routes, link-bandwidth strings and FIB
comparisons are read.  A wrong parser here would make every live verdict wrong in the same way."""
from __future__ import annotations

from lab.config.oracle import NextHop
from lab.observe.converge import Mismatch, fib_mismatches
from lab.observe.fib import BLACKHOLE, FibHop, _parse_ip_route_line
from lab.observe.frr import link_bandwidth



def test_single_path_route_is_all_traffic():
    assert _parse_ip_route_line("198.18.1.0/24 via 198.18.0.1 dev eth1 proto bgp metric 20") == \
        [FibHop("eth1", "198.18.0.1", 100)]


def test_multipath_route_keeps_each_weight_sorted_by_interface():
    line = ("198.18.1.0/24 proto bgp metric 20 \\tnexthop via 198.18.0.9 dev eth3 weight 25 "
            "\\tnexthop via 198.18.0.1 dev eth1 weight 75")
    assert _parse_ip_route_line(line) == [FibHop("eth1", "198.18.0.1", 75), FibHop("eth3", "198.18.0.9", 25)]


def test_ipv6_route_via_link_local_and_inet6_gateway():
    assert _parse_ip_route_line("2001:db8:1::/64 via inet6 fe80::1 dev eth2 proto bgp") == \
        [FibHop("eth2", "fe80::1", 100)]


def test_blackhole_route():
    assert _parse_ip_route_line("blackhole 198.18.64.0/18 proto bgp metric 20") == [FibHop(BLACKHOLE, None, 100)]


def test_link_bandwidth_from_frr_text():
    assert link_bandwidth("LB:23456:800000000 (6.000 Gbps)") == 6400.0
    assert link_bandwidth("RT:1:1 LB:65000:125000000 (1.000 Gbps)") == 1000.0
    assert link_bandwidth("RT:1:1") is None
    assert link_bandwidth("") is None


class TableReader:
    """A reader over fixed tables: fib_mismatches only needs read(node, families)."""

    def __init__(self, tables):
        self.tables = tables

    def read(self, node, families):
        return self.tables.get(node, {})


def _hop(ifname, weight):
    return NextHop(link=0, ifname=ifname, peer="p", bandwidth=1.0, weight=weight)


def test_fib_mismatches_within_tolerance_missing_extra_and_wrong_weight(mini):
    plan = mini
    expected = {"r1-bag1": {"198.18.100.0/24": [_hop("eth1", 75), _hop("eth2", 25)],
                            "198.18.101.0/24": [_hop("eth1", 100)],
                            "198.18.102.0/24": [_hop("eth1", 66), _hop("eth2", 33)]}}
    observed = {"r1-bag1": {"198.18.100.0/24": [FibHop("eth1", "a", 74), FibHop("eth2", "b", 26)],   # rounding
                            "198.18.102.0/24": [FibHop("eth1", "a", 50), FibHop("eth2", "b", 50)],
                            "198.18.103.0/24": [FibHop("eth3", "c", 100)]}}
    got = {m.prefix: m for m in fib_mismatches(plan, expected, TableReader(observed))}
    assert set(got) == {"198.18.101.0/24", "198.18.102.0/24", "198.18.103.0/24"}
    assert got["198.18.101.0/24"] == Mismatch("r1-bag1", "198.18.101.0/24", (("eth1", 100),), ())
    assert got["198.18.103.0/24"].expected == () and got["198.18.103.0/24"].observed == (("eth3", 100),)
    assert "expected [eth1 w66, eth2 w33] observed [eth1 w50, eth2 w50]" in str(got["198.18.102.0/24"])
    assert fib_mismatches(plan, expected, TableReader(expected_as_observed(expected))) == []


def expected_as_observed(expected):
    return {n: {p: [FibHop(h.ifname, None, h.weight) for h in hs] for p, hs in t.items()} for n, t in expected.items()}
