"""Each FRR version's UCMP weight rule, as measured on its daemons (bench/ucmp_weights.py on a lab
up with ``--frr V``: the link-bandwidths a router received, per multipath route, and the weights
its zebra installed, read over netlink, kernel 6.18, inline multipath routes, i.e. without
kernel nexthop groups).  The evidence below is raw: each case as observed, once per distinct
bandwidth set; every route's record (router, prefix, bandwidths, 8.4's weights, kernel's) is in
tests/data/frr-weights/<lab>-<version>.json.

Measured 2026-12-01 on FRR 10.3 (Debian trixie): bag-mini (28 routes), bag-2region (176), and
tests/data/frr-weights/ratios.yaml (a DSF edge reaching three BAG planes over 1, 3 and 7 member links of 800G)
-- every route of those labs fits floor(bw * 254 / max(bw)); 255 (the first guess) would
give 109 for 2400/5600 where 108 was installed, and a sum-relative rule (8.4's) gives 50/50 where
254/254 was installed.  Not measured yet: paths without link-bandwidth, a weight that would
round to 0.  With kernel nexthop groups on (policy.kernel_nexthop_groups, the ratios lab), both
versions install the same weights in 8-bit groups (ip nexthop: 'group 18,108/23,254/29,36' on
10.3, '18,109/23,255/29,36' on 10.7): no 65535 scale on kernel 6.18 (ratios-nhg-*.json).

FRR 10.7.1 (Debian sid), the ratios lab (14 routes) and bag-mini: floor(bw * 255 / max(bw)) --
36, 109, 255 for 800/2400/5600, where 10.3 installed 36, 108, 254."""
from __future__ import annotations

import pytest

from lab.config.oracle import ucmp_weights

#: (received link-bandwidths in Gbit/s, weights the kernel holds) on FRR 10.3
OBSERVED_10_3 = [
    ((400, 400), (254, 254)),
    ((400, 400, 400, 400), (254, 254, 254, 254)),
    ((400,) * 6, (254,) * 6),
    ((800, 800), (254, 254)),
    ((800, 800, 800), (254, 254, 254)),
    ((800,) * 4, (254,) * 4),
    ((800,) * 7, (254,) * 7),
    ((800, 2400, 5600), (36, 108, 254)),
    ((1600, 1600), (254, 254)),
    ((1600,) * 4, (254,) * 4),
    ((6400, 6400, 3200, 3200), (254, 254, 127, 127)),
]


@pytest.mark.parametrize("bws,kernel", OBSERVED_10_3)
def test_frr_10_3_scales_to_the_largest_bandwidth_as_observed(bws, kernel):
    assert tuple(ucmp_weights(list(bws), "10.3")) == kernel


@pytest.mark.parametrize("frr", [None, "8.4"])
def test_8_4_and_the_host_keep_the_sum_relative_rule(frr):
    assert ucmp_weights([800, 2400, 5600], frr) == [9, 27, 63]
    assert ucmp_weights([6400, 6400, 3200, 3200], frr) == [33, 33, 16, 16]


def test_the_observed_10_3_weights_differ_from_8_4s():
    """The measurement can tell the rules apart: 8.4's rule fails on every observed case."""
    assert all(tuple(ucmp_weights(list(b))) != k for b, k in OBSERVED_10_3)


#: the same on FRR 10.7.1
OBSERVED_10_7 = [
    ((400,) * 4, (255,) * 4),
    ((400,) * 6, (255,) * 6),
    ((800, 800, 800), (255, 255, 255)),
    ((800,) * 7, (255,) * 7),
    ((800, 2400, 5600), (36, 109, 255)),
    ((400, 400), (255, 255)),
    ((800, 800), (255, 255)),
    ((800,) * 4, (255,) * 4),
    ((1600, 1600), (255, 255)),
    ((1600,) * 4, (255,) * 4),
    ((6400, 6400, 3200, 3200), (255, 255, 127, 127)),
]


@pytest.mark.parametrize("bws,kernel", OBSERVED_10_7)
def test_frr_10_7_scales_to_255_as_observed(bws, kernel):
    assert tuple(ucmp_weights(list(bws), "10.7")) == kernel


def test_10_3_and_10_7_differ_on_what_was_observed():
    assert ucmp_weights([800, 2400, 5600], "10.3") != ucmp_weights([800, 2400, 5600], "10.7")
