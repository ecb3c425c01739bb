"""``baglab exec NODE -- CMD``: a command run inside one node of a running lab."""
from __future__ import annotations

import os
from typing import List, Optional

import typer

from lab.session import open_lab
from lab.cli.app import app
from lab.cli.common import NameOpt, NodeArg, check_node


@app.command(context_settings={"ignore_unknown_options": True})
def exec(node: str = NodeArg,
         cmd: Optional[List[str]] = typer.Argument(None, metavar="-- CMD", show_default=False,
                                                    help="command and its arguments after '--' (default: bash)"),
         name: str = NameOpt):
    """Run a command inside a node: baglab exec r1-bag1 -- ip route (FRR's shell gets -N added)."""
    with open_lab(name) as s:
        check_node(s.plan, node)
        full = s.runtime.exec_argv(node, list(cmd or ()) or ["bash"])
    os.execvp(full[0], full)
