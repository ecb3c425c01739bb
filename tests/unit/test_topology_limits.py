"""Topologies that crashed, hung or were wrongly accepted.  Each gets one located
TopologyError, quickly, before anything is built.  "Quickly" is this process's CPU time, not the
wall clock: the guards are against hangs and blow-ups, and must not fail because other labs load
the machine."""
from __future__ import annotations

import os
import time
import tracemalloc

import pytest

from lab.errors import TopologyError
from lab.design.plan import build_plan
from lab.design.topology import MAX_BYTES, load, load_bytes, load_text

from ..conftest import TOPOLOGIES
from .test_topology import BASE


def error_of(text: str) -> TopologyError:
    with pytest.raises(TopologyError) as exc:
        build_plan(load_text(text, "t.yaml"))
    return exc.value


def laughs(levels: int = 8) -> str:
    """A 'billion laughs' as the regions: each anchor is a list of ten aliases of the previous
    one, and validating the last walks 10**levels values."""
    out = "name: t\nregions:\n- &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, levels):
        out += f"- &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n"
    return out


def merge_topology(fabrics: int = 30, regions: int = 8) -> str:
    """A few KB: one big fabric and one region, repeated with merge keys and aliases.  It means
    millions of links, which the plan used to expand before any size check (2 GB, MemoryError)."""
    fabs = ["&f {name: f1, kind: nsf, spine_planes: 16, stsws_per_plane: 64, uplinks_per_bag_plane: 32}"]
    fabs += [f"{{<<: *f, name: f{i}}}" for i in range(2, fabrics + 1)]
    out = "name: t\nregions:\n  - &r {name: r1, bag: {planes: 16}, fabrics: [" + ", ".join(fabs) + "]}\n"
    return out + "".join(f"  - {{<<: *r, name: r{i}}}\n" for i in range(2, regions + 1))


def merge_bomb(levels: int = 12) -> str:
    """Merge keys: each mapping merges the previous one eight times (PyYAML copies the pairs)."""
    out = "m0: &m0 {a: 1, b: 2}\n"
    for i in range(1, levels):
        out += f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 8)}], k{i}: 1}}\n"
    return out


