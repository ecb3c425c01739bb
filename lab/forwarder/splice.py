"""The splice that gives a plain port a user-space stretch of cable, on kernels without netem.

The router's interface (``rA``) keeps its carrier, addresses and ifindex: an nftables netdev
*egress* chain on it sends every frame the router hands it to a helper veth pair beside it
(``im<digest>o`` -> ``im<digest>i``), where the node's forwarder (lab/forwarder/loop.py)
reads it, delays or drops it, and sends it out of ``rA`` itself with the lab's mark, which
the chain lets through.  Link faults on ``rA`` (admin, carrier) act as on any plain link.

The helper pair stays inside the node's namespace (so it goes with the namespace on ``down``,
under every runtime), but out of the router's way: no IPv6, no ARP, no addresses, and an
ingress chain on the forwarder's end drops every frame before the node's stack could see it
(packet sockets are served before that hook, so the forwarder still reads them).  The helper's
transmit checksum offload is off: the redirect happens before the kernel finishes checksums
and segments TSO frames, which it then does for the helper's features, so the forwarder reads
finished, MTU-sized frames.
"""
from __future__ import annotations

import hashlib
import json
import subprocess

from lab.errors import LabError
from lab.host import nft, nsutil
from lab.host.ethtool import no_checksum_offload

MARK = 0x0BA61AB0          # frames the forwarder sends: the egress chain lets them leave
TABLE_PREFIX = "baglab_imp_"


def helper_names(ifname: str) -> tuple[str, str]:
    """The helper pair of a router port: (the end frames are redirected to, the end the forwarder
    reads).  A digest of the port's name: stable across processes, at most 15 characters."""
    digest = hashlib.blake2s(ifname.encode(), digest_size=5).hexdigest()
    return f"im{digest}o", f"im{digest}i"


def table_name(ifname: str) -> str:
    return TABLE_PREFIX + helper_names(ifname)[0]


def nft_script(ifname: str) -> str:
    """The port's table: redirect the router's unmarked frames to the helper, and keep what reaches
    the helper's far end from the node's own stack."""
    out, into = helper_names(ifname)
    body = (f"  chain egress {{\n    type filter hook egress device \"{ifname}\" priority 0; policy accept;\n"
            f"    meta mark != {MARK:#010x} counter fwd to \"{out}\"\n  }}\n"
            f"  chain helper_in {{\n    type filter hook ingress device \"{into}\" priority 0; policy drop;\n"
            f"    counter drop\n  }}\n")
    return nft.replace_table("netdev", table_name(ifname), body)


def ip_commands(ifname: str, mtu: int) -> list[str]:
    """The helper pair, made without an address, ARP off and down (IPv6 goes before it comes up),
    with the port's MTU: a frame redirected to a smaller device would be dropped."""
    out, into = helper_names(ifname)
    return [f"link add {out} mtu {mtu} type veth peer name {into} mtu {mtu}",
            f"link set dev {out} arp off", f"link set dev {into} arp off"]


def exists(netns: str, ifname: str) -> bool:
    r = subprocess.run(["ip", "-n", netns, "link", "show", helper_names(ifname)[0]], capture_output=True)
    return r.returncode == 0


def build(netns: str, ifname: str) -> None:
    """The helper pair (if missing), then the redirect: frames must have somewhere to go first.
    The forwarder must already read the helper, or the redirected frames are lost."""
    out, into = helper_names(ifname)
    if not exists(netns, ifname):
        _ip(netns, ip_commands(ifname, _mtu(netns, ifname)))
        nsutil.write_sysctls(netns, {f"net.ipv6.conf.{d}.disable_ipv6": "1" for d in (out, into)})
        nsutil.in_netns(netns, lambda: no_checksum_offload(out))
        _ip(netns, [f"link set dev {out} up", f"link set dev {into} up"])


def redirect(netns: str, ifname: str) -> None:
    nft.apply(netns, nft_script(ifname))


def unredirect(netns: str, ifname: str) -> None:
    """The router's frames leave directly again (absent already: nothing to undo)."""
    nft.apply(netns, f"table netdev {table_name(ifname)} {{}}\ndelete table netdev {table_name(ifname)}\n")


def remove(netns: str, ifname: str) -> None:
    """Redirect first, then the helper pair (deleting one end removes both)."""
    unredirect(netns, ifname)
    if exists(netns, ifname):
        _ip(netns, [f"link del {helper_names(ifname)[0]}"])


def redirected(netns: str, ifname: str) -> int | None:
    """Frames the egress chain has redirected so far (None: no chain on the port)."""
    rules = nft.rules(netns, "netdev", table_name(ifname))
    return next((nft.packets(r) for r in rules if r["chain"] == "egress"), None)


def _mtu(netns: str, ifname: str) -> int:
    r = subprocess.run(["ip", "-n", netns, "-j", "link", "show", ifname], capture_output=True, text=True)
    if r.returncode != 0:
        raise LabError(f"impairment splice in {netns}: no port {ifname}: {r.stderr.strip()}")
    return int(json.loads(r.stdout)[0]["mtu"])


def _ip(netns: str, lines: list[str]) -> None:
    r = subprocess.run(["ip", "-n", netns, "-batch", "-"], input="\n".join(lines) + "\n", text=True,
                       capture_output=True)
    if r.returncode != 0:
        raise LabError(f"impairment splice in {netns}: {r.stderr.strip()}")
