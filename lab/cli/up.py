"""``baglab up TOPOLOGY``: build a lab, with progress bars, and show its status once converged."""
from __future__ import annotations

from typing import Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from lab.cli import views
from lab.cli.app import app
from lab.runtime import RuntimeName
from lab.cli.common import NameOpt, PolicyOpt, TopoArg, lab_paths
from lab.cli.views import err


def _progress() -> Progress:
    """Bars on stderr, only on a terminal: a log file gets the one summary line instead."""
    return Progress(TextColumn("[bold]{task.description:<12}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), console=err, transient=False, disable=not err.is_terminal)


@app.command()
def up(topology: str = TopoArg, name: str = NameOpt,
       deadline: Optional[float] = typer.Option(None, min=0, help="seconds to wait for convergence (default scales with size)"),
       quiet: bool = typer.Option(False, "--quiet", "-q", help="no status table at the end"),
       runtime: RuntimeName = typer.Option(RuntimeName.NETNS, "--runtime", help="namespaces (default), a container per "
                                       "node, or the containerlab binary"),
       policy: Optional[str] = PolicyOpt,
       frr: Optional[str] = typer.Option(None, "--frr", help="every router on this FRR version (e.g. 10.3), "
                                         "whatever the topology's 'frr:' says")):
    """Build the lab and return once every session is up and every FIB is as designed."""
    from lab.workflows.build import up as build_up
    from lab.workflows.policy_source import for_labs
    # imported here: at module level it would register 'status' before 'up' in --help
    from lab.cli.status import show_status

    paths = lab_paths(name)
    with for_labs([paths], policy) as (src,), _progress() as prog:
        tasks: dict[str, int] = {}

        def step(what: str, done: int, total: int):
            if what not in tasks:
                tasks[what] = prog.add_task(what, total=total)
            prog.update(tasks[what], completed=done, total=total)

        res = build_up(topology, paths.name, progress=step, deadline_s=deadline,
                       on_poll=lambda ok, total: step("converged", ok, total), runtime=runtime.value,
                       policy=src.path, frr=frr)
    verb = "already up" if res.reused else "up"
    conv = res.convergence
    err.print(views.up_line(paths.name, res.plan.topology, verb, len(res.plan.nodes), conv.seconds,
                            [(p.name, p.seconds) for p in res.phases]))
    if res.host_changes:
        err.print(f"host: raised the neighbour tables every namespace shares, for this lab and the others running "
                  f"({'; '.join(res.host_changes)}); the last 'baglab down' puts them back")
    if not quiet:
        show_status(paths.name, bag_only=True)
