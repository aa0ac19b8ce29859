"""Generated blocks in a markdown page: find them, and replace their bodies.

A page marks the text a generator writes, so that the rest of the page stays hand-written prose:

    <!-- generated: NAME (the command that rewrites it) -->
    ...the generator's output...
    <!-- end: NAME -->

Markers stand on lines of their own. Which generator writes which block is listed once, in
:mod:`replication.docgen`; this module only reads and writes the text between the markers.

No Pulumi imports: plain text functions with plain unit tests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_BLOCK = re.compile(
    r"^<!-- generated: (?P<name>[\w-]+) \((?P<note>[^\n]*)\) -->\n(?P<body>.*?)^<!-- end: (?P=name) -->$",
    re.S | re.M,
)
# Any opening marker at a line's start, well formed or not: one that opens no block is an error.
_OPENING = re.compile(r"^<!-- generated:[^\n]*", re.M)


@dataclass(frozen=True)
class Block:
    """One generated block of a page."""

    name: str
    """The block's name, unique in its page."""
    note: str
    """What the opening marker says in parentheses: how to regenerate the block."""
    body: str
    """The text between the markers, ending with a newline."""


def find(page: str) -> dict[str, Block]:
    """Every generated block of a page, by name.

    Raises ValueError for an opening marker without its end or without a note, and for a name used
    twice: such a block would be skipped, so never checked. Only markers at a line's start count, so
    prose may quote the syntax inline.
    """
    found: dict[str, Block] = {}
    starts = set()
    for match in _BLOCK.finditer(page):
        name = match.group("name")
        if name in found:
            raise ValueError(f"generated block {name!r} occurs twice")
        found[name] = Block(name, match.group("note"), match.group("body"))
        starts.add(match.start())
    for opening in _OPENING.finditer(page):
        if opening.start() not in starts:
            line = page.count("\n", 0, opening.start()) + 1
            raise ValueError(f"line {line}: {opening.group(0)!r} opens no block: write '<!-- generated: NAME "
                             "(note) -->' on a line of its own, and '<!-- end: NAME -->' after the body")
    return found


def replace(page: str, blocks: Mapping[str, tuple[str, str]]) -> str:
    """`page` with each named block's note and body replaced: `blocks` maps name -> (note, body).

    Blocks not named keep their text. Raises KeyError naming a block the page lacks.
    """
    missing = sorted(set(blocks) - set(find(page)))
    if missing:
        raise KeyError(f"the page has no generated block {', '.join(missing)}")

    def fill(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in blocks:
            return match.group(0)
        note, body = blocks[name]
        if body and not body.endswith("\n"):
            body += "\n"
        return f"<!-- generated: {name} ({note}) -->\n{body}<!-- end: {name} -->"

    return _BLOCK.sub(fill, page)
