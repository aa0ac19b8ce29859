"""Which topic names a flow's filter passes, as a finite automaton: whether a new filter still passes
every topic the old one did.

Pure logic, no Pulumi. MirrorMaker passes a topic when the joined `topics` patterns match its whole name
and the joined excludes do not (`DefaultTopicFilter`). Over topic names (``[a-zA-Z0-9._-]``, at most 249
characters) each filter is a regular language, so "the new filter passes everything the old one did" is
decidable: the old language minus the new one must hold no name of 1 to 249 characters.

Each pattern is translated by :mod:`replication.javaregex` and parsed by Python's own regex parser, so the
automaton has exactly the structure `re` matches; each character class is evaluated by `re` itself on every
topic-name character (case-insensitive groups included). interegular's FSM does the set operations.
What is not a regular operation on characters, or not one this module builds exactly (lookaround, anchors
other than a leading `^`/`\\A` or a trailing `$`/`\\Z`, word boundaries, possessive quantifiers, atomic
groups, back-references), raises :class:`Unprovable`: the caller says it cannot judge, never "contained".
So does a filter whose automata need more than :data:`BUDGET` states (subset construction is exponential
for some patterns, and the patterns come from pull requests).
"""

from __future__ import annotations

import contextlib
import re
import string
import sys
import warnings
from collections import deque
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import Any, cast

from interegular.fsm import FSM, Alphabet, epsilon, null

from replication import javaregex

with warnings.catch_warnings():
    # The regex engine's own parser and compiler; `sre_parse` is their typed name (deprecated alias of re._parser).
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_compile
    import sre_constants as sre
    import sre_parse

#: The characters of a legal topic name (Kafka's `Topic.LEGAL_CHARS`) and its longest length.
TOPIC_CHARS = string.ascii_letters + string.digits + "._-"
MAX_TOPIC_LENGTH = 249
#: Automaton states the construction may build, about a second of work: realistic filters need a few
#: hundred to 1,500; some patterns need exponentially many, and patterns come from pull requests.
BUDGET = 3_000

_CHARACTER = (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY)
_REPEAT = (sre.MAX_REPEAT, sre.MIN_REPEAT)  # greedy or lazy: the same language under a whole-name match
#: What this module does not build, as a reviewer reads it.
_NOT_BUILT = {
    sre.ASSERT: "a lookahead or lookbehind",
    sre.ASSERT_NOT: "a negative lookahead or lookbehind",
    sre.POSSESSIVE_REPEAT: "a possessive quantifier",
    sre.ATOMIC_GROUP: "an atomic group",
    sre.AT: "an anchor or word boundary inside the pattern",
    sre.GROUPREF: "a back-reference",
    sre.GROUPREF_EXISTS: "a conditional group",
}
_STARTS = (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING)
_ENDS = (sre.AT_END, sre.AT_END_STRING)


class Unprovable(Exception):
    """The filters cannot be compared exactly here: the caller must not claim containment."""


Filter = tuple[Sequence[str], Sequence[str]]
"""A flow's filter: its `topics` patterns and its exclude patterns (Java regexes)."""


def _characters(node: Any, flags: int) -> frozenset[str]:
    """The topic-name characters one character node matches, asked of `re` itself."""
    compiled = sre_compile.compile(sre_parse.SubPattern(sre_parse.State(), [node]), flags)
    return frozenset(c for c in TOPIC_CHARS if compiled.fullmatch(c))


def _unanchored(items: list[Any]) -> list[Any]:
    """A whole-name match ignores a leading `^`/`\\A` and a trailing `$`/`\\Z` (no newline in a topic name)."""
    while items and items[0][0] == sre.AT and items[0][1] in _STARTS:
        items = items[1:]
    while items and items[-1][0] == sre.AT and items[-1][1] in _ENDS:
        items = items[:-1]
    return items


def _alternatives(pattern: str) -> list[list[Any]]:
    """A pattern as Python's parser reads its translation: its top-level alternatives, unanchored."""
    translated = javaregex.compile_java_regex(pattern).pattern  # ValueError naming a pattern `re` refuses
    items: list[Any] = list(sre_parse.parse(translated, re.ASCII).data)  # the parse tree, loosely typed
    branches = items[0][1][1] if len(items) == 1 and items[0][0] == sre.BRANCH else [items]
    return [_unanchored(list(b)) for b in branches]


def _nodes(items: Sequence[Any], flags: int) -> Iterator[tuple[Any, int]]:
    """Every character node with the flags in force, for the alphabet's partition."""
    for op, arg in items:
        if op in _CHARACTER:
            yield (op, arg), flags
        elif op == sre.BRANCH:
            for branch in arg[1]:
                yield from _nodes(branch, flags)
        elif op == sre.SUBPATTERN:
            yield from _nodes(arg[3], (flags | arg[1]) & ~arg[2])
        elif op in _REPEAT:
            yield from _nodes(arg[2], flags)


