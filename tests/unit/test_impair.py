"""Link impairments without a lab: the numbers people type (CLI and YAML) are checked with one
clear error each, the user-space delay line does what netem would (seeded, fake clock), and an
impairment is a journalled fault with its undo, a down link to the oracle only when beyond
recovery."""
from __future__ import annotations

import json
import random

import pytest

from lab.cli.impair import impairment
from lab.errors import LabError, TopologyError
from lab.faults import FaultKind
from lab.faults import impairment as fimp
from lab.faults.impairment import ImpairPort, LinkImpairment, choose_backend
from lab.faults.journal import Journal
from lab.host import netem
from lab.impair.line import DelayLine
from lab.impair.spec import DOWN_LOSS, Impairment, fibre_delay_ms
from lab.design.plan import build_plan
from lab.design.topology import load, load_text

from ..conftest import TOPOLOGIES

MINI = (TOPOLOGIES / "bag-mini.yaml").read_text()


# -- the numbers ---------------------------------------------------------------------------
@pytest.mark.parametrize("kw, words", [
    ({"loss": 101}, "loss must lie in 0-100%"), ({"loss": -1}, "loss must lie in 0-100%"),
    ({"duplicate": 250}, "duplicate must lie in 0-100%"), ({"loss": float("nan")}, "loss must lie"),
    ({"delay_ms": 5000}, "delay_ms must lie in 0-1000 ms"), ({"loss": True}, "loss must be a number"),
    ({"delay_ms": 1, "jitter_ms": 2}, "must not exceed delay_ms"), ({}, "needs at least one of"),
])
def test_bad_figures_are_refused_by_name(kw, words):
    with pytest.raises(ValueError, match=words):
        Impairment(**kw)


def test_the_cli_names_the_option_and_adds_fibre():
    with pytest.raises(LabError, match="baglab impair: loss must lie in 0-100%, not 150"):
        impairment(150, 0, 0, 0, 0)
    assert impairment(0, 0, 0, 0, 60).delay_ms == pytest.approx(0.3)      # 60 km of fibre
    assert fibre_delay_ms(1) == pytest.approx(0.005)


def test_beyond_recovery_from_the_threshold():
    assert not Impairment(loss=2).beyond_recovery
    assert Impairment(loss=DOWN_LOSS).beyond_recovery and Impairment(loss=100).beyond_recovery
    assert Impairment.from_json(Impairment(2, 0.3, 0.1, 1).to_json()) == Impairment(2, 0.3, 0.1, 1)


# -- the delay line ------------------------------------------------------------------------
def test_loss_and_duplication_rates_match_over_many_frames():
    line = DelayLine(Impairment(loss=2, duplicate=5), random.Random(7))
    copies = sum(line.push(b"x", 0.0) for _ in range(100_000))
    assert line.counts["lost"] == pytest.approx(2_000, rel=0.1)          # ±4σ is ~±20 %
    assert line.counts["duplicated"] == pytest.approx(0.98 * 5_000, rel=0.1)
    assert copies == 100_000 - line.counts["lost"] + line.counts["duplicated"]


def test_delay_holds_frames_until_due_and_jitter_never_reorders():
    line = DelayLine(Impairment(delay_ms=0.3, jitter_ms=0.2), random.Random(1))
    for i in range(200):
        line.push(bytes([i]), i * 1e-5)                 # 10 us apart: jitter alone would reorder
    assert line.due(0.0000999) == []                    # nothing before delay - jitter
    out = line.due(10.0)
    assert out == [bytes([i]) for i in range(200)]      # all of them, in order
    assert line.next_due() is None


def test_departure_lies_within_delay_and_jitter():
    line = DelayLine(Impairment(delay_ms=1.0, jitter_ms=0.5), random.Random(3))
    line.push(b"a", 5.0)
    assert 5.0005 <= line.next_due() <= 5.0015


# -- YAML ----------------------------------------------------------------------------------
def _topo(block: str) -> str:
    return MINI + "impairments:\n" + block


def _yaml_error(block: str) -> str:
    loaded = load_text(_topo(block), "mini.yaml")
    with pytest.raises(TopologyError) as exc:
        fimp.from_topology(loaded, build_plan(loaded))
    return str(exc.value)


@pytest.mark.parametrize("block, words", [
    ("  - {link: r1-bag1~r2-bag1, loss: 120}\n", "impairments[0].loss: Input should be less than or equal to 100"),
    ("  - {link: r1-bag1~r2-bag1, loss: '2%'}\n", "impairments[0].loss: Input should be a valid number"),
    ("  - {link: r1-bag1~r2-bag1, loss: true}\n", "impairments[0].loss: Input should be a valid number"),
    ("  - {link: r1-bag1~r2-bag1, delay_ms: 1, jitter_ms: 3}\n", "impairments[0].jitter_ms: jitter_ms (3)"),
    ("  - {link: r1-bag1~r2-bag1}\n", "impairments[0]: an impairment needs at least one"),
    ("  - {link: r1-bag1~r2-bag1, delay_ms: 900, fibre_km: 40000}\n",
     "impairments[0]: delay_ms plus the fibre's delay is 1100 ms"),
    ("  - {link: r1-bag1~r2-bag1, los: 2}\n", "impairments[0].los"),
])
def test_schema_errors_name_file_line_and_path(block, words):
    with pytest.raises(TopologyError) as exc:
        load_text(_topo(block), "mini.yaml")
    text = str(exc.value)
    assert words in text and text.startswith("mini.yaml:")
    assert f":{MINI.count(chr(10)) + 2}:" in text           # the line of the impairment


