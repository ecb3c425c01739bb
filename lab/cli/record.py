"""``baglab record``: draft an intent file from a running, known-good lab (printed, or --out FILE)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from lab.cli.app import app
from lab.cli.common import NameOpt
from lab.cli.views import err
from lab.session import open_lab
from lab.verdict.checks.verdict import SelectableKind


@app.command("record")
def record(name: str = NameOpt,
           kinds: Optional[List[SelectableKind]] = typer.Option(
               None, "--kinds", help="record only these kinds (repeatable): routes, advertised, paths"),
           output: Optional[Path] = typer.Option(None, "--out", "-o", help="write the file here instead of "
                                                 "standard output"),
           settle: float = typer.Option(2.0, help="seconds without any FIB or BGP session change that count as quiet"),
           quiet_deadline: float = typer.Option(30.0, help="seconds the lab may take to go quiet")):
    """Draft route-level intents from what a running lab does: the routes each router holds, what it
    sends each neighbour, communities and link-bandwidth between regions, where best paths go.

    Record a lab running a known-good policy, review and trim the file, then check candidates
    against it: baglab record --name good > intents.yaml; baglab check intents.yaml --name cand."""
    from lab.errors import LabError
    from lab.safe_io import write_output
    from lab.verdict.checks.draft import DRAFTABLE
    from lab.workflows.record import NotQuiet, record as draft_file

    chosen = [k.value for k in kinds] if kinds else [k.value for k in DRAFTABLE]
    bad = [k for k in chosen if k not in {d.value for d in DRAFTABLE}]
    if bad:
        raise LabError(f"--kinds {', '.join(bad)}: record drafts only {', '.join(d.value for d in DRAFTABLE)}")
    with open_lab(name) as lab:
        try:
            text, figures = draft_file(lab, chosen, settle_s=settle, deadline_s=quiet_deadline,
                                       say=lambda m: err.print(f"[dim]{m}[/dim]"))
        except NotQuiet as e:
            err.print(f"[red]{e}[/red]")
            raise typer.Exit(3) from None
    if output is not None:
        write_output(output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    st = figures["statements"]
    err.print(f"recorded {', '.join(f'{n} {k}' for k, n in st.items())} statements ({figures['lines']} lines) "
              f"from {figures['routers']} routers in {figures['quiet_s'] + figures['read_s'] + figures['draft_s']:.1f} s"
              + (f"; written to {output}" if output else ""))
