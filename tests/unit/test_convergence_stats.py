"""Percentiles, slow-versus-wrong and the side-by-side table of bench/convergence.py, without a lab."""
from __future__ import annotations

import pytest

from lab.verdict.stats import (SLOW, WRONG, Trial, cdf_points, outcome_counts, percentile, role_ms,
                                   side_by_side, summarise)

DEADLINES = {"fault": 1000.0, "restore": 5000.0}


def trial(ms, converged=True, frr="8.4", kind="link", event="fault", roles=None):
    return Trial(frr, kind, event, "t", converged, ms, roles or {})


def test_nearest_rank_percentiles_are_measured_values():
    values = [float(v) for v in range(1, 21)]          # 1..20
    assert percentile(values, 50) == 10.0
    assert percentile(values, 95) == 19.0
    assert percentile(values, 99) == 20.0              # 20 samples: p99 is the maximum, not an interpolation
    assert percentile([7.0], 50) == 7.0


@pytest.mark.parametrize("q", [0, -1, 101])
def test_percentile_outside_range_is_refused(q):
    with pytest.raises(ValueError):
        percentile([1.0], q)
    with pytest.raises(ValueError):
        percentile([], 50)


def test_slow_is_correct_but_late_and_wrong_never_matched():
    assert trial(999).outcome(1000) == "ok"
    assert trial(1001).outcome(1000) == SLOW
    assert trial(10, converged=False).outcome(1000) == WRONG   # fast but wrong is still wrong


def test_summary_counts_wrong_apart_and_keeps_slow_in_the_tail():
    ts = [trial(100.0 + i) for i in range(18)] + [trial(3000.0), trial(50.0, converged=False)]
    s = summarise(ts, 1000)
    assert (s.n, s.slow, s.wrong) == (19, 1, 1)
    assert s.max == 3000.0 and s.p50 == 109.0
    assert "n=19" in s.cell() and "1 slow" in s.cell() and "1 wrong" in s.cell()


def test_role_is_its_slowest_router_and_a_quiet_role_is_not_a_sample():
    got = role_ms({"r1-bag1": 120.0, "r2-bag1": 180.0, "r1-f2-edge": 90.0}, {"r1-bag1": "bag", "r2-bag1": "bag",
                                                                               "r1-f2-edge": "edge"})
    assert got == {"bag": 180.0, "edge": 90.0}
    ts = [trial(180.0, roles=got), trial(150.0, roles={"bag": 150.0})]
    edge = summarise(ts, 1000, "edge")     # the second trial never touched an edge router: no 0 ms sample
    assert (edge.n, edge.p50, edge.max) == (1, 90.0, 90.0)
    assert summarise(ts, 1000, "bag").n == 2


def test_side_by_side_has_a_column_per_version_and_the_sample_count_in_every_cell():
    ts = [trial(100.0, frr="8.4"), trial(200.0, frr="10.3"), trial(3000.0, frr="10.3", event="restore")]
    lines = side_by_side(ts, DEADLINES)
    assert "FRR 8.4" in lines[0] and "FRR 10.3" in lines[0]
    row = next(l for l in lines if l.startswith("| link | fault | all |"))
    assert "100 / 100 / 100 / 100 ms (n=1)" in row and "200 / 200 / 200 / 200 ms (n=1)" in row
    restore = next(l for l in lines if l.startswith("| link | restore | all |"))
    assert "| - |" in restore          # 8.4 has no restore trial: a dash, not a zero
    assert outcome_counts(ts, DEADLINES)["10.3"] == {"ok": 2, "slow": 0, "wrong": 0}


def test_cdf_steps_end_at_one():
    xs, ys = cdf_points([30.0, 10.0, 20.0])
    assert xs == [10.0, 20.0, 30.0] and ys[-1] == 1.0 and ys[0] == pytest.approx(1 / 3)


def test_cdf_png_per_kind(tmp_path):
    from lab.verdict.cdf import cdf_pngs

    ts = [trial(float(v)) for v in (100, 120, 140)] + [trial(2500.0, event="restore"), trial(9.0, converged=False)]
    paths = cdf_pngs(ts + [trial(300.0, kind="node")], DEADLINES, tmp_path)
    assert sorted(p.name for p in paths) == ["convergence-cdf-link.png", "convergence-cdf-node.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)
