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

Flow patterns are Java regexes, translated by :mod:`replication.javaregex`.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from replication.javaregex import compile_joined

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
    by_name = {cf.spec.name: cf for cf in compiled}
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
                _check_converges(held, flow.target, remote, origin, by_name, legacy_internal)
            total += 1
            if total > max_topics:
                raise TopologyError(
                    f"the topic map grows past {max_topics:,} topics, the most a stack may hold"
                    f" (latest: {_q(remote)} on {_q(flow.target)} via"
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
    flows: Mapping[str, _CompiledFlow],
    legacy_internal: bool,
) -> None:
    """Refuse a name that came back round a loop to the same cluster without MirrorMaker recording anything new.

    Names only grow by prefixes. If `topic` on `alias` descends from `earlier` on `alias` and both parse
    to the same set of source aliases, every cycle check on the loop answers as it did the first time,
    so the loop would prefix it again, unless a filter on the loop stops the longer name: the loop is
    replayed on it until a filter stops it (it settles) or the name passes Kafka's length limit.
    """
    prefixes = set(source_aliases(topic))
    path = [origin.flow or ""]
    current = origin
    while current.kind == "replicated" and current.flow is not None and current.upstream is not None:
        upstream_alias = flows[current.flow].spec.source
        earlier = current.upstream
        if upstream_alias == alias and set(source_aliases(earlier)) == prefixes:
            loop = list(reversed(path))
            if _loop_settles([flows[name] for name in loop], topic, legacy_internal):
                return
            hops = [flows[name].spec for name in loop]
            identity = [f.name for f in hops if f.policy == "identity"]
            raise TopologyError(
                f"replication never settles: topic names keep growing (for example {_q(topic)} on {_q(alias)},"
                f" after {_q(earlier)}) through flows {', '.join(loop)}; an identity-policy flow"
                f" ({', '.join(identity)}) hides the aliases MirrorMaker's cycle check needs, so use the default"
                " policy on the flows of the loop"
            )
        current = held[upstream_alias][earlier]
        path.append(current.flow or "")


def _loop_settles(loop: Sequence[_CompiledFlow], topic: str, legacy_internal: bool) -> bool:
    """Whether going round `loop` again and again from `topic` stops before names pass Kafka's limit:
    a filter that matches the shorter name may refuse a longer one (`a\\..*` against `b.a.b.orders`)."""
    name = topic
    while len(name) <= MAX_TOPIC_LENGTH:
        for hop in loop:
            if not hop.replicates(name, legacy_internal):
                return True
            name = remote_topic_name(hop.spec.policy, hop.spec.source, name)
    return False
