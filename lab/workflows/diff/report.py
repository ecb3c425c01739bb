"""The diff report on disk: JSON (both snapshots included, so a finding can be re-read without
either lab) and one HTML page, intended and unintended differences apart."""
from __future__ import annotations

import html
import json
from dataclasses import asdict
from pathlib import Path

from lab.safe_io import write_output
from lab.workflows.diff.run import DiffRun


def as_dict(run: DiffRun) -> dict:
    return {"report": run.report.as_dict(), "seconds": run.seconds, "parallel": run.parallel,
            "sides": [{k: v for k, v in asdict(s).items() if k != "snapshot"} for s in run.sides],
            "baseline": run.baseline.as_dict(), "candidate": run.candidate.as_dict()}


def write_json(run: DiffRun, path: str | Path) -> Path:
    return write_output(path, json.dumps(as_dict(run), indent=1, sort_keys=True))


def _rows(diffs) -> str:
    e = html.escape
    return "".join(f"<tr><td>{e(d.aspect)}</td><td>{e(d.router)}</td><td>{e(d.prefix)}</td><td>{e(d.source)}</td>"
                   f"<td>{e(d.before)}</td><td>{e(d.after)}</td><td>{e(d.detail)}</td>"
                   f"<td>{e(d.intended_by or d.mismatch)}</td></tr>"
                   for d in diffs)


def write_html(run: DiffRun, path: str | Path) -> Path:
    rep, e = run.report, html.escape
    head = ("<tr><th>aspect</th><th>router</th><th>prefix</th><th>source / failure</th><th>baseline</th>"
            "<th>candidate</th><th>detail</th><th>intended by / declared</th></tr>")
    verdict = {0: "no unintended difference", 1: "unintended differences"}.get(rep.exit_code, "could not decide")
    steps = "".join(f"<li>{e(s.name)} ({e(s.lab)}): " + ", ".join(f"{k} {v:.1f} s" for k, v in s.steps.items())
                    + "</li>" for s in run.sides)
    return write_output(path, f"""<!doctype html><meta charset=utf-8><title>baglab diff: {e(run.baseline.topology)}</title>
<style>body{{font-family:sans-serif}} td,th{{border:1px solid #ccc;padding:3px 6px;vertical-align:top}}
table{{border-collapse:collapse}} .bad td{{background:#fdd}} .ok td{{background:#efe}}</style>
<h1>baglab diff of {e(run.baseline.topology)}</h1>
<p>baseline {e(str(rep.baseline or 'default'))} vs candidate {e(str(rep.candidate or 'default'))}:
<b>{verdict}</b> ({len(rep.unintended)} unintended, {len(rep.intended)} intended) in {run.seconds:.0f} s.</p>
{''.join(f'<p><b>undecided:</b> {e(u)}</p>' for u in rep.undecided)}
{''.join(f'<p><b>not observed:</b> {e(u)}</p>' for u in rep.unfulfilled)}
<ul>{steps}</ul>
<h2>Unintended</h2><table class=bad>{head}{_rows(rep.unintended)}</table>
<h2>Intended</h2><table class=ok>{head}{_rows(rep.intended)}</table>
""")
