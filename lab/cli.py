"""``baglab``: one obvious command per lab verb (plan, up, down, status, exec, labs)."""
from __future__ import annotations

import json
import os
import sys
from enum import Enum
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from bgp.oracle import neighbour_shares, expected_routes

from .errors import LabError
from .plan import build_plan
from .state import DEFAULT_LAB, LabPaths, check_lab_name, load_plan
from .topology import load

class _Interrupted(Exception):
    """Ctrl-C seen inside a command.  Typer turns KeyboardInterrupt into a silent exit 130 (click into
    "Aborted!"), so main() would never print its hint; this carries it past them."""


class _Group(typer.core.TyperGroup):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted() from None


# A bug's traceback stays (it is what a bug report needs) but without every frame's locals: a plan
# object's repr fills screens.  Input errors never get here: they are validated into LabError.
app = typer.Typer(cls=_Group, add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="Emulate a BAG super-spine design with real FRR routers in network namespaces.")
out = Console(width=None if sys.stdout.isatty() else 150, emoji=False, highlight=False)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 150, emoji=False, highlight=False)



def _plain_flags() -> None:
    """Show boolean flags as ``--json``, not ``--json <bool>``.

    Recent typer prints a type for every option, which makes a flag look as if it took a value
    (``--json true``).  Older typer has no such hook; then there is nothing to do."""
    option = getattr(typer.core, "TyperOption", None)
    shown = getattr(option, "display_type_rich", None)
    if shown is None or getattr(shown, "plain_flags", False):
        return

    def display_type_rich(self, ctx):
        return None if self.is_flag else shown(self, ctx)

    display_type_rich.plain_flags = True
    option.display_type_rich = display_type_rich


_plain_flags()


def _version(show: bool) -> None:
    """The installed distribution's version, so a bug report names what was actually run."""
    if not show:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("baglab")
    except PackageNotFoundError:
        v = "unknown (not installed; run scripts/install-deps.sh)"
    out.print(f"baglab {v}", markup=False)
    raise typer.Exit()


@app.callback()
def _root(show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                            help="print the installed baglab version and exit")):
    """Emulate a BAG super-spine design with real FRR routers in network namespaces."""


TopoArg = typer.Argument(..., help="topology YAML, e.g. topologies/bag-mini.yaml")
NameOpt = typer.Option(DEFAULT_LAB, "--name", "-n", help="lab name; labs with different names coexist")


class Side(str, Enum):
    """Which end(s) of a link a fault acts on; a typo is a usage error listing these."""
    a = "a"
    b = "b"
    both = "both"


class OneSide(str, Enum):
    a = "a"
    b = "b"


class LinkMode(str, Enum):
    admin = "admin"
    carrier = "carrier"
    silent = "silent"


class NodeMode(str, Enum):
    stop = "stop"
    crash = "crash"
    power = "power"


class DomainKind(str, Enum):
    data_hall = "data_hall"
    power_feed = "power_feed"


class RehearseKind(str, Enum):
    plane = "plane"
    node = "node"
    link = "link"


class Runtime(str, Enum):
    netns = "netns"
    docker = "docker"
    containerlab = "containerlab"


class ExportFormat(str, Enum):
    containerlab = "containerlab"


class SweepKind(str, Enum):
    link = "link"
    bundle = "bundle"
    node = "node"
    plane = "plane"
    data_hall = "data_hall"
    power_feed = "power_feed"


def _row(table: Table, *cells) -> None:
    """Add a row whose plain strings are literal text: names, labels and paths come from the user's
    YAML and must never be read as rich markup (``'[/bold]'`` would crash, ``'[red]x'`` show as ``x``).
    Styled cells are passed as :class:`Text` (see :func:`_styled`)."""
    table.add_row(*(c if isinstance(c, Text) else Text(str(c)) for c in cells))


def _styled(text: str, style: str) -> Text:
    return Text(text, style=style)


def _lab(name: str) -> LabPaths:
    return LabPaths(check_lab_name(name))


def _listing(names, limit: int = 12) -> str:
    """A bounded list for an error message: a big plan must not turn one error into a screenful."""
    names = list(names)
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _check_node(plan, node: str) -> None:
    """Unknown names are a user error, not a KeyError traceback from deep inside the injector."""
    if node not in {n.name for n in plan.nodes}:
        raise LabError(f"unknown node {node!r}; nodes: {_listing(n.name for n in plan.nodes)}")


def _bundle_links(plan, bundle: str, members: Optional[List[int]] = None) -> list:
    """The bundle's links (only ``members`` when given), or a LabError naming what exists."""
    links_ = [l for l in plan.links if l.bundle == bundle]
    if not links_:
        raise LabError(f"no bundle {bundle!r}; bundles: {_listing(sorted({l.bundle for l in plan.links}))} "
                       "(see 'baglab plan')")
    chosen = [l for l in links_ if not members or l.member in members]
    missing = sorted(set(members or ()) - {l.member for l in links_})
    if missing:
        raise LabError(f"bundle {bundle!r} has no member {', '.join(map(str, missing))}; "
                       f"members: {', '.join(str(l.member) for l in links_)}")
    return chosen


