#!/usr/bin/env python3
"""``baglab check`` timed on a running lab: wall time and peak memory of the command.

Runs the CLI as a child process (what a user or CI job runs), once per kind selection --
everything but the sweep, each kind alone, and the sweep alone -- and reports wall time,
the child's peak RSS, the verdict counts and the exit code.  The lab must be up:
``sudo .venv/bin/baglab up topologies/bag-mini.yaml --name pcb`` then
``sudo .venv/bin/python bench/check.py --name pcb [--sweep] [--json]``.  ``--trees A B`` runs the
same selections from two checkouts (e.g. main and a branch), alternating, for a side-by-side figure.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["reachability", "shares", "attributes", "routes", "advertised", "paths", "drains"]


def run(intents: Path, name: str, only: list[str], tree: Path = ROOT) -> dict:
    """One ``baglab check``; its own peak RSS comes from wait4 (the children's rusage is a running max)."""
    with tempfile.TemporaryDirectory() as d, open(f"{d}/out.txt", "w") as log:
        t = time.monotonic()
        child = subprocess.Popen([sys.executable, "-m", "lab.cli", "check", str(intents), "--name", name,
                                  *[a for k in only for a in ("--only", k)], "--json", f"{d}/c.json",
                                  "--junit", f"{d}/c.xml", "--html", f"{d}/c.html"], stdout=log, stderr=log, cwd=tree,
                                 env={**os.environ, "PYTHONPATH": str(tree)})
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - t
        doc = json.loads(Path(f"{d}/c.json").read_text()) if Path(f"{d}/c.json").exists() else {}
    return {"tree": str(tree), "only": only, "wall_s": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "exit_code": os.waitstatus_to_exitcode(status), "counts": doc.get("counts"), "checks_s": doc.get("seconds")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", required=True, help="the running lab")
    ap.add_argument("--intents", type=Path, default=ROOT / "topologies" / "intents" / "bag-mini.yaml")
    ap.add_argument("--sweep", action="store_true", help="also time the sweep alone")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--trees", nargs="+", type=Path, default=[ROOT], help="checkouts to run the CLI from, alternating")
    a = ap.parse_args()
    selections = [KINDS] + [[k] for k in KINDS] + ([["sweep"]] if a.sweep else [])
    rows = [run(a.intents, a.name, only, tree) for only in selections for tree in a.trees]
    if a.json:
        print(json.dumps(rows, indent=1))
        return
    for r in rows:
        print(f"{Path(r['tree']).name:<10} {'+'.join(r['only'])[:60]:<60} {r['wall_s']:>7.1f} s  "
              f"peak {r['peak_rss_mb']:>6.1f} MB  "
              f"exit {r['exit_code']}  {r['counts']}")


if __name__ == "__main__":
    main()
