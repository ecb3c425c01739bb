"""Rendered FRR configs carry the policy the oracle assumes."""
from __future__ import annotations

import ipaddress
import re

import pytest

from lab.config.render import CONFIG_FILE, render_all, sessions
from lab.design.model import LAB_V4, LAB_V6



@pytest.fixture(scope="module")
def mini_confs(mini):
    p = mini
    return p, {n: f[CONFIG_FILE[p.node(n).emulator]] for n, f in render_all(p, "/run/x").items()}


def test_origin_sets_port_speed_bandwidth(mini_confs):
    plan, confs = mini_confs
    c = confs["r1-f2-edge"]
    assert "set extcommunity bandwidth 400" in c
    assert "match ip address prefix-list OWN4" in c
    assert c.count("route-map ORIGIN4-400 out") == 4


def test_bag_sets_cumulative_and_multipath(mini_confs):
    _, confs = mini_confs
    c = confs["r1-bag1"]
    assert "set extcommunity bandwidth cumulative" in c
    assert "bgp bestpath as-path multipath-relax" in c
    assert "maximum-paths 64" in c
    assert "no zebra nexthop kernel enable" in c
    assert "frr defaults datacenter" in c


def test_one_session_per_member_and_family(mini_confs):
    plan, confs = mini_confs
    n = plan.node("r2-bag1")
    s = sessions(plan, n)
    assert len(s) == len(plan.links_of(n.name)) * 2
    for sess in s:
        assert f"neighbor {sess.addr} remote-as {sess.peer_asn}" in confs[n.name]


def test_every_address_in_configs_is_a_lab_address(mini_confs):
    _, confs = mini_confs
    for name, c in confs.items():
        for tok in re.findall(r"\b[0-9a-f:.]+(?:/\d+)?\b", c):
            try:
                ip = ipaddress.ip_network(tok, strict=False)
            except ValueError:
                continue
            not_v4 = ip.version == 4 and tok.count(".") != 3
            not_v6 = ip.version == 6 and "::" not in tok and tok.count(":") < 2
            if ip.prefixlen == 0 or not_v4 or not_v6:
                continue
            assert ip.subnet_of(LAB_V4 if ip.version == 4 else LAB_V6), (name, tok)


def test_link_transit_mode_renders_port_speed(mini):
    p = mini.model_copy(update={"transit_bandwidth": "link"})
    c = render_all(p, "/run/x")["r1-bag1"]["frr.conf"]
    assert "cumulative" not in c and "route-map TRANSIT-800 permit 10" in c
