"""The intent file: what must hold for a policy, in the user's words (fabrics, routers, planes).

No check here needs an oracle of the *candidate* policy (baglab's oracle only
knows its own built-in policy): reachability, shares against a stated figure or
the plan's remaining capacity, behaviour under every single failure, loss-free
drains and route attributes are all judged from the plan and what the routers
did.  Names are checked against the plan later (:mod:`lab.verdict.checks.names`), where
the plan is known; this module only fixes the shape, so a typo in a key is one
located error before any lab is touched.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StrictBool, StrictFloat, StrictInt

from lab.design.model import MAX_ITEMS, Strict
from lab.design.yaml_files import Located, Text, load_model

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.*?~#\[\]-]+$")]
Family = Literal["ipv4", "ipv6"]
#: what ``baglab diff`` compares (lab.workflows.diff.compare): ``paths`` the BGP table's paths beyond the
#: selected ones (a path appearing or going, a path's selection, MED, origin), ``advertised`` what a router
#: sends each neighbour (Adj-RIB-Out)
Aspect = Literal["fib", "as_path", "local_pref", "communities", "link_bandwidth", "paths", "advertised", "flows",
                 "sweep"]
#: every list of the file: far more than any intent needs, and validation stops at the first item
#: too many instead of reporting each of 20,000 bad ones (seconds)
Many = Field(max_length=MAX_ITEMS)
#: a share in percent; strict: YAML's true is not 1 and '50' is not a number
Percent = Annotated[StrictFloat, Field(ge=0, le=100)]


def _plane_keys(v: object) -> object:
    """``expect: {1: 60, 2: 40}`` (by plane) as naturally written: a plane's number as its key."""
    return {str(k) if isinstance(k, int) and not isinstance(k, bool) else k: x for k, x in v.items()} \
        if isinstance(v, dict) else v


class Pair(Strict):
    """An ordered pair of fabrics (``from`` sends, ``to`` owns the prefix)."""
    src: Name = Field(alias="from")
    dst: Name = Field(alias="to")


class Reachability(Strict):
    """Every ordered pair of fabrics reaches the other by real packets, in every family, except
    the listed pairs."""
    families: list[Family] = Field(default=["ipv4", "ipv6"], max_length=2)
    except_pairs: list[Pair] = Field(default=[], alias="except", max_length=MAX_ITEMS,
                                     description="pairs that need not reach each other")
    flows: StrictInt = Field(default=16, ge=1, le=4096, description="probe flows per pair and family")


class Share(Strict):
    """At router ``at``, the traffic towards fabric ``fabric`` splits over next hops grouped
    ``by`` neighbour, plane or region, as ``expect`` says: a share per group in percent, or
    ``proportional`` (to the remaining capacity: the plan's live links and port speeds)."""
    at: Annotated[list[Name], Many] | Name = Field(description="router(s) where the split is measured")
    fabric: Name = Field(description="fabric (f1, or r1-f1 where the name is in several regions)")
    by: Literal["neighbour", "plane", "region"] = "neighbour"
    expect: Literal["proportional"] | Annotated[dict[Name, Percent], Many, BeforeValidator(_plane_keys)] = Field(
        default="proportional", description="group -> percent, or proportional to the remaining capacity")
    tolerance: StrictFloat = Field(default=2.0, ge=0, le=100, description="percentage points")
    flows: StrictInt | None = Field(default=None, ge=16, le=20000, description="probe flows (default: by size)")
    failures: list[Name] = Field(default=[], max_length=MAX_ITEMS,
                                 description="links (bundle#member), bundles or routers failed first")
    hardware: StrictBool = Field(default=False, description="also judge the shares a switch ASIC would give: the "
                                 "kernel's weights quantised into the topology's policy.hardware_table")


class Sweep(Strict):
    """Every single failure (N-1) and, optionally, every failure domain: no blackhole, no loop,
    converged within the budget."""
    budget_ms: StrictInt = Field(default=5000, ge=100, le=600_000, description="convergence budget per failure")
    domains: StrictBool = Field(default=True, description="also fail each failure domain (data hall, power feed)")
    kinds: Annotated[list[Literal["link", "bundle", "node", "plane", "domain"]], Field(max_length=5)] | None = Field(
        default=None, description="only these failure kinds (default: all)")


