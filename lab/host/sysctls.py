"""The kernel settings every lab node gets, whichever runtime (or export) makes its namespace."""
from __future__ import annotations

import zlib
from pathlib import Path

NODE_SYSCTLS = {
    "net.ipv4.ip_forward": "1",
    "net.ipv6.conf.all.forwarding": "1",
    # addresses must be usable at once: BGP over IPv6 cannot bind a tentative address
    "net.ipv6.conf.all.accept_dad": "0",
    "net.ipv6.conf.default.accept_dad": "0",
    "net.ipv6.conf.default.keep_addr_on_down": "1",
    # hash on L4 so that flows, not host pairs, spread over UCMP next hops
    "net.ipv4.fib_multipath_hash_policy": "1",
    "net.ipv6.fib_multipath_hash_policy": "1",
    "net.ipv4.conf.all.rp_filter": "0",
    "net.ipv4.conf.default.rp_filter": "0",
}

# Every namespace hashes flows with the same key unless told otherwise: then a router's next hop
# gets only flows from the hash range its upstream already chose, and the split polarises (seen
# here: one of four equal next hops got 0 of 270 flows).  Routers in production differ in seed;
# Linux 6.11+ lets each namespace have its own (it covers IPv6 too).
HASH_SEED = Path("/proc/sys/net/ipv4/fib_multipath_hash_seed")


def hash_seed(node: str) -> int:
    return zlib.crc32(node.encode()) or 1


def node_sysctls(node: str) -> dict[str, str]:
    """NODE_SYSCTLS plus the node's own hash seed where the kernel has one."""
    extra = {"net.ipv4.fib_multipath_hash_seed": str(hash_seed(node))} if HASH_SEED.exists() else {}
    return {**NODE_SYSCTLS, **extra}


# IPv6 routes point at link-local next hops that only forwarded traffic uses (BGP talks over the
# global addresses), so an idle path's neighbour entry goes stale, and once the host's neighbour
# table (shared by every namespace) is over gc_thresh1 the garbage collector deletes it after
# gc_stale_time.  The next burst then waits for neighbour discovery, and all but unres_qlen_bytes
# of it is dropped: 474 of 8,000 probes on an impaired lab, the host's ndisc_cache
# unresolved_discards rising by exactly 474.  Routers in production keep next-hop neighbours
# resolved; here entries live an hour unused and a resolving neighbour queues a whole burst.
NEIGHBOUR = {"gc_stale_time": "3600", "unres_qlen_bytes": str(16 << 20)}


def interface_sysctls(ifnames: list[str]) -> dict[str, str]:
    return {f"net.{fam}.neigh.{i}.{k}": v for i in ifnames for fam in ("ipv4", "ipv6") for k, v in NEIGHBOUR.items()}


#: the kernel's charge per queued Ethernet frame (SKB_TRUESIZE(ETH_FRAME_LEN) on 6.x): iproute2's
#: ``queue`` counts frames, the sysctl bytes
_FRAME_TRUESIZE = 2090


def ntable_commands(ifname: str) -> list[str]:
    """NEIGHBOUR as ``ip ntable`` commands: over netlink, for a container whose /proc/sys is
    read-only and whose links arrive after its sysctls were set (containerlab's)."""
    stale_ms = int(NEIGHBOUR["gc_stale_time"]) * 1000
    queue = -(-int(NEIGHBOUR["unres_qlen_bytes"]) // _FRAME_TRUESIZE)
    return [f"ip ntable change name {t} dev {ifname} gc_stale {stale_ms} queue {queue}"
            for t in ("arp_cache", "ndisc_cache")]
