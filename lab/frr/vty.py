"""FRR's show commands read straight from the daemon's vty socket, as vtysh itself does.

Starting vtysh costs ~40 ms per command (a 10.x router's own vtysh, run through its root's
unshare and chroot, more), and every event a test measures asks each router for its sessions
and its RIB: on bag-mini that was ~1 s per event of the convergence suite.  The daemon answers
the same command on its socket in under a millisecond with the same text.

Only read-only commands that one daemon answers come here; anything else (configuration,
commands vtysh merges across daemons) and any socket that does not answer go to vtysh, so its
error messages (a daemon not running) stay what an engineer knows.  ``BAGLAB_VTYSH_ONLY=1`` sends
every command to vtysh (bench/observe.py compares the two; an escape hatch should a version's
daemon ever answer its socket differently).

vtysh's side of the protocol: ``enable`` (some show commands, BFD's, exist only there), then the
command, each NUL-terminated; each answered by the daemon's output, ended by three
NUL bytes and the command's status (0: success).

What does go to vtysh runs in lab.frr.vtysh's environment (no history file).
"""
from __future__ import annotations

import os
import socket
import time

from lab.state import FRR_RUN

#: show-command prefixes and the one daemon that answers each
_DAEMON_OF = (("show ip route", "zebra"), ("show ipv6 route", "zebra"), ("show interface", "zebra"),
              ("show nexthop-group", "zebra"), ("show bgp", "bgpd"), ("show ip bgp", "bgpd"),
              ("show bfd", "bfdd"))


def daemon_for(command: str) -> str | None:
    """The daemon that alone answers ``command``, or None when vtysh must run it."""
    if os.environ.get("BAGLAB_VTYSH_ONLY") == "1":
        return None
    cmd = " ".join(command.split())
    if cmd.startswith("show bfd static"):          # 10.x: staticd's BFD-monitored routes
        return None
    return next((d for prefix, d in _DAEMON_OF if cmd == prefix or cmd.startswith(prefix + " ")), None)


class NoAnswer(OSError):
    """The socket is missing, refused, busy, not ours, or closed before the end marker: let vtysh
    say why."""


def query(netns: str, daemon: str, command: str, timeout: float = 10.0) -> tuple[int, str]:
    """(status, output) of ``command`` on ``daemon`` of the node whose pathspace is ``netns``;
    TimeoutError once ``timeout`` seconds have passed without the whole answer."""
    path = FRR_RUN / netns / f"{daemon}.vty"
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(str(path))
            s.sendall(b"enable\0")      # a daemon's vty starts in view mode, vtysh's in enable
            _reply(s, deadline)
            s.sendall(command.encode() + b"\0")
            return _reply(s, deadline)
        except (FileNotFoundError, ConnectionError, PermissionError, BlockingIOError) as exc:
            # BlockingIOError: the daemon's accept backlog is full (a busy daemon)
            raise NoAnswer(f"{path}: {exc}") from None


def _reply(s: socket.socket, deadline: float) -> tuple[int, str]:
    chunks: list[bytes] = []
    tail = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no whole answer before the deadline")
        s.settimeout(left)
        data = s.recv(1 << 16)
        if not data:
            raise NoAnswer("the daemon closed the vty before its end marker")
        chunks.append(data)
        tail = (tail + data)[-4:]
        if len(tail) == 4 and tail[:3] == b"\0\0\0":
            out = b"".join(chunks)
            return out[-1], out[:-4].decode(errors="replace")
