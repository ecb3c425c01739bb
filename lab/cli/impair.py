"""``baglab impair BUNDLE``: loss, delay, jitter and duplication on member links, journalled like faults
(``baglab faults`` lists them, ``--clear`` or ``baglab restore`` undoes them)."""
from __future__ import annotations

from typing import List, Optional

import typer

from lab.errors import LabError
from lab.impair.spec import Impairment, fibre_delay_ms
from lab.session import open_lab
from lab.cli import views
from lab.cli.app import app
from lab.cli.common import BundleArg, MembersOpt, NameOpt, WaitOpt, bundle_links
from lab.cli.fault import inject
from lab.cli.views import err


def impairment(loss: float, delay: float, jitter: float, duplicate: float, fibre_km: float) -> Impairment:
    """The options as one checked impairment; a bad value is one line naming the option."""
    try:
        return Impairment(loss, delay + fibre_delay_ms(fibre_km), jitter, duplicate)
    except ValueError as exc:
        raise LabError(f"baglab impair: {exc}") from None


@app.command()
def impair(bundle: str = BundleArg, member: Optional[List[int]] = MembersOpt,
           loss: float = typer.Option(0.0, "--loss", help="percent of frames lost, each direction"),
           delay: float = typer.Option(0.0, "--delay", help="added one-way delay, ms"),
           jitter: float = typer.Option(0.0, "--jitter", help="uniform spread around the delay, ms"),
           duplicate: float = typer.Option(0.0, "--duplicate", help="percent of frames sent twice"),
           fibre_km: float = typer.Option(0.0, "--fibre-km", help="adds the delay of this much fibre (5 us/km)"),
           clear: bool = typer.Option(False, "--clear", help="remove the impairment of these links"),
           name: str = NameOpt, wait: bool = WaitOpt):
    """Impair member links (default: every member of the bundle), or --clear them."""
    if clear:
        clear_links(name, bundle, member, wait)
        return
    imp = impairment(loss, delay, jitter, duplicate, fibre_km)

    def make(fi, plan):
        made = [fi.impair(link, imp) for link in bundle_links(plan, bundle, member)]
        for f in made[:-1]:
            views.fault_made(f)
        return made[-1]
    inject(name, make, wait and imp.beyond_recovery, lambda plan: bundle_links(plan, bundle, member))


def clear_links(name: str, bundle: str, member: Optional[List[int]], wait: bool) -> None:
    """Undo the links' impairments; then (unless --no-wait) check the lab returns to the oracle's state."""
    from lab.workflows.inject import clear_impairments

    with open_lab(name) as s:
        links = bundle_links(s.plan, bundle, member)
        res = clear_impairments(s, links, wait, on_cleared=lambda f: err.print(f"cleared fault {f.id}: {f.target}"))
        if res is not None:
            views.verdict(res)
