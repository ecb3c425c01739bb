"""A ``REF:PATH`` policy for a lab that outlives the command (``up``, ``rollout``, ``diff --keep``).

The copy taken out of git (lab.config.policy.git_source) is removed when the command ends, but a
running lab re-renders from its recorded policy directory later (drains, faults, rollback,
``rollout --resume``).  So when the lab's records name the temporary copy, the copy is kept in the
lab's own directory (removed by ``down``, 0700 like the copy) and the records point there."""
from __future__ import annotations

import hashlib
import os
import shutil
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from lab.config.policy.git_source import PolicySource, opened
from lab.state import LabPaths, LabState
from lab.workflows.rollout import journal

#: under the lab's directory: one copy per REF:PATH and commit
KEPT = "git-policies"


def kept_dir(paths: LabPaths, src: PolicySource) -> Path:
    g = src.git
    return paths.root / KEPT / f"{g.commit[:12]}-{hashlib.sha256(g.spec.encode()).hexdigest()[:8]}"


def keep_for_lab(paths: LabPaths, src: PolicySource) -> Path | None:
    """Move the lab's records off ``src``'s temporary copy onto a kept one (None: nothing named it)."""
    if src.git is None or src.path is None:
        return None
    tmp = src.path
    st = LabState.read(paths)
    rec = journal.read(paths) if journal.path(paths).is_file() else None
    # a rollout's journal also names a file inside the copy: the candidate's intents.yaml
    recorded = [st.policy, *(st.node_policies or {}).values(),
                *((rec.baseline, rec.candidate, rec.intents) if rec is not None else ())]
    if not any(_inside(p, tmp) for p in recorded) or not Path(tmp).is_dir():
        return None
    dest = kept_dir(paths, src)
    if not dest.is_dir():
        dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.copytree(tmp, dest, symlinks=True)   # the copy holds regular files and directories only
        os.chmod(dest, 0o700)

    def swap(p: str | None) -> str | None:
        return str(dest) + p[len(tmp):] if _inside(p, tmp) else p
    LabState.update(paths, policy=swap(st.policy),
                    **({"node_policies": {n: swap(p) for n, p in st.node_policies.items()}}
                       if st.node_policies else {}))
    if rec is not None:
        journal.write(paths, replace(rec, baseline=swap(rec.baseline), candidate=swap(rec.candidate),
                                     intents=swap(rec.intents)))
    return dest


def _inside(p: str | None, tmp: str) -> bool:
    """``p`` is the copy ``tmp`` or a path in it."""
    return p is not None and (p == tmp or p.startswith(tmp + "/"))


def relabel(text: str | None, *sources: PolicySource) -> str | None:
    """A policy directory as a report shows it: REF:PATH (commit) for a copy taken out of git."""
    for s in sources:
        if s.git is not None and text == s.path:
            return s.label
        if s.git is not None and text and text.startswith(s.path + "/"):     # its intents.yaml
            return f"{s.git.spec}/{text[len(s.path) + 1:]} (commit {s.git.commit})"
    return text


@contextmanager
def for_labs(labs: list[LabPaths], *specs: str | None) -> Iterator[list[PolicySource]]:
    """Each policy argument opened (a ``REF:PATH`` copied out of git) for the block; afterwards, even
    after an error, the ``labs`` left running keep the copies their records name."""
    with ExitStack() as stack:
        sources = [stack.enter_context(opened(s)) for s in specs]
        try:
            yield sources
        finally:
            for paths in labs:
                for s in sources:
                    keep_for_lab(paths, s)
