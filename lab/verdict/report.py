"""Convergence reports people read: one JSON per run and PNG timelines of FIB changes.

Written through :mod:`lab.safe_io` (the report directory may be shared ground); pictures are drawn
into memory first, so matplotlib never opens a path itself."""
from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

from lab.verdict.measure import EventResult
from lab.observe.timeline import Timeline
from lab.verdict.picture_worker import PictureWorker
from lab.safe_io import remove_output, write_output, write_outputs


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:60]


def timeline_png(path: Path, result: EventResult, timeline: Timeline, nodes: list[str], window_s: float | None = None) -> Path:
    return events_png(path, result, window_events(result, timeline, window_s), nodes)


def window_events(result: EventResult, timeline: Timeline, window_s: float | None = None) -> list:
    """The route events a timeline picture of ``result`` shows: from the trigger to a little past
    the last change (at least one second)."""
    t0 = result.started
    until = t0 + (window_s if window_s else max(1.0, result.overall_ms / 1000 * 1.2 + 0.2))
    return timeline.events(since=t0, until=until)


def events_png(path: Path, result: EventResult, events: list, nodes: list[str], base: Path | None = None) -> Path:
    """Draw and save one timeline picture (picklable arguments: the picture worker runs it); ``base``:
    the report directory ``path`` lies under (the directories between are baglab's: never a link)."""
    fig = timeline_figure(result, events, nodes)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")      # nothing drawn outside the axes is cut off
    import matplotlib.pyplot as plt

    plt.close(fig)
    base = Path(base or path.parent)
    write_outputs(base, {str(path.relative_to(base)): (buf.getvalue(), 0o644)})
    return path


def timeline_title(result: EventResult, width: int = 110) -> str:
    """Scenario on its own line(s), then what happened: a long parametrised test name wraps
    instead of running off the picture."""
    import textwrap

    what = (f"{result.event} {result.kind} {result.target}: {'OK' if result.ok else 'FAILED'}, "
            f"converged in {result.overall_ms:.0f} ms")
    return "\n".join(textwrap.wrap(result.scenario, width, break_on_hyphens=False) + textwrap.wrap(what, width))


def changed_prefixes(events, limit: int = 3) -> dict[str, str]:
    """Node -> the prefixes whose routes changed there, in address order ('+2 more' past ``limit``)."""
    from lab.design.plan import prefix_key

    by_node: dict[str, set[str]] = {}
    for e in events:
        by_node.setdefault(e.node, set()).add(e.prefix)
    out = {}
    for node, ps in by_node.items():
        shown = sorted(ps, key=prefix_key)
        out[node] = ", ".join(shown[:limit]) + (f" +{len(shown) - limit} more" if len(shown) > limit else "")
    return out


def timeline_figure(result: EventResult, evs, nodes: list[str]):
    """Route adds/deletes per router against time; the prefixes each router changed at the right,
    the legend below the axes (never over the data)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t0 = result.started
    fig, ax = plt.subplots(figsize=(10, max(3.5, 0.28 * len(nodes) + 2.0)), layout="constrained")
    ypos = {n: i for i, n in enumerate(nodes)}
    for kind, color, marker in (("add", "tab:green", "o"), ("del", "tab:red", "x")):
        xs = [(e.t - t0) * 1000 for e in evs if e.kind == kind]
        ys = [ypos.get(e.node, -1) for e in evs if e.kind == kind]
        ax.scatter(xs, ys, c=color, marker=marker, s=18, label=f"route {kind}")
    for node, ms in result.per_node_ms.items():
        ax.plot([ms], [ypos.get(node, -1)], marker="|", color="black", markersize=12, linestyle="none")
    ax.plot([], [], marker="|", color="black", markersize=12, linestyle="none", label="router converged")
    ax.axvline(0, color="grey", linestyle="--", linewidth=1, label=result.event)
    ax.set_yticks(range(len(nodes)), nodes, fontsize=7)
    ax.set_ylim(-0.7, len(nodes) - 0.3)
    for node, text in changed_prefixes(evs).items():
        if node in ypos:
            ax.text(1.01, ypos[node], text, transform=ax.get_yaxis_transform(), fontsize=7, va="center")
    ax.text(1.01, 1.0, "prefixes changed", transform=ax.transAxes, fontsize=7, va="bottom", weight="bold")
    ax.set_xlabel(f"ms after the {result.event}")
    fig.suptitle(timeline_title(result), fontsize=9, x=0.01, ha="left")
    fig.legend(loc="outside lower center", ncol=4, fontsize=7, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


class Report:
    """Collects event results during a run and writes them at the end."""

    def __init__(self, directory: Path, lab: str, topology: str):
        self.dir = Path(directory)
        self.lab, self.topology = lab, topology
        self.results: list[tuple[EventResult, str | None]] = []
        self.started = time.time()
        self._pictures = PictureWorker()
        # pictures of an earlier run would mislead; an unfit report directory is refused here, before the run
        remove_output(self.dir, "timelines")

    def add(self, result: EventResult, timeline: Timeline | None = None, nodes: list[str] | None = None) -> None:
        png = None
        if timeline is not None and nodes:
            name = f"{len(self.results) + 1:03d}-{_slug(result.scenario)}-{result.event}.png"
            path = self.dir / "timelines" / name
            self._pictures.submit(events_png, path, result, window_events(result, timeline), nodes, self.dir)
            png = str(path)
        self.results.append((result, png))

    def write(self) -> Path | None:
        """The JSON report, once every timeline picture it names is on disk."""
        self._pictures.wait()
        if not self.results:
            return None
        doc = {"lab": self.lab, "topology": self.topology, "started": self.started, "finished": time.time(),
               "events": [dict(r.as_dict(), timeline_png=png) for r, png in self.results],
               "summary": summary([r for r, _ in self.results])}
        return write_output(self.dir / "convergence-report.json", json.dumps(doc, indent=1))


def summary(results: list[EventResult]) -> dict:
    import statistics

    by_kind: dict[str, list[float]] = {}
    for r in results:
        if r.event == "fault" and r.converged:
            by_kind.setdefault(r.kind, []).append(r.overall_ms)
    return {"events": len(results), "failed": sum(1 for r in results if not r.ok),
            "convergence_ms": {k: {"median": round(statistics.median(v), 1), "max": round(max(v), 1), "n": len(v)}
                               for k, v in sorted(by_kind.items())}}


def summary_lines(results: list[EventResult]) -> list[str]:
    """The terminal's convergence table: scenario names whole (parametrised names share long
    prefixes: cut at a fixed width, three rows read the same), columns as wide as their longest."""
    sw = max([len("scenario")] + [len(r.scenario) for r in results])
    kw = max([len("fault")] + [len(r.kind) for r in results])
    lines = [f"{'scenario':<{sw}} {'event':<8} {'fault':<{kw}} {'ms':>8}  verdict"]
    lines += [f"{r.scenario:<{sw}} {r.event:<8} {r.kind:<{kw}} {r.overall_ms:>8.0f}  {'ok' if r.ok else 'FAILED'}"
              for r in results]
    return lines
