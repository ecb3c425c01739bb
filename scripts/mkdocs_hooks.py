"""mkdocs hook: the site's changelog page is the repository's CHANGELOG.md, read at build time so
there is one copy; its links are written from the repository root (``docs/x.md``), the page's
from docs/ (``x.md``)."""
from __future__ import annotations

from pathlib import Path

CHANGELOG = Path(__file__).resolve().parents[1] / "CHANGELOG.md"


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri != "changelog.md":
        return markdown
    return CHANGELOG.read_text().replace("](docs/", "](")
