"""Live: ``baglab down`` ends the processes baglab started for the lab, and nothing else.

An operator's ``tail -f`` of a router's log or a loop reading the lab's state names the lab on its
command line, as do baglab's own processes: down must leave the first alone.  And a process of a
shape baglab starts that is in none of the lab's namespaces and recorded nowhere (a helper a
``kill -9`` caught between spawning it and entering its namespace, or whose namespace an
interrupted down already unnamed) must still go, with whatever it forks while it stops.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lab.host import nsutil
from lab.runtime.remnants import describe, lab_pids, netns_inodes, remnants
from lab.state import LabPaths, load_plan
from lab.wait import wait_for

from ..cli import baglab
from ..conftest import TOPOLOGIES

pytestmark = pytest.mark.lab
MINI = str(TOPOLOGIES / "bag-mini.yaml")



# A stand-in with the exact command line of baglab's speaker (python -m lab.nodes.speaker CONFIG NETNS),
# run from a package earlier on the path.  Told to stop, it forks a successor (as a daemon's
# launcher or a supervisor does; same command line) and is slow to exit itself: down must find
# the successor by its shape too, and return only once both are gone.
FAKE_SPEAKER = textwrap.dedent('''
    import os, signal, time
    me = os.environ["H3_READY"]

    def term(*_):
        pid = os.fork()
        if pid == 0:
            os.setsid()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.pause()
            os._exit(0)
        open(me + ".successor", "w").write(str(pid))
        time.sleep(0.5)      # a slow exit: down must wait for it, not return
        os._exit(0)

    signal.signal(signal.SIGTERM, term)
    open(me, "w").write(str(os.getpid()))
    signal.pause()
''')


def start_fake_speaker(tmp_path: Path, paths: LabPaths, node: str) -> tuple[subprocess.Popen, Path]:
    shapes = tmp_path / "shapes"
    pkg = shapes / "lab" / "nodes"
    pkg.mkdir(parents=True)
    (shapes / "lab" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "speaker.py").write_text(FAKE_SPEAKER)
    ready = tmp_path / "speaker.ready"
    env = dict(os.environ, PYTHONPATH=str(shapes), H3_READY=str(ready))
    argv = [sys.executable, "-m", "lab.nodes.speaker", str(paths.node_dir(node) / "speaker.json"), paths.netns(node)]
    return subprocess.Popen(argv, cwd=tmp_path, env=env, start_new_session=True), ready


def test_down_spares_what_merely_names_the_lab_and_ends_everything_it_started(tmp_path):
    name = f"dnp{os.getpid() % 10000}"
    paths = LabPaths(name)
    baglab("down", "--name", name)
    procs: list[subprocess.Popen] = []
    try:
        baglab("up", MINI, "--name", name, "-q")
        router = "r1-bag1"
        log = paths.log_file(router)
        assert log.exists(), f"{log} missing: the lab should log there"
        inodes = set(netns_inodes(nsutil.list_netns(paths.ns_prefix)))
        started = sorted(p for pids in nsutil.pids_by_netns(nsutil.list_netns(paths.ns_prefix)).values() for p in pids)
        routers = sum(1 for n in load_plan(paths).nodes if n.emulator == "frr")
        assert len(started) >= 3 * routers, f"zebra, bfdd and bgpd should run on each of {routers} routers: {started}"
        operators = {
            "tail -f": ["tail", "-f", str(log)],
            "state loop": ["sh", "-c", f"while :; do cat {paths.state_file} >/dev/null 2>&1; sleep 0.2; done"],
            "namespace loop": ["sh", "-c", f"while :; do ip -n {paths.netns(router)} route >/dev/null 2>&1; "
                                           "sleep 0.2; done"],
        }
        ops = {k: subprocess.Popen(v, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
               for k, v in operators.items()}
        procs += ops.values()
        fake, ready = start_fake_speaker(tmp_path, paths, "r2-bag2")
        procs.append(fake)
        wait_for(ready.exists, 30, "the speaker-shaped process to start")
        assert int(ready.read_text()) == fake.pid
        # the host's namespace, not the lab's: only its command line's shape makes it the lab's
        assert os.stat(f"/proc/{fake.pid}/ns/net").st_ino not in inodes
        wait_for(lambda: all(nsutil._alive(p.pid) for p in ops.values()), 10, "the operator's commands to run")
        seen = lab_pids(name, inodes)
        assert fake.pid in seen, "down would not find the speaker-shaped process"
        assert not {p.pid for p in ops.values()} & set(seen), f"down would take an operator's command: {seen}"

        r = baglab("down", "--name", name)
        assert "removed" in r.stderr, r.stderr
        # down returns only when every process of the lab is gone: checked at once
        alive = [p for p in started if nsutil._alive(p)]
        assert not alive, f"down returned while the lab's processes live: {[(p, nsutil.cmdline(p)) for p in alive]}"
        assert fake.poll() is not None, "the speaker-shaped process outside the lab's namespaces survived down"
        successor = Path(f"{ready}.successor")
        assert successor.exists(), "down should have asked the speaker-shaped process to stop (SIGTERM)"
        assert not nsutil._alive(int(successor.read_text())), "down returned while the successor lives"
        left = remnants(name, inodes, docker=False)
        assert not any(left.values()), f"lab {name} left: {describe(left)}"
        survived = {k: p.poll() is None and nsutil._alive(p.pid) for k, p in ops.items()}
        assert all(survived.values()), f"down ended an operator's command: {survived}"
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        forked = tmp_path / "speaker.ready.successor"
        if forked.exists():
            nsutil.kill_all([int(forked.read_text())], crash=True)
        baglab("down", "--name", name, check=False)
