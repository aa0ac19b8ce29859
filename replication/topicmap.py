"""Which topics each cluster holds once MirrorMaker 2 replication has settled; topologies that loop refused.

Pure logic: stdlib only, no Pulumi. :func:`predict` takes the topics each cluster declares and the
flows, and replays MirrorMaker 2's naming, filtering and cycle detection (Kafka's
``DefaultReplicationPolicy``, ``IdentityReplicationPolicy``, ``MirrorSourceConnector``,
``DefaultTopicFilter``) until nothing new appears:

- a flow S->T copies topic x of S when x passes the filter (fully matches an include pattern and no
  exclude pattern) or is a heartbeats topic, is not internal, and is not a cycle;
- the default policy names the copy ``S.x``; identity keeps ``x`` (heartbeats are prefixed);
- the cycle check reads source aliases from the name, so a prefixed topic never returns where it
  came from, while identity names carry no alias and can loop.

Where Kafka's sources are more precise than the summary, the sources win:

- the default policy finds the source alias with Java's ``String.split``, which drops trailing empty
  parts: ``orders.`` has no source alias, ``a..b`` has source ``a`` and upstream ``.b``;
- the identity policy treats every name that *ends with* ``heartbeats`` as a heartbeats name (Kafka's
  ``looksLikeHeartbeat``): it prefixes it and reads its aliases as the default policy does.

:class:`TopologyError` stops identity-policy cycles, two flows writing one name into a cluster, a copy
landing on a declared topic, loops whose names grow for ever, and names over Kafka's 249 characters.

Java regex dialect
------------------
Flow patterns are Java regexes matched against the whole topic name. :func:`java_regex_to_python`
translates them to Python's ``re`` (compiled with ``re.ASCII``, so ``\\w \\d \\s \\b`` and ``(?i:...)`` are
ASCII-only, as in Java). What it cannot translate faithfully raises ``ValueError`` naming the pattern:

- translated: ``\\Q...\\E``; the POSIX classes ``\\p{Lower}``, ``Upper``, ``ASCII``, ``Alpha``,
  ``Digit``, ``Alnum``, ``Punct``, ``Graph``, ``Print``, ``Blank``, ``Cntrl``, ``XDigit``, ``Space``
  and their ``\\P{...}`` negations (not inside ``[...]``); ``\\h``, ``\\H``, ``\\v``, ``\\V`` (Java's sets;
  Python's ``\\v`` is one character); ``\\e``, ``\\cX``, ``\\0ooo``, ``\\xhh``, ``\\x{h...}``, ``\\uhhhh``;
  ``\\z`` and ``\\Z``; named groups ``(?<name>...)`` to ``(?P<name>...)``; a leading ``]`` in a class;
- the same in both: scoped flags ``(?i:...)``, ``(?m:...)``, ``(?s:...)``, lookaround, atomic groups,
  possessive and lazy quantifiers;
- refused, because MirrorMaker reads a flow's patterns as one comma-separated list, trims them and
  joins them with ``|``: commas (so no ``{n,m}``), leading or trailing whitespace, bare inline flags
  such as ``(?i)`` (they would leak into the next pattern), back-references (joining renumbers groups),
  an unclosed ``\\Q`` (it would swallow the next pattern), and (by :func:`compile_joined`) a group
  name defined in two patterns of one list, which Java refuses once they are joined;
- refused, because Python would read them differently or not at all: Unicode properties (``\\p{L}``,
  ``\\pL``, ``\\p{IsLatin}``...), nested classes ``[a[b]]``, intersections ``[a&&b]``, set syntax Python
  warns about (``[a--z]``), flags other than ``i m s``, ``\\R \\X \\G \\N``, ``\\b`` inside a class,
  variable-length lookbehind;
- refused, because Java would: ``{`` not starting a ``{n}`` quantifier ("Illegal repetition"), unknown
  letter escapes, Python-only ``(?P...)``, ``(?#...)`` and ``(?(...)...)``;
- not modelled, as legal topic names only use ``[a-zA-Z0-9._-]``: Java's other line terminators for
  ``.`` and ``$``, and Unicode case folding.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Policy = Literal["default", "identity"]

SEPARATOR = "."
HEARTBEATS = "heartbeats"
MAX_TOPIC_LENGTH = 249
#: Past this many topics in all, :func:`predict` gives up rather than exhaust memory (full meshes
#: with `.*` filters copy every topic along every simple path).
DEFAULT_MAX_TOPICS = 1_000_000


class TopologyError(ValueError):
    """A topology MirrorMaker would run badly: one line naming the clusters, flows and topics involved."""


@dataclass(frozen=True)
class FlowSpec:
    """One replication flow, in the terms the topic map needs."""

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
        return f"{self.source}->{self.target}"


@dataclass(frozen=True)
class TopicOrigin:
    """Why a topic is on a cluster."""

    kind: Literal["declared", "replicated", "heartbeats"]
    flow: str | None = None
    upstream: str | None = None


@dataclass(frozen=True)
class TopicMap:
    """Cluster alias -> topic name -> origin, both levels sorted."""

    topics: Mapping[str, Mapping[str, TopicOrigin]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, list[str]]:
        """Alias -> sorted topic names; every cluster alias is present, even with no topics."""
        return {alias: sorted(held) for alias, held in sorted(self.topics.items())}

    def origins(self) -> dict[str, dict[str, dict[str, str]]]:
        """Alias -> topic -> why it is there: `kind`, and for copies and heartbeats the `flow`
        (`<source>-><target>`) and the `upstream` topic on the flow's source (keys left out when unset)."""
        return {
            alias: {
                topic: {k: v for k, v in (("kind", o.kind), ("flow", o.flow), ("upstream", o.upstream)) if v}
                for topic, o in sorted(held.items())
            }
            for alias, held in sorted(self.topics.items())
        }


