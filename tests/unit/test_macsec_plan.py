"""MACsec and TCP-MD5 policy without a lab: plan, key derivation, enforcement rules, FRR config."""
from __future__ import annotations

import pytest

from lab.config.render import render_all
from lab.errors import TopologyError
from lab.macsec import enforce, kernel, keys
from lab.design.plan import build_plan
from lab.design.topology import load_text

from ..conftest import TOPOLOGIES


def test_bag_to_bag_links_are_protected_by_default_and_others_are_not(mini):
    for l in mini.links:
        if l.kind == "interbag":
            assert l.macsec == "required" and l.a.wire and l.b.wire and l.a.port == l.a.wire != l.a.ifname
        else:
            assert l.macsec == "off" and l.a.wire is None and l.a.port == l.a.ifname
    wires = [e.wire for l in mini.links for e in (l.a, l.b) if e.wire]
    assert len(wires) == len(set(wires)) and all(len(w) <= 15 for w in wires)


def test_interconnect_macsec_can_be_relaxed():
    text = (TOPOLOGIES / "bag-mini.yaml").read_text().replace("macsec: required", "macsec: off")
    p = build_plan(load_text(text, "t.yaml"))
    assert not any(e.wire for l in p.links for e in (l.a, l.b))


def test_unknown_macsec_mode_is_a_clear_error():
    text = (TOPOLOGIES / "bag-mini.yaml").read_text().replace("macsec: required", "macsec: maybe")
    with pytest.raises(TopologyError) as exc:
        build_plan(load_text(text, "t.yaml"))
    assert exc.value.path == "interconnects[0].macsec"


def test_md5_on_a_link_to_an_emulated_fabric_is_refused():
    text = (TOPOLOGIES / "bag-routes.yaml").read_text() + \
        "links:\n  - {a: r1-bag1, b: r1-f1-p1s2, tcp_md5: secret}\n"
    with pytest.raises(TopologyError, match="need FRR on both ends"):
        build_plan(load_text(text, "t.yaml"))


def test_md5_password_is_rendered_on_every_session_of_the_link(mini):
    confs = render_all(mini, "/run/x")
    l = next(l for l in mini.links if l.kind == "interbag")
    conf = confs[l.a.node]["frr.conf"]
    for addr in (l.b.ipv4.split("/")[0], l.b.ipv6.split("/")[0]):
        assert f"neighbor {addr} password bag-mini-md5" in conf
    up = next(l for l in mini.links if l.kind == "uplink")
    assert f"neighbor {up.a.ipv4.split('/')[0]} password" not in confs[up.b.node]["frr.conf"]


def test_both_ends_derive_the_same_sak_and_links_differ(mini):
    chain = keys.KeyChain()
    chain.tx = keys.new_key(chain)["id"]
    l1, l2 = [l for l in mini.links if l.a.wire][:2]
    a = keys.port_configs(mini, chain, l1.a.node)
    b = keys.port_configs(mini, chain, l1.b.node)
    ka = next(p for p in a if p["link"] == l1.id)["keys"]
    kb = next(p for p in b if p["link"] == l1.id)["keys"]
    assert ka == kb and len(bytes.fromhex(ka[chain.tx % 4])) == 16
    assert keys.sak(chain.keys[0]["cak"], l1, "gcm-aes-128") != keys.sak(chain.keys[0]["cak"], l2, "gcm-aes-128")
    assert len(keys.sak(chain.keys[0]["cak"], l1, "gcm-aes-256")) == 32


def test_rotation_keeps_the_predecessor_and_a_mismatch_changes_one_end(mini):
    chain = keys.KeyChain()
    chain.tx = keys.new_key(chain)["id"]
    new = keys.new_key(chain)
    assert [k["id"] for k in chain.live()] == [1, 2]          # installed before it transmits
    chain.tx = new["id"]
    keys.new_key(chain)
    chain.tx = 3
    assert [k["id"] for k in chain.live()] == [2, 3]          # key 1 retired
    l = next(l for l in mini.links if l.a.wire)
    chain.overrides[f"{l.id}/{l.a.node}"] = "00" * 32
    ka = next(p for p in keys.port_configs(mini, chain, l.a.node) if p["link"] == l.id)["keys"]
    kb = next(p for p in keys.port_configs(mini, chain, l.b.node) if p["link"] == l.id)["keys"]
    assert ka[3] != kb[3]


def test_enforcement_drops_only_non_macsec_on_required_ports():
    s = enforce.script([{"wire": "mw1a", "mode": "required"}, {"wire": "mw2a", "mode": "optional"}])
    req, opt = s.split("chain in_mw1a")[1].split("chain in_mw2a")
    assert "ether type 0x88e5 counter accept" in req and "counter drop" in req
    assert "counter drop" not in opt and "counter accept" in opt
    assert s.startswith(f"table netdev {enforce.TABLE} {{}}\ndelete table")     # idempotent re-install


def test_kernel_backend_commands_mirror_the_key_chain():
    port = {"ifname": "r2-bag1-1", "wire": "mw12a", "mode": "required", "keys": {1: "ab" * 16, 2: "cd" * 16},
            "tx_an": 2}
    lines = kernel.commands(port, "gcm-aes-128", 0, "02:ba:00:00:0c:0b")
    assert lines[0].startswith("link add link mw12a name r2-bag1-1 type macsec") and "encodingsa 2" in lines[0]
    assert sum("tx sa" in x for x in lines) == 2 and sum("rx port 1 address 02:ba:00:00:0c:0b sa" in x for x in lines) == 2
