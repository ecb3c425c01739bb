"""Route tables as the daemons hold them, read once per router and kept for every check that asks:
the BGP table with every path (selected or not), zebra's RIB, the kernel FIB, what a router sends
each neighbour (Adj-RIB-Out) and what a route collector heard.

Paths are plain data (:class:`RoutePath`) named by the router they came from, so a verdict can say
"r1-bag1 holds 198.18.0.16/31 from r2-f3-p1s1, AS path 4200000001 4200100002"."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from ipaddress import ip_interface
from typing import Callable

from lab.design.plan import Plan
from lab.frr.show import show_json
from lab.observe import collector as collector_log
from lab.observe.fib import dump
from lab.observe.frr import many
from lab.state import LabPaths

FAMILIES = ("ipv4", "ipv6")
#: the peer of a path the router originated itself (network statement, redistribution, aggregate)
SELF = "self"
ORIGINS = {"IGP": "igp", "EGP": "egp", "incomplete": "incomplete", "?": "incomplete", "i": "igp", "e": "egp"}


@dataclass(frozen=True)
class RoutePath:
    """One path of one prefix at one router (or one collector)."""
    prefix: str
    peer: str                       # the router it came from, SELF, or the address when unknown
    peer_addr: str = ""
    as_path: tuple[int, ...] = ()
    #: the AS path's length as best-path selection counts it (an AS_SET once, confederation segments
    #: not at all); None: every ASN of ``as_path`` counts
    as_path_length: int | None = None
    communities: tuple[str, ...] = ()
    large_communities: tuple[str, ...] = ()
    #: link-bandwidth values as carried on the wire (bytes/s)
    link_bandwidth: tuple[int, ...] = ()
    local_pref: int | None = None
    med: int | None = None
    origin: str = "igp"
    best: bool = False
    multipath: bool = False

    @property
    def path_length(self) -> int:
        return len(self.as_path) if self.as_path_length is None else self.as_path_length

    @property
    def family(self) -> str:
        return "ipv6" if ":" in self.prefix else "ipv4"

    def describe(self) -> str:
        """'from r2-f3-p1s1, AS path 4200000001 4200100002' (what a leak report names)."""
        src = "originated here" if self.peer == SELF else f"from {self.peer}"
        return f"{src}, AS path {' '.join(map(str, self.as_path)) or '(empty)'}"

    def as_dict(self) -> dict:
        return asdict(self)


def peer_names(plan: Plan) -> dict[str, dict[str, str]]:
    """router -> neighbour address -> the router (or collector) at that address."""
    out: dict[str, dict[str, str]] = {}
    for l in plan.links:
        for me, other in ((l.a, l.b), (l.b, l.a)):
            for addr in (other.ipv4, other.ipv6):
                if addr:
                    out.setdefault(me.node, {})[str(ip_interface(addr).ip)] = other.node
    return out


def _lb_values(ext: str) -> tuple[int, ...]:
    return tuple(int(tok.rsplit(":", 1)[1]) for tok in ext.split() if tok.startswith("LB:"))


#: the names FRR prints for well-known communities (bgpd/bgp_community.c), as the numbers the wire,
#: the collector and an intent file carry
WELL_KNOWN = {"internet": "0:0", "graceful-shutdown": "65535:0", "accept-own": "65535:1",
              "route-filter-translated-v4": "65535:2", "route-filter-v4": "65535:3",
              "route-filter-translated-v6": "65535:4", "route-filter-v6": "65535:5", "llgr-stale": "65535:6",
              "no-llgr": "65535:7", "accept-own-nexthop": "65535:8", "blackhole": "65535:666",
              "no-export": "65535:65281", "no-advertise": "65535:65282", "local-AS": "65535:65283",
              "no-peer": "65535:65284"}


def _split(text: str) -> tuple[str, ...]:
    return tuple(sorted(WELL_KNOWN.get(t, t) for t in text.split())) if text else ()


#: AS path segment types and what each adds to the path's length (RFC 4271 9.1.2.2, RFC 5065 5.3)
SEGMENT_LENGTH = {"as-sequence": None, "as-set": 1, "as-confed-sequence": 0, "as-confed-set": 0}


def _path_length(segments) -> int | None:
    """The length best-path selection compares; None when every segment is a plain sequence."""
    if all(seg.get("type", "as-sequence") == "as-sequence" for seg in segments):
        return None
    return sum(len(seg.get("list") or seg.get("value") or []) if SEGMENT_LENGTH.get(seg.get("type")) is None
               else SEGMENT_LENGTH[seg.get("type")] for seg in segments)


def frr_path(prefix: str, p: dict, names: dict[str, str], default_local_pref: int | None = None) -> RoutePath:
    """A path of ``show bgp <afi> unicast json detail`` as a RoutePath (FRR 8.4 to 10.x).

    FRR prints ``locPrf`` only where the attribute is set (a route-map, iBGP); a path learnt over eBGP
    without it is compared at the table's ``defaultLocPrf``, and that is the value it gets here."""
    peer = p.get("peer", {})
    addr = peer.get("peerId", "")
    if addr in ("0.0.0.0", "::", "") and not peer.get("hostname"):
        name = SELF
    else:
        name = names.get(addr) or peer.get("hostname") or addr
    asp = p.get("aspath", {})
    as_path = tuple(a for seg in asp.get("segments", []) for a in seg.get("list", [])) if isinstance(asp, dict) \
        else tuple(int(a) for a in str(asp).split() if a.isdigit())
    length = _path_length(asp.get("segments", [])) if isinstance(asp, dict) else None
    return RoutePath(
        prefix=prefix, peer=name, peer_addr=addr, as_path=as_path, as_path_length=length,
        communities=_split(p.get("community", {}).get("string", "")),
        large_communities=_split(p.get("largeCommunity", {}).get("string", "")),
        link_bandwidth=_lb_values(p.get("extendedCommunity", {}).get("string", "")),
        local_pref=p.get("locPrf", p.get("localPref", default_local_pref)), med=p.get("metric", p.get("med")),
        origin=ORIGINS.get(p.get("origin", "IGP"), str(p.get("origin", "")).lower()),
        best=bool(p.get("bestpath", {}).get("overall")), multipath=bool(p.get("multipath")))


