"""The kernel's netem qdisc, where the host has it: probed, not assumed (many minimal kernels,
this platform's included, ship without ``sch_netem`` and cannot load modules)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from lab.errors import LabError


def available(netns: str) -> bool:
    """Can a netem qdisc be added here?  Tried on the namespace's loopback and removed again.
    ``BAGLAB_IMPAIR=shim`` answers no (to exercise the fallback), ``=netem`` yes."""
    forced = os.environ.get("BAGLAB_IMPAIR")
    if forced in ("shim", "netem"):
        return forced == "netem"
    r = _tc(netns, "qdisc", "add", "dev", "lo", "root", "handle", "1:", "netem", "delay", "0ms")
    if r.returncode != 0:
        return False
    _tc(netns, "qdisc", "del", "dev", "lo", "root")
    return True


def possible() -> bool:
    """Before any namespace exists: is netem built in, loaded, or installed as a module?  (Probing
    with tc would need a namespace, or the host's own interfaces, which the lab never touches.)"""
    forced = os.environ.get("BAGLAB_IMPAIR")
    if forced in ("shim", "netem"):
        return forced == "netem"
    release = os.uname().release
    modules = Path("/lib/modules") / release
    if Path("/sys/module/sch_netem").exists():
        return True
    try:
        builtin = (modules / "modules.builtin").read_text()
    except OSError:
        builtin = ""
    return "sch_netem" in builtin or any(modules.glob("kernel/net/sched/sch_netem.ko*"))


def args(loss: float, delay_ms: float, jitter_ms: float, duplicate: float) -> list[str]:
    """netem's options for one impairment.  Jitter without a distribution table is uniform, like
    the user-space line's (iproute2 ships no table named 'uniform': asking for one fails).  Unlike
    the line, netem may reorder frames whose jitter exceeds their spacing."""
    out = []
    if delay_ms:
        out += ["delay", f"{delay_ms}ms"] + ([f"{jitter_ms}ms"] if jitter_ms else [])
    if loss:
        out += ["loss", f"{loss}%"]
    if duplicate:
        out += ["duplicate", f"{duplicate}%"]
    return out


def set_port(netns: str, dev: str, options: list[str] | None) -> None:
    """netem with ``options`` as the device's root qdisc, or the default qdisc back (None)."""
    if options is None:
        _tc(netns, "qdisc", "del", "dev", dev, "root")       # absent already: nothing to undo
        return
    r = _tc(netns, "qdisc", "replace", "dev", dev, "root", "netem", *options)
    if r.returncode != 0:
        raise LabError(f"tc netem on {dev} ({netns}): {r.stderr.strip()}")


def _tc(netns: str, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["tc", "-n", netns, *argv], capture_output=True, text=True)
