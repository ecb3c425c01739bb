"""One word per concept: the CLI's choices are the core's enumerations, the enumerations read as
their text wherever they are printed or written, and nothing in the rollout or the checks decides
by matching words in a message (no lab, no root)."""
from __future__ import annotations

import ast
import json
import typing
from dataclasses import asdict
from enum import Enum
from pathlib import Path

import pytest
import typer

from lab import cli
from lab.verdict.checks.verdict import (KINDS, ROLLOUT_KINDS, SELECTABLE, CheckKind, CheckReport, SelectableKind, Status,
                                Verdict, exit_code)
from lab.verdict.stats import Outcome
from lab.config.export import FORMATS, ExportFormat
from lab.faults.kinds import DomainKind, End, FaultKind, LinkMode, NodeMode, Side
from lab.observe.probes.precision import Split
from lab.workflows.rehearsal import RehearsalKind
from lab.workflows.rollout import journal
from lab.workflows.rollout.phase import Broken, PhaseResult, decide
from lab.runtime import RUNTIMES, RuntimeName
from lab.workflows.sweep import SweepKind, cases
from lab.text_enum import TextEnum

ROOT = Path(__file__).resolve().parents[2]


def _callbacks(app: typer.Typer, path=()):
    for c in app.registered_commands:
        yield " ".join((*path, c.name or c.callback.__name__.replace("_", "-"))), c.callback
    for g in app.registered_groups:
        yield from _callbacks(g.typer_instance, (*path, g.name))


def _enum_of(hint):
    """The Enum a parameter's annotation takes (also inside Optional[List[...]]), or None."""
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    for arg in typing.get_args(hint):
        found = _enum_of(arg)
        if found is not None:
            return found
    return None


def _choices() -> dict[tuple[str, str], type]:
    """(command, parameter) -> the enumeration its choices come from, for every verb."""
    out = {}
    for path, fn in _callbacks(cli.app):
        for name, hint in typing.get_type_hints(fn).items():
            e = _enum_of(hint)
            if e is not None:
                out[(path, name)] = e
    return out


def test_every_cli_choice_is_a_core_enumeration():
    found = _choices()
    assert len(found) >= 10, found          # the walk finds the verbs' choices at all
    local = {k: e.__qualname__ for k, e in found.items() if e.__module__.startswith("lab.cli")}
    assert local == {}, "choices defined in the CLI instead of the core"
    assert all(issubclass(e, TextEnum) for e in found.values())


def test_the_cli_offers_exactly_the_core_choices():
    found = _choices()
    expected = {("up", "runtime"): RuntimeName, ("export", "fmt"): ExportFormat, ("check", "only"): SelectableKind,
                ("rollout", "checks"): SelectableKind, ("rollback", "checks"): SelectableKind,
                ("upgrade", "checks"): SelectableKind, ("sweep", "only"): SweepKind,
                ("rehearse", "kind"): RehearsalKind, ("fault link", "mode"): LinkMode,
                ("fault link", "side"): Side, ("fault node", "mode"): NodeMode, ("fault domain", "kind"): DomainKind,
                ("fault macsec-mismatch", "side"): End, ("fault md5-mismatch", "side"): End}
    for key, enum in expected.items():
        assert found.get(key) is enum, (key, found.get(key))


def test_each_list_of_words_is_its_enumeration():
    assert RUNTIMES == ("netns", "docker", "containerlab") == tuple(RuntimeName)
    assert FORMATS == ("containerlab",) == tuple(ExportFormat)
    assert KINDS == ("quiet", "reachability", "shares", "attributes", "routes", "advertised", "paths",
                     "drains", "sweep") == tuple(CheckKind)
    assert SELECTABLE == KINDS[1:] == tuple(SelectableKind)
    assert set(ROLLOUT_KINDS) <= set(SELECTABLE)
    assert {e.value for e in End} == {"a", "b"} and set(End) < set(Side)
    assert {k.value for k in DomainKind} <= {k.value for k in SweepKind}


def test_fault_kinds_are_spelled_from_the_modes():
    """The injector names a fault f"link-{mode}", f"node-{mode}", the domain's kind with dashes."""
    for m in LinkMode:
        assert FaultKind.parse(f"link-{m}") and FaultKind.parse(f"links-{m}")
    for m in NodeMode:
        assert FaultKind.parse(f"node-{m}")
    for d in DomainKind:
        assert FaultKind.parse(d.replace("_", "-"))


def test_a_sweep_makes_only_the_kinds_it_offers(mini):
    made = {c.kind for c in cases(mini)}
    assert made and made <= set(SweepKind) and all(isinstance(k, SweepKind) for k in made)


@pytest.mark.parametrize("e", [Status.FAIL, CheckKind.SHARES, SweepKind.DATA_HALL, FaultKind.PLANE, Broken.RELOAD,
                               journal.Progress.ROLLED_BACK, RuntimeName.NETNS, End.A, Split.TOO_FEW,
                               Outcome.WRONG])
def test_a_member_reads_as_its_text(e):
    text = e.value
    assert str(e) == f"{e}" == "%s" % e == text and e == text and hash(e) == hash(text)
    assert json.dumps({e: [e]}) == json.dumps({text: [text]})
    assert e in {text} and {text: 1}[e] == 1


def test_reports_are_written_as_before():
    """A verdict and a phase made with the enumerations give the JSON the plain words gave."""
    typed = Verdict("reach:a->b", CheckKind.REACHABILITY, Status.FAIL, "1/2 delivered", {"sent": 2})
    plain = Verdict("reach:a->b", "reachability", "FAIL", "1/2 delivered", {"sent": 2})
    assert json.dumps(asdict(typed)) == json.dumps(asdict(plain))
    rep = CheckReport("bag-mini", "lab", "i.yaml", [typed])
    assert rep.counts() == {"PASS": 0, "FAIL": 1, "INCONCLUSIVE": 0} and list(rep.counts()) == ["PASS", "FAIL",
                                                                                             "INCONCLUSIVE"]
    assert exit_code([typed]) == exit_code([plain]) == 1
    p = PhaseResult("p", ["r1-bag1"], False, None, broken=[Broken.ORACLE])
    decide(p, [])
    assert p.status is Status.FAIL
    assert json.dumps(p.as_dict()) == json.dumps({**p.as_dict(), "status": "FAIL", "broken": ["oracle"]})


def test_nothing_decides_by_the_words_of_a_message():
    """``"some phrase" in text`` in the rollout, the checks or the CLI judges by wording: a reworded
    message would silently change a verdict.  Decisions read typed fields (PhaseResult.broken,
    Rehearsal.unsettled, Change.failed/restarted)."""
    found = []
    files = [f for d in ("lab/workflows", "lab/verdict", "lab/cli") for f in sorted((ROOT / d).rglob("*.py"))]
    assert any("rollout" in f.parts for f in files) and any("checks" in f.parts for f in files), "the scan finds nothing"
    for f in files:
        for node in ast.walk(ast.parse(f.read_text())):
            if (isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant)
                    and isinstance(node.left.value, str) and len(node.left.value.split()) > 1
                    and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)):
                found.append(f"{f.relative_to(ROOT)}:{node.lineno}")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("startswith", "endswith") and node.args
                    and isinstance(node.args[0], ast.Constant) and len(str(node.args[0].value).split()) > 1):
                found.append(f"{f.relative_to(ROOT)}:{node.lineno}")
    assert found == []
