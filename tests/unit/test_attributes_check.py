"""The attributes check judged from the receivers' BGP tables (read once, shared): a path from the
region with other than the stated number of link-bandwidth values is named."""
from __future__ import annotations

from lab.observe.routes import RoutePath
from lab.verdict.checks import attributes
from lab.verdict.checks.schema import Attribute
from lab.verdict.checks.verdict import Status

from ..plans import plan_of


class Tables:
    """What the check reads: each receiver's BGP table (and a prefetch, recorded)."""
    def __init__(self, bgp):
        self._bgp, self.prefetched = bgp, []

    def prefetch(self, nodes, tables):
        self.prefetched.append((sorted(nodes), tables))

    def bgp(self, node):
        return self._bgp.get(node, {})


def _tables(plan, lb_of):
    recv = attributes.receivers(plan, "r1")
    want = attributes.prefixes(plan, "r1", "all")
    return Tables({r: {p: [RoutePath(p, s, link_bandwidth=lb_of(r, p, s)) for s in sorted(senders)]
                       + [RoutePath(p, "r2-f3-p1s1", link_bandwidth=())]          # not from r1: not judged
                       for p in want} for r, senders in recv.items()})


def test_every_path_from_the_region_with_one_value_passes():
    plan = plan_of("bag-mini")
    t = _tables(plan, lambda r, p, s: (100000000,))
    v = attributes.check(plan, t, Attribute(leaving="r1"))
    assert v.status is Status.PASS and t.prefetched == [(sorted(attributes.receivers(plan, "r1")), ["bgp"])]
    assert v.evidence["paths"] == sum(len(s) for s in attributes.receivers(plan, "r1").values()) * \
        len(set(attributes.prefixes(plan, "r1", "all")))


def test_a_path_with_two_values_is_named_with_router_prefix_and_sender():
    plan = plan_of("bag-mini")
    first = attributes.prefixes(plan, "r1", "all")[0]
    t = _tables(plan, lambda r, p, s: (1, 2) if (r, p, s) == ("r2-bag1", first, "r1-bag1") else (1,))
    v = attributes.check(plan, t, Attribute(leaving="r1"))
    assert v.status is Status.FAIL and f"r2-bag1 {first} from r1-bag1: 2" in v.summary
    assert v.evidence["wrong"] == [{"at": "r2-bag1", "prefix": first, "from": "r1-bag1", "lb_values": 2}]
