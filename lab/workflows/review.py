"""``baglab plan --policy DIR --render OUT``: the configs a policy would give, for review before ``up``.

Rendered exactly as ``up`` renders them (same policy checks), into files only root can read:
configs hold TCP-MD5 passwords.  OUT is often shared ground ('/tmp/review'): written through
:func:`lab.safe_io.write_outputs`, which replaces a planted link or file instead of writing into it."""
from __future__ import annotations

from pathlib import Path

from lab.config import frrcheck
from lab.config.render import render_frr

from lab.frr import check as frr_check
from lab.design.plan import Plan
from lab.safe_io import write_outputs
from lab.state import LabPaths

#: the log path the rendered configs name (a lab's own path is only known at ``up``)
REVIEW_LOG_DIR = str(LabPaths("review").root / "nodes")


def write_rendered(plan: Plan, policy: str | Path | None, out: str | Path | None) -> list[Path]:
    """Render every FRR router's config with the policy and, where FRR is installed, let FRR's parser
    judge them (errors raise before anything is written); with ``out``, write ``out/<node>/frr.conf`` (0600,
    directories 0700)."""
    rendered = render_frr(plan, REVIEW_LOG_DIR, policy)
    if frr_check.installed():     # each router's config by its own version's parser
        frrcheck.check_rendered(rendered, {n.name: n.frr for n in plan.nodes})
    if out is None:
        return []
    return write_outputs(out, {f"{node}/frr.conf": (r.text, 0o600) for node, r in rendered.items()}, dir_mode=0o700)
