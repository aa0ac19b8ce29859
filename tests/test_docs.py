"""The README is a quick start; the reference lives in `docs/`, every page linked, every link live."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tests.conftest import ROOT

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
MAX_README_LINES = 150


def _tokens(path: Path) -> list[object]:
    return list(MarkdownIt("commonmark").enable("table").parse(path.read_text()))


def links(path: Path) -> list[str]:
    """Every link target in a markdown file (not in code)."""
    out: list[str] = []
    for token in _tokens(path):
        for child in getattr(token, "children", None) or []:
            if child.type == "link_open":
                out.append(str(child.attrGet("href")))
    return out


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    tokens = _tokens(path)
    return {
        slug(str(getattr(tokens[i + 1], "content", "")).replace("`", ""))
        for i, token in enumerate(tokens)
        if getattr(token, "type", "") == "heading_open"
    }


def test_readme_is_a_short_quick_start() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; move reference to docs/"


def test_readme_links_every_docs_page() -> None:
    linked = {target.partition("#")[0] for target in links(README)}
    assert DOCS, "docs/ holds the reference"
    assert [p.name for p in DOCS if f"docs/{p.name}" not in linked] == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        dead_anchor = bool(anchor) and resolved.suffix == ".md" and anchor not in anchors(resolved)
        if not resolved.exists() or dead_anchor:
            broken.append(target)
    assert broken == []


def test_slugs_follow_github() -> None:
    assert slug("The topic map: what each cluster will hold") == "the-topic-map-what-each-cluster-will-hold"
    assert slug("clusters (required): map of alias → cluster") == "clusters-required-map-of-alias--cluster"
    assert slug("plan --format text|json|markdown") == "plan---format-textjsonmarkdown"