class Drain(Strict):
    """Draining exactly one of: a BAG plane (``plane`` with ``region``, or every region),
    a router, or a link (``bundle#member``) loses no probe packet."""
    plane: StrictInt | None = Field(default=None, ge=1, le=16, description="a BAG plane")
    region: Name | None = Field(default=None, description="with plane: only this region's")
    router: Name | None = Field(default=None, description="a router")
    link: Name | None = Field(default=None, description="a link bundle#member, or a bundle")


class Attribute(Strict):
    """Routes a router advertises out of its region (``leaving`` region) carry exactly
    ``link_bandwidth_values`` link-bandwidth values (checked in the receiving routers' RIB)."""
    leaving: Name = Field(description="region the routes leave")
    link_bandwidth_values: StrictInt = Field(default=1, ge=0, le=16)
    routes: Literal["all", "specifics", "aggregates"] = Field(
        default="all", description="aggregates merge their contributors' values")


Role = Literal["bag", "stsw", "edge", "collector"]
#: a prefix-list entry: 'any', 'P', 'P ge N', 'P le N', 'P ge N le M', 'more-specifics of P', 'fabric NAME'
PrefixText = Annotated[str, Field(min_length=1, max_length=80)]


class Where(Strict):
    """Routers chosen by what they are: a router is chosen when it matches every key given (names
    are shell patterns).  Collectors are chosen only by name or ``roles: [collector]``."""
    routers: list[Name] = Field(default=[], max_length=MAX_ITEMS, description="names or patterns (r1-bag*)")
    roles: list[Role] = Field(default=[], max_length=4)
    regions: list[Name] = Field(default=[], max_length=MAX_ITEMS)
    planes: list[Annotated[StrictInt, Field(ge=1, le=16)]] = Field(default=[], max_length=16,
                                                                   description="BAG planes (an STSW: the plane it stripes to)")
    fabrics: list[Name] = Field(default=[], max_length=MAX_ITEMS, description="the fabric's STSWs / edge pods")


#: a router name or pattern, a list of them, or a Where mapping
Routers = Where | Annotated[list[Name], Many] | Name


class Count(Strict):
    """How many matching prefixes a router may hold (or send a neighbour), both bounds included."""
    min: StrictInt | None = Field(default=None, ge=0, description="at least")
    max: StrictInt | None = Field(default=None, ge=0, description="at most")


class _PrefixScope(Strict):
    prefixes: list[PrefixText] = Field(default=["any"], max_length=MAX_ITEMS,
                                       description="the routes in scope, as prefix-list entries")
    except_: list[PrefixText] = Field(default=[], alias="except", max_length=MAX_ITEMS,
                                      description="routes taken out of scope (anything but these)")
    families: list[Family] = Field(default=["ipv4", "ipv6"], min_length=1, max_length=2)


class Routes(_PrefixScope):
    """At every router chosen by ``at``, the routes of ``prefixes`` (minus ``except``) are
    ``present`` (each exact prefix, and at least one per range), ``absent`` (none at all: a leak is
    named with the peer it came from and its AS path) or held ``exactly`` (present, and nothing else of
    the families outside ``except``); ``count`` bounds how many match.  ``table: bgp`` counts every
    path, selected or not; ``rib`` zebra's selected routes of every protocol (connected link subnets
    too); ``fib`` the routes BGP installed in the kernel."""
    at: Routers = Field(description="routers, a pattern, or {routers, roles, regions, planes, fabrics}; "
                        "a collector: what it heard")
    table: Literal["bgp", "rib", "fib"] = "bgp"
    expect: Literal["present", "absent", "exactly"] = "present"
    count: Count | None = None
    why: Text = Field(default="", description="shown with the verdict")


class Advertised(_PrefixScope):
    """What routers send a neighbour (FRR's Adj-RIB-Out, after outbound policy): the routes of
    ``prefixes`` each router of ``from`` sends each neighbour chosen by ``to`` are present, absent or
    exactly these, as for ``routes``."""
    src: Routers = Field(alias="from", description="the sending routers")
    to: Routers = Field(description="the neighbours (routers, a collector, a fabric's STSWs)")
    expect: Literal["present", "absent", "exactly"] = "present"
    count: Count | None = None
    why: Text = Field(default="", description="shown with the verdict")


