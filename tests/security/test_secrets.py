"""Live: TCP-MD5 passwords and keys stay private, and root never writes through a planted link.

Passwords sit in plan.json, frr.conf and the fault journal and travel to vtysh: all readable by
root (and frr for its own config) only, and never on a command line (/proc/*/cmdline is
world-readable).  Node directories belong to frr, so a link planted there must not turn a drain's
config rewrite or the SecY's counter file into a write elsewhere.
"""
from __future__ import annotations

import os
import re
import stat

import pytest

from lab.build import up
from lab.faults import FaultInjector
from lab.observers.frr import vtysh
from lab.runtime import down_lab
from lab.state import LabPaths
from lab.wait import wait_for

from ..conftest import TOPOLOGIES

pytestmark = pytest.mark.lab
PASSWORD = "bag-mini-md5"           # topologies/bag-mini.yaml


@pytest.fixture(scope="module")
def md5_lab():
    paths = LabPaths(f"sct{os.getpid() % 10000}")
    try:
        yield up(TOPOLOGIES / "bag-mini.yaml", paths.name).plan, paths
    finally:
        down_lab(paths)


def mode(p) -> int:
    return stat.S_IMODE(os.lstat(p).st_mode)


def test_files_holding_secrets_are_private(md5_lab):
    plan, paths = md5_lab
    fi = FaultInjector(plan, paths)
    link = next(l for l in plan.links if l.tcp_md5)
    fi.restore(fi.md5_mismatch(link, "a"))
    journal = paths.root / "faults.json"
    assert PASSWORD in journal.read_text(), "the journal no longer names the password: update this test"
    for p in (paths.plan_file, journal, paths.root / "macsec-keychain.json"):
        assert mode(p) == 0o600, f"{p}: mode {oct(mode(p))}, want 0600"
    for n in plan.nodes:
        for fname in ("frr.conf", "bgpd.conf", "zebra.conf"):     # bgpd.conf carries the passwords too
            conf = paths.node_dir(n.name) / fname
            if conf.exists():
                assert mode(conf) & 0o007 == 0, f"{conf}: world-readable ({oct(mode(conf))})"


def test_passwords_never_ride_on_a_command_line(md5_lab, tmp_path, monkeypatch):
    """A vtysh wrapper first on PATH records every argv the harness gives vtysh, then runs the real one."""
    plan, paths = md5_lab
    seen = tmp_path / "argv.log"
    wrapper = tmp_path / "bin" / "vtysh"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {seen}\nexec /usr/bin/vtysh "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}:{os.environ['PATH']}")
    fi = FaultInjector(plan, paths)
    link = next(l for l in plan.links if l.tcp_md5)
    f = fi.md5_mismatch(link, "a")
    running = vtysh(paths.netns(link.a.node), "show running-config")
    wrong = re.search(r"password (mismatch-\w+)", running).group(1)
    fi.restore(f)
    argvs = seen.read_text()
    assert "-N " in argvs, f"the wrapper saw no vtysh call: {argvs!r}"
    for secret in (PASSWORD, wrong):
        assert secret not in argvs, f"{secret!r} appeared on a vtysh command line: {argvs!r}"


def test_a_planted_symlink_does_not_redirect_root_writes(md5_lab, tmp_path):
    plan, paths = md5_lab
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    node = next(n.name for n in plan.nodes if n.role == "bag")
    d = paths.node_dir(node)
    conf, stats = d / "frr.conf", d / "macsec-stats.json"
    for p in (conf, stats):
        p.unlink()
        p.symlink_to(victim)
    for p in (d / "frr.tmp", d / "macsec-stats.json.tmp"):     # fixed temp names are guessable
        p.symlink_to(victim)
    fi = FaultInjector(plan, paths)
    fi.restore(fi.drain_nodes([node]))
    # the SecY rewrites its counters at least once a second
    wait_for(lambda: not stats.is_symlink(), 15, f"the SecY to replace the planted {stats}")
    assert victim.read_text() == "precious\n"
    assert not conf.is_symlink() and f"router bgp {plan.node(node).asn}" in conf.read_text()
