"""Policy directories: validation against the plan, template errors with file:line, the context a
fragment sees, the built-in directory on every shipped topology, and the mechanisms (drain twins,
aggregation guards) derived from a rendered config."""
from __future__ import annotations

import os
import shutil

import pytest

from lab.config.policy import DEFAULT_DIR, Block, load_policy, read_config, render_node
from lab.config.policy.mechanisms import live_bindings
from lab.config.render import render_frr, sessions
from lab.errors import LabError
from lab.workflows.review import write_rendered

from ..conftest import ROOT, TOPOLOGIES
from ..plans import plan_of

EXAMPLES = ROOT / "topologies" / "policies" / "bag-mini"


@pytest.fixture
def pdir(tmp_path):
    d = tmp_path / "pol"
    shutil.copytree(DEFAULT_DIR, d)
    return d


def _write(d, rel, text):
    (d / rel).parent.mkdir(parents=True, exist_ok=True)
    (d / rel).write_text(text)


def test_missing_role_file_names_the_directory_and_role(pdir, mini):
    (pdir / "role" / "edge.j2").unlink()
    with pytest.raises(LabError, match=rf"{pdir}.*role/edge.j2.*'edge'"):
        load_policy(pdir, mini)


@pytest.mark.parametrize("rel, listed", [("region/r9.j2", "r1, r2"), ("node/r1-bag7.j2", "r1-bag1"),
                                         ("plane/3.j2", "1, 2")])
def test_fragment_for_something_the_plan_lacks_names_file_and_what_exists(pdir, mini, rel, listed):
    _write(pdir, rel, "! nothing\n")
    with pytest.raises(LabError) as e:
        load_policy(pdir, mini)
    assert str(pdir / rel) in str(e.value) and listed in str(e.value)


def test_stray_file_is_not_taken_for_a_fragment(pdir):
    _write(pdir, "roles/bag.j2", "")
    with pytest.raises(LabError, match="not a policy fragment"):
        load_policy(pdir)


def test_template_syntax_error_names_file_and_line(pdir, mini):
    _write(pdir, "common.j2", "! ok\n! ok\n{% for x in %}\n{% endfor %}\n")
    with pytest.raises(LabError, match=rf"^{pdir / 'common.j2'}:3: template error"):
        load_policy(pdir, mini)


def test_undefined_name_names_file_line_and_node(pdir, mini):
    _write(pdir, "node/r2-bag2.j2", "! fine\n! {{ node.asn }}\nroute-map X permit {{ node.no_such_thing }}\n")
    pol = load_policy(pdir, mini)
    with pytest.raises(LabError) as e:
        render_node(mini, mini.node("r2-bag2"), "/x", policy=pol)
    assert str(e.value).startswith(f"{pdir / 'node/r2-bag2.j2'}:3: UndefinedError")
    assert "r2-bag2" in str(e.value) and "no_such_thing" in str(e.value)


@pytest.mark.parametrize("topo", sorted(p.name for p in TOPOLOGIES.glob("*.yaml")))
def test_default_directory_renders_every_shipped_topology(topo):
    plan = plan_of(topo)
    out = render_frr(plan, "/run/x")
    assert out and all("route-map" in r.text and r.blocks[0].path is None for r in out.values())


def test_context_a_fragment_sees(pdir, mini):
    _write(pdir, "node/r1-f2-edge.j2", "! {{ node.name }} {{ node.role }} {{ node.region }} {{ node.plane }} "
           "{{ node.fabric }} {{ node.asn }} {{ node.originates }} {{ node.prefixes_v4 | join(',') }} "
           "{{ families | join(',') }} {{ policy.transit_bandwidth }} {{ policy.drain_method }}\n"
           "{% for s in sessions %}! {{ s.addr }} {{ s.peer }} {{ s.peer_role }} {{ s.peer_region }} "
           "{{ s.peer_plane }} {{ s.family }} {{ s.speed_gbps }} {{ s.route_map }} {{ s.bundle }}\n{% endfor %}")
    n = mini.node("r1-f2-edge")
    text = render_node(mini, n, "/x", policy=load_policy(pdir, mini)).text
    assert (f"! r1-f2-edge edge r1 None f2 {n.asn} True 198.19.1.0/24 ipv4,ipv6 cumulative graceful-shutdown"
            in text)
    s = sessions(mini, n)[0]
    assert f"! {s.addr} r1-bag1 bag r1 1 ipv4 400 ORIGIN4-400 " in text


