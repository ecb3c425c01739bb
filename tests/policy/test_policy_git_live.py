"""Live: policies named in git as ``REF:PATH``, end to end through the CLI, in a repository the test
makes (the built-in policy committed on ``main``, safe-tag on branch ``cand``, tagged ``safe-v1``).

- ``up --policy cand:policies/p`` (run from a subdirectory: PATH is from the repository's top) builds a
  lab that runs safe-tag; its state points at a copy kept in the lab's own directory, the temporary copy
  is gone; a later commit on ``cand`` changes nothing that status, a drain or a crash's restore uses;
  ``down`` removes the kept copy.
- ``diff --baseline main:... --candidate safe-v1:...`` finds exactly safe-tag's declared change and
  names both sides as REF:PATH (commit).
- an unknown ref fails with exit 2 and one line before any lab is built.

Budget: one lab for the up tests, two (in parallel, no flow probes) for the diff: 50-70 s on 2 cores.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lab.frr.router import Router
from lab.frr.show import show_json
from lab.runtime import down_lab
from lab.state import LabPaths, LabState, load_plan
from lab.wait import poll
from lab.workflows.policy_source import KEPT

from ..cli import baglab
from ..conftest import ROOT, TOPOLOGIES

pytestmark = pytest.mark.lab

TOPO = str(TOPOLOGIES / "bag-mini.yaml")
DEFAULT = ROOT / "lab" / "config" / "policies" / "default"
SAFE_TAG = ROOT / "topologies" / "policies" / "bag-mini" / "safe-tag"
TAG, LATER_TAG = "64512:100", "64512:200"      # safe-tag's community; what the later commit makes it
EDGE, RECEIVER = "r1-f2-edge", "r1-bag1"
# what git_source copies out of a tree: the fragments and intents.yaml (not safe-tag's README.md)
COPIED = {"intents.yaml", "role/bag.j2", "role/edge.j2", "role/stsw.j2"}
_ID = os.getpid() % 10000
POLICY_TMP = "baglab-policy-"                   # git_source's temporary copies


def git(repo: Path, *args: str) -> str:
    """git in ``repo``, blind to the host's and the user's configuration."""
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    return subprocess.run(["git", "-c", "user.name=baglab test", "-c", "user.email=test@example.invalid",
                           "-c", "commit.gpgsign=false", *args], cwd=repo, env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    top = tmp_path_factory.mktemp("policy-repo")
    git(top, "init", "-q", "-b", "main")
    shutil.copytree(DEFAULT, top / "policies" / "p")
    (top / "sub").mkdir()
    (top / "sub" / "README").write_text("the CLI runs here: PATH is from the repository's top\n")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "built-in policy")
    git(top, "checkout", "-q", "-b", "cand")
    shutil.rmtree(top / "policies" / "p")
    shutil.copytree(SAFE_TAG, top / "policies" / "p")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "safe-tag")
    git(top, "tag", "safe-v1")
    return top


@pytest.fixture
def tmpdir_env(tmp_path) -> tuple[Path, dict]:
    """A private TMPDIR for the CLI, so the test sees every temporary copy it makes (and that none stays);
    a wide terminal, so no line it checks is wrapped."""
    d = tmp_path / "tmp"
    d.mkdir()
    return d, {"TMPDIR": str(d), "COLUMNS": "400"}


def leftovers(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith(POLICY_TMP))


def netns_of(*prefixes: str) -> list[str]:
    """``ip netns list``'s names that belong to the given labs' namespace prefixes."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return [n for n in (line.split()[0] for line in out.splitlines() if line.strip()) if n.startswith(prefixes)]


def running_config(paths: LabPaths, node: str) -> str:
    return Router(paths, node).show("show running-config")


def bgp_config(paths: LabPaths, node: str) -> str | None:
    """The running config once bgpd has read its own (None while it is starting)."""
    try:
        text = running_config(paths, node)
    except (RuntimeError, subprocess.TimeoutExpired):
        return None
    return text if "router bgp" in text else None


