"""``baglab diff``: a candidate policy against the baseline, judged by what two labs' routers did."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from lab.safe_io import check_output_dir
from lab.cli.app import app
from lab.cli.common import TopoArg
from lab.cli.views import err, out


@app.command()
def diff(topology: str = TopoArg,
         baseline: Optional[str] = typer.Option(None, help="baseline policy directory or REF:PATH in this git "
                                                "repository (default: the built-in policy)"),
         candidate: Optional[str] = typer.Option(None, help="candidate policy directory or REF:PATH (e.g. "
                                                 "main:policies/cand); its intents.yaml's intended_changes "
                                                 "are listed apart"),
         sweep: bool = typer.Option(False, "--sweep", help="also compare every single failure's outcome"),
         keep: bool = typer.Option(False, "--keep", help="leave both labs running"),
         name_prefix: str = typer.Option("diff", "--name-prefix", help="labs <prefix>-b and <prefix>-c"),
         json_out: Optional[str] = typer.Option(None, "--json", help="write the report (with both snapshots) here"),
         html_out: Optional[str] = typer.Option(None, "--html", help="write an HTML page here"),
         sequential: bool = typer.Option(False, "--sequential", help="one lab after the other (less CPU and memory)"),
         flows: bool = typer.Option(True, "--flows/--no-flows", help="probe flow splits (slow on 100+ routers: "
                                    "every pair is probed alone)")):
    """Bring up two labs (baseline and candidate policy), wait until each is quiet, record FIBs by
    neighbour, BGP paths (best and every other), what each router advertises, and flow splits (and
    with --sweep every N-1 outcome), and report what differs: exit 0 nothing unintended, 1 unintended
    differences (or a declared value never observed), 3 could not decide (2: bad input)."""
    from lab.workflows.diff import report as rp
    from lab.workflows.diff.run import lab_names, run
    from lab.workflows.policy_source import for_labs
    from lab.state import LabPaths

    def done(s):
        err.print(escape(f"{s.name} ({s.lab}): " + ", ".join(f"{k} {v:.1f} s" for k, v in s.steps.items())))

    for out_file in filter(None, (json_out, html_out)):
        check_output_dir(Path(out_file).parent)     # refused before two labs are built
    kept = [LabPaths(n) for n in lab_names(name_prefix)] if keep else []
    with for_labs(kept, baseline, candidate) as (b, c):
        r = run(topology, b.path, c.path, prefix=name_prefix, sweep=sweep, keep=keep, parallel=not sequential,
                flows=flows, on_side=done, labels={b.path: b.label, c.path: c.label})
    show(r.report)
    if json_out:
        err.print(f"json: {escape(str(rp.write_json(r, json_out)))}")
    if html_out:
        err.print(f"html: {escape(str(rp.write_html(r, html_out)))}")
    err.print(f"{r.seconds:.1f} s")
    raise typer.Exit(r.report.exit_code)


def show(rep) -> None:
    for u in rep.undecided:
        err.print(f"[bold red]could not decide:[/] {escape(u)}")
    for title, diffs, style in (("unintended differences", rep.unintended, "red"),
                                ("intended differences", rep.intended, "green")):
        if not diffs:
            out.print(f"no {title}")
            continue
        t = Table(title=f"{len(diffs)} {title}", title_style=style)
        for col in ("aspect", "router", "prefix", "source / failure", "baseline", "candidate", "detail"):
            t.add_column(col)
        for d in diffs[:200]:
            note = " ".join(filter(None, (d.detail, d.intended_by and f"[{d.intended_by}]",
                                          d.mismatch and f"[{d.mismatch}]")))
            t.add_row(*(escape(x) for x in (d.aspect, d.router, d.prefix, d.source, d.before, d.after, note)))
        out.print(t)
        if len(diffs) > 200:
            out.print(f"... {len(diffs) - 200} more (see --json)")
    for u in rep.unfulfilled:
        out.print(f"[bold red]not observed:[/] {escape(u)}")
