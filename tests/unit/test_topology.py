"""Bad input gets one clear error naming the YAML path (and line); nothing else happens."""
from __future__ import annotations

import textwrap

import pytest

from lab.errors import TopologyError
from lab.design.plan import build_plan
from lab.design.topology import load, load_text

from .. import plans

BASE = """\
name: t
regions:
  - name: r1
    bag: {planes: 2}
    fabrics:
      - {name: f1, kind: nsf, spine_planes: 2}
  - name: r2
    bag: {planes: 2}
    fabrics:
      - {name: f2, kind: dsf}
interconnects:
  - {between: [r1, r2], mode: planar}
"""


def plan_of(text: str):
    return build_plan(load_text(textwrap.dedent(text), "t.yaml"))


def error_of(text: str) -> TopologyError:
    with pytest.raises(TopologyError) as exc:
        plan_of(text)
    return exc.value


def test_base_is_valid():
    p = plan_of(BASE)
    assert len(p.nodes) == 2 + 4 + 2 + 1


@pytest.mark.parametrize("text, path, words, line", [
    (BASE.replace("kind: dsf", "kind: dsff"), "regions[1].fabrics[0].kind", "nsf", 10),
    (BASE.replace("spine_planes: 2}", "spine_planes: 2, uplinx: 3}"), "regions[0].fabrics[0].uplinx", "unknown key", 6),
    (BASE.replace("{planes: 2}", "{planes: 0}", 1), "regions[0].bag.planes", "greater than or equal to 1", 4),
    (BASE.replace("kind: dsf}", "kind: dsf, port_speed: 800X}"), "regions[1].fabrics[0].port_speed", "800X", 10),
    (BASE.replace("kind: dsf}", "kind: dsf, prefixes: [10.0.0.0/24]}"), "regions[1].fabrics[0].prefixes[0]",
     "outside the lab range", 10),
    (BASE.replace("[r1, r2]", "[r1, r9]"), "interconnects[0].between[1]", "unknown region 'r9'", 12),
    (BASE.replace("- name: r2\n    bag: {planes: 2}", "- name: r2\n    bag: {planes: 3}"), "interconnects[0].mode",
     "planar needs equal plane counts", 12),
    (BASE.replace("mode: planar}", "mode: planar, bundles: [{a_plane: 1, b_plane: 2, links: 3}]}"),
     "interconnects[0].bundles[0]", "not wired by planar", 12),
    (BASE + "links:\n  - {a: r1-bag1, b: r7-bag1}\n", "links[0].b", "unknown node 'r7-bag1'", 14),
    (BASE.replace("- name: r2", "- name: r1"), "regions[1].name", "defined twice", 7),
    (BASE.replace("name: f1", "name: fabric01").replace("name: r1", "name: region01").replace("[r1, r2]", "[region01, r2]"),
     "regions[0].fabrics[0]", "Linux allows 15", 6),
    (BASE.replace("kind: dsf}", "kind: dsf, prefixes: [198.19.0.0/24]}").replace(
        "spine_planes: 2}", "spine_planes: 2, prefixes: [198.19.0.0/17]}"),
     "regions[1].fabrics[0].prefixes[0]", "overlaps 198.19.0.0/17", 10),
    (BASE.replace("kind: dsf}", "kind: dsf, prefixes: [198.18.0.0/24]}"), "regions[1].fabrics[0].prefixes[0]",
     "overlaps the address pool 198.18.0.0/17", 10),
    (BASE + "addressing: {loopback_v4: 198.18.0.0/20}\n", "addressing", "overlap", 13),
    ("name: t\nregions: [\n", "", "not valid YAML", 3),
    ("- just a list\n", "", "a mapping", 1),
])
def test_error_names_path_and_reason(text, path, words, line):
    err = error_of(text)
    assert err.path == path, str(err)
    assert words in str(err), str(err)
    assert err.line == line, str(err)
    assert str(err).startswith("t.yaml:"), str(err)


def test_one_error_even_when_many_problems():
    text = BASE.replace("kind: dsf", "kind: x").replace("planes: 2", "planes: -1")
    msg = str(error_of(text))
    assert msg.count("\n") == 0 and "more problem" in msg


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(TopologyError, match="cannot read topology"):
        load(tmp_path / "nope.yaml")


@pytest.mark.parametrize("name", ["bag-mini", "bag-2region", "bag-scale"])
def test_shipped_topologies_are_valid(name):
    p = plans.plan_of(name)
    assert p.topology == name and p.nodes and p.links