def config_file(paths: LabPaths, node: str) -> str:
    """What the router restarts from."""
    return (paths.node_dir(node) / "frr.conf").read_text()


def communities(paths: LabPaths, node: str, prefix: str) -> set[str]:
    data = show_json(paths.netns(node), f"show bgp ipv4 unicast {prefix} json")
    return {c for p in data.get("paths", []) for c in p.get("community", {}).get("string", "").split()}


# -- up --policy REF:PATH ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def git_lab(repo, tmp_path_factory):
    """bag-mini up on ``cand:policies/p`` through the CLI, from a subdirectory of the repository."""
    paths = LabPaths(f"rpg{_ID}")
    tmp = tmp_path_factory.mktemp("up-tmp")
    try:
        baglab("up", TOPO, "--policy", "cand:policies/p", "--name", paths.name, "-q",
                   cwd=repo / "sub", env={"TMPDIR": str(tmp)})
        yield paths, git(repo, "rev-parse", "cand"), tmp
    finally:
        down_lab(paths)


def test_up_runs_the_committed_policy_from_a_copy_kept_in_the_lab(git_lab):
    paths, commit, tmp = git_lab
    st = LabState.read(paths)
    kept = Path(st.policy)
    assert kept.parent == paths.root / KEPT and kept.name.startswith(commit[:12]), st.policy
    assert st.phase == "up"
    assert kept.stat().st_mode & 0o777 == 0o700
    files = {str(f.relative_to(kept)) for f in kept.rglob("*") if f.is_file()}
    assert files == COPIED
    assert all((kept / f).read_bytes() == (SAFE_TAG / f).read_bytes() for f in COPIED)
    assert leftovers(tmp) == [], "up left its temporary copy of the policy"

    # the routers run safe-tag: its own prefix-list and community (the built-in policy has neither)
    cfg = running_config(paths, EDGE)
    assert f"set community {TAG} additive" in cfg and "prefix-list MINE4" in cfg, cfg
    prefix = load_plan(paths).node(EDGE).prefixes_v4[0]
    assert poll(lambda: TAG in communities(paths, RECEIVER, prefix), 10.0), \
        f"{RECEIVER} has no {TAG} on {prefix}: {communities(paths, RECEIVER, prefix)}"


def test_a_later_commit_changes_nothing_the_running_lab_uses(git_lab, repo, tmpdir_env):
    paths, commit, _tmp = git_lab
    tmp, env = tmpdir_env
    kept = Path(LabState.read(paths).policy)
    edge_j2 = repo / "policies" / "p" / "role" / "edge.j2"
    edge_j2.write_text(edge_j2.read_text().replace(TAG, LATER_TAG))
    git(repo, "commit", "-q", "-am", f"safe-tag: {LATER_TAG}")
    assert git(repo, "rev-parse", "cand") != commit

    def run(*args):
        return baglab(*args, "--name", paths.name, cwd=repo, env=env)

    def drained_on_the_kept_copy(text: str) -> None:
        assert "-DRAIN out" in text and TAG in text and LATER_TAG not in text, text

    st = run("status")
    assert f"this lab runs policy {kept}:" in st.stderr, st.stderr
    # a drain re-renders the router from the lab's policy: the kept copy, not the branch
    # (--no-wait throughout: the files and the restarted router are the point, not convergence)
    run("drain", "node", EDGE, "--no-wait")
    drained_on_the_kept_copy(config_file(paths, EDGE))
    # a crashed router comes back from that file
    run("fault", "node", EDGE, "--mode", "crash", "--no-wait")
    run("restore", "--no-wait")
    cfg = poll(lambda: bgp_config(paths, EDGE), 30.0)
    assert cfg, f"{EDGE}'s bgpd has no configuration 30 s after the restore"
    drained_on_the_kept_copy(cfg)
    assert LabState.read(paths).policy == str(kept)
    assert (kept / "role" / "edge.j2").read_bytes() == (SAFE_TAG / "role" / "edge.j2").read_bytes()
    assert leftovers(tmp) == []