# --- MirrorMaker's naming rules -------------------------------------------------------------------


def _default_source(topic: str) -> str | None:
    # Java's split drops trailing empty strings, so only a separator before the last non-empty part counts.
    head = topic.rstrip(SEPARATOR)
    cut = head.find(SEPARATOR)
    return None if cut < 0 else topic[:cut]


def _looks_like_heartbeats(topic: str) -> bool:
    return topic.endswith(HEARTBEATS)


def source_alias(policy: Policy, topic: str) -> str | None:
    """The source cluster alias the policy parses from a name, or None when it is not a remote topic."""
    if policy == "identity" and not _looks_like_heartbeats(topic):
        return None  # identity names carry no alias; only heartbeats are prefixed
    return _default_source(topic)


def upstream_topic(policy: Policy, topic: str) -> str | None:
    """The name on the upstream cluster, or None when the policy parses no source alias."""
    source = source_alias(policy, topic)
    return None if source is None else topic[len(source) + len(SEPARATOR) :]


def source_aliases(topic: str) -> tuple[str, ...]:
    """Every source alias the default policy parses from a name, outermost first."""
    aliases: list[str] = []
    source = _default_source(topic)
    while source is not None:
        aliases.append(source)
        topic = topic[len(source) + len(SEPARATOR) :]
        source = _default_source(topic)
    return tuple(aliases)


def original_topic(topic: str) -> str:
    """The name with every prefix stripped (the same for both policies on heartbeats names)."""
    source = _default_source(topic)
    while source is not None:
        topic = topic[len(source) + len(SEPARATOR) :]
        source = _default_source(topic)
    return topic


def is_heartbeats_topic(topic: str) -> bool:
    """`heartbeats`, `a.heartbeats`, `b.a.heartbeats`...: replicated whatever the filter says."""
    return _looks_like_heartbeats(topic) and original_topic(topic) == HEARTBEATS


def is_internal(topic: str, *, legacy: bool = False) -> bool:
    """Never replicated: Kafka's own topics and MirrorMaker's (current releases, or older ones with `legacy`)."""
    if topic.startswith(("__", ".")):
        return True
    if legacy:
        return topic.endswith((".internal", "-internal"))
    return (topic.startswith("mm2") and topic.endswith(".internal")) or topic.endswith(".checkpoints.internal")


def remote_topic_name(policy: Policy, source: str, topic: str) -> str:
    """The name a flow from cluster `source` gives `topic` on its target."""
    if policy == "identity" and not _looks_like_heartbeats(topic):
        return topic
    return f"{source}{SEPARATOR}{topic}"


def is_cycle(policy: Policy, topic: str, target: str) -> bool:
    """MirrorSourceConnector.isCycle: does the name say it already came from `target`?"""
    source = source_alias(policy, topic)
    while source is not None:
        if source == target:
            return True
        topic = topic[len(source) + len(SEPARATOR) :]
        source = source_alias(policy, topic)
    return False


