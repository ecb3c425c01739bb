"""Fixtures for tests that act on a lab without running one: a state directory of their own
holding only the plan.json of bag-mini, which is all the CLI and open_lab read first."""
from __future__ import annotations

import pytest

from lab import state


@pytest.fixture
def fake_lab(tmp_path, monkeypatch, mini):
    """Make a fake lab named ``name`` under a temporary STATE_ROOT; returns its directory."""
    def make(name: str):
        monkeypatch.setattr(state, "STATE_ROOT", tmp_path)
        (tmp_path / name).mkdir()
        (tmp_path / name / "plan.json").write_text(mini.to_json())
        return tmp_path / name
    return make


@pytest.fixture
def recording_injector(tmp_path, monkeypatch):
    """A fault injector on a fake lab of ``plan`` whose actions are recorded, not run:
    ``make(plan, name) -> (injector, actions run so far)``."""
    from lab.faults import FaultInjector
    from lab.faults.actions import ACTIONS

    def make(plan, name: str):
        ran: list = []
        for cls in ACTIONS.values():
            monkeypatch.setattr(cls, "apply", lambda self, ctx: ran.append(self))
        monkeypatch.setattr(state, "STATE_ROOT", tmp_path)
        paths = state.LabPaths(name)
        paths.root.mkdir()
        paths.plan_file.write_text(plan.to_json())
        return FaultInjector(plan, paths), ran
    return make
