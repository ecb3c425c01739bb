"""Live: lifecycle under interruption.

- ``kill -9`` of ``baglab up`` at several points of the bring-up (detected by polling the lab, not
  by timing), on both runtimes; then ``baglab down`` must leave nothing (namespaces, processes,
  FRR run directories, state, host nftables tables, containers) and return only when every
  process of the lab is gone, so an immediate ``up`` of the same name succeeds.
- A pytest session killed with SIGTERM (a CI timeout) removes its lab, whether the lab was up or
  still being built.
- A lab left by a pytest session killed with ``kill -9`` is removed by the next session (same lab
  name, or same checkout) before it starts.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lab.host import nsutil
from lab.runtime import down_lab
from lab.runtime.remnants import describe, netns_inodes, remnants
from lab.state import LabPaths, LabState

from ..cli import BAGLAB, baglab
from ..conftest import ROOT, TOPOLOGIES
from ..plans import plan_of

pytestmark = pytest.mark.lab
MINI = str(TOPOLOGIES / "bag-mini.yaml")
PLAN = plan_of("bag-mini")
FRR_NODES = sum(1 for n in PLAN.nodes if n.emulator == "frr")
SECY_NODES = len({e.node for l in PLAN.links if l.a.wire for e in (l.a, l.b)})



def docker_client():
    from lab.frr import image
    from lab.runtime.docker_engine import engine_or_none
    client = engine_or_none()
    if client is None:
        pytest.skip("no Docker engine answers (run 'make docker-setup')")
    if not image.present(client):
        pytest.skip("the node image is not built (run 'make docker-image')")
    return client


def snapshot(name: str, runtime: str) -> dict:
    """How far the bring-up got: namespaces, containers, and how many nodes run each of zebra,
    bgpd and a SecY (nodes, not processes: a daemon's launcher exits once it has forked)."""
    paths = LabPaths(name)
    ns = nsutil.list_netns(paths.ns_prefix)
    out = {"namespaces": len(ns), "zebra": 0, "bgpd": 0, "secy": 0}
    for pids in nsutil.pids_by_netns(ns).values():
        argvs = [nsutil.cmdline(p).split(b"\0") for p in pids]
        out["zebra"] += any(a[0].endswith(b"/zebra") for a in argvs)
        out["bgpd"] += any(a[0].endswith(b"/bgpd") for a in argvs)
        out["secy"] += any(b"lab.macsec.shim" in a for a in argvs)
    if runtime == "docker":
        from lab.runtime.remnants import containers
        out["containers"] = len(containers(name))
    return out


# kill points: a condition on the snapshot, reached in this order by every bring-up
POINTS = {
    "first-container": lambda s: s.get("containers", 0) >= 1,
    "first-namespace": lambda s: s["namespaces"] >= 1,
    "secys-running": lambda s: s["secy"] >= 1,
    "first-zebra": lambda s: s["zebra"] >= 1,
    "convergence-phase": lambda s: s["bgpd"] >= FRR_NODES,     # every daemon started: up waits for BGP
}
ALL_CASES = [("netns", p) for p in POINTS if p != "first-container"] + [("docker", p) for p in POINTS]
# the whole matrix takes ~5 min: CI runs the kills with the most half-built state on each runtime,
# 'make test-interrupt' (BAGLAB_FULL_MATRIX=1) every point
FULL_MATRIX = os.environ.get("BAGLAB_FULL_MATRIX") == "1"
CASES = ALL_CASES if FULL_MATRIX else [c for c in ALL_CASES if c in {
    ("netns", "secys-running"), ("netns", "convergence-phase"), ("docker", "first-container")}]


def wait_until(what: str, cond, proc: subprocess.Popen | None, deadline_s: float, state=lambda: None):
    """Poll cond() until it is true; fail saying what was missing if the deadline passes or the
    process exits first."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        if proc is not None and proc.poll() is not None:
            out = "".join(o if isinstance(o, str) else (o or b"").decode(errors="replace")
                          for o in proc.communicate())
            pytest.fail(f"the process exited ({proc.returncode}) before {what}; last seen: {state()}\n"
                        f"{(out or '')[-3000:]}")
        time.sleep(0.005)
    pytest.fail(f"{what} not reached within {deadline_s:.0f}s; last seen: {state()}")


LAB_IFNAMES = {x for l in PLAN.links for e in (l.a, l.b) for x in (e.port, e.ifname, e.wire) if x}


def host_lab_links() -> list[str]:
    """Interfaces in the host namespace with a lab port's name (veths are made inside the nodes'
    namespaces and go with them)."""
    r = subprocess.run(["ip", "-j", "link", "show"], capture_output=True, text=True, check=True)
    return sorted(l["ifname"] for l in json.loads(r.stdout) if l["ifname"] in LAB_IFNAMES)


def assert_nothing_left(name: str, inodes: set[int], runtime: str):
    left = remnants(name, inodes, docker=runtime == "docker")
    left["host_links"] = host_lab_links()
    assert not any(left.values()), f"lab {name} left: {describe(left)}"


@pytest.mark.parametrize("runtime,point", CASES, ids=[f"{r}-{p}" for r, p in CASES])
def test_kill9_of_up_then_down_leaves_nothing_and_up_again_works(runtime, point):
    if runtime == "docker":
        docker_client()
    name = f"lfk{os.getpid() % 10000}{'d' if runtime == 'docker' else 'n'}"
    paths = LabPaths(name)
    baglab("down", "--name", name)
    proc = subprocess.Popen(BAGLAB + ["up", MINI, "--name", name, "--runtime", runtime, "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    inodes: dict[int, str] = {}

    def reached():
        inodes.update(netns_inodes(nsutil.list_netns(paths.ns_prefix)))
        return POINTS[point](snapshot(name, runtime))
    try:
        wait_until(point, reached, proc, 120, lambda: snapshot(name, runtime))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        inodes.update(netns_inodes(nsutil.list_netns(paths.ns_prefix)))
        at_kill = snapshot(name, runtime)
        assert POINTS[point](at_kill), f"the kill should have left a half-built lab: {at_kill}"
        assert LabState.read(paths).phase == "building", LabState.read(paths)
        r = baglab("down", "--name", name)
        assert "removed" in r.stderr
        # checked at once: down returns only when every process of the lab is gone
        assert_nothing_left(name, set(inodes), runtime)
        up = baglab("up", MINI, "--name", name, "--runtime", runtime, "-q")
        assert f"lab {name} (bag-mini) up" in up.stderr, up.stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        baglab("down", "--name", name, check=False)
    assert_nothing_left(name, set(inodes), runtime)


# -- down waits for every process, also ones that appear while it works -------------------------
# A lab process that, told to stop, forks a successor (as a daemon's launcher or a supervisor does)
# and is slow to exit itself.  Started in the lab's namespace, its successor stays there after the
# namespace's name is deleted.  (One outside the namespaces is the lab's only by the shape of its
# command line, not by naming the lab: tests/lab/test_down_precise.py.)
FORKER = textwrap.dedent('''
    import os, signal, sys, time
    me = sys.argv[1]

    def term(*_):
        if os.fork() == 0:
            os.setsid()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            open(me + ".successor", "w").write(str(os.getpid()))
            signal.pause()
            os._exit(0)
        time.sleep(0.5)      # a slow exit: down must wait for it, not return
        os._exit(0)

    signal.signal(signal.SIGTERM, term)
    open(me, "w").write(str(os.getpid()))
    signal.pause()
''')


def test_down_returns_only_when_every_process_is_gone_including_late_successors(tmp_path):
    name = f"lfw{os.getpid() % 10000}"
    paths = LabPaths(name)
    ns = paths.netns("n1")
    baglab("down", "--name", name)
    nsutil.ip_batch([f"netns add {ns}"])
    inodes = lab_inodes(name)
    in_ns = str(tmp_path / "in_ns.pid")
    procs = [subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", FORKER, in_ns], start_new_session=True)]
    try:
        wait_until("the lab process running", lambda: Path(in_ns).exists(), None, 30,
                   lambda: sorted(p.name for p in tmp_path.iterdir()))
        pidfiles = [in_ns]
        rep = down_lab(paths)
        alive = {}
        for f in pidfiles + [f + ".successor" for f in pidfiles]:
            if Path(f).exists():
                alive[f] = nsutil._alive(int(Path(f).read_text()))
        assert not rep.survivors and not rep.leftover_ns, rep
        assert not any(alive.values()), f"down returned while these were alive: {alive}"
        assert rep.passes >= 2, rep
        assert_nothing_left(name, inodes, "netns")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        baglab("down", "--name", name, check=False)


# -- pytest sessions killed: SIGTERM (CI timeout) and kill -9 (stale lab) -------------------------
INNER = textwrap.dedent('''
    import json, os, threading
    from lab.state import LabState

    def test_hold(lab):
        st = LabState.read(lab.paths)
        with open(os.environ["LF_OUT"], "w") as f:
            json.dump({"owned": lab.owned, "name": lab.paths.name, "harness": st.harness,
                       "pid": os.getpid()}, f)
        if os.environ.get("LF_HOLD"):
            threading.Event().wait(600)    # until the outer test signals this session

    def test_nothing():
        pass
''')


def inner_session(tmp_path: Path, *args: str, hold: bool, out: str = "out.json",
                  runtime: str = "netns") -> subprocess.Popen:
    """A pytest session on a small lab test in its own checkout (tmp_path), with the plugin."""
    (tmp_path / "test_inner.py").write_text(INNER)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    lab: live\n")
    env = dict(os.environ, LF_OUT=str(tmp_path / out), BAGLAB_RUNTIME=runtime)
    env.pop("LF_HOLD", None)
    if hold:
        env["LF_HOLD"] = "1"
    return subprocess.Popen([sys.executable, "-m", "pytest", "-p", "lab.pytest_plugin", "-p", "no:cacheprovider",
                             "-q", "-s", "--rootdir", str(tmp_path), "-c", str(tmp_path / "pytest.ini"),
                             "--topology", MINI, *args, str(tmp_path / "test_inner.py")],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def lab_inodes(name: str) -> set[int]:
    return set(netns_inodes(nsutil.list_netns(LabPaths(name).ns_prefix)))


SESSION_MOMENTS = {
    # the lab is up and a test runs
    "lab-up": lambda tmp_path, name: (tmp_path / "out.json").exists(),
    # up() is starting daemons (Popen after Popen: a signal can land in an at-fork hook)
    "building-daemons": lambda tmp_path, name: snapshot(name, "netns")["zebra"] >= 1,
    # up() waits for convergence (pyroute2 FIB readers: their cleanup can replace the interrupt)
    "building-convergence": lambda tmp_path, name: snapshot(name, "netns")["bgpd"] >= FRR_NODES,
}


ALL_SESSION_CASES = [("netns", m) for m in SESSION_MOMENTS] + [("docker", "lab-up"), ("docker", "building-daemons")]
SESSION_CASES = ALL_SESSION_CASES if FULL_MATRIX else [("netns", "building-convergence"), ("docker", "lab-up")]


@pytest.mark.parametrize("runtime,moment", SESSION_CASES, ids=[f"{r}-{m}" for r, m in SESSION_CASES])
def test_sigterm_of_pytest_removes_its_lab(tmp_path, runtime, moment):
    if runtime == "docker":
        docker_client()
    name = f"lft{os.getpid() % 10000}"
    baglab("down", "--name", name)
    proc = inner_session(tmp_path, "--lab-name", name, "-k", "test_hold", hold=True, runtime=runtime)
    inodes: set[int] = set()

    def reached():
        inodes.update(lab_inodes(name))
        return SESSION_MOMENTS[moment](tmp_path, name)
    try:
        wait_until(f"the inner session's {moment}", reached, proc, 120, lambda: snapshot(name, runtime))
        if moment == "lab-up":
            assert json.loads((tmp_path / "out.json").read_text())["owned"] is True
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 2, out            # pytest's "interrupted"
        assert "KeyboardInterrupt" in out and "SIGTERM" in out, out
        assert_nothing_left(name, inodes, runtime)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        baglab("down", "--name", name, check=False)


@pytest.mark.parametrize("how", ["same-lab-name", "same-checkout"])
def test_stale_lab_of_a_killed_session_is_removed_by_the_next(tmp_path, how):
    name = f"lfs{os.getpid() % 10000}"
    baglab("down", "--name", name)
    first = inner_session(tmp_path, "--lab-name", name, "-k", "test_hold", hold=True, out="first.json")
    try:
        wait_until("the first session's lab", lambda: (tmp_path / "first.json").exists(), first, 120,
                   lambda: snapshot(name, "netns"))
        first.send_signal(signal.SIGKILL)          # no teardown at all
        first.communicate(timeout=30)
        old = set(nsutil.pids_by_netns(nsutil.list_netns(LabPaths(name).ns_prefix))[LabPaths(name).netns("r1-bag1")])
        inodes = lab_inodes(name)
        assert old and LabState.read(LabPaths(name)).phase == "up", "the killed session should leave its lab"
        if how == "same-lab-name":
            # the next session names the lab: it must rebuild it, not attach to the stale one
            second = inner_session(tmp_path, "--lab-name", name, "-k", "test_hold", hold=False, out="second.json")
            out, _ = second.communicate(timeout=180)
            assert second.returncode == 0, out
            got = json.loads((tmp_path / "second.json").read_text())
            assert got["owned"] is True and got["harness"]["pid"] == got["pid"], got
            assert not [p for p in old if nsutil._alive(p)], "the stale lab's daemons must be gone"
        else:
            # the next session of the same checkout, on its own lab name: the stale lab goes first
            second = inner_session(tmp_path, "-k", "test_nothing", hold=False)
            out, _ = second.communicate(timeout=180)
            assert second.returncode == 0, out
            assert f"removed stale lab(s) of a killed earlier run: {name}" in out, out
        assert_nothing_left(name, inodes, "netns")
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        baglab("down", "--name", name, check=False)
