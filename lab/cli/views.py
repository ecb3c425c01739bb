"""How the CLI shows things: rich tables and messages, apart from the verbs that compute them.

Every string that comes from the user's YAML or the lab (names, labels, paths, routes) is printed
as literal text, never as rich markup: ``'[/bold]'`` would crash rich and ``'[red]x'`` show as ``x``.
"""
from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

out = Console(width=None if sys.stdout.isatty() else 150, emoji=False, highlight=False)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 150, emoji=False, highlight=False)


def row(table: Table, *cells) -> None:
    """Add a row whose plain strings are literal text; styled cells are passed as :class:`Text`."""
    table.add_row(*(c if isinstance(c, Text) else Text(str(c)) for c in cells))


def styled(text: str, style: str) -> Text:
    return Text(text, style=style)


def table(title: str, *columns: str) -> Table:
    t = Table(title=title)
    for c in columns:
        t.add_column(c)
    return t


def error(message: str) -> None:
    """One error, one line: never wrapped at the console width (a path split over lines cannot be
    copied), and the message is literal text, not rich markup."""
    err.print("[red]error:[/] " + escape(message), highlight=False, soft_wrap=True)


def verdict(res) -> None:
    """A convergence result against the oracle; not as predicted is exit 1."""
    if res.ok:
        slow = sorted(res.per_node_ms.items(), key=lambda kv: -kv[1])[:3]
        err.print(f"[green]as the oracle predicts[/]; converged in {res.overall_ms:.0f} ms"
                  + (" (slowest: " + escape(", ".join(f"{n} {ms:.0f} ms" for n, ms in slow)) + ")" if slow else ""))
    else:
        err.print("[red]not as the oracle predicts[/]\n" + escape(res.report))
        raise typer.Exit(1)


def fault_made(f) -> None:
    err.print(f"fault {f.id}: {escape(f.kind)} {escape(f.target)}")


def faults_table(lab: str, faults) -> None:
    t = table(f"faults of lab {lab}", "id", "kind", "target", "state")
    for f in sorted(faults, key=lambda f: (f.restored is not None, f.id)):
        row(t, str(f.id), f.kind, f.target, styled("active", "red") if f.restored is None else "restored")
    out.print(t)


def through_drains(left: dict) -> None:
    """Routers with no other path than through the drained elements, or that there are none."""
    if not left:
        err.print("[green]no router sends traffic through the drained elements[/]: taking them down is hitless")
        return
    by_router: dict[str, set[str]] = {}
    for (router, _prefix), via in left.items():
        by_router.setdefault(router, set()).update(via)
    err.print(f"[yellow]{len(by_router)} routers have no other path and still send through the drain[/] "
              "(taking it down cuts them; their fabric must steer around them):")
    for router, via in sorted(by_router.items()):
        n = sum(1 for (r, _p) in left if r == router)
        err.print(escape(f"  {router}: {n} prefixes via {', '.join(sorted(via))}"))


def links_table(lab: str, rows: list[dict]) -> None:
    t = table(f"links of lab {lab}", "link", "macsec", "md5", "BFD", "end", "BFD state", "tx AN", "protected tx",
              "rx ok", "plaintext dropped", "other drops")
    for r in rows:
        pol = Text(r["macsec"] + (f" ({r['backend']}, {r['cipher']}, key {r['tx_key']})" if r["macsec"] != "off" else ""))
        if r.get("mismatched"):
            pol += styled(f" mismatch at {', '.join(r['mismatched'])}", "red")
        for i, e in enumerate(r["ends"]):
            first = i == 0
            row(t, f"{r['id']} {r['bundle']}#{r['member']}" if first else "", pol if first else "",
                ("yes" if r["tcp_md5"] else "no") if first else "", _bfd_timers(r.get("bfd")) if first else "",
                f"{e['node']} {e['ifname']}", _bfd_state(e.get("bfd")), *_port_cells(e))
    out.print(t)


def _bfd_timers(b: dict | None) -> str:
    return f"{b['interval_ms']} ms x {b['multiplier']}" if b else "off"


def _bfd_state(state: str | None) -> Text | str:
    return "-" if state is None else styled(state, "green" if state == "up" else "red")


def _port_cells(end: dict) -> list[str]:
    """A port's MACsec counters, or dashes for a port without MACsec."""
    if "macsec_in" not in end:
        return ["-"] * 5
    drops = ", ".join(f"{k} {v}" for k, v in sorted(end["drops"].items())) or "0"
    return [str(end["tx_an"]), str(end["tx_protected"]), str(end["rx_ok"]), str(end["plaintext_dropped"]), drops]


def probes_table(lab: str, kinds, results: list[tuple]) -> None:
    """``results``: (link, probe result) per link and direction."""
    t = table(f"MACsec probes on lab {lab}: delivered / sent per kind", "link", "direction", *kinds, "verdict")
    for l, r in results:
        row(t, f"{l.id} {l.bundle}#{l.member}", f"{r.sender} -> {r.receiver}",
            *[f"{r.delivered[k]}/{r.sent[k]}" for k in kinds],
            styled("ok", "green") if r.ok else styled("; ".join(r.problems), "red"))
    out.print(t)


