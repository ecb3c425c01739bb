"""The N-1 sweep's report files: sweep.json (everything) and sweep.html (what a person reads).

The page names what the JSON holds rather than counting it: the pairs each failure cut off, what
an empty cell means, and for every steady-state split row the tolerance it was judged with and
the verdict, so "passed" can be checked by eye.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

from lab.safe_io import write_outputs

STYLE = """body{font-family:sans-serif;max-width:75em} td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}
table{border-collapse:collapse} tr.bad{background:#fdd} td.ok{color:#070} td.bad{color:#b00;font-weight:bold}
td.num{text-align:right} .note{color:#555}"""


def _e(x) -> str:
    return html.escape(str(x))


def _failure_rows(rep) -> str:
    out = []
    for i in rep.items:
        cut = "<br>".join(_e(c) for c in i.cut_off) or "none"
        bad = "<br>".join(_e(v) for v in i.violations) or "none"
        out.append(f"<tr class={'ok' if i.ok else 'bad'}><td>{_e(i.kind)}</td><td>{_e(i.target)}</td>"
                   f"<td class=num>{i.fault_ms:.0f}</td><td class=num>{i.restore_ms:.0f}</td><td>{cut}</td>"
                   f"<td class={'ok' if i.ok else 'bad'}>{bad}</td></tr>")
    return "".join(out)


def _split_rows(rep) -> str:
    out = []
    for r in rep.splits:
        verdict = r.get("verdict", "not judged per row (older report)")
        tol = f"&plusmn;{r['tolerance']:.0%}" if "tolerance" in r else "-"
        out.append(f"<tr><td>{_e(r['source'])}</td><td>{_e(r['prefix'])}</td><td>{_e(r['router'])}</td>"
                   f"<td>{_e(r['next_hop'])}</td><td class=num>{r['flows']}</td><td class=num>{r['share']:.0%}</td>"
                   f"<td class=num>{r['installed_weight']}</td><td class=num>{r['expected_weight']}</td>"
                   f"<td class=num>{tol}</td><td class={'ok' if verdict == 'ok' else 'bad'}>{_e(verdict)}</td></tr>")
    return "".join(out)


def page(rep) -> str:
    steady = "<br>".join(_e(s) for s in rep.steady) or "none (every row below within its tolerance)"
    cut = sum(1 for i in rep.items if i.cut_off)
    return f"""<!doctype html><meta charset=utf-8><title>N-1 sweep: {_e(rep.topology)}</title>
<style>{STYLE}</style>
<h1>N-1 sweep of {_e(rep.topology)}</h1>
<p>{len(rep.items)} failures in {rep.seconds:.0f} s; violations: {rep.violations}; {cut} of them cut some
pairs of fabrics off, as the oracle predicts.</p>
<p>Steady-state flow split vs weights: {steady}</p>
<p class=note>"Pairs cut off" lists the (source router -&gt; destination prefix) pairs the oracle says this
failure disconnects; they were probed and lost every packet, as they should ("none": every pair stayed
reachable). "Violations: none" means every FIB equalled the oracle, RIB and FIB agreed, every pair the
oracle can reach got every packet, and the steady state came back.</p>
<table><tr><th>kind</th><th>failure</th><th>convergence ms</th><th>restore ms</th>
<th>pairs cut off (explained by the oracle)</th><th>violations</th></tr>{_failure_rows(rep)}</table>
<h2>Steady-state flow split</h2>
<p class=note>Per router on each probed path and next hop: the flows that left through it, their share, the
installed and oracle weights, and the tolerance the share was judged with (four standard deviations of
the flows that crossed that router). "too few flows" means the router saw too few flows to tell a
5-point skew: a failed check, not a pass.</p>
<table><tr><th>source</th><th>prefix</th><th>router</th><th>next hop</th><th>flows</th><th>share</th>
<th>installed weight</th><th>oracle weight</th><th>tolerance</th><th>verdict</th></tr>{_split_rows(rep)}</table>
"""


def write(rep, out_dir: Path, name: str = "sweep") -> tuple[Path, Path]:
    j, h = write_outputs(out_dir, {f"{name}.json": (json.dumps(rep.as_dict(), indent=1), 0o644),
                                   f"{name}.html": (page(rep), 0o644)})
    return j, h
