"""Markdown rendered as GitHub renders a PR comment, read back as an element tree for assertions.

CommonMark with raw HTML passed through (GitHub keeps `<details>`, `<img>`, `<a>`), GFM tables,
and autolinks of bare URLs in text. GitHub's autolink extension runs after adjacent text nodes are
merged, so a backslash-escaped `www\\.x\\.com` is linked all the same: linkify runs here after
markdown-it's `text_join`, not before it as markdown-it does by default. The HTML is then parsed into
a tree, so a test can ask what an element is nested in: an unclosed `<details>` from one stack's
section would contain everything after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.rules_core import linkify

_MD = MarkdownIt("commonmark", {"html": True, "linkify": True}).enable("table")
_MD.core.ruler.after("text_join", "github_autolink", linkify)
_NO_AUTOLINKS = MarkdownIt("commonmark", {"html": True}).enable("table")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    """An HTML element: tag, attributes, children (elements and text), parent."""

    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)
    parent: Element | None = field(default=None, repr=False)

    def iter(self, *tags: str) -> Iterator[Element]:
        """Descendants (depth first), only those with one of `tags` when given."""
        for child in self.children:
            if isinstance(child, Element):
                if not tags or child.tag in tags:
                    yield child
                yield from child.iter(*tags)

    def text(self) -> str:
        """All text inside, entities decoded."""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def ancestors(self) -> Iterator[Element]:
        """Parents up to the document root."""
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document")
        self.open = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), parent=self.open)
        self.open.children.append(element)
        if tag not in _VOID:
            self.open = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.children.append(Element(tag, dict(attrs), parent=self.open))

    def handle_endtag(self, tag: str) -> None:
        # Like a browser: close up to the nearest open element of that tag; ignore a stray end tag.
        node: Element | None = self.open
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.open = node.parent

    def handle_data(self, data: str) -> None:
        self.open.children.append(data)


def html(markdown: str, autolinks: bool = True) -> str:
    """The HTML GitHub-like rendering makes of `markdown` (without bare-URL autolinks if asked)."""
    out: str = (_MD if autolinks else _NO_AUTOLINKS).render(markdown)
    return out


def render(markdown: str, autolinks: bool = True) -> Element:
    """The element tree of the rendered markdown."""
    builder = _Builder()
    builder.feed(html(markdown, autolinks))
    builder.close()
    return builder.root


def tags(root: Element) -> list[str]:
    """Every element's tag, in document order."""
    return [e.tag for e in root.iter()]
