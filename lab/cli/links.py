"""``baglab links``: each link's protection (MACsec, TCP-MD5), BFD and its ports' counters."""
from __future__ import annotations

import json

import typer

from lab.session import open_lab
from lab.cli import views
from lab.cli.app import app
from lab.cli.common import NameOpt


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
