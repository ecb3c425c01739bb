#!/usr/bin/env python3
"""Convergence after link, node and plane failures as distributions: p50/p95/p99/max per fault
kind and router role, slow runs kept apart from wrong ones, per FRR version side by side.

Method (docs/benchmarks/convergence.md): the trigger is the fault's first action (its
timestamp taken just before it); the end is the last BGP route change in any live router's
kernel FIB (netlink event timestamps) after which every FIB equals the oracle and stays so for
0.5 s.  A trial that never matched the oracle within the wait is *wrong*; one that matched but
later than the deadline is *slow*.  Trials are interleaved (trial i of each kind on each FRR
version's lab, all up at once, then trial i+1), so a change in the machine's load touches all
kinds and versions alike.  Run as root:

    sudo .venv/bin/python bench/convergence.py --trials 20 --frr 8.4 10.3 10.7 --skip-large
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.workflows.build import up  # noqa: E402
from lab.verdict.cdf import cdf_pngs  # noqa: E402
from lab.verdict.stats import Trial, outcome_counts, role_ms, side_by_side  # noqa: E402
from lab.frr.roots import host_version  # noqa: E402
from lab.design.generate import generate  # noqa: E402
from lab.verdict.measure import after_fault, after_restore, judge  # noqa: E402
from lab.runtime import down_lab  # noqa: E402
from lab.session import open_lab  # noqa: E402
from lab.state import LabPaths  # noqa: E402
from lab.config.oracle import NONE  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WAIT_S = {"fault": 60.0, "restore": 90.0}     # how long a trial may take before it is called wrong


def spread(items: list, k: int) -> list:
    """k items evenly spaced through the list: deterministic and not all from one corner."""
    if len(items) <= k:
        return items
    return [items[round(i * (len(items) - 1) / (k - 1))] for i in range(k)] if k > 1 else items[:1]


def cases(plan, fi, targets: int) -> dict[str, list]:
    """Fault kind -> fault makers over up to ``targets`` spread targets.
    link: an inter-BAG cable pulled (carrier loss at both routers; through the SecY where protected);
    link-shut: the same links' router interfaces shut at both ends (what FRR hears of at once);
    bundle-carrier: every member of a multi-member plain bundle loses carrier at one router."""
    inter = spread([l for l in plan.links if l.kind == "interbag"], targets)
    plain = sorted({l.bundle for l in plan.links if l.macsec == "off" and l.kind != "collector" and l.member > 1})
    planes = sorted({n.bag_plane for n in plan.nodes if n.role == "bag"})
    return {
        "link": [lambda l=l: fi.link(l) for l in inter],
        "link-shut": [lambda l=l: fi.link(l, mode="shut") for l in inter],
        "bundle-carrier": [lambda b=b: fi.bundle(b, side="b", mode="carrier") for b in spread(plain, targets)],
        "node": [lambda n=n: fi.node(n, "crash") for n in spread([n.name for n in plan.nodes if n.role == "bag"],
                                                                   targets)],
        "plane": [lambda p=p: fi.plane(p) for p in spread(planes, targets)],
    }


def run_versions(label: str, topology: Path, labs: dict[str | None, str], trials: int, kinds: list[str],
                 saved: list[Trial], save) -> None:
    """One lab per FRR version, all up at once, trials interleaved (trial i of each kind on each
    version, then trial i+1): the versions see the same machine, whatever its load does meanwhile.
    Every trial is appended to ``saved`` and ``save()`` called: an interrupted run keeps its trials."""
    with contextlib.ExitStack() as stack:
        sessions = {}
        for frr, lab in labs.items():
            paths = LabPaths(lab)
            down_lab(paths)
            stack.callback(down_lab, paths)
            plan = up(topology, lab, frr=frr).plan
            session = stack.enter_context(open_lab(paths, plan))
            sessions[frr or host_version()] = (session, cases(plan, session.faults, targets=trials))
        for i in range(trials):
            for kind in kinds:
                for version, (session, makers) in sessions.items():
                    if makers[kind]:
                        saved += _trial(session, version, kind, makers[kind][i % len(makers[kind])], label)
                        save()


def _trial(session, version: str, kind: str, make, label: str) -> list[Trial]:
    """Fault then restore; a wrong trial is kept, and the lab is brought back to the oracle's
    steady state before the next one (else every later trial would inherit the damage)."""
    plan, paths, fi, tl = session.plan, session.paths, session.faults, session.timeline
    role_of = {n.name: n.role for n in plan.nodes}
    f = make()
    r = after_fault(plan, paths, tl, f, fi.failures(), kind, check_rib=False, deadline_s=WAIT_S["fault"])
    back = after_restore(plan, paths, tl, fi.restore(f)[0], fi.failures(), kind, check_rib=False,
                         deadline_s=WAIT_S["restore"])
    if not back.converged:
        steady = judge(plan, paths, tl, NONE, time.time(), scenario=kind, event="steady", kind="none",
                       target="steady", deadline_s=120, check_rib=False)
        if not steady.converged:
            raise SystemExit(f"{label} FRR {version}: the lab did not come back after {kind} {f.target}:\n"
                             f"{steady.report}")
    got = [Trial(version, kind, res.event, f.target, res.converged, round(res.overall_ms, 1),
                 {k: round(v, 1) for k, v in role_ms(res.per_node_ms, role_of).items()}) for res in (r, back)]
    print(f"  {label:<9} FRR {version:<5} {kind:<15} {f.target:<36} fault {r.overall_ms:7.0f} ms"
          f"{'' if r.converged else ' WRONG'}   restore {back.overall_ms:7.0f} ms{'' if back.converged else ' WRONG'}",
          file=sys.stderr, flush=True)
    return got


def load_note() -> dict:
    """The machine's load with the figures: 2 shared cores make a loaded run's tail the neighbours'."""
    one, five, fifteen = os.getloadavg()
    return {"loadavg": [round(one, 2), round(five, 2), round(fifteen, 2)], "cpus": os.cpu_count(),
            "at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}


def busy(notes: list[dict]) -> bool:
    return any(n["loadavg"][0] > 0.5 * (n["cpus"] or 1) for n in notes)


def report(runs: dict[str, list[Trial]], deadlines: dict[str, float], notes: list[dict], out: Path) -> str:
    lines = []
    for label, trials in runs.items():
        lines += [f"### {label}", ""] + side_by_side(trials, deadlines) + [""]
        for v, c in outcome_counts(trials, deadlines).items():
            lines.append(f"FRR {v}: {c['ok']} ok, {c['slow']} slow (correct, after the deadline), "
                         f"{c['wrong']} wrong (never matched the oracle)")
        pics = cdf_pngs(trials, deadlines, out / label, title=f"{label}: convergence CDF per fault kind")
        lines += ["", "CDFs: " + ", ".join(str(p) for p in pics), ""]
    loads = "; ".join(f"{n['at']}: load {n['loadavg'][0]}/{n['loadavg'][1]}/{n['loadavg'][2]} on {n['cpus']} CPUs"
                      for n in notes)
    lines.append(f"Deadlines: fault {deadlines['fault']:.0f} ms, restore {deadlines['restore']:.0f} ms. {loads}.")
    if busy(notes):
        lines.append("The machine was loaded (load average above half its CPUs): these figures must be "
                     "re-measured on a quiet machine before they are relied on.")
    return "\n".join(lines)


def _on_sigterm(pid: int, out: Path):
    """SIGTERM unwinds the run (its labs taken down, trials kept).  pyroute2 forks helpers that
    inherit this handler and are ended by SIGTERM: such a fork must just die, never unwind the
    parent's stack (it would take the lab being built down under the parent)."""
    def handler(signum, frame):
        if os.getpid() != pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        sys.exit(f"bench/convergence.py: SIGTERM, trials so far in {out}")
    return handler


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", "--samples", type=int, default=20, help="trials per fault kind (>= 20 for a p95)")
    ap.add_argument("--frr", nargs="+", default=[None], help="FRR versions, one lab each, measured side by side")
    ap.add_argument("--kinds", nargs="+", default=["link", "link-shut", "bundle-carrier", "node", "plane"])
    ap.add_argument("--fault-deadline-ms", type=float, default=1000.0)
    ap.add_argument("--restore-deadline-ms", type=float, default=5000.0)
    ap.add_argument("--skip-large", action="store_true", help="bag-mini only (no 116-router lab)")
    ap.add_argument("--lab-prefix", default="bcv", help="the labs are <prefix>-m<version> and <prefix>-g<version>")
    ap.add_argument("--out", type=Path, default=ROOT / "reports/convergence-bench")
    ap.add_argument("--from-json", type=Path, help="no lab: tables and CDFs again from a run's trials.json")
    args = ap.parse_args()
    deadlines = {"fault": args.fault_deadline_ms, "restore": args.restore_deadline_ms}
    if args.from_json:
        doc = json.loads(args.from_json.read_text())
        runs = {k: [Trial(**t) for t in v] for k, v in doc["runs"].items()}
        print(report(runs, deadlines, doc["load"], args.out))
        return
    # one lab per version actually run: '8.4 8.4', or the host's version named beside another,
    # would put two labs' trials under one key
    args.frr = list(dict.fromkeys(None if v == host_version() else v for v in args.frr))
    notes, runs = [load_note()], {}
    args.out.mkdir(parents=True, exist_ok=True)

    def save():
        (args.out / "trials.json").write_text(json.dumps(
            {"deadlines_ms": deadlines, "load": notes + [load_note()],
             "runs": {k: [t.as_dict() for t in v] for k, v in runs.items()}}, indent=1))

    signal.signal(signal.SIGTERM, _on_sigterm(os.getpid(), args.out))
    with tempfile.TemporaryDirectory() as tmp:
        topologies = {"bag-mini": ROOT / "topologies/bag-mini.yaml"}
        if not args.skip_large:
            topologies["generated"] = Path(tmp) / "gen.yaml"
            topologies["generated"].write_text(generate("bag-gen"))
        for label, topo in topologies.items():
            runs[label] = []
            labs = {v: f"{args.lab_prefix}-{label[0]}{(v or 'h').replace('.', '')}" for v in args.frr}
            run_versions(label, topo, labs, args.trials, args.kinds, runs[label], save)
            notes.append(load_note())
    save()
    text = report(runs, deadlines, notes, args.out)
    (args.out / "convergence.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