class _Automata:
    """Builds automata over one alphabet: the topic-name characters, grouped by the character nodes
    that match them (fewer symbols, the same languages)."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.parsed = {p: _alternatives(p) for p in patterns}
        classes = {_characters(node, flags) for alts in self.parsed.values() for a in alts
                   for node, flags in _nodes(a, re.ASCII)}
        signature = {c: tuple(sorted(i for i, cls in enumerate(classes) if c in cls)) for c in TOPIC_CHARS}
        keys = {sig: n for n, sig in enumerate(sorted(set(signature.values())))}
        self.alphabet = Alphabet({c: cast(Any, keys[signature[c]]) for c in TOPIC_CHARS})

    def epsilon(self) -> FSM:
        return epsilon(self.alphabet)

    def one_of(self, chars: frozenset[str]) -> FSM:
        moves = {self.alphabet[c]: 1 for c in chars}
        return FSM(alphabet=self.alphabet, states={0, 1}, initial=0, finals={1}, map={0: moves})

    def repeat(self, fsm: FSM, low: int, high: int) -> FSM:
        if max(low, 0 if high == sre.MAXREPEAT else high) > MAX_TOPIC_LENGTH + 1:
            raise Unprovable(f"a repetition count above {MAX_TOPIC_LENGTH + 1}")
        # interegular's star marks its initial state final, which is only right when no edge leads back to
        # it: an empty string in front gives a start state nothing returns to.
        fsm = FSM.concatenate(self.epsilon(), fsm)
        tail = fsm.star() if high == sre.MAXREPEAT else (fsm | self.epsilon()).times(high - low)
        return FSM.concatenate(fsm.times(low), tail)

    def sequence(self, items: Sequence[Any], flags: int) -> FSM:
        parts = [self.epsilon()]
        for op, arg in items:
            if op in _CHARACTER:
                parts.append(self.one_of(_characters((op, arg), flags)))
            elif op == sre.BRANCH:
                parts.append(FSM.union(*(self.sequence(branch, flags) for branch in arg[1])))
            elif op == sre.SUBPATTERN:
                _group, on, off, body = arg
                parts.append(self.sequence(body, (flags | on) & ~off))
            elif op in _REPEAT:
                low, high, body = arg
                parts.append(self.repeat(self.sequence(body, flags), low, high))
            else:
                raise Unprovable(_NOT_BUILT.get(op, str(op).lower()))
        return FSM.concatenate(*parts)

    def matched(self, patterns: Sequence[str]) -> FSM:
        """The names the joined patterns match: MirrorMaker joins them with `|` (javaregex refuses what
        would make the join differ from the union: back-references, bare flags)."""
        if not patterns:
            return null(self.alphabet)
        return FSM.union(*(self.pattern(p) for p in patterns))

    def pattern(self, pattern: str) -> FSM:
        try:
            return FSM.union(*(self.sequence(a, re.ASCII) for a in self.parsed[pattern]))
        except Unprovable as err:
            raise Unprovable(f"{pattern!r} has {err}") from None

    def passes(self, flow: Filter) -> FSM:
        """The names a filter passes: its `topics` match and its excludes do not."""
        include, exclude = flow
        return self.matched(include).difference(self.matched(exclude))


class _OverBudget(Exception):
    pass


@contextlib.contextmanager
def _budget(states: int) -> Iterator[None]:
    """Stop the construction once it has built `states` automaton states. interegular's `crawl` calls its
    `final` callback once per state it builds, and its cost grows with the square of the states of one
    automaton, so counting those calls bounds the work deterministically (a timer would not)."""
    left = states

    def tick(frame: FrameType, event: str, arg: object) -> None:
        nonlocal left
        if event == "call" and frame.f_code.co_name == "final":
            left -= 1
            if left < 0:
                raise _OverBudget

    previous = sys.getprofile()
    sys.setprofile(tick)
    try:
        yield
    finally:
        sys.setprofile(previous)


def _shortest_name(fsm: FSM) -> str | None:
    """The shortest topic name (1 to 249 characters) the automaton accepts, by breadth-first search."""
    def step(state: Any) -> Iterator[tuple[str, Any]]:
        moves = fsm.map.get(state, {})
        for c in TOPIC_CHARS:
            target = moves.get(fsm.alphabet[c])
            if target is not None:
                yield c, target

    seen: dict[Any, str] = {}
    for c, state in step(fsm.initial):
        seen.setdefault(state, c)
    queue = deque(seen)
    while queue:
        state = queue.popleft()
        name = seen[state]
        if len(name) > MAX_TOPIC_LENGTH:
            return None
        if state in fsm.finals:
            return name
        for c, target in step(state):
            if target not in seen:
                seen[target] = name + c
                queue.append(target)
    return None


def stopped_example(old: Filter, new: Filter, budget: int = BUDGET) -> str | None:
    """A topic name the old filter passes and the new one does not (the shortest), or None when the new
    filter passes every topic name the old one did. ValueError for a pattern javaregex refuses,
    :class:`Unprovable` when this cannot be decided exactly here."""
    automata = _Automata([*old[0], *old[1], *new[0], *new[1]])
    try:
        with _budget(budget):
            lost = automata.passes(old).difference(automata.passes(new))
    except _OverBudget:
        raise Unprovable(f"the patterns' automata need more than {budget} states") from None
    return _shortest_name(lost)
