"""TEMPORARY stand-in for the reload engineer's module (same API), for integration testing."""
from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bgp.render import frr_files

from .. import safe_io
from ..plan import Plan
from ..state import LabPaths


@dataclass
class ReloadResult:
    node: str
    method: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def reload_node(plan: Plan, paths: LabPaths, node: str, text: str) -> ReloadResult:
    t = time.monotonic()
    for fname, content in frr_files(text, node).items():
        safe_io.write_file(paths.node_dir(node) / fname, content, mode=0o640, owner=safe_io.frr_owner())
    ns = paths.netns(node)
    conf = Path(tempfile.mkdtemp(prefix="blr-"))
    (conf / ns).mkdir()
    (conf / ns / "vtysh.conf").write_text("service integrated-vtysh-config\n")
    base = ["/usr/lib/frr/frr-reload.py", "-N", ns, "--confdir", str(conf), "--rundir", str(conf), "--bindir", "/usr/bin",
            "--stdout"]
    f = conf / "new.conf"
    f.write_text(text)
    test = subprocess.run(base + ["--test", str(f)], capture_output=True, text=True)
    added, removed, cur = [], [], None
    for line in test.stdout.splitlines():
        if line.startswith("Lines To Delete"):
            cur = removed
        elif line.startswith("Lines To Add"):
            cur = added
        elif cur is not None and line.strip() and not line.startswith("="):
            cur.append(line.strip())
    r = subprocess.run(base + ["--reload", str(f)], capture_output=True, text=True)
    err = "" if r.returncode == 0 else (r.stderr or r.stdout)[-300:]
    return ReloadResult(node, "frr-reload", added, removed, time.monotonic() - t, err)
