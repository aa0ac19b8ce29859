"""Whether a new flow filter passes every topic name the old one did (replication/filterlang.py):
exact answers, refusals where it cannot be exact, and properties against `re` as the oracle."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replication import filterlang
from replication.filterlang import Unprovable, stopped_example
from replication.javaregex import compile_joined

#: Aiven's default excludes, as the dev stack writes them.
EXCLUDES = ["__.*", ".*[\\-\\.]internal", ".*\\.replica"]


@pytest.mark.parametrize(
    ("old", "new", "example"),
    [
        # Widening: nothing stops.
        ((["topic-.*"], []), ([".*"], []), None),
        ((["orders", "pay"], EXCLUDES), (["orders|pay.*"], EXCLUDES), None),
        ((["(?:orders|payments)\\..*"], []), (["orders\\..*", "payments\\..*"], []), None),
        ((["a[0-9]{3}"], []), (["a\\d+"], []), None),
        ((["\\p{Lower}+"], []), (["[a-z]+"], []), None),
        ((["(?i:abc)"], []), (["abc|ABC|aBc|abC|Abc|ABc|AbC|aBC"], []), None),
        ((["^orders\\..*$"], []), (["orders\\..*"], []), None),  # anchors change nothing in a whole-name match
        ((["\\Gorders\\z"], []), (["orders"], []), None),
        (([".*"], [*EXCLUDES, "tmp-.*"]), ([".*"], EXCLUDES), None),  # an exclude dropped
        ((["a.*"], ["ab.*"]), (["a.*"], ["abc.*"]), None),  # a narrower exclude
        ((["a.*"], []), ([".*"], ["b.*"]), None),  # an exclude outside what the old filter passed
        ((["a{250}"], []), (["b"], []), None),  # no topic name is 250 characters long
        ((["orders"], []), (["(?:(?:or)*ders)*"], []), None),
        # Narrowing: the shortest name that stops (letters before digits before `._-`).
        (([".*"], []), (["topic-.*"], []), "a"),
        (([".*"], EXCLUDES), ([".*"], [*EXCLUDES, "mm2-.*"]), "mm2-"),
        ((["topic-.*"], []), (["topic-[a-z]+"], []), "topic-"),
        ((["(?i:abc)"], []), (["abc"], []), "abC"),
        ((["[a-z]+"], []), (["\\p{Lower}{1}"], []), "aa"),
        ((["a{249}"], []), (["b"], []), "a" * 249),
        ((["orders"], []), ([], []), "orders"),  # no `topics` left: nothing is copied
        # interegular's star alone would take "ab" for a member of ((ab)*c)*.
        ((["ab"], []), (["(?:(?:ab)*c)*"], []), "ab"),
    ],
)
def test_stopped_example(old: filterlang.Filter, new: filterlang.Filter, example: str | None) -> None:
    assert stopped_example(old, new) == example


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(?!tmp).*", "'(?!tmp).*' has a negative lookahead or lookbehind"),
        ("(?=o).*", "'(?=o).*' has a lookahead or lookbehind"),
        ("o.*(?<!x)", "has a negative lookahead or lookbehind"),
        ("a*+", "'a*+' has a possessive quantifier"),
        ("(?>a*)", "has an atomic group"),
        ("a\\bb", "has an anchor or word boundary inside the pattern"),
        ("a^b", "has an anchor or word boundary inside the pattern"),
        ("a{300}", "has a repetition count above 250"),
    ],
)
def test_what_cannot_be_compared_is_refused_on_either_side(pattern: str, reason: str) -> None:
    for old, new in (([pattern], [".*"]), ([".*"], [pattern])):
        with pytest.raises(Unprovable, match=re.escape(reason)):
            stopped_example((old, []), (new, []))
    with pytest.raises(Unprovable, match=re.escape(reason)):
        stopped_example(([".*"], [pattern]), ([".*"], []))


def test_a_pattern_java_refuses_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="back-reference"):
        stopped_example((["(a)\\1"], []), ([".*"], []))


def test_a_filter_whose_automata_grow_exponentially_is_refused_within_the_budget() -> None:
    # The n-th character from the end is an `a`: 2^n states. Ample budget for the small case, none for n = 9.
    assert stopped_example((["(?:a|b)*a(?:a|b){3}"], []), ([".*"], []), budget=400) is None
    with pytest.raises(Unprovable, match="more than 400 states"):
        stopped_example((["(?:a|b)*a" + "(?:a|b)" * 9], []), ([".*"], []), budget=400)


# --- properties, with `re` as the oracle ------------------------------------------------------------

#: Characters that make the patterns interesting; names drawn from them and a few others.
NAME_CHARS = "abAB0.-_"
names = st.text(alphabet=NAME_CHARS + "z", min_size=1, max_size=8)


def _atoms() -> st.SearchStrategy[str]:
    return st.sampled_from(["a", "b", "A", "0", "\\.", "-", ".", "[ab]", "[^a]", "[a-z]", "\\d", "\\w", "_"])


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    quantified = st.tuples(inner, st.sampled_from(["*", "+", "?", "{2}", "*?", ""])).map(
        lambda t: f"(?:{t[0]}){t[1]}"
    )
    alternation = st.lists(inner, min_size=2, max_size=3).map(lambda xs: "(?:" + "|".join(xs) + ")")
    caseless = inner.map(lambda x: f"(?i:{x})")
    sequence = st.lists(inner, min_size=2, max_size=4).map("".join)
    return st.one_of(quantified, alternation, caseless, sequence)


patterns = st.recursive(_atoms(), _extend, max_leaves=6)
filters = st.tuples(st.lists(patterns, min_size=1, max_size=2), st.lists(patterns, max_size=2))


def _passes(flow: filterlang.Filter, name: str) -> bool:
    include, exclude = flow
    inc, exc = compile_joined(include), compile_joined(exclude)
    return inc is not None and inc.fullmatch(name) is not None and not (exc is not None and exc.fullmatch(name))


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(old=filters, new=filters, samples=st.lists(names, min_size=20, max_size=40))
def test_contained_means_every_name_the_old_filter_passes_the_new_one_passes(
    old: filterlang.Filter, new: filterlang.Filter, samples: list[str]
) -> None:
    try:
        example = stopped_example(old, new)
    except Unprovable:
        return
    if example is None:
        assert all(_passes(new, n) for n in samples if _passes(old, n))
    else:
        # A counterexample is a real one: a legal topic name the old filter passes and the new one does not.
        assert re.fullmatch(r"[a-zA-Z0-9._-]{1,249}", example)
        assert _passes(old, example) and not _passes(new, example)


@SETTINGS
@given(flow=filters, samples=st.lists(names, min_size=20, max_size=40))
def test_the_automaton_passes_exactly_what_re_passes(flow: filterlang.Filter, samples: list[str]) -> None:
    # Containment both ways against the filter that passes only `name`: it holds exactly when `re` passes it.
    for name in samples:
        only: filterlang.Filter = ([re.escape(name)], [])
        assert (stopped_example(only, flow) is None) == _passes(flow, name), name