def _quoted(v: object) -> object:
    """YAML 1.1 reads an unquoted 64512:2 (and 64512:2:1) as a base-60 number: say so, not 'not a string'."""
    if isinstance(v, int) and not isinstance(v, bool):
        raise ValueError(f"{v} is a number: quote a community ('64512:2'); unquoted, YAML reads 64512:2 "
                         "as the base-60 number 3870722")
    return v


#: a community as written: '64512:2', '64512:*', 'graceful-shutdown'; a large one '64512:2:1'
Community = Annotated[str, BeforeValidator(_quoted), Field(max_length=40)]


class CommunityRule(Strict):
    """Communities a path must carry (``has``), must not (``lacks``), or exactly these (each value
    matches an entry and each entry a value); '64512:*' patterns, well-known names (graceful-shutdown,
    no-export) for standard communities.  Quote them: YAML reads 64512:2 as a number."""
    has: list[Community] = Field(default=[], max_length=64, description="each must match a value")
    lacks: list[Community] = Field(default=[], max_length=64, description="no value may match one")
    exactly: list[Community] | None = Field(default=None, max_length=64,
                                            description="the values, no more and no fewer")


class AsPathRule(Strict):
    """The AS path: its length, a regular expression over its text ('4200000001 4200100002'), ASNs
    required or forbidden (numbers or 'lo-hi' ranges), private ASNs forbidden."""
    max_length: StrictInt | None = Field(default=None, ge=0, le=255,
                                         description="as best-path selection counts: an AS_SET once")
    min_length: StrictInt | None = Field(default=None, ge=0, le=255)
    matches: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="Python regular expression over the ASNs joined by spaces (re.search); "
        "no quantified group or backreference, at most one unbounded repetition, counts up to 16")
    has: list[StrictInt | Annotated[str, Field(pattern=r"^\d{1,10}(-\d{1,10})?$")]] = Field(
        default=[], max_length=64, description="each ASN or 'lo-hi' range must be in the path")
    lacks: list[StrictInt | Annotated[str, Field(pattern=r"^\d{1,10}(-\d{1,10})?$")]] = Field(
        default=[], max_length=64, description="no ASN of the path may be one of these")
    private: Literal["allowed", "forbidden"] = Field(
        default="allowed", description="forbidden: no 64512-65534 or 4200000000-4294967294 in the path")


class Range(Strict):
    """A number's bounds, both included: ``{min: 100}``, ``{min: 10, max: 50}``."""
    min: StrictInt | None = Field(default=None, description="at least")
    max: StrictInt | None = Field(default=None, description="at most")


class LinkBandwidthRule(Strict):
    """The link-bandwidth extended communities of a path: how many, and their values as carried on the
    wire (bytes/s; FRR's configuration writes Mbit/s, 'bandwidth 800' -> 100000000)."""
    count: StrictInt | None = Field(default=None, ge=0, le=16, description="how many values")
    bytes_per_second: list[StrictInt] | None = Field(default=None, max_length=64,
                                                     description="every value is one of these")
    mbps: Range | None = Field(default=None, description="every value lies in this range, in FRR's unit (Mbps, "
                               "bytes/s / 125,000): a wrapped cumulative value falls below its range")


class Paths(_PrefixScope):
    """At every router chosen by ``at``, the paths of the prefixes in scope (``which``: all paths,
    the best, or the multipath set; ``learnt_from``: only paths from these routers) carry the
    attributes given; ``best_via``: each prefix's best path comes from one of these routers."""
    at: Routers = Field(description="routers (or a collector: the paths it heard)")
    learnt_from: Routers | None = Field(default=None, description="only paths from these neighbours")
    which: Literal["all", "best", "multipath"] = "all"
    communities: CommunityRule | None = None
    large_communities: CommunityRule | None = None
    as_path: AsPathRule | None = None
    local_pref: StrictInt | Range | None = Field(default=None, description="a path learnt over eBGP without "
                                                 "one: the table's default (100)")
    med: StrictInt | Range | None = Field(default=None, description="a path without a MED has none (not 0)")
    origin: Literal["igp", "egp", "incomplete"] | None = None
    link_bandwidth: LinkBandwidthRule | None = None
    next_hop: Routers | None = Field(default=None, description="the path's neighbour is one of these")
    best_via: Routers | None = Field(default=None, description="the best path's neighbour is one of these")
    why: Text = Field(default="", description="shown with the verdict")


Community = Annotated[str, Field(min_length=1, max_length=40)]