def domains_table(topology: str, impacts) -> None:
    t = table(f"capacity lost per failure domain ({escape(topology)}; Gbit/s of link-bandwidth the region's BAG "
              "routers use towards the prefix)", "domain", "prefix", "seen from", "before", "after", "lost")
    for i in impacts:
        row(t, f"{i.kind} {i.label}", i.prefix, f"region {i.region}", f"{i.before_gbps:g}", f"{i.after_gbps:g}",
            styled(f"{i.lost:.0%}", "red" if i.lost >= 0.999 else ""))
    out.print(t)


def domain_confirmed(c) -> None:
    err.print(escape(f"{c.kind} {c.label}: ") + ("[green]confirmed[/]" if not c.problems else
                                                 "[red]differs[/]\n  " + escape("\n  ".join(c.problems))))


def sweep_summary(rep, json_file, html_file) -> None:
    err.print(escape(f"{rep.topology}: {len(rep.items)} failures in {rep.seconds:.0f}s, "
                     f"{rep.violations} violations; {json_file}, {html_file}"))
    for i in rep.items:
        if not i.ok:
            err.print(f"[red]{escape(i.kind)} {escape(i.target)}[/]: " + escape("\n  ".join(i.violations)))
    for s_ in rep.steady:
        err.print(f"[red]steady state[/]: {escape(str(s_))}")


def plan_summary(p, topology_file: str) -> None:
    roles: dict[str, int] = {}
    for n in p.nodes:
        roles[n.role] = roles.get(n.role, 0) + 1
    out.print(f"[bold]{escape(p.topology)}[/] from {escape(topology_file)}: {len(p.nodes)} routers "
              f"({', '.join(f'{v} {k}' for k, v in sorted(roles.items()))}), {len(p.links)} links, "
              f"{len(p.prefixes())} prefixes, {len(p.links) * len(p.address_families)} BGP sessions, plan {p.digest()}")


def plan_tables(p, results) -> None:
    """Nodes, bundles, aggregates and the design checks' ``results``."""
    t = Table(title="nodes", show_lines=False)
    for c in ("node", "role", "ASN", "router-id", "plane", "prefixes", "data hall", "power feed"):
        t.add_column(c)
    for n in p.nodes:
        row(t, n.name, n.role, str(n.asn), n.router_id, str(n.bag_plane or ""), " ".join(n.prefixes),
            n.data_hall or "", n.power_feed or "")
    out.print(t)
    t = table("bundles (port striping)", "bundle", "kind", "members", "speed", "a: ifname", "b: ifname", "macsec")
    bundles: dict[str, list] = {}
    for l in p.links:
        bundles.setdefault(l.bundle, []).append(l)
    for b, ls in bundles.items():
        row(t, b, ls[0].kind, str(len(ls)), _speed(ls[0]), ", ".join(l.a.ifname for l in ls),
            ", ".join(l.b.ifname for l in ls), ls[0].macsec)
    out.print(t)
    if p.aggregates:
        t = table("conditional aggregates (advertised to other regions instead of the more-specifics)",
                  "region", "aggregate", "replaces", "needs")
        for a in p.aggregates:
            row(t, a.region, a.prefix, " ".join(a.covers), f"{a.min_fabrics} of {', '.join(a.fabrics)}")
        out.print(t)
    t = table(f"design checks (drain policy: {escape(p.drain_method)})", "scope", "check", "need", "limit",
              "verdict", "note")
    for c in results:
        row(t, c.scope, c.what, c.need, c.limit, styled("ok", "green") if c.ok else styled("exceeds", "red"), c.note)
    out.print(t)


def _updown(running) -> Text:
    return styled("up", "") if running else styled("down", "red")


def up_line(lab: str, topology: str, verb: str, routers: int, fib_s: float, phases: list[tuple[str, float]]) -> str:
    """One time per thing measured: the phases add up to the total, and the FIB time is named as a part
    of the convergence phase (which also waits for every session and checks RIB against FIB)."""
    head = f"lab [bold]{escape(lab)}[/] ({escape(topology)}) {verb}: {routers} routers"
    if not phases:
        return f"{head}; every FIB as the oracle predicts (checked in {fib_s:.2f}s)"
    parts = ", ".join(f"{name} {s:.2f}s" for name, s in phases)
    return (f"{head} in {sum(s for _, s in phases):.2f}s ({parts}); every FIB as the oracle predicts "
            f"{fib_s:.2f}s after the daemons started (the convergence phase then waits for every session)")


def _faulted(running) -> Text:
    """A daemon a fault stopped is down as predicted; one still running there is not."""
    return styled("down (fault)", "yellow") if not running else styled("up", "red")


