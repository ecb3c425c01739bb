"""``baglab down``: remove a lab (or, with ``--all``, every lab and what killed runs left)."""
from __future__ import annotations

import typer
from rich.markup import escape

from lab.state import LabPaths
from lab.cli.app import app
from lab.cli.common import NameOpt, lab_paths
from lab.cli.views import err


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
