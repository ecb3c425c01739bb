"""Link-bandwidth limits per FRR version (lab.design.lb_limits) against what each version did.

The evidence, tests/data/frr-lb/lb-limits-<84|103|107>.json, is bench/lb_limits.py's output on a
lab of tests/data/frr-lb/lb-wrap.yaml (FRR 8.4.4 on the host, 10.3 and 10.7.1 from their roots,
kernel 6.18, measured 2026-12-07): r1-f1-p1s1 announces 198.19.0.0/24 with V Mbps over 3 links to
r1-bag1; r1-bag1 sends the cumulative value to r2-bag1 over one link and a fixed 25,600 over the
other; a collector (ExaBGP) records the raw communities the three routers send.  Per V: what the
collector heard, what r1-bag1 and r2-bag1 hold (vtysh JSON) and r2-bag1's kernel weights.  Then
the same with ``disable-link-bw-encoding-ieee`` towards the collector, and (10.x) with
``extended-link-bandwidth`` on every session.
"""
from __future__ import annotations

import json
import re

import pytest

from lab.config.oracle import ucmp_weights
from lab.design import lb_limits as lb
from lab.design.frr_versions import CATALOGUE as VERSIONS

from ..conftest import ROOT

DATA = ROOT / "tests" / "data" / "frr-lb"
FILES = {"8.4": "lb-limits-84.json", "10.3": "lb-limits-103.json", "10.7": "lb-limits-107.json"}
EVIDENCE = {v: json.loads((DATA / f).read_text()) for v, f in FILES.items()}
STSW, BAG, FAR = "r1-f1-p1s1", "r1-bag1", "r2-bag1"
ASN = {STSW: 4200100000, BAG: 4200000000, FAR: 4200000001}
FIXED = lb.to_bytes(25_600)
CUM, FIX = "198.18.0.6", "198.18.0.8"       # r2-bag1's paths: r1-bag1's cumulative and fixed sessions


def rows(version: str, step: str = "values") -> list[dict]:
    e = EVIDENCE[version]
    return e["values"] if step == "values" else e[step].get("values", [])


def every_row(version: str) -> list[dict]:
    e = EVIDENCE[version]
    extra = [e["ieee_off"]["before_reset"], e["initial"]]
    extra += [e["extended"]["before_reset"]] if "before_reset" in e["extended"] else []
    return rows(version) + rows(version, "ieee_off") + rows(version, "extended") + extra


def parse(s: str) -> tuple[int, int]:
    m = re.fullmatch(r"LB:(\d+):(\d+) \(.*\)", s)
    assert m, s
    return int(m.group(1)), int(m.group(2))


def classic(path: dict) -> str:
    return path["extendedCommunity"]["string"]


def extended(path: dict) -> str:
    return path["extendedIpv6Community"]["string"]


def path(row: dict, node: str, nexthop: str) -> dict:
    return next(p for p in row[node] if p["from"] == nexthop)


def test_every_version_baglab_runs_was_measured():
    assert set(lb.CATALOGUE) == set(VERSIONS) == set(EVIDENCE)


@pytest.mark.parametrize("version", FILES)
def test_the_evidence_is_from_that_version(version):
    assert EVIDENCE[version]["version"].startswith(f"FRRouting {version}")


# -- a) the largest configurable value ------------------------------------------------------------

@pytest.mark.parametrize("version", FILES)
def test_the_range_is_the_one_frr_states(version):
    lo, hi = lb.limits(version).configurable
    assert f"set extcommunity bandwidth <({lo}-{hi})|cumulative|num-multipaths> [non-transitive]" \
        in EVIDENCE[version]["grammar"]["route-map"]


@pytest.mark.parametrize("version", FILES)
def test_each_value_tried_is_accepted_or_refused_as_predicted(version):
    for n, got in EVIDENCE[version]["configure"].items():
        if lb.configurable(version, int(n)):
            assert got["exit"] == 0 and got["answer"] == "" and got["running_config"], (n, got)
        else:
            assert got["exit"] == 1 and got["answer"] == lb.refusal(int(n)) and not got["running_config"], (n, got)


def test_the_largest_values():
    assert [lb.limits(v).configurable for v in FILES] == [(1, 25_600), (1, 4_294_967_295), (0, 4_294_967_295)]


@pytest.mark.parametrize("version", ["10.3", "10.7"])
def test_10_x_shows_the_largest_value_as_minus_one(version):
    """A quirk to know before rendering it: 4,294,967,295 is accepted and printed back as -1."""
    assert EVIDENCE[version]["configure"]["4294967295"]["running_config"] == ["set extcommunity bandwidth -1"]


