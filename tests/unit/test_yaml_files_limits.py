"""Intent and phases files the fuzzing (test_yaml_files_fuzz.py) turned up, and their neighbours:
each is one located error naming the YAML path, quickly, or read as written."""
from __future__ import annotations

import time

import pytest

from lab.verdict.checks import names
from lab.verdict.checks.schema import load_intents
from lab.errors import LabError, TopologyError
from lab.workflows.rollout.phases import MAX_WILDCARDS, load_phases, step_spec


def _write(tmp_path, text: str):
    p = tmp_path / "f.yaml"
    p.write_text(text)
    return p


def intent_error(tmp_path, text: str) -> TopologyError:
    with pytest.raises(TopologyError) as exc:
        load_intents(_write(tmp_path, text))
    return exc.value


def phases_error(tmp_path, mini, text: str) -> TopologyError:
    with pytest.raises(TopologyError) as exc:
        load_phases(_write(tmp_path, text), mini)
    return exc.value


@pytest.mark.parametrize("text, path, words", [
    # YAML's true is not plane 1, a quoted number is not a number
    ("drains: [{plane: true}]\n", "drains[0].plane", "valid integer"),
    ("reachability: {flows: '16'}\n", "reachability.flows", "valid integer"),
    ("sweep: {domains: 'yes'}\n", "sweep.domains", "valid boolean"),
    ("shares: [{at: r2-bag1, fabric: f1, tolerance: true}]\n", "shares[0].tolerance", "valid number"),
    ("drains: [{plane: 100000000000000000000}]\n", "drains[0].plane", "less than or equal to 16"),
    ("shares: [{at: r2-bag1, fabric: f1, expect: {r1-bag1: 150}}]\n", "shares[0].expect.r1-bag1", "less than or equal to 100"),
    # free text: bounded, one line
    ("description: " + "a" * 401 + "\n", "description", "at most 400 characters"),
    ("intended_changes: [{aspects: [fib], why: \"a\\x1b[2Jb\"}]\n", "intended_changes[0].why", "without control characters"),
    # lists: far more than any intent needs
    ("shares:\n" + "  - {at: r2-bag1, fabric: f1}\n" * 257, "shares", "at most 256 items"),
    ("shares: [{at: r2-bag1, fabric: f1, failures: [" + ", ".join(["r1-bag1"] * 257) + "]}]\n",
     "shares[0].failures", "at most 256 items"),
    # a path where a name belongs
    ("shares: [{at: ../../etc/passwd, fabric: f1}]\n", "shares[0].at", "should match pattern"),
])
def test_intent_values_are_refused_where_they_are(tmp_path, text, path, words):
    err = intent_error(tmp_path, text)
    assert err.path == path and words in err.reason and err.line is not None, str(err)


def test_a_list_of_thousands_is_refused_quickly(tmp_path):
    text = "drains:\n" + "  - r2-f3-p1s1\n" * 15000
    t0 = time.process_time()
    err = intent_error(tmp_path, text)
    assert time.process_time() - t0 < 1.0 and err.path == "drains" and "at most 256 items" in err.reason, str(err)


def test_top_level_and_control_characters_are_located(tmp_path):
    err = intent_error(tmp_path, "- 1\n- 2\n")
    assert err.reason.startswith("an intent file is a mapping") and err.line == 1, str(err)
    err = intent_error(tmp_path, "description: ok\nreachability: {flows: \x01}\n")
    assert err.line == 2 and "U+0001" in err.reason, str(err)


def test_plane_shares_may_be_keyed_by_number(tmp_path, mini):
    loaded = load_intents(_write(tmp_path, "shares: [{at: r2-bag2, fabric: f1, by: plane, expect: {1: 50, 2: 50}}]\n"))
    names.resolve(mini, loaded)
    assert loaded.model.shares[0].expect == {"1": 50.0, "2": 50.0}


@pytest.mark.parametrize("text, path, words", [
    # control characters break tables and XML
    ("phases: [{name: \"a\\x07b\", rest: true}]\n", "phases[0].name", "a phase name is"),
    ("phases: [{name: x, nodes: ['" + "*" * 65 + "']}]\n", "phases[0].nodes[0]", "a router name or pattern"),
    ("phases: [{name: x, nodes: [../../etc/passwd]}]\n", "phases[0].nodes[0]", "a router name or pattern"),
    ("phases: [{name: x, regions: [../../etc/passwd]}]\n", "phases[0].regions[0]", "no region '../../etc/passwd'"),
    ("phases: [{name: x, planes: [{plane: true}]}]\n", "phases[0].planes[0].plane", "valid integer"),
    ("phases: [{name: x, planes: [{plane: 1.0}]}]\n", "phases[0].planes[0].plane", "valid integer"),
    ("phases: [{name: x, rest: 'true'}]\n", "phases[0].rest", "valid boolean"),
    ("partial: 1\nphases: [{name: x, rest: true}]\n", "partial", "valid boolean"),
    ("description: " + "d" * 401 + "\nphases: [{name: x, rest: true}]\n", "description", "at most 400"),
])
def test_phases_values_are_refused_where_they_are(tmp_path, mini, text, path, words):
    err = phases_error(tmp_path, mini, text)
    assert err.path == path and words in err.reason and err.line is not None, str(err)


def test_wildcards_are_bounded_and_plain_names_are_not(tmp_path, mini):
    many = ", ".join(["r1-bag*"] * 200)
    text = f"partial: true\nphases:\n  - {{name: a, nodes: [{many}]}}\n  - {{name: b, nodes: [r2-bag1, {many}]}}\n"
    err = phases_error(tmp_path, mini, text)
    assert err.path == f"phases[1].nodes[{MAX_WILDCARDS - 200 + 1}]" and "wildcard patterns" in err.reason, str(err)
    plain = ", ".join(["r2-bag1"] * 256)
    p = _write(tmp_path, f"partial: true\nphases:\n  - {{name: a, nodes: [r1-bag*, {many}]}}\n"
                         f"  - {{name: b, nodes: [{plain}]}}\n")
    assert [ph.routers for ph in load_phases(p, mini)] == [("r1-bag1", "r1-bag2"), ("r2-bag1",)]


@pytest.mark.parametrize("what, value, words", [
    ("plane", "99", "less than or equal to 16"),
    ("region", "a\x07b", "a phase name is"),
    ("r1-$x", None, "a router name or pattern"),
    ("region", "r" * 40, "at most 32 characters"),
])
def test_upgrade_steps_from_the_command_line_are_held_to_the_same_rules(what, value, words):
    with pytest.raises(LabError, match=words.replace("$", r"\$")):
        step_spec(what, value)


def test_phase_names_as_people_write_them(tmp_path, mini):
    # an upgrade's router pattern is its phase's name; '$' pairs are escaped where TeX would read them
    assert step_spec("*-bag1", None).name == "*-bag1"
    text = "partial: true\nphases: [{name: 'canary (5%) $\\frac{$', nodes: [r1-bag1]}]\n"
    assert [ph.name for ph in load_phases(_write(tmp_path, text), mini)] == ["canary (5%) $\\frac{$"]


def test_block_scalar_descriptions_fold_into_one_line(tmp_path):
    loaded = load_intents(_write(tmp_path, "description: >\n  Checks for\n  the mini lab\nreachability: {flows: 4}\n"))
    assert loaded.model.description == "Checks for the mini lab"
    loaded = load_intents(_write(tmp_path, "description: |\n  line one\n  line two\n"))
    assert loaded.model.description == "line one line two"
