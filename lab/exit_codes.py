"""The exit codes every verdict-giving verb shares, so a CI job can tell them apart.

2 is the CLI's "your input is wrong" (lab.cli.main); a run that could not decide (a lab that
never went quiet, a check that could not be judged) gets its own code, so a pipeline can retry
an undecided run but not a wrong command line."""
from __future__ import annotations

PASSED = 0
FAILED = 1
BAD_INPUT = 2
UNDECIDED = 3