class CommunityChange(Strict):
    """Communities the candidate adds and removes (shell patterns, '64512:*'): at every matching router
    and prefix, the candidate's set is the baseline's plus ``added`` minus ``removed``, nothing else."""
    added: list[Community] = Field(default=[], max_length=64, description="each is on the candidate's routes")
    removed: list[Community] = Field(default=[], max_length=64, description="none is left on them")


class LinkBandwidthChange(Strict):
    """Link-bandwidth values as carried on the wire (bytes/s; FRR's 'bandwidth 800' is 100000000): one
    value replaced (``from`` and ``to``), or the values the candidate's routes carry (``bytes_per_second``,
    ``[]`` when stripped)."""
    from_: StrictInt | None = Field(default=None, alias="from", ge=0, description="the baseline's value")
    to: StrictInt | None = Field(default=None, ge=0, description="what it becomes")
    bytes_per_second: list[Annotated[StrictInt, Field(ge=0)]] | None = Field(default=None, max_length=64)


class AsPathChange(Strict):
    """ASNs prepended: a router receiving the route from the prepending router holds ``prepended``
    followed by the baseline's AS path; further on, the same run sits where that AS is in the path."""
    prepended: list[Annotated[StrictInt, Field(ge=1, le=4_294_967_295)]] = Field(min_length=1, max_length=32)


class PrefixChange(Strict):
    """Prefixes the candidate adds (``appearing``) or takes away (``going``), as prefix-list entries
    ('P', 'P le N', 'more-specifics of P', 'fabric NAME')."""
    appearing: list[PrefixText] = Field(default=[], max_length=MAX_ITEMS)
    going: list[PrefixText] = Field(default=[], max_length=MAX_ITEMS)


class IntendedChange(Strict):
    """A difference the candidate means to make; ``baglab diff`` lists matching differences apart
    from the unintended ones.  Names are shell-style patterns.  ``aspects`` alone accepts any
    difference of those aspects; a value stated (``communities``, ``large_communities``,
    ``link_bandwidth``, ``as_path``, ``prefixes``) accepts a difference of its aspect only when the
    observed change is the one stated, and one never observed is reported."""
    nodes: list[Name] = Field(default=["*"], max_length=MAX_ITEMS, description="routers (patterns)")
    fabrics: list[Name] = Field(default=["*"], max_length=MAX_ITEMS, description="fabrics whose prefixes (patterns)")
    aspects: list[Aspect] = Field(default=[], max_length=MAX_ITEMS,
                                  description="what differs, any value (needed unless a value is stated)")
    communities: CommunityChange | None = Field(default=None, description="standard communities added/removed")
    large_communities: CommunityChange | None = Field(default=None, description="large communities added/removed")
    link_bandwidth: LinkBandwidthChange | None = None
    as_path: AsPathChange | None = None
    prefixes: PrefixChange | None = Field(default=None, description="prefixes appearing or going (any aspect)")
    why: Text = Field(default="", description="shown beside each matching difference")

    def statements(self) -> list[str]:
        """The values this change states, by key."""
        return [k for k in ("communities", "large_communities", "link_bandwidth", "as_path", "prefixes")
                if getattr(self, k) is not None]


class Intents(Strict):
    """What must hold for a policy; every key is optional, and a kind left out is not checked."""
    description: Text = Field(default="", description="one line, shown in reports")
    reachability: Reachability | None = None
    shares: list[Share] = Field(default=[], max_length=MAX_ITEMS)
    sweep: Sweep | None = None
    drains: list[Drain] = Field(default=[], max_length=MAX_ITEMS)
    attributes: list[Attribute] = Field(default=[], max_length=MAX_ITEMS)
    routes: list[Routes] = Field(default=[], max_length=MAX_ITEMS)
    advertised: list[Advertised] = Field(default=[], max_length=MAX_ITEMS)
    paths: list[Paths] = Field(default=[], max_length=MAX_ITEMS)
    intended_changes: list[IntendedChange] = Field(default=[], max_length=MAX_ITEMS)




#: the validated intents plus the YAML tree, so a name check later can point at a line
LoadedIntents = Located      # (of Intents; unsubscripted so isinstance works)


def load_intents(path: str | Path) -> LoadedIntents:
    """One located error (file:line: YAML path) for anything malformed, as for topologies."""
    return load_model(path, Intents, "intent file", "a mapping (reachability, shares, sweep, drains, attributes, "
                      "routes, advertised, paths, intended_changes)")
