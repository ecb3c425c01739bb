"""Convergence reports people read: one JSON per run and PNG timelines of FIB changes."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

from .measure import EventResult
from .observers.timeline import Timeline


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:60]


def timeline_png(path: Path, result: EventResult, timeline: Timeline, nodes: list[str], window_s: float | None = None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t0 = result.started
    until = t0 + (window_s if window_s else max(1.0, result.overall_ms / 1000 * 1.2 + 0.2))
    evs = timeline.events(since=t0, until=until)
    fig, ax = plt.subplots(figsize=(10, max(3, 0.28 * len(nodes) + 1.2)))
    ypos = {n: i for i, n in enumerate(nodes)}
    for kind, color, marker in (("add", "tab:green", "o"), ("del", "tab:red", "x")):
        xs = [(e.t - t0) * 1000 for e in evs if e.kind == kind]
        ys = [ypos.get(e.node, -1) for e in evs if e.kind == kind]
        ax.scatter(xs, ys, c=color, marker=marker, s=18, label=f"route {kind}")
    for node, ms in result.per_node_ms.items():
        ax.plot([ms], [ypos.get(node, -1)], marker="|", color="black", markersize=12)
    ax.axvline(0, color="grey", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(nodes)), nodes, fontsize=7)
    ax.set_xlabel(f"ms after {result.event} (| = node converged)")
    ax.set_title(f"{result.scenario}: {result.event} {result.kind} {result.target} - "
                 f"{'OK' if result.ok else 'FAILED'}, converged in {result.overall_ms:.0f} ms", fontsize=9)
    ax.legend(loc="lower right", fontsize=7)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


class Report:
    """Collects event results during a run and writes them at the end."""

    def __init__(self, directory: Path, lab: str, topology: str):
        self.dir = Path(directory)
        self.lab, self.topology = lab, topology
        self.results: list[tuple[EventResult, str | None]] = []
        self.started = time.time()
        import shutil

        shutil.rmtree(self.dir / "timelines", ignore_errors=True)   # pictures of an earlier run would mislead

    def add(self, result: EventResult, timeline: Timeline | None = None, nodes: list[str] | None = None) -> None:
        png = None
        if timeline is not None and nodes:
            name = f"{len(self.results) + 1:03d}-{_slug(result.scenario)}-{result.event}.png"
            png = str(timeline_png(self.dir / "timelines" / name, result, timeline, nodes))
        self.results.append((result, png))

    def write(self) -> Path | None:
        if not self.results:
            return None
        self.dir.mkdir(parents=True, exist_ok=True)
        doc = {"lab": self.lab, "topology": self.topology, "started": self.started, "finished": time.time(),
               "events": [dict(r.as_dict(), timeline_png=png) for r, png in self.results],
               "summary": summary([r for r, _ in self.results])}
        path = self.dir / "convergence-report.json"
        path.write_text(json.dumps(doc, indent=1))
        return path


def summary(results: list[EventResult]) -> dict:
    import statistics

    by_kind: dict[str, list[float]] = {}
    for r in results:
        if r.event == "fault" and r.converged:
            by_kind.setdefault(r.kind, []).append(r.overall_ms)
    return {"events": len(results), "failed": sum(1 for r in results if not r.ok),
            "convergence_ms": {k: {"median": round(statistics.median(v), 1), "max": round(max(v), 1), "n": len(v)}
                               for k, v in sorted(by_kind.items())}}
