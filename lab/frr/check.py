"""FRR's own parser as a dry run on a config text: ``vtysh -C -f FILE`` of the host's FRR or of a
version root's (no lab, no daemon).  What its output means is lab.config.frrcheck's; here only how it
runs.  Configs hold TCP-MD5 passwords: each is written to a private (0600) temporary file,
removed after."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lab.errors import LabError

#: how the check is named in what users read
CHECK = "vtysh -C"
CHECK_TIMEOUT_S = 60
#: vtysh is CPU-bound for ~40 ms a file: 116 routers in about 2 s on 2 cores
WORKERS = 4


@dataclass(frozen=True)
class Checker:
    """One FRR version's ``vtysh -C``: the host's, or a root's own (lab.frr.roots), run in that
    root with the file written to the root's /tmp, where its vtysh sees it."""
    argv: tuple[str, ...]
    root: Path | None = None

    def run(self, text: str) -> tuple[int, str] | None:
        """(exit code, stderr and stdout) of the check of ``text``; None when it timed out."""
        fd, name = tempfile.mkstemp(prefix="baglab-frrcheck-", suffix=".conf",          # mode 0600
                                    dir=str(self.root / "tmp") if self.root else None)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
            inside = "/tmp/" + Path(name).name if self.root else name
            return run_check(self.argv, Path(inside))
        finally:
            os.unlink(name)


def checker(version: str | None = None) -> Checker:
    """The parser of FRR ``version`` (a built root's), the host's for None or the host's version."""
    if version is not None:
        from lab.frr.roots import resolve
        root = resolve(version)
        if root is not None:
            return Checker(("chroot", str(root), "/usr/bin/vtysh"), root)
    exe = shutil.which("vtysh")
    if exe is None:
        raise LabError("FRR's vtysh is not installed, so configs cannot be checked: "
                       "run 'make deps' or 'apt-get install frr'")
    return Checker((exe,))


def run_check(argv: tuple[str, ...], path: Path) -> tuple[int, str] | None:
    """vtysh -C -f only parses a file: it sets up no history (FRR's vtysh.c returns before it),
    so it needs no lab.frr.vtysh environment."""
    try:
        r = subprocess.run([*argv, "-C", "-f", str(path)], capture_output=True, text=True, timeout=CHECK_TIMEOUT_S,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None
    return r.returncode, r.stderr + "\n" + r.stdout


def installed() -> bool:
    """FRR's parser is on this host."""
    return shutil.which("vtysh") is not None
