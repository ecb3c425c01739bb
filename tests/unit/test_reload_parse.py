"""frr-reload.py --test output -> reload_node's added/removed lines, masking, and the vtysh
fallback's script (no root, no FRR)."""
from __future__ import annotations

import shutil
from pathlib import Path

from lab.config.policy import load_policy, render_node
from lab.config.render import sessions
from lab.config.policy.directory import DEFAULT_DIR
from lab.frr.reload import (MASK, ReloadResult, mask, parse_test_output, shown, touches_policy,
                             vtysh_lines)

# the shape frr-reload.py 8.4 prints (measured on bag-mini), with a password change added
OUT = """
Lines To Delete
===============
route-map ORIGIN4-400 permit 10
 no match ip address prefix-list OWN4
router bgp 4200000000
 no neighbor 198.18.0.35 password old-secret
router bgp 4200000000
 address-family ipv4 unicast
  no neighbor 198.18.0.35 route-map X out
bgp default ipv4-unicast
no ip prefix-list GONE seq 5 permit 10.0.0.0/8

Lines To Add
============
route-map ORIGIN4-400 permit 10
 set community 64512:100 additive
router bgp 4200000000
 neighbor 198.18.0.35 password new-secret
ip prefix-list MINE4 seq 5 deny 198.18.0.0/16 le 32
frr version 8.4
"""


def test_added_lines_keep_their_contexts_and_drop_the_version():
    added, _ = parse_test_output(OUT)
    assert shown(added) == ["route-map ORIGIN4-400 permit 10 / set community 64512:100 additive",
                            f"router bgp 4200000000 / neighbor 198.18.0.35 password {MASK}",
                            "ip prefix-list MINE4 seq 5 deny 198.18.0.0/16 le 32"]


def test_removed_lines_are_what_the_running_config_had():
    _, removed = parse_test_output(OUT)
    assert shown(removed) == ["route-map ORIGIN4-400 permit 10 / match ip address prefix-list OWN4",
                              f"router bgp 4200000000 / neighbor 198.18.0.35 password {MASK}",
                              "router bgp 4200000000 / address-family ipv4 unicast / neighbor 198.18.0.35 route-map X out",
                              "no bgp default ipv4-unicast",
                              "ip prefix-list GONE seq 5 permit 10.0.0.0/8"]


def test_nothing_to_do_parses_to_nothing():
    assert parse_test_output("\nLines To Add\n============\nfrr version 8.4\n") == ([], [])
    assert parse_test_output("") == ([], [])
    assert not ReloadResult("r", "", [], [], 0.1).changed
    assert ReloadResult("r", "frr-reload", ["x"], [], 0.1).changed


def test_masking_hides_every_password_and_nothing_else():
    assert mask("neighbor 1.2.3.4 password s3cr3t") == f"neighbor 1.2.3.4 password {MASK}"
    assert mask('vtysh: "router bgp 1 -- no neighbor 2001:db8::1 password x y"') == \
        f'vtysh: "router bgp 1 -- no neighbor 2001:db8::1 password {MASK} y"'
    assert mask("neighbor 1.2.3.4 description passwordless") == "neighbor 1.2.3.4 description passwordless"
    assert "secret" not in repr(shown(parse_test_output(OUT)[0] + parse_test_output(OUT)[1]))


def test_policy_objects_ask_for_a_soft_clear_and_neighbour_lines_do_not():
    added, removed = parse_test_output(OUT)
    assert touches_policy(added) and touches_policy(removed)
    assert not touches_policy([["router bgp 1", "neighbor 198.18.0.35 password x"]])


def test_the_vtysh_fallback_removes_before_it_adds_each_from_the_top():
    added, removed = parse_test_output(OUT)
    lines = vtysh_lines(added[1:2], removed[1:2])
    assert lines == ["router bgp 4200000000", "no neighbor 198.18.0.35 password old-secret", "end",
                     "configure terminal", "router bgp 4200000000", "neighbor 198.18.0.35 password new-secret",
                     "end", "configure terminal"]


def test_a_fragment_password_replaces_the_topology_password(mini, tmp_path: Path):
    """One password line per neighbour: FRR keeps the last, and frr-reload.py would re-add the other."""
    n = mini.node("r1-bag2")
    sess = [s for s in sessions(mini, n) if s.password]
    addr = sess[0].addr
    pdir = tmp_path / "pol"
    shutil.copytree(DEFAULT_DIR, pdir)
    (pdir / "node").mkdir(exist_ok=True)
    (pdir / "node" / "r1-bag2.j2").write_text(f"router bgp {n.asn}\n neighbor {addr} password other\nexit\n")
    text = render_node(mini, n, "/x", policy=load_policy(pdir, mini)).text
    mine = [l.strip() for l in text.splitlines() if l.strip().startswith(f"neighbor {addr} password")]
    assert mine == [f"neighbor {addr} password other"]
    others = [l for l in text.splitlines() if " password " in l and addr not in l]
    assert len(others) == len(sess) - 1, "the other sessions lost their topology password"


def test_the_skeleton_leaves_out_what_frr_defaults_datacenter_already_says(mini):
    """'show running' omits defaults: a line restating one would be a change in every reload."""
    text = render_node(mini, mini.node("r1-bag1"), "/x").text
    assert "frr defaults datacenter" in text and (mini.keepalive, mini.holdtime) == (3, 9)
    assert "ebgp-requires-policy" not in text and "timers bgp" not in text
    slow = mini.model_copy(update={"keepalive": 10, "holdtime": 30})
    assert " timers bgp 10 30" in render_node(slow, slow.node("r1-bag1"), "/x").text.splitlines()
