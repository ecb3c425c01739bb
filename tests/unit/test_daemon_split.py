"""zebra and bgpd each start from their own lines of frr.conf: nothing lost, nothing doubled but
the globals, blocks whole, and an unknown line named instead of guessed."""
from __future__ import annotations

from collections import Counter

import pytest

from lab.config.daemon_split import split_by_daemon
from lab.config.render import render_all, with_daemon_files
from lab.errors import LabError

from ..conftest import TOPOLOGIES
from ..plans import plan_of

SHARED = ("frr version", "frr defaults", "hostname", "log ")


def shipped_configs():
    for topo in sorted(TOPOLOGIES.glob("*.yaml")):
        plan = plan_of(topo.name)
        for node, files in with_daemon_files(render_all(plan, "/run/x")).items():
            if "frr.conf" in files:
                yield f"{topo.stem}/{node}", files


@pytest.fixture(scope="module")
def configs():
    return list(shipped_configs())


def meaningful(text: str) -> list[str]:
    return [l for l in text.splitlines() if l.strip() and not l.lstrip().startswith("!")]


def test_every_line_lands_once_except_shared_globals_and_vtysh_lines(configs):
    for where, files in configs:
        whole = Counter(meaningful(files["frr.conf"]))
        z, b = Counter(meaningful(files["zebra.conf"])), Counter(meaningful(files["bgpd.conf"]))
        for line, n in whole.items():
            if line == "service integrated-vtysh-config":          # vtysh's own: no daemon knows it
                assert z[line] == b[line] == 0, where
            elif line.startswith(SHARED):
                assert z[line] == b[line] == n, (where, line)
            else:
                assert z[line] + b[line] == n, (where, line, z[line], b[line])
        assert set(z) | set(b) <= set(whole), where


def test_each_daemon_gets_only_its_own_lines(configs):
    for where, files in configs:
        zebra, bgpd = files["zebra.conf"], files["bgpd.conf"]
        assert "router bgp" not in zebra and "route-map" not in zebra and "prefix-list" not in zebra, where
        assert "zebra nexthop kernel" not in bgpd and "zebra nexthop kernel" in zebra, where
        assert "router bgp" in bgpd and "hostname" in zebra and "hostname" in bgpd, where


def test_order_and_blocks_are_kept(configs):
    for where, files in configs:
        whole = files["frr.conf"].splitlines()
        for daemon in ("zebra", "bgpd"):
            lines = files[f"{daemon}.conf"].splitlines()
            it = iter(whole)
            assert all(l in it for l in lines), (where, daemon)   # a subsequence of frr.conf
            opened = None
            for l in lines:                                         # every block closed by its own exit
                if l.startswith(("router ", "route-map ")):
                    assert opened is None, (where, daemon, l)
                    opened = l
                elif l == "exit":
                    assert opened is not None, (where, daemon)
                    opened = None
            assert opened is None, (where, daemon)


def test_comments_follow_the_line_below_them():
    text = ("frr version 8.4\n! nexthops\nno zebra nexthop kernel enable\n!\n! the policy\nroute-map A permit 10\n"
            " ! inside\n set metric 5\nexit\n!\n")
    out = split_by_daemon(text)
    assert out["zebra"] == "frr version 8.4\n! nexthops\nno zebra nexthop kernel enable\n!\n"
    assert out["bgpd"] == "frr version 8.4\n!\n! the policy\nroute-map A permit 10\n ! inside\n set metric 5\nexit\n!\n"


def test_route_map_zebra_applies_goes_to_zebra_too():
    text = ("ip prefix-list LO seq 5 permit 198.18.0.0/24\nip prefix-list OTHER seq 5 permit 198.19.0.0/24\n"
            "route-map SRC permit 10\n match ip address prefix-list LO\nexit\nroute-map OUT permit 10\nexit\n"
            "ip protocol bgp route-map SRC\n")
    zebra, bgpd = split_by_daemon(text)["zebra"], split_by_daemon(text)["bgpd"]
    assert zebra == ("ip prefix-list LO seq 5 permit 198.18.0.0/24\nroute-map SRC permit 10\n"
                     " match ip address prefix-list LO\nexit\nip protocol bgp route-map SRC\n")
    assert "route-map OUT" in bgpd and "route-map SRC" in bgpd and "ip protocol" not in bgpd


def test_interface_block_is_zebras():
    out = split_by_daemon("interface eth0\n description x\nexit\nrouter bgp 1\n neighbor eth0 interface remote-as external\n")
    assert out["zebra"] == "interface eth0\n description x\nexit\n"
    assert out["bgpd"] == "router bgp 1\n neighbor eth0 interface remote-as external\n"


def test_unknown_top_level_line_is_named():
    with pytest.raises(LabError, match=r"r1's frr\.conf:2: .*which FRR daemon .*'router ospf'"):
        split_by_daemon("hostname r1\nrouter ospf\n ospf router-id 1.1.1.1\n", "r1's frr.conf")
