"""Live: route-level intents (routes, advertised, paths) judged from the real daemons' tables.

A lab on the built-in policy is recorded with ``baglab record`` and passes its own record; each
shipped faulty candidate passes today's kinds (reachability, shares) and fails its own route-level
intents -- naming the router, prefix, the peer and the attribute -- and the recorded file."""
from __future__ import annotations

import json

import pytest
import yaml

from lab.pytest_plugin import extra_lab

from ..cli import baglab
from ..conftest import ROOT, TOPOLOGIES

pytestmark = pytest.mark.lab
POLICIES = ROOT / "topologies" / "policies" / "bag-mini"


@pytest.fixture(scope="module")
def recorded(request, tmp_path_factory):
    """The built-in policy's lab recorded by the CLI (the file and what recording it printed)."""
    out = tmp_path_factory.mktemp("record") / "recorded.yaml"
    with extra_lab(TOPOLOGIES / "bag-mini.yaml", request, "rbase") as (lab, _obs, _fi):
        r = baglab("record", "--name", lab.paths.name, "-o", str(out))
        check = _check(out, lab.paths.name, out.parent / "self")
    return out, r, check


def _check(intents, name: str, where, *only: str) -> tuple[int, dict]:
    where.mkdir(parents=True, exist_ok=True)
    r = baglab("check", str(intents), "--name", name, *[a for k in only for a in ("--only", k)],
               "--json", str(where / "c.json"), "--junit", str(where / "c.xml"), "--html", str(where / "c.html"),
               check=False)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    return r.returncode, json.loads((where / "c.json").read_text())


def _candidate(request, recorded, tmp_path, name: str, tag: str, *only: str):
    """A lab on candidate ``name`` checked against its own intents.yaml and against the recorded file."""
    with extra_lab(TOPOLOGIES / "bag-mini.yaml", request, tag, policy=POLICIES / name) as (lab, _o, _f):
        own = _check(POLICIES / name / "intents.yaml", lab.paths.name, tmp_path / "own", *only)
        rec = _check(recorded[0], lab.paths.name, tmp_path / "rec", *(only or ("routes", "advertised", "paths")))
    return (*own, *rec)


def _by_kind(doc: dict, status: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for v in doc["verdicts"]:
        if v["status"] == status:
            out.setdefault(v["kind"], []).append(v)
    return out


def _failed(doc: dict) -> str:
    return "\n".join(f"{v['status']} {v['check']}: {v['summary'][:300]}" for v in doc["verdicts"] if v["status"] != "PASS")


def test_a_recorded_lab_passes_its_own_record(recorded):
    path, r, (code, doc) = recorded
    text = path.read_text()
    parsed = yaml.safe_load(text)
    assert {"routes", "advertised", "paths"} <= set(parsed), sorted(parsed)
    # routers that agree are written once: every router at once, a region's BAG routers, not each router
    assert {"roles": ["bag", "edge", "stsw"]} in [x["at"] for x in parsed["routes"]], parsed["routes"]
    assert {"regions": ["r2"], "roles": ["bag"]} in [x["from"] for x in parsed["advertised"]], parsed["advertised"]
    assert not any(isinstance(x["from"], str) for x in parsed["advertised"]), parsed["advertised"]
    assert any(x.get("best_via") for x in parsed["paths"]), parsed["paths"]
    assert text.count("\n") < 200 and text.startswith("# Drafted by 'baglab record'"), text[:300]
    assert "recorded" in r.stderr and "statements" in r.stderr, r.stderr
    assert code == 0, _failed(doc)
    assert {"routes", "advertised", "paths"} <= {v["kind"] for v in doc["verdicts"]}


def test_leaked_connected_subnets_fail_route_intents_while_reachability_and_shares_pass(request, recorded, tmp_path):
    code, doc, recorded_code, recorded_doc = _candidate(request, recorded, tmp_path, "leak-connected", "rleak")
    assert code == 1
    passed, failed = _by_kind(doc, "PASS"), _by_kind(doc, "FAIL")
    assert set(failed) == {"routes", "advertised", "paths"}, _failed(doc)
    assert len(passed["reachability"]) == 12 and len(passed["shares"]) == 2, _failed(doc)
    guard = next(v for v in failed["routes"] if ":absent:" in v["check"])
    findings = "\n".join(guard["evidence"]["findings"])
    # the leaked prefixes, the routers holding them, the peer and the STSW they started at
    assert "r1-bag1 holds 198.18.0.16/31 (from r2-bag1" in findings, findings[:2000]
    assert "originated by r2-f3-p1s1 (origin incomplete)" in findings, findings[:2000]
    assert "r1-f2-edge holds 2001:db8::10/127" in findings, findings[:2000]
    assert "r1-bag2 holds 198.18.128.13/32" in findings and "originated by r2-f3-p2s2" in findings, findings[:2000]
    assert guard["evidence"]["findings_total"] >= 5 * 2 * 9, guard["evidence"]["findings_total"]
    coll = next(v for v in failed["routes"] if v["check"].startswith("routes:coll2"))
    assert "coll2 also holds 198.18.0.16/31" in coll["summary"], coll["summary"]
    assert "r2-bag1 -> r1-bag1: sends 198.18.0.16/31" in failed["advertised"][0]["summary"], failed["advertised"]
    assert "origin is incomplete, not igp" in failed["paths"][0]["summary"], failed["paths"]
    assert recorded_code == 1 and _by_kind(recorded_doc, "FAIL").keys() >= {"routes", "advertised"}, \
        _failed(recorded_doc)


def test_a_community_strip_towards_the_other_region_fails_the_paths_intent(request, recorded, tmp_path):
    code, doc, recorded_code, recorded_doc = _candidate(request, recorded, tmp_path, "strip-community", "rstrip",
                                                        "paths")
    assert code == 1, _failed(doc)
    failed = _by_kind(doc, "FAIL")["paths"]
    text = "\n".join(f for v in failed for f in v["evidence"]["findings"])
    # plane 2 strips the tag: exactly the paths from r2-bag2 / r1-bag2 lack it, plane 1's carry it
    assert "r1-bag1 198.19.2.0/24 from r2-bag2, AS path 4200000001 4200100002: communities lacks 64512:2" in text, text
    assert "r2-bag1 198.19.0.0/24 from r1-bag2, AS path 4200000000 4200100000: communities lacks 64512:2" in text, text
    assert "from r2-bag1" not in text and "from r1-bag1" not in text, text
    assert recorded_code == 1 and "communities are 64512:2, not exactly none" in _failed(recorded_doc)


def test_a_preference_through_the_hub_fails_the_best_path_intent(request, recorded, tmp_path):
    code, doc, recorded_code, recorded_doc = _candidate(request, recorded, tmp_path, "hub-preference", "rpref",
                                                        "paths")
    assert code == 1, _failed(doc)
    best = next(v for v in doc["verdicts"] if v["status"] == "FAIL" and "best path" in v["summary"])
    assert "r2-bag1 198.19.2.0/24: best path from r1-bag1, AS path 4200000000 4200000001 4200100002" in best["summary"]
    assert "r2-bag2" not in best["summary"], best["summary"]            # the other spoke BAG stays direct
    assert "local preference is 200, above 100" in _failed(doc)
    assert recorded_code == 1 and "not via regions=r2" in _failed(recorded_doc), _failed(recorded_doc)
