"""What a route-level intent points at, as pure logic: prefix sets written the way a prefix-list is
("198.18.0.0/15 ge 31", "more-specifics of 198.19.0.0/16", "fabric f1", "any"), routers chosen by
name pattern, role, region, plane or fabric, and the path attributes a ``paths`` intent asks for.

Nothing here reads a lab: the checks feed it tables, the name resolver feeds it the plan."""
from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from ipaddress import ip_network

from lab.design import lb_limits
from lab.design.node_kinds import kind_of
from lab.design.plan import Plan
from lab.observe.routes import WELL_KNOWN

#: 64512-65534 (RFC 6996), 4200000000-4294967294 (RFC 6996)
PRIVATE_ASNS = ((64512, 65534), (4_200_000_000, 4_294_967_294))
SPEC_RE = re.compile(r"^(?:(any)|more-specifics of (\S+)|(fabric|region) (\S+)|(\S+?)(?: ge (\d+))?(?: le (\d+))?)$")


class SpecError(ValueError):
    """A prefix spec that is not one (the message says what forms exist)."""


FORMS = ("'any', 'P', 'P ge N', 'P le N', 'P ge N le M', 'more-specifics of P', 'fabric NAME' or 'region NAME'"
         " (P a prefix such as 198.19.0.0/16 or 2001:db8::/32)")


class PrefixGroup:
    """A fabric's or region's prefixes: the announced ones plus bulk blocks, tested by arithmetic
    (a million emulated routes are never listed)."""

    def __init__(self, prefixes=(), blocks=()):
        self.prefixes = frozenset(prefixes)
        # (version, prefixlen, first address as int, step, count) per bulk block
        self.blocks = tuple(blocks)

    def __contains__(self, prefix: str) -> bool:
        if prefix in self.prefixes:
            return True
        if not self.blocks:
            return False
        net = ip_network(prefix, strict=False)
        a = int(net.network_address)
        return any(v == net.version and ln == net.prefixlen and 0 <= a - base < step * n and (a - base) % step == 0
                   for v, ln, base, step, n in self.blocks)

    def __iter__(self):
        yield from sorted(self.prefixes)
        for v, ln, base, step, n in self.blocks:
            cls = type(ip_network(f"{'0.0.0.0' if v == 4 else '::'}/0").network_address)
            for i in range(n):
                yield f"{cls(base + i * step)}/{ln}"

    def __len__(self) -> int:
        return len(self.prefixes) + sum(b[4] for b in self.blocks)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __or__(self, other: "PrefixGroup") -> "PrefixGroup":
        return PrefixGroup(self.prefixes | other.prefixes, self.blocks + other.blocks)


@dataclass(frozen=True)
class PrefixSpec:
    """One entry of a prefix set.  ``exact`` entries are the ones 'present' can require one by one."""
    text: str
    network: object = None          # ip_network, None for 'any' and fabrics
    ge: int | None = None
    le: int | None = None
    fabric_prefixes: PrefixGroup | None = None     # a fabric or region: its prefixes (exact)

    @property
    def exact(self):
        if self.fabric_prefixes is not None:
            return self.fabric_prefixes
        if self.network is not None and self.ge is None and self.le is None:
            return (str(self.network),)
        return ()

    def matches(self, prefix: str) -> bool:
        if self.text == "any":
            return True
        if self.fabric_prefixes is not None:
            return prefix in self.fabric_prefixes
        net = ip_network(prefix, strict=False)
        if net.version != self.network.version or not net.subnet_of(self.network):
            return False
        lo = self.ge if self.ge is not None else (self.network.prefixlen if self.le is None else self.network.prefixlen)
        hi = self.le if self.le is not None else (net.max_prefixlen if self.ge is not None else self.network.prefixlen)
        return lo <= net.prefixlen <= hi


def parse_spec(text: str, fabrics: dict[str, tuple[str, ...]] | None = None) -> PrefixSpec:
    """``text`` as a PrefixSpec; ``fabrics`` (name -> prefixes) resolves 'fabric NAME' (None: syntax only)."""
    m = SPEC_RE.match(text.strip())
    if not m:
        raise SpecError(f"{text!r} is not a prefix set entry; use {FORMS}")
    any_, more, word, fab, pfx, ge, le = m.groups()
    if any_:
        return PrefixSpec("any")
    if fab:
        key = fab if word == "fabric" else f"region {fab}"
        if fabrics is None:
            return PrefixSpec(text, fabric_prefixes=PrefixGroup())
        if key not in fabrics:
            known = sorted(k.split(" ", 1)[1] if word == "region" else k for k in fabrics
                           if (" " in k) == (word == "region"))
            raise SpecError(f"unknown {word} {fab!r}; known: {', '.join(known)}")
        return PrefixSpec(text, fabric_prefixes=fabrics[key])
    try:
        net = ip_network(more or pfx)
    except ValueError:
        raise SpecError(f"{(more or pfx)!r} is not a prefix (host bits set, or not an address/length); "
                        f"use {FORMS}") from None
    if more:
        if net.prefixlen == net.max_prefixlen:
            raise SpecError(f"{more} has no more-specifics")
        return PrefixSpec(text, net, ge=net.prefixlen + 1, le=net.max_prefixlen)
    ge_, le_ = (int(ge) if ge else None), (int(le) if le else None)
    for v in (ge_, le_):
        if v is not None and not net.prefixlen <= v <= net.max_prefixlen:
            raise SpecError(f"{text!r}: ge/le must be between {net.prefixlen} and {net.max_prefixlen}")
    if ge_ is not None and le_ is not None and ge_ > le_:
        raise SpecError(f"{text!r}: ge is greater than le")
    return PrefixSpec(text, net, ge_, le_)


