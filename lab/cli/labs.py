"""``baglab labs``: the labs present on this host, with their phase and topology."""
from __future__ import annotations

from lab.state import LabPaths, LabState
from lab.cli import views
from lab.cli.app import app


@app.command()
def labs():
    """Labs present on this host (state directories or namespaces)."""
    from lab.runtime.teardown import all_labs

    for n in all_labs():
        s = LabState.read(LabPaths(n))
        phase, topology = ("remnant" if s.phase is None else s.phase), ("?" if s.topology is None else s.topology)
        views.out.print(f"{n}\t{phase}\t{topology}", markup=False)
