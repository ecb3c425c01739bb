"""The README stays what a newcomer reads on one screen: what baglab is, install, the two commands,
the tests and a pointer to the documentation site; everything else belongs in docs/."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_is_one_screen_and_points_at_the_docs():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 60, "README.md grew: move the new text into a page under docs/"
    for needed in ("make deps", ".venv/bin/baglab up topologies/", ".venv/bin/baglab down", "pytest", "make docs",
                   "docs/index.md"):
        assert needed in text, f"README.md lost {needed!r}"
    assert (ROOT / "docs" / "index.md").exists()