def flow_replicates(flow: FlowSpec, topic: str, *, legacy_internal: bool = False) -> bool:
    """Whether `flow` copies `topic` from its source (ignores `enabled`; compiles patterns through a cache)."""
    return _CompiledFlow.of(flow).replicates(topic, legacy_internal)


# --- Java regexes ---------------------------------------------------------------------------------

_PUNCT = "".join(re.escape(c) for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# Bodies of character classes, ready to go inside [...].
_POSIX_CLASSES: dict[str, str] = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": _PUNCT,
    "Graph": "a-zA-Z0-9" + _PUNCT,
    "Print": "a-zA-Z0-9" + _PUNCT + "\\x20",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1f\\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0b\\f\\r",
}
_HORIZONTAL = " \\t\\xa0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000"
_VERTICAL = "\\n\\x0b\\f\\r\\x85\\u2028\\u2029"
_QUANTIFIER = re.compile(r"\{\d+\}")  # {n,} and {n,m} carry a comma, refused first
_GROUP_NAME = re.compile(r"\(\?<([a-zA-Z][a-zA-Z0-9]*)>")
_FLAGS = re.compile(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])")
_JOINED = "MirrorMaker joins a flow's patterns with '|'"
_UNSUPPORTED_ESCAPES = {
    "R": "\\R has no Python equivalent",
    "X": "\\X has no Python equivalent",
    "G": "\\G has no Python equivalent",
    "N": "\\N{...} has no Python equivalent",
    "E": "\\E without a preceding \\Q",
    "k": f"back-reference \\k<name> is not supported ({_JOINED}, which renumbers groups)",
}


class _Reject(Exception):
    """Internal: why a pattern cannot be translated."""


def _literal(text: str) -> str:
    return re.escape(text)


def _hex(pattern: str, start: int, end: int) -> int:
    digits = pattern[start:end]
    if not digits or len(digits) != end - start or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise _Reject(f"bad hexadecimal escape at index {start}")
    value = int(digits, 16)
    if value > 0x10FFFF:
        raise _Reject(f"code point {digits} out of range")
    return value


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    """Translate the escape at `pattern[i] == '\\'`; return the Python text and the index after it."""
    if i + 1 >= len(pattern):
        raise _Reject("it ends with a lone backslash")
    c = pattern[i + 1]
    j = i + 2
    if c == "Q":
        end = pattern.find("\\E", j)
        if end < 0:
            raise _Reject(f"\\Q is not closed by \\E ({_JOINED}, so it would swallow the next one)")
        return _literal(pattern[j:end]), end + 2
    if c in "dDsSwWtnrfa":
        return "\\" + c, j
    if c == "e":
        return "\\x1b", j
    if c in "bBAzZ":
        if in_class:
            raise _Reject(f"\\{c} inside a character class")
        return ("\\Z" if c in "zZ" else "\\" + c), j  # \Z only differs before a final line terminator
    if c == "x":
        if j < len(pattern) and pattern[j] == "{":
            end = pattern.find("}", j)
            if end < 0:
                raise _Reject("\\x{ is not closed")
            return _literal(chr(_hex(pattern, j + 1, end))), end + 1
        return _literal(chr(_hex(pattern, j, j + 2))), j + 2
    if c == "u":
        return _literal(chr(_hex(pattern, j, j + 4))), j + 4
    if c == "0":
        digits = ""
        while j < len(pattern) and pattern[j] in "01234567" and len(digits) < 3:
            digits += pattern[j]
            j += 1
        if len(digits) == 3 and digits[0] > "3":  # Java: \0mnn only for m <= 3
            digits, j = digits[:2], j - 1
        if not digits:
            raise _Reject("\\0 must be followed by octal digits")
        return _literal(chr(int(digits, 8))), j
    if c == "c":
        if j >= len(pattern):
            raise _Reject("\\c must be followed by a character")
        return _literal(chr(ord(pattern[j]) ^ 64)), j + 1
    if c in "hHvV":
        body = _HORIZONTAL if c in "hH" else _VERTICAL
        return _class_body(body, negate=c.isupper(), in_class=in_class, what=f"\\{c}"), j
    if c in "pP":
        if j < len(pattern) and pattern[j] == "{":
            end = pattern.find("}", j)
            if end < 0:
                raise _Reject(f"\\{c}{{ is not closed")
            name, after = pattern[j + 1 : end], end + 1
        else:
            name, after = pattern[j : j + 1], j + 1
        posix = _POSIX_CLASSES.get(name)
        if posix is None:
            raise _Reject(f"\\{c}{{{name}}} has no Python equivalent")
        return _class_body(posix, negate=c == "P", in_class=in_class, what=f"\\P{{{name}}}"), after
    if c.isdigit():
        raise _Reject(f"back-reference \\{c} is not supported ({_JOINED}, which renumbers groups)")
    if c in _UNSUPPORTED_ESCAPES:
        raise _Reject(_UNSUPPORTED_ESCAPES[c])
    if c.isalpha():
        raise _Reject(f"\\{c} is not a Java escape")
    return _literal(c), j  # Java: a backslash before any other character quotes it