def test_blocks_map_rendered_lines_to_fragments(pdir, mini):
    _write(pdir, "common.j2", "! from common\n")
    r = render_node(mini, mini.node("r1-bag1"), "/x", policy=load_policy(pdir, mini))
    lines = r.text.splitlines()
    assert [b.first for b in r.blocks] == [1] + [b.last + 1 for b in r.blocks[:-1]]
    assert r.blocks[-1].last == len(lines)
    common = next(b for b in r.blocks if b.path == pdir / "common.j2")
    assert lines[common.first - 1] == "! from common" and common.first == common.last
    assert r.source_of(common.first) == common and isinstance(common, Block)
    assert r.blocks[-1].path is None and lines[r.blocks[-1].first - 1].startswith("! baglab:")


REBIND = """route-map MINE permit 10
 set extcommunity bandwidth 5
exit
router bgp {asn}
 address-family ipv6 unicast
  neighbor {addr} route-map MINE out
 exit-address-family
exit
"""


def test_drain_twin_follows_the_map_a_policy_rebinds(pdir, mini):
    n = mini.node("r1-bag1")
    s6 = next(s for s in sessions(mini, n) if s.family == "ipv6")
    _write(pdir, "node/r1-bag1.j2", REBIND.format(asn=n.asn, addr=s6.addr))
    pol = load_policy(pdir, mini)
    drained = render_node(mini, n, "/x", {s6.link}, policy=pol).text
    assert "route-map MINE-DRAIN permit 10\n set community graceful-shutdown additive\n call MINE\nexit" in drained
    binds = dict(live_bindings(drained, sessions(mini, n))["ipv6"])
    assert binds[s6.addr] == "MINE-DRAIN"
    v4 = dict(live_bindings(drained, sessions(mini, n))["ipv4"])
    assert v4 == {s.addr: "TRANSIT-DRAIN" if s.link == s6.link else "TRANSIT"
                  for s in sessions(mini, n) if s.family == "ipv4"}
    undrained = render_node(mini, n, "/x", policy=pol).text
    assert dict(live_bindings(undrained, sessions(mini, n))["ipv6"])[s6.addr] == "MINE"


def test_read_config_follows_frr_contexts():
    facts = read_config("route-map A permit 10\n set metric 1\nip prefix-list P seq 5 permit 10.0.0.0/8\n"
                        "router bgp 1\n neighbor 10.0.0.1 route-map A out\n address-family ipv6 unicast\n"
                        "  neighbor fe80::1 route-map A in\n exit-address-family\n neighbor 10.0.0.2 route-map B out\n"
                        "exit\nroute-map A deny 5\nexit\n")
    assert facts.maps["A"] == {10: ["permit", "set metric 1"], 5: ["deny"]}
    assert facts.bindings == {("ipv4", "10.0.0.1", "out"): "A", ("ipv6", "fe80::1", "in"): "A",
                              ("ipv4", "10.0.0.2", "out"): "B"}


def test_binding_an_undefined_map_names_node_neighbour_and_map(pdir, mini):
    n = mini.node("r1-bag1")
    s6 = next(s for s in sessions(mini, n) if s.family == "ipv6")
    _write(pdir, "node/r1-bag1.j2", REBIND.format(asn=n.asn, addr=s6.addr).replace("route-map MINE out",
                                                                                  "route-map MINEE out"))
    with pytest.raises(LabError, match=rf"r1-bag1: neighbour {s6.addr} \(.*\).*MINEE out.*never defines"):
        render_node(mini, n, "/x", policy=load_policy(pdir, mini))