# -- b) what goes on the wire, and how FRR prints it ----------------------------------------------

@pytest.mark.parametrize("version", FILES)
def test_configured_values_on_the_wire(version):
    """The STSW's announcement as the collector decoded it, and as r1-bag1 holds and prints it."""
    for row in rows(version, "values"):
        want = lb.configured(version, row["announced_mbps"])
        (ec,) = row["heard"][STSW]["extended-community"]
        assert (ec["type"], ec["as"], ec["ieee_float"]) == ("0004", lb.AS_TRANS, want), row["announced_mbps"]
        assert {classic(p) for p in row[BAG]} == {lb.frr_string(lb.AS_TRANS, want)}


def test_the_float_rounds():
    assert lb.configured("8.4", 11_000) == 1_375_000_064 != lb.to_bytes(11_000)
    assert lb.configured("10.7", 800_000) == 99_999_997_952
    assert lb.configured("8.4", 25_600) == 3_200_000_000


def test_10_3_wraps_configured_values_and_10_7_does_not():
    assert lb.configured("10.3", 34_360) == 32_704                # 4,295,000,000 - 2^32
    assert lb.configured("10.3", 800_000) == 1_215_752_192
    assert lb.configured("10.7", 34_360) == 4_295_000_064
    with pytest.raises(ValueError, match="Unknown command"):
        lb.configured("8.4", 34_360)


@pytest.mark.parametrize("version", FILES)
def test_frr_prints_what_the_module_says(version):
    """Every string seen in the evidence, from bytes/s to FRR's truncated bit rate."""
    seen = {p[k]["string"] for row in every_row(version) for n in (BAG, FAR) for p in row[n]
            for k in ("extendedCommunity", "extendedIpv6Community") if k in p}
    assert seen
    for s in seen:
        assert lb.frr_string(*parse(s)) == s


def test_frr_prints_units_as_seen():
    assert lb.frr_string(23456, 200_000_000) == "LB:23456:200000000 (1.000 Gbps)"
    assert lb.frr_string(23456, 100_000_000) == "LB:23456:100000000 (800.000 Mbps)"
    assert lb.frr_string(23456, 17_532_800) == "LB:23456:17532800 (140.000 Mbps)"
    assert lb.frr_string(23456, 32_704) == "LB:23456:32704 (261.000 Kbps)"


# -- c) cumulative values beyond 2^32 bytes/s -----------------------------------------------------

@pytest.mark.parametrize("version", FILES)
def test_cumulative_values_as_carried(version):
    """r1-bag1 sums its three paths; r2-bag1 sums the cumulative and the fixed path."""
    for row in rows(version, "values"):
        each = lb.configured(version, row["announced_mbps"])
        cum = lb.cumulative(version, [each] * 3)
        assert row["heard"][BAG]["extended-community"][0]["ieee_float"] == cum
        assert classic(path(row, FAR, CUM)) == lb.frr_string(lb.AS_TRANS, cum)
        assert classic(path(row, FAR, FIX)) == lb.frr_string(lb.AS_TRANS, FIXED)
        assert row["heard"][FAR]["extended-community"][0]["ieee_float"] == lb.cumulative(version, [cum, FIXED])


@pytest.mark.parametrize("version", FILES)
def test_the_kernel_weighs_what_was_carried(version):
    for row in rows(version, "values"):
        cum = lb.cumulative(version, [lb.configured(version, row["announced_mbps"])] * 3)
        kernel = {h["gateway"]: h["weight"] for h in row["kernel_r2-bag1"]}
        assert [kernel[CUM], kernel[FIX]] == ucmp_weights([cum, FIXED], version), row["announced_mbps"]


def test_wrap_clamp_or_whole():
    """76,800 Mbps (3 x 25,600): 9.6e9 bytes/s wraps twice on 8.4 and 10.3, to 8,080.5 Mbps, where a
    clamp would give 34,359.7; 10.7 carries it.  The issue's 4 x 9,600 = 38,400 became 4,040."""
    per = lb.configured("8.4", 25_600)
    assert lb.cumulative("8.4", [per] * 3) == lb.cumulative("10.3", [per] * 3) == 9_600_000_000 - 2 * lb.WRAP
    assert lb.cumulative("10.7", [per] * 3) == 9_600_000_000
    assert round(lb.to_mbps(lb.cumulative("8.4", [lb.to_bytes(9_600)] * 4)), 2) == 4_040.26
    assert lb.cumulative("10.7", [lb.to_bytes(9_600)] * 4) == 4_800_000_000
    assert not lb.whole("10.3", 9_600_000_000) and lb.whole("10.7", 9_600_000_000)
    assert not lb.whole("10.7", 9_600_000_000, "raw") and lb.whole("10.3", 9_600_000_000, "extended")


