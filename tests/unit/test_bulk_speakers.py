"""The configs bench/feeder_configs.py writes for GoBGP and BIRD carry the same sessions, prefixes and
link-bandwidth community as baglab's speaker (no daemons started: pure text and bytes)."""
from __future__ import annotations

import importlib.util
import ipaddress
import struct
from pathlib import Path

import pytest

from lab.nodes.speaker import link_bandwidth_community

_spec = importlib.util.spec_from_file_location(
    "feeder_configs", Path(__file__).resolve().parents[2] / "bench" / "feeder_configs.py")
bs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bs)

CFG = {"asn": 4200100000, "router_id": "198.18.128.3", "hold": 9,
       "prefixes": ["198.19.0.0/24", "2001:db8:1000::/56"],
       "bulk": [{"first": "2001:db8:8000::/64", "prefixlen": 64, "count": 3}],
       "neighbors": [{"peer": "198.18.0.1", "local": "198.18.0.0", "peer_as": 4200000000, "bandwidth_mbps": 800},
                     {"peer": "2001:db8::1", "local": "2001:db8::", "peer_as": 4200000000, "bandwidth_mbps": 800}]}


def mrt_records(data: bytes):
    while data:
        _, typ, sub, length = struct.unpack("!IHHI", data[:12])
        yield typ, sub, data[12:12 + length]
        data = data[12 + length:]


def test_mrt_table_has_every_prefix_with_link_bandwidth():
    every = ["198.19.0.0/24", "2001:db8:1000::/56", "2001:db8:8000::/64", "2001:db8:8000:1::/64"]
    recs = list(mrt_records(bs.mrt_table(CFG, every)))
    assert [(t, s) for t, s, _ in recs] == [(13, 1), (13, 2), (13, 4), (13, 4), (13, 4)]
    lb = bytes([0xC0, 16, 8]) + link_bandwidth_community(800)
    seen = []
    for _, sub, body in recs[1:]:
        plen = body[4]
        nbytes = (plen + 7) // 8
        width = 4 if sub == 2 else 16
        addr = body[5:5 + nbytes] + bytes(width - nbytes)
        seen.append(str(ipaddress.ip_network((addr, plen))))
        entries, = struct.unpack("!H", body[5 + nbytes:7 + nbytes])
        assert entries == 1
        assert lb in body                      # the community as the speaker packs it
    assert seen == every


def test_bird_literal_is_the_speakers_community():
    hi, lo = struct.unpack("!II", link_bandwidth_community(800))
    assert bs.bird_lb(CFG) == f"(generic, {hi:#010x}, {lo:#010x})"
    assert bs.bird_lb(CFG).startswith("(generic, 0x00045ba0, ")        # transitive 2-octet AS, LB, AS 23456


def test_configs_name_every_session_and_prefix():
    toml = bs.gobgpd_toml(CFG)
    assert 'neighbor-address = "2001:db8::1"' in toml and 'local-address = "2001:db8::"' in toml
    assert "as = 4200100000" in toml and 'afi-safi-name = "ipv6-unicast"' in toml
    conf = bs.bird_conf(CFG, "/x/routes.conf")
    assert "local 198.18.0.0 as 4200100000;" in conf and "neighbor 2001:db8::1 as 4200000000;" in conf
    routes = bs.bird_routes(CFG, ["198.19.0.0/24", "2001:db8:8000::/64"])
    assert "route 2001:db8:8000::/64 blackhole;" in routes and "protocol static feed6" in routes


def test_one_bandwidth_per_node():
    other = {**CFG, "neighbors": [CFG["neighbors"][0], {**CFG["neighbors"][1], "bandwidth_mbps": 400}]}
    with pytest.raises(ValueError):
        bs.node_bandwidth(other)
