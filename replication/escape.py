"""Escaping for every output context: one function per context, the only place the rules live.

Every string that comes from a stack file (names, patterns, keys, values) or from the command line
may be hostile: stack files come from pull requests, and the markdown is posted as a PR comment that
GitHub renders with raw HTML (`<details>`, `<img>`, `<a>`), autolinks, mentions and emoji. So:

- :func:`code` for a value in markdown (anything from config: GitHub links and mentions nothing in code),
- :func:`text` for the program's prose around values, whose characters must not be read as markup,
- :func:`cell` for a GFM table cell made of those fragments,
- :func:`fence` for a fenced code block,
- :func:`mermaid_label` for a label in a Mermaid flowchart,
- :func:`line` for one line of plain text on a terminal or in a log.

What a context cannot carry is shown, never dropped or passed through: every character Python
does not call printable (C0 and C1 controls, so ESC and the ANSI sequences it starts, CR, LF, NUL,
DEL; bidirectional overrides and other format characters; line and paragraph separators; surrogates)
becomes a visible stand-in: C0 controls and DEL their Unicode control pictures (`␊` for LF, `␛` for
ESC), the others `<U+XXXX>`. Only :func:`fence` keeps LF and TAB, which a code block shows as they
are. The stand-ins are for people, not reversible: a literal `␊` in the input reads the same.

No Pulumi imports: plain functions with plain unit tests (tests/test_escape.py).
"""

from __future__ import annotations

import re

# --- what no context carries --------------------------------------------------------------------

_CONTROL_PICTURES = {c: chr(0x2400 + c) for c in range(0x20)} | {0x7F: "\u2421"}


def _stand_in(char: str) -> str:
    return _CONTROL_PICTURES.get(ord(char)) or f"<U+{ord(char):04X}>"


def _visible(value: str, keep: str = "") -> str:
    """`value` with every non-printable character (except those in `keep`) replaced by a stand-in."""
    if value.isprintable():
        return value  # the common case, without a loop in Python
    return "".join(c if c.isprintable() or c in keep else _stand_in(c) for c in value)


def line(value: object) -> str:
    """One line of plain text for a terminal or a log.

    Threat: a value with CR or LF forges further lines (a fake "no changes"), ESC starts ANSI
    sequences that recolour, move the cursor or retitle the terminal, a bidirectional override
    reorders what is read. None of them survives: each becomes a visible stand-in.
    """
    return _visible(str(value))


# --- markdown (CommonMark with GitHub's extensions, raw HTML enabled) ----------------------------

_BACKTICKS = re.compile(r"`+")
# The ASCII punctuation that starts markup in the middle of a line: code, emphasis, links and
# images, raw HTML and `<...>` autolinks, entities, table pipes, strikethrough, math, and the
# backslash itself. CommonMark lets a backslash escape any ASCII punctuation; the rest starts nothing
# after a line's start.
_MARKUP = re.compile(r"[\\`*_\[\]<>&|~$]")


def _longest_backtick_run(value: str) -> int:
    return max((len(m.group(0)) for m in _BACKTICKS.finditer(value)), default=0)


def code(value: object) -> str:
    """Inline code that shows `value` exactly, whatever it holds.

    Threat: a value with backticks ends a code span and what follows is live markdown and HTML
    (```` a``<img src=x onerror=…>`` ````). CommonMark closes a code span only at a backtick run of
    the opening's exact length, so the delimiter is one backtick longer than the longest run in the
    value; the value is padded with a space (which CommonMark strips again) when it starts or ends
    with a backtick, or starts and ends with a space. Line breaks, which would end a table row or,
    doubled, the paragraph and so the code span, and other controls are shown as stand-ins.
    Code is also where GitHub finds no autolinks, mentions, issue references or emoji.

    CommonMark has no empty code span: the empty string is shown as a code span of one space.
    Inside a table cell, pass the result through :func:`cell`.
    """
    shown = _visible(str(value))
    if not shown.strip(" "):
        return f"`{shown or ' '}`"  # only spaces: CommonMark keeps them as they are
    ticks = "`" * (_longest_backtick_run(shown) + 1)
    if shown[0] == "`" or shown[-1] == "`" or (shown[0] == " " and shown[-1] == " "):
        shown = f" {shown} "
    return f"{ticks}{shown}{ticks}"