def _check_plane(plan, plane: int, region: Optional[str]) -> None:
    from .faults.injector import plane_nodes

    planes = sorted({n.bag_plane for n in plan.nodes if n.role == "bag" and n.bag_plane is not None})
    regions = sorted({n.region for n in plan.nodes if n.role == "bag"})
    if region is not None and region not in regions:
        raise LabError(f"unknown region {region!r}; regions: {', '.join(regions)}")
    if plane not in planes:
        raise LabError(f"no BAG plane {plane}; planes: {', '.join(map(str, planes))}")
    plane_nodes(plan, plane, region)


def _check_domain(plan, kind: str, label: str) -> None:
    from . import domains as dm

    known = [l for k, l in dm.labels(plan) if k == kind]
    if label not in known:
        raise LabError(f"no element carries {kind} {label!r}; {kind} labels: {_listing(known) or 'none'}")


@app.command()
def plan(topology: str = TopoArg, as_json: bool = typer.Option(False, "--json", help="the whole plan as JSON"),
         strict: bool = typer.Option(False, "--strict", help="exit 1 when a design check fails")):
    """Expand a topology into nodes, links, addresses and ASNs, and check the design (no root needed)."""
    loaded = load(topology)
    p = build_plan(loaded)
    if as_json:
        sys.stdout.write(p.to_json())
        return
    roles: dict[str, int] = {}
    for n in p.nodes:
        roles[n.role] = roles.get(n.role, 0) + 1
    out.print(f"[bold]{escape(p.topology)}[/] from {escape(topology)}: {len(p.nodes)} routers "
              f"({', '.join(f'{v} {k}' for k, v in sorted(roles.items()))}), {len(p.links)} links, "
              f"{len(p.prefixes())} prefixes, {len(p.links) * len(p.address_families)} BGP sessions, plan {p.digest()}")
    t = Table(title="nodes", show_lines=False)
    for c in ("node", "role", "ASN", "router-id", "plane", "prefixes", "data hall", "power feed"):
        t.add_column(c)
    for n in p.nodes:
        _row(t, n.name, n.role, str(n.asn), n.router_id, str(n.bag_plane or ""), " ".join(n.prefixes),
                  n.data_hall or "", n.power_feed or "")
    out.print(t)
    t = Table(title="bundles (port striping)")
    for c in ("bundle", "kind", "members", "speed", "a: ifname", "b: ifname", "macsec"):
        t.add_column(c)
    bundles: dict[str, list] = {}
    for l in p.links:
        bundles.setdefault(l.bundle, []).append(l)
    for b, ls in bundles.items():
        _row(t, b, ls[0].kind, str(len(ls)), f"{ls[0].speed_gbps}G", ", ".join(l.a.ifname for l in ls),
                  ", ".join(l.b.ifname for l in ls), ls[0].macsec)
    out.print(t)
    if p.aggregates:
        t = Table(title="conditional aggregates (advertised to other regions instead of the more-specifics)")
        for c in ("region", "aggregate", "replaces", "needs"):
            t.add_column(c)
        for a in p.aggregates:
            _row(t, a.region, a.prefix, " ".join(a.covers), f"{a.min_fabrics} of {', '.join(a.fabrics)}")
        out.print(t)
    from .design import checks

    t = Table(title=f"design checks (drain policy: {escape(p.drain_method)})")
    for c in ("scope", "check", "need", "limit", "verdict", "note"):
        t.add_column(c)
    results = checks(p, loaded.model.design)
    for c in results:
        _row(t, c.scope, c.what, c.need, c.limit, _styled("ok", "green") if c.ok else _styled("exceeds", "red"), c.note)
    out.print(t)
    if strict and not all(c.ok for c in results):
        err.print("[red]design checks failed[/]")
        raise typer.Exit(1)


