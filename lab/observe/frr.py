"""FRR's own view (RIB, BGP sessions, a prefix's paths) from its show commands' JSON (lab.frr.show)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from lab.frr.show import show_json


def bgp_sessions(netns: str) -> dict[str, str]:
    """neighbor address -> state ('Established', 'Active', ...) across address families."""
    data = show_json(netns, "show bgp summary json")
    out: dict[str, str] = {}
    for af in data.values():
        if isinstance(af, dict):
            for addr, peer in af.get("peers", {}).items():
                out[addr] = peer.get("state", "?")
    return out


def many(fn, items, workers: int = 8) -> dict:
    with ThreadPoolExecutor(max_workers=workers) as ex:
        return dict(zip(items, ex.map(fn, items)))


def rib(netns: str, families=("ipv4", "ipv6")) -> dict[str, list[tuple[str, int]]]:
    """FRR's selected BGP routes: prefix -> sorted (ifname, weight) of next hops zebra put in the FIB.
    Active ones only: FRR 10.7's zebra keeps a next hop whose interface went down in the route,
    inactive but still flagged 'fib' (bgpd and the kernel have dropped it); 8.4 flags every FIB
    next hop active."""
    out: dict[str, list[tuple[str, int]]] = {}
    for fam in families:
        cmd = "show ip route bgp json" if fam == "ipv4" else "show ipv6 route bgp json"
        for prefix, entries in show_json(netns, cmd).items():
            for e in entries:
                if not e.get("selected"):
                    continue
                hops = [("blackhole" if h.get("blackhole") else h.get("interfaceName", "?"), int(h.get("weight", 1)))
                        for h in e.get("nexthops", []) if h.get("fib") and h.get("active")]
                if len(hops) == 1:
                    hops = [(hops[0][0], 100)]
                out[prefix] = sorted(hops)
    return out


def link_bandwidth(ext_community: str) -> float | None:
    """'LB:23456:800000000 (6.000 Gbps)' -> 6400.0: bytes/s on the wire back to FRR's configured unit, Mbps
    (baglab writes a port's Gbps figure there, so 6400 stands for 6.4T of design capacity)."""
    for tok in ext_community.split():
        if tok.startswith("LB:"):
            return int(tok.rsplit(":", 1)[1]) * 8 / 1e6
    return None


def bgp_paths(netns: str, prefix: str) -> list[dict]:
    """The BGP table's paths for one prefix: peer, AS path, link bandwidth, multipath/best flags."""
    afi = "ipv6" if ":" in prefix else "ipv4"
    data = show_json(netns, f"show bgp {afi} unicast {prefix} json")
    out = []
    for p in data.get("paths", []):
        out.append({"peer": p.get("peer", {}).get("hostname") or p.get("peer", {}).get("peerId"),
                    "peer_addr": p.get("peer", {}).get("peerId"),
                    "as_path": [a for seg in p.get("aspath", {}).get("segments", []) for a in seg.get("list", [])],
                    "bandwidth": link_bandwidth(p.get("extendedCommunity", {}).get("string", "")),
                    "multipath": bool(p.get("multipath")), "best": bool(p.get("bestpath", {}).get("overall"))})
    return out
