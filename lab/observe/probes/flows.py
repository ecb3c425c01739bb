"""Data-plane flow probes: real UDP packets from one fabric to another, counted where they leave
each router, so the split the kernel really does can be set beside the weights it has
installed and the weights the oracle expects.

Packets are real UDP datagrams (varying source ports: one 5-tuple per flow) sent
from inside the source fabric's origin namespace (its STSW / edge pod, the border
of the fabric), from the address its prefix has on lo, to the destination prefix's
first address.  Every FRR router carries an nftables table that counts probe
packets per egress interface (forward hook), probe packets delivered to it (input
hook) and the ICMP time-exceeded errors it sends (output hook: a loop).  Counters
are read before and after each round, so rounds never disturb each other and the
counts say exactly what happened to that round's packets.
"""
from __future__ import annotations

import errno
import ipaddress
import socket
from dataclasses import dataclass, field

from lab.errors import HostLimit, LabError
from lab.design.plan import Plan
from lab.host import neigh_tables, nft, nsutil
from lab.state import LabPaths
from lab.wait import poll
from lab.design.node_kinds import kind_of
from lab.observe.frr import many
from lab.observe.probes import precision as precision_

TABLE = "baglab_flow"
DPORT = 33434          # the traceroute port: a probe is never mistaken for lab traffic


def install(plan: Plan, paths: LabPaths, reach_ports: int = 0) -> None:
    """Counters on every FRR router; idempotent (re-install replaces).  ``reach_ports`` more
    destination ports (DPORT+1 ...) get their own delivery counters, so many (source,
    destination) pairs can be probed at once and told apart."""
    def one(n) -> None:
        ifnames = sorted({l.end(n.name).ifname for l in plan.links_of(n.name)})
        rules = "\n".join(f"    oifname \"{i}\" udp dport {DPORT} counter" for i in ifnames)
        reach = "".join(f"    udp dport {DPORT + k} counter\n" for k in range(1, reach_ports + 1))
        body = (f"  chain c_fwd {{\n    type filter hook forward priority -300; policy accept;\n{rules}\n  }}\n"
                f"  chain c_in {{\n    type filter hook input priority -300; policy accept;\n"
                f"    udp dport {DPORT} counter\n{reach}  }}\n"
                f"  chain c_out {{\n    type filter hook output priority -300; policy accept;\n{rules}\n"
                f"    icmp type time-exceeded counter\n    icmpv6 type time-exceeded counter\n  }}\n")
        nft.apply(paths.netns(n.name), nft.replace_table("inet", TABLE, body))
    # an nft process per router: several at a time (one after another, 116 routers took seconds)
    many(one, [n for n in plan.nodes if kind_of(n).has_fib])


@dataclass
class Counters:
    egress: dict[str, int] = field(default_factory=dict)   # ifname -> probe packets sent or forwarded out of it
    delivered: int = 0
    ttl_expired: int = 0
    by_port: dict[int, int] = field(default_factory=dict)  # reachability port -> packets delivered here


def read(plan: Plan, paths: LabPaths) -> dict[str, Counters]:
    """Every FIB router's probe counters, several routers at a time."""
    return many(lambda name: _counters(paths.netns(name)), [n.name for n in plan.nodes if kind_of(n).has_fib])


def _counters(netns: str) -> Counters:
    c = Counters()
    for rule in nft.rules(netns, "inet", TABLE):
        pkts, oif, port = nft.packets(rule), nft.match(rule, "oifname"), nft.match(rule, "dport")
        if oif:
            c.egress[oif] = c.egress.get(oif, 0) + pkts
        elif rule["chain"] == "c_in" and port == DPORT:
            c.delivered = pkts
        elif rule["chain"] == "c_in":
            c.by_port[port] = pkts
        elif rule["chain"] == "c_out":
            c.ttl_expired += pkts
    return c


def target(prefix: str) -> str:
    net = ipaddress.ip_network(prefix)
    return str(net[1] if net.num_addresses > 1 else net[0])


def send(ns: str, src: str, dst: str, flows: int, sport_base: int = 20000, dport: int = DPORT) -> int:
    """One UDP datagram per flow, each from its own source port, through ordinary UDP sockets in
    the namespace.  (Packets from raw sockets -- scapy's send() -- reach the kernel's route lookup
    without their ports, so the source's own multipath hash would put every flow on one next hop.)
    Returns how many left the source: 0 when it has no route at all."""
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET

    def go():
        sent = 0
        for i in range(flows):
            s = socket.socket(fam, socket.SOCK_DGRAM)
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((src, sport_base + i))
                s.sendto(b"baglab-flow", (dst, dport))
                sent += 1
            except OSError as exc:
                if exc.errno == errno.EINVAL:       # what a send through a full neighbour table gets
                    raise HostLimit(neigh_tables.full_message() or f"sendto {dst} in {ns}: {exc.strerror} (the host's "
                                    "neighbour tables may be full: see 'baglab status')") from None
                if exc.errno not in (errno.ENETUNREACH, errno.EHOSTUNREACH):
                    raise
            finally:
                s.close()
        return sent
    return nsutil.in_netns(ns, go)


@dataclass
class Round:
    src: str
    prefix: str
    sent: int
    delivered: int
    ttl_expired: int
    #: router -> ifname -> packets that left through it
    split: dict[str, dict[str, int]]
    #: router -> packets its neighbours sent it that it neither forwarded nor took in (lost on the
    #: links into it or inside it): where a blackhole is, for the report
    gaps: dict[str, int] = field(default_factory=dict)

    @property
    def blackholed(self) -> int:
        return self.sent - self.delivered


