"""``baglab rollout``: a candidate policy (or FRR version) pushed live, phase by phase."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from lab.verdict.checks.verdict import ROLLOUT_KINDS, SelectableKind, Status
from lab.safe_io import check_output_dir
from lab.cli import views
from lab.cli.app import app
from lab.cli.common import ROLLOUT_REPORTS, NameOpt, RolloutChecksOpt, lab_paths


@app.command()
def rollout(topology: Optional[str] = typer.Argument(None, help="topology YAML (brings the lab up on the baseline "
                                                      "if it is not running); not needed with --resume"),
            baseline: Optional[str] = typer.Option(None, help="baseline policy directory or REF:PATH in this git "
                                                   "repository (default: built-in)"),
            candidate: Optional[str] = typer.Option(None, help="candidate policy directory or REF:PATH (e.g. "
                                                    "main:policies/cand)"),
            phases: Optional[Path] = typer.Option(None, help="phases file, e.g. topologies/rollouts/bag-mini-4phase.yaml"),
            intents: Optional[Path] = typer.Option(None, help="intent file judged after every phase (default: the "
                                                   "candidate's intents.yaml)"),
            drain: bool = typer.Option(False, "--drain", help="drain every phase's routers while they change"),
            frr: Optional[str] = typer.Option(None, "--frr", help="an upgrade: every phase's routers move to this FRR "
                                              "version (e.g. 10.3); --candidate is then optional"),
            keep_going: bool = typer.Option(False, "--continue", help="run every phase even after one failed"),
            resume: bool = typer.Option(False, "--resume", help="continue the lab's interrupted rollout"),
            checks: Optional[List[SelectableKind]] = RolloutChecksOpt, name: str = NameOpt,
            reports: Path = typer.Option(ROLLOUT_REPORTS, help="directory for rollout.json/.xml/.html")):
    """Apply a candidate policy live (frr-reload.py) and/or another FRR version (--frr: new daemons,
    links kept), phase by phase, with probe packets flowing and the intent checks run on every mixed
    state.  Stops at the first failing phase (exit 1; 2: could not decide); the lab is left as it
    is: 'baglab rollback' returns it to the baseline."""
    from lab.workflows.policy_source import for_labs, relabel
    from lab.workflows.rollout.run import bring_up_and_roll_out

    paths = lab_paths(name)
    check_output_dir(reports)
    kinds = [k.value for k in checks] if checks else list(ROLLOUT_KINDS)
    with for_labs([paths], baseline, candidate) as (b, c):
        rep = bring_up_and_roll_out(paths, topology, b.path, c.path, phases, intents, resume=resume, say=views.say,
                                    drain=drain, keep_going=keep_going, kinds=kinds, frr=frr)
        # reports name a policy from git as REF:PATH (commit), not the copy the command read
        rep.baseline, rep.candidate = relabel(rep.baseline, b, c), relabel(rep.candidate, b, c)
        rep.intents = relabel(rep.intents, b, c)
        for ph in rep.phases:
            ph.policy = relabel(ph.policy, b, c)
    views.rollout_report(rep, reports)
    if rep.status != Status.PASS:
        views.say(f"the lab is left as the rollout left it: 'baglab rollback --name {paths.name}' returns it to the baseline")
    raise typer.Exit(rep.exit_code)
