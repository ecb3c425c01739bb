"""``baglab domains TOPOLOGY``: capacity lost per failure domain (data hall, power feed), optionally
confirmed on a running lab."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from lab.design.plan import build_plan
from lab.safe_io import check_output_dir
from lab.session import open_lab
from lab.design.topology import load
from lab.cli import views
from lab.cli.app import app
from lab.cli.common import TopoArg, lab_paths
from lab.cli.views import err


@app.command()
def domains(topology: str = TopoArg, confirm: Optional[str] = typer.Option(None, "--confirm", metavar="LAB",
                                                                 help="fail each domain in this running lab and "
                                                                      "read the capacities from its BGP tables"),
            png: Optional[str] = typer.Option(None, "--png", help="also draw the table as a heatmap"),
            only: Optional[str] = typer.Option(None, help="only domains whose label contains this")):
    """Which prefixes lose which fraction of capacity when a data hall or power feed fails."""
    from lab.verdict import domains as dm

    p = build_plan(load(topology))
    if png:
        check_output_dir(Path(png).parent)
    impacts = [i for i in dm.report(p) if not only or only in i.label]
    views.domains_table(p.topology, impacts)
    if png:
        dm.heatmap(impacts, png, dm.fabric_names(p))
        err.print(f"heatmap: {escape(png)}")
    if not confirm:
        return
    bad = 0
    with open_lab(lab_paths(confirm)) as s:
        for c in dm.confirm(s, p, only, source=topology):
            views.domain_confirmed(c)
            bad += bool(c.problems)
    if bad:
        raise typer.Exit(1)