def parse_bgp(data: dict, names: dict[str, str]) -> dict[str, list[RoutePath]]:
    """prefix -> paths, from ``show bgp <afi> unicast json detail``.  FRR 8.x lists the prefix's own
    entry (prefix, advertisedTo) first, then its paths (entries with a peer); FRR 9 and later print
    the prefix as one object whose ``paths`` are the list."""
    out: dict[str, list[RoutePath]] = {}
    default_lp = data.get("defaultLocPrf")
    for prefix, entries in (data.get("routes") or {}).items():
        if isinstance(entries, dict):
            entries = entries.get("paths") or []
        out[prefix] = [frr_path(prefix, e, names, default_lp) for e in entries
                       if isinstance(e, dict) and ("peer" in e or "aspath" in e)]
    return out


def parse_rib(data: dict) -> dict[str, list[str]]:
    """prefix -> the protocols of zebra's selected entries (``show ip route json``)."""
    return {p: sorted({e.get("protocol", "?") for e in entries if e.get("selected")})
            for p, entries in data.items() if any(e.get("selected") for e in entries)}


def parse_adj_out(data: dict) -> list[str]:
    """The prefixes of ``show bgp <afi> unicast neighbors ADDR advertised-routes json``."""
    return sorted((data.get("advertisedRoutes") or {}).keys())


def _community_pairs(values) -> tuple[str, ...]:
    return tuple(sorted(":".join(str(x) for x in v) for v in values or [] if isinstance(v, (list, tuple))))


def _exabgp_segments(value) -> list[dict]:
    """ExaBGP 5's {"0": {"element": "as-sequence", "value": [...]}, "1": ...} in segment order."""
    if not isinstance(value, dict):
        return []
    return [{"type": value[k].get("element", "as-sequence"), "list": value[k].get("value", [])}
            for k in sorted(value, key=lambda k: int(k) if str(k).isdigit() else 0)]


def _exabgp_as_path(value) -> tuple[int, ...]:
    if isinstance(value, dict):
        return tuple(a for seg in _exabgp_segments(value) for a in seg["list"])
    return tuple(a for a in value or [] if isinstance(a, int))


def collector_paths(events, names: dict[str, str]) -> dict[str, list[RoutePath]]:
    """What a collector holds now: the last announcement per (peer, prefix) not withdrawn since."""
    held: dict[tuple[str, str], RoutePath] = {}
    for e in events:
        key = (e.peer, e.prefix)
        if e.kind == "withdraw":
            held.pop(key, None)
            continue
        a = e.attributes or {}
        ext = [c.get("value") for c in a.get("extended-community", []) or [] if isinstance(c, dict)]
        lb = tuple(int.from_bytes(v.to_bytes(8, "big")[4:], "big") for v in ext
                   if isinstance(v, int) and v.to_bytes(8, "big")[:2] in (b"\x00\x04", b"\x40\x04"))
        held[key] = RoutePath(
            prefix=e.prefix, peer=names.get(e.peer, e.peer), peer_addr=e.peer,
            as_path=_exabgp_as_path(a.get("as-path")), as_path_length=_path_length(_exabgp_segments(a.get("as-path"))),
            communities=_community_pairs(a.get("community")),
            large_communities=_community_pairs(a.get("large-community")),
            link_bandwidth=tuple(_float_bytes(v) for v in lb), local_pref=a.get("local-preference"),
            med=a.get("med"), origin=str(a.get("origin", "igp")).lower())
    out: dict[str, list[RoutePath]] = {}
    for (_peer, prefix), p in sorted(held.items()):
        out.setdefault(prefix, []).append(p)
    return out


