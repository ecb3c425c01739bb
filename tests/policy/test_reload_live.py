"""reload_node on a running bag-mini: a reload of what a router runs changes nothing, a candidate's
route-map change reaches the neighbours (bgpd's delay-timer 0 needs the soft clear), and a TCP-MD5
password change on both ends resets the session, which comes back on the new password."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from lab.config.policy import DEFAULT_DIR, load_policy, render_node
from lab.config.render import sessions
from lab.design.node_kinds import FRR, kind_of
from lab.frr.reload import MASK, SOFT_CLEAR, mask
from lab.frr.show import show_json
from lab.observe.frr import bgp_sessions
from lab.workflows.rollout.reload import reload_node
from lab.state import LabState
from lab.wait import poll

pytestmark = pytest.mark.lab

SAFE_TAG = Path(__file__).resolve().parents[2] / "topologies" / "policies" / "bag-mini" / "safe-tag"
SECRET = "new-secret"


def own_policy(lab):
    return load_policy(LabState.read(lab.paths).policy, lab.plan)


def rendered(lab, node: str, policy) -> str:
    return render_node(lab.plan, lab.plan.node(node), str(lab.paths.log_file(node)), frozenset(), policy).text


def restore(lab, nodes: list[str]) -> None:
    """Back to the lab's own policy, so later tests find the lab as built."""
    pol = own_policy(lab)
    for n in nodes:
        res = reload_node(lab.plan, lab.paths, n, rendered(lab, n, pol))
        assert not res.error, f"restoring {n}: {res.error}"


def test_a_reload_of_the_running_config_changes_nothing(lab):
    pol = own_policy(lab)
    changed = {}
    for n in [n.name for n in lab.plan.nodes if kind_of(n) is FRR]:
        res = reload_node(lab.plan, lab.paths, n, rendered(lab, n, pol))
        assert not res.error, f"{n}: {res.error}"
        if res.changed:
            changed[n] = res.added + [f"no {r}" for r in res.removed]
        print(f"no-op reload {n}: {res.seconds:.2f}s")
    assert not changed, f"reloading their own config changed: {changed}"


def communities(lab, node: str, prefix: str) -> set[str]:
    data = show_json(lab.paths.netns(node), f"show bgp ipv4 unicast {prefix} json")
    return {c for p in data.get("paths", []) for c in p.get("community", {}).get("string", "").split()}


def test_a_route_map_change_reaches_the_neighbours(lab):
    edge, receiver = "r1-f2-edge", "r1-bag1"
    prefix = lab.plan.node(edge).prefixes_v4[0]
    assert "64512:100" not in communities(lab, receiver, prefix), "the lab runs safe-tag already"
    try:
        res = reload_node(lab.plan, lab.paths, edge, rendered(lab, edge, load_policy(SAFE_TAG, lab.plan)))
        assert not res.error, res.error
        assert res.method == "frr-reload", res.actions
        assert any("set community 64512:100 additive" in a for a in res.added), res.added
        assert any(a.startswith(SOFT_CLEAR) for a in res.actions), res.actions
        t0 = time.monotonic()
        got = poll(lambda: "64512:100" in communities(lab, receiver, prefix), 10.0)
        assert got, f"{receiver} has no 64512:100 on {prefix} 10 s after the reload: {communities(lab, receiver, prefix)}"
        print(f"safe-tag reload of {edge}: {res.seconds:.2f}s; community at {receiver} "
              f"{time.monotonic() - t0:.2f}s later")
        assert "64512:100" in (lab.paths.node_dir(edge) / "bgpd.conf").read_text(), "the file on disk is not the candidate"
    finally:
        restore(lab, [edge])
    assert poll(lambda: "64512:100" not in communities(lab, receiver, prefix), 10.0), "the community stayed after the revert"


def password_policy(tmp_path: Path, lab, ends: dict[str, list[str]]) -> Path:
    """The lab's policy plus, per node, a fragment setting the new password for its peer's addresses."""
    pdir = tmp_path / "pol"
    shutil.copytree(LabState.read(lab.paths).policy or DEFAULT_DIR, pdir)
    (pdir / "node").mkdir(exist_ok=True)
    for node, addrs in ends.items():
        lines = [f"router bgp {lab.plan.node(node).asn}", *[f" neighbor {a} password {SECRET}" for a in addrs], "exit"]
        (pdir / "node" / f"{node}.j2").write_text("\n".join(lines) + "\n")
    return pdir


