"""Each FRR daemon starts from its own config file, so the logs hold only real config errors.

Before, zebra and bgpd both read the whole frr.conf and logged "No such command" for every line
of the other daemon (and both for vtysh's own ``service integrated-vtysh-config``): a real error
in a user's policy drowned in that noise.  A drained router restarts drained because drains
rewrite the per-daemon files too.
"""
from __future__ import annotations

import re

import pytest

from lab.design.node_kinds import FRR, kind_of

pytestmark = pytest.mark.lab

#: what FRR logs for a config line it could not take (lib/vty.c, "... on config line N: ...")
CONFIG_ERROR = re.compile(r"config line|Error reading config|No such command|Unknown command|"
                          r"Ambiguous command|Incomplete command")


def frr_nodes(plan) -> list[str]:
    return [n.name for n in plan.nodes if kind_of(n) is FRR]


def config_errors(lab) -> dict[str, list[str]]:
    out = {}
    for node in frr_nodes(lab.plan):
        bad = [l for l in lab.paths.log_file(node).read_text(errors="replace").splitlines() if CONFIG_ERROR.search(l)]
        if bad:
            out[node] = bad
    return out


def config_lines(path) -> list[str]:
    return [l for l in path.read_text().splitlines() if not l.lstrip().startswith("!")]


def describe(errors: dict[str, list[str]]) -> str:
    return "\n".join(f"{node}: {line}" for node, lines in sorted(errors.items()) for line in lines[:5])


def test_daemon_logs_show_no_config_errors(lab, observe):
    observe.steady()                                   # the lab converges to the oracle as before
    started = [n for n in frr_nodes(lab.plan) if (lab.paths.node_dir(n) / "zebra.conf").exists()]
    assert started == frr_nodes(lab.plan), "every router has its per-daemon files"
    errors = config_errors(lab)
    assert not errors, "config lines FRR refused at start:\n" + describe(errors)


def test_drained_router_restarts_from_drained_daemon_files(lab, faults, observe):
    node = "r1-bag1"
    d = lab.paths.node_dir(node)
    zebra_before = config_lines(d / "zebra.conf")
    drain = faults.drain_nodes([node])
    observe.after_fault(drain, faults.failures())
    assert "-DRAIN out" in (d / "bgpd.conf").read_text() and "-DRAIN out" in (d / "frr.conf").read_text()
    assert config_lines(d / "zebra.conf") == zebra_before, "a drain is bgpd's business"
    off = faults.node(node, mode="power")
    observe.after_fault(off, faults.failures())
    faults.restore(off)
    # bgpd came back from bgpd.conf: the oracle's drained state holds, without any live re-sync
    observe.after_restore(off, faults.failures())
    faults.restore(drain)
    observe.after_restore(drain, faults.failures())
    assert not re.search(r"route-map \S+-DRAIN out", (d / "bgpd.conf").read_text())
    errors = config_errors(lab)
    assert not errors, "config lines FRR refused after the restart:\n" + describe(errors)