@pytest.mark.parametrize("text, path, words, line", [
    # duplicate keys: PyYAML kept the last silently
    (BASE + "name: u\n", "name", "duplicate key 'name' (first at line 1)", 13),
    (BASE.replace("{planes: 2}", "{planes: 2, planes: 3}", 1), "regions[0].bag.planes", "duplicate key", 4),
    # booleans are not counts
    (BASE.replace("mode: planar}", "mode: planar, links_per_bundle: true}"),
     "interconnects[0].links_per_bundle", "valid integer", 12),
    (BASE.replace("{planes: 2}", "{planes: true}", 1), "regions[0].bag.planes", "valid integer", 4),
    # infinite and huge numbers
    (BASE.replace("mode: planar}", "mode: planar, length_m: .inf}"), "interconnects[0].length_m", "valid integer", 12),
    (BASE.replace("mode: planar}", "mode: planar, length_m: 1000000000000000000000}"),
     "interconnects[0].length_m", "less than or equal to 1000000", 12),
    (BASE.replace("kind: dsf}", "kind: dsf, port_speed: .inf}"), "regions[1].fabrics[0].port_speed", "speed is between", 10),
    (BASE.replace("kind: dsf}", "kind: dsf, capacity: 1" + "0" * 400 + "}"), "regions[1].fabrics[0].capacity",
     "speed is between", 10),
    (BASE.replace("kind: dsf}", "kind: dsf, capacity: 99999999999999999999T}"), "regions[1].fabrics[0].capacity",
     "not a speed", 10),
    (BASE + "design: {pfc_buffer_per_port_mb: .inf}\n", "design.pfc_buffer_per_port_mb", "finite", 13),
    (BASE + "design: {pfc_buffer_per_port_mb: 1.0e+300}\n", "design.pfc_buffer_per_port_mb", "less than or equal", 13),
    (BASE + "design: {fibre_ns_per_m: .nan}\n", "design.fibre_ns_per_m", "finite", 13),
    (BASE + "design: {max_l2_bag_oversubscription: 1.0e+300}\n", "design.max_l2_bag_oversubscription", "less than", 13),
    # address pools too small for what is cut from them
    (BASE + "addressing: {p2p_v4: 198.18.0.0/32}\n", "addressing.p2p_v4", "needs a /31 or shorter", 13),
    (BASE + "addressing: {p2p_v6: '2001:db8::/128'}\n", "addressing.p2p_v6", "needs a /127 or shorter", 13),
    (BASE + "addressing: {bulk_v6: '2001:db8:8000::/100'}\n", "addressing.bulk_v6", "needs a /64 or shorter", 13),
    (BASE + "addressing: {prefix_len_v4: 16}\n", "addressing.prefix_len_v4", "do not fit the 198.19.0.0/17 pool", 13),
    (BASE + "addressing: {prefixes_v6: '2001:db8:1000::/56', prefix_len_v6: 48}\n", "addressing.prefix_len_v6",
     "do not fit", 13),
    # ASNs past 32 bits, and tiers sharing ASNs
    (BASE + "asn: {fabric_base: 4294967294}\n", "asn.fabric_base", "past 4294967294", 13),
    (BASE + "asn: {bag_base: 4294967294}\n", "asn.bag_base", "past 4294967294", 13),
    (BASE + "collectors: [{name: c1, peers: [r1-bag1]}, {name: c2, peers: [r2-bag1]}]\n"
            "asn: {collector_base: 4294967294}\n", "asn.collector_base", "past", 14),
    (BASE + "asn: {fabric_base: 4200000001}\n", "asn.fabric_base", "overlap those from bag_base", 13),
    # BGP timers
    (BASE + "policy: {keepalive: 60, holdtime: 9}\n", "policy.holdtime", "keepalive 60 s must be shorter", 13),
    (BASE + "policy: {keepalive: 1, holdtime: 2}\n", "policy.holdtime", "0 (none) or at least 3", 13),
    (BASE + "policy: {keepalive: 3, holdtime: 65536}\n", "policy.holdtime", "less than or equal to 65535", 13),
    (BASE + "policy: {bgp_coalesce_ms: 10001}\n", "policy.bgp_coalesce_ms", "less than or equal to 10000", 13),
    # labels are shown in tables: no terminal markup, no control characters
    (BASE.replace("kind: dsf}", "kind: dsf, data_hall: '[/bold]'}"), "regions[1].fabrics[0].data_hall", "a label is", 10),
    (BASE.replace("kind: dsf}", "kind: dsf, power_feed: '[red]x'}"), "regions[1].fabrics[0].power_feed", "a label is", 10),
    (BASE.replace("{planes: 2}", "{planes: 2, data_halls: ['a', 'b\\nc']}", 1), "regions[0].bag.data_halls[1]",
     "a label is", 4),
    (BASE + "description: 'see [link=http://x]here'\n", "description", "without '[' or ']'", 13),
    (BASE + "links: [{a: '[b]r1-bag1', b: r2-bag1}]\n", "links[0].a", "a node name is", 13),
    # a collector named like the export's code directory
    (BASE + "collectors: [{name: bgp, peers: [r1-bag1]}]\n", "collectors[0].name", "reserved", 13),
    # YAML tricks
    ("name: " + "[" * 1000 + "]" * 1000 + "\n", "", "", 1),
    ("name:\n" + "".join("  " * i + f"- k{i}:\n" for i in range(1, 200)), "", "nested more than", None),
    (laughs(), "regions[4][3]", "expands to more than 50,000 values", 7),
    (merge_bomb(), "", "expands to more than 50,000 values", None),
    ("a: &a [1, *a]\n", "a[1]", "refers to a value that contains it", 1),
    (BASE + "description: 2001-13-45\n", "", "cannot read this value", 13),
])
def test_refused_with_location(text, path, words, line):
    err = error_of(text)
    if path:
        assert err.path == path, str(err)
    assert words in str(err), str(err)
    if line is not None:
        assert err.line == line, str(err)
    assert str(err).startswith("t.yaml:") and "\n" not in str(err), str(err)


def test_deep_nesting_is_refused_by_our_limit():
    # block style: libyaml has its own (1000-level) limit for flow style; this is ours at 32
    text = "name:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 60)) + "  " * 60 + "x\n"
    err = error_of(text)
    assert "nested more than 32 levels" in err.reason and err.line is not None, str(err)


def test_non_utf8_names_the_line():
    with pytest.raises(TopologyError) as exc:
        load_bytes(b"name: t\nregions:\n  - name: \xff\xfe\n", "t.yaml")
    assert exc.value.line == 3 and "not UTF-8" in str(exc.value)


def test_utf8_bom_is_fine():
    assert load_bytes(b"\xef\xbb\xbf" + BASE.encode(), "t.yaml").model.name == "t"


@pytest.mark.parametrize("special", ["/dev/zero", "fifo", "dir"])
def test_non_regular_files_are_refused(special, tmp_path):
    path = {"/dev/zero": "/dev/zero", "dir": str(tmp_path)}.get(special)
    if special == "fifo":
        path = str(tmp_path / "t.yaml")
        os.mkfifo(path)      # reading it would block until someone writes
    with pytest.raises(TopologyError, match="not a regular file"):
        load(path)


def test_oversized_file_is_refused(tmp_path):
    p = tmp_path / "big.yaml"
    p.write_text(BASE + "# " + "x" * MAX_BYTES + "\n")
    with pytest.raises(TopologyError, match="a topology is at most 256 KiB"):
        load(p)