def test_inbound_map_must_keep_graceful_shutdown(pdir, mini):
    n = mini.node("r1-bag1")
    s = sessions(mini, n)[0]
    _write(pdir, "node/r1-bag1.j2", f"route-map IN permit 10\nexit\nrouter bgp {n.asn}\n address-family ipv4 unicast\n"
           f"  neighbor {s.addr} route-map IN in\n exit-address-family\nexit\n")
    with pytest.raises(LabError, match="inbound route-map IN must honour GRACEFUL_SHUTDOWN"):
        render_node(mini, n, "/x", policy=load_policy(pdir, mini))


def test_outbound_map_replacing_communities_is_refused_with_gshut_drains(pdir, mini):
    _write(pdir, "node/r1-bag1.j2", "route-map TRANSIT permit 10\n set community 64512:1\nexit\n")
    with pytest.raises(LabError, match="TRANSIT seq 10 replaces communities.*additive"):
        render_node(mini, mini.node("r1-bag1"), "/x", policy=load_policy(pdir, mini))


def test_aggregation_guard_lands_in_the_rebound_map(agg):
    n = agg.node("r1-bag1")
    abroad = [s for s in sessions(agg, n) if s.route_map.endswith("-X") and s.family == "ipv4"]
    text = render_node(agg, n, "/x").text
    assert "route-map TRANSIT-X deny 1\n match ip address prefix-list AGG4-1-MORE" in text
    assert abroad and "route-map TRANSIT-X-DRAIN permit 10" in text


@pytest.mark.parametrize("name", ["safe-tag", "strip-lb-plane2", "prefix-typo", "frr-rejects", "region-tag",
                                  "md5-spoke-plane2", "leak-connected", "strip-community", "hub-preference"])
def test_example_policies_render(mini, name):
    out = render_frr(mini, "/run/x", EXAMPLES / name)
    assert set(out) == {n.name for n in mini.nodes if n.emulator == "frr"}


def test_strip_lb_rebinds_plane2_bags_only(mini):
    out = render_frr(mini, "/run/x", EXAMPLES / "strip-lb-plane2")
    assert "route-map STRIP-LB-DRAIN permit 10" in out["r1-bag2"].text
    assert "STRIP-LB" not in out["r1-bag1"].text and "STRIP-LB" not in out["r1-f1-p1s2"].text


def _with(out: dict, line: str) -> set[str]:
    """The routers whose rendered config holds ``line`` (a whole line, leading spaces ignored)."""
    return {n for n, r in out.items() if any(t.strip() == line for t in r.text.splitlines())}


def test_leak_connected_redistributes_on_the_spokes_stsws_only(mini):
    out = render_frr(mini, "/run/x", EXAMPLES / "leak-connected")
    spoke_stsws = {n.name for n in mini.nodes if n.role == "stsw" and n.region == "r2"}
    assert len(spoke_stsws) == 4
    assert _with(out, "redistribute connected") == spoke_stsws
    assert _with(out, "match source-protocol connected") == spoke_stsws
    text = out["r2-f3-p1s1"].text
    assert text.count("redistribute connected") == 2          # one per address family
    assert "route-map ORIGIN4-800 permit 20\n match source-protocol connected" in text


def test_strip_community_tags_everywhere_and_strips_on_plane2_bags(mini):
    out = render_frr(mini, "/run/x", EXAMPLES / "strip-community")
    bags = {n.name for n in mini.nodes if n.role == "bag"}
    assert _with(out, "set community 64512:2 additive") == bags
    assert _with(out, "set comm-list REGION-INTERNAL delete") == {"r1-bag2", "r2-bag2"}
    assert not any("FROM-BAG" in r.text for r in out.values())        # no enforcement: tag only
    text = out["r2-bag2"].text
    # the scrub runs after the tag: entry 10 tags and goes on, entry 20 deletes 64512:*
    assert "route-map TO-BAG-800 permit 10\n on-match next" in text
    assert "route-map TO-BAG-800 permit 20\n set comm-list REGION-INTERNAL delete" in text
    facts = read_config(text)
    assert "set community 64512:2 additive" in facts.maps["TO-BAG-800"][10]
    peers = {s.addr: s.peer for s in sessions(mini, mini.node("r2-bag2"))}
    bound = {peers[a] for (_, a, way), m in facts.bindings.items() if way == "out" and m == "TO-BAG-800"}
    assert bound == {"r1-bag1", "r1-bag2"}


