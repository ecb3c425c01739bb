"""CDF pictures of convergence per fault kind: the whole distribution, not two numbers.

One PNG per fault kind, fault and restore side by side, one curve per FRR version, the
deadline drawn in; wrong runs (never matched the oracle) have no time, so the legend counts them.
Drawn into memory, written through :func:`lab.safe_io.write_outputs` (no link followed, nothing
written before the directory is judged).
"""
from __future__ import annotations

import io
import re
from pathlib import Path

from lab.verdict.stats import WRONG, Trial, cdf_points, groups
from lab.safe_io import write_outputs


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def cdf_pngs(trials: list[Trial], deadlines: dict[str, float], out_dir: Path, title: str = "") -> list[Path]:
    """Write <out_dir>/convergence-cdf-<kind>.png for every fault kind; returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_kind: dict[str, dict[str, dict[str, list[Trial]]]] = {}
    for (kind, event), by_frr in groups(trials).items():
        by_kind.setdefault(kind, {})[event] = by_frr
    pngs: dict[str, tuple[bytes, int]] = {}
    for kind, events in by_kind.items():
        fig, axes = plt.subplots(1, len(events), figsize=(5.5 * len(events), 3.8), squeeze=False)
        for ax, (event, by_frr) in zip(axes[0], events.items()):
            _panel(ax, kind, event, by_frr, deadlines[event])
        if title:
            fig.suptitle(title, fontsize=9)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
        plt.close(fig)
        pngs[f"convergence-cdf-{_slug(kind)}.png"] = (buf.getvalue(), 0o644)
    return write_outputs(out_dir, pngs)


def _panel(ax, kind: str, event: str, by_frr: dict[str, list[Trial]], deadline_ms: float) -> None:
    for frr, ts in by_frr.items():
        wrong = sum(t.outcome(deadline_ms) == WRONG for t in ts)
        values = [t.overall_ms for t in ts if t.outcome(deadline_ms) != WRONG]
        if not values:
            continue
        xs, ys = cdf_points(values)
        label = f"FRR {frr} (n={len(values)}" + (f", {wrong} wrong)" if wrong else ")")
        ax.step([xs[0]] + xs, [0.0] + ys, where="post", label=label)    # the first rise drawn too
    ax.axvline(deadline_ms, color="red", linestyle="--", linewidth=1, label=f"deadline {deadline_ms:.0f} ms")
    ax.set_xlabel("convergence (ms, last FIB change after the trigger)")
    ax.set_ylabel("fraction of trials")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_title(f"{kind}: {event}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