def test_yaml_bombs_fail_fast_and_small():
    for text in (laughs(9), merge_bomb(14), merge_topology()):
        tracemalloc.start()
        t0 = time.process_time()
        with pytest.raises(TopologyError):
            load_text(text, "t.yaml")
        elapsed, peak = time.process_time() - t0, tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert elapsed < 2 and peak < 50e6, (elapsed, peak)


def test_merge_keys_and_aliases_still_work():
    text = BASE.replace("- {name: f1, kind: nsf, spine_planes: 2}", "- &f1 {name: f1, kind: nsf, spine_planes: 2}") \
               .replace("- {name: f2, kind: dsf}", "- {name: f2, kind: dsf}\n      - {<<: *f1, name: f9}")
    fabrics = load_text(text, "t.yaml").model.regions[1].fabrics
    assert [(f.name, f.kind, f.spine_planes) for f in fabrics] == [("f2", "dsf", 1), ("f9", "nsf", 2)]


@pytest.mark.parametrize("text, words", [
    (merge_topology(), "regions[0]: the topology has 245,888 routers"),
    (BASE.replace("{planes: 2}", "{planes: 16}").replace("spine_planes: 2}", "spine_planes: 16, stsws_per_plane: 64}"),
     "1,057 routers; one machine runs at most 1,000"),
    (BASE.replace("mode: planar}", "mode: spread, links_per_bundle: 32}").replace("{planes: 2}", "{planes: 16}"),
     "links; the lab builds at most 4,096"),
    (BASE.replace("kind: dsf}", "kind: dsf, emulator: bulk, routes: {ipv6: 4000000}}")
         .replace("spine_planes: 2}", "spine_planes: 2, emulator: bulk, routes: {ipv6: 4000000}}"),
     "8,000,000 bulk routes in all; at most 4,000,000"),
])
def test_size_limits_before_expansion(text, words):
    t0 = time.process_time()
    err = error_of(text)
    assert words in str(err) and err.line is not None, str(err)
    assert time.process_time() - t0 < 0.5


# -- explicit prefixes ------------------------------------------------------------------------
def _explicit(prefixes: list[str]) -> str:
    return BASE.replace("kind: dsf}", f"kind: dsf, prefixes: [{', '.join(prefixes)}]}}")


def test_explicit_prefix_among_long_allocations_does_not_hang():
    # allocating /64s walked every /64 of an explicit /40 one by one: 2^24 steps (2^28 for a /36)
    text = _explicit(["'2001:db8:1000::/40'"]).replace("kind: nsf,", "kind: nsf, prefixes: 3,") + \
        "addressing: {prefix_len_v6: 64}\n"
    t0 = time.process_time()
    p = build_plan(load_text(text, "t.yaml"))
    assert time.process_time() - t0 < 2
    assert p.node("r1-f1-p1s1").prefixes_v6 == ("2001:db8:1100::/64", "2001:db8:1100:1::/64", "2001:db8:1100:2::/64")


def test_allocation_steps_over_explicit_prefixes_in_place():
    text = _explicit(["198.19.1.0/24", "198.19.2.128/25"]).replace("kind: nsf,", "kind: nsf, prefixes: 4,")
    p = build_plan(load_text(text, "t.yaml"))
    assert p.node("r1-f1-p1s1").prefixes_v4 == ("198.19.0.0/24", "198.19.3.0/24", "198.19.4.0/24", "198.19.5.0/24")


def test_many_explicit_prefixes_are_checked_in_n_log_n():
    many = [f"198.19.{i // 256}.{i % 256}/32" for i in range(8000)]
    t0 = time.process_time()
    p = build_plan(load_text(_explicit(many), "t.yaml"))
    assert len(p.node("r2-f2-edge").prefixes_v4) == 8000
    assert time.process_time() - t0 < 5        # comparing every pair took about 100 s
    err = error_of(_explicit(many + ["198.19.10.0/23"]))
    assert err.path == "regions[1].fabrics[0].prefixes[8000]" and "overlaps 198.19.10.0/32 at" in err.reason, str(err)


@pytest.mark.parametrize("prefix, pool", [("198.19.128.0/24", "198.19.128.0/17"),
                                          ("'2001:db8:8000::/48'", "2001:db8:8000::/33")])
def test_explicit_prefix_inside_a_bulk_pool_is_refused(prefix, pool):
    err = error_of(_explicit([prefix]))
    assert err.path == "regions[1].fabrics[0].prefixes[0]" and f"overlaps the address pool {pool}" in err.reason


def test_duplicate_explicit_prefix_names_both():
    err = error_of(_explicit(["198.19.7.0/24", "198.19.7.0/24"]))
    assert err.path == "regions[1].fabrics[0].prefixes[1]"
    assert "overlaps 198.19.7.0/24 at regions[1].fabrics[0].prefixes[0]" in err.reason


