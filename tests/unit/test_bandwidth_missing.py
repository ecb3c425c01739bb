"""What a multipath set installs when some or all of its paths carry no link-bandwidth, per FRR
version and ``policy.bandwidth_missing`` option, as measured on the daemons.

Measured 2026-12-01 with bench/bandwidth_missing.py on tests/data/frr-weights/ratios.yaml, up on
the host's FRR 8.4.4, on 10.3 (Debian trixie) and 10.7.1 (sid), kernel 6.18, inline multipath routes.  The
community was stripped at chosen senders (``set extcommunity none`` in their outbound maps) and
each receiver option set live on every router; raw records (what each path carried, what the
kernel held) in tests/data/frr-weights/missing-<84|103|107>.json.  What was seen, the same on
every version apart from the weight scale (and ``ignore``):

- no option (FRR's default, baglab's 'ecmp'): one path without the community and the whole set
  gets equal weights (the others' bandwidths are ignored);
- ``skip-missing``: the paths without it are *not installed*; the rest get the version's UCMP
  weights among themselves (8.4: of their sum, 10.3: of their largest);
- ``default-weight-for-missing``: the paths without it are installed with weight 1, the rest as
  with skip-missing;
- no path with the community: equal weights under every option;
- ``ignore``: on 8.4 and 10.3 equal weights even when every path carries the community (UCMP
  off, not a missing-bandwidth rule: not offered as an option); 10.7, set live, kept its UCMP
  weights (36/109/255) then, and equal weights once a path lacked it;
- ``set extcommunity bandwidth cumulative`` sums the paths that carry one and sends no community
  when none does (so a fabric that stops marking takes the marking off every route built only on it).
"""
from __future__ import annotations

import pytest

from lab.config.oracle import Failures, expected_routes, ucmp_weights
from lab.design.plan import build_plan
from lab.design.topology import load_text

from ..conftest import ROOT

RATIOS = (ROOT / "tests" / "data" / "frr-weights" / "ratios.yaml").read_text()
M = 0          # no link-bandwidth on this path
OUT = 0        # the path is not in the kernel's route

#: (version, option, bandwidths received in Gbit/s, weights the kernel held) as observed
OBSERVED = [
    ("8.4", "ecmp", (M, 2400, 5600), (1, 1, 1)),
    ("8.4", "ecmp", (M, 400, 400, 400, 400, 400), (1,) * 6),
    ("8.4", "ecmp", (M, 800, 3200), (1, 1, 1)),
    ("8.4", "ecmp", (M, M, M), (1, 1, 1)),
    ("8.4", "skip-missing", (M, 2400, 5600), (OUT, 30, 70)),
    ("8.4", "skip-missing", (M, 400, 400, 400, 400, 400), (OUT,) + (20,) * 5),
    ("8.4", "skip-missing", (M, 800, 3200), (OUT, 20, 80)),
    ("8.4", "skip-missing", (M, M, M, M, M, M), (1,) * 6),
    ("8.4", "default-weight", (M, 2400, 5600), (1, 30, 70)),
    ("8.4", "default-weight", (M, 400, 400, 400, 400, 400), (1,) + (20,) * 5),
    ("8.4", "default-weight", (M, 800, 3200), (1, 20, 80)),
    ("8.4", "default-weight", (M, M, M), (1, 1, 1)),
    ("10.3", "ecmp", (M, 2400, 5600), (1, 1, 1)),
    ("10.3", "ecmp", (M, 400, 400, 400, 400, 400), (1,) * 6),
    ("10.3", "ecmp", (M, M, M), (1, 1, 1)),
    ("10.3", "skip-missing", (M, 2400, 5600), (OUT, 108, 254)),
    ("10.3", "skip-missing", (M, 400, 400, 400, 400, 400), (OUT,) + (254,) * 5),
    ("10.3", "skip-missing", (M, 800, 3200), (OUT, 63, 254)),
    ("10.3", "skip-missing", (M, M, M), (1, 1, 1)),
    ("10.3", "default-weight", (M, 2400, 5600), (1, 108, 254)),
    ("10.3", "default-weight", (M, 400, 400, 400, 400, 400), (1,) + (254,) * 5),
    ("10.3", "default-weight", (M, 800, 3200), (1, 63, 254)),
    ("10.3", "default-weight", (M, M, M, M, M, M), (1,) * 6),
    ("10.7", "ecmp", (M, 2400, 5600), (1, 1, 1)),
    ("10.7", "ecmp", (M, 800, 3200), (1, 1, 1)),
    ("10.7", "skip-missing", (M, 2400, 5600), (OUT, 109, 255)),
    ("10.7", "skip-missing", (M, 400, 400, 400, 400, 400), (OUT,) + (255,) * 5),
    ("10.7", "skip-missing", (M, 800, 3200), (OUT, 63, 255)),
    ("10.7", "skip-missing", (M, M, M), (1, 1, 1)),
    ("10.7", "default-weight", (M, 2400, 5600), (1, 109, 255)),
    ("10.7", "default-weight", (M, 800, 3200), (1, 63, 255)),
    ("10.7", "default-weight", (M, M, M, M, M, M), (1,) * 6),
]


