"""Collector plumbing without a lab: plan wiring, ExaBGP config, and parsing ExaBGP 5's JSON."""
from __future__ import annotations

import pytest

from lab.config.render import render_all
from lab.errors import TopologyError
from lab.observe.collector import parse
from lab.design.plan import build_plan
from lab.design.topology import load_text

from ..conftest import TOPOLOGIES

# two lines as ExaBGP 5.0.15 wrote them here (an announcement with link bandwidth, a withdrawal)
ANNOUNCE = ('{"t":100.5,"msg":{"type":"update","neighbor":{"address":{"local":"198.18.0.38","peer":"198.18.0.39"},'
            '"direction":"receive","message":{"update":{"attribute":{"origin":"igp","extended-community":'
            '[{"value":1226643964083232,"string":""}]},"announce":{"ipv4 unicast":{"198.18.0.39":'
            '[{"nlri":"198.19.0.0/24"}]}}}}}}}')
WITHDRAW = ('{"t":101.0,"msg":{"type":"update","neighbor":{"address":{"local":"198.18.0.38","peer":"198.18.0.39"},'
            '"message":{"update":{"withdraw":{"ipv4 unicast":[{"nlri":"198.19.1.0/24"}]}}}}}}')
STATE = '{"t":99.0,"msg":{"type":"state","neighbor":{"address":{"peer":"198.18.0.39"},"state":"up"}}}'


def test_parse_exabgp_updates():
    evs = parse([STATE, ANNOUNCE, "not json", WITHDRAW])
    assert [(e.kind, e.prefix, e.peer, e.t) for e in evs] == [
        ("announce", "198.19.0.0/24", "198.18.0.39", 100.5), ("withdraw", "198.19.1.0/24", "198.18.0.39", 101.0)]
    # 0x0004 5BA0 + float 400,000,000 bytes/s: 3200 in baglab units (r2-bag2: two paths of 1600, cumulative)
    assert evs[0].bandwidth == pytest.approx(3200.0)


def test_collector_is_wired_to_its_peers_and_renders_exabgp(mini):
    p = mini
    c = p.node("coll2")
    assert c.role == "collector" and c.emulator == "exabgp" and not c.prefixes
    assert sorted(l.peer("coll2").node for l in p.links_of("coll2")) == ["r2-bag1", "r2-bag2"]
    conf = render_all(p, "/run/baglab/x/nodes", "/usr/bin/python3", lambda n: "bl_x_" + n)["coll2"]["exabgp.conf"]
    assert conf.count("neighbor ") == 4 and "encoder json;" in conf and "receive { parsed; update; }" in conf
    assert "lab.nodes.collector /run/baglab/x/nodes/coll2/updates.jsonl" in conf


def test_unknown_collector_peer_is_a_clear_error():
    text = (TOPOLOGIES / "bag-mini.yaml").read_text().replace("peers: [r2-bag1, r2-bag2]", "peers: [r2-bag1, r9-bag2]")
    with pytest.raises(TopologyError) as exc:
        build_plan(load_text(text, "t.yaml"))
    assert exc.value.path == "collectors[0].peers[1]" and "unknown node 'r9-bag2'" in str(exc.value)


def test_bulk_routes_need_an_emulator():
    text = (TOPOLOGIES / "bag-routes.yaml").read_text().replace("emulator: bulk", "emulator: frr")
    with pytest.raises(TopologyError, match="emulator: bulk' or 'emulator: exabgp"):
        build_plan(load_text(text, "t.yaml"))


def test_bulk_blocks_expand_deterministically(routes):
    p = routes
    blocks = p.node("r1-f1-p1s1").bulk
    v6 = next(b for b in blocks if b.family == "ipv6")
    prefixes = list(v6.prefixes())
    assert len(prefixes) == v6.count == 10000 and prefixes[0] == v6.first == "2001:db8:8000::/64"
    assert prefixes[1] == "2001:db8:8000:1::/64"
    assert v6.first in p.prefixes("ipv6"), "the first prefix of a block stands for it in exact checks"