# -- the largest accepted topologies still answer quickly --------------------------------------
LARGEST = """\
name: big
regions:
  - name: r1
    bag: {planes: 16}
    fabrics:
      - {name: f1, kind: nsf, spine_planes: 15, stsws_per_plane: 64, uplinks_per_bag_plane: 4, prefixes: 16}
"""


def test_an_error_found_last_in_a_thousand_router_plan_comes_within_two_seconds():
    # a guard: the aggregate checks run last, after every address is assigned
    t0 = time.process_time()
    err = error_of(LARGEST + "aggregates: [{region: r1, min_fabrics: 2}]\n")
    assert "2 fabrics required but only 1" in err.reason
    assert time.process_time() - t0 < 2


def test_a_thousand_router_plan_with_an_aggregate_builds_and_indexes():
    t0 = time.process_time()
    p = build_plan(load_text(LARGEST + "aggregates: [{region: r1}]\n", "t.yaml"))
    assert len(p.nodes) == 976 and len(p.links) == 3840 and p.aggregates
    assert time.process_time() - t0 < 2
    assert p.node("r1-f1-p15s64").name == "r1-f1-p15s64" and len(p.links_of("r1-bag1")) == 240
    with pytest.raises(KeyError):
        p.node("nope")


def test_the_yaml_is_parsed_once(monkeypatch):
    # it was composed once for line numbers and parsed again by safe_load, both in pure Python
    import yaml

    def refuse(*a, **k):
        raise AssertionError("parsed a second time")

    for name in ("safe_load", "load", "compose", "compose_all", "load_all"):
        monkeypatch.setattr(yaml, name, refuse)
    assert load_text(BASE, "t.yaml").model.name == "t"


def test_control_characters_are_refused_at_their_line():
    with pytest.raises(TopologyError) as exc:
        load_text(BASE + "description: a\x07b\n", "t.yaml")
    assert exc.value.line == 13 and "U+0007" in exc.value.reason


def test_a_document_that_is_not_a_mapping_names_its_line():
    with pytest.raises(TopologyError) as exc:
        load_text("# comment\n\n- a\n", "t.yaml")
    assert exc.value.line == 3 and "a mapping" in exc.value.reason


def test_an_address_family_listed_twice_is_refused():
    err = error_of(BASE + "policy: {address_families: [ipv4, ipv4]}\n")
    assert err.path == "policy.address_families" and "at most once" in err.reason


def test_the_million_route_bench_topology_is_accepted():
    # bench/routes.py sets routes.ipv6 of the bulk fabric of bag-routes to 1,000,000
    import yaml

    doc = yaml.safe_load((TOPOLOGIES / "bag-routes.yaml").read_text())
    doc["regions"][0]["fabrics"][0]["routes"] = {"ipv4": 0, "ipv6": 1_000_000}
    p = build_plan(load_text(yaml.safe_dump(doc), "routes.yaml"))
    assert sum(n.bulk_count("ipv6") for n in p.nodes) == 1_000_000 * 4    # four STSWs share the fabric's block


def test_the_generated_116_router_lab_is_accepted():
    from lab.design.generate import generate

    p = build_plan(load_text(generate(), "gen.yaml"))
    assert len(p.nodes) == 116


def test_a_long_list_of_bad_items_stops_at_the_cap():
    # 45,000 invalid regions were each reported by pydantic (seconds); lists are capped at 256
    t0 = time.process_time()
    err = error_of("name: t\nregions: [" + ", ".join(["1"] * 45000) + "]\n")
    assert err.path == "regions" and "at most 256 items" in err.reason
    assert time.process_time() - t0 < 2


@pytest.mark.parametrize("text", [BASE, BASE + "name: u\n", "name: " + "[" * 40 + "]" * 40 + "\n", laughs()])
def test_pure_python_event_parser_gives_the_same_answer(text, monkeypatch):
    """Without libyaml the reader falls back to PyYAML's own parser, with the same limits."""
    import yaml

    import lab.design.topology as topology

    def answer():
        try:
            return load_text(text, "t.yaml").model
        except TopologyError as exc:
            return str(exc)

    fast = answer()
    monkeypatch.setattr(topology, "_EVENTS", yaml.BaseLoader)
    assert answer() == fast


@pytest.mark.parametrize("text, path", [
    (BASE + "'[red]x': 1\n", "?red?x"),
    (BASE.replace("{planes: 2}", "{planes: 2, '[/bold]': 1}", 1), "regions[0].bag.??bold?"),
    (BASE + "'[/b]': 1\n'[/b]': 2\n", "??b?"),
])
def test_keys_that_look_like_markup_are_not_echoed(text, path):
    err = error_of(text)
    assert err.path == path and "[/" not in str(err) and "[red]" not in str(err), str(err)
