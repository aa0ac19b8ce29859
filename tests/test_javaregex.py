"""The Java-regex translator: what MirrorMaker 2 would match, in Python's `re`, or a refusal naming the pattern."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from replication.javaregex import compile_java_regex, java_regex_to_python
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("java", "python"),
    [
        (".*", ".*"),
        ("[^.]+", "[^.]+"),
        (r"\Qa.b\E.*", r"a\.b.*"),
        (r"[\Q.-\E_]", r"[\.\-_]"),
        (r"[\p{Alnum}_-]+", "[a-zA-Z0-9_-]+"),
        (r"\p{Lower}+", "[a-z]+"),
        (r"\P{Digit}+", "[^0-9]+"),
        (r"\pL", None),
        ("(?<env>prod|dev)\\..*", r"(?P<env>prod|dev)\..*"),
        (r"\x{41}\x42\u0043\0104", "ABCD"),
        (r"orders\z", r"orders\Z"),
        ("(?i:orders)", "(?i:orders)"),
        ("(?i-s:orders)", "(?i-s:orders)"),
        ("[]a]", r"[\]a]"),
        ("a{2}+b{3}?", "a{2}+b{3}?"),
        ("(?>a+)b*+", "(?>a+)b*+"),
        ("(?<=x)y(?<!z)", "(?<=x)y(?<!z)"),
        ("[a&b~c|d]", r"[a\&b\~c\|d]"),
        (r"\-\.\_", r"\-\._"),
    ],
)
def test_java_regex_translation(java: str, python: str | None) -> None:
    if python is None:
        with pytest.raises(ValueError, match="has no Python equivalent"):
            java_regex_to_python(java)
    else:
        assert java_regex_to_python(java) == python


@pytest.mark.parametrize(
    ("pattern", "topic", "matches"),
    [
        ("orders", "orders", True),
        ("orders", "orders-v2", False),  # the whole name, as Java's matches()
        ("a|ab", "ab", True),
        (r"\w+", "ordersé", False),  # \w is ASCII, as in Java
        ("(?i:ORDERS)", "orders", True),
        (r"\h", " ", True),
        (r"\v", "\n", True),  # Java's vertical whitespace, not Python's \x0b only
        (r"\p{Punct}+", "-._", True),
        (r"\Q.*\E", "orders", False),
        (r"\Q.*\E", ".*", True),
    ],
)
def test_java_regex_matching(pattern: str, topic: str, matches: bool) -> None:
    assert (compile_java_regex(pattern).fullmatch(topic) is not None) is matches


PYTHON_ONLY = (
    "MirrorMaker's patterns are Java's, where a named group is (?<name>...) and there are no (?#...) comments "
    "or (?(...)...) conditionals"
)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (
            "(?i)orders",
            "Java regex '(?i)orders': bare inline flags (?i) (MirrorMaker joins a flow's patterns with '|', "
            "so they would leak into the next pattern); use the scoped form (?i:...)",
        ),
        ("[a-z&&[^e]]", "Java regex '[a-z&&[^e]]': character-class intersection (&&) is not supported"),
        ("[a[bc]]", "Java regex '[a[bc]]': nested character classes are not supported"),
        (r"\p{L}+", r"Java regex '\\p{L}+': \p{L} has no Python equivalent"),
        (r"[\P{Digit}]", r"Java regex '[\\P{Digit}]': \P{Digit} inside a character class"),
        (r"(a)\1", r"Java regex '(a)\\1': back-reference \1 is not supported"),
        (r"(?<x>a)\k<x>", r"Java regex '(?<x>a)\\k<x>': back-reference \k<name> is not supported"),
        ("{foo}", "Java regex '{foo}': '{' at index 0 does not start a {n} quantifier (Java: Illegal repetition)"),
        ("a{x}", "Java regex 'a{x}': '{' at index 1 does not start a {n} quantifier"),
        ("(?P<x>a)", "Java regex '(?P<x>a)': '(?P' is Python-only syntax; " + PYTHON_ONLY),
        ("(?#note)a", "Java regex '(?#note)a': '(?#' is Python-only syntax; " + PYTHON_ONLY),
        ("(?x:a b)", "Java regex '(?x:a b)': inline flag x is not supported (only i, m and s)"),
        (r"a\R", r"Java regex 'a\\R': \R has no Python equivalent"),
        (r"a\G", r"Java regex 'a\\G': \G has no Python equivalent"),
        (r"a\y", r"Java regex 'a\\y': \y is not a Java escape"),
        ("a\\", "Java regex 'a\\\\': it ends with a lone backslash"),
        (r"\Qa.b", r"Java regex '\\Qa.b': \Q is not closed by \E"),
        (
            "a{1,3}",
            "Java regex 'a{1,3}': it contains a comma, and MirrorMaker reads the patterns as a comma-separated list",
        ),
        (" orders", "Java regex ' orders': it has leading or trailing whitespace, which MirrorMaker trims"),
        ("[abc", "Java regex '[abc': a character class is not closed"),
        ("orders.(", "invalid regular expression 'orders.(': missing ), unterminated subpattern at position 7"),
        ("(?<=a+)b", "invalid regular expression '(?<=a+)b': look-behind requires fixed-width pattern"),
        ("[a--z]", "invalid regular expression '[a--z]': Possible set difference"),
        ("a**", "invalid regular expression 'a**': multiple repeat"),
    ],
)
def test_java_regex_rejections(pattern: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        compile_java_regex(pattern)
    assert str(info.value).startswith(message)


def test_compile_is_cached_and_ascii() -> None:
    assert compile_java_regex("orders") is compile_java_regex("orders")
    assert compile_java_regex("orders").flags & re.ASCII


def test_python_only_syntax_inside_a_class_is_just_characters() -> None:
    # `(?#` inside [...] is three literal characters in Java too: no false refusal.
    assert compile_java_regex("[(?#]x").fullmatch("#x") is not None


def test_config_validation_does_not_load_the_topic_map() -> None:
    # Config checks patterns with the translator alone; the topic map is planning, a layer above.
    code = "import sys, replication.config; print('replication.topicmap' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"
