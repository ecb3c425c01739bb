"""Kernel MACsec, where the host has the ``macsec`` module: the same keys as the shim, set with
``ip macsec``.  This platform has no such module, so this path is only exercised where it exists;
``backend()`` picks it automatically and ``BAGLAB_MACSEC=shim`` forces the fallback."""
from __future__ import annotations

import os
import subprocess

from lab.leftovers import probe_netns_name


def available() -> bool:
    """Try to create a macsec device in a throwaway namespace (never in the host's)."""
    # "probe" is a reserved lab name (lab.state); the name records this process, so a namespace
    # left by a kill -9 is removed later (lab.leftovers)
    ns = probe_netns_name()
    try:
        if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode != 0:
            return False
        ok = subprocess.run(["ip", "-n", ns, "link", "add", "p0", "type", "veth", "peer", "name", "p1"],
                            capture_output=True).returncode == 0
        return ok and subprocess.run(["ip", "-n", ns, "link", "add", "link", "p0", "name", "m0", "type", "macsec"],
                                     capture_output=True).returncode == 0
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def backend() -> str:
    forced = os.environ.get("BAGLAB_MACSEC")
    if forced in ("shim", "kernel"):
        return forced
    return "kernel" if available() else "shim"


def commands(port: dict, cipher: str, window: int, peer_mac: str) -> list[str]:
    """``ip`` lines (for ``ip -n NS -batch``) creating the port's macsec device with its SAs."""
    dev = port["ifname"]
    replay = f"replay on window {window}" if window else "replay on window 0"
    lines = [f"link add link {port['wire']} name {dev} type macsec port 1 encrypt on cipher {cipher} "
             f"{replay} encodingsa {port['tx_an']}"]
    if port["mode"] == "optional":
        lines.append(f"link set {dev} type macsec validate check")
    lines.append(f"macsec add {dev} rx port 1 address {peer_mac}")
    for an, key in sorted(port["keys"].items()):
        lines.append(f"macsec add {dev} tx sa {an} pn 1 on key {int(an):02x} {key}")
        lines.append(f"macsec add {dev} rx port 1 address {peer_mac} sa {an} pn 1 on key {int(an):02x} {key}")
    return lines
