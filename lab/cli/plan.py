"""``baglab plan TOPOLOGY``: the topology expanded and its design checked (no root, no lab)."""
from __future__ import annotations

import sys
from typing import Optional

import typer
from rich.markup import escape

from lab.design.plan import build_plan
from lab.design.topology import load
from lab.cli import views
from lab.cli.app import app
from lab.cli.common import PolicyOpt, TopoArg
from lab.cli.views import err


def _as_run_here(p):
    """The plan as 'up' on this host's netns runtime would run it (routers without a version on
    the host's FRR where it is not 8.4); unchanged where no FRR is installed."""
    from lab.errors import LabError
    from lab.design.plan.steps.versions import with_native
    from lab.runtime import native_version
    try:
        return with_native(p, native_version("netns"))
    except LabError:
        return p


@app.command()
def plan(topology: str = TopoArg, as_json: bool = typer.Option(False, "--json", help="the whole plan as JSON"),
         strict: bool = typer.Option(False, "--strict", help="exit 1 when a design check fails"),
         policy: Optional[str] = PolicyOpt,
         render: Optional[str] = typer.Option(None, "--render", metavar="OUT",
                                              help="write every FRR router's config to OUT/<node>/frr.conf for review")):
    """Expand a topology into nodes, links, addresses and ASNs, and check the design (no root needed)."""
    from lab.verdict.bandwidth_limits import checks as bandwidth_checks
    from lab.verdict.headroom import checks

    loaded = load(topology)
    p = build_plan(loaded)
    if render is not None or policy is not None:
        from lab.config.policy.git_source import opened
        from lab.workflows.review import write_rendered

        with opened(policy) as src:
            files = write_rendered(_as_run_here(p), src.path, render)
        if render is not None:
            err.print(escape(f"wrote {len(files)} FRR configs under {render}"
                             + (f" (policy {src.label})" if src.git else "")), soft_wrap=True)
    if as_json:
        sys.stdout.write(p.to_json())
        return
    views.plan_summary(p, topology)
    results = checks(p, loaded.model.design) + bandwidth_checks(p)
    views.plan_tables(p, results)
    if strict and not all(c.ok for c in results):
        err.print("[red]design checks failed[/]")
        raise typer.Exit(1)
