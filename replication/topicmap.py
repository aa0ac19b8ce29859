"""Which topics each cluster holds once MirrorMaker 2 replication has settled.

A pure model (no Pulumi imports) of MirrorMaker 2's topic rules, from Apache Kafka's
`DefaultReplicationPolicy`, `IdentityReplicationPolicy`, `MirrorSourceConnector` and
`DefaultTopicFilter` (see `shared/mm2-semantics.md`):

- a flow S→T replicates topic x of S when x passes the filter (fully matches an include pattern
  and no exclude pattern) or is a heartbeats topic, is not internal, and is not a cycle;
- the default policy names the remote topic `S.x`; identity keeps `x` (heartbeats are prefixed);
- the cycle check parses source aliases from the name, so a prefixed topic never returns to the
  cluster it came from, while identity names carry no alias and can loop forever.

Patterns are Java regular expressions matched against the whole topic name. They are run with
Python's `re` after translation. Where the dialects differ:

- `\\Q...\\E` quoting is translated to an escaped literal;
- POSIX classes `\\p{Alpha}`, `\\p{Digit}`, `\\p{Alnum}`, `\\p{Upper}`, `\\p{Lower}`, `\\p{Punct}`,
  `\\p{Space}` and `\\p{XDigit}` are translated to their ASCII character classes;
- other `\\p{...}`/`\\P{...}` classes, `\\h`, `\\R`, `\\X`, `\\G`, `\\z`, and Java character-class set
  operations (`[a-z&&[^e]]`) are refused rather than silently meaning something else;
- named groups `(?<name>...)` are translated to Python's `(?P<name>...)`;
- possessive quantifiers and atomic groups work alike (Python 3.11+).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

Policy = Literal["default", "identity"]

SEPARATOR = "."
HEARTBEATS = "heartbeats"
MAX_TOPIC_LENGTH = 249


class TopologyError(ValueError):
    """A topology that would corrupt or loop data. The message names clusters, flows and topics."""


# --- Java regular expressions -----------------------------------------------------------------

_POSIX = {
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Upper": "A-Z",
    "Lower": "a-z",
    "Punct": r"!-/:-@\[-`{-~",
    "Space": r" \t\n\x0b\f\r",
    "XDigit": "0-9a-fA-F",
}
_UNSUPPORTED = {"h": r"\h", "R": r"\R", "X": r"\X", "G": r"\G", "z": r"\z", "H": r"\H", "V": r"\V", "v": r"\v"}


def java_regex_to_python(pattern: str) -> str:
    """Translate a Java regex to Python's dialect, or raise ValueError naming what is unsupported."""
    out: list[str] = []
    i = 0
    depth = 0  # inside a character class
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2 :] if end < 0 else pattern[i + 2 : end]
                out.append(re.escape(literal))
                i = len(pattern) if end < 0 else end + 2
                continue
            if nxt in "pP":
                m = re.match(r"\{(\w+)\}", pattern[i + 2 :])
                name = m.group(1) if m else ""
                if name not in _POSIX:
                    raise ValueError(f"Java regex {pattern!r}: \\{nxt}{{{name}}} has no Python equivalent")
                chars = _POSIX[name]
                if depth:
                    if nxt == "P":
                        raise ValueError(f"Java regex {pattern!r}: \\P{{{name}}} inside [...] is not supported")
                    out.append(chars)
                else:
                    out.append(f"[{'^' if nxt == 'P' else ''}{chars}]")
                i += 2 + len(m.group(0)) if m else 2
                continue
            if nxt in _UNSUPPORTED:
                raise ValueError(f"Java regex {pattern!r}: {_UNSUPPORTED[nxt]} has no Python equivalent")
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[":
            if depth and pattern.startswith("[", i):
                raise ValueError(f"Java regex {pattern!r}: nested character classes are not supported")
            depth += 1
            out.append(ch)
            # A leading `]` or `^]` is literal in both dialects.
            i += 1
            continue
        if ch == "]" and depth:
            depth -= 1
        if depth and pattern.startswith("&&", i):
            raise ValueError(f"Java regex {pattern!r}: character-class intersection (&&) is not supported")
        if pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
            out.append("(?P<")
            i += 3
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def compile_java_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Java regex for full-name matching; ValueError names the pattern when it cannot."""
    translated = java_regex_to_python(pattern)
    try:
        return re.compile(translated)
    except re.error as err:
        raise ValueError(f"invalid regular expression {pattern!r}: {err}") from None


# --- MirrorMaker's naming rules ---------------------------------------------------------------


def is_internal(topic: str, *, legacy: bool = False) -> bool:
    """Internal topics are never replicated. `legacy`: releases before KIP-690's fix counted
    every name ending in `.internal` or `-internal`."""
    if topic.startswith(("__", ".")):
        return True
    if legacy:
        return topic.endswith((".internal", "-internal"))
    return (topic.startswith("mm2") and topic.endswith(".internal")) or topic.endswith(".checkpoints.internal")


def source_alias(policy: Policy, topic: str) -> str | None:
    """The alias a policy parses from a name: the part before the first separator (default), or,
    under identity, only for heartbeats topics."""
    if policy == "identity" and original_topic(topic) != HEARTBEATS:
        return None
    head, sep, _ = topic.partition(SEPARATOR)
    return head if sep else None


def upstream_topic(policy: Policy, topic: str) -> str | None:
    """The name with its source alias stripped, or None when there is no alias."""
    if source_alias(policy, topic) is None:
        return None
    return topic.partition(SEPARATOR)[2]


def original_topic(topic: str) -> str:
    """The name with every alias prefix stripped (as the default policy parses it)."""
    return topic.rsplit(SEPARATOR, 1)[-1]


def is_heartbeats(topic: str) -> bool:
    """Heartbeats topics are replicated whatever the filter says."""
    return original_topic(topic) == HEARTBEATS


def is_cycle(policy: Policy, topic: str, target: str) -> bool:
    """MirrorSourceConnector.isCycle: does the name trace back to the target through its aliases?"""
    while True:
        alias = source_alias(policy, topic)
        if alias is None:
            return False
        if alias == target:
            return True
        upstream = upstream_topic(policy, topic)
        if upstream is None or upstream == topic:
            return False
        topic = upstream


def remote_topic(policy: Policy, source: str, topic: str) -> str:
    """The name a flow from `source` gives `topic` on its target."""
    if policy == "identity" and not is_heartbeats(topic):
        return topic
    return f"{source}{SEPARATOR}{topic}"


# --- flows and the map ------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowSpec:
    """A flow as the topic map sees it."""

    source: str
    target: str
    topics: tuple[str, ...]
    topics_exclude: tuple[str, ...] = ()
    policy: Policy = "default"
    emit_heartbeats: bool = True
    emit_backward_heartbeats: bool = False
    enabled: bool = True

    @property
    def name(self) -> str:
        """`source->target`."""
        return f"{self.source}->{self.target}"

    @cached_property
    def _include(self) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{java_regex_to_python(p)})" for p in self.topics) or "(?!)")

    @cached_property
    def _exclude(self) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{java_regex_to_python(p)})" for p in self.topics_exclude) or "(?!)")

    def filter_passes(self, topic: str) -> bool:
        """DefaultTopicFilter: one include pattern matches the whole name and no exclude does."""
        return self._include.fullmatch(topic) is not None and self._exclude.fullmatch(topic) is None

    def replicates(self, topic: str) -> bool:
        """MirrorSourceConnector.shouldReplicateTopic, for a topic of this flow's source."""
        return (
            (self.filter_passes(topic) or is_heartbeats(topic))
            and not is_internal(topic)
            and not is_cycle(self.policy, topic, self.target)
        )


@dataclass(frozen=True)
class TopicOrigin:
    """Why a topic is on a cluster."""

    kind: Literal["declared", "replicated", "heartbeats"]
    flow: str | None = None
    """The flow that replicated or emitted it."""
    upstream: str | None = None
    """The topic on the flow's source that it copies."""


@dataclass(frozen=True)
class TopicMap:
    """Cluster alias → topic → origin, once replication has settled."""

    topics: Mapping[str, Mapping[str, TopicOrigin]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, list[str]]:
        """Alias → sorted topic names (every cluster present, even when empty)."""
        return {alias: sorted(topics) for alias, topics in sorted(self.topics.items())}


def identity_cycles(flows: Sequence[FlowSpec]) -> list[list[str]]:
    """Directed cycles made only of enabled identity-policy flows, each as a list of aliases."""
    graph: dict[str, set[str]] = {}
    for f in flows:
        if f.enabled and f.policy == "identity":
            graph.setdefault(f.source, set()).add(f.target)
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    for start in sorted(graph):
        # Depth-first search for paths back to `start` through aliases ordered after it, so each
        # cycle is found once, from its smallest alias.
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph.get(node, ()), reverse=True):
                if nxt == start:
                    key = frozenset(path)
                    if key not in seen:
                        seen.add(key)
                        cycles.append([*path, start])
                elif nxt > start and nxt not in path:
                    stack.append((nxt, [*path, nxt]))
    return sorted(cycles)