def test_names_are_checked_against_the_plan(monkeypatch):
    monkeypatch.setattr(netem, "possible", lambda: False)
    assert "impairments[0].link: no bundle 'r1-bag1~r9-bag1'" in _yaml_error("  - {link: r1-bag1~r9-bag1, loss: 2}\n")
    assert "no member 7" in _yaml_error("  - {link: r1-bag1~r2-bag1, members: [7], loss: 2}\n")
    twice = _yaml_error("  - {link: r1-bag1~r2-bag1, loss: 2}\n  - {link: r2-bag1~r1-bag1, members: [1], loss: 3}\n")
    assert "impairments[1]: r1-bag1~r2-bag1 member 1 is impaired twice" in twice
    loaded = load_text(_topo("  - {link: r1-f2-edge~r1-bag1, loss: 2}\n"), "mini.yaml")
    plain = fimp.from_topology(loaded, build_plan(loaded))     # a plain link is served by a forwarder
    assert [(l.bundle, l.a.wire) for l, _ in plain] == [("r1-f2-edge~r1-bag1", None)] * 2


def test_a_good_list_becomes_links_and_impairments(monkeypatch):
    monkeypatch.setattr(netem, "possible", lambda: True)
    loaded = load_text(_topo("  - {link: r1-bag1~r2-bag1, members: [2], fibre_km: 60, jitter_ms: 0.1}\n"
                             "  - {link: r1-f2-edge~r1-bag1, loss: 2}\n"), "mini.yaml")
    got = fimp.from_topology(loaded, build_plan(loaded))
    assert [(l.bundle, l.member) for l, _ in got] == [("r1-bag1~r2-bag1", 2), ("r1-f2-edge~r1-bag1", 1),
                                                      ("r1-f2-edge~r1-bag1", 2)]
    assert got[0][1] == Impairment(0, 0.3, 0.1, 0)
    assert load(TOPOLOGIES / "bag-mini.yaml").model.impairments == []


# -- faults --------------------------------------------------------------------------------
def test_backend_is_netem_else_the_secy_else_a_forwarder(mini):
    protected = next(l for l in mini.links if l.a.wire)
    plain = next(l for l in mini.links if not l.a.wire)
    assert choose_backend(protected.a, True) == "netem" and choose_backend(plain.a, True) == "netem"
    assert choose_backend(protected.a, False) == "shim"
    assert choose_backend(plain.a, False) == "forwarder"


def test_an_impairment_acts_on_both_ends_and_is_down_only_beyond_recovery(mini):
    link = next(l for l in mini.links if l.a.wire)
    light = LinkImpairment.build(link, Impairment(loss=2), lambda e: "shim")
    assert light.kind == FaultKind.IMPAIR and light.links == []
    want = Impairment(loss=2).to_json()
    assert [(a.node, a.port, a.params) for a in light.actions] == [(link.a.node, link.a.wire, want),
                                                                    (link.b.node, link.b.wire, want)]
    assert all(a.params is None for a in light.inverse)
    heavy = LinkImpairment.build(link, Impairment(loss=100), lambda e: "netem")
    assert heavy.links == [link.id] and link.id in heavy.failures.links


@pytest.fixture
def injector(recording_injector, monkeypatch, mini):
    monkeypatch.setattr(netem, "available", lambda ns: False)
    return recording_injector(mini, "imunit")


def test_journalled_refused_twice_and_cleared(injector, mini):
    fi, ran = injector
    link = next(l for l in mini.links if l.a.wire)
    f = fi.impair(link, Impairment(loss=100))
    assert link.id in fi.failures().links
    doc = json.loads((fi.paths.root / "faults.json").read_text())
    assert doc["faults"][0]["type"] == "impairment" and doc["faults"][0]["undo"][0]["op"] == "impair"
    assert Journal(fi.paths.root / "faults.json").read().faults[0] == f      # another process reads it back
    with pytest.raises(LabError, match="already impaired"):
        fi.impair(link, Impairment(loss=2))
    fi.clear_impairment(link)
    assert link.id not in fi.failures().links and not fi.active()
    assert [a.params is None for a in ran if isinstance(a, ImpairPort)] == [False, False, True, True]
    with pytest.raises(LabError, match="is not impaired"):
        fi.clear_impairment(link)
    plain = next(l for l in mini.links if not l.a.wire)
    f = fi.impair(plain, Impairment(loss=2))
    assert [(a.backend, a.port, a.ifname) for a in f.actions] == [("forwarder", e.ifname, e.ifname)
                                                                  for e in (plain.a, plain.b)]


def test_lateness_is_what_the_clock_shows_beyond_the_due_time():
    line = DelayLine(Impairment(delay_ms=1.0), random.Random(0))
    line.push(b"a", 0.0)
    line.push(b"b", 0.0)
    assert line.due(0.0015) == [b"a", b"b"]
    assert line.counts["sent"] == 2 and line.mean_late_us == pytest.approx(500.0)


def test_the_summary_gives_lateness_percentiles():
    line = DelayLine(Impairment(delay_ms=1.0), random.Random(0))
    for i in range(10):
        line.push(bytes([i]), i * 0.01)               # due at 1, 11, 21, ... ms
    for i in range(10):
        assert line.due(i * 0.01 + 0.001 + (i + 1) * 1e-5) == [bytes([i])]     # 10, 20, ... 100 us late
    got = line.summary()
    assert got["sent"] == 10 and got["late_us_p50"] == pytest.approx(60.0) and got["late_us_p90"] == pytest.approx(100.0)
