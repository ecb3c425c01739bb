"""The route-level kinds' names, prefix sets and patterns resolved against bag-mini before any lab is
touched (lab.verdict.checks.names.resolve_routes): every mistake is one located error -- file:line:
YAML path -- naming what exists, and a choice that would cover nothing is a mistake."""
from __future__ import annotations

import pytest

from lab.errors import TopologyError
from lab.verdict.checks.validate import validate

from ..conftest import TOPOLOGIES

TOPO = TOPOLOGIES / "bag-mini.yaml"


def _error(tmp_path, body: str) -> str:
    f = tmp_path / "intents.yaml"
    f.write_text(body)
    with pytest.raises(TopologyError) as e:
        validate(f, TOPO)
    return str(e.value).replace(str(f), "FILE")


CASES = [
    # unknown routers, as a name, in a list, in a mapping, and as a neighbour
    ("routes:\n  - at: r9-*\n", "FILE:2: routes[0].at: unknown router 'r9-*'", ["known: coll2, r1-bag1, r1-bag2"]),
    ("routes:\n  - at: [r2-bag1, r2-bag9]\n", "FILE:2: routes[0].at[1]: unknown router 'r2-bag9'",
     ["did you mean r2-bag2, r2-bag1"]),
    ("routes:\n  - at:\n      routers: [r2-bag1]\n      roles: [bag]\n  - at:\n      routers: [r3-*]\n",
     "FILE:6: routes[1].at.routers[0]: unknown router 'r3-*'", ["known: coll2"]),
    ("paths:\n  - at: r2-bag1\n    learnt_from: r1-bag3\n    origin: igp\n",
     "FILE:3: paths[0].learnt_from: unknown neighbour 'r1-bag3'", ["did you mean r1-bag2, r1-bag1"]),
    ("advertised:\n  - from: r2-bag1\n    to: coll9\n", "FILE:3: advertised[0].to: unknown neighbour 'coll9'",
     ["coll2"]),
    # regions, fabrics, planes
    ("routes:\n  - at: {regions: [r3]}\n", "FILE:2: routes[0].at.regions[0]: unknown region 'r3'",
     ["known: r1, r2"]),
    ("routes:\n  - at: {fabrics: [f9]}\n", "FILE:2: routes[0].at.fabrics[0]: unknown fabric 'f9'",
     ["known: f1, f2, f3, r1-f1, r1-f2, r2-f3"]),
    ("routes:\n  - at: {roles: [bag], planes: [1, 3]}\n", "FILE:2: routes[0].at.planes[1]: unknown plane '3'",
     ["known: 1, 2"]),
    # a choice of nothing
    ("routes:\n  - at: {roles: [edge], regions: [r2]}\n",
     "FILE:2: routes[0].at: chooses no router (roles=edge regions=r2)", ["roles here: bag, collector, edge, stsw"]),
    ("paths:\n  - at: r2-bag1\n    best_via: {roles: [collector], planes: [1]}\n",
     "FILE:3: paths[0].best_via: chooses no neighbour (roles=collector planes=1)", []),
    # prefix sets
    ("routes:\n  - at: r2-bag1\n    prefixes: ['198.19.0.1/24']\n",
     "FILE:3: routes[0].prefixes[0]: '198.19.0.1/24' is not a prefix (host bits set", ["'P ge N le M'"]),
    ("routes:\n  - at: r2-bag1\n    prefixes: [any, foo]\n", "FILE:3: routes[0].prefixes[1]: 'foo' is not a prefix",
     ["'more-specifics of P'", "'fabric NAME'"]),
    ("routes:\n  - at: r2-bag1\n    prefixes:\n      - 198.19.0.0/16 ge 33\n",
     "FILE:4: routes[0].prefixes[0]: '198.19.0.0/16 ge 33': ge/le must be between 16 and 32", []),
    ("advertised:\n  - from: r2-bag1\n    to: coll2\n    prefixes: ['198.19.0.0/16 ge 25 le 24']\n",
     "FILE:4: advertised[0].prefixes[0]: '198.19.0.0/16 ge 25 le 24': ge is greater than le", []),
    ("paths:\n  - at: r2-bag1\n    origin: igp\n    except: [fabric f4]\n",
     "FILE:4: paths[0].except[0]: unknown fabric 'f4'; known: f1, f2, f3", []),
    ("routes:\n  - at: r2-bag1\n    prefixes: ['2001:db8::/64 ge 127']\n    families: [ipv4]\n",
     "FILE:3: routes[0].prefixes[0]: '2001:db8::/64 ge 127' is ipv6 but families is [ipv4]: it would cover nothing",
     []),
    # tables and kinds a collector cannot have
    ("routes:\n  - at: coll2\n    table: rib\n", "FILE:3: routes[0].table: a collector has no rib", ["table: bgp"]),
    ("routes:\n  - at: {roles: [bag, collector], regions: [r2]}\n    table: fib\n",
     "FILE:3: routes[0].table: a collector has no fib", []),
    ("advertised:\n  - from: coll2\n    to: r2-bag1\n", "FILE:2: advertised[0].from: a collector sends nothing", []),
    ("paths:\n  - at: coll2\n    which: best\n    origin: igp\n",
     "FILE:3: paths[0].which: coll2 is a collector: it keeps every path it heard and selects none", []),
    ("paths:\n  - at: [r2-bag1, coll2]\n    best_via: r2-bag*\n",
     "FILE:3: paths[0].best_via: coll2 is a collector", []),
    ("advertised:\n  - from: r2-bag1\n    to: {fabrics: [f1]}\n",
     "FILE:3: advertised[0].to: no router of 'from' (r2-bag1) has a session to one of 'to' (fabrics=f1)",
     ["their neighbours: coll2, r1-bag1, r1-bag2, r2-f3-p1s1, r2-f3-p2s1"]),
    # attribute rules
    ("paths:\n  - at: r2-bag1\n    communities: {has: ['64512']}\n",
     "FILE:3: paths[0].communities.has[0]: '64512' is not a community (ASN:VALUE or a well-known name", []),
    ("paths:\n  - at: r2-bag1\n    communities: {lacks: ['64512:2', gshut]}\n",
     "FILE:3: paths[0].communities.lacks[1]: 'gshut' is not a community", ["graceful-shutdown"]),
    # YAML 1.1 reads an unquoted 64512:2 as a base-60 number
    ("paths:\n  - at: r2-bag1\n    communities: {has: [64512:2]}\n",
     "FILE:3: paths[0].communities.has[0]: 3870722 is a number: quote a community ('64512:2')", []),
    ("paths:\n  - at: r2-bag1\n    large_communities:\n      exactly: ['64512:2']\n",
     "FILE:4: paths[0].large_communities.exactly[0]: '64512:2' is not a large community (ASN:DATA1:DATA2", []),
    ("paths:\n  - at: r2-bag1\n    large_communities: {has: [graceful-shutdown]}\n",
     "FILE:3: paths[0].large_communities.has[0]: 'graceful-shutdown' is not a large community", []),
    ("paths:\n  - at: r2-bag1\n    as_path:\n      matches: '(4200'\n",
     "FILE:4: paths[0].as_path.matches: not a regular expression: missing ), unterminated subpattern", []),
    ("paths:\n  - at: r2-bag1\n    as_path: {min_length: 3, max_length: 2}\n",
     "FILE:3: paths[0].as_path: min_length above max_length: 3 is above 2, so nothing can match", []),
    ("paths:\n  - at: r2-bag1\n    as_path:\n      lacks: [65000, '4200000009-4200000001']\n",
     "FILE:4: paths[0].as_path.lacks[1]: ASN range 4200000009-4200000001: 4200000009 is above 4200000001", []),
    ("paths:\n  - at: r2-bag1\n    local_pref: {min: 200, max: 100}\n",
     "FILE:3: paths[0].local_pref: min above max: 200 is above 100", []),
    ("routes:\n  - at: r2-bag1\n    count: {min: 5, max: 2}\n", "FILE:3: routes[0].count: count min above max", []),
    ("paths:\n  - at: r2-bag1\n    which: best\n",
     "FILE:2: paths[0]: says nothing about the paths: give communities, large_communities, as_path", []),
]


