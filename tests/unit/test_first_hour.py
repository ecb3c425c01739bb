"""What a newcomer reads in the first hour: one time per thing measured, errors that say what exists."""
from __future__ import annotations

import re

from lab.cli.views import up_line


def test_up_prints_each_time_once_and_says_what_it_measures():
    line = up_line("default", "bag-mini", "up", 14, 1.94,
                   [("plan", 0.01), ("namespaces", 0.21), ("daemons", 0.59), ("convergence", 2.34)])
    assert "converged in" not in line            # two unexplained "convergence" times in one line were the defect
    assert "in 3.15s (plan 0.01s, namespaces 0.21s, daemons 0.59s, convergence 2.34s)" in line
    assert "every FIB as the oracle predicts 1.94s after the daemons started" in line
    assert len(re.findall(r"1\.94s", line)) == 1 and len(re.findall(r"2\.34s", line)) == 1
    again = up_line("default", "bag-mini", "already up", 14, 0.05, [])
    assert "checked in 0.05s" in again and "after the daemons" not in again
