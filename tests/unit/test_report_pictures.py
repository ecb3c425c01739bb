"""Pictures people read: the timeline's title stays on the image, the legend off the data, prefixes named."""
from __future__ import annotations

import time

from lab.verdict.measure import EventResult
from lab.observe.timeline import RouteEvent
from lab.verdict.report import changed_prefixes, timeline_figure


def _result(scenario: str) -> EventResult:
    return EventResult(scenario, "fault", "plane", "BAG plane 1 of r1", time.time(), {}, True, 1.1,
                       {"r1-bag1": 80.0, "r2-bag1": 1150.0})


def _events(t0: float) -> list[RouteEvent]:
    return [RouteEvent(t0 + 0.08, "r1-bag1", "del", "198.19.2.0/24", True, 1),
            RouteEvent(t0 + 1.15, "r2-bag1", "add", "2001:db8:1000:100::/56", True, 2),
            RouteEvent(t0 + 1.15, "r2-bag1", "add", "198.19.10.0/24", True, 2),
            RouteEvent(t0 + 1.15, "r2-bag1", "add", "198.19.9.0/24", True, 2)]


def test_timeline_title_and_legend_stay_off_the_data_and_on_the_picture():
    r = _result("test_status_is_as_designed_during_a_predicted_fault[plane-1-of-r1-power-" + "x" * 80 + "]")
    fig = timeline_figure(r, _events(r.started), ["r1-bag1", "r1-bag2", "r2-bag1"])
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.get_window_extent(renderer)
    title = fig._suptitle.get_window_extent(renderer)
    assert title.x0 >= page.x0 and title.x1 <= page.x1, (title, page)       # wrapped, not run off
    axes = fig.axes[0].get_window_extent(renderer)
    legend = fig.legends[0].get_window_extent(renderer)
    assert not legend.overlaps(axes), (legend, axes)                         # below the plot, not on it
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "198.19.2.0/24" in texts and "198.19.9.0/24, 198.19.10.0/24, 2001:db8:1000:100::/56" in texts


def test_changed_prefixes_are_numeric_and_bounded():
    t0 = time.time()
    evs = [RouteEvent(t0, "n", "add", f"198.19.{i}.0/24", True, 1) for i in (10, 9, 2, 100)]
    assert changed_prefixes(evs) == {"n": "198.19.2.0/24, 198.19.9.0/24, 198.19.10.0/24 +1 more"}


def test_convergence_summary_keeps_scenario_names_whole():
    from lab.verdict.report import summary_lines

    base = "test_failure_domain_loss_and_restoration_of_the_lab"       # > 48 characters, shared
    rs = [_result(f"{base}[{p}]") for p in ("power_feed-pf1b", "data_hall-dh1b", "power_feed-pf2a")]
    lines = summary_lines(rs)
    assert len({line.split()[0] for line in lines[1:]}) == 3, lines
    assert all(f"{base}[" in line for line in lines[1:])
    col = lines[0].index("event")
    assert all(line[col:].startswith("fault") for line in lines[1:])          # columns line up


def test_domain_heatmap_names_fabrics_sorts_numerically_and_labels_zero(mini):
    from lab.verdict import domains as dm

    impacts = dm.report(mini)
    rows, cols, grid = dm.heatmap_grid(impacts, dm.fabric_names(mini))
    assert cols[0].startswith("r1-f1 (198.19.0.0/24)")
    v6 = [c for c in cols if c.startswith("r1-f2 (2001")]
    assert v6 and v6[0].startswith("r1-f2 (2001:db8:1000:100::/56)")
    f1 = [c for c in cols if c.startswith("r1-f1 (2001")]
    assert f1[0].startswith("r1-f1 (2001:db8:1000::/56)")       # numeric: ...1000:: is the first /56
    assert any(0.0 in row for row in grid)
    fig = dm.heatmap_figure(impacts, dm.fabric_names(mini))
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert len(labels) == len(rows) * len(cols) and "0%" in labels


class _Timeline:
    def __init__(self, events):
        self._events = events

    def events(self, since, until=None):
        return [e for e in self._events if e.t >= since and (until is None or e.t <= until)]


def test_report_writes_every_timeline_before_the_json_names_it(tmp_path):
    """Pictures are drawn by a worker process; write() returns only when they are all on disk."""
    import json

    from lab.verdict.report import Report

    rep = Report(tmp_path, "lab", "bag-mini")
    for scenario in ("first", "second"):
        r = _result(scenario)
        rep.add(r, _Timeline(_events(r.started)), ["r1-bag1", "r2-bag1"])
    doc = json.loads(rep.write().read_text())
    pngs = [e["timeline_png"] for e in doc["events"]]
    assert len(pngs) == 2 and all(open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_a_picture_that_fails_to_draw_is_an_error_at_write(tmp_path):
    import pytest

    from lab.verdict.picture_worker import PictureWorker

    w = PictureWorker()
    w.submit(int, "not a number")
    with pytest.raises(ValueError):
        w.wait()
