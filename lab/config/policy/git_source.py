"""A policy directory named in git as ``REF:PATH`` (``main:policies/cand``), so a merge request is
judged as "main against this branch" without copying directories by hand.

The tree is copied out of git's object store (``ls-tree`` and ``cat-file``: raw blobs, no
attributes, filters or hooks applied) into a private temporary directory (0700), which the
ordinary loader then reads: its sandbox, refusals and limits apply unchanged.  The directory is
removed when the command ends; what the user sees (errors, reports) names ``REF:PATH`` and the
commit, never the temporary path.

The input is untrusted: a REF git could read as an option is refused before git sees it and is
then passed after ``--end-of-options``; PATH stays inside the repository (no absolute path, no
``..``); a symlink or submodule anywhere in the tree is refused as the loader refuses a symlinked
fragment; a fragment is held to the loader's size limit and intents.yaml to the topology reader's.

Which is which: an existing local path is always a directory path (even with a ':' in its name);
anything else with a ':' is ``REF:PATH`` split at the first ':' (git forbids ':' in ref names).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from lab.errors import LabError
from lab.config.policy.directory import INTENTS
from lab.config.policy.sandbox import MAX_SIZE
from lab.design.topology import MAX_BYTES

#: entries of a tree copied out at most: a policy has tens of fragments, not a repository's worth
MAX_ENTRIES = 4096
_SYMLINK, _SUBMODULE, _TREE = "120000", "160000", "040000"
# git's own hardening for a command run in someone's checkout: no fsmonitor or hooks, no prompt
_GIT = ["git", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "--no-pager"]
_ENV = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}


@dataclass(frozen=True)
class GitPolicy:
    """Where a policy came from: ``ref:path`` as the user wrote it and the commit it resolved to."""
    ref: str
    path: str
    commit: str

    @property
    def spec(self) -> str:
        return f"{self.ref}:{self.path}"

    @property
    def label(self) -> str:
        """How reports name it: REF:PATH and the commit (a branch moves; the commit does not)."""
        return f"{self.spec} (commit {self.commit})"


@dataclass(frozen=True)
class PolicySource:
    """What a command hands the loader (``path``) and what it prints (``label``)."""
    path: str | None
    label: str | None
    git: GitPolicy | None = None


def split(spec: str | None, cwd: str | Path | None = None) -> tuple[str, str] | None:
    """``(ref, path)`` when ``spec`` names a policy in git, None for a plain directory path."""
    if spec is None or ":" not in spec:
        return None
    here = Path(cwd or os.getcwd())
    if os.path.lexists(here / spec):     # an existing local path wins, ':' or not
        return None
    ref, _, path = spec.partition(":")
    return ref, path


def _git(args: list[str], cwd: Path, what: str, stdin: bytes | None = None) -> bytes:
    try:
        r = subprocess.run(_GIT + args, cwd=cwd, input=stdin, capture_output=True, timeout=60,
                           env={**os.environ, **_ENV})
    except FileNotFoundError:
        raise LabError(f"{what}: git is not installed") from None
    except subprocess.TimeoutExpired:
        raise LabError(f"{what}: git took over 60 s") from None
    if r.returncode != 0:
        # git's own line ("fatal: detected dubious ownership ..."), not the hint lines after it
        msg = [m for m in r.stderr.decode(errors="replace").splitlines() if m.strip()]
        msg = next((m for m in msg if m.startswith(("fatal:", "error:"))), msg[-1] if msg else "")
        raise LabError(f"{what} (git: {msg[:300]})" if msg else what)
    return r.stdout


def _check_ref(ref: str, spec: str) -> None:
    """Refused before git sees it: what git could take as an option, or no ref at all."""
    if not ref:
        raise LabError(f"policy {spec!r}: no REF before ':' (REF:PATH, e.g. main:policies/cand)")
    if ref.startswith("-") or not re.fullmatch(r"[^\x00-\x20\x7f:]{1,200}", ref):
        raise LabError(f"policy {spec!r}: {ref!r} is not a git ref (a REF may not start with '-' or hold spaces, "
                       f"control characters or ':')")


def _check_path(path: str, spec: str) -> str:
    """PATH from the repository's top, inside it: no absolute path, no '..', no empty one."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if path.startswith("/") or ".." in parts or not parts or "\x00" in path:
        raise LabError(f"policy {spec!r}: PATH must be a directory inside the repository, from its top "
                       f"(no leading '/', no '..'), e.g. main:policies/cand")
    return "/".join(parts)


def resolve(spec: str, cwd: str | Path | None = None) -> GitPolicy:
    """The commit REF names, in the repository of ``cwd``; one error naming the ref otherwise."""
    ref, path = split(spec, cwd) or (None, None)
    if ref is None:
        raise LabError(f"policy {spec!r} is not REF:PATH")
    _check_ref(ref, spec)
    path = _check_path(path, spec)
    here = Path(cwd or os.getcwd())
    top = _git(["rev-parse", "--show-toplevel"], here,
               f"policy {spec!r}: no directory {spec!r} here, and {here} is not in a git repository").decode().strip()
    commit = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], Path(top),
                  f"policy {spec!r}: no commit named {ref!r} in the repository at {top} "
                  f"(and no directory {spec!r} here)")
    commit = commit.decode().strip()
    if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", commit):
        raise LabError(f"policy {spec!r}: no commit named {ref!r} in the repository at {top}")
    return GitPolicy(ref, path, commit)


