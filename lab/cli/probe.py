"""``baglab probe``: hostile frames on every MACsec-only link, each one accounted for."""
from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from lab.safe_io import check_output_dir, write_output
from lab.session import open_lab
from lab.cli import views
from lab.cli.app import app
from lab.cli.common import NameOpt
from lab.cli.views import err


@app.command()
def probe(name: str = NameOpt, count: int = typer.Option(10, min=1, help="frames of each kind per link and direction"),
          report: str = typer.Option("reports/macsec-probes.json", help="where the JSON report goes")):
    """Put plaintext, keyed, wrong-key, tampered and replayed frames on every MACsec-only link
    (both directions) and account for each: delivered, or dropped by the right counter."""
    from lab.observe.probes.macsec import KINDS, probe_protected

    check_output_dir(Path(report).parent)        # a directory refused now, not after every probe has run
    with open_lab(name) as s:
        results = probe_protected(s.plan, s.paths, count)
    views.probes_table(s.name, KINDS, results)
    write_output(report, json.dumps([r.__dict__ for _, r in results], indent=1))
    plain = sum(r.delivered["plaintext"] for _, r in results)
    err.print(f"{len(results)} link directions; plaintext frames delivered across protected links: {plain}; "
              f"report: {escape(report)}")
    if not all(r.ok for _, r in results):
        raise typer.Exit(1)
