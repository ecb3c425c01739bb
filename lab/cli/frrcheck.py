"""``baglab frrcheck FILES``: FRR's own parser on config files a user edits (``baglab plan --render``
output, a node's frr.conf), the same check ``up`` runs on every rendered config."""
from __future__ import annotations

from typing import List, Optional

import typer

from lab.cli.app import app
from lab.cli.views import out


@app.command()
def frrcheck(files: List[str] = typer.Argument(..., help="FRR config files, or directories of *.conf files"),
             frr: Optional[str] = typer.Option(None, "--frr", help="check with this FRR version's parser "
                                                "(default: the version each file's 'frr version' line names)")):
    """Check FRR configs with FRR's own parser (its -C dry run; no lab, no daemon needed): each line FRR
    rejects is named with its file and line; exit 2 when any is rejected.  Each file goes to the
    parser of its own FRR version (its 'frr version' line; the host's when it has none)."""
    from lab.config.frrcheck import check_files, config_files

    check_files(files, frr)
    out.print(f"FRR accepts {len(config_files(files))} config file(s)")
