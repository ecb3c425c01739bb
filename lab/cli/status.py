"""``baglab status``: a running lab's nodes, sessions and routes, judged against the oracle."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.markup import escape

from lab.host import neigh_tables
from lab.config.policy import DEFAULT_DIR
from lab.session import open_lab
from lab.cli import views
from lab.cli.app import app
from lab.cli.common import NameOpt
from lab.cli.views import err


@app.command()
def status(name: str = NameOpt, as_json: bool = typer.Option(False, "--json", help="everything as JSON"),
           all_nodes: bool = typer.Option(False, "--all", help="routes of every node, not only BAG routers")):
    """Nodes, sessions, prefixes, and per-prefix next hops and weights read from the kernel."""
    if as_json:
        from lab.workflows.status import gather

        with open_lab(name) as s:
            sys.stdout.write(json.dumps(gather(s), indent=1) + "\n")
        return
    if not show_status(name, bag_only=not all_nodes):
        raise typer.Exit(1)


def show_status(name: str, bag_only: bool) -> bool:
    """Print the status tables (``up`` shows them too); True when the lab is as designed."""
    from lab.workflows.status import mixed_versions_line, with_expected

    with open_lab(name) as s:
        st, expected = with_expected(s)
        state = s.state
    policy, mixed = state.policy, state.node_policies or {}
    candidate = bool(policy) and Path(policy) != DEFAULT_DIR or bool(mixed)
    views.status_tables(st, expected, bag_only, judge=not candidate)
    if line := mixed_versions_line(s.plan):
        err.print(escape(line))
    if full := neigh_tables.full_message():       # a host limit explains what the tables cannot
        err.print(escape(full))
    if mixed:
        err.print(escape(f"this lab is half rolled out: {len(mixed)} router(s) run another policy than {policy} "
                         f"({', '.join(sorted(mixed)[:6])}{' ...' if len(mixed) > 6 else ''}); 'baglab rollout "
                         f"--resume --name {name}' or 'baglab rollback --name {name}'; status does not judge it"))
        return True
    if candidate:
        # the oracle models the built-in policy only: a candidate's differences are not faults
        err.print(escape(f"this lab runs policy {policy}: 'expected' is baglab's built-in policy, not this one; "
                         "judge it with 'baglab check INTENTS' or 'baglab diff'"))
        return True
    return st["converged"]
