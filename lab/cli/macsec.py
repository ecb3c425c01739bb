"""MACsec verbs: ``macsec rotate`` (the key chain), ``links`` (protection and counters) and
``probe`` (hostile frames on every protected link, each accounted for)."""
from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from lab.errors import LabError
from lab.safe_io import check_output_dir, write_output
from lab.session import open_lab
from lab.cli import views
from lab.cli.app import app, sub_app
from lab.cli.common import NameOpt
from lab.cli.views import err

macsec_app = sub_app("macsec", "MACsec key chain of a running lab.")


@app.command()
def links(name: str = NameOpt, as_json: bool = typer.Option(False, "--json", help="the rows as JSON"),
          protected: bool = typer.Option(False, "--protected", help="only MACsec-protected links")):
    """Each link's protection policy (MACsec, TCP-MD5), BFD timers and state, and its ports' counters."""
    from lab.observe.links import link_report

    with open_lab(name) as s:
        rows = link_report(s.plan, s.paths)
    if protected:
        rows = [r for r in rows if r["macsec"] != "off"]
    if as_json:
        print(json.dumps(rows, indent=1))
        return
    views.links_table(s.name, rows)


@app.command()
def probe(name: str = NameOpt, count: int = typer.Option(10, min=1, help="frames of each kind per link and direction"),
          report: str = typer.Option("reports/macsec-probes.json", help="where the JSON report goes")):
    """Put plaintext, keyed, wrong-key, tampered and replayed frames on every MACsec-only link
    (both directions) and account for each: delivered, or dropped by the right counter."""
    from lab.observe.probes.macsec import KINDS, probe_link

    check_output_dir(Path(report).parent)        # a directory refused now, not after every probe has run
    with open_lab(name) as s:
        links_ = [l for l in s.plan.links if l.a.wire]
        if not links_:
            raise LabError("this lab has no MACsec-protected link")
        results = [(l, probe_link(s.plan, s.paths, l, sender, count=count))
                   for l in links_ for sender in (l.a.node, l.b.node)]
    views.probes_table(s.name, KINDS, results)
    write_output(report, json.dumps([r.__dict__ for _, r in results], indent=1))
    plain = sum(r.delivered["plaintext"] for _, r in results)
    err.print(f"{len(results)} link directions; plaintext frames delivered across protected links: {plain}; "
              f"report: {escape(report)}")
    if not all(r.ok for _, r in results):
        raise typer.Exit(1)


@macsec_app.command("rotate")
def macsec_rotate(name: str = NameOpt):
    """Add a key to the chain and move every protected port to it without dropping a frame."""
    from lab.macsec import secy

    with open_lab(name) as s:
        kid = secy.rotate(s.paths, s.plan)
    err.print(f"every protected port now transmits with key {kid} (AN {kid % 4})")