def _class_body(body: str, *, negate: bool, in_class: bool, what: str) -> str:
    if in_class:
        if negate:
            raise _Reject(f"{what} inside a character class")
        return body
    return f"[^{body}]" if negate else f"[{body}]"


def _group(pattern: str, i: int) -> tuple[str, int]:
    """Translate the group opener at `pattern[i] == '('`."""
    rest = pattern[i:]
    if not rest.startswith("(?"):
        return "(", i + 1
    for opener in ("(?:", "(?=", "(?!", "(?<=", "(?<!", "(?>"):
        if rest.startswith(opener):
            return opener, i + len(opener)
    named = _GROUP_NAME.match(rest)
    if named:
        return f"(?P<{named.group(1)}>", i + named.end()
    if rest.startswith(("(?P", "(?#", "(?(")):
        raise _Reject(
            f"{rest[:3]!r} is Python-only syntax; MirrorMaker's patterns are Java's, where a named group "
            "is (?<name>...) and there are no (?#...) comments or (?(...)...) conditionals"
        )
    flags = _FLAGS.match(rest)
    if not flags:
        raise _Reject(f"unsupported group construct at index {i}")
    on, off, close = flags.group(1), flags.group(2) or "", flags.group(3)
    if close == ")":
        raise _Reject(
            f"bare inline flags {flags.group(0)} ({_JOINED}, so they would leak into the next pattern);"
            f" use the scoped form (?{on}{'-' + off if off else ''}:...)"
        )
    bad = sorted(set(on + off) - set("ims"))
    if bad:
        raise _Reject(f"inline flag {''.join(bad)} is not supported (only i, m and s)")
    return f"(?{on}{'-' + off if off else ''}:", i + flags.end()


def _translate(pattern: str) -> str:
    if "," in pattern:
        raise _Reject(
            "it contains a comma, and MirrorMaker reads the patterns as a comma-separated list"
            " (so no {n,m} quantifiers: write the repetition out or use several patterns)"
        )
    if pattern != pattern.strip():
        raise _Reject("it has leading or trailing whitespace, which MirrorMaker trims")
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            text, i = _escape(pattern, i, in_class)
            out.append(text)
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "[":
                raise _Reject("nested character classes are not supported")
            elif c == "&" and pattern.startswith("&&", i):
                raise _Reject("character-class intersection (&&) is not supported")
            elif c in "&~|":
                c = "\\" + c  # literal in Java; Python warns about future set operations
            out.append(c)
            i += 1
            continue
        if c == "[":
            i += 1
            out.append("[")
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":
                out.append("\\]")  # a leading `]` is literal in both dialects
                i += 1
            in_class = True
            continue
        if c == "(":
            text, i = _group(pattern, i)
            out.append(text)
            continue
        if c == "{":
            quantifier = _QUANTIFIER.match(pattern, i)
            if not quantifier:
                raise _Reject(
                    f"'{{' at index {i} does not start a {{n}} quantifier (Java: Illegal repetition); escape it as \\{{"
                )
            out.append(quantifier.group(0))
            i = quantifier.end()
            continue
        out.append(c)
        i += 1
    if in_class:
        raise _Reject("a character class is not closed")
    return "".join(out)


def java_regex_to_python(pattern: str) -> str:
    """Translate a Java regex to Python's `re` syntax; ValueError when it cannot be done faithfully."""
    try:
        return _translate(pattern)
    except _Reject as err:
        raise ValueError(f"Java regex {pattern!r}: {err}") from None