@pytest.mark.parametrize("body, where, needs", CASES, ids=[c[1].split(": ", 2)[-1][:40] for c in CASES])
def test_one_located_error(tmp_path, body, where, needs):
    text = _error(tmp_path, body)
    assert text.startswith(where), text
    for n in needs:
        assert n in text, text
    assert text.count("FILE:") == 1


def test_the_schema_names_the_keys_of_a_router_choice(tmp_path):
    text = _error(tmp_path, "routes:\n  - at:\n      region: [r1]\n")
    assert text.startswith("FILE:3: routes[0].at.region: unknown key 'region' (did you mean regions?)"), text
    assert "keys here: fabrics, planes, regions, roles, routers" in text


def test_a_valid_file_says_what_it_asks_for(tmp_path):
    f = tmp_path / "intents.yaml"
    f.write_text("""\
routes:
  - at: {roles: [bag, collector], regions: [r2]}
    prefixes: [198.18.0.0/16 ge 31, 2001:db8::/64 ge 127]
    expect: absent
  - at: coll2
    prefixes: [fabric f1, fabric f2, fabric f3]
    expect: exactly
advertised:
  - from: r2-bag*
    to: {roles: [bag], regions: [r1]}
    prefixes: [fabric f3]
paths:
  - at: r2-bag1
    prefixes: [fabric r2-f3]
    communities: {lacks: [graceful-shutdown, no-export]}
    large_communities: {lacks: ['*:*:*']}
    as_path: {has: ['4200100000-4200100099'], max_length: 1}
    local_pref: {min: 100}
    best_via: {fabrics: [f3]}
""")
    v = validate(f, TOPO)
    assert v.checked == ["routes: 2 intents (absent, exactly)", "advertised: 1 intent (present)", "paths: 1 intent"]


