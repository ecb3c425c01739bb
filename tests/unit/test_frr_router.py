"""lab.frr's pure parts, no FRR and no root: the Router's names and argv, the vtysh environment,
version parsing, the files and daemons FRR reads."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lab.errors import LabError
from lab.frr import configure, files, show, vtysh
from lab.frr.reload import _reload_argv
from lab.frr.root import in_root
from lab.frr.router import Router, parse_version
from lab.state import LabPaths

PATHS = LabPaths("rtr1")


def test_router_names_its_netns():
    r = Router(PATHS, "r1-bag1")
    assert r.netns == "bl_rtr1_r1-bag1" == PATHS.netns("r1-bag1")
    assert "r1-bag1" in repr(r)


@pytest.mark.parametrize("text,version", [
    ("FRRouting 8.4.4 (r1-bag1) on Linux(6.1.0).\nCopyright 1996-2005 Kunihiro Ishiguro, et al.\n", "8.4.4"),
    ("\nFRRouting 10.3 (r2) on Linux(6.1.0).\n", "10.3"),
    ("% Unknown command", None),
])
def test_version_parsing(text, version):
    assert parse_version(text) == version


def test_running_version_reads_show_version(monkeypatch):
    seen = []
    monkeypatch.setattr(show, "show", lambda ns, cmd, timeout=10.0: seen.append((ns, cmd)) or "FRRouting 10.7.1 (x).")
    assert Router(PATHS, "r1").running_version() == "10.7.1"
    assert seen == [("bl_rtr1_r1", "show version")]


def test_vtysh_env_drops_the_log_and_the_history(monkeypatch):
    monkeypatch.setenv("VTYSH_LOG", "/tmp/log")
    monkeypatch.setenv("HOME", "/root")
    env = vtysh.vtysh_env()
    assert "VTYSH_LOG" not in env and env["HOME"] == "/dev/null"
    assert env["VTYSH_HISTFILE"] == vtysh.NO_HISTORY and env["VTYSH_HISTFILE"].startswith("/dev/null/")


def test_own_vtysh_is_the_host_one_without_a_root(monkeypatch):
    monkeypatch.setattr(vtysh, "daemons_root", lambda ns: None)
    assert vtysh.own_vtysh("bl_rtr1_r1") == ["vtysh", "-N", "bl_rtr1_r1"]
    root = Path("/var/cache/baglab/frr/10.3/abc")
    monkeypatch.setattr(vtysh, "daemons_root", lambda ns: root)
    own = vtysh.own_vtysh("bl_rtr1_r1")
    assert own == in_root(root, ["vtysh", "-N", "bl_rtr1_r1"]) and own[-3:] == ["vtysh", "-N", "bl_rtr1_r1"]


@pytest.mark.parametrize("pathspace,root", [(True, None), (False, None), (True, Path("/r"))])
def test_exec_argv_of_each_runtime_keeps_no_history(pathspace, root):
    argv = Router(PATHS, "r1").exec_argv(["vtysh", "-c", "show version"], root_of=lambda n: root,
                                         pathspace=pathspace)
    env = argv.index("env")
    assert argv[env + 1:env + 5] == ["-u", "VTYSH_LOG", "VTYSH_HISTFILE=/dev/null/.history_frr", "HOME=/dev/null"]
    rest = argv[env + 5:]
    if pathspace:
        assert rest == ["vtysh", "-N", "bl_rtr1_r1", "--config_dir", str(PATHS.node_dir("r1")), "-c", "show version"]
    else:
        assert rest == ["vtysh", "-c", "show version"]
    assert (argv[0] == "unshare") == (root is not None)


def test_exec_argv_keeps_what_the_user_gave_and_other_commands():
    argv = vtysh.exec_argv(PATHS, "r1", ["vtysh", "-N", "other", "--config_dir", "/x"])
    assert argv[-5:] == ["vtysh", "-N", "other", "--config_dir", "/x"]
    assert Router(PATHS, "r1").exec_argv(["ip", "-j", "link"]) == ["ip", "-j", "link"]


def test_files_and_daemons():
    assert files.FRR_DAEMONS == ("zebra", "bfdd", "bgpd")      # start order: bfdd before bgpd
    assert set(files.FRR_DAEMONS) <= set(files.FRR_PROCESSES)
    assert files.daemon_config(Path("/n"), "bgpd") == Path("/n/bgpd.conf")
    assert files.config_dir(PATHS, "r1") == PATHS.node_dir("r1")
    assert files.vtysh_conf(PATHS, "r1") == PATHS.node_dir("r1") / "bl_rtr1_r1" / "vtysh.conf"
    assert "vtysh_enable=yes" in files.DAEMONS_FILE
    assert "service integrated-vtysh-config" in files.SHELL_ONLY_LINES


def test_reload_argv_names_the_node_files():
    argv = _reload_argv(PATHS, "r1", "--test")
    confdir = str(PATHS.node_dir("r1"))
    assert argv[argv.index("-N") + 1] == "bl_rtr1_r1" and argv[argv.index("--confdir") + 1] == confdir
    assert argv[argv.index("--rundir") + 1] == str(files.vtysh_conf(PATHS, "r1").parent)
    assert argv[-2:] == ["--test", f"{confdir}/frr.conf"]


def test_configure_sends_lines_on_stdin_and_keeps_only_refusals(monkeypatch):
    calls = []

    def fake(argv, **kw):
        calls.append((argv, kw))
        return subprocess.CompletedProcess(argv, 0, "configure terminal\n% Unknown command: x\n"
                                           "% Configuration applied with notes: No changes\n", "")
    monkeypatch.setattr(configure, "run_vtysh", fake)
    monkeypatch.setattr(configure, "own_vtysh", lambda ns: ["vtysh", "-N", ns])
    problems = Router(PATHS, "r1").configure(["router bgp 1", "neighbor 1.2.3.4 password s3cret"])
    assert problems == "% Unknown command: x"
    argv, kw = calls[0]
    assert "s3cret" not in " ".join(argv) and "s3cret" in kw["input"]
    assert kw["input"].startswith("configure terminal\n") and kw["input"].endswith("\nend\n")


def test_start_needs_the_runtime():
    with pytest.raises(LabError, match="runtime"):
        Router(PATHS, "r1").start(None)
    started = []

    class Runtime:
        def start_daemons(self, plan, nodes=None):
            started.append((plan, nodes))
    Router(PATHS, "r1", Runtime()).start("plan")
    assert started == [("plan", ["r1"])]
