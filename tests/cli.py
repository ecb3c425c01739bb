"""The baglab CLI as a live test runs it: a subprocess of this interpreter, output captured, and a
failure that shows what the command printed."""
from __future__ import annotations

import subprocess
import sys

BAGLAB = [sys.executable, "-m", "lab.cli"]


def baglab(*args, check=True, timeout=180) -> subprocess.CompletedProcess:
    r = subprocess.run(BAGLAB + list(args), capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"baglab {' '.join(args)} exited {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r