def _entries(g: GitPolicy, top: Path) -> list[tuple[str, str, str, int | None, str]]:
    """(mode, type, object, size, name) of every entry under PATH at the commit."""
    what = f"policy {g.spec}"
    kind = _git(["cat-file", "-t", f"{g.commit}:{g.path}"], top,
                f"{what}: no {g.path!r} in {g.ref} ({g.commit[:12]})").decode().strip()
    if kind != "tree":
        raise LabError(f"{what}: {g.path!r} is a {'file' if kind == 'blob' else kind} in {g.ref}, not a directory")
    raw = _git(["ls-tree", "-r", "-t", "-l", "-z", "--full-tree", f"{g.commit}:{g.path}"], top, what)
    out = []
    for rec in filter(None, raw.split(b"\0")):
        head, _, name = rec.partition(b"\t")
        mode, typ, obj, size = head.decode().split()
        out.append((mode, typ, obj, None if size == "-" else int(size), name.decode(errors="surrogateescape")))
        if len(out) > MAX_ENTRIES:
            raise LabError(f"{what}: more than {MAX_ENTRIES} entries; a policy directory holds fragments only")
    return out


def _refuse(g: GitPolicy, mode: str, obj: str, name: str, top: Path) -> None:
    where = f"{g.spec}/{name}"
    if mode == _SYMLINK:
        target = _git(["cat-file", "blob", obj], top, where)[:200].decode(errors="replace")
        raise LabError(f"{where}: a symlink (to {target}); a policy directory's fragments and their "
                       f"directories must be regular files and directories inside it")
    if mode == _SUBMODULE:
        raise LabError(f"{where}: a submodule; a policy directory's fragments and their directories must be "
                       f"regular files and directories inside it")
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise LabError(f"{where}: not a name a directory can hold")


def _wanted(name: str, size: int, g: GitPolicy) -> bool:
    """Only what the loader and the checks read is copied, each within the limit its reader has."""
    limit = MAX_SIZE if name.endswith(".j2") else MAX_BYTES if name == INTENTS else None   # INTENTS: top only
    if limit is None:
        return False
    if size > limit:
        raise LabError(f"{g.spec}/{name}: {size:,} bytes; a {'policy fragment' if limit == MAX_SIZE else INTENTS} "
                       f"may have at most {limit:,}")
    return True


def _blobs(objs: list[str], top: Path, what: str) -> list[bytes]:
    """Blob contents in one ``cat-file --batch``; each record is '<obj> blob <size>\\n<bytes>\\n'."""
    raw = _git(["cat-file", "--batch"], top, what, stdin="".join(o + "\n" for o in objs).encode())
    out, at = [], 0
    for _ in objs:
        nl = raw.index(b"\n", at)
        size = int(raw[at:nl].split()[2])
        out.append(raw[nl + 1:nl + 1 + size])
        at = nl + 1 + size + 1
    return out


def materialise(g: GitPolicy, into: Path, cwd: str | Path | None = None) -> None:
    """Write the tree's fragments and intents.yaml under ``into`` (an empty private directory)."""
    top = Path(_git(["rev-parse", "--show-toplevel"], Path(cwd or os.getcwd()), g.spec).decode().strip())
    entries = _entries(g, top)
    for mode, _typ, obj, _size, name in entries:
        _refuse(g, mode, obj, name, top)
    files = [(obj, name) for mode, typ, obj, size, name in entries if typ == "blob" and _wanted(name, size, g)]
    for mode, typ, _obj, _size, name in entries:
        if typ == "tree":
            (into / name).mkdir(mode=0o700, parents=True, exist_ok=True)
    for (obj, name), data in zip(files, _blobs([o for o, _ in files], top, g.spec)):
        (into / name).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(into / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)


@contextmanager
def opened(spec: str | None, cwd: str | Path | None = None) -> Iterator[PolicySource]:
    """A policy argument as the loader takes it: a plain directory (or None) as it is; ``REF:PATH``
    copied out of git for the duration of the block, errors inside it naming ``REF:PATH``."""
    if split(spec, cwd) is None:
        yield PolicySource(spec, spec)
        return
    g = resolve(spec, cwd)
    tmp = Path(tempfile.mkdtemp(prefix="baglab-policy-")).resolve()     # 0700, a fresh name
    try:
        materialise(g, tmp, cwd)
        try:
            yield PolicySource(str(tmp), g.label, g)
        except LabError as e:
            raise LabError(named(str(e), tmp, g)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def named(text: str, tmp: Path, g: GitPolicy) -> str:
    """An error or report text with the temporary directory replaced by REF:PATH (and the commit)."""
    if str(tmp) not in text:
        return text
    return text.replace(str(tmp), g.spec) + f" [{g.spec} is commit {g.commit}]"
