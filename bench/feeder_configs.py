"""What bench/bulk_speakers.py tells GoBGP and BIRD 2 so they announce what baglab's speaker does:
the same sessions (peer and local addresses, ASNs, router-id, hold time) and prefixes, each with the
transitive two-octet-AS link-bandwidth community of lab/nodes/speaker.py.  Pure text and bytes
(tests/unit/test_bulk_speakers.py), no daemons."""
from __future__ import annotations

import ipaddress
import struct

from lab.nodes.speaker import link_bandwidth_community


def node_bandwidth(cfg: dict) -> float:
    """GoBGP's global RIB and BIRD's static routes carry one attribute set per node, so every
    session of the node must want the same link-bandwidth (true in bag-routes: one link per spine)."""
    values = {nb["bandwidth_mbps"] for nb in cfg["neighbors"]}
    if len(values) != 1:
        raise ValueError(f"sessions want different link-bandwidths {sorted(values)}: one RIB per session needed")
    return values.pop()


def gobgpd_toml(cfg: dict) -> str:
    """Sessions as the speaker has them.  No import policy: gobgpd's global one rejects injected paths
    too (its RIB stayed empty); what the BAG routers send back carries our AS and is dropped as a loop."""
    lines = ["[global.config]", f"  as = {cfg['asn']}", f"  router-id = \"{cfg['router_id']}\"", ""]
    for nb in cfg["neighbors"]:
        fam = "ipv6-unicast" if ":" in nb["peer"] else "ipv4-unicast"
        lines += ["[[neighbors]]", "  [neighbors.config]", f"    neighbor-address = \"{nb['peer']}\"",
                  f"    peer-as = {nb['peer_as']}",
                  "  [neighbors.transport.config]", f"    local-address = \"{nb['local']}\"",
                  "  [neighbors.timers.config]", f"    hold-time = {cfg.get('hold', 9)}",
                  f"    keepalive-interval = {max(1, cfg.get('hold', 9) // 3)}", "    connect-retry = 1",
                  "  [[neighbors.afi-safis]]", "    [neighbors.afi-safis.config]", f"      afi-safi-name = \"{fam}\"", ""]
    return "\n".join(lines)


def _mrt(subtype: int, body: bytes) -> bytes:
    return struct.pack("!IHHI", 0, 13, subtype, len(body)) + body      # type 13: TABLE_DUMP_V2


def _bgp_attr(flags: int, code: int, value: bytes) -> bytes:
    return struct.pack("!BBB", flags, code, len(value)) + value


def mrt_table(cfg: dict, prefixes: list[str], pad: int = 0) -> bytes:
    """A TABLE_DUMP_V2 file (RFC 6396) for ``gobgp mrt inject global``: one peer (this node), one RIB
    entry per prefix with ORIGIN IGP, an empty AS_PATH (gobgpd prepends its AS towards eBGP peers)
    and the link-bandwidth community.  The next hop is unspecified (0.0.0.0 / ::), which gobgpd
    replaces with each session's local address, as the speaker sends it.  MP_REACH_NLRI is written
    in full (AFI, SAFI, next hop, no NLRI): gobgp's parser reads that form and rebuilds it per prefix."""
    rid = ipaddress.ip_address(cfg["router_id"]).packed
    peer = struct.pack("!B4s4sI", 0x02, rid, rid, cfg["asn"])            # peer type: IPv4 address, 4-octet AS
    out = [_mrt(1, rid + struct.pack("!H", 0) + struct.pack("!H", 1) + peer)]
    common = (_bgp_attr(0x40, 1, b"\x00") + _bgp_attr(0x40, 2, b"")
              + _bgp_attr(0xC0, 16, link_bandwidth_community(node_bandwidth(cfg))))
    attrs = {4: _bgp_attr(0x40, 3, bytes(4)),
             6: _bgp_attr(0x80, 14, struct.pack("!HBB", 2, 1, 16) + bytes(16) + b"\x00")}
    for seq, p in enumerate(prefixes):
        net = ipaddress.ip_network(p)
        a = common + attrs[net.version]
        nlri = bytes([net.prefixlen]) + net.network_address.packed[:(net.prefixlen + 7) // 8]
        entry = struct.pack("!HIH", 0, 0, len(a)) + a
        out.append(_mrt(2 if net.version == 4 else 4, struct.pack("!I", seq) + nlri + struct.pack("!H", 1) + entry))
    # gobgp's injector drops the last paths of its stream (GoBGP.announce): copies of the last
    # record take the loss; a re-added identical path changes nothing
    return b"".join(out + out[-1:] * pad)


def bird_lb(cfg: dict) -> str:
    """BIRD's literal for the link-bandwidth community: (generic, first 4 bytes, last 4 bytes)."""
    raw = link_bandwidth_community(node_bandwidth(cfg))
    hi, lo = struct.unpack("!II", raw)
    return f"(generic, {hi:#010x}, {lo:#010x})"


def bird_routes(cfg: dict, prefixes: list[str]) -> str:
    """The static protocols (shared by every node: same prefixes and community), one per family so
    a withdraw is ``disable "feed*"``; the community is set once per route on import, not per export."""
    out = [f"filter lb {{ bgp_ext_community.add({bird_lb(cfg)}); accept; }}"]
    for fam in ("ipv4", "ipv6"):
        mine = [p for p in prefixes if (":" in p) == (fam == "ipv6")]
        out.append(f"protocol static feed{fam[-1]} {{ {fam} {{ import filter lb; }};")
        out += [f"  route {p} blackhole;" for p in mine]
        out.append("}")
    return "\n".join(out) + "\n"


def bird_conf(cfg: dict, routes_file: str) -> str:
    hold = cfg.get("hold", 9)
    lines = [f"router id {cfg['router_id']};", "protocol device {}", f"include \"{routes_file}\";"]
    for i, nb in enumerate(cfg["neighbors"]):
        fam = "ipv6" if ":" in nb["peer"] else "ipv4"
        # eBGP in BIRD 2 exports nothing without an explicit filter (RFC 8212); next hop self is its eBGP default
        lines += [f"protocol bgp s{i} {{", f"  local {nb['local']} as {cfg['asn']};",
                  f"  neighbor {nb['peer']} as {nb['peer_as']};",
                  f"  hold time {hold}; keepalive time {max(1, hold // 3)}; connect retry time 1;",
                  f"  {fam} {{ import none; export all; }};", "}"]
    return "\n".join(lines) + "\n"
