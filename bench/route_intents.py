#!/usr/bin/env python3
"""Route-level intents at scale: ``baglab record`` and ``baglab check`` of a file of N route-level
intents (routes, advertised, paths), each timed as a child process on a running lab.

The file checked is the recorded one, topped up to N statements with per-router leak guards and
path rules (so the count does not depend on how regular the lab is).  The lab must be up and quiet:
``sudo .venv/bin/baglab up topologies/bag-scale.yaml --name scale`` then
``sudo .venv/bin/python bench/route_intents.py --name scale [--intents 50] [--json]``.
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
sys.path.insert(0, str(ROOT))

from lab.state import LabPaths, load_plan  # noqa: E402

KINDS = ["routes", "advertised", "paths"]


def timed(argv: list[str], out: Path) -> dict:
    """Wall time and peak RSS of one CLI child (wait4: its own rusage, not a running max)."""
    with open(out, "w") as f, open(f"{out}.err", "w") as e:
        t = time.monotonic()
        child = subprocess.Popen([sys.executable, "-m", "lab.cli", *argv], stdout=f, stderr=e, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
    return {"wall_s": round(time.monotonic() - t, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "exit_code": os.waitstatus_to_exitcode(status)}


def top_up(text: str, plan, n: int) -> tuple[str, int]:
    """The recorded file plus per-router statements until it holds ``n`` route-level intents."""
    import yaml

    doc = yaml.safe_load(text)
    have = sum(len(doc.get(k) or []) for k in KINDS)
    bags = [x.name for x in plan.nodes if x.role == "bag"]
    extra_routes, extra_paths = [], []
    i = 0
    while have < n and i < len(bags):
        r = bags[i]
        extra_routes.append({"at": r, "prefixes": ["198.18.0.0/15 ge 31", "2001:db8::/32 ge 127"], "expect": "absent"})
        have += 1
        if have < n:
            extra_paths.append({"at": r, "which": "best", "as_path": {"max_length": 4}})
            have += 1
        i += 1
    doc["routes"] = (doc.get("routes") or []) + extra_routes
    doc["paths"] = (doc.get("paths") or []) + extra_paths
    return yaml.safe_dump(doc, sort_keys=False), have


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", required=True, help="the running lab")
    ap.add_argument("--intents", type=int, default=50, help="route-level intents in the checked file")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    plan = load_plan(LabPaths(a.name))
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        rec = timed(["record", "--name", a.name, "-o", str(d / "recorded.yaml")], d / "record.out")
        text = (d / "recorded.yaml").read_text()
        rec["lines"] = text.count("\n")
        checked, count = top_up(text, plan, a.intents)
        (d / "checked.yaml").write_text(checked)
        chk = timed(["check", str(d / "checked.yaml"), "--name", a.name, *[x for k in KINDS for x in ("--only", k)],
                     "--json", str(d / "c.json"), "--junit", str(d / "c.xml"), "--html", str(d / "c.html")],
                    d / "check.out")
        doc = json.loads((d / "c.json").read_text()) if (d / "c.json").exists() else {}
        chk.update(intents=count, counts=doc.get("counts"), checks_s=doc.get("seconds"),
                   quiet_s=next((v["seconds"] for v in doc.get("verdicts", []) if v["check"] == "quiet"), None))
        if chk["exit_code"] != 0:
            chk["failed"] = [v["summary"][:200] for v in doc.get("verdicts", []) if v["status"] != "PASS"][:5]
    rows = {"topology": plan.topology, "routers": sum(x.role != "collector" for x in plan.nodes),
            "record": rec, "check": chk}
    if a.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{plan.topology}: {rows['routers']} routers")
    print(f"  record: {rec['wall_s']} s wall, {rec['lines']} lines, peak {rec['peak_rss_mb']} MB, exit {rec['exit_code']}")
    print(f"  check of {count} route-level intents: {chk['wall_s']} s wall (of which quiet wait {chk['quiet_s']} s), "
          f"peak {chk['peak_rss_mb']} MB, {chk['counts']}, exit {chk['exit_code']}")
    for f in chk.get("failed", []):
        print(f"    {f}")


if __name__ == "__main__":
    main()
