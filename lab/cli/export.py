"""``baglab export TOPOLOGY``: the topology written for another runner (containerlab)."""
from __future__ import annotations

from typing import Optional

import typer
from rich.markup import escape

from lab.cli.app import app
from lab.config.export import ExportFormat
from lab.cli.common import PolicyOpt, TopoArg
from lab.cli.views import err


@app.command()
def export(topology: str = TopoArg, fmt: ExportFormat = typer.Option(ExportFormat.CONTAINERLAB, "--format",
                                                         help="containerlab (.clab.yml)"),
           out_dir: Optional[str] = typer.Option(None, "--out", "-o", help="default: exports/<topology>"),
           image: Optional[str] = typer.Option(None, help="node image (default: the tag 'make docker-image' builds)"),
           policy: Optional[str] = PolicyOpt):
    """Write the topology for another runner: containerlab / clabernetes, node configs as binds."""
    from lab.config.export import export_cli
    from lab.config.policy.git_source import opened

    with opened(policy) as src:
        exp = export_cli(topology, fmt.value, out_dir, image, src.path)
    err.print(escape(f"wrote {exp.topology_file} and {len(exp.files) - 1} node files; "
                     f"run: containerlab deploy -t {exp.topology_file}"), soft_wrap=True)
    if exp.secret_files:
        err.print(escape(f"warning: {len(exp.secret_files)} files hold TCP-MD5 passwords in clear (mode 0600, "
                         f"e.g. {exp.secret_files[0]}): keep them out of version control"), soft_wrap=True)
