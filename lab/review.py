"""``baglab plan --policy DIR --render OUT``: the configs a policy would give, for review before ``up``.

Rendered exactly as ``up`` renders them (same policy checks), into files only root can read:
configs hold TCP-MD5 passwords."""
from __future__ import annotations

import os
from pathlib import Path

import shutil

from bgp import frrcheck
from bgp.render import render_frr

from .plan import Plan
from .state import LabPaths

#: the log path the rendered configs name (a lab's own path is only known at ``up``)
REVIEW_LOG_DIR = str(LabPaths("review").root / "nodes")


def write_rendered(plan: Plan, policy: str | Path | None, out: str | Path | None) -> list[Path]:
    """Render every FRR router's config with the policy and, where FRR is installed, let FRR's parser
    judge them (errors raise before anything is written); with ``out``, write ``out/<node>/frr.conf`` (0600)."""
    rendered = render_frr(plan, REVIEW_LOG_DIR, policy)
    if shutil.which("vtysh"):     # each router's config by its own version's parser
        frrcheck.check_rendered(rendered, {n.name: n.frr for n in plan.nodes})
    if out is None:
        return []
    files = []
    for node, r in rendered.items():
        d = Path(out) / node
        d.mkdir(parents=True, exist_ok=True)
        f = d / "frr.conf"
        fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(r.text)
        files.append(f)
    return files
