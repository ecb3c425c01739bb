"""A rollout as people and CI read it: a table per phase, JSON, JUnit, and an HTML page whose
timelines show, per phase, packets lost against the phase's own events (drain, reload, undrain).

JUnit: one testcase per phase (a FAIL is a failure, INCONCLUSIVE an error), the phase's checks,
losses and session resets in its text, so a CI system shows which phase broke and why."""
from __future__ import annotations

import base64
import html
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from lab.verdict.checks.report import STYLE, save_junit, save_page, write_json  # noqa: F401 - write_json: any as_dict() report
from lab.verdict.checks.verdict import Status
from lab.workflows.rollout.phase import PhaseResult
from lab.workflows.rollout.run import RolloutReport


def _checks(p: PhaseResult) -> str:
    n = {s: sum(c["status"] == s for c in p.checks) for s in Status}
    return (f"{n[Status.PASS]}/{len(p.checks)} pass" + (f", {n[Status.FAIL]} FAIL" if n[Status.FAIL] else "")
            if p.checks else "-")


def _changed(p: PhaseResult) -> str:
    moved = [r["node"] for r in p.reloads if r["added"] or r["removed"]]
    return f"{len(moved)}/{len(p.routers)}"


def table(rep: RolloutReport):
    from rich.table import Table
    from rich.text import Text

    t = Table(title=f"{rep.action} of {rep.candidate} on lab {rep.lab} ({rep.topology})", title_justify="left")
    for col in ("phase", "verdict", "routers changed", "drain", "sessions reset", "lost / sent", "converged s",
                "checks", "s"):
        t.add_column(col, overflow="fold")
    for p in rep.phases:
        t.add_row(Text(p.name), Text(p.status, style=STYLE[p.status]), _changed(p), "yes" if p.drain else "",
                  str(len(p.sessions_reset)), f"{p.lost} / {p.sent}", "-" if p.converged_s is None else f"{p.converged_s:.1f}",
                  _checks(p), f"{p.seconds:.0f}")
    for n in rep.not_run:
        t.add_row(Text(n), "not run", "", "", "", "", "", "", "")
    t.caption = f"{rep.status} in {rep.seconds:.0f} s; exit code {rep.exit_code}"
    return t


def problems(rep: RolloutReport) -> list[str]:
    """One line per problem, phase first: what a terminal prints under the table."""
    out = []
    for p in rep.phases:
        out += [f"{p.name}: {x}" for x in p.problems + p.notes]
        out += [f"{p.name}: sessions reset: {', '.join(p.sessions_reset)}"] if p.sessions_reset else []
        if p.loss_window_s:
            out.append(f"{p.name}: packets lost between {p.loss_window_s[0]:.1f} s and {p.loss_window_s[1]:.1f} s "
                       f"of the phase (events: {', '.join(f'{w} at {s:.1f} s' for s, w in p.events)})")
        if p.not_probed and p.drain:
            out.append(f"{p.name}: not probed while drained (no other way; the drain cannot help them): "
                       f"{', '.join(p.not_probed)}")
    return out


def junit(rep: RolloutReport) -> str:
    fails = sum(p.status == Status.FAIL for p in rep.phases)
    errs = sum(p.status == Status.INCONCLUSIVE for p in rep.phases)
    suite = ET.Element("testsuite", name=f"baglab-{rep.action} {rep.topology}", tests=str(len(rep.phases)),
                       failures=str(fails), errors=str(errs), skipped=str(len(rep.not_run)), time=f"{rep.seconds:.2f}")
    for p in rep.phases:
        case = ET.SubElement(suite, "testcase", classname=f"baglab.{rep.action}", name=p.name, time=f"{p.seconds:.2f}")
        body = json.dumps({k: v for k, v in p.as_dict().items() if k != "samples"}, indent=1, default=str)
        msg = "; ".join(p.problems[:3]) or p.status
        if p.status == Status.FAIL:
            ET.SubElement(case, "failure", message=msg, type=Status.FAIL.value).text = body
        elif p.status == Status.INCONCLUSIVE:
            ET.SubElement(case, "error", message=msg, type=Status.INCONCLUSIVE.value).text = body
        else:
            ET.SubElement(case, "system-out").text = body
    for n in rep.not_run:
        ET.SubElement(ET.SubElement(suite, "testcase", classname=f"baglab.{rep.action}", name=n), "skipped",
                      message="an earlier phase failed")
    root = ET.Element("testsuites")
    root.append(suite)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(rep: RolloutReport, path: Path) -> Path:
    return save_junit(junit(rep), path)


