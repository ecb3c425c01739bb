"""``baglab rollback``: every router a rollout changed returned to the lab's baseline policy."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from lab.verdict.checks.verdict import ROLLOUT_KINDS, SelectableKind
from lab.safe_io import check_output_dir
from lab.session import open_lab
from lab.cli import views
from lab.cli.app import app
from lab.cli.common import ROLLOUT_REPORTS, NameOpt, RolloutChecksOpt


@app.command()
def rollback(name: str = NameOpt, checks: Optional[List[SelectableKind]] = RolloutChecksOpt,
             reports: Path = typer.Option(ROLLOUT_REPORTS, help="directory for rollback.json/.xml/.html")):
    """Return every router a rollout changed to the lab's own (baseline) policy, phase by phase in
    reverse, the same way it went out, and check the steady state."""
    from lab.workflows.rollout.run import rollback as run

    check_output_dir(reports)
    kinds = [k.value for k in checks] if checks else list(ROLLOUT_KINDS)
    with open_lab(name) as lab:
        rep = run(lab, kinds=kinds, say=views.say)
    views.rollout_report(rep, reports)
    raise typer.Exit(rep.exit_code)
