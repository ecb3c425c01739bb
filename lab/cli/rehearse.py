"""``baglab rehearse KIND WHAT``: a whole maintenance (drain, down, up, undrain) with packets flowing."""
from __future__ import annotations

from typing import List, Optional

import typer
from rich.markup import escape

from lab.workflows.rehearsal import RehearsalKind
from lab.session import open_lab
from lab.cli.app import app
from lab.cli.common import NameOpt, check_rehearsal
from lab.cli.views import err, out


@app.command()
def rehearse(kind: RehearsalKind = typer.Argument(..., help="what to take down"),
             what: str = typer.Argument(..., help="plane number, node name or bundle"),
             region: Optional[str] = typer.Option(None, help="plane: only this region"),
             member: Optional[List[int]] = typer.Option(None, "--member", "-m", help="link: only these members"),
             pps: int = typer.Option(300, min=1, help="probe packets per second"),
             reports: str = typer.Option("reports", help="where the JSON report and PNG timelines go"),
             name: str = NameOpt):
    """Maintenance rehearsal with packets flowing: drain, take down, bring back, undrain; lost packets counted."""
    from lab.workflows.rehearsal import rehearse_recorded

    with open_lab(name) as s:
        check_rehearsal(s.plan, kind, what, region, member)
        rep = rehearse_recorded(s, reports, kind, plane=int(what) if kind is RehearsalKind.PLANE else None,
                                region=region, node=what if kind is RehearsalKind.NODE else None,
                                bundle=what if kind is RehearsalKind.LINK else None,
                                members=member or None, pps=pps, progress=lambda m: err.print(escape(m)))
    out.print(escape(rep.summary()))
    err.print(escape(f"report: {reports}/rehearsal/rehearsal.json, timelines in {reports}/rehearsal/timelines/"))
    if not rep.ok:
        raise typer.Exit(1)
