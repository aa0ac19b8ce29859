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
        (r"\pL", "[A-Za-z]"),
        (r"\p{javaLowerCase}+", "[a-z]+"),
        (r"\p{IsLatin}+", "[A-Za-z]+"),
        (r"\p{IsLATIN}\p{sc=Common}", "[A-Za-z][\\-.0-9_]"),
        (r"\P{Lu}", "[\\-.0-9_a-z]"),
        ("[a-z&&[^e]]+", "[a-df-z]+"),
        ("[a[b]]", "[ab]"),
        ("[^a[b]]", "[\\-.0-9A-Z_c-z]"),  # Java 9+: ^ negates the nested class too
        ("[abc&&b-d]", "[bc]"),
        ("[a-z&&def&&[^e]]", "[df]"),
        (r"[\P{Digit}]", "[\\-.A-Z_a-z]"),
        (r"[\p{javaUpperCase}\d]", "[0-9A-Z]"),
        ("[x&&[y]]", "(?!)"),
        (r"a\R", "a(?:\\r\\n|[\\n\\x0b\\f\\r\\x85\\u2028\\u2029])"),
        (r"\X+", "(?:\\r\\n|(?s:.))+"),
        (r"\b{g}orders\b{g}", "(?:)orders(?:)"),
        (r"\Gorders", r"\Aorders"),
        (r"(?i:a)[a[b]](?-i:(?i:x)[c[d]])", r"(?i:a)[ab](?-i:(?i:x)[cd])"),
        (r"(?i:(a)\p{Lower})", r"(?i:(a)[a-z])"),
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
def test_java_regex_translation(java: str, python: str) -> None:
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
        (r"\p{IsGreek}+", r"Java regex '\\p{IsGreek}+': \p{IsGreek} is not a property this tool can evaluate "
                          "faithfully; rewrite it as an explicit class such as [a-z] or [A-Za-z0-9]"),
        (r"[a&&\p{InCyrillic}]", r"Java regex '[a&&\\p{InCyrillic}]': \p{InCyrillic} is not a property this tool"),
        ("[a-c&&[b]x]", "Java regex '[a-c&&[b]x]': characters after a [...] operand of && is valid in some Java"),
        ("[z-a[b]]", "Java regex '[z-a[b]]': illegal character range 'z'-'a' (Java refuses it)"),
        ("[&&a]", "Java regex '[&&a]': an intersection (&&) without a left operand is valid in some Java versions"),
        ("[a&&]", "Java regex '[a&&]': an intersection (&&) without a right operand is valid in some Java versions"),
        (r"[\R]", r"Java regex '[\\R]': \R inside a character class (Java refuses it there)"),
        ("(?i:[^a[b]])", "Java regex '(?i:[^a[b]])': a nested class, '&&' or Unicode property inside (?i:...) is "
                         "valid in Java but this tool cannot evaluate it faithfully; write it outside (?i:...)"),
        (r"(?i:x\p{javaLowerCase})", r"Java regex '(?i:x\\p{javaLowerCase})': \p{javaLowerCase} inside (?i:...) is"),
        (r"\b{x}", r"Java regex '\\b{x}': \b{...} other than \b{g} is \b followed by a repetition"),
        (r"\N{LATIN SMALL LETTER A}", r"Java regex '\\N{LATIN SMALL LETTER A}': \N{...} is valid in Java but this "
                                      "tool cannot evaluate it faithfully; rewrite it as the character itself"),
        (r"(a)\1", r"Java regex '(a)\\1': back-reference \1 is not supported"),
        (r"(?<x>a)\k<x>", r"Java regex '(?<x>a)\\k<x>': back-reference \k<name> is not supported"),
        ("{foo}", "Java regex '{foo}': '{' at index 0 does not start a {n} quantifier (Java: Illegal repetition)"),
        ("a{x}", "Java regex 'a{x}': '{' at index 1 does not start a {n} quantifier"),
        ("(?P<x>a)", "Java regex '(?P<x>a)': '(?P' is Python-only syntax; " + PYTHON_ONLY),
        ("(?#note)a", "Java regex '(?#note)a': '(?#' is Python-only syntax; " + PYTHON_ONLY),
        ("(?x:a b)", "Java regex '(?x:a b)': inline flag x is not supported (only i, m and s)"),
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
        ("[a--z]", "Java regex '[a--z]': illegal character range 'a'-'-' (Java refuses it)"),
        ("a**", "invalid regular expression 'a**': multiple repeat"),
    ],
)
def test_java_regex_rejections(pattern: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        compile_java_regex(pattern)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("pattern", "topic", "matches"),
    [
        (r"\p{javaLowerCase}+", "orders", True),
        (r"\p{javaLowerCase}+", "Orders", False),
        ("[a-z&&[^e]]+", "abc", True),
        ("[a-z&&[^e]]+", "abe", False),
        (r"\p{IsLatin}+", "Orders", True),
        (r"\p{IsLatin}+", "orders1", False),
        (r"orders\R?", "orders", True),
        (r"\X+", "orders.v1", True),
        (r"\b{g}\w+\b{g}", "orders_1", True),
        (r"\Gorders", "orders", True),
    ],
)
def test_valid_java_patterns_from_the_review_match_as_in_java(pattern: str, topic: str, matches: bool) -> None:
    assert (compile_java_regex(pattern).fullmatch(topic) is not None) is matches


def test_no_refusal_claims_java_refuses_a_valid_pattern() -> None:
    # \b{g} used to be refused as "Illegal repetition", which Java never says of it.
    for pattern in (r"\b{g}", r"a\b{g}", r"\p{javaLowerCase}", r"[a[b]]", r"\X", r"\R"):
        compile_java_regex(pattern)


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


def test_the_reviews_valid_java_patterns_plan_in_a_flow() -> None:
    from replication import config
    from tests.test_config import dev_raw

    patterns = [r"\p{javaLowerCase}+", "[a-z&&[^e]]+", "[a[b]]", r"\p{IsLatin}+", r"x\R?", r"\X+", r"\b{g}y"]
    raw = dev_raw()
    raw["flows"][0]["topics"] = patterns
    cfg = config.parse(raw)
    assert cfg.flows[0].topics == patterns
