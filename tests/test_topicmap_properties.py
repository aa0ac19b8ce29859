"""Properties of the topic map over random topologies: fixed point, no return to origin, DAGs accepted."""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass, replace
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replication.topicmap import (
    HEARTBEATS,
    FlowSpec,
    Policy,
    TopicMap,
    TopologyError,
    flow_replicates,
    is_cycle,
    is_heartbeats_topic,
    is_internal,
    predict,
    remote_topic_name,
    source_aliases,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

ALIASES = ("a", "b", "c", "d")
# Names that exercise the rules: dotted names that read as remote, internal ones, heartbeats look-alikes.
NAME_POOL = (
    "orders",
    "pay",
    "x.y",
    "a.orders",
    "b.x",
    "logs-internal",
    "mm2-offsets.a.internal",
    "a.checkpoints.internal",
    "__consumer_offsets",
    ".hidden",
    "heartbeats",
    "c.heartbeats",
    "myheartbeats",
    "v1.events",
    "orders.",
)
# Patterns written the same in Java and Python, so `re` is an independent oracle for the filter.
INCLUDES = (".*", "[^.]+", "o.*", "[a-z]+", "a\\..*", "(?:x|v1)\\..*", "b\\..*|pay")
EXCLUDES = (".*[\\-\\.]internal", "__.*", ".*\\.y", "pay")

T = TypeVar("T")

names = st.one_of(st.sampled_from(NAME_POOL), st.text(alphabet="abxy.-_", min_size=1, max_size=6))


@dataclass(frozen=True)
class Topology:
    declared: dict[str, list[str]]
    flows: list[FlowSpec]


# Strategies built once: building them inside every draw made Hypothesis validate and look them
# up again for each flow of each example, most of these tests' time.
_INCLUDE_LISTS = st.lists(st.sampled_from(INCLUDES), min_size=0, max_size=2)
_EXCLUDE_LISTS = st.lists(st.sampled_from(EXCLUDES), max_size=2)
_ENABLED = st.sampled_from((True, True, True, False))
_BOOLS = st.booleans()
_CLUSTER_COUNTS = st.integers(2, len(ALIASES))
_DECLARED = st.lists(names, max_size=4)


@functools.cache
def _choice(values: tuple[T, ...]) -> st.SearchStrategy[T]:
    return st.sampled_from(values)


@functools.cache
def _pair_lists(pairs: tuple[tuple[str, str], ...], min_size: int = 0) -> st.SearchStrategy[list[tuple[str, str]]]:
    return st.lists(st.sampled_from(pairs), unique=True, min_size=min_size, max_size=len(pairs))


def draw_flow(draw: st.DrawFn, source: str, target: str, policies: tuple[Policy, ...]) -> FlowSpec:
    return FlowSpec(
        source,
        target,
        tuple(draw(_INCLUDE_LISTS)),
        tuple(draw(_EXCLUDE_LISTS)),
        draw(_choice(policies)),
        emit_heartbeats=draw(_BOOLS),
        emit_backward_heartbeats=draw(_BOOLS),
        enabled=draw(_ENABLED),
    )


@st.composite
def flow_specs(draw: st.DrawFn, source: str, target: str, policies: tuple[Policy, ...]) -> FlowSpec:
    return draw_flow(draw, source, target, policies)


@st.composite
def topologies(
    draw: st.DrawFn, policies: tuple[Policy, ...] = ("default", "identity"), acyclic: bool = False
) -> Topology:
    aliases = ALIASES[: draw(_CLUSTER_COUNTS)]
    declared = {alias: draw(_DECLARED) for alias in aliases}
    # Acyclic: edges only go from an earlier alias to a later one.
    pairs = tuple((s, t) for i, s in enumerate(aliases) for j, t in enumerate(aliases) if (i < j if acyclic else i != j))
    chosen = draw(_pair_lists(pairs))
    return Topology(declared, [draw_flow(draw, s, t, policies) for s, t in chosen])


def outcome(topology: Topology) -> TopicMap | TopologyError:
    try:
        return predict(topology.declared, topology.flows)
    except TopologyError as err:
        return err


def one_round(topic_map: TopicMap, flows: list[FlowSpec]) -> set[tuple[str, str]]:
    """What one more pass of every enabled flow would add to the map."""
    produced: set[tuple[str, str]] = set()
    for f in flows:
        if not f.enabled:
            continue
        produced |= {(f.target, HEARTBEATS)} if f.emit_heartbeats else set()
        produced |= {(f.source, HEARTBEATS)} if f.emit_backward_heartbeats else set()
        for topic in topic_map.topics[f.source]:
            if flow_replicates(f, topic):
                produced.add((f.target, remote_topic_name(f.policy, f.source, topic)))
    return {(alias, topic) for alias, topic in produced if topic not in topic_map.topics[alias]}


def filter_passes(f: FlowSpec, topic: str) -> bool:
    return any(re.fullmatch(p, topic) for p in f.topics) and not any(re.fullmatch(p, topic) for p in f.topics_exclude)


def path_of(topic_map: TopicMap, flows: dict[str, FlowSpec], alias: str, topic: str) -> list[str]:
    """The clusters a replicated topic came through, from where it started to `alias`."""
    clusters = [alias]
    origin = topic_map.topics[alias][topic]
    while origin.kind == "replicated":
        assert origin.flow is not None and origin.upstream is not None
        alias, topic = flows[origin.flow].source, origin.upstream
        clusters.append(alias)
        origin = topic_map.topics[alias][topic]
    return clusters[::-1]


@SETTINGS
@given(topologies())
def test_the_map_is_a_fixed_point_of_replication(topology: Topology) -> None:
    result = outcome(topology)
    if isinstance(result, TopologyError):
        assert "\n" not in str(result)
        return
    assert one_round(result, topology.flows) == set()
    for alias, topics in topology.declared.items():
        assert set(topics) <= set(result.topics[alias])
    assert set(result.as_dict()) == set(topology.declared) | {a for f in topology.flows for a in (f.source, f.target)}


@SETTINGS
@given(topologies())
def test_every_replicated_topic_is_what_its_flow_would_produce(topology: Topology) -> None:
    result = outcome(topology)
    if isinstance(result, TopologyError):
        return
    flows = {f.name: f for f in topology.flows if f.enabled}
    declared = {(alias, topic) for alias, topics in topology.declared.items() for topic in topics}
    for alias, topics in result.topics.items():
        for topic, origin in topics.items():
            if origin.kind == "declared":
                assert (alias, topic) in declared
                continue
            assert origin.flow in flows
            f = flows[origin.flow]
            if origin.kind == "heartbeats":
                assert topic == HEARTBEATS
                assert (f.target == alias and f.emit_heartbeats) or (f.source == alias and f.emit_backward_heartbeats)
                continue
            upstream = origin.upstream
            assert upstream is not None and upstream in result.topics[f.source]
            assert f.target == alias and remote_topic_name(f.policy, f.source, upstream) == topic
            # The flow's own patterns let it through (heartbeats pass whatever they say).
            assert filter_passes(f, upstream) or is_heartbeats_topic(upstream)
            assert not is_internal(upstream) and not is_cycle(f.policy, upstream, alias)


@SETTINGS
@given(topologies(policies=("default",)))
def test_default_policy_never_brings_a_topic_back(topology: Topology) -> None:
    result = outcome(topology)
    if isinstance(result, TopologyError):
        # Default names never collide with each other; only a declared look-alike such as `a.orders` can.
        assert "which declares a topic" in str(result)
        return
    flows = {f.name: f for f in topology.flows if f.enabled}
    for alias, topics in result.topics.items():
        for topic, origin in topics.items():
            if origin.kind != "replicated":
                continue
            # The cycle check, stated on the result: no replicated name on a cluster carries that
            # cluster's alias among its prefixes, and every topic came along a simple path.
            assert alias not in source_aliases(topic)
            path = path_of(result, flows, alias, topic)
            assert len(set(path)) == len(path)


@SETTINGS
@given(topologies(acyclic=True))
def test_acyclic_topologies_only_fail_on_collisions(topology: Topology) -> None:
    result = outcome(topology)
    if isinstance(result, TopologyError):
        message = str(result)
        assert "would both write topic" in message or "which declares a topic" in message, message


_LOCAL_NAMES = st.lists(st.text(alphabet="abxy-_", min_size=1, max_size=5).filter(lambda t: not t.startswith("_")),
                        max_size=4)


@st.composite
def identity_forests(draw: st.DrawFn) -> Topology:
    """Identity flows where each cluster has at most one upstream, and names unique across clusters."""
    aliases = ALIASES[: draw(_CLUSTER_COUNTS)]
    flows = []
    for j, target in enumerate(aliases[1:], start=1):
        parent = draw(_choice((None, *aliases[:j])))
        if parent is not None:
            flows.append(draw_flow(draw, parent, target, ("identity",)))
    declared = {alias: [f"{alias}-{t}" for t in draw(_LOCAL_NAMES)] for alias in aliases}
    return Topology(declared, flows)


@SETTINGS
@given(identity_forests())
def test_identity_without_cycles_is_accepted(topology: Topology) -> None:
    result = predict(topology.declared, topology.flows)
    for f in topology.flows:
        if f.enabled:
            for topic in result.topics[f.source]:
                if not is_heartbeats_topic(topic) and filter_passes(f, topic):
                    assert topic in result.topics[f.target]  # identity keeps the name


@SETTINGS
@given(topologies(), st.randoms(use_true_random=False))
def test_flow_and_topic_order_do_not_change_the_outcome(topology: Topology, rnd: random.Random) -> None:
    shuffled_flows = list(topology.flows)
    rnd.shuffle(shuffled_flows)
    shuffled_declared = {
        alias: rnd.sample(topics, len(topics)) for alias, topics in reversed(topology.declared.items())
    }
    first, second = outcome(topology), outcome(Topology(shuffled_declared, shuffled_flows))
    if isinstance(first, TopologyError) or isinstance(second, TopologyError):
        assert str(first) == str(second)
    else:
        assert first == second


def naive(topology: Topology, rounds: int) -> dict[str, list[str]] | None:
    """Replicate round by round without any loop detection; None when still growing after `rounds`."""
    held = {a: set(ts) for a, ts in topology.declared.items()}
    for f in topology.flows:
        held.setdefault(f.source, set())
        held.setdefault(f.target, set())
        if f.enabled:
            held[f.target] |= {HEARTBEATS} if f.emit_heartbeats else set()
            held[f.source] |= {HEARTBEATS} if f.emit_backward_heartbeats else set()
    for _ in range(rounds):
        added = {
            (f.target, remote_topic_name(f.policy, f.source, t))
            for f in topology.flows
            if f.enabled
            for t in held[f.source]
            if flow_replicates(f, t)
        }
        added = {(a, t) for a, t in added if t not in held[a]}
        if not added:
            return {a: sorted(ts) for a, ts in sorted(held.items())}
        for a, t in added:
            held[a].add(t)
    return None


_LOOP_CLUSTER_COUNTS = st.integers(2, 3)
_FEW_DECLARED = st.lists(names, max_size=3)
_EXTRA_FLOWS = st.lists(flow_specs("b", "c", ("default", "identity")), max_size=1)


@st.composite
def mixed_loops(draw: st.DrawFn) -> Topology:
    """Two or three clusters with flows both ways and mixed policies, where loops may or may not settle."""
    aliases = ALIASES[: draw(_LOOP_CLUSTER_COUNTS)]
    pairs = tuple((s, t) for s in aliases for t in aliases if s != t)
    chosen = draw(_pair_lists(pairs, 2))
    flows = [draw_flow(draw, s, t, ("default", "identity")) for s, t in chosen]
    declared = {alias: draw(_FEW_DECLARED) for alias in aliases}
    return Topology(declared, flows)


@st.composite
def identity_out_default_back(draw: st.DrawFn) -> Topology:
    """a -identity-> b -default-> a: settles or not depending on the filters and the names."""
    out = draw_flow(draw, "a", "b", ("identity",))
    back = draw_flow(draw, "b", "a", ("default",))
    extra = draw(_EXTRA_FLOWS)
    declared = {alias: draw(_FEW_DECLARED) for alias in ("a", "b")}
    return Topology(declared, [replace(out, enabled=True), replace(back, enabled=True), *extra])


@SETTINGS
@given(st.one_of(identity_out_default_back(), mixed_loops(), topologies()))
def test_the_map_agrees_with_naive_replication(topology: Topology) -> None:
    result = outcome(topology)
    if isinstance(result, TopicMap):
        assert naive(topology, rounds=4 * len(result.topics) + 2) == result.as_dict()
    elif str(result).startswith("replication never settles"):
        # Refused loops really keep growing: plain round-by-round replication does not settle either.
        assert naive(topology, rounds=12) is None
