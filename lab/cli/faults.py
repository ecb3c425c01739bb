"""``baglab faults``: the faults recorded for a lab, active ones first."""
from __future__ import annotations

from lab.session import open_lab
from lab.cli import views
from lab.cli.app import app
from lab.cli.common import NameOpt


@app.command()
def faults(name: str = NameOpt):
    """Faults recorded for the lab, active ones first."""
    with open_lab(name) as s:
        views.faults_table(s.name, s.faults.faults())
