"""``baglab check INTENTS``: a running lab judged against an intent file (exit 0 / 1 / 2 / 3)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from lab.session import open_lab
from lab.verdict.checks.verdict import SelectableKind
from lab.safe_io import check_output_dir
from lab.cli.app import app
from lab.cli.common import NameOpt
from lab.cli.views import err, out


@app.command("check")
def check(intents: Path = typer.Argument(..., help="intent file, e.g. topologies/intents/bag-mini.yaml"),
          name: str = NameOpt,
          only: Optional[List[SelectableKind]] = typer.Option(None, "--only", help="run only these kinds (repeatable)"),
          json_out: Path = typer.Option(Path("reports/check.json"), "--json", help="JSON report"),
          junit_out: Path = typer.Option(Path("reports/check.xml"), "--junit", help="JUnit XML (one testcase per check)"),
          html_out: Path = typer.Option(Path("reports/check.html"), "--html", help="HTML page"),
          settle: float = typer.Option(2.0, help="seconds without any FIB or BGP session change that count as quiet"),
          quiet_deadline: float = typer.Option(30.0, help="seconds the lab may take to go quiet (per wait)")):
    """Run the checks of an intent file on a running lab.

    Exit code 0: every check passed; 1: a check failed; 3: none failed but one could not decide
    (the lab never went quiet); 2: the input was wrong."""
    from lab.verdict.checks import report
    from lab.workflows.check import load, run_checks

    for d in {json_out.parent, junit_out.parent, html_out.parent}:
        check_output_dir(d)                     # refused now, not after the checks ran
    with open_lab(name) as s:
        loaded = load(s.plan, intents)          # names resolved before anything is touched
        rep = run_checks(s, loaded, [k.value for k in only] if only else None, settle_s=settle,
                         quiet_deadline_s=quiet_deadline, progress=True, source=str(intents))
    out.print(report.table(rep))
    written = [report.write_json(rep, json_out), report.write_junit(rep, junit_out), report.write_html(rep, html_out)]
    err.print("reports: " + ", ".join(str(p) for p in written))
    raise typer.Exit(rep.exit_code)
