"""Live, docker runtime: containers are sealed from the host, daemons run inside them, host tools
reach them through the attached namespaces, and teardown leaves nothing (even without state)."""
from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import sys

import pytest

from lab.wait import wait_for
from pyroute2 import IPRoute

from lab.workflows.build import up
from lab.observe.converge import failure_report
from lab.observe.settle import Strategy, settle
from lab.design.model import LAB_V4, LAB_V6
from lab.host import nsutil
from lab.macsec.names import secy_port
from lab.runtime import down_lab
from lab.runtime.docker_engine import LABEL_LAB, engine_or_none
from lab.state import FRR_RUN, LabPaths, LabState

from ..conftest import TOPOLOGIES
from .vty_answers import differences

pytestmark = pytest.mark.lab
MINI = str(TOPOLOGIES / "bag-mini.yaml")


def _client():
    c = engine_or_none()
    if c is None:
        pytest.skip("no Docker engine answers (run 'make docker-setup')")
    return c


def containers(client, lab: str) -> list:
    return client.containers.list(all=True, filters={"label": f"{LABEL_LAB}={lab}"})


def leftovers(client, name: str) -> dict:
    paths = LabPaths(name)
    return {"containers": [c.name for c in containers(client, name)],
            "namespaces": nsutil.list_netns(paths.ns_prefix), "processes": nsutil.pids_by_cmdline(paths.ns_prefix),
            "frr_dirs": sorted(p.name for p in FRR_RUN.glob(f"{paths.ns_prefix}*")), "state": paths.root.exists()}


NOTHING = {"containers": [], "namespaces": [], "processes": [], "frr_dirs": [], "state": False}


@pytest.fixture(scope="module")
def dlab():
    client = _client()
    name = f"dk{os.getpid() % 100000}"
    down_lab(LabPaths(name))
    res = up(MINI, name, runtime="docker")
    yield client, res.plan, LabPaths(name)
    rep = down_lab(LabPaths(name))
    assert not rep.survivors and not rep.leftover_ns
    assert leftovers(client, name) == NOTHING


def test_state_records_the_runtime(dlab):
    client, plan, paths = dlab
    assert LabState.read(paths).runtime == "docker"
    assert len(containers(client, paths.name)) == len(plan.nodes)


def test_containers_have_only_lo_and_lab_links_and_no_route_out(dlab):
    client, plan, paths = dlab
    with IPRoute() as host:
        host_ifs = {l.get_attr("IFLA_IFNAME") for l in host.get_links()} - {"lo"}
    for n in plan.nodes:
        c = client.containers.get(paths.netns(n.name))
        assert c.attrs["HostConfig"]["NetworkMode"] == "none"
        nets = c.attrs["NetworkSettings"]["Networks"]
        assert set(nets) <= {"none"} and not any(v.get("IPAddress") for v in nets.values()), nets
        # the namespace the lab's tools use is the container's
        assert os.stat(f"/proc/{c.attrs['State']['Pid']}/ns/net").st_ino == os.stat(f"/run/netns/{paths.netns(n.name)}").st_ino
        ends = [l.end(n.name) for l in plan.links_of(n.name)]
        # a protected port adds the wire and the SecY's end of the router's veth pair
        mine = {name for e in ends for name in (e.ifname, e.wire, e.wire and secy_port(e.wire)) if name}
        with IPRoute(netns=paths.netns(n.name)) as ipr:
            names = {l.get_attr("IFLA_IFNAME") for l in ipr.get_links()}
            assert names == {"lo"} | mine, (n.name, names ^ ({"lo"} | mine))
            assert not names & host_ifs, f"{n.name} sees host interfaces {names & host_ifs}"
            for a in ipr.get_addr():
                ip = ipaddress.ip_address(a.get_attr("IFA_ADDRESS"))
                assert ip.is_loopback or ip.is_link_local or ip in (LAB_V4 if ip.version == 4 else LAB_V6), (n.name, ip)
            for fam in (2, 10):
                for r in ipr.route("dump", family=fam):
                    if r["table"] != 254:
                        continue
                    assert r["dst_len"] > 0, f"{n.name} has a default route"
                    dst = ipaddress.ip_network(f"{r.get_attr('RTA_DST')}/{r['dst_len']}")
                    lab = LAB_V4 if dst.version == 4 else LAB_V6
                    assert dst.subnet_of(lab) or dst.is_link_local or dst.is_multicast, (n.name, str(dst))
        # from inside the container, the outside world is unreachable
        res = c.exec_run(["ip", "route", "get", "1.1.1.1"])
        assert res.exit_code != 0 and b"unreachable" in res.output.lower(), res.output


def test_daemons_run_inside_the_containers(dlab):
    client, plan, paths = dlab
    from lab.runtime import runtime_for
    procs = runtime_for(paths).processes(plan)
    host_pidns = os.stat("/proc/self/ns/pid").st_ino
    for n in plan.nodes:
        if n.emulator == "bulk":
            continue        # the bulk speaker stays a host process in the node's namespace
        c = client.containers.get(paths.netns(n.name))
        top = {int(p[0]) for p in c.top(ps_args="-o pid")["Processes"]}
        for daemon, pid in procs[n.name].items():
            if daemon == "macsec":
                continue    # the SecY is the box's port hardware: a host process in the namespace
            assert pid in top, (n.name, daemon, pid)
            assert os.stat(f"/proc/{pid}/ns/pid").st_ino != host_pidns
    # host vtysh talks to the containerised FRR through the bound pathspace
    out = subprocess.run(["vtysh", "-N", paths.netns("r1-bag1"), "-c", "show bgp summary json"],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out)["ipv4Unicast"]["peerCount"] > 0


def test_the_vty_socket_answers_as_vtysh_in_a_container(dlab):
    _, _, paths = dlab
    assert differences(paths.netns("r1-bag1")) == []


def test_exec_runs_in_the_container(dlab):
    _, plan, paths = dlab
    r = subprocess.run([sys.executable, "-m", "lab.cli", "exec", "r1-bag1", "--name", paths.name, "--",
                        "cat", "/etc/hostname"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "r1-bag1", r.stderr


def test_second_lab_coexists_and_down_without_state_leaves_nothing(dlab):
    client, plan, paths = dlab
    other = f"dl{os.getpid() % 100000}"
    try:
        assert up(MINI, other, runtime="docker").convergence.ok
        assert settle(plan, paths, Strategy.CONVERGED, deadline_s=10).ok, "the first lab must be unaffected"
        # a crashed harness whose state directory is gone: down finds everything by name and label
        # (its daemons still write logs into it: remove until it stays gone)
        root = LabPaths(other).root
        wait_for(lambda: (shutil.rmtree(root, ignore_errors=True), not root.exists())[1], 10, f"{root} to be removed")
        r = subprocess.run([sys.executable, "-m", "lab.cli", "down", "--name", other], capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, r.stderr
    finally:
        down_lab(LabPaths(other))
    assert leftovers(client, other) == NOTHING
    assert len(containers(client, paths.name)) == len(plan.nodes)
    back = settle(plan, paths, Strategy.CONVERGED, deadline_s=15)
    assert back.ok, failure_report(plan, paths, back)