def text(value: object) -> str:
    """Literal text inside a line of markdown, for the program's own prose and fixed words.

    Threat: `*`, `_`, `[`, `![`, `<`, `&`, `~`, `$`, `|`, `` ` `` start emphasis, links, images, raw
    HTML, entities, strikethrough, math, a table cell or code. Each is backslash-escaped; line
    breaks, which would end the paragraph, and controls are stand-ins. Not for the start of a line,
    where `-`, `#` or `1.` would open a block: every line the program writes starts with its own text.

    GitHub finds autolinks (`www.`, `https://`, `a@b.c`), `@mentions` and `#123` references in
    rendered text, escaped or not (it looks after merging the text): a value from config belongs in
    :func:`code`, where it finds none.
    """
    return _MARKUP.sub(lambda m: "\\" + m.group(0), _visible(str(value)))


def cell(fragment: str) -> str:
    """One GFM table cell holding an inline fragment made by `code` and `text`.

    Threat: GFM splits a row at every `|` before it reads code spans, so a pipe in a value adds a
    cell, and a CR or LF ends the row (and the next line is a row of the attacker's). Every pipe is
    written `\\|`, even inside code: GitHub and markdown-it take a pipe after a backslash as part of
    the cell and drop that one backslash, whatever precedes it, so `\\|` shows `|` in code and
    `\\\\|` (from :func:`text`) shows `|` in text. Line breaks and controls are stand-ins.
    """
    return _visible(fragment).replace("|", "\\|")


def fence(body: str, info: str = "") -> str:
    """A fenced code block showing `body` verbatim, for the top level of a document.

    Threat: a line of backticks in the body closes the block and the rest is live markdown.
    A backtick fence closes only at a run of backticks at least as long as the opening, so the
    fence is longer than the longest run of backticks anywhere in the body (at least three);
    tildes cannot close a backtick fence. The body keeps its line feeds and tabs; CR, which
    CommonMark reads as a line ending too, and other controls are stand-ins.

    `info` is the language (`text`, `mermaid`); it is the program's, never config's.
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]*", info):
        raise ValueError(f"fence info string {info!r} is not a plain language name")
    shown = _visible(body, keep="\n\t").removesuffix("\n")
    ticks = "`" * max(3, _longest_backtick_run(shown) + 1)
    return f"{ticks}{info}\n{shown}\n{ticks}" if shown else f"{ticks}{info}\n{ticks}"


# --- Mermaid ------------------------------------------------------------------------------------

#: Characters that end or restructure a Mermaid label, and the entity codes that stand for them.
_MERMAID_ENTITIES = {
    "#": "#35;",  # first: it starts every entity code
    '"': "#quot;",
    "|": "#124;",
    "[": "#91;",
    "]": "#93;",
    "(": "#40;",
    ")": "#41;",
    "{": "#123;",
    "}": "#125;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "`": "#96;",
    ";": "#59;",
}
_MERMAID_SPECIAL = re.compile("|".join(re.escape(c) for c in _MERMAID_ENTITIES))
#: The line break inside a label: the only markup a label contains.
BREAK = "<br/>"


def mermaid_text(value: object) -> str:
    """One line of a quoted Mermaid label.

    Threat: Mermaid has no escape character: a quote or `|` ends the label, brackets open a new
    shape, `<`/`>` are HTML, and a line break ends the statement, so what follows is a new one
    (a `click` with a link, a `style`). Special characters become Mermaid entity codes (`#91;` for
    `[`), line breaks and controls visible stand-ins, so the label is one line with no markup.
    """
    return _MERMAID_SPECIAL.sub(lambda m: _MERMAID_ENTITIES[m.group(0)], _visible(str(value)))


def mermaid_label(*lines: object) -> str:
    """A quoted Mermaid label of escaped lines, joined by line breaks."""
    return '"' + BREAK.join(mermaid_text(value) for value in lines) + '"'