@functools.lru_cache(maxsize=4096)
def compile_java_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Java regex for `fullmatch`; ValueError naming the pattern when Python cannot."""
    translated = java_regex_to_python(pattern)
    try:
        with warnings.catch_warnings():
            # FutureWarnings flag set syntax Python may read differently one day: refuse it now.
            warnings.simplefilter("error")
            return re.compile(translated, re.ASCII)
    except (re.error, FutureWarning) as err:
        raise ValueError(f"invalid regular expression {pattern!r}: {err}") from None


def compile_joined(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """A flow's patterns as MirrorMaker compiles them: joined with `|` into one Java regex
    (``DefaultTopicFilter``: ``Pattern.compile(String.join("|", topics))``). None for no pattern.

    Each pattern is compiled alone first, so an error names its pattern. Patterns valid alone can
    still be invalid together: Java refuses a group name defined twice ("Named capturing group <n>
    is already defined"), and then MirrorMaker's connector fails to start. ValueError names both.
    """
    single = [compile_java_regex(p) for p in patterns]
    owner: dict[str, str] = {}
    for pattern, compiled in zip(patterns, single, strict=True):
        for name in sorted(compiled.groupindex):
            if name in owner:
                raise ValueError(
                    f"patterns {owner[name]!r} and {pattern!r} cannot be joined: {_JOINED} and compiles them as "
                    f"one Java regex, where the group name <{name}> would be defined twice"
                )
            owner[name] = pattern
    if not single:
        return None
    # Back-references and bare flags are refused, so wrapping each in (?:...) changes nothing.
    return re.compile("|".join(f"(?:{p.pattern})" for p in single), re.ASCII)


@dataclass(frozen=True)
class _CompiledFlow:
    spec: FlowSpec
    include: re.Pattern[str] | None
    exclude: re.Pattern[str] | None

    @staticmethod
    def of(flow: FlowSpec) -> _CompiledFlow:
        try:
            return _CompiledFlow(flow, compile_joined(flow.topics), compile_joined(flow.topics_exclude))
        except ValueError as err:
            raise TopologyError(f"flow {flow.name}: {err}") from None

    def passes_filter(self, topic: str) -> bool:
        return (self.include is not None and self.include.fullmatch(topic) is not None) and not (
            self.exclude is not None and self.exclude.fullmatch(topic) is not None
        )

    def replicates(self, topic: str, legacy_internal: bool) -> bool:
        return (
            (self.passes_filter(topic) or is_heartbeats_topic(topic))
            and not is_internal(topic, legacy=legacy_internal)
            and not is_cycle(self.spec.policy, topic, self.spec.target)
        )


# --- Prediction -----------------------------------------------------------------------------------


def _identity_cycle(flows: Sequence[FlowSpec]) -> list[str] | None:
    """The first directed cycle of identity flows (deterministic), as aliases ending where it starts."""
    edges: dict[str, list[str]] = {}
    for f in flows:
        if f.enabled and f.policy == "identity":
            edges.setdefault(f.source, []).append(f.target)
    for targets in edges.values():
        targets.sort()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(edges):
        if start in state:
            continue
        path = [start]
        stack = [iter(edges.get(start, []))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :]
                first = cycle.index(min(cycle))  # start at the smallest alias, so messages are stable
                cycle = cycle[first:] + cycle[:first]
                return [*cycle, cycle[0]]
            if nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(edges.get(nxt, [])))
    return None


def _q(topic: str) -> str:
    return f"'{topic}'"


def predict(
    declared: Mapping[str, Iterable[str]],
    flows: Sequence[FlowSpec],
    *,
    legacy_internal: bool = False,
    max_topics: int = DEFAULT_MAX_TOPICS,
) -> TopicMap:
    """Every topic each cluster will hold once MirrorMaker has run all enabled flows to a fixed point.

    `declared`: cluster alias -> topic names the cluster holds itself. `legacy_internal` applies the
    internal-topic rule of older Kafka releases. Raises :class:`TopologyError` for identity cycles,
    topic name collisions, names that never converge and names Kafka refuses.
    """
    enabled = sorted((f for f in flows if f.enabled), key=lambda f: (f.source, f.target))
    compiled = [_CompiledFlow.of(f) for f in enabled]

    cycle = _identity_cycle(enabled)
    if cycle:
        raise TopologyError(
            f"identity-policy flows form a cycle {'->'.join(cycle)}: identity keeps topic names, so MirrorMaker"
            " cannot detect the loop and would copy records forever; use the default policy on at least one"
            " flow of the cycle"
        )

    aliases = set(declared) | {f.source for f in flows} | {f.target for f in flows}
    held: dict[str, dict[str, TopicOrigin]] = {alias: {} for alias in aliases}
    out_flows: dict[str, list[_CompiledFlow]] = {}
    by_name = {f.name: f for f in enabled}
    # A loop of default-policy flows always records the alias that stops it; only identity flows can pump.
    may_diverge = any(f.policy == "identity" for f in enabled)
    for cf in compiled:
        out_flows.setdefault(cf.spec.source, []).append(cf)

    for alias in sorted(declared):
        for topic in sorted(set(declared[alias])):
            held[alias][topic] = TopicOrigin("declared")
    for f in enabled:  # sorted, so the first emitting flow names the origin
        for alias, on in ((f.target, f.emit_heartbeats), (f.source, f.emit_backward_heartbeats)):
            if on and HEARTBEATS not in held[alias]:
                held[alias][HEARTBEATS] = TopicOrigin("heartbeats", flow=f.name)

    queue: deque[tuple[str, str]] = deque((alias, topic) for alias in sorted(held) for topic in sorted(held[alias]))
    total = len(queue)
    while queue:
        alias, topic = queue.popleft()
        for cf in out_flows.get(alias, ()):
            if not cf.replicates(topic, legacy_internal):
                continue
            flow = cf.spec
            remote = remote_topic_name(flow.policy, flow.source, topic)
            if len(remote) > MAX_TOPIC_LENGTH:
                raise TopologyError(
                    f"flow {flow.name} would create a topic name of {len(remote)} characters on {_q(flow.target)}"
                    f" (Kafka allows {MAX_TOPIC_LENGTH}): {_q(remote)}, from {_q(topic)} on {_q(flow.source)}"
                )
            existing = held[flow.target].get(remote)
            if existing is not None:
                if existing.kind == "replicated" and existing.flow == flow.name and existing.upstream == topic:
                    continue
                raise _collision(flow, topic, remote, existing)
            origin = TopicOrigin("replicated", flow=flow.name, upstream=topic)
            held[flow.target][remote] = origin
            if may_diverge:
                _check_converges(held, flow.target, remote, origin, by_name)
            total += 1
            if total > max_topics:
                raise TopologyError(
                    f"the topic map grows past {max_topics} topics (latest: {_q(remote)} on {_q(flow.target)} via"
                    f" flow {flow.name}): the flows copy topics along too many paths; narrow their topics"
                    " filters, for example to local topics with '[^.]+'"
                )
            queue.append((flow.target, remote))

    return TopicMap({alias: dict(sorted(held[alias].items())) for alias in sorted(held)})


def _collision(flow: FlowSpec, topic: str, remote: str, existing: TopicOrigin) -> TopologyError:
    if existing.kind == "replicated":
        first, second = sorted([flow.name, existing.flow or ""])
        return TopologyError(
            f"flows {first} and {second} would both write topic {_q(remote)} into cluster {_q(flow.target)}:"
            " the two streams would interleave"
        )
    # Replicated names are never a bare `heartbeats`, so this is a declared topic.
    return TopologyError(
        f"flow {flow.name} would write topic {_q(remote)} into cluster {_q(flow.target)}, which declares a topic"
        f" {_q(remote)} of its own: the two streams would interleave"
    )


def _check_converges(
    held: Mapping[str, Mapping[str, TopicOrigin]],
    alias: str,
    topic: str,
    origin: TopicOrigin,
    flows: Mapping[str, FlowSpec],
) -> None:
    """Refuse a name that came back round a loop to the same cluster without MirrorMaker recording anything new.

    Names only grow by prefixes. If `topic` on `alias` descends from `earlier` on `alias` and both parse
    to the same set of source aliases, every cycle check on the loop answers as it did the first time,
    so the loop would prefix it again, and again (only a filter counting prefixes could stop it).
    """
    prefixes = set(source_aliases(topic))
    path = [origin.flow or ""]
    current = origin
    while current.kind == "replicated" and current.flow is not None and current.upstream is not None:
        upstream_alias = flows[current.flow].source
        earlier = current.upstream
        if upstream_alias == alias and set(source_aliases(earlier)) == prefixes:
            loop = list(reversed(path))
            hops = [flows[name] for name in loop]
            identity = [f.name for f in hops if f.policy == "identity"]
            raise TopologyError(
                f"replication never settles: topic names keep growing (for example {_q(topic)} on {_q(alias)},"
                f" after {_q(earlier)}) through flows {', '.join(loop)}; an identity-policy flow"
                f" ({', '.join(identity)}) hides the aliases MirrorMaker's cycle check needs, so use the default"
                " policy on the flows of the loop"
            )
        current = held[upstream_alias][earlier]
        path.append(current.flow or "")
