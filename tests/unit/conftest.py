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
