"""``baglab upgrade plane P | region R | NODE --frr V``: one upgrade step of a running lab."""
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
def upgrade(what: str = typer.Argument(..., help="'plane', 'region' or a router name (or pattern)"),
            value: Optional[str] = typer.Argument(None, help="the plane (1, or REGION/1) or the region"),
            frr: str = typer.Option(..., "--frr", help="the FRR version the routers move to (8.4, 10.3, 10.7)"),
            drain: bool = typer.Option(False, "--drain", help="drain the routers while their FRR is replaced"),
            intents: Optional[Path] = typer.Option(None, help="intent file judged afterwards"),
            checks: Optional[List[SelectableKind]] = RolloutChecksOpt, name: str = NameOpt,
            reports: Path = typer.Option(ROLLOUT_REPORTS, help="directory for upgrade.json/.xml/.html")):
    """One upgrade step: 'baglab upgrade plane 1 --frr 10.3 --drain'.  The routers' FRR daemons are
    stopped and the version's started with their links kept; probe packets count the loss, and the
    steady state is compared with the oracle of the versions then running.  Back: the same with the
    old version."""
    from lab.workflows.rollout.step import upgrade as run

    check_output_dir(reports)
    kinds = [k.value for k in checks] if checks else list(ROLLOUT_KINDS)
    with open_lab(name) as lab:
        rep = run(lab, what, value, frr, drain=drain, intents=intents, kinds=kinds, say=views.say)
    views.rollout_report(rep, reports)
    raise typer.Exit(rep.exit_code)
