"""``baglab rollout`` and ``baglab rollback``: a candidate policy pushed live, phase by phase."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from lab.verdict.checks.verdict import ROLLOUT_KINDS, SelectableKind, Status
from lab.safe_io import check_output_dir
from lab.session import open_lab
from lab.cli.app import app
from lab.cli.common import NameOpt, lab_paths
from lab.cli.views import err, out


KindsOpt = typer.Option(None, "--checks", help="intent check kinds run after every phase (repeatable; default: "
                        "reachability, shares, attributes)")
REPORTS = Path("reports/rollout")


def _report(rep, reports: Path) -> None:
    from lab.workflows.rollout import report

    out.print(report.table(rep))
    for line in report.problems(rep):
        err.print(escape(line))
    stem = reports / rep.action
    written = [report.write_json(rep, stem.with_suffix(".json")), report.write_junit(rep, stem.with_suffix(".xml")),
               report.write_html(rep, stem.with_suffix(".html"))]
    err.print("reports: " + ", ".join(escape(str(p)) for p in written))


def _say(msg: str) -> None:
    err.print(escape(msg))


@app.command()
def rollout(topology: Optional[str] = typer.Argument(None, help="topology YAML (brings the lab up on the baseline "
                                                      "if it is not running); not needed with --resume"),
            baseline: Optional[str] = typer.Option(None, help="baseline policy directory (default: built-in)"),
            candidate: Optional[str] = typer.Option(None, help="candidate policy directory"),
            phases: Optional[Path] = typer.Option(None, help="phases file, e.g. topologies/rollouts/bag-mini-4phase.yaml"),
            intents: Optional[Path] = typer.Option(None, help="intent file judged after every phase (default: the "
                                                   "candidate's intents.yaml)"),
            drain: bool = typer.Option(False, "--drain", help="drain every phase's routers while they change"),
            frr: Optional[str] = typer.Option(None, "--frr", help="an upgrade: every phase's routers move to this FRR "
                                              "version (e.g. 10.3); --candidate is then optional"),
            keep_going: bool = typer.Option(False, "--continue", help="run every phase even after one failed"),
            resume: bool = typer.Option(False, "--resume", help="continue the lab's interrupted rollout"),
            checks: Optional[List[SelectableKind]] = KindsOpt, name: str = NameOpt,
            reports: Path = typer.Option(REPORTS, help="directory for rollout.json/.xml/.html")):
    """Apply a candidate policy live (frr-reload.py) and/or another FRR version (--frr: new daemons,
    links kept), phase by phase, with probe packets flowing and the intent checks run on every mixed
    state.  Stops at the first failing phase (exit 1; 2: could not decide); the lab is left as it
    is: 'baglab rollback' returns it to the baseline."""
    from lab.errors import LabError
    from lab.workflows.rollout.run import bring_up, rollout as run

    paths = lab_paths(name)
    check_output_dir(reports)
    if not resume:
        if topology is None or (candidate is None and frr is None) or phases is None:
            raise LabError("rollout needs TOPOLOGY, --phases and --candidate or --frr (or --resume)")
        bring_up(paths, topology, baseline, say=_say)
    kinds = [k.value for k in checks] if checks else list(ROLLOUT_KINDS)
    with open_lab(paths) as lab:
        rep = run(lab, candidate, phases, intents, drain=drain, keep_going=keep_going, resume=resume, kinds=kinds,
                  say=_say, frr=frr)
    _report(rep, reports)
    if rep.status != Status.PASS:
        _say(f"the lab is left as the rollout left it: 'baglab rollback --name {paths.name}' returns it to the baseline")
    raise typer.Exit(rep.exit_code)


@app.command()
def rollback(name: str = NameOpt, checks: Optional[List[SelectableKind]] = KindsOpt,
             reports: Path = typer.Option(REPORTS, help="directory for rollback.json/.xml/.html")):
    """Return every router a rollout changed to the lab's own (baseline) policy, phase by phase in
    reverse, the same way it went out, and check the steady state."""
    from lab.workflows.rollout.run import rollback as run

    check_output_dir(reports)
    kinds = [k.value for k in checks] if checks else list(ROLLOUT_KINDS)
    with open_lab(name) as lab:
        rep = run(lab, kinds=kinds, say=_say)
    _report(rep, reports)
    raise typer.Exit(rep.exit_code)


@app.command()
def upgrade(what: str = typer.Argument(..., help="'plane', 'region' or a router name (or pattern)"),
            value: Optional[str] = typer.Argument(None, help="the plane (1, or REGION/1) or the region"),
            frr: str = typer.Option(..., "--frr", help="the FRR version the routers move to (8.4, 10.3, 10.7)"),
            drain: bool = typer.Option(False, "--drain", help="drain the routers while their FRR is replaced"),
            intents: Optional[Path] = typer.Option(None, help="intent file judged afterwards"),
            checks: Optional[List[SelectableKind]] = KindsOpt, name: str = NameOpt,
            reports: Path = typer.Option(REPORTS, help="directory for upgrade.json/.xml/.html")):
    """One upgrade step: 'baglab upgrade plane 1 --frr 10.3 --drain'.  The routers' FRR daemons are
    stopped and the version's started with their links kept; probe packets count the loss, and the
    steady state is compared with the oracle of the versions then running.  Back: the same with the
    old version."""
    from lab.workflows.rollout.step import upgrade as run

    check_output_dir(reports)
    kinds = [k.value for k in checks] if checks else list(ROLLOUT_KINDS)
    with open_lab(name) as lab:
        rep = run(lab, what, value, frr, drain=drain, intents=intents, kinds=kinds, say=_say)
    _report(rep, reports)
    raise typer.Exit(rep.exit_code)
