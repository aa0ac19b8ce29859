"""replication.escape: each context's function, rendered as GitHub renders a PR comment.

Properties over any string: inline code is one `<code>` showing the string; text adds no element;
a table cell adds no cell or row; a fenced block shows the string and cannot be closed early; a
terminal line has no control character. What a context cannot carry shows as :func:`escape.line`
shows it (control pictures, `<U+XXXX>`).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replication import escape
from replication.markdown import message
from tests.rendered import Element, render, tags

#: Pieces that mean something to CommonMark, GFM, GitHub or a terminal, to build hostile strings from.
_PIECES = [
    "`", "``", "```", "~~~", "|", "\\", "\\|", "\r", "\n", "\r\n", "\n\n", " ", "  ", "\t", "\x00", "\x1b[31m",
    "\u202e", "\u2028", "<img src=x onerror=alert(1)>", "<details><summary>All good</summary>", "</details>",
    "<a href='https://evil.example'>", "<!--", "-->", "[x](https://evil.example)", "![i](https://e.example/i.png)",
    "<https://evil.example>", "www.evil.com", "https://evil.com", "a@evil.com", "*", "_", "**",
    "~~", "$", "&amp;", "&lt;", "# ", "- ", "1. ", "> ", "---", "===", ":smile:", "@team",
]
hostile = st.one_of(st.text(), st.lists(st.sampled_from(_PIECES) | st.text(max_size=3), max_size=8).map("".join))


def shown(value: str) -> str:
    """What inline code shows of `value`: one line; CommonMark has no empty code span."""
    return escape.line(value) or " "


def only(root: Element, tag: str) -> Element:
    (element,) = root.iter(tag)
    return element


def table_with(fragment: str) -> str:
    return "| h |\n| --- |\n| " + escape.cell(fragment) + " |\n"


# --- inline code --------------------------------------------------------------------------------


@given(hostile)
def test_inline_code_is_one_code_element_showing_the_value(value: str) -> None:
    root = render("x " + escape.code(value) + " y\n")
    assert tags(root) == ["p", "code"]
    assert only(root, "code").text() == shown(value)
    assert only(root, "p").text() == f"x {shown(value)} y"


@given(hostile)
def test_inline_code_in_a_table_cell_adds_no_cell_or_row(value: str) -> None:
    root = render(table_with(escape.code(value)))
    assert tags(root) == ["table", "thead", "tr", "th", "tbody", "tr", "td", "code"]
    assert only(root, "code").text() == shown(value)


@pytest.mark.parametrize(
    ("value", "markdown"),
    [
        ("topic-a", "`topic-a`"),
        ("a``<img src=x>``b", "```a``<img src=x>``b```"),
        ("`edge`", "`` `edge` ``"),
        (" padded ", "`  padded  `"),
        ("   ", "`   `"),
        ("", "` `"),
        ("two\nlines\r\x1b", "`two␊lines␍␛`"),
        ("rtl\u202eoverride", "`rtl<U+202E>override`"),
    ],
)
def test_inline_code_examples(value: str, markdown: str) -> None:
    assert escape.code(value) == markdown


# --- text and table cells ---------------------------------------------------------------------


@given(hostile)
def test_text_adds_no_element_and_shows_the_value(value: str) -> None:
    # Autolinks of bare URLs aside: GitHub finds those in any text (see below).
    root = render("x " + escape.text(value) + " y\n", autolinks=False)
    assert tags(root) == ["p"]
    assert only(root, "p").text() == f"x {escape.line(value)} y"


@given(hostile)
def test_text_in_a_table_cell_adds_no_cell_or_row(value: str) -> None:
    root = render(table_with(escape.text(value)), autolinks=False)
    assert tags(root) == ["table", "thead", "tr", "th", "tbody", "tr", "td"]
    assert only(root, "td").text() == escape.line(value).strip(" ")


def test_a_carriage_return_or_pipe_cannot_end_a_row() -> None:
    assert escape.cell("a\r| b | c |") == "a␍\\| b \\| c \\|"
    assert escape.cell(escape.code("a|b")) == "`a\\|b`"
    # A backslash before the pipe is the value's: the cell keeps both and shows them.
    assert only(render(table_with(escape.code("a\\|b"))), "code").text() == "a\\|b"
    assert only(render(table_with(escape.text("a\\|b"))), "td").text() == "a\\|b"


def test_text_escapes_markup_but_not_prose() -> None:
    assert escape.text("*now* [x](y) <b> &amp; a|b ~~s~~ $m$ \\") == (
        "\\*now\\* \\[x\\](y) \\<b\\> \\&amp; a\\|b \\~\\~s\\~\\~ \\$m\\$ \\\\"
    )
    assert escape.text("deleted (its records are lost); keep 3.") == "deleted (its records are lost); keep 3."


def test_github_links_bare_urls_in_text_but_not_in_code() -> None:
    """Why every value from config is inline code: escaping does not stop GitHub's autolinks."""
    url = "www.evil.com"
    assert [a.text() for a in render("x " + escape.text(url)).iter("a")] == [url]
    assert tags(render("x " + escape.code(url))) == ["p", "code"]


# --- fenced blocks ------------------------------------------------------------------------------


def _block(value: str) -> str:
    """What a fenced block shows: LF and TAB as they are, other controls as stand-ins."""
    body = "".join(c if c in "\n\t" else escape.line(c) for c in value).removesuffix("\n")
    return body + "\n" if body else ""


@given(hostile)
def test_a_fenced_block_shows_the_value_and_cannot_be_closed_early(value: str) -> None:
    root = render(escape.fence(value, "text") + "\n\nafter\n")
    assert tags(root) == ["pre", "code", "p"]
    assert only(root, "code").text() == _block(value)
    assert only(root, "p").text() == "after"


def test_fence_length_and_info() -> None:
    assert escape.fence("plain\n", "text") == "```text\nplain\n```"
    assert escape.fence("a\n```\n``````\n~~~~\n") == "```````\na\n```\n``````\n~~~~\n```````"
    with pytest.raises(ValueError, match="info string"):
        escape.fence("x", "text ```")


# --- terminal lines -----------------------------------------------------------------------------


@given(st.text())
def test_a_terminal_line_has_no_control_character(value: str) -> None:
    out = escape.line(value)
    assert out.isprintable()
    if value.isprintable():
        assert out == value


def test_line_examples() -> None:
    assert escape.line("red\x1b[31m\r\nfake: no changes") == "red␛[31m␍␊fake: no changes"
    assert escape.line("\x00\x7f\x9b\u2028\u202e") == "␀␡<U+009B><U+2028><U+202E>"


# --- messages: prose with values as code ------------------------------------------------------


@given(hostile, hostile)
def test_a_message_shows_its_values_as_code_and_nothing_else(first: str, second: str) -> None:
    root = render("- " + message(f"value {escape.code(first)} and {escape.code(second)}.") + "\n")
    assert tags(root) == ["ul", "li", "code", "code"]
    assert [c.text() for c in root.iter("code")] == [shown(first), shown(second)]


@given(hostile)
def test_a_message_that_interpolated_a_raw_value_injects_nothing(value: str) -> None:
    root = render("- " + message(f"value `{value}` is raw") + "\n", autolinks=False)  # no markup, that is
    assert set(tags(root)) <= {"ul", "li", "code"}
    assert len(list(root.iter("li"))) == 1
