"""A check run as people and machines read it: a terminal table, JSON, JUnit XML and one HTML page.

JUnit because every CI system reads it (one testcase per check; a FAIL is a failure, an
INCONCLUSIVE an error: "could not decide" must not look like "passed" nor like "unsafe")."""
from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from lab.safe_io import write_output
from lab.verdict.checks.verdict import CheckReport, Status

STYLE = {Status.PASS: "green", Status.FAIL: "bold red", Status.INCONCLUSIVE: "yellow"}


def table(rep: CheckReport):
    from rich.table import Table

    t = Table(title=f"intent checks: {rep.intents} on lab {rep.lab} ({rep.topology})", title_justify="left")
    for col in ("check", "verdict", "s", "summary"):
        t.add_column(col, overflow="fold", justify="right" if col == "s" else "left")
    for v in rep.verdicts:
        t.add_row(v.check, f"[{STYLE[v.status]}]{v.status}[/]", f"{v.seconds:.1f}", v.summary)
    c = rep.counts()
    t.caption = (f"{c['PASS']} passed, {c['FAIL']} failed, {c['INCONCLUSIVE']} inconclusive in {rep.seconds:.1f} s; "
                 f"exit code {rep.exit_code}")
    return t


def write_json(rep, path: Path) -> Path:
    """Any report with ``as_dict()`` (a check run, a rollout)."""
    return write_output(path, json.dumps(rep.as_dict(), indent=1, default=str) + "\n")


def junit(rep: CheckReport) -> str:
    c = rep.counts()
    suite = ET.Element("testsuite", name=f"baglab-check {rep.topology}", tests=str(len(rep.verdicts)),
                       failures=str(c[Status.FAIL]), errors=str(c[Status.INCONCLUSIVE]), time=f"{rep.seconds:.2f}")
    for v in rep.verdicts:
        case = ET.SubElement(suite, "testcase", classname=f"baglab.{v.kind}", name=v.check, time=f"{v.seconds:.2f}")
        body = v.summary + "\n" + json.dumps(v.evidence, indent=1, default=str)
        if v.status == Status.FAIL:
            ET.SubElement(case, "failure", message=v.summary, type=Status.FAIL.value).text = body
        elif v.status == Status.INCONCLUSIVE:
            ET.SubElement(case, "error", message=v.summary, type=Status.INCONCLUSIVE.value).text = body
        else:
            ET.SubElement(case, "system-out").text = body
    root = ET.Element("testsuites")
    root.append(suite)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def save_junit(text: str, path: Path) -> Path:
    ET.fromstring(text.split("?>", 1)[1])      # what we hand a CI system must parse
    return write_output(path, text)


def write_junit(rep: CheckReport, path: Path) -> Path:
    return save_junit(junit(rep), path)


def _findings(v) -> str:
    """A route-level verdict's findings one per line: a leak of 90 prefixes is a list to read, not a paragraph."""
    found = v.evidence.get("findings") if isinstance(v.evidence, dict) else None
    if not found:
        return ""
    total = v.evidence.get("findings_total", len(found))
    more = f"<li>... {total - len(found)} more (the JSON report keeps {len(found)})</li>" if total > len(found) else ""
    items = "".join(f"<li>{html.escape(f)}</li>" for f in found)
    return f"<details><summary>{total} finding(s)</summary><ul class=findings>{items}{more}</ul></details>"


def page(rep: CheckReport) -> str:
    e = html.escape
    rows = "".join(
        f"<tr class={v.status.lower()}><td>{e(v.check)}</td><td>{v.status}</td><td>{v.seconds:.1f}</td>"
        f"<td>{e(v.summary)}{_findings(v)}<details><summary>evidence</summary>"
        f"<pre>{e(json.dumps(v.evidence, indent=1, default=str))}</pre></details></td></tr>" for v in rep.verdicts)
    c = rep.counts()
    return f"""<!doctype html><meta charset=utf-8><title>baglab check: {e(rep.topology)}</title>
<style>body{{font-family:sans-serif}} td,th{{border:1px solid #ccc;padding:3px 6px;vertical-align:top}}
table{{border-collapse:collapse}} tr.fail{{background:#fdd}} tr.inconclusive{{background:#ffd}}
tr.pass td:nth-child(2){{color:#070}} pre{{font-size:smaller}}
ul.findings{{font-family:monospace;font-size:smaller;margin:2px 0;padding-left:18px}}</style>
<h1>Intent checks of {e(rep.topology)}</h1>
<p>{e(rep.intents)} on lab {e(rep.lab)}: {c['PASS']} passed, {c['FAIL']} failed, {c['INCONCLUSIVE']} inconclusive
in {rep.seconds:.1f} s; exit code {rep.exit_code}.</p>
<table><tr><th>check</th><th>verdict</th><th>s</th><th>summary and evidence</th></tr>{rows}</table>
"""


def save_page(text: str, path: Path) -> Path:
    return write_output(path, text)


def write_html(rep: CheckReport, path: Path) -> Path:
    return save_page(page(rep), path)