def link_addrs(lab, a: str, b: str) -> dict[str, list[str]]:
    """Each end's neighbour addresses (both families) on the first a~b link."""
    link = next(l for l in lab.plan.links_of(a) if l.peer(a).node == b)
    return {n: [s.addr for s in sessions(lab.plan, lab.plan.node(n)) if s.link == link.id] for n in (a, b)}


def neighbour(lab, node: str, addr: str) -> dict:
    return show_json(lab.paths.netns(node), f"show bgp neighbors {addr} json").get(addr, {})


def vtysh_recorder(tmp_path: Path, monkeypatch) -> Path:
    """A vtysh first on PATH that records every argv (frr-reload.py's calls too), then runs the real one."""
    seen, wrapper = tmp_path / "argv.log", tmp_path / "bin" / "vtysh"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {seen}\nexec {shutil.which("vtysh")} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}:{os.environ['PATH']}")
    return seen


def test_a_password_change_resets_the_session_and_it_comes_back(lab, tmp_path, monkeypatch):
    a, b = "r1-bag2", "r2-bag2"
    argv_log = vtysh_recorder(tmp_path, monkeypatch)
    ends = link_addrs(lab, a, b)
    state = lambda: {x: bgp_sessions(lab.paths.netns(a)).get(x) for x in ends[a]}   # noqa: E731
    assert poll(lambda: set(state().values()) == {"Established"}, 10.0), f"not established before: {state()}"
    drops = {x: neighbour(lab, a, x).get("connectionsDropped", 0) for x in ends[a]}
    pol = load_policy(password_policy(tmp_path, lab, ends), lab.plan)
    try:
        first = reload_node(lab.plan, lab.paths, a, rendered(lab, a, pol))
        t_reset = time.monotonic()      # a's side has the new password: the session is down from here
        second = reload_node(lab.plan, lab.paths, b, rendered(lab, b, pol))
        t_both = time.monotonic()
        for res in (first, second):
            assert not res.error, res.error
            assert any(f"password {MASK}" in x for x in res.added), res.added
            assert SECRET not in repr(res), "a password in the result"
        up = poll(lambda: set(state().values()) == {"Established"}, 30.0)
        t_up = time.monotonic()
        assert up, f"{a}~{b} not Established on the new password 30 s after both reloads: {state()}"
        after = {x: neighbour(lab, a, x) for x in ends[a]}
        assert all(after[x].get("connectionsDropped", 0) > drops[x] for x in ends[a]), \
            f"the sessions were not reset: drops {drops} -> {[after[x].get('connectionsDropped') for x in ends[a]]}"
        print(f"password change {a}~{b}: reloads {first.seconds:.2f}s + {second.seconds:.2f}s ({first.method}, "
              f"{second.method}); down {t_up - t_reset:.2f}s, Established {t_up - t_both:.2f}s after the second end; "
              f"reset due to {[after[x].get('lastResetDueTo') for x in ends[a]]}")
    finally:
        restore(lab, [a, b])
    assert poll(lambda: set(state().values()) == {"Established"}, 30.0), f"not back on the old password: {state()}"
    argvs = argv_log.read_text()
    assert "-N " in argvs, "the recorder saw no vtysh call"
    old = next(link.tcp_md5 for link in lab.plan.links_of(a) if link.peer(a).node == b)
    for secret in (SECRET, old):
        assert secret not in argvs, f"a password reached a vtysh command line: {mask(argvs)}"


def test_without_frr_reload_the_candidate_still_goes_on_additively(lab, monkeypatch, tmp_path):
    """No frr-reload.py (frr-pythontools missing): vtysh takes the whole file, the result says what
    that cannot do, and the new community still reaches the neighbour (the soft clear follows)."""
    from lab.frr import reload as rl

    edge, receiver = "r1-f2-edge", "r1-bag1"
    prefix = lab.plan.node(edge).prefixes_v4[0]
    monkeypatch.setattr(rl, "FRR_RELOAD", tmp_path / "no-frr-reload.py")
    try:
        res = reload_node(lab.plan, lab.paths, edge, rendered(lab, edge, load_policy(SAFE_TAG, lab.plan)))
        assert res.method == "vtysh" and "frr-pythontools" in res.error, res
        assert res.error.count("%") == 0, f"FRR refused lines: {res.error}"
        assert any(a.startswith(SOFT_CLEAR) for a in res.actions), res.actions
        assert poll(lambda: "64512:100" in communities(lab, receiver, prefix), 10.0), \
            f"{receiver} has no 64512:100 on {prefix} 10 s after the vtysh fallback"
    finally:
        monkeypatch.undo()
        restore(lab, [edge])
    assert poll(lambda: "64512:100" not in communities(lab, receiver, prefix), 10.0), "the community stayed after the revert"