@pytest.mark.parametrize("frr,option,bws,kernel", OBSERVED)
def test_missing_bandwidth_weights_as_observed(frr, option, bws, kernel):
    assert tuple(ucmp_weights(list(bws), frr, option)) == kernel


@pytest.mark.parametrize("frr", ["8.4", "10.3"])
def test_the_options_change_nothing_while_every_path_carries_one(frr):
    full = ucmp_weights([800, 2400, 5600], frr)
    assert ucmp_weights([800, 2400, 5600], frr, "skip-missing") == full
    assert ucmp_weights([800, 2400, 5600], frr, "default-weight") == full
    assert full != [1, 1, 1]


def _plan(option: str, frr: str | None = None):
    extra = f"  bandwidth_missing: {option}\n" + (f"frr: \"{frr}\"\n" if frr else "")
    return build_plan(load_text(RATIOS + extra))


@pytest.mark.parametrize("frr,option,edge", [
    ("8.4", "ecmp", {"r1-bag1-1": 1, "r1-bag2-1": 1, "r1-bag3-1": 1}),
    ("8.4", "skip-missing", {"r1-bag2-1": 20, "r1-bag3-1": 80}),
    ("8.4", "default-weight", {"r1-bag1-1": 1, "r1-bag2-1": 20, "r1-bag3-1": 80}),
    ("10.3", "skip-missing", {"r1-bag2-1": 63, "r1-bag3-1": 254}),
    ("10.3", "default-weight", {"r1-bag1-1": 1, "r1-bag2-1": 63, "r1-bag3-1": 254}),
])
def test_the_oracle_follows_an_stsw_that_stops_marking_through_cumulative_bandwidth(frr, option, edge):
    """r2-f3-p1s1 stripped: r1-bag1 received nothing to sum and sent no community, r1-bag2 sent
    800 (of 2400) and r1-bag3 3200 (of 5600): the edge's weights as the kernel held them."""
    got = expected_routes(_plan(option, frr), Failures.of(unmarked=["r2-f3-p1s1"]))["r1-f2-edge"]["198.19.1.0/24"]
    assert {h.ifname: h.weight for h in got} == edge
    assert sorted(h.bandwidth for h in got if h.weight) == sorted(b for b in (0.0, 800.0, 3200.0)
                                                                  if option != "skip-missing" or b)


@pytest.mark.parametrize("option,line", [("skip-missing", " bgp bestpath bandwidth skip-missing"),
                                         ("default-weight", " bgp bestpath bandwidth default-weight-for-missing")])
def test_the_option_is_rendered_in_router_bgp(option, line):
    from lab.config.render import render_frr
    conf = render_frr(_plan(option, "10.3"), "/tmp/x")["r1-bag1"].text
    assert line in conf.splitlines()
    assert conf.index(line) > conf.index("router bgp ")


