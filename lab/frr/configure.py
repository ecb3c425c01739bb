"""Live configuration and one-off commands on a router, through its own version's vtysh."""
from __future__ import annotations

import subprocess

from lab.frr.vtysh import own_vtysh, run_vtysh


def configure(netns: str, cmds: list[str]) -> str:
    """Apply configuration lines live; returns FRR's complaints ('' when none).  The lines go on
    vtysh's stdin, never its command line (/proc/*/cmdline is world-readable and TCP-MD5
    passwords travel here), and only FRR's '%' lines come back (the echo repeats the input).
    vtysh keeps no history of them (lab.frr.vtysh.vtysh_env)."""
    script = "configure terminal\n" + "\n".join(cmds) + "\nend\n"
    r = run_vtysh(own_vtysh(netns), input=script, capture_output=True, text=True)
    # FRR 10.7 (mgmtd-backed route-maps) notes every re-entered existing 'route-map X permit N'
    # with "% Configuration applied with notes: No changes found to be committed!": not a refusal
    problems = [l.strip() for l in r.stdout.splitlines() if l.lstrip().startswith("%") and not _note(l)]
    if r.returncode != 0:
        problems.append(f"vtysh exit {r.returncode}: {r.stderr.strip()[-300:]}")
    return "; ".join(problems)


def _note(line: str) -> bool:
    return line.strip().startswith("% Configuration applied with notes")


def command(netns: str, cmd: str, timeout: float | None = None) -> subprocess.CompletedProcess:
    """One exec-mode command (``clear bgp ...``) by the router's own vtysh; text output."""
    return run_vtysh([*own_vtysh(netns), "-c", cmd], capture_output=True, text=True, timeout=timeout)
