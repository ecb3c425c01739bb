"""Analysis verbs: ``sweep`` (every single failure, checked) and ``domains`` (capacity lost per
failure domain, optionally confirmed on a running lab)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from lab.design.plan import build_plan
from lab.safe_io import check_output_dir, write_output
from lab.session import open_lab
from lab.design.topology import load
from lab.cli import views
from lab.cli.app import app
from lab.workflows.sweep import SweepKind
from lab.cli.common import NameOpt, TopoArg, lab_paths
from lab.cli.views import err


@app.command()
def sweep(topology: str = TopoArg, name: str = NameOpt,
          only: Optional[List[SweepKind]] = typer.Option(None, "--only", help="failure kinds (default: all)"),
          candidate: Optional[str] = typer.Option(None, help="a second topology (candidate policy): sweep it too "
                                                  "and report what changes"),
          report_dir: str = typer.Option("reports", help="where sweep.json / sweep.html go"),
          keep: bool = typer.Option(False, help="leave the lab(s) running afterwards")):
    """Every single failure the plan allows: inject, converge, check oracle weights, RIB/FIB and
    packet reachability, restore, check the steady state; JSON + HTML report."""
    from lab.workflows import sweep as sw

    kinds = {k.value for k in only or ()}
    check_output_dir(Path(report_dir))       # an unfit report directory refused before the labs are built
    rep = _sweep_one(topology, name, "sweep", kinds, Path(report_dir), keep)
    if candidate:
        cand = _sweep_one(candidate, name + "c", "sweep-candidate", kinds, Path(report_dir), keep)
        changes = sw.diff(rep, cand)
        write_output(Path(report_dir, "sweep-diff.txt"), "\n".join(changes) + "\n")
        more = f"\n  ... {len(changes) - 40} more in {Path(report_dir, 'sweep-diff.txt')}" if len(changes) > 40 else ""
        err.print(f"candidate vs current: {len(changes)} changes" + escape("".join(f"\n  {c}" for c in changes[:40])
                                                                         + more))
    if rep.violations:
        raise typer.Exit(1)


def _sweep_one(topology: str, lab: str, tag: str, kinds: set, report_dir: Path, keep: bool):
    """lab.workflows.sweep.sweep_topology with a progress bar; the report written and summarised."""
    from lab.workflows import sweep as sw

    rep = sw.sweep_topology(topology, lab_paths(lab).name, kinds, keep, watch=_bar)
    j, h = sw.write(rep, report_dir, tag)
    views.sweep_summary(rep, j, h)
    return rep


@contextmanager
def _bar(plan):
    from lab.workflows import sweep as sw

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err) as prog:
        task = prog.add_task(f"sweep {escape(plan.topology)}", total=len(sw.cases(plan)))

        def step(i, n, item):
            prog.update(task, completed=i, total=n,
                        description=escape(f"{item.kind} {item.target}: ") + ("ok" if item.ok else "VIOLATION"))
        yield step


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
