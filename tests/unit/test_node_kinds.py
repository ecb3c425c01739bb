"""Every node's kind agrees with what is rendered and run for it."""
from __future__ import annotations

import pytest

from lab.config.render import render_all, with_daemon_files
from lab.design.node_kinds import BULK, COLLECTOR, EXABGP, FRR, kind_of
from lab.design.plan import build_plan
from lab.design.topology import load_text

from ..conftest import TOPOLOGIES
from ..plans import plan_of


def plans():
    routes = (TOPOLOGIES / "bag-routes.yaml").read_text()
    yield plan_of("bag-mini")
    yield build_plan(load_text(routes, "bag-routes.yaml"))
    yield build_plan(load_text(routes.replace("emulator: bulk", "emulator: exabgp"), "bag-routes-exabgp.yaml"))


@pytest.mark.parametrize("plan", list(plans()), ids=lambda p: p.topology)
def test_rendered_files_are_the_kinds_config_files(plan):
    files = with_daemon_files(render_all(plan, "/run/x"))     # as up writes them
    for n in plan.nodes:
        assert set(files[n.name]) == set(kind_of(n).config_files), n.name


def test_every_kind_is_reached_and_only_frr_routes():
    seen = {kind_of(n) for p in plans() for n in p.nodes}
    assert seen == {FRR, BULK, EXABGP, COLLECTOR}
    assert [k.name for k in (FRR, BULK, EXABGP, COLLECTOR) if k.has_fib] == ["frr"]
    assert [k.name for k in (FRR, BULK, EXABGP, COLLECTOR) if k.emulates_fabric] == ["bulk", "exabgp"]
