"""``baglab restore [ID]``: faults undone (drains stay) and the lab judged against the oracle."""
from __future__ import annotations

from typing import Optional

import typer

from lab.session import open_lab
from lab.cli import views
from lab.cli.app import app
from lab.cli.common import NameOpt, WaitOpt
from lab.cli.views import err


@app.command()
def restore(fault_id: Optional[int] = typer.Argument(None, help="default: every active fault"),
            name: str = NameOpt, wait: bool = WaitOpt):
    """Undo faults and check the lab returns to the oracle's state."""
    from lab.workflows import inject as wf

    def restored(done, drains_left: bool):
        err.print(f"restored {len(done)} fault(s)" + ("; drains stay (baglab undrain)" if drains_left else ""))

    with open_lab(name) as s:
        res = wf.restore(s, fault_id, wait, on_restored=restored)
        if res is not None:
            views.verdict(res)
