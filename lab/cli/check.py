"""``baglab check INTENTS``: a running lab judged against an intent file (exit 0 / 1 / 2 / 3)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from lab.errors import LabError

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
          quiet_deadline: float = typer.Option(30.0, help="seconds the lab may take to go quiet (per wait)"),
          validate: bool = typer.Option(False, "--validate", help="only check the file against --topology (no lab): "
                                        "YAML, schema and every name; exit 0 valid, 2 not"),
          topology: Optional[Path] = typer.Option(None, "--topology", "-t", help="topology YAML the file is "
                                                  "validated against (with --validate)")):
    """Run the checks of an intent file on a running lab.

    Exit code 0: every check passed; 1: a check failed; 3: none failed but one could not decide
    (the lab never went quiet); 2: the input was wrong.  With --validate --topology TOPO: only
    what is checked before a lab is touched, without one (docs/intents.md has the schema)."""
    if validate or topology is not None:
        _validate(intents, topology, validate)
        return
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


def _validate(intents: Path, topology: Optional[Path], validate: bool) -> None:
    from lab.verdict.checks.validate import validate as check_file

    if topology is None or not validate:
        raise LabError("--validate and --topology go together: 'baglab check FILE --topology TOPO --validate'")
    v = check_file(intents, topology)
    out.print(escape(f"{v.source}: valid against {v.topology} ({v.routers} nodes, {v.fabrics} fabrics): "
                     "YAML, schema and every name checked"), soft_wrap=True)
    for line in v.checked or ["nothing to check (the file states no intent)"]:
        out.print(escape(f"  {line}"), soft_wrap=True)