@pytest.mark.parametrize("pattern,why", [
    ("(42000+ )+$", "a quantified group or a backreference can take exponential time"),
    ("(4200000000|4200000001)*", "a quantified group"),
    (r"(\d+) \1", "backreference"),
    (".*4200000000.*", "more than one unbounded repetition"),
    ("4{1,100}", "a repetition count above 16"),
])
def test_an_as_path_pattern_that_could_hang_a_check_is_refused(mini, tmp_path, pattern, why):
    """An intent file is untrusted: Python's re backtracks, so a pattern that could take super-linear
    time on a long (prepended) AS path is one located error, not a hung check."""
    from lab.verdict.checks import names
    from lab.verdict.checks.schema import load_intents

    f = tmp_path / "intents.yaml"
    f.write_text(f"paths:\n  - at: r1-bag1\n    as_path: {{matches: '{pattern}'}}\n")
    with pytest.raises(Exception, match=r"intents.yaml:\d+: paths\[0\]\.as_path\.matches: .*" + why):
        names.resolve(mini, load_intents(f))


@pytest.mark.parametrize("pattern", ["^4200000001 4200100002$", "^4200000001 .* 4200100002$", "^(4200000000|42) ",
                                     r"^\d{10} \d{10}$"])
def test_a_plain_as_path_pattern_is_accepted(mini, tmp_path, pattern):
    from lab.verdict.checks import names
    from lab.verdict.checks.schema import load_intents

    f = tmp_path / "intents.yaml"
    f.write_text(f"paths:\n  - at: r1-bag1\n    as_path: {{matches: '{pattern}'}}\n")
    names.resolve(mini, load_intents(f))
