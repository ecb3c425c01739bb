"""``baglab sweep TOPOLOGY``: every single failure checked (optionally against a candidate), with a
progress bar; the sweeping and comparing is lab.workflows.sweep's."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from lab.safe_io import check_output_dir
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
    from lab.workflows.sweep import sweep_and_compare

    kinds = {k.value for k in only or ()}
    check_output_dir(Path(report_dir))       # an unfit report directory refused before the labs are built
    lab = lab_paths(name).name
    res = sweep_and_compare(topology, lab, kinds, Path(report_dir), keep, candidate=candidate,
                            candidate_name=lab_paths(name + "c").name if candidate else None,
                            watch=_bar, on_report=views.sweep_summary)
    if candidate:
        changes = res.changes
        more = f"\n  ... {len(changes) - 40} more in {res.diff_file}" if len(changes) > 40 else ""
        err.print(f"candidate vs current: {len(changes)} changes" + escape("".join(f"\n  {c}" for c in changes[:40])
                                                                         + more))
    if res.current.violations:
        raise typer.Exit(1)


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
