"""ExaBGP as a fabric emulator, without a lab: the plan, its ExaBGP config and the feed's API lines."""
from __future__ import annotations

import json

import pytest

from lab.nodes.exabgp_feed import commands
from lab.config.render import render_all
from lab.errors import TopologyError
from lab.design.plan import build_plan
from lab.design.topology import load_text

from ..conftest import TOPOLOGIES


def exabgp_routes(text_edit=lambda t: t):
    text = (TOPOLOGIES / "bag-routes.yaml").read_text().replace("emulator: bulk", "emulator: exabgp")
    return build_plan(load_text(text_edit(text), "t.yaml"))


def test_exabgp_fabric_renders_config_and_feed():
    p = exabgp_routes()
    stsw = p.node("r1-f1-p1s1")
    assert stsw.emulator == "exabgp" and stsw.bulk_count("ipv6") == 10000
    files = render_all(p, "/run/baglab/x/nodes", "/usr/bin/python3", lambda n: "bl_x_" + n)["r1-f1-p1s1"]
    conf, cfg = files["exabgp.conf"], json.loads(files["speaker.json"])
    sessions = len(p.links_of("r1-f1-p1s1")) * len(p.address_families)
    assert conf.count("neighbor ") == sessions == len(cfg["neighbors"])
    assert "lab.nodes.exabgp_feed /run/baglab/x/nodes/r1-f1-p1s1/speaker.json" in conf and "encoder text;" in conf
    assert "api { processes [ feed ]; }" in conf and "receive" not in conf


def test_feed_batches_per_session_with_link_bandwidth():
    p = exabgp_routes()
    cfg = json.loads(render_all(p, "/x")["r1-f1-p1s1"]["speaker.json"])
    lines = list(commands(cfg, withdraw=False, batch=1000))
    v4_nbs = [nb for nb in cfg["neighbors"] if ":" not in nb["peer"]]
    v6_nbs = [nb for nb in cfg["neighbors"] if ":" in nb["peer"]]
    # IPv4: 1,000 bulk + 1 own prefix -> 2 batches; IPv6: 10,000 + 1 -> 11 batches, per session
    assert len(lines) == 2 * len(v4_nbs) + 11 * len(v6_nbs)
    nb = v6_nbs[0]
    mine = [l for l in lines if l.startswith(f"neighbor {nb['peer']} ")]
    announced = [x for l in mine for x in l.split(" nlri ")[1].split()]
    assert len(announced) == len(set(announced)) == 10001
    # 800 Gbit/s in baglab units: 0x0004, AS_TRANS 0x5BA0, IEEE float of 100,000,000 bytes/s
    assert f"next-hop {nb['local']} extended-community [ 0x00045ba04cbebc20 ]" in mine[0]
    gone = list(commands(cfg, withdraw=True, batch=1000))
    assert len(gone) == len(lines) and all(" withdraw attributes " in l and "extended-community" not in l for l in gone)


def test_bulk_routes_on_an_exabgp_fabric_are_allowed_but_not_on_frr():
    assert exabgp_routes().node("r1-f1-p1s2").emulator == "exabgp"
    with pytest.raises(TopologyError, match="emulator: exabgp"):
        exabgp_routes(lambda t: t.replace("emulator: exabgp", "emulator: frr"))
    with pytest.raises(TopologyError, match="emulator"):
        exabgp_routes(lambda t: t.replace("emulator: exabgp", "emulator: gobgp"))