def test_ecmp_renders_nothing_frrs_default():
    from lab.config.render import render_frr
    assert "bestpath bandwidth" not in render_frr(_plan("ecmp"), "/tmp/x")["r1-bag1"].text


def test_a_version_without_the_option_is_one_error_naming_the_yaml_path_and_version(monkeypatch):
    from lab.design import bandwidth_missing
    from lab.design.topology import TopologyError
    monkeypatch.setitem(bandwidth_missing.SUPPORTED, "10.3", frozenset({"ecmp", "default-weight"}))
    with pytest.raises(TopologyError) as e:
        _plan("skip-missing", "10.3")
    import re
    assert re.search(r":\d+: policy\.bandwidth_missing: 'skip-missing' is not an option of FRR 10\.3", str(e.value))
    _plan("default-weight", "10.3")


def test_frr_override_checks_the_option_too(monkeypatch):
    from lab.design import bandwidth_missing
    from lab.errors import LabError
    from lab.design.plan.steps.versions import with_frr
    monkeypatch.setitem(bandwidth_missing.SUPPORTED, "10.7", frozenset({"ecmp"}))
    with pytest.raises(LabError, match=r"--frr 10.7.*bandwidth_missing.*FRR 10.7"):
        with_frr(_plan("skip-missing"), "10.7")


def test_an_unknown_option_names_the_choices():
    from lab.design.topology import TopologyError
    with pytest.raises(TopologyError, match="skip-missing"):
        _plan("ignore")


#: several link-bandwidth values on one route (an aggregate carries every contributor's): bag-agg
#: with one f1 STSW announcing 200 instead of 800 (bench/aggregate_bandwidth.py), so r1-bag1's
#: aggregate carries {200, 400, 800} and r1-bag2's {400, 800}; the spoke's kernel weights per
#: version (tests/data/frr-weights/aggregate-<84|103|107>.json): every version reads the smallest
AGGREGATE_SETS = [(200, 400, 800)] * 3 + [(400, 800)]
AGGREGATE_OBSERVED = {"8.4": (20, 20, 20, 40), "10.3": (127, 127, 127, 254), "10.7": (127, 127, 127, 255)}


@pytest.mark.parametrize("frr", sorted(AGGREGATE_OBSERVED))
def test_of_several_link_bandwidths_every_version_reads_the_smallest(frr):
    assert tuple(ucmp_weights([min(s) for s in AGGREGATE_SETS], frr)) == AGGREGATE_OBSERVED[frr]
    assert tuple(ucmp_weights([max(s) for s in AGGREGATE_SETS], frr)) != AGGREGATE_OBSERVED[frr]


def test_the_aggregate_evidence_files_hold_what_the_table_says():
    import json
    for frr, want in AGGREGATE_OBSERVED.items():
        rec = json.loads((ROOT / "tests" / "data" / "frr-weights" / f"aggregate-{frr.replace('.', '')}.json").read_text())
        assert tuple(w for _, w in rec["after"]["r2-bag1"]["kernel"]) == want


#: the minimum weight: bag-mini, one f1 STSW announcing 1, 2, 3 instead of 800, so r1-bag1 weighs
#: 198.19.0.0/24's two paths b:800 (bench/min_weight.py; tests/data/frr-weights/min-weight-*.json):
#: a share that rounds to 0 is installed with weight 1 on every version
MIN_WEIGHT_OBSERVED = {"8.4": (1, 99), "10.3": (1, 254), "10.7": (1, 255)}


@pytest.mark.parametrize("frr", sorted(MIN_WEIGHT_OBSERVED))
@pytest.mark.parametrize("bw", [1, 2, 3])
def test_a_share_that_rounds_to_zero_is_weight_1_on_every_version(frr, bw):
    import json
    assert tuple(ucmp_weights([bw, 800], frr)) == MIN_WEIGHT_OBSERVED[frr]
    rec = json.loads((ROOT / "tests" / "data" / "frr-weights" / f"min-weight-{frr.replace('.', '')}.json").read_text())
    assert tuple(w for _, w in rec[str(bw)]["kernel"]) == MIN_WEIGHT_OBSERVED[frr]
