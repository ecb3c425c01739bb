"""The baglab CLI as a live test runs it: a subprocess of this interpreter, output captured, and a
failure that shows what the command printed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BAGLAB = [sys.executable, "-m", "lab.cli"]
# the tree these tests belong to, first: an editable install of another checkout must not answer
_ROOT = str(Path(__file__).resolve().parents[1])
_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p)}


def baglab(*args, check=True, timeout=180, cwd=None, env=None) -> subprocess.CompletedProcess:
    """``cwd``: where the command runs (default: here); ``env``: variables added to the tree's."""
    r = subprocess.run(BAGLAB + list(args), capture_output=True, text=True, timeout=timeout, cwd=cwd,
                       env={**_ENV, **(env or {})})
    if check and r.returncode != 0:
        raise AssertionError(f"baglab {' '.join(args)} exited {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r
