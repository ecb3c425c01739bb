"""Lab lifecycle verbs: plan, up, down, status, exec, labs, export."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from lab.config.policy import DEFAULT_DIR
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from lab.design.plan import build_plan
from lab.session import open_lab
from lab.state import LabPaths, LabState
from lab.design.topology import load
from lab.cli import views
from lab.cli.app import app
from lab.config.export import ExportFormat
from lab.runtime import RuntimeName
from lab.cli.common import NameOpt, NodeArg, TopoArg, check_node, lab_paths
from lab.cli.views import err


PolicyOpt = typer.Option(None, "--policy", help="policy directory of FRR fragments (default: the built-in "
                         "lab/config/policies/default); see README, 'Your own routing policy'")


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
    from lab.verdict.headroom import checks

    loaded = load(topology)
    p = build_plan(loaded)
    if render is not None or policy is not None:
        from lab.workflows.review import write_rendered

        files = write_rendered(_as_run_here(p), policy, render)
        if render is not None:
            err.print(escape(f"wrote {len(files)} FRR configs under {render}"))
    if as_json:
        sys.stdout.write(p.to_json())
        return
    views.plan_summary(p, topology)
    results = checks(p, loaded.model.design)
    views.plan_tables(p, results)
    if strict and not all(c.ok for c in results):
        err.print("[red]design checks failed[/]")
        raise typer.Exit(1)


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

    paths = lab_paths(name)
    with _progress() as prog:
        tasks: dict[str, int] = {}

        def step(what: str, done: int, total: int):
            if what not in tasks:
                tasks[what] = prog.add_task(what, total=total)
            prog.update(tasks[what], completed=done, total=total)

        res = build_up(topology, paths.name, progress=step, deadline_s=deadline,
                       on_poll=lambda ok, total: step("converged", ok, total), runtime=runtime.value,
                       policy=policy, frr=frr)
    verb = "already up" if res.reused else "up"
    conv = res.convergence
    err.print(views.up_line(paths.name, res.plan.topology, verb, len(res.plan.nodes), conv.seconds,
                            [(p.name, p.seconds) for p in res.phases]))
    if not quiet:
        _show_status(paths.name, bag_only=True)


@app.command()
def down(name: str = NameOpt, all_labs: bool = typer.Option(False, "--all", help="every baglab lab on this host, "
                                                            "and what killed builds and probes left")):
    """Remove every namespace, link and process of the lab, even after a crash."""
    from lab.runtime import down_lab
    from lab.runtime.teardown import all_labs as _all

    names = _all() if all_labs else [lab_paths(name).name]
    failed = False
    for n in names:
        rep = down_lab(LabPaths(n))
        err.print(f"lab {escape(n)}: removed {rep.namespaces} namespaces, stopped {rep.processes} processes")
        if rep.survivors or rep.leftover_ns:
            failed = True
            err.print(f"[red]could not remove: pids {rep.survivors} namespaces {escape(str(rep.leftover_ns))}[/]")
    if all_labs:
        failed |= _sweep_leftovers()
    if failed:
        raise typer.Exit(1)


def _sweep_leftovers() -> bool:
    """What killed builds and probes left outside any lab (lab.leftovers); True when some would not go."""
    from lab.frr.image import CACHE
    from lab.leftovers import sweep

    swept = sweep(CACHE)
    if swept.removed:
        err.print(escape(f"removed what killed builds and probes left: {', '.join(swept.removed)}"))
    if swept.failed:
        err.print(f"[red]could not remove: {escape(', '.join(swept.failed))}[/]")
    return bool(swept.failed)


@app.command()
def status(name: str = NameOpt, as_json: bool = typer.Option(False, "--json", help="everything as JSON"),
           all_nodes: bool = typer.Option(False, "--all", help="routes of every node, not only BAG routers")):
    """Nodes, sessions, prefixes, and per-prefix next hops and weights read from the kernel."""
    if as_json:
        from lab.workflows.status import gather

        with open_lab(name) as s:
            sys.stdout.write(json.dumps(gather(s), indent=1) + "\n")
        return
    if not _show_status(name, bag_only=not all_nodes):
        raise typer.Exit(1)


def _show_status(name: str, bag_only: bool) -> bool:
    """Print the status tables; True when the lab is as designed."""
    from lab.config.oracle import expected_routes

    from lab.workflows.status import active_changes, gather, mixed_versions_line

    with open_lab(name) as s:
        st = gather(s)
        expected = expected_routes(s.plan, active_changes(s)[0])
        state = s.state
    policy, mixed = state.policy, state.node_policies or {}
    candidate = bool(policy) and Path(policy) != DEFAULT_DIR or bool(mixed)
    views.status_tables(st, expected, bag_only, judge=not candidate)
    if line := mixed_versions_line(s.plan):
        err.print(escape(line))
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


@app.command(context_settings={"ignore_unknown_options": True})
def exec(node: str = NodeArg,
         cmd: Optional[List[str]] = typer.Argument(None, metavar="-- CMD", show_default=False,
                                                    help="command and its arguments after '--' (default: bash)"),
         name: str = NameOpt):
    """Run a command inside a node: baglab exec r1-bag1 -- ip route (FRR's shell gets -N added)."""
    with open_lab(name) as s:
        check_node(s.plan, node)
        full = s.runtime.exec_argv(node, list(cmd or ()) or ["bash"])
    os.execvp(full[0], full)


@app.command()
def labs():
    """Labs present on this host (state directories or namespaces)."""
    from lab.runtime.teardown import all_labs

    for n in all_labs():
        s = LabState.read(LabPaths(n))
        phase, topology = ("remnant" if s.phase is None else s.phase), ("?" if s.topology is None else s.topology)
        views.out.print(f"{n}\t{phase}\t{topology}", markup=False)


@app.command()
def export(topology: str = TopoArg, fmt: ExportFormat = typer.Option(ExportFormat.CONTAINERLAB, "--format",
                                                         help="containerlab (.clab.yml)"),
           out_dir: Optional[str] = typer.Option(None, "--out", "-o", help="default: exports/<topology>"),
           image: Optional[str] = typer.Option(None, help="node image (default: the tag 'make docker-image' builds)"),
           policy: Optional[str] = PolicyOpt):
    """Write the topology for another runner: containerlab / clabernetes, node configs as binds."""
    from lab.config.export import export_cli

    exp = export_cli(topology, fmt.value, out_dir, image, policy)
    err.print(escape(f"wrote {exp.topology_file} and {len(exp.files) - 1} node files; "
                     f"run: containerlab deploy -t {exp.topology_file}"), soft_wrap=True)
    if exp.secret_files:
        err.print(escape(f"warning: {len(exp.secret_files)} files hold TCP-MD5 passwords in clear (mode 0600, "
                         f"e.g. {exp.secret_files[0]}): keep them out of version control"), soft_wrap=True)