def timeline_png(p: PhaseResult) -> bytes:
    """Packets not (yet) delivered over the phase, the phase's events as vertical lines."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 2.6), dpi=100)
    if p.samples:
        t = [s[0] for s in p.samples]
        base = p.samples[0][1] - p.samples[0][2]
        ax.plot(t, [s[1] - s[2] - base for s in p.samples], color="tab:red", marker=".",
                label="sent, not yet delivered (readings jitter by a few; a loss stays up)")
    for sec, what in p.events:
        ax.axvline(sec, color="grey", linestyle=":")
        ax.annotate(what, (sec, 0.97), xycoords=("data", "axes fraction"), va="top", ha="left", fontsize=8,
                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="grey", alpha=0.8))
    ax.set_xlabel("seconds into the phase")
    ax.set_ylabel("packets")
    name = p.name.replace("$", r"\$")            # a '$' pair would start matplotlib's TeX
    ax.set_title(f"{name}: {p.status}, {p.lost} of {p.sent} lost", fontsize=10, loc="left")
    if p.samples:
        ax.legend(loc="lower right", fontsize=8, framealpha=0.8)
    else:
        ax.text(0.5, 0.5, "nothing probed in this phase", transform=ax.transAxes, ha="center")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def page(rep: RolloutReport) -> str:
    e = html.escape
    parts = []
    for p in rep.phases:
        img = base64.b64encode(timeline_png(p)).decode()
        checks = "".join(f"<tr class={c['status'].lower()}><td>{e(c['check'])}</td><td>{c['status']}</td>"
                         f"<td>{e(c['summary'])}</td></tr>" for c in p.checks)
        reloads = "".join(f"<li>{e(r['node'])} ({e(r['method'])}, {r['seconds']} s): "
                          f"+{len(r['added'])} -{len(r['removed'])}{' ERROR ' + e(r['error']) if r['error'] else ''}"
                          f"<details><pre>{e(chr(10).join(['+ ' + x for x in r['added']] + ['- ' + x for x in r['removed']]))}"
                          f"</pre></details></li>" for r in p.reloads)
        parts.append(f"""<h2 class={p.status.lower()}>{e(p.name)}: {p.status}</h2>
<p>routers: {e(', '.join(p.routers))}{' (drained while changed)' if p.drain else ''}; {p.lost} of {p.sent}
probe packets lost over {p.pairs} pairs; sessions reset: {e(', '.join(p.sessions_reset) or 'none')};
quiet {'-' if p.converged_s is None else f'{p.converged_s:.1f} s'} after the reload; {p.seconds:.0f} s.</p>
<ul class=problems>{''.join(f'<li>{e(x)}</li>' for x in p.problems)}</ul>
<img alt="timeline of {e(p.name)}" src="data:image/png;base64,{img}">
<details><summary>reloads</summary><ul>{reloads}</ul></details>
<table><tr><th>check</th><th>verdict</th><th>summary</th></tr>{checks}</table>""")
    nr = "".join(f"<li>{e(n)}: not run (an earlier phase failed)</li>" for n in rep.not_run)
    return f"""<!doctype html><meta charset=utf-8><title>baglab {rep.action}: {e(rep.topology)}</title>
<style>body{{font-family:sans-serif;max-width:60em}} td,th{{border:1px solid #ccc;padding:3px 6px}}
table{{border-collapse:collapse}} tr.fail,h2.fail{{background:#fdd}} tr.inconclusive,h2.inconclusive{{background:#ffd}}
.problems li{{color:#a00}}</style>
<h1>{e(rep.action.capitalize())} of {e(str(rep.candidate))}</h1>
<p>lab {e(rep.lab)} ({e(rep.topology)}), baseline {e(str(rep.baseline))}, phases {e(rep.phases_file)}, intents
{e(str(rep.intents))}: <b>{rep.status}</b> in {rep.seconds:.0f} s (exit code {rep.exit_code}).</p>
{''.join(parts)}<ul>{nr}</ul>
"""


def write_html(rep: RolloutReport, path: Path) -> Path:
    return save_page(page(rep), path)
