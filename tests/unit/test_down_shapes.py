"""Which command lines ``down`` takes for a lab's (lab.runtime.remnants.is_lab_command), without a
lab: every process baglab starts, built by the code that starts it where that code exposes its
argv, is recognised for its own lab only; an operator's command that merely names the lab (its
logs, its state, its namespaces) is not."""
from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from lab.config.render import collector_config, exabgp_fabric_config
from lab.forwarder import control as forwarder
from lab.runtime import clab, frr
from lab.frr.reload import _reload_argv
from lab.frr.root import ROOT_FRR_BIN, in_root, mgmtd_argv
from lab.runtime.remnants import is_lab_command
from lab.state import LabPaths

from ..plans import plan_of

LAB = "lf1"
PATHS = LabPaths(LAB)
NODE = "r1-bag1"
NS = PATHS.netns(NODE)
ROOT = Path("/var/cache/baglab/frr-10.3/0123456789abcdef")
TOPO_FILE = clab.ContainerlabRuntime(PATHS).topo_file


def mine(argv: list[str], lab: str = LAB) -> bool:
    """As lab_pids sees it: /proc/PID/cmdline, NUL-separated and NUL-terminated."""
    return is_lab_command(("\0".join(argv) + "\0").encode().split(b"\0"), lab)


def _frr(daemon: str) -> list[str]:
    return frr.frr_argv(str(frr.FRR_BIN), NS, str(PATHS.frr_dir(NODE)), PATHS.node_dir(NODE), daemon)


def _exabgp_runs() -> list[list[str]]:
    """The helper command lines ExaBGP runs, from the configs baglab renders for it."""
    plan = plan_of("bag-mini")
    node = plan.nodes[0]
    d = str(PATHS.node_dir(node.name))
    texts = [collector_config(plan, node, sys.executable, f"{d}/updates.jsonl", PATHS.netns(node.name)),
             exabgp_fabric_config(plan, node, sys.executable, d, PATHS.netns(node.name))]
    return [shlex.split(l.strip().removeprefix("run ").rstrip(";")) for t in texts for l in t.splitlines()
            if l.strip().startswith("run ")]


def baglab_started() -> dict[str, list[str]]:
    wrapped = in_root(ROOT, [f"{ROOT_FRR_BIN}/zebra", "-d", "-N", NS])
    d = PATHS.node_dir(NODE)
    out = {f"frr {daemon}": _frr(daemon) for daemon in ("zebra", "bfdd", "bgpd")}
    out.update({
        "mgmtd (FRR 10 root)": mgmtd_argv(NS, str(PATHS.frr_dir(NODE))),
        "root wrapper: unshare": wrapped,
        "root wrapper: sh": wrapped[wrapped.index("/bin/sh"):],
        "root wrapper: chroot": ["chroot", str(ROOT), *wrapped[-4:]],
        "forwarder": forwarder.argv(PATHS, NODE),
        "secy shim": [sys.executable, "-m", "lab.macsec.shim", f"{d}/macsec.json", f"{d}/macsec-stats.json",
                      f"{d}/frr.log", NS],
        "speaker": [sys.executable, "-m", "lab.nodes.speaker", f"{d}/speaker.json", NS],
        "exabgp": [sys.executable, str(Path(sys.executable).parent / "exabgp"), f"{d}/exabgp.conf"],
        "containerlab deploy": clab.deploy_argv(TOPO_FILE),
        "baglab up": [sys.executable, "-m", "lab.cli", "up", "t.yaml", "--name", LAB],
    })
    reload_host = _reload_argv(PATHS, NODE, "--reload")
    reload_root = _reload_argv(PATHS, NODE, "--reload", ROOT)
    out.update({
        "frr-reload.py": ["/usr/bin/python3", *reload_host],
        "frr-reload.py in the root wrapper": reload_root,
        "frr-reload.py in the root": ["/usr/bin/python3", *reload_root[reload_root.index(f"{ROOT_FRR_BIN}/frr-reload.py"):]],
    })
    for run in _exabgp_runs():
        out[f"exabgp runs {run[2]}"] = run
    return out


STARTED = baglab_started()


@pytest.mark.parametrize("what", sorted(STARTED))
def test_every_process_baglab_starts_is_the_labs(what):
    assert mine(STARTED[what]), STARTED[what]


@pytest.mark.parametrize("what", sorted(STARTED))
def test_no_process_of_a_lab_whose_name_extends_this_one_is_taken(what):
    # lf1's down must leave lf10's processes alone (and the reverse)
    assert not mine(STARTED[what], "lf10") and not mine(STARTED[what], "lf")


def test_the_exabgp_helpers_are_both_seen():
    assert sorted(r[2] for r in _exabgp_runs()) == ["lab.nodes.collector", "lab.nodes.exabgp_feed"]


LOG, STATE = str(PATHS.log_file(NODE)), str(PATHS.state_file)
OPERATORS = {
    "tail -f of a node's log": ["tail", "-f", LOG],
    "less of a node's log": ["less", LOG],
    "a watch loop over the state": ["sh", "-c", f"while :; do cat {STATE} >/dev/null; sleep 0.2; done"],
    "watch over a namespace": ["watch", "ip", "-n", NS, "route"],
    "ip netns exec, before it enters": ["ip", "netns", "exec", NS, "bash"],
    "an interactive vtysh": ["vtysh", "-N", NS],
    "frr's own --version": [f"{frr.FRR_BIN}/zebra", "--version"],
    "a debugger on a daemon's argv": ["gdb", "--args", *_frr("bgpd")],
    "strace of a shim": ["strace", "-f", sys.executable, "-m", "lab.macsec.shim", "x", "y", "z", NS],
    "json.tool on a speaker's config": [sys.executable, "-m", "json.tool", str(PATHS.node_dir(NODE) / "speaker.json")],
    "a helper naming the state, not a namespace": [sys.executable, "-m", "lab.nodes.speaker", str(PATHS.root / "x.json")],
    "an editor on exabgp.conf": ["vim", str(PATHS.node_dir(NODE) / "exabgp.conf")],
    "containerlab inspect": clab.inspect_argv(TOPO_FILE),
    "baglab down": [sys.executable, "-m", "lab.cli", "down", "--name", LAB],
    "a pytest session of the lab": [sys.executable, "-m", "pytest", "--lab-name", LAB],
    "an empty command line": [],
}


@pytest.mark.parametrize("what", sorted(OPERATORS))
def test_what_merely_names_the_lab_is_not_the_labs(what):
    assert not mine(OPERATORS[what]), OPERATORS[what]