def status_tables(st: dict, expected: dict, bag_only: bool, judge: bool = True) -> None:
    """``st`` as lab.workflows.status.gather reports it; ``expected``: the oracle's routes for the faults in force."""
    from lab.config.oracle import neighbour_shares

    out.print(_nodes_table(st))
    if st["in_force"]:
        out.print("[yellow]in force (the expectation includes them):[/] " + escape("; ".join(st["in_force"])))
    t = table("UCMP next hops and weights (kernel FIB)" + (" on BAG routers" if bag_only else ""),
              "node", "prefix", "next hop", "weight", "share", "hw share", "neighbour share", "expected")
    worst = None
    for n in st["nodes"]:
        if bag_only and n["role"] != "bag":
            continue
        if n.get("failed"):
            continue    # switched off by a fault: its (stale) FIB is not judged
        for r in n["routes"]:
            hops = r["nexthops"]
            total = sum(h["weight"] for h in hops) or 1
            shares = neighbour_shares(expected.get(n["name"], {}).get(r["prefix"], []))
            exp = {h["ifname"]: h["weight"] for h in r["expected"]}
            hw = r.get("hardware") or {}
            members = hw.get("members") or {}
            if "max_error_points" in hw and (worst is None or hw["max_error_points"] > worst[0]):
                worst = (hw["max_error_points"], n["name"], r["prefix"], hw)
            for i, h in enumerate(hops or [{"ifname": "-", "weight": 0, "peer": None}]):
                row(t, n["name"] if i == 0 else "", r["prefix"] if i == 0 else "", h["ifname"], str(h["weight"]),
                    f"{100 * h['weight'] / total:.0f}%",
                    f"{100 * members[h['ifname']] / sum(members.values()):.1f}%" if h["ifname"] in members else "-",
                    (" ".join(f"{k} {100 * v:.0f}%" for k, v in shares.items())) if i == 0 else "",
                    styled(str(exp.get(h["ifname"], "-")), "green" if r["as_designed"] else "red"))
            t.add_section()
    out.print(t)
    if worst is not None:
        err.print(escape(f"hardware share: each multipath route's kernel weights in a {worst[3]['table']}-member "
                         f"ASIC group ({worst[3]['rule']}); largest error {worst[0]:.2f} points against the "
                         f"{worst[3]['ideal_from']} shares, at {worst[1]} {worst[2]}"))
    if judge and not st["converged"]:
        err.print("[red]the lab is not as designed: see rows marked red[/]")


def _bfd_cell(b: dict | None) -> Text | str:
    """BFD sessions up of those planned (bfdd's word); yellow when some are not up (a fault in force
    takes its link's sessions down with it), '-' on a router without BFD."""
    if not b or not b["planned"]:
        return "-"
    return styled(f"{b['up']}/{b['planned']}", "" if b["up"] == b["planned"] else "yellow")


def _nodes_table(st: dict) -> Table:
    t = table(escape(f"lab {st['lab']} ({st['topology']})"), "node", "role", "ASN", "zebra", "bgpd", "sessions",
              "BFD up", "prefixes (FIB/expected)", "as designed")
    for n in st["nodes"]:
        d = n["daemons"]
        if n.get("emulator"):
            state = styled("up", "") if all(d.values()) else (
                styled("down (fault)", "yellow") if n.get("failed") else styled("down", "red"))
            row(t, n["name"], f"{n['role']} ({n['emulator']})", str(n["asn"]), "-", Text(f"{'/'.join(d)} ") + state,
                f"-/{n['sessions']['planned']}", "-", "records" if n["role"] == "collector" else "announces", "-")
            continue
        if n.get("failed"):
            row(t, n["name"], n["role"], str(n["asn"]), _faulted(d.get("zebra")), _faulted(d.get("bgpd")),
                f"0/{n['sessions']['planned']}", "-", "-", styled("off (fault)", "yellow"))
            continue
        ok = n["prefixes"]["as_designed"] == len(n["routes"]) and not n["sessions"]["down"]
        by_fault = len(n["sessions"].get("down_by_fault", []))
        row(t, n["name"], n["role"], str(n["asn"]), _updown(d.get("zebra")), _updown(d.get("bgpd")),
            f"{n['sessions']['established']}/{n['sessions']['planned']}"
            + (f" ({by_fault} down by fault)" if by_fault else ""), _bfd_cell(n.get("bfd")),
            f"{n['prefixes']['installed']}/{n['prefixes']['expected']}",
            styled("yes", "green") if ok else styled("no", "red"))
    return t


def say(msg: str) -> None:
    """A workflow's progress line, as it comes (never markup)."""
    err.print(escape(msg))


def rollout_report(rep, reports) -> None:
    """A rollout, rollback or upgrade: its table, its problems, and the reports written under ``reports``."""
    from lab.workflows.rollout import report

    out.print(report.table(rep))
    for line in report.problems(rep):
        err.print(escape(line))
    stem = reports / rep.action
    written = [report.write_json(rep, stem.with_suffix(".json")), report.write_junit(rep, stem.with_suffix(".xml")),
               report.write_html(rep, stem.with_suffix(".html"))]
    err.print("reports: " + ", ".join(escape(str(p)) for p in written))


def _speed(link) -> str:
    """A member's port speed, and the ports it stands for with their sum ('800G x48 = 38.4T')."""
    if link.represents == 1:
        return f"{link.speed_gbps}G"
    total = link.capacity_gbps
    return f"{link.speed_gbps}G x{link.represents} = " + (f"{total / 1000:g}T" if total >= 1000 else f"{total}G")
