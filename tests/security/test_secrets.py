"""Live: TCP-MD5 passwords and keys stay private, and root never writes through a planted link.

Passwords sit in plan.json, frr.conf and the fault journal and travel to vtysh: all readable by
root (and frr for its own config) only, and never on a command line (/proc/*/cmdline is
world-readable).  Node directories belong to frr, so a link planted there must not turn a drain's
config rewrite or the SecY's counter file into a write elsewhere.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.workflows.build import up
from lab.faults import FaultInjector
from lab.host import nsutil
from lab.frr.show import show
from lab.runtime import down_lab
from lab.state import FRR_RUN, STATE_ROOT, LabPaths, load_plan
from lab.wait import wait_for

from ..conftest import ROOT, TOPOLOGIES

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
    running = show(paths.netns(link.a.node), "show running-config")
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


# -- nothing keeps a secret that is not meant to -----------------------------------------------
# A lab of its own, its TCP-MD5 passwords made for this run (no other lab or file can hold them),
# taken through what sends secrets to FRR or writes them out: an md5 fault and its restore, a
# rollout that adds passwords and its rollback that removes them, an export and a render.  Then
# every file the lab and its tools wrote is read for them.
BAGLAB = [sys.executable, "-m", "lab.cli"]
ROLLOUTS = ROOT / "topologies" / "rollouts"
MD5_CANDIDATE = ROOT / "topologies" / "policies" / "bag-mini" / "md5-spoke-plane2"
#: where the lab and its tools may write, read for every file changed since the run began
WRITTEN_UNDER = sorted({Path.home(), Path("/root"), Path("/tmp"), Path("/var/tmp"), Path("/var/log"), FRR_RUN,
                        STATE_ROOT, ROOT})
#: FRR's per-daemon files, cut from a router's frr.conf (lab.runtime.frr.write_frr_config)
ROUTER_CONFIGS = ("frr.conf", "zebra.conf", "bfdd.conf", "bgpd.conf", "staticd.conf")


def baglab(*args: str, ok=(0,), timeout: float = 300) -> subprocess.CompletedProcess:
    r = subprocess.run(BAGLAB + list(args), capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert r.returncode in ok, f"baglab {' '.join(args)} exited {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    return r


def version_roots() -> list[Path]:
    """The places inside each built FRR root that a chrooted vtysh or frr-reload.py could write."""
    from lab.frr import roots as frr_roots
    roots = [frr_roots.root_of(v) for v in frr_roots.built_versions()]
    return [r / d for r in roots if r is not None for d in ("root", "tmp", "var/tmp", "var/log")]


def files_under(top: Path, since: float, skip: tuple[Path, ...]):
    """Regular files below ``top`` changed at or after ``since`` (symlinks not followed)."""
    for d, dirs, files in os.walk(top):
        here = Path(d)
        dirs[:] = [x for x in dirs if here / x not in skip and x != ".git"]
        for f in files:
            p = here / f
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and max(st.st_mtime, st.st_ctime) >= since:
                yield p


def holding(p: Path, secrets: dict[str, bytes]) -> list[str]:
    try:
        data = p.read_bytes()
    except OSError:
        return []
    return [k for k, v in secrets.items() if v in data]


def by_design(p: Path, paths: LabPaths, outputs: tuple[Path, ...]) -> int | None:
    """The files that hold secrets by design, and the permission bits none of them may grant:
    the lab's records of its secrets (plan, fault journal, MACsec key chain) and each SecY's keys,
    root's alone; each router's own config files, frr's to read in the lab (0640) and private in an
    export or a render.  None: no file here may hold a secret."""
    if p.parent == paths.root and p.name in ("plan.json", "faults.json", "macsec-keychain.json"):
        return 0o077
    if p.parent.parent == paths.root / "nodes":
        return {"macsec.json": 0o077, **{c: 0o007 for c in ROUTER_CONFIGS}}.get(p.name)
    if any(o in p.parents for o in outputs) and p.name in ROUTER_CONFIGS:
        return 0o077
    return None


def reload_methods(report: Path) -> set[str]:
    return {r["method"] for p in json.loads(report.read_text())["phases"] for r in p["reloads"]}


def test_no_secret_is_kept_where_it_is_not_meant_to_be(tmp_path):
    t0 = time.time() - 1
    name = f"sec{os.getpid() % 10000}"
    paths = LabPaths(name)
    base, new = f"h3-{os.urandom(8).hex()}", f"h3-{os.urandom(8).hex()}"
    inputs, export, render, reports = (tmp_path / d for d in ("inputs", "export", "render", "reports"))
    inputs.mkdir()
    topo = inputs / "bag-mini.yaml"
    topo.write_text((TOPOLOGIES / "bag-mini.yaml").read_text().replace(f"tcp_md5: {PASSWORD}", f"tcp_md5: {base}"))
    cand = inputs / "md5-candidate"
    shutil.copytree(MD5_CANDIDATE, cand)
    common = cand / "common.j2"
    common.write_text(common.read_text().replace("password spoke-plane2-md5", f"password {new}"))
    assert base in topo.read_text() and new in common.read_text(), "the inputs no longer carry the passwords"
    baglab("down", "--name", name)
    try:
        baglab("up", str(topo), "--name", name, "-q")
        plan = load_plan(paths)
        link = next(l for l in plan.links if l.tcp_md5)
        baglab("fault", "md5-mismatch", link.bundle, "-m", str(link.member), "--name", name, "--no-wait")
        wrong = re.search(rb"mismatch-[0-9a-f]+", (paths.root / "faults.json").read_bytes()).group(0)
        secrets = {"the lab's TCP-MD5 password": base.encode(), "the md5 fault's password": wrong,
                   "the rollout's password": new.encode()}
        chain = json.loads((paths.root / "macsec-keychain.json").read_text())
        secrets.update({f"MACsec CAK {k['id']}": k["cak"].encode() for k in chain["keys"]})
        for n in plan.nodes:
            keys = paths.node_dir(n.name) / "macsec.json"
            if keys.exists():
                for port in json.loads(keys.read_text())["ports"]:
                    secrets.update({f"SAK {n.name} {port['ifname']} AN {an}": k.encode() for an, k in port["keys"].items()})
        assert any(k.startswith("SAK") for k in secrets), "bag-mini should have MACsec ports"
        on_cmdline = {pid: holding(Path(f"/proc/{pid}/cmdline"), secrets) for pid in os.listdir("/proc") if pid.isdigit()}
        assert not any(on_cmdline.values()), f"secrets on command lines: { {p: k for p, k in on_cmdline.items() if k} }"
        baglab("restore", "--name", name, "--no-wait")
        # passwords added (frr-reload.py) and then removed (vtysh's stdin): the rollout may fail its
        # phase (the sessions reset), what counts here is that it ran
        baglab("rollout", str(topo), "--name", name, "--candidate", str(cand), "--phases", str(ROLLOUTS / "bag-mini-md5.yaml"),
               "--checks", "reachability", "--reports", str(reports), ok=(0, 1))
        assert new in (paths.node_dir("r2-bag2") / "frr.conf").read_text(), "the rollout did not change r2-bag2"
        baglab("rollback", "--name", name, "--reports", str(reports), ok=(0, 1))
        assert new not in (paths.node_dir("r2-bag2") / "frr.conf").read_text(), "the rollback did not restore r2-bag2"
        # both ways a password reaches FRR ran: frr-reload.py adding it, vtysh's stdin removing it
        assert reload_methods(reports / "rollout.json") >= {"frr-reload"}, reload_methods(reports / "rollout.json")
        assert "vtysh" in reload_methods(reports / "rollback.json"), reload_methods(reports / "rollback.json")
        baglab("export", str(topo), "-o", str(export))
        baglab("plan", str(topo), "--render", str(render))

        def leaks(tops: list[Path]) -> tuple[dict, dict, list]:
            """Files holding a secret they should not, secret-holding files others may read, and
            the files that hold secrets by design (the scan must see them)."""
            bad, loose, meant = {}, {}, []
            skip = (inputs, *(STATE_ROOT / other for other in os.listdir(STATE_ROOT) if other != name))
            for p in sorted({f for top in tops if top.is_dir() for f in files_under(top, t0, skip)}):
                found = holding(p, secrets)
                if not found:
                    continue
                forbidden = by_design(p, paths, (export, render))
                if forbidden is None:
                    bad[str(p)] = found
                    continue
                meant.append(p)
                if stat.S_IMODE(os.lstat(p).st_mode) & forbidden:
                    loose[str(p)] = oct(stat.S_IMODE(os.lstat(p).st_mode))
            return bad, loose, meant

        # what down removes is read now (the lab's directories), the rest once the lab is gone
        bad, loose, meant = leaks([paths.root, *nsutil.own_dirs(FRR_RUN, paths.ns_prefix)])
        assert not bad, f"secrets kept where they are not meant to be: {bad}"
        assert not loose, f"files holding secrets readable by others: {loose}"
        assert paths.plan_file in meant, f"the scan should have read the lab's plan: {meant}"
        baglab("down", "--name", name)
        bad, loose, meant = leaks(WRITTEN_UNDER + version_roots() + [export, render, reports])
        assert not bad, f"secrets outliving the lab: {bad}"
        assert not loose, f"files holding secrets readable by others: {loose}"
        assert {render / link.a.node / "frr.conf", export / "configs" / link.a.node / "frr.conf"} <= set(meant), \
            f"the scan should have read the render and the export: {meant}"
    finally:
        baglab("down", "--name", name, ok=(0, 1, 2))