def test_hub_preference_raises_the_hub_at_r2_bag1_only(mini):
    out = render_frr(mini, "/run/x", EXAMPLES / "hub-preference")
    assert _with(out, "set local-preference 200") == {"r2-bag1"}
    n = mini.node("r2-bag1")
    hub = [s for s in sessions(mini, n) if mini.node(s.peer).role == "bag" and mini.node(s.peer).region == "r1"]
    assert len(hub) == 8                                        # 4 links to the hub's BAGs, 2 families
    text = out["r2-bag1"].text
    assert {s.addr for s in hub} == {a for a in (s.addr for s in sessions(mini, n))
                                     if f"  neighbor {a} allowas-in 1" in text}
    facts = read_config(text)
    assert {facts.bindings[(s.family, s.addr, "in")] for s in hub} == {"FROM-HUB"}
    assert facts.maps["FROM-HUB"][10] == ["permit", "set local-preference 200", "call FROM-PEER"]
    assert not any("allowas-in" in r.text for name, r in out.items() if name != "r2-bag1")


def test_plan_render_writes_private_files(tmp_path, mini):
    files = write_rendered(mini, EXAMPLES / "safe-tag", tmp_path / "out")
    assert len(files) == 13 and all(os.stat(f).st_mode & 0o777 == 0o600 for f in files)
    assert "64512:100" in (tmp_path / "out" / "r1-f2-edge" / "frr.conf").read_text()


@pytest.mark.skipif(shutil.which("vtysh") is None, reason="FRR's vtysh judges the configs")
def test_plan_render_writes_nothing_frr_rejects(tmp_path, mini):
    with pytest.raises(LabError, match=r"frr-rejects/common\.j2:4: .*FRR rejects 'set as-path prepand 64512'"):
        write_rendered(mini, EXAMPLES / "frr-rejects", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli_plan_render_and_a_bad_policy_is_one_error(tmp_path, pdir, capsys):
    from lab import cli

    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        cli.main(["plan", str(TOPOLOGIES / "bag-mini.yaml"), "--policy", str(EXAMPLES / "safe-tag"),
                  "--render", str(out)])
    assert exc.value.code in (0, None) and (out / "r1-bag1" / "frr.conf").is_file()
    (pdir / "role" / "stsw.j2").unlink()
    with pytest.raises(SystemExit) as exc:
        cli.main(["plan", str(TOPOLOGIES / "bag-mini.yaml"), "--policy", str(pdir), "--render", str(tmp_path / "b")])
    text = capsys.readouterr().err
    assert exc.value.code == 2 and "role/stsw.j2" in text and "Traceback" not in text
    assert not (tmp_path / "b").exists()


def test_locate_finds_the_fragment_line_of_a_rendered_line(mini):
    r = render_frr(mini, "/run/x", EXAMPLES / "frr-rejects")["r1-bag1"]
    lines = r.text.splitlines()
    bad = next(i for i, t in enumerate(lines, 1) if "prepand" in t)
    assert r.locate(bad) == (EXAMPLES / "frr-rejects" / "common.j2", 4)
    templated = next(i for i, t in enumerate(lines, 1) if t.startswith("route-map TRANSIT permit 10"))
    path, line = r.locate(templated)
    assert path.name == "bag.j2" and path.read_text().splitlines()[line - 1].startswith("route-map {{")
    assert r.locate(1) == (None, None)
