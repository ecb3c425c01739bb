"""``baglab check FILE --topology TOPO --validate``: the checks run before a lab is touched, without
one; a valid file exits 0 saying what was checked, a bad one exits 2 with one located error that
names what exists there (the keys at that YAML path, the topology's routers)."""
from __future__ import annotations

import pytest

from lab import cli
from lab.errors import TopologyError
from lab.verdict.checks.schema import load_intents

from ..conftest import TOPOLOGIES

TOPO = str(TOPOLOGIES / "bag-mini.yaml")


def _main(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        cli.main(list(args))
    cap = capsys.readouterr()
    return exc.value.code, cap.out + cap.err


def test_valid_file_exits_0_and_says_what_was_checked(capsys):
    code, text = _main(capsys, "check", str(TOPOLOGIES / "intents/bag-mini.yaml"), "--topology", TOPO, "--validate")
    assert code == 0, text
    assert "valid against" in text and "every name checked" in text
    for kind in ("reachability:", "shares: 4 intents at 3 routers", "attributes: leaving r1, r2", "drains: 1 drain",
                 "sweep: budget 10000 ms"):
        assert kind in text, text


@pytest.mark.parametrize("body, where, needs", [
    ("reachability:\n  familes: [ipv4]\n", ":2: reachability.familes: unknown key 'familes'",
     ["did you mean families", "keys here: except, families, flows"]),
    ("shares:\n  - at: r1-bag1\n    fabric: f1\n    toleranse: 3\n", ":4: shares[0].toleranse",
     ["did you mean tolerance", "keys here: at, by, expect, fabric, failures, flows, hardware, tolerance"]),
    ("intended_changes:\n  - aspects: [fib]\n    node: [x]\n", ":3: intended_changes[0].node",
     ["keys here: as_path, aspects, communities, fabrics, large_communities, link_bandwidth, nodes, prefixes, why"]),
    ("reachability:\n  except:\n    - {from: f1, too: f2}\n", ":3: reachability.except[0].too",
     ["keys here: from, to"]),
    ("sweeps: {}\n", ":1: sweeps", ["keys here: advertised, attributes, description, drains, intended_changes, "
                                     "paths, reachability, routes, shares, sweep"]),
    ("shares:\n  - at: r1-bag9\n    fabric: f1\n", ":2: shares[0].at: unknown router 'r1-bag9'", ["known: coll2, r1-bag1"]),
    ("drains:\n  - plane: 3\n", ":2: drains[0].plane: unknown plane '3'", ["known: 1, 2"]),
    ("reachability:\n  flows: many\n", ":2: reachability.flows", []),
])
def test_bad_file_is_one_located_error(tmp_path, capsys, body, where, needs):
    f = tmp_path / "intents.yaml"
    f.write_text(body)
    code, text = _main(capsys, "check", str(f), "--topology", TOPO, "--validate")
    assert code == 2, text
    assert text.count("error:") == 1, text
    assert f"{f}{where}" in text, text
    for n in needs:
        assert n in text, text


def test_validate_needs_a_topology(tmp_path, capsys):
    code, text = _main(capsys, "check", str(TOPOLOGIES / "intents/bag-mini.yaml"), "--validate")
    assert code == 2 and "--validate and --topology go together" in text


def test_unknown_key_lists_keys_under_a_dict_of_groups(tmp_path):
    # a share's expect is a mapping of groups, not of keys: a typo one level up still names the share's keys
    f = tmp_path / "i.yaml"
    f.write_text("shares:\n  - at: r1-bag1\n    fabric: f1\n    expect: {1: 50}\n    by: plane\n    fabrik: f1\n")
    with pytest.raises(TopologyError, match=r"keys here: at, by, expect, fabric"):
        load_intents(f)