def fib_prefixes(netns: str) -> list[str]:
    """The prefixes of the routes bgpd installed in the kernel's main table (both families)."""
    return [p for fam in FAMILIES for p, _line in dump(netns, fam)]


def _float_bytes(raw: int) -> int:
    """The link-bandwidth community's value is an IEEE float of bytes/s (RFC 7311 draft)."""
    import struct

    return int(struct.unpack("!f", raw.to_bytes(4, "big"))[0])


@dataclass
class RouteTables:
    """One lab's tables, each read the first time a check asks and kept for the rest of the run.

    Reading a whole table once per router (one JSON per family) and matching in Python is what keeps
    50 route-level intents on 116 routers within seconds."""
    plan: Plan
    paths: LabPaths
    _bgp: dict = field(default_factory=dict)
    _rib: dict = field(default_factory=dict)
    _fib: dict = field(default_factory=dict)
    _out: dict = field(default_factory=dict)
    _names: dict | None = None
    #: called with (node, family, FRR's ``show bgp <afi> unicast json detail`` document) as each is read,
    #: for a caller that needs what RoutePath leaves out (the document is not kept here)
    on_bgp_json: Callable[[str, str, dict], None] | None = None

    @property
    def names(self) -> dict[str, dict[str, str]]:
        if self._names is None:
            self._names = peer_names(self.plan)
        return self._names

    def _show(self, node: str, cmd: str) -> dict:
        return show_json(self.paths.netns(node), cmd, timeout=60.0)

    def prefetch(self, nodes, tables) -> None:
        """Read ``tables`` ("bgp", "rib", "fib", "out") of every node, several routers at a time."""
        nodes = sorted(set(nodes))
        getters = {"bgp": self.bgp, "rib": self.rib, "fib": self.fib, "out": self.adj_out}
        for t in tables:
            if t == "fib":
                self._read_fibs([n for n in nodes if n not in self._fib and self._is_frr(n)])
            else:
                many(getters[t], [n for n in nodes if self._is_frr(n) or t == "bgp"], workers=8)

    def _is_frr(self, node: str) -> bool:
        return self.plan.node(node).role != "collector"

    def bgp(self, node: str) -> dict[str, list[RoutePath]]:
        """prefix -> every path (valid, selected or not) in the node's BGP table; a collector: what it heard."""
        if node not in self._bgp:
            if not self._is_frr(node):
                events = collector_log.read(self.paths.node_dir(node) / "updates.jsonl")
                self._bgp[node] = collector_paths(events, self.names.get(node, {}))
            else:
                table: dict[str, list[RoutePath]] = {}
                for fam in FAMILIES:
                    doc = self._show(node, f"show bgp {fam} unicast json detail")
                    if self.on_bgp_json is not None:
                        self.on_bgp_json(node, fam, doc)
                    table.update(parse_bgp(doc, self.names.get(node, {})))
                self._bgp[node] = table
        return self._bgp[node]

    def rib(self, node: str) -> dict[str, list[str]]:
        """prefix -> protocols of zebra's selected routes."""
        if node not in self._rib:
            table: dict[str, list[str]] = {}
            for cmd in ("show ip route json", "show ipv6 route json"):
                table.update(parse_rib(self._show(node, cmd)))
            self._rib[node] = table
        return self._rib[node]

    def _read_fibs(self, nodes: list[str]) -> None:
        """iproute2's dump, several namespaces at a time: ~10x sooner than a netlink socket per
        namespace from Python (9 s -> under 1 s on 116 routers), and only the prefixes are kept."""
        self._fib.update(many(lambda n: {p: ["bgp"] for p in fib_prefixes(self.paths.netns(n))}, nodes))

    def fib(self, node: str) -> dict[str, list[str]]:
        """prefix -> ["bgp"]: the routes bgpd installed in the kernel's main table, read over netlink."""
        if node not in self._fib:
            self._read_fibs([node])
        return self._fib[node]

    def adj_out(self, node: str) -> dict[str, list[str]]:
        """neighbour (router or collector) -> the prefixes this router sends it, over every session
        to that neighbour (a bundle's members send the same)."""
        if node not in self._out:
            out: dict[str, set[str]] = {}
            for addr, peer in sorted(self.names.get(node, {}).items()):
                fam = "ipv6" if ":" in addr else "ipv4"
                got = parse_adj_out(self._show(node, f"show bgp {fam} unicast neighbors {addr} advertised-routes json"))
                out.setdefault(peer, set()).update(got)
            self._out[node] = {k: sorted(v) for k, v in out.items()}
        return self._out[node]

    def table(self, node: str, which: str) -> dict[str, list]:
        return {"bgp": self.bgp, "rib": self.rib, "fib": self.fib}[which](node)
