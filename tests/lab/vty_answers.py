"""What the vty client (lab/frr/vty.py) reads must be what the node's own vtysh prints: one
comparison, used on each runtime and FRR version the lab tests bring up."""
from __future__ import annotations

import json
import subprocess

from lab.frr import vty
from lab.frr.vtysh import own_vtysh

COMMANDS = ("show ip route bgp json", "show ipv6 route bgp json", "show bgp summary json",
            "show bgp ipv4 unicast json", "show bfd peers json", "show interface json")
#: counters and clocks that move between two reads a few ms apart
_MOVING = ("time", "msec", "timer", "age", "count", "sent", "rcvd", "last", "uptime", "stats", "pkts", "octets",
           "drops", "bytes", "packets", "echo")


def _steady(x):
    if isinstance(x, dict):
        return {k: _steady(v) for k, v in x.items() if not any(m in k.lower() for m in _MOVING)}
    if isinstance(x, list):
        return [_steady(v) for v in x]
    return x


def differences(netns: str) -> list[str]:
    """Commands whose socket answer differs from vtysh's (empty: the same everywhere)."""
    out = []
    for cmd in COMMANDS:
        status, text = vty.query(netns, vty.daemon_for(cmd), cmd)
        shell = subprocess.run(own_vtysh(netns) + ["-c", cmd], capture_output=True, text=True, timeout=60)
        if status != 0 or shell.returncode != 0:
            out.append(f"{cmd}: socket status {status}, vtysh exit {shell.returncode}: {text[:200]!r}")
        elif _steady(json.loads(text)) != _steady(json.loads(shell.stdout)):
            out.append(f"{cmd}: socket {text[:300]!r}\n  vtysh {shell.stdout[:300]!r}")
    return out