@dataclass(frozen=True)
class PrefixSet:
    """``prefixes`` minus ``except``, optionally one family."""
    include: tuple[PrefixSpec, ...]
    exclude: tuple[PrefixSpec, ...] = ()
    families: tuple[str, ...] = ("ipv4", "ipv6")

    def matches(self, prefix: str) -> bool:
        fam = "ipv6" if ":" in prefix else "ipv4"
        return fam in self.families and any(s.matches(prefix) for s in self.include) \
            and not any(s.matches(prefix) for s in self.exclude)

    def in_family(self, prefix: str) -> bool:
        return ("ipv6" if ":" in prefix else "ipv4") in self.families and \
            not any(s.matches(prefix) for s in self.exclude)

    def required(self) -> list[str]:
        """The exact prefixes 'present' requires one by one (in the families, not excepted), each once
        however many entries name it ('fabric f1' and its prefix)."""
        return list(dict.fromkeys(p for s in self.include for p in s.exact if self.matches(p)))


def _group(n) -> PrefixGroup:
    blocks = []
    for b in n.bulk:
        net = ip_network(b.first)
        blocks.append((net.version, b.prefixlen, int(net.network_address), 1 << (net.max_prefixlen - b.prefixlen), b.count))
    return PrefixGroup(n.prefixes_v4 + n.prefixes_v6, blocks)


def fabric_prefixes(plan: Plan) -> dict[str, PrefixGroup]:
    """Fabric name (``r1-f1``, and ``f1`` where unique) -> the prefixes its routers originate (bulk
    blocks included); ``region r1`` -> every fabric prefix of region r1."""
    full: dict[str, PrefixGroup] = {}
    regions: dict[str, PrefixGroup] = {}
    for n in plan.nodes:
        if n.fabric and n.originates:
            g = _group(n)
            key, region = f"{n.region}-{n.fabric}", f"region {n.region}"
            full[key] = full[key] | g if key in full else g
            regions[region] = regions[region] | g if region in regions else g
    short: dict[str, list[str]] = {}
    for k in full:
        short.setdefault(k.split("-", 1)[1], []).append(k)
    out = dict(full)
    out.update({s: full[ks[0]] for s, ks in short.items() if len(ks) == 1 and s not in full})
    out.update(regions)
    return out


def prefix_set(plan: Plan, include, exclude=(), families=None) -> PrefixSet:
    fabrics = fabric_prefixes(plan)
    return PrefixSet(tuple(parse_spec(t, fabrics) for t in include), tuple(parse_spec(t, fabrics) for t in exclude),
                     tuple(families or ("ipv4", "ipv6")))


# -- routers ---------------------------------------------------------------------------------------

def select(plan: Plan, where, *, collectors: bool = True, tables: bool = False) -> list[str]:
    """The nodes a ``Where`` (or a name/pattern, or a list of them) chooses, in plan order.  ``tables``:
    only routers whose tables can be read (emulated fabric routers, bulk or ExaBGP, keep none)."""
    if where is None:
        return []
    if isinstance(where, str):
        where = [where]
    tabled = [n for n in plan.nodes if not (tables and kind_of(n).emulates_fabric)]
    if isinstance(where, (list, tuple)):
        return [n.name for n in tabled if any(fnmatchcase(n.name, p) for p in where)
                and (collectors or n.role != "collector")]
    out = []
    for n in tabled:
        if where.routers and not any(fnmatchcase(n.name, p) for p in where.routers):
            continue
        if where.roles and n.role not in where.roles:
            continue
        if where.regions and n.region not in where.regions:
            continue
        if where.planes and n.bag_plane not in where.planes:
            continue
        if where.fabrics and not (n.fabric and (n.fabric in where.fabrics or f"{n.region}-{n.fabric}" in where.fabrics)):
            continue
        if not where.roles and n.role == "collector" and not where.routers:
            continue        # collectors only when asked for (by role or name)
        if n.role == "collector" and not collectors:
            continue
        out.append(n.name)
    return out


def describe(where) -> str:
    if isinstance(where, str):
        return where
    if isinstance(where, (list, tuple)):
        return ",".join(where)
    parts = [f"{k}={','.join(map(str, v))}" for k, v in
             (("routers", where.routers), ("roles", where.roles), ("regions", where.regions),
              ("planes", where.planes), ("fabrics", where.fabrics)) if v]
    return " ".join(parts) or "every router"