def probe(plan: Plan, paths: LabPaths, src: str, prefix: str, flows: int = 200, deadline_s: float = 5.0) -> Round:
    """Send `flows` flows from origin `src` to `prefix` and account for every packet."""
    node = plan.node(src)
    fam6 = ":" in prefix
    own = [p for p in (node.prefixes_v6 if fam6 else node.prefixes_v4)]
    if not own:
        raise LabError(f"{src} originates no {'IPv6' if fam6 else 'IPv4'} prefix to send from")
    before = read(plan, paths)
    send(paths.netns(src), target(own[0]), target(prefix), flows)

    def settled():
        now = read(plan, paths)
        got = sum(now[n].delivered - before[n].delivered for n in now)
        expired = sum(now[n].ttl_expired - before[n].ttl_expired for n in now)
        return now if got + expired >= flows else None

    # once every packet has arrived, read again: the poll's read went router by router while
    # packets were still in flight, so a router read early may not have counted them yet
    poll(settled, deadline_s)
    now = read(plan, paths)
    split = {}
    for n, c in now.items():
        d = {i: c.egress.get(i, 0) - before[n].egress.get(i, 0) for i in c.egress}
        d = {i: v for i, v in d.items() if v}
        if d:
            split[n] = d
    return Round(src, prefix, flows, sum(now[n].delivered - before[n].delivered for n in now),
                 sum(now[n].ttl_expired - before[n].ttl_expired for n in now), split,
                 gaps(plan, src, split, {n: _taken(now[n], before[n]) for n in now}))


def _taken(now: Counters, before: Counters) -> int:
    return now.delivered - before.delivered + now.ttl_expired - before.ttl_expired


def gaps(plan: Plan, src: str, split: dict[str, dict[str, int]], taken: dict[str, int]) -> dict[str, int]:
    """Per router (not the source): packets its neighbours forwarded to it minus what it forwarded
    on, took in or answered as expired; non-zero only where packets vanished.  Egress is counted
    before the cable, so a loss on a link shows at the router behind it."""
    out = {}
    for n, took in taken.items():
        if n == src:
            continue
        came = sum(split.get(l.peer(n).node, {}).get(l.peer(n).ifname, 0) for l in plan.links_of(n))
        if came - sum(split.get(n, {}).values()) - took > 0:
            out[n] = came - sum(split.get(n, {}).values()) - took
    return out


def split_rows(r: Round, installed: dict[str, dict[str, int]], expected: dict[str, dict[str, int]],
               precision: float = precision_.PRECISION) -> list[dict]:
    """Per router on the path and next hop: flows, observed and expected share, the tolerance
    (lab/observe/probes/precision.py) and the verdict: 'ok', 'skewed', 'too few flows', 'no route in the oracle'."""
    rows = []
    for router, counts in sorted(r.split.items()):
        total = sum(counts.values())
        inst, exp = installed.get(router, {}), expected.get(router, {})
        wsum = sum(exp.values())
        for ifname in sorted(set(counts) | set(exp)):
            p = exp.get(ifname, 0) / wsum if wsum else 0.0
            got = counts.get(ifname, 0) / total
            tol, verdict = precision_.verdict(got, p, total, precision)
            if not exp:
                verdict = precision_.Split.NO_ROUTE
            elif len(exp) == 1 and verdict == precision_.Split.TOO_FEW:
                verdict = precision_.Split.OK          # one next hop: nothing to split, nothing to measure
            rows.append({"router": router, "next_hop": ifname, "flows": counts.get(ifname, 0), "total": total,
                         "share": got, "expected": p, "tolerance": tol, "verdict": verdict,
                         "installed_weight": inst.get(ifname, 0), "expected_weight": exp.get(ifname, 0)})
    return rows


def split_problems(r: Round, installed: dict[str, dict[str, int]], expected: dict[str, dict[str, int]],
                   precision: float = precision_.PRECISION) -> list[str]:
    """Per router on the path: observed share of each egress vs installed and expected weights,
    within the statistical tolerance of the flows that crossed it (lab/observe/probes/precision.py); a
    router that saw too few flows to tell a skew of ``precision`` is a problem too, not a pass."""
    out = []
    if r.blackholed:
        where = ", ".join(f"{n}: {k}" for n, k in sorted(r.gaps.items()))
        out.append(f"{r.src} -> {r.prefix}: {r.blackholed} of {r.sent} packets never arrived"
                   + (f" ({r.ttl_expired} expired in a loop)" if r.ttl_expired else "")
                   + (f"; lost on the way into or inside {where}" if where else ""))
    seen_few = set()
    for w in split_rows(r, installed, expected, precision):
        if w["verdict"] == precision_.Split.NO_ROUTE:
            if w["router"] not in seen_few:
                out.append(f"{w['router']} forwarded {w['total']} packets for {r.prefix} but the oracle has no route there")
            seen_few.add(w["router"])
        elif w["verdict"] == precision_.Split.TOO_FEW:
            if w["router"] not in seen_few:
                out.append(f"{w['router']} {r.prefix}: only {w['total']} flows, too few to judge its split to "
                           f"+-{100 * precision:.0f} points (needs {precision_.flows_for(100 * precision)})")
            seen_few.add(w["router"])
        elif w["verdict"] == precision_.Split.SKEWED:
            out.append(f"{w['router']} {r.prefix} via {w['next_hop']}: {w['share']:.0%} of {w['total']} flows, "
                       f"expected {w['expected']:.0%} +-{w['tolerance']:.0%} (installed weight "
                       f"{w['installed_weight']}, oracle weight {w['expected_weight']})")
    return out