def test_down_removes_the_kept_copy(git_lab, repo, tmpdir_env):
    paths = git_lab[0]
    kept = Path(LabState.read(paths).policy)
    assert kept.is_dir()
    baglab("down", "--name", paths.name, cwd=repo, env=tmpdir_env[1])
    assert not kept.exists() and not paths.root.exists()
    assert netns_of(paths.ns_prefix) == []


# -- diff --baseline REF:PATH --candidate REF:PATH ----------------------------------------------------
def test_diff_between_two_commits_finds_the_candidates_declared_change(repo, tmpdir_env, tmp_path):
    tmp, env = tmpdir_env
    prefix = f"rpd{_ID}"
    labs = [LabPaths(f"{prefix}-b"), LabPaths(f"{prefix}-c")]
    report, page = tmp_path / "diff.json", tmp_path / "diff.html"
    try:
        r = baglab("diff", TOPO, "--baseline", "main:policies/p", "--candidate", "safe-v1:policies/p", "--no-flows",
                   "--name-prefix", prefix, "--json", str(report), "--html", str(page), check=False, cwd=repo, env=env)
        left = netns_of(*(p.ns_prefix for p in labs)) + [str(p.root) for p in labs if p.root.exists()]
    finally:
        for p in labs:
            down_lab(p)
    assert r.returncode == 0, f"exit {r.returncode} (0: nothing unintended)\n{r.stdout}\n{r.stderr}"
    data = json.loads(report.read_text())
    base = f"main:policies/p (commit {git(repo, 'rev-parse', 'main')})"
    cand = f"safe-v1:policies/p (commit {git(repo, 'rev-parse', 'safe-v1^{commit}')})"
    rep = data["report"]
    assert (rep["baseline"], rep["candidate"]) == (base, cand)
    assert [s["policy"] for s in data["sides"]] == [base, cand]
    assert rep["exit_code"] == 0 and rep["unintended"] == [] and rep["undecided"] == []
    why = "originated routes carry the new tag 64512:100"      # safe-tag's intents.yaml
    assert rep["intended"], "safe-tag's community change was not found"
    assert {(d["aspect"], d["before"], d["after"], d["intended_by"]) for d in rep["intended"]} == \
        {("communities", "none", TAG, why)}
    assert {"r1-bag1", "r2-bag1", EDGE} <= {d["router"] for d in rep["intended"]}
    html = page.read_text()
    assert base in html and cand in html
    assert POLICY_TMP not in report.read_text() + html + r.stdout + r.stderr
    assert leftovers(tmp) == []
    assert left == [], "diff (without --keep) left its labs"


# -- a bad ref ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["up", "diff"])
def test_an_unknown_ref_fails_in_one_line_before_any_lab_is_built(repo, tmpdir_env, command):
    tmp, env = tmpdir_env
    name = f"rpx{_ID}"
    labs = [LabPaths(name)] if command == "up" else [LabPaths(f"{name}-b"), LabPaths(f"{name}-c")]
    args = ["--policy", "nosuchref:policies/p", "--name", name] if command == "up" else \
        ["--candidate", "nosuchref:policies/p", "--name-prefix", name]
    prefixes = tuple(p.ns_prefix for p in labs)
    assert netns_of(*prefixes) == []
    try:
        r = baglab(command, TOPO, *args, check=False, cwd=repo, env=env)
        built = netns_of(*prefixes) + [str(p.root) for p in labs if p.root.exists()]
    finally:
        for p in labs:
            down_lab(p)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert len(lines) == 1 and "nosuchref" in lines[0] and "no commit" in lines[0], r.stderr
    assert r.stdout.strip() == ""
    assert built == [], "namespaces or state of a lab were made before the ref was refused"
    assert leftovers(tmp) == []