# -- path attributes -------------------------------------------------------------------------------

def is_private(asn: int) -> bool:
    return any(lo <= asn <= hi for lo, hi in PRIVATE_ASNS)


def asn_in(asn: int, ranges) -> bool:
    """``ranges``: ints or 'lo-hi' strings."""
    for r in ranges:
        if isinstance(r, int) and asn == r:
            return True
        if isinstance(r, str):
            lo, _, hi = r.partition("-")
            if int(lo) <= asn <= int(hi or lo):
                return True
    return False


def community_matches(value: str, pattern: str) -> bool:
    """'64512:*' matches any 64512:x; an exact value only itself; a well-known name (graceful-shutdown,
    no-export) its number, as the tables hold it."""
    return fnmatchcase(value, WELL_KNOWN.get(pattern, pattern))


def _community_faults(found: tuple[str, ...], rule, what: str) -> list[str]:
    out = []
    if rule is None:
        return out
    for c in rule.has:
        if not any(community_matches(v, c) for v in found):
            out.append(f"{what} lacks {c}")
    for c in rule.lacks:
        hit = [v for v in found if community_matches(v, c)]
        if hit:
            out.append(f"{what} has {', '.join(hit)} (forbidden: {c})")
    if rule.exactly is not None:
        # every value is one of the list and every entry of the list is there ('64512:*': at least one)
        stray = [v for v in found if not any(community_matches(v, c) for c in rule.exactly)]
        missing = [c for c in rule.exactly if not any(community_matches(v, c) for v in found)]
        if stray or missing:
            out.append(f"{what} are {' '.join(found) or 'none'}, not exactly {' '.join(rule.exactly) or 'none'}")
    return out


def _range_fault(value, rule, what: str) -> list[str]:
    if rule is None:
        return []
    if isinstance(rule, int):
        return [] if value == rule else [f"{what} is {value}, not {rule}"]
    out = []
    if rule.min is not None and (value is None or value < rule.min):
        out.append(f"{what} is {value}, below {rule.min}")
    if rule.max is not None and value is not None and value > rule.max:
        out.append(f"{what} is {value}, above {rule.max}")
    return out


def path_faults(p, spec, peer_ok=None) -> list[str]:
    """Every way path ``p`` (a RoutePath) breaks the attribute rules of a ``paths`` intent, as text."""
    out = _community_faults(p.communities, spec.communities, "communities")
    out += _community_faults(p.large_communities, spec.large_communities, "large communities")
    a = spec.as_path
    if a is not None:
        text = " ".join(map(str, p.as_path))
        if a.max_length is not None and p.path_length > a.max_length:
            out.append(f"AS path {text} is {p.path_length} long, above {a.max_length}")
        if a.min_length is not None and p.path_length < a.min_length:
            out.append(f"AS path {text or '(empty)'} is {p.path_length} long, below {a.min_length}")
        if a.matches is not None and not re.search(a.matches, text):
            out.append(f"AS path {text or '(empty)'} does not match /{a.matches}/")
        for asn in a.has:
            if not any(asn_in(x, [asn]) for x in p.as_path):
                out.append(f"AS path {text or '(empty)'} lacks {asn}")
        bad = [x for x in p.as_path if asn_in(x, a.lacks)]
        if bad:
            out.append(f"AS path {text} has forbidden ASN {', '.join(map(str, sorted(set(bad))))}")
        if a.private == "forbidden":
            priv = [x for x in p.as_path if is_private(x)]
            if priv:
                out.append(f"AS path {text} has private ASN {', '.join(map(str, sorted(set(priv))))}")
    out += _range_fault(p.local_pref, spec.local_pref, "local preference")
    out += _range_fault(p.med, spec.med, "MED")
    if spec.origin is not None and p.origin != spec.origin:
        out.append(f"origin is {p.origin}, not {spec.origin}")
    lb = spec.link_bandwidth
    if lb is not None:
        if lb.count is not None and len(p.link_bandwidth) != lb.count:
            out.append(f"{len(p.link_bandwidth)} link-bandwidth values, not {lb.count}")
        if lb.bytes_per_second is not None:
            bad = [v for v in p.link_bandwidth if v not in lb.bytes_per_second]
            if bad or not p.link_bandwidth:
                out.append(f"link-bandwidth {', '.join(f'{v} bytes/s' for v in p.link_bandwidth) or 'none'}, "
                           f"not one of {', '.join(map(str, lb.bytes_per_second))} bytes/s")
        if lb.mbps is not None:
            for v in p.link_bandwidth or (None,):
                out += _range_fault(None if v is None else round(lb_limits.to_mbps(v), 3), lb.mbps, "link-bandwidth (Mbps)")
    if peer_ok is not None and not peer_ok(p.peer):
        out.append(f"next hop {p.peer} is not one of the allowed routers")
    return out