def predict(declared: Mapping[str, Iterable[str]], flows: Sequence[FlowSpec]) -> TopicMap:
    """Predict every cluster's topics. Raises :class:`TopologyError` for loops and collisions."""
    active = [f for f in flows if f.enabled]
    cycles = identity_cycles(active)
    if cycles:
        cycle = cycles[0]
        raise TopologyError(
            f"identity-policy flows form a cycle {'->'.join(cycle)}: identity keeps topic names, so "
            "MirrorMaker cannot detect the loop and would copy records forever; use the default "
            "policy on at least one flow of the cycle"
        )
    aliases = set(declared) | {a for f in flows for a in (f.source, f.target)}
    state: dict[str, dict[str, TopicOrigin]] = {a: {} for a in aliases}
    for alias, topics in declared.items():
        for topic in topics:
            state[alias][topic] = TopicOrigin("declared")
    for f in active:
        if f.emit_heartbeats:
            state[f.target].setdefault(HEARTBEATS, TopicOrigin("heartbeats", f.name))
        if f.emit_backward_heartbeats:
            state[f.source].setdefault(HEARTBEATS, TopicOrigin("heartbeats", f.name))

    by_source: dict[str, list[FlowSpec]] = {}
    for f in active:
        by_source.setdefault(f.source, []).append(f)
    # Each round copies only what the previous round added. With the cycle check a topic enters
    # each cluster at most once, so more rounds than clusters means names grow without end.
    frontier = {alias: list(topics) for alias, topics in state.items()}
    writers: list[set[str]] = []  # flows that added topics, per round
    while any(frontier.values()):
        if len(writers) > len(aliases):
            recent = set().union(*writers[-len(aliases) :])
            example = max((t for ts in state.values() for t in ts), key=lambda t: (len(t), t))
            raise TopologyError(
                f"replication never settles: topic names keep growing (for example {example!r}) "
                f"through flows {', '.join(sorted(recent))}; an identity-policy flow hides the aliases "
                "MirrorMaker's cycle check needs, so use the default policy on the flows of the loop"
            )
        added: dict[str, list[str]] = {a: [] for a in aliases}
        wrote: set[str] = set()
        for source, topics in sorted(frontier.items()):
            for f in by_source.get(source, ()):
                for topic in topics:
                    if not f.replicates(topic):
                        continue
                    name = remote_topic(f.policy, f.source, topic)
                    _check_name(f, name)
                    existing = state[f.target].get(name)
                    if existing is None:
                        state[f.target][name] = TopicOrigin("replicated", f.name, topic)
                        added[f.target].append(name)
                        wrote.add(f.name)
                    else:
                        _check_collision(f, name, topic, existing)
        writers.append(wrote)
        frontier = added
    return TopicMap({a: dict(t) for a, t in state.items()})


def _check_name(flow: FlowSpec, name: str) -> None:
    if len(name) > MAX_TOPIC_LENGTH:
        raise TopologyError(
            f"flow {flow.name} would create a topic name of {len(name)} characters on {flow.target!r} "
            f"(Kafka allows {MAX_TOPIC_LENGTH}): {name[:60]}..."
        )


def _check_collision(flow: FlowSpec, name: str, upstream: str, existing: TopicOrigin) -> None:
    if existing.kind == "heartbeats" or (existing.kind == "declared" and name == HEARTBEATS):
        return  # MirrorMaker shares the heartbeats topic between flows by design
    if existing.kind == "declared":
        raise TopologyError(
            f"flow {flow.name} would write topic {name!r} into cluster {flow.target!r}, which declares "
            f"a topic {name!r} of its own: the two streams would interleave"
        )
    if existing.flow != flow.name or existing.upstream != upstream:
        raise TopologyError(
            f"flows {existing.flow} and {flow.name} would both write topic {name!r} into cluster "
            f"{flow.target!r}: the two streams would interleave"
        )
