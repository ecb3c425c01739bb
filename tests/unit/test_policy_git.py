"""``REF:PATH`` policy directories: copied out of a throwaway git repository into a private temporary
directory the ordinary loader reads, named REF:PATH (and commit) in what the user sees, removed at the
end; refs that look like options, paths leaving the repository, symlinks, submodules, files and
oversized fragments refused with one clear error."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from lab.errors import LabError
from lab.config.policy import DEFAULT_DIR, load_policy
from lab.config.policy import git_source as gs

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main",
                           "-c", "commit.gpgsign=false", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path) -> Path:
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q")
    shutil.copytree(DEFAULT_DIR, r / "policies" / "cand")
    (r / "policies" / "cand" / "intents.yaml").write_text("description: from git\n")
    (r / "policies" / "cand" / "README").write_text("not read by the loader\n")
    git(r, "add", "-A")
    git(r, "commit", "-qm", "one")
    (r / "policies" / "cand" / "common.j2").write_text("! added in two\n")
    git(r, "add", "-A")
    git(r, "commit", "-qm", "two")
    return r


def test_a_valid_ref_is_loaded_by_the_ordinary_loader_and_removed_after(repo):
    commit = git(repo, "rev-parse", "main")
    with gs.opened("main:policies/cand", cwd=repo) as src:
        tmp = Path(src.path)
        assert stat.S_IMODE(os.stat(tmp).st_mode) == 0o700
        pol = load_policy(src.path)
        assert sorted(pol.fragments) == ["common.j2", "role/bag.j2", "role/edge.j2", "role/stsw.j2"]
        assert pol.digest() == load_policy(repo / "policies" / "cand").digest()
        assert (tmp / "intents.yaml").read_text() == "description: from git\n"
        assert not (tmp / "README").exists()          # the loader never reads it: not copied
        assert src.label == f"main:policies/cand (commit {commit})"
        assert src.git.commit == commit
    assert not tmp.exists()


def test_an_older_commit_and_a_trailing_slash(repo):
    with gs.opened("HEAD~1:policies/cand/", cwd=repo) as src:
        assert "common.j2" not in load_policy(src.path).fragments
        assert src.label.startswith("HEAD~1:policies/cand (commit ")
        assert src.git.commit == git(repo, "rev-parse", "HEAD~1")


def test_a_plain_directory_is_passed_as_it_is(repo):
    with gs.opened(str(repo / "policies" / "cand"), cwd=repo) as src:
        assert src.path == str(repo / "policies" / "cand") and src.git is None
    with gs.opened(None, cwd=repo) as src:
        assert src.path is None


def test_an_existing_local_directory_with_a_colon_wins(repo):
    (repo / "main:policies").mkdir()
    assert gs.split("main:policies", cwd=repo) is None
    assert gs.split("main:policies/cand", cwd=repo) == ("main", "policies/cand")


def test_a_bad_ref_is_one_error_naming_it(repo):
    with pytest.raises(LabError, match=r"no commit named 'nosuch' in the repository") as e:
        with gs.opened("nosuch:policies/cand", cwd=repo):
            pass
    assert "\n" not in str(e.value)


def test_outside_a_repository(tmp_path):
    with pytest.raises(LabError, match=r"not in a git repository"):
        gs.resolve("main:policies/cand", cwd=tmp_path)


@pytest.mark.parametrize("ref", ["-h", "--output=/tmp/x", "--upload-pack=touch /tmp/pwned", "-c", "ma in", "a\tb", ""])
def test_option_like_refs_are_refused_before_git_sees_them(repo, monkeypatch, ref):
    ran = []
    monkeypatch.setattr(gs, "_git", lambda *a, **k: ran.append(a))
    with pytest.raises(LabError, match=r"not a git ref|no REF"):
        gs.resolve(f"{ref}:policies/cand", cwd=repo)
    assert ran == []


@pytest.mark.parametrize("path", ["../x", "policies/../../x", "/etc", "", ".", "policies/cand/.."])
def test_paths_outside_the_repository_are_refused(repo, path):
    with pytest.raises(LabError, match=r"PATH must be a directory inside the repository"):
        gs.resolve(f"main:{path}", cwd=repo)


def test_a_file_instead_of_a_directory(repo):
    with pytest.raises(LabError, match=r"'policies/cand/common.j2' is a file in main, not a directory"):
        with gs.opened("main:policies/cand/common.j2", cwd=repo):
            pass


def test_a_missing_path(repo):
    with pytest.raises(LabError, match=r"no 'policies/other' in main"):
        with gs.opened("main:policies/other", cwd=repo):
            pass


def test_a_symlink_in_the_tree_is_refused_as_the_loader_refuses_one(repo, tmp_path):
    os.symlink("/etc/shadow", repo / "policies" / "cand" / "role" / "extra.j2")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "link")
    with pytest.raises(LabError) as from_git:
        with gs.opened("main:policies/cand", cwd=repo):
            pass
    with pytest.raises(LabError) as from_dir:
        load_policy(repo / "policies" / "cand")
    assert str(from_git.value) == "main:policies/cand/role/extra.j2: a symlink (to /etc/shadow); a policy " \
        "directory's fragments and their directories must be regular files and directories inside it"
    assert str(from_dir.value).split(": ", 1)[1] == str(from_git.value).split(": ", 1)[1]


def test_a_submodule_in_the_tree_is_refused(repo):
    commit = git(repo, "rev-parse", "HEAD")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{commit},policies/cand/sub")
    git(repo, "commit", "-qm", "submodule")
    with pytest.raises(LabError, match=r"main:policies/cand/sub: a submodule"):
        with gs.opened("main:policies/cand", cwd=repo):
            pass


def test_a_fragment_over_the_loaders_limit(repo, monkeypatch):
    monkeypatch.setattr(gs, "MAX_SIZE", 8)
    with pytest.raises(LabError, match=r"main:policies/cand/common.j2: 15 bytes; a policy fragment may have at most 8"):
        with gs.opened("main:policies/cand", cwd=repo):
            pass


def test_loader_errors_name_ref_path_and_commit_not_the_temporary_directory(repo):
    (repo / "policies" / "cand" / "role" / "bag.j2").write_text("{% if %}\n")
    git(repo, "commit", "-qam", "broken")
    commit = git(repo, "rev-parse", "HEAD")
    with pytest.raises(LabError) as e:
        with gs.opened("main:policies/cand", cwd=repo) as src:
            tmp = src.path
            load_policy(src.path)
    text = str(e.value)
    assert text.startswith("main:policies/cand/role/bag.j2:1: template error")
    assert f"[main:policies/cand is commit {commit}]" in text and tmp not in text


# -- commands: a lab that outlives the command keeps its copy; reports name REF:PATH ---------------

def test_a_lab_left_running_keeps_the_copy_its_records_name(repo, tmp_path, monkeypatch):
    from lab import state
    from lab.state import LabPaths, LabState, set_node_policy
    from lab.workflows.policy_source import KEPT, for_labs
    from lab.workflows.rollout import journal

    monkeypatch.setattr(state, "STATE_ROOT", tmp_path / "state")
    monkeypatch.chdir(repo)
    paths = LabPaths("gitlab")
    with for_labs([paths], "HEAD~1:policies/cand", "main:policies/cand") as (b, c):
        LabState.update(paths, policy=b.path)            # as 'up' records the baseline
        set_node_policy(paths, ["r1-bag1"], c.path)      # as a rollout phase records the candidate
        journal.write(paths, journal.RolloutRecord(b.path, c.path, "p.yaml", None, False, []))
        tmps = (b.path, c.path)
    assert not any(Path(t).exists() for t in tmps)
    st = LabState.read(paths)
    assert Path(st.policy).parent == paths.root / KEPT and Path(st.policy).is_dir()
    assert stat.S_IMODE(os.stat(st.policy).st_mode) == 0o700
    assert "common.j2" not in load_policy(st.policy).fragments          # HEAD~1's tree
    assert "common.j2" in load_policy(st.node_policies["r1-bag1"]).fragments
    rec = journal.read(paths)
    assert (rec.baseline, rec.candidate) == (st.policy, st.node_policies["r1-bag1"])


def test_a_rollouts_journal_keeps_the_candidates_intents_with_the_copy(repo, tmp_path, monkeypatch, mini):
    """A rollout without --intents records the candidate's intents.yaml, a file inside the copy:
    'rollback' and 'rollout --resume' read it after the command that made the copy has ended."""
    from lab import state
    from lab.state import LabPaths, set_node_policy
    from lab.workflows.policy_source import for_labs
    from lab.workflows.rollout import journal
    from lab.workflows.rollout.run import _intents

    monkeypatch.setattr(state, "STATE_ROOT", tmp_path / "state")
    monkeypatch.chdir(repo)
    paths = LabPaths("gitroll")
    with for_labs([paths], None, "main:policies/cand") as (_b, c):
        set_node_policy(paths, ["r1-bag1"], c.path)
        journal.write(paths, journal.RolloutRecord(None, c.path, "p.yaml", f"{c.path}/intents.yaml", False, []))
    rec = journal.read(paths)
    assert rec.intents == f"{rec.candidate}/intents.yaml", rec
    assert Path(rec.intents).read_text() == "description: from git\n"
    src, loaded = _intents(mini, rec.intents, rec.candidate)     # as rollback and --resume read it
    assert src == rec.intents and loaded.model.description == "from git"


def test_a_lab_not_naming_the_copy_gets_nothing(repo, tmp_path, monkeypatch):
    from lab import state
    from lab.state import LabPaths
    from lab.workflows.policy_source import for_labs

    monkeypatch.setattr(state, "STATE_ROOT", tmp_path / "state")
    monkeypatch.chdir(repo)
    with for_labs([LabPaths("other")], "main:policies/cand"):
        pass
    assert not (tmp_path / "state" / "other").exists()


def test_relabel_names_ref_path_and_commit(repo):
    from lab.workflows.policy_source import relabel

    with gs.opened("main:policies/cand", cwd=repo) as src:
        commit = src.git.commit
        assert relabel(src.path, src) == f"main:policies/cand (commit {commit})"
        assert relabel(f"{src.path}/intents.yaml", src) == f"main:policies/cand/intents.yaml (commit {commit})"
        assert relabel("/elsewhere", src) == "/elsewhere"


def test_diff_reports_name_ref_path(monkeypatch):
    from lab.workflows.diff import run as dr

    snap = {"topology": "t", "lab": "l", "policy": None, "taken": 0.0}
    sides = [dr.Side("baseline", "diff-b", "/tmp/x", snapshot={**snap, "policy": "/tmp/x"}),
             dr.Side("candidate", "diff-c", "/tmp/y", snapshot={**snap, "policy": "/tmp/y"})]
    monkeypatch.setattr(dr, "_run_sides", lambda *a: sides)
    monkeypatch.setattr(dr, "check_policy", lambda p: None)
    monkeypatch.setattr(dr, "intended_changes", lambda p, plan=None: [])
    monkeypatch.setattr(dr, "load_policy", lambda p, plan: None)
    monkeypatch.setattr(dr, "compare", lambda b, c, i, fabrics=None: (b.policy, c.policy))
    from ..conftest import TOPOLOGIES

    r = dr.run(TOPOLOGIES / "bag-mini.yaml", "/tmp/x", "/tmp/y", keep=True,
               labels={"/tmp/x": "main:p (commit a)", "/tmp/y": "HEAD:p (commit b)"})
    assert r.report == ("main:p (commit a)", "HEAD:p (commit b)")
    assert [s.policy for s in r.sides] == ["main:p (commit a)", "HEAD:p (commit b)"]


def test_plan_render_takes_ref_path(repo, tmp_path, monkeypatch, capsys):
    from lab import cli
    from lab.frr import check as frr_check

    from ..conftest import TOPOLOGIES

    monkeypatch.setattr(frr_check, "installed", lambda: False)     # FRR's parser: not this test's subject
    monkeypatch.chdir(repo)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as e:
        cli.main(["plan", str(TOPOLOGIES / "bag-mini.yaml"), "--policy", "main:policies/cand", "--render", str(out)])
    text = capsys.readouterr().err
    assert e.value.code in (0, None), text
    assert "(policy main:policies/cand (commit " in text
    assert "! added in two" in (out / "r1-bag1" / "frr.conf").read_text()
    with pytest.raises(SystemExit) as e:
        cli.main(["plan", str(TOPOLOGIES / "bag-mini.yaml"), "--policy", "--upload-pack=x:p", "--render", str(out)])
    assert e.value.code == 2 and "not a git ref" in capsys.readouterr().err


def test_diff_refuses_a_broken_policy_before_any_lab(repo, monkeypatch):
    from lab.workflows.diff import run as dr

    from ..conftest import TOPOLOGIES

    monkeypatch.setattr(dr, "_run_sides", lambda *a: pytest.fail("a lab was started"))
    with pytest.raises(LabError, match=r"main:policies/cand/role/bag.j2: not a policy fragment"):
        with gs.opened("main:policies/cand/role", cwd=repo) as src:
            dr.run(TOPOLOGIES / "bag-mini.yaml", None, src.path)
