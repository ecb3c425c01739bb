"""Live: what a killed build or probe leaves is removed by ``down --all``'s sweep, and nothing in use.

Each leftover is made the way baglab makes it, by a child process that then exits without its
clean-up (what a ``kill -9`` leaves): a root's build directory with a killed debootstrap's mount
still inside, an image's rootfs directory, a MACsec probe namespace.  The sweep runs on a cache of
its own (BAGLAB_IMAGE_CACHE) through the function ``down --all`` calls; probe namespaces are
host-wide, so only ones whose creator is dead can go.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab import leftovers
from lab.host import nsutil
from lab.macsec import kernel

from ..conftest import ROOT

pytestmark = pytest.mark.lab

CHILD = """
import json, subprocess, sys
from pathlib import Path
from lab.leftovers import BUILD_PREFIX, ROOTFS_PREFIX, build_dir, probe_netns_name
cache = Path(sys.argv[1])
out = {"build": str(build_dir(cache / "frr-10.3", BUILD_PREFIX)), "rootfs": str(build_dir(cache, ROOTFS_PREFIX)),
       "probes": [probe_netns_name(), probe_netns_name()]}
for ns in out["probes"]:
    subprocess.run(["ip", "netns", "add", ns], check=True)
print(json.dumps(out))
"""


def mounted_under(path: Path) -> list[str]:
    return leftovers.mounts_under(os.path.realpath(path), Path("/proc/self/mountinfo").read_text())


def test_down_all_sweep_removes_a_killed_creators_leftovers_and_keeps_live_ones(tmp_path):
    cache = tmp_path / "cache"
    (cache / "frr-10.3").mkdir(parents=True)
    made = json.loads(subprocess.run([sys.executable, "-c", CHILD, str(cache)], capture_output=True, text=True,
                                     check=True, cwd=ROOT).stdout)
    build, rootfs, (dead_ns, busy_ns) = Path(made["build"]), Path(made["rootfs"]), made["probes"]
    # a debootstrap killed in its second stage leaves a mount in the root: the host's files behind
    # it must survive the removal
    host_files = tmp_path / "host-files"
    host_files.mkdir()
    (host_files / "precious").write_text("keep me\n")
    (build / "dev").mkdir()
    subprocess.run(["mount", "--bind", str(host_files), str(build / "dev")], check=True)
    live_build = leftovers.build_dir(cache / "frr-10.3", leftovers.BUILD_PREFIX)
    live_ns = leftovers.probe_netns_name()
    subprocess.run(["ip", "netns", "add", live_ns], check=True)
    # a process still inside a dead creator's namespace (an orphaned 'ip -n' of a killed probe)
    busy = subprocess.Popen(["ip", "netns", "exec", busy_ns, "sleep", "60"])
    try:
        assert set(made["probes"]) <= set(nsutil.list_netns(leftovers.PROBE_PREFIX))
        assert mounted_under(build), "the bind mount did not take"
        env = dict(os.environ, BAGLAB_IMAGE_CACHE=str(cache))
        r = subprocess.run([sys.executable, "-c", "import sys; from lab.cli.down import _sweep_leftovers; "
                                                  "sys.exit(int(_sweep_leftovers()))"],
                           capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
        assert r.returncode == 0, r.stderr
        for gone in (str(build), str(rootfs), dead_ns):
            assert gone in r.stderr
        assert not build.exists() and not rootfs.exists() and mounted_under(cache) == []
        assert (host_files / "precious").read_text() == "keep me\n"
        probes = nsutil.list_netns(leftovers.PROBE_PREFIX)
        assert dead_ns not in probes
        assert live_ns in probes and busy_ns in probes and live_build.is_dir()
        busy.kill()
        busy.wait()
        assert busy_ns in leftovers.sweep(cache).removed      # free now: the next sweep takes it
        assert busy_ns not in nsutil.list_netns(leftovers.PROBE_PREFIX)
        assert live_ns in nsutil.list_netns(leftovers.PROBE_PREFIX) and live_build.is_dir()
    finally:
        busy.kill()
        busy.wait()
        for mp in mounted_under(cache):
            subprocess.run(["umount", "--lazy", mp], capture_output=True)
        for ns in (live_ns, dead_ns, busy_ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def test_the_macsec_probe_leaves_no_namespace():
    mine = leftovers.PROBE_PREFIX + leftovers.owner_tag() + "_"
    kernel.available()
    assert [n for n in nsutil.list_netns(leftovers.PROBE_PREFIX) if n.startswith(mine)] == []