def test_the_wrap_flips_the_split():
    """What the kernel then does: 3:1 becomes 23/76 on 8.4 and 80/254 on 10.3 (as recorded)."""
    cum = lb.cumulative("8.4", [lb.to_bytes(25_600)] * 3)
    assert ucmp_weights([cum, FIXED], "8.4") == [23, 76]
    assert ucmp_weights([cum, FIXED], "10.3") == [80, 254]
    assert ucmp_weights([lb.cumulative("10.7", [lb.to_bytes(25_600)] * 3), FIXED], "10.7") == [255, 85]


# -- the raw 32-bit encoding ----------------------------------------------------------------------

@pytest.mark.parametrize("version", FILES)
def test_raw_encoding_wraps_on_every_version(version):
    off = EVIDENCE[version]["ieee_off"]
    assert not any(off["refused"].values())
    before = off["before_reset"]["heard"]
    assert before[STSW]["extended-community"][0]["ieee_float"] == lb.configured(version, 11_000), \
        "the flag alone (a soft refresh) changed the encoding"
    for row in off["values"]:
        v = row["announced_mbps"]
        assert row["heard"][STSW]["extended-community"][0]["uint32"] == lb.configured(version, v, "raw")
        each = lb.configured(version, v)          # r1-bag1's own sessions stay IEEE
        assert row["heard"][BAG]["extended-community"][0]["uint32"] == lb.cumulative(version, [each] * 3, "raw")


def test_no_version_clamps_raw_values():
    assert EVIDENCE["10.7"]["ieee_off"]["values"][-1]["heard"][BAG]["extended-community"][0]["uint32"] \
        == 3 * 99_999_997_952 % lb.WRAP != lb.WRAP - 1


# -- d) extended link-bandwidth -------------------------------------------------------------------

def test_8_4_has_no_extended_link_bandwidth():
    e = EVIDENCE["8.4"]
    assert "extended" not in lb.encodings("8.4")
    assert not any("extended-link-bandwidth" in l for l in e["grammar"]["router bgp"])
    for node, addrs in e["extended"]["sessions"].items():
        assert e["extended"]["refused"][node] == "; ".join(
            f"% Unknown command: neighbor {a} extended-link-bandwidth" for a in addrs)


@pytest.mark.parametrize("version", ["10.3", "10.7"])
def test_extended_is_there_and_needs_a_reset(version):
    e = EVIDENCE[version]
    assert "[no] neighbor <A.B.C.D|X:X::X:X|WORD> extended-link-bandwidth" in e["grammar"]["router bgp"]
    assert not any(e["extended"]["refused"].values())
    assert all("extended-community-ipv6" not in h for h in e["extended"]["before_reset"]["heard"].values())


@pytest.mark.parametrize("version", ["10.3", "10.7"])
def test_extended_carries_64_bits_exactly(version):
    for row in EVIDENCE[version]["extended"]["values"]:
        v = row["announced_mbps"]
        each = lb.configured(version, v, "extended")
        cum = lb.cumulative(version, [each] * 3, "extended")
        assert each == lb.to_bytes(v) and cum == 3 * lb.to_bytes(v)
        for node, want in ((STSW, each), (BAG, cum), (FAR, cum + FIXED)):
            (ec,) = row["heard"][node]["extended-community-ipv6"]
            assert (ec["type"], ec["bytes_per_s"], ec["as"]) == ("0206", want, lb.community_as(version, ASN[node], "extended"))
            assert row["heard"][node]["extended-community"] == []
        assert extended(path(row, FAR, CUM)) == lb.frr_string(lb.community_as(version, ASN[BAG], "extended"), cum)
        kernel = {h["gateway"]: h["weight"] for h in row["kernel_r2-bag1"]}
        assert [kernel[CUM], kernel[FIX]] == ucmp_weights([cum, FIXED], version), v


# -- e) the AS in the community -------------------------------------------------------------------

@pytest.mark.parametrize("version", FILES)
def test_the_classic_community_carries_as_trans(version):
    for row in rows(version, "values"):
        for node in (STSW, BAG, FAR):
            assert row["heard"][node]["extended-community"][0]["as"] == lb.community_as(version, ASN[node]) == 23456


def test_the_extended_community_carries_the_real_asn_only_on_10_7():
    assert lb.community_as("10.3", 4_200_000_000, "extended") == 23456
    assert lb.community_as("10.7", 4_200_000_000, "extended") == 4_200_000_000
    assert lb.community_as("8.4", 65000) == 65000