@app.command()
def up(topology: str = TopoArg, name: str = NameOpt,
       deadline: Optional[float] = typer.Option(None, min=0, help="seconds to wait for convergence (default scales with size)"),
       quiet: bool = typer.Option(False, "--quiet", "-q", help="no status table at the end"),
       runtime: Runtime = typer.Option(Runtime.netns, "--runtime", help="namespaces (default), a container per "
                                       "node, or the containerlab binary")):
    """Build the lab and return once every session is up and every FIB is as designed."""
    from .build import up as build_up

    paths = _lab(name)
    with Progress(TextColumn("[bold]{task.description:<12}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, transient=False, disable=not err.is_terminal) as prog:
        tasks: dict[str, int] = {}

        def step(what: str, done: int, total: int):
            if what not in tasks:
                tasks[what] = prog.add_task(what, total=total)
            prog.update(tasks[what], completed=done, total=total)

        res = build_up(topology, paths.name, progress=step, deadline_s=deadline,
                       on_poll=lambda ok, total: step("converged", ok, total), runtime=runtime.value)
    verb = "already up" if res.reused else "up"
    conv = res.convergence
    err.print(f"lab [bold]{paths.name}[/] ({escape(res.plan.topology)}) {verb}: {len(res.plan.nodes)} routers, "
              f"converged in {conv.seconds:.2f}s" + "".join(f"; {p.name} {p.seconds:.2f}s" for p in res.phases))
    if not quiet:
        _status_tables(paths, bag_only=True)


@app.command()
def down(name: str = NameOpt, all_labs: bool = typer.Option(False, "--all", help="every baglab lab on this host")):
    """Remove every namespace, link and process of the lab, even after a crash."""
    from .runtime import down_lab
    from .runtime.netns import all_labs as _all

    names = _all() if all_labs else [_lab(name).name]
    failed = False
    for n in names:
        rep = down_lab(LabPaths(n))
        err.print(f"lab {escape(n)}: removed {rep.namespaces} namespaces, stopped {rep.processes} processes")
        if rep.survivors or rep.leftover_ns:
            failed = True
            err.print(f"[red]could not remove: pids {rep.survivors} namespaces {escape(str(rep.leftover_ns))}[/]")
    if failed:
        raise typer.Exit(1)


@app.command()
def status(name: str = NameOpt, as_json: bool = typer.Option(False, "--json", help="everything as JSON"),
           all_nodes: bool = typer.Option(False, "--all", help="routes of every node, not only BAG routers")):
    """Nodes, sessions, prefixes, and per-prefix next hops and weights read from the kernel."""
    paths = _lab(name)
    if as_json:
        from .status import gather

        sys.stdout.write(json.dumps(gather(load_plan(paths), paths), indent=1) + "\n")
        return
    if not _status_tables(paths, bag_only=not all_nodes):
        raise typer.Exit(1)


def _updown(running) -> Text:
    return _styled("up", "") if running else _styled("down", "red")


def _status_tables(paths: LabPaths, bag_only: bool) -> bool:
    from .status import gather

    plan = load_plan(paths)
    st = gather(plan, paths)
    t = Table(title=escape(f"lab {st['lab']} ({st['topology']})"))
    for c in ("node", "role", "ASN", "zebra", "bgpd", "sessions", "prefixes (FIB/expected)", "as designed"):
        t.add_column(c)
    for n in st["nodes"]:
        d = n["daemons"]
        if n.get("emulator"):
            state = _styled("up", "") if all(d.values()) else _styled("down", "red")
            _row(t, n["name"], f"{n['role']} ({n['emulator']})", str(n["asn"]), "-", Text(f"{'/'.join(d)} ") + state,
                      f"-/{n['sessions']['planned']}", "records" if n["role"] == "collector" else "announces", "-")
            continue
        ok = n["prefixes"]["as_designed"] == len(n["routes"]) and not n["sessions"]["down"]
        _row(t, n["name"], n["role"], str(n["asn"]), _updown(d.get("zebra")), _updown(d.get("bgpd")),
                  f"{n['sessions']['established']}/{n['sessions']['planned']}",
                  f"{n['prefixes']['installed']}/{n['prefixes']['expected']}",
             _styled("yes", "green") if ok else _styled("no", "red"))
    out.print(t)
    if st["in_force"]:
        out.print("[yellow]in force (the expectation includes them):[/] " + escape("; ".join(st["in_force"])))
    t = Table(title="UCMP next hops and weights (kernel FIB)" + (" on BAG routers" if bag_only else ""))
    for c in ("node", "prefix", "next hop", "weight", "share", "neighbour share", "expected"):
        t.add_column(c)
    from .status import active_changes

    expected = expected_routes(plan, active_changes(plan, paths)[0])
    for n in st["nodes"]:
        if bag_only and n["role"] != "bag":
            continue
        for r in n["routes"]:
            hops = r["nexthops"]
            total = sum(h["weight"] for h in hops) or 1
            shares = neighbour_shares(expected.get(n["name"], {}).get(r["prefix"], []))
            exp = {h["ifname"]: h["weight"] for h in r["expected"]}
            for i, h in enumerate(hops or [{"ifname": "-", "weight": 0, "peer": None}]):
                _row(t, n["name"] if i == 0 else "", r["prefix"] if i == 0 else "", h["ifname"], str(h["weight"]),
                          f"{100 * h['weight'] / total:.0f}%",
                          (" ".join(f"{k} {100 * v:.0f}%" for k, v in shares.items())) if i == 0 else "",
                     _styled(str(exp.get(h["ifname"], "-")), "green" if r["as_designed"] else "red"))
            t.add_section()
    out.print(t)
    if not st["converged"]:
        err.print("[red]the lab is not as designed: see rows marked red[/]")
    return st["converged"]


@app.command(context_settings={"ignore_unknown_options": True})
def exec(node: str = typer.Argument(..., help="router name (see 'baglab plan')"),
         cmd: Optional[List[str]] = typer.Argument(None, metavar="-- CMD", show_default=False,
                                                    help="command and its arguments after '--' (default: bash)"),
         name: str = NameOpt):
    """Run a command inside a node: baglab exec r1-bag1 -- ip route (vtysh gets -N added)."""
    from .runtime import runtime_for

    paths = _lab(name)
    plan = load_plan(paths)
    _check_node(plan, node)
    argv = list(cmd or ()) or ["bash"]
    full = runtime_for(paths).exec_argv(node, argv)
    os.execvp(full[0], full)


fault_app = typer.Typer(no_args_is_help=True, help="Inject a recorded, reversible failure and measure convergence.")
app.add_typer(fault_app, name="fault")


def _inject(name: str, make, wait: bool, check=None) -> None:
    """Apply a fault, then (unless --no-wait) wait for the oracle's state and report convergence.

    ``check(plan)`` validates the user's names first, so a typo fails before any timeline or
    runtime is touched and without a traceback."""
    from .faults import FaultInjector
    from .measure import after_fault
    from .observers.timeline import Timeline

    paths = _lab(name)
    plan = load_plan(paths)
    if check:
        check(plan)
    fi = FaultInjector(plan, paths)
    tl = Timeline({n.name: paths.netns(n.name) for n in plan.nodes}).start() if wait else None
    try:
        f = make(fi, plan)
        err.print(f"fault {f.id}: {escape(f.kind)} {escape(f.target)}")
        if tl:
            _verdict(after_fault(plan, paths, tl, f, fi.failures(), "cli"))
    finally:
        if tl:
            tl.stop()


def _verdict(res) -> None:
    if res.ok:
        slow = sorted(res.per_node_ms.items(), key=lambda kv: -kv[1])[:3]
        err.print(f"[green]as the oracle predicts[/]; converged in {res.overall_ms:.0f} ms"
                  + (" (slowest: " + escape(", ".join(f"{n} {ms:.0f} ms" for n, ms in slow)) + ")" if slow else ""))
    else:
        err.print("[red]not as the oracle predicts[/]\n" + escape(res.report))
        raise typer.Exit(1)


WaitOpt = typer.Option(True, "--wait/--no-wait", help="wait for convergence and compare with the oracle")


@fault_app.command("link")
def fault_link(bundle: str = typer.Argument(..., help="e.g. r1-bag1~r2-bag1 (see 'baglab plan')"),
               member: Optional[List[int]] = typer.Option(None, "--member", "-m", help="members; default: all"),
               side: Side = typer.Option(Side.both, help="which end(s) fail"),
               mode: LinkMode = typer.Option(LinkMode.admin, help="admin down, carrier loss (one side) or "
                                             "silent drop"),
               name: str = NameOpt, wait: bool = WaitOpt):
    """Fail a bundle, or some of its member links."""
    def check(plan):
        _bundle_links(plan, bundle, member)
        if mode is LinkMode.carrier and side is Side.both:
            raise LabError("carrier loss is seen at one end: pick --side a or --side b")
    _inject(name, lambda fi, plan: fi.bundle(bundle, member or None, side=side.value, mode=mode.value), wait,
            check)


@fault_app.command("node")
def fault_node(node: str = typer.Argument(..., help="router name (see 'baglab plan')"),
               mode: NodeMode = typer.Option(NodeMode.crash, help="SIGTERM, SIGKILL, or ports dark then SIGKILL"),
               name: str = NameOpt, wait: bool = WaitOpt):
    """Stop, crash or power off a router."""
    _inject(name, lambda fi, plan: fi.node(node, mode.value), wait, lambda plan: _check_node(plan, node))


@fault_app.command("plane")
def fault_plane(plane: int = typer.Argument(..., help="BAG plane number"),
                region: Optional[str] = typer.Option(None, help="only this region (default: every region)"),
                name: str = NameOpt, wait: bool = WaitOpt):
    """Power off a BAG plane (in one region, or everywhere)."""
    _inject(name, lambda fi, plan: fi.plane(plane, region), wait, lambda plan: _check_plane(plan, plane, region))


@fault_app.command("domain")
def fault_domain(kind: DomainKind = typer.Argument(..., help="failure-domain kind"),
                 label: str = typer.Argument(..., help="the label in the topology YAML, e.g. dh1a"),
                 name: str = NameOpt, wait: bool = WaitOpt):
    """Fail everything labelled with a data hall or power feed."""
    _inject(name, lambda fi, plan: fi.domain(kind.value, label), wait,
            lambda plan: _check_domain(plan, kind.value, label))


@fault_app.command("macsec-mismatch")
def fault_macsec(bundle: str = typer.Argument(..., help="e.g. r1-bag1~r2-bag1 (see 'baglab links')"),
                 member: int = typer.Option(1, "--member", "-m", min=1, help="the member link"),
                 side: OneSide = typer.Option(OneSide.a, help="the end that gets the wrong key"),
                 name: str = NameOpt, wait: bool = WaitOpt):
    """Give one end of a protected link a key its peer does not hold."""
    _inject(name, lambda fi, plan: fi.macsec_mismatch(_link(plan, bundle, member), side.value), wait,
            lambda plan: _link(plan, bundle, member))


@fault_app.command("md5-mismatch")
def fault_md5(bundle: str = typer.Argument(..., help="e.g. r1-bag1~r2-bag1 (see 'baglab links')"),
              member: int = typer.Option(1, "--member", "-m", min=1, help="the member link"),
              side: OneSide = typer.Option(OneSide.a, help="the end that gets the wrong password"),
              name: str = NameOpt, wait: bool = WaitOpt):
    """Give one end's BGP sessions on a link a TCP-MD5 password its peer does not use."""
    _inject(name, lambda fi, plan: fi.md5_mismatch(_link(plan, bundle, member), side.value), wait,
            lambda plan: _link(plan, bundle, member))


def _link(plan, bundle: str, member: int):
    return _bundle_links(plan, bundle, [member])[0]


@app.command()
def links(name: str = NameOpt, as_json: bool = typer.Option(False, "--json", help="the rows as JSON"),
          protected: bool = typer.Option(False, "--protected", help="only MACsec-protected links")):
    """Each link's protection policy (MACsec, TCP-MD5) and its ports' counters."""
    from .observers.links import link_report

    paths = _lab(name)
    rows = link_report(load_plan(paths), paths)
    if protected:
        rows = [r for r in rows if r["macsec"] != "off"]
    if as_json:
        print(json.dumps(rows, indent=1))
        return
    t = Table(title=f"links of lab {paths.name}")
    for c in ("link", "macsec", "md5", "end", "tx AN", "protected tx", "rx ok", "plaintext dropped", "other drops"):
        t.add_column(c)
    for r in rows:
        pol = Text(r["macsec"] + (f" ({r['backend']}, {r['cipher']}, key {r['tx_key']})" if r["macsec"] != "off" else ""))
        if r.get("mismatched"):
            pol += _styled(f" mismatch at {', '.join(r['mismatched'])}", "red")
        for i, e in enumerate(r["ends"]):
            first = i == 0
            if "macsec_in" in e:
                drops = ", ".join(f"{k} {v}" for k, v in sorted(e["drops"].items())) or "0"
                cells = [str(e["tx_an"]), str(e["tx_protected"]), str(e["rx_ok"]), str(e["plaintext_dropped"]), drops]
            else:
                cells = ["-"] * 5
            _row(t, f"{r['id']} {r['bundle']}#{r['member']}" if first else "", pol if first else "",
                 ("yes" if r["tcp_md5"] else "no") if first else "", f"{e['node']} {e['ifname']}", *cells)
    out.print(t)


@app.command()
def probe(name: str = NameOpt, count: int = typer.Option(10, min=1, help="frames of each kind per link and direction"),
          report: str = typer.Option("reports/macsec-probes.json", help="where the JSON report goes")):
    """Put plaintext, keyed, wrong-key, tampered and replayed frames on every MACsec-only link
    (both directions) and account for each: delivered, or dropped by the right counter."""
    from pathlib import Path

    from .probes.macsec import KINDS, probe_link

    paths = _lab(name)
    plan = load_plan(paths)
    links_ = [l for l in plan.links if l.a.wire]
    if not links_:
        raise LabError("this lab has no MACsec-protected link")
    results = []
    t = Table(title=f"MACsec probes on lab {paths.name}: delivered / sent per kind")
    for c in ("link", "direction", *KINDS, "verdict"):
        t.add_column(c)
    for l in links_:
        for sender in (l.a.node, l.b.node):
            r = probe_link(plan, paths, l, sender, count=count)
            results.append(r)
            _row(t, f"{l.id} {l.bundle}#{l.member}", f"{r.sender} -> {r.receiver}",
                 *[f"{r.delivered[k]}/{r.sent[k]}" for k in KINDS],
                 _styled("ok", "green") if r.ok else _styled("; ".join(r.problems), "red"))
    out.print(t)
    Path(report).parent.mkdir(parents=True, exist_ok=True)
    Path(report).write_text(json.dumps([r.__dict__ for r in results], indent=1))
    plain = sum(r.delivered["plaintext"] for r in results)
    err.print(f"{len(results)} link directions; plaintext frames delivered across protected links: {plain}; "
              f"report: {escape(report)}")
    if not all(r.ok for r in results):
        raise typer.Exit(1)


@app.command()
def sweep(topology: str = TopoArg, name: str = NameOpt,
          only: Optional[List[SweepKind]] = typer.Option(None, "--only", help="failure kinds (default: all)"),
          candidate: Optional[str] = typer.Option(None, help="a second topology (candidate policy): sweep it too "
                                                  "and report what changes"),
          report_dir: str = typer.Option("reports", help="where sweep.json / sweep.html go"),
          keep: bool = typer.Option(False, help="leave the lab(s) running afterwards")):
    """Every single failure the plan allows: inject, converge, check oracle weights, RIB/FIB and
    packet reachability, restore, check the steady state; JSON + HTML report."""
    from pathlib import Path

    from .build import up as build_up
    from .runtime.netns import NetnsRuntime
    from . import sweep as sw

    kinds = {k.value for k in only or ()}

    def one(topo: str, lab: str, tag: str):
        paths = _lab(lab)
        plan_ = build_up(Path(topo), lab).plan
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=err) as prog:
            task = prog.add_task(f"sweep {escape(plan_.topology)}", total=len(sw.cases(plan_)))

            def step(i, n, item):
                prog.update(task, completed=i, total=n,
                            description=escape(f"{item.kind} {item.target}: ") + ("ok" if item.ok else "VIOLATION"))
            try:
                rep = sw.run(plan_, paths, only=(lambda c: c.kind in kinds) if kinds else None, progress=step)
            finally:
                if not keep:
                    NetnsRuntime(paths).down()
        j, h = sw.write(rep, Path(report_dir), tag)
        bad = [i for i in rep.items if not i.ok]
        err.print(escape(f"{plan_.topology}: {len(rep.items)} failures in {rep.seconds:.0f}s, "
                         f"{rep.violations} violations; {j}, {h}"))
        for i in bad:
            err.print(f"[red]{escape(i.kind)} {escape(i.target)}[/]: " + escape("\n  ".join(i.violations)))
        for s_ in rep.steady:
            err.print(f"[red]steady state[/]: {escape(str(s_))}")
        return rep

    rep = one(topology, name, "sweep")
    if candidate:
        cand = one(candidate, name + "c", "sweep-candidate")
        changes = sw.diff(rep, cand)
        Path(report_dir, "sweep-diff.txt").write_text("\n".join(changes) + "\n")
        err.print(f"candidate vs current: {len(changes)} changes" + escape("".join(f"\n  {c}" for c in changes[:40])))
    if rep.violations:
        raise typer.Exit(1)


macsec_app = typer.Typer(no_args_is_help=True, help="MACsec key chain of a running lab.")
app.add_typer(macsec_app, name="macsec")


@macsec_app.command("rotate")
def macsec_rotate(name: str = NameOpt):
    """Add a key to the chain and move every protected port to it without dropping a frame."""
    from .runtime.netns import NetnsRuntime

    paths = _lab(name)
    kid = NetnsRuntime(paths).rotate_macsec(load_plan(paths))
    err.print(f"every protected port now transmits with key {kid} (AN {kid % 4})")


@app.command()
def domains(topology: str = TopoArg, confirm: Optional[str] = typer.Option(None, "--confirm", metavar="LAB",
                                                                 help="fail each domain in this running lab and "
                                                                      "read the capacities from its BGP tables"),
            png: Optional[str] = typer.Option(None, "--png", help="also draw the table as a heatmap"),
            only: Optional[str] = typer.Option(None, help="only domains whose label contains this")):
    """Which prefixes lose which fraction of capacity when a data hall or power feed fails."""
    from . import domains as dm

    p = build_plan(load(topology))
    impacts = [i for i in dm.report(p) if not only or only in i.label]
    t = Table(title=f"capacity lost per failure domain ({escape(p.topology)}; Gbit/s of link-bandwidth the region's BAG "
                    "routers use towards the prefix)")
    for c in ("domain", "prefix", "seen from", "before", "after", "lost"):
        t.add_column(c)
    for i in impacts:
        _row(t, f"{i.kind} {i.label}", i.prefix, f"region {i.region}", f"{i.before_gbps:g}", f"{i.after_gbps:g}",
             _styled(f"{i.lost:.0%}", "red" if i.lost >= 0.999 else ""))
    out.print(t)
    if png:
        dm.heatmap(impacts, png)
        err.print(f"heatmap: {escape(png)}")
    if not confirm:
        return
    from bgp.oracle import expected_routes

    from .faults import FaultInjector
    from .measure import after_fault, after_restore
    from .observers.timeline import Timeline

    paths = _lab(confirm)
    plan = load_plan(paths)
    if plan.digest() != p.digest():
        raise LabError(f"lab {confirm} runs another plan than {topology}")
    fi = FaultInjector(plan, paths)
    tl = Timeline({n.name: paths.netns(n.name) for n in plan.nodes}).start()
    bad = 0
    try:
        for kind, label in dm.labels(plan):
            if only and only not in label:
                continue
            f = fi.domain(kind, label)
            res = after_fault(plan, paths, tl, f, fi.failures(), "domains")
            fails = fi.failures()
            problems = dm.compare(dm.capacity(plan, expected_routes(plan, fails), fails),
                                  dm.lab_capacity(plan, paths, fails))
            if not res.ok:
                problems.insert(0, "not converged to the oracle: " + res.report.splitlines()[0])
            fi.restore(f)
            after_restore(plan, paths, tl, f, fi.failures(), "domains")
            bad += bool(problems)
            err.print(escape(f"{kind} {label}: ") + ("[green]confirmed[/]" if not problems else
                                             "[red]differs[/]\n  " + escape("\n  ".join(problems))))
    finally:
        tl.stop()
    if bad:
        raise typer.Exit(1)


drain_app = typer.Typer(no_args_is_help=True, help="Move traffic off a plane, router or link with BGP policy "
                        "(policy.drain: graceful-shutdown or as-path-prepend) before maintenance.")
undrain_app = typer.Typer(no_args_is_help=True, help="Take a drain back (traffic returns).")
app.add_typer(drain_app, name="drain")
app.add_typer(undrain_app, name="undrain")


def _drain(name: str, make, wait: bool, check=None) -> None:
    """Apply a drain, wait for the oracle's drained state, and say what still crosses the drain."""
    from bgp.oracle import paths_through_drains

    _inject(name, make, wait, check)
    paths = _lab(name)
    plan = load_plan(paths)
    from .faults import FaultInjector

    left = paths_through_drains(plan, FaultInjector(plan, paths).failures())
    if not left:
        err.print("[green]no router sends traffic through the drained elements[/]: taking them down is hitless")
        return
    by_router: dict[str, set[str]] = {}
    for (router, prefix), via in left.items():
        by_router.setdefault(router, set()).update(via)
    err.print(f"[yellow]{len(by_router)} routers have no other path and still send through the drain[/] "
              "(taking it down cuts them; their fabric must steer around them):")
    for router, via in sorted(by_router.items()):
        n = sum(1 for (r, _p) in left if r == router)
        err.print(escape(f"  {router}: {n} prefixes via {', '.join(sorted(via))}"))


def _undrain(name: str, pick, wait: bool) -> None:
    from .faults import FaultInjector
    from .measure import after_restore
    from .observers.timeline import Timeline

    paths = _lab(name)
    plan = load_plan(paths)
    fi = FaultInjector(plan, paths)
    targets = [f for f in fi.drains() if pick(f)]
    if not targets:
        raise LabError("no such active drain; active: " + (", ".join(f.target for f in fi.drains()) or "none"))
    tl = Timeline({n.name: paths.netns(n.name) for n in plan.nodes}).start() if wait else None
    try:
        for f in targets:
            fi.restore(f)
            err.print(f"undrained {escape(f.target)}")
        if tl:
            _verdict(after_restore(plan, paths, tl, targets[-1], fi.failures(), "cli"))
    finally:
        if tl:
            tl.stop()


PlaneArg = typer.Argument(..., help="BAG plane number")
RegionOpt = typer.Option(None, help="only this region (default: every region)")


@drain_app.command("plane")
def drain_plane(plane: int = PlaneArg, region: Optional[str] = RegionOpt, name: str = NameOpt, wait: bool = WaitOpt):
    """Drain a BAG plane (in one region, or everywhere)."""
    _drain(name, lambda fi, plan: fi.drain_plane(plane, region), wait, lambda plan: _check_plane(plan, plane, region))


@drain_app.command("node")
def drain_node(node: str = typer.Argument(..., help="router name (see 'baglab plan')"),
               name: str = NameOpt, wait: bool = WaitOpt):
    """Drain one router: everything it advertises is marked."""
    _drain(name, lambda fi, plan: fi.drain_nodes([node]), wait, lambda plan: _check_node(plan, node))


@drain_app.command("link")
def drain_link(bundle: str = typer.Argument(..., help="e.g. r1-bag1~r2-bag1 (see 'baglab plan')"),
               member: Optional[List[int]] = typer.Option(None, "--member", "-m", help="members; default: all"),
               name: str = NameOpt, wait: bool = WaitOpt):
    """Drain a bundle, or some of its members (both ends' advertisements are marked)."""
    def make(fi, plan):
        ls = _bundle_links(plan, bundle, member)
        return fi.drain_links(ls, bundle + (f" members {sorted(member)}" if member else ""))
    _drain(name, make, wait, lambda plan: _bundle_links(plan, bundle, member))


@app.command()
def rehearse(kind: RehearseKind = typer.Argument(..., help="what to take down"),
             what: str = typer.Argument(..., help="plane number, node name or bundle"),
             region: Optional[str] = typer.Option(None, help="plane: only this region"),
             member: Optional[List[int]] = typer.Option(None, "--member", "-m", help="link: only these members"),
             pps: int = typer.Option(300, min=1, help="probe packets per second"),
             reports: str = typer.Option("reports", help="where the JSON report and PNG timelines go"),
             name: str = NameOpt):
    """Maintenance rehearsal with packets flowing: drain, take down, bring back, undrain; lost packets counted."""
    from .faults import FaultInjector
    from .observers.timeline import Timeline
    from .rehearsal import rehearse as run, settle_with

    kind = kind.value
    paths = _lab(name)
    plan = load_plan(paths)
    _check_rehearsal(plan, kind, what, region, member)
    fi = FaultInjector(plan, paths)
    if fi.active():
        raise LabError("the lab has active faults or drains; 'baglab restore' / 'baglab undrain all' first")
    from dataclasses import asdict
    from pathlib import Path

    from .report import Report

    report = Report(Path(reports) / "rehearsal", paths.name, plan.topology)
    tl = Timeline({n.name: paths.netns(n.name) for n in plan.nodes}).start()
    try:
        fault, restore = settle_with(plan, paths, tl)

        def recorded(fn):
            def go(f, failures):
                res = fn(f, failures)
                report.add(res, tl, [n.name for n in plan.nodes])
                return res
            return go

        rep = run(plan, paths, fi, recorded(fault), recorded(restore), kind,
                  plane=int(what) if kind == "plane" else None, region=region,
                  node=what if kind == "node" else None, bundle=what if kind == "link" else None,
                  members=member or None, pps=pps, progress=lambda m: err.print(escape(m)))
    finally:
        tl.stop()
    report.write()
    doc = {"target": rep.target, "ok": rep.ok, "sent": rep.sent, "lost": rep.lost,
           "steps": [asdict(s) for s in rep.steps], "pairs": [asdict(r) for r in rep.results],
           "not_probed": sorted({r for r, _ in rep.stranded})}
    (Path(reports) / "rehearsal" / "rehearsal.json").write_text(json.dumps(doc, indent=1))
    out.print(escape(rep.summary()))
    err.print(escape(f"report: {reports}/rehearsal/rehearsal.json, timelines in {reports}/rehearsal/timelines/"))
    if not rep.ok:
        raise typer.Exit(1)


def _check_rehearsal(plan, kind: str, what: str, region: Optional[str], member: Optional[List[int]]) -> None:
    """The rehearsal runs for minutes with packets flowing: refuse a bad target before it starts."""
    if kind == "plane":
        if not what.isdigit():
            raise LabError(f"a plane is a number, not {what!r}")
        _check_plane(plan, int(what), region)
    elif kind == "node":
        _check_node(plan, what)
    else:
        _bundle_links(plan, what, member)


@undrain_app.command("plane")
def undrain_plane(plane: int = PlaneArg, region: Optional[str] = RegionOpt, name: str = NameOpt, wait: bool = WaitOpt):
    """Undrain a BAG plane."""
    _undrain(name, lambda f: f.kind == "drain-plane" and f.matches(plane=plane, region=region), wait)


@undrain_app.command("node")
def undrain_node(node: str = typer.Argument(..., help="a drained router (see 'baglab faults')"), name: str = NameOpt, wait: bool = WaitOpt):
    """Undrain a router."""
    _undrain(name, lambda f: f.kind == "drain-node" and f.matches(nodes=[node]), wait)


@undrain_app.command("link")
def undrain_link(bundle: str = typer.Argument(..., help="a drained bundle (see 'baglab faults')"), name: str = NameOpt, wait: bool = WaitOpt):
    """Undrain a bundle (every drain of its members)."""
    _undrain(name, lambda f: f.kind == "drain-link" and f.matches(bundle=bundle), wait)


@undrain_app.command("all")
def undrain_all(name: str = NameOpt, wait: bool = WaitOpt):
    """Undrain everything."""
    _undrain(name, lambda f: True, wait)


@app.command()
def faults(name: str = NameOpt):
    """Faults recorded for the lab, active ones first."""
    from .faults import FaultInjector

    paths = _lab(name)
    fs = FaultInjector(load_plan(paths), paths).faults()
    t = Table(title=f"faults of lab {paths.name}")
    for c in ("id", "kind", "target", "state"):
        t.add_column(c)
    for f in sorted(fs, key=lambda f: (f.restored is not None, f.id)):
        _row(t, str(f.id), f.kind, f.target, _styled("active", "red") if f.restored is None else "restored")
    out.print(t)


@app.command()
def restore(fault_id: Optional[int] = typer.Argument(None, help="default: every active fault"),
            name: str = NameOpt, wait: bool = WaitOpt):
    """Undo faults and check the lab returns to the oracle's state."""
    from .faults import FaultInjector
    from .measure import after_restore
    from .observers.timeline import Timeline

    paths = _lab(name)
    plan = load_plan(paths)
    fi = FaultInjector(plan, paths)
    target = next((f for f in fi.faults() if f.id == fault_id), None) if fault_id else None
    if fault_id and (target is None or target.restored is not None):
        raise LabError(f"no active fault {fault_id}; see 'baglab faults'")
    tl = Timeline({n.name: paths.netns(n.name) for n in plan.nodes}).start() if wait else None
    try:
        done = fi.restore(target, drains=False)
        err.print(f"restored {len(done)} fault(s)" + ("; drains stay (baglab undrain)" if fi.drains() else ""))
        if tl and done:
            _verdict(after_restore(plan, paths, tl, done[0], fi.failures(), "cli"))
    finally:
        if tl:
            tl.stop()


@app.command()
def labs():
    """Labs present on this host (state directories or namespaces)."""
    from .runtime.netns import all_labs
    from .state import read_state

    for n in all_labs():
        s = read_state(LabPaths(n))
        out.print(f"{n}\t{s.get('phase', 'remnant')}\t{s.get('topology', '?')}", markup=False)


@app.command()
def export(topology: str = TopoArg, fmt: ExportFormat = typer.Option(ExportFormat.containerlab, "--format",
                                                         help="containerlab (.clab.yml)"),
           out_dir: Optional[str] = typer.Option(None, "--out", "-o", help="default: exports/<topology>"),
           image: Optional[str] = typer.Option(None, help="node image (default: the tag 'make docker-image' builds)")):
    """Write the topology for another runner: containerlab / clabernetes, node configs as binds."""
    from .export import export_cli

    exp = export_cli(topology, fmt.value, out_dir, image)
    err.print(escape(f"wrote {exp.topology_file} and {len(exp.files) - 1} node files; "
                     f"run: containerlab deploy -t {exp.topology_file}"), soft_wrap=True)


def _error(message: str) -> None:
    """One error, one line: never wrapped at the console width (a path split over lines cannot be
    copied), and the message is literal text, not rich markup."""
    err.print("[red]error:[/] " + escape(message), highlight=False, soft_wrap=True)


def main(argv: Optional[List[str]] = None) -> None:
    try:
        app(args=argv)
    except LabError as exc:
        _error(str(exc))
        sys.exit(2)
    except OSError as exc:
        if exc.filename is None:      # not about a path the user gave or lacks access to: a bug
            raise
        _error(f"{exc.strerror}: {exc.filename}")
        sys.exit(2)
    except (KeyboardInterrupt, _Interrupted):
        err.print("interrupted; 'baglab down' removes whatever was built")
        sys.exit(130)


if __name__ == "__main__":
    main()
