"""Java character classes evaluated over topic-name characters, against an independent reading."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from replication import javaclass
from replication.javaregex import compile_java_regex

ALPHABET = sorted(javaclass.ALPHABET)
_ATOMS = ["a", "b", "e", "z", "0", "_", "-", "a-f", "c-x", "A-Z", "0-9", r"\d", r"\w", r"\p{Lower}",
          r"\p{javaUpperCase}", r"\p{IsLatin}", r"\P{Alpha}", r"\p{Pd}"]


def _reference(atom: str) -> str:
    # The same atom as a Python class (re.ASCII), read by Python itself.
    python = {r"\p{Lower}": "[a-z]", r"\p{javaUpperCase}": "[A-Z]", r"\p{IsLatin}": "[a-zA-Z]",
              r"\P{Alpha}": "[^a-zA-Z]", r"\p{Pd}": "[-]"}
    return python.get(atom, f"[{atom}]")


# A class as (Java text, equivalent Python regex for one character built from lookaheads).
_leaf = st.sampled_from(_ATOMS).map(lambda a: (a, f"(?:{_reference(a)})"))


def _compose(children: st.SearchStrategy[tuple[str, str]]) -> st.SearchStrategy[tuple[str, str]]:
    def union(parts: list[tuple[str, str]]) -> tuple[str, str]:
        return "".join(f"[{j}]" for j, _ in parts), "(?:" + "|".join(p for _, p in parts) + ")"

    def intersection(pair: tuple[tuple[str, str], tuple[str, str]]) -> tuple[str, str]:
        (lj, lp), (rj, rp) = pair
        return f"[{lj}]&&[{rj}]", f"(?:(?={lp}){rp})"

    def negation(part: tuple[str, str]) -> tuple[str, str]:
        return f"^[{part[0]}]", f"(?:(?!{part[1]})(?s:.))"

    return st.one_of(
        st.lists(children, min_size=1, max_size=3).map(union),
        st.tuples(children, children).map(intersection),
        children.map(negation),
    )


@given(st.recursive(_leaf, _compose, max_leaves=6))
def test_nested_classes_and_intersections_match_as_java_reads_them(case: tuple[str, str]) -> None:
    java, python = case
    translated = compile_java_regex(f"[{java}]")
    reference = re.compile(python, re.ASCII)
    for c in ALPHABET:
        assert (translated.fullmatch(c) is not None) == (reference.fullmatch(c) is not None), (java, c)


def test_render_writes_runs_and_escapes_class_syntax() -> None:
    assert javaclass.render(frozenset("abcdx-")) == r"[\-a-dx]"
    assert javaclass.render(frozenset("ab")) == "[ab]"
    assert javaclass.render(frozenset()) == "(?!)"


def test_properties_name_their_topic_name_characters() -> None:
    assert javaclass.property_set("javaLowerCase") == frozenset("abcdefghijklmnopqrstuvwxyz")
    assert javaclass.property_set("IsLatin") == javaclass.property_set("script=Latn")
    assert javaclass.property_set("InBasicLatin") == javaclass.ALPHABET
    assert javaclass.property_set("P") == frozenset("._-")
    assert javaclass.property_set("gc=Nd") == frozenset("0123456789")
