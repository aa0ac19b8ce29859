"""The topic map: MirrorMaker 2's naming, filtering and cycle rules, worked example by example."""

from __future__ import annotations

import itertools

import pytest

from replication.topicmap import (
    FlowSpec,
    TopicMap,
    TopicOrigin,
    TopologyError,
    flow_replicates,
    is_cycle,
    is_heartbeats_topic,
    is_internal,
    original_topic,
    predict,
    remote_topic_name,
    source_alias,
    source_aliases,
    upstream_topic,
)

ALL = (".*",)
RECIPE_EXCLUDE = (".*[\\-\\.]internal", ".*\\.replica", "__.*")


def flow(source: str, target: str, topics: tuple[str, ...] = ALL, **kwargs: object) -> FlowSpec:
    return FlowSpec(source, target, topics, **kwargs)  # type: ignore[arg-type]


def identity(source: str, target: str, topics: tuple[str, ...] = ALL, **kwargs: object) -> FlowSpec:
    return flow(source, target, topics, policy="identity", **kwargs)


def refused(declared: dict[str, list[str]], flows: list[FlowSpec]) -> str:
    with pytest.raises(TopologyError) as info:
        predict(declared, flows)
    return str(info.value)


# --- the shapes people run ------------------------------------------------------------------------


def test_recipe_one_way() -> None:
    topic_map = predict(
        {"source": ["topic-a"], "target": ["topic-b"]},
        [flow("source", "target", topics_exclude=RECIPE_EXCLUDE)],
    )
    # Heartbeats are emitted on the target only; nothing flows back, so the source keeps only its own topic.
    assert topic_map.as_dict() == {"source": ["topic-a"], "target": ["heartbeats", "source.topic-a", "topic-b"]}
    assert topic_map.topics["target"] == {
        "heartbeats": TopicOrigin("heartbeats", flow="source->target"),
        "source.topic-a": TopicOrigin("replicated", flow="source->target", upstream="topic-a"),
        "topic-b": TopicOrigin("declared"),
    }


def test_active_active() -> None:
    topic_map = predict({"a": ["orders"], "b": ["payments"]}, [flow("a", "b"), flow("b", "a")])
    # Each side's heartbeats travel once to the other side; the cycle check stops `a.b.heartbeats`.
    assert topic_map.as_dict() == {
        "a": ["b.heartbeats", "b.payments", "heartbeats", "orders"],
        "b": ["a.heartbeats", "a.orders", "heartbeats", "payments"],
    }


def test_fan_in() -> None:
    topic_map = predict(
        {"eu": ["clicks"], "us": ["clicks"], "central": []}, [flow("eu", "central"), flow("us", "central")]
    )
    assert topic_map.as_dict() == {
        "central": ["eu.clicks", "heartbeats", "us.clicks"],
        "eu": ["clicks"],
        "us": ["clicks"],
    }
    # Several flows emitting heartbeats into one cluster share MirrorMaker's topic: the first flow names it.
    assert topic_map.topics["central"]["heartbeats"] == TopicOrigin("heartbeats", flow="eu->central")


def test_fan_out() -> None:
    topic_map = predict({"hub": ["orders"]}, [flow("hub", "b"), flow("hub", "a")])
    assert topic_map.as_dict() == {
        "a": ["heartbeats", "hub.orders"],
        "b": ["heartbeats", "hub.orders"],
        "hub": ["orders"],
    }


def test_chain_compounds_prefixes() -> None:
    topic_map = predict({"a": ["orders"], "b": [], "c": []}, [flow("a", "b"), flow("b", "c")])
    assert topic_map.as_dict() == {
        "a": ["orders"],
        "b": ["a.orders", "heartbeats"],
        "c": ["b.a.orders", "b.heartbeats", "heartbeats"],
    }
    assert topic_map.topics["c"]["b.a.orders"] == TopicOrigin("replicated", flow="b->c", upstream="a.orders")


def test_ring_of_default_flows_stops_where_each_topic_started() -> None:
    ring = [flow("a", "b"), flow("b", "c"), flow("c", "a")]
    topic_map = predict({"a": ["orders"]}, ring)
    assert topic_map.as_dict() == {
        "a": ["c.b.heartbeats", "c.heartbeats", "heartbeats", "orders"],
        "b": ["a.c.heartbeats", "a.heartbeats", "a.orders", "heartbeats"],
        "c": ["b.a.heartbeats", "b.a.orders", "b.heartbeats", "heartbeats"],
    }


def test_identity_one_way_keeps_names_but_prefixes_heartbeats() -> None:
    topic_map = predict({"a": ["orders"], "b": []}, [identity("a", "b", emit_backward_heartbeats=True)])
    assert topic_map.as_dict() == {"a": ["heartbeats", "orders"], "b": ["a.heartbeats", "heartbeats", "orders"]}
    assert topic_map.topics["b"]["orders"] == TopicOrigin("replicated", flow="a->b", upstream="orders")


def test_identity_chain() -> None:
    topic_map = predict({"a": ["orders"]}, [identity("a", "b"), identity("b", "c")])
    assert topic_map.as_dict() == {
        "a": ["orders"],
        "b": ["heartbeats", "orders"],
        "c": ["b.heartbeats", "heartbeats", "orders"],
    }


def test_mixed_loop_that_a_filter_stops_converges() -> None:
    # Identity out, default back, but only local names (no dot) come back: `b.orders` goes out once and stays.
    topic_map = predict({"a": ["orders"]}, [identity("a", "b"), flow("b", "a", ("[^.]+",))])
    assert topic_map.as_dict() == {
        "a": ["b.heartbeats", "b.orders", "heartbeats", "orders"],
        "b": ["a.heartbeats", "b.orders", "heartbeats", "orders"],
    }


def test_mixed_loop_through_a_third_cluster_converges() -> None:
    # a -identity-> b -default-> c -default-> a: the second pass is stopped at b->c, which finds `c.` in the name.
    topic_map = predict({"a": ["x"]}, [identity("a", "b", emit_heartbeats=False), flow("b", "c"), flow("c", "a")])
    assert topic_map.as_dict() == {
        "a": ["c.b.x", "c.heartbeats", "heartbeats", "x"],
        "b": ["a.c.heartbeats", "a.heartbeats", "c.b.x", "x"],
        "c": ["b.a.heartbeats", "b.x", "heartbeats"],
    }


# --- flow options ---------------------------------------------------------------------------------


def test_disabled_flow_contributes_nothing_but_its_clusters_are_listed() -> None:
    topic_map = predict({"a": ["orders"]}, [flow("a", "b", enabled=False, emit_backward_heartbeats=True)])
    assert topic_map.as_dict() == {"a": ["orders"], "b": []}


def test_disabled_identity_flow_closes_no_cycle() -> None:
    topic_map = predict({"a": ["orders"]}, [identity("a", "b"), identity("b", "a", enabled=False)])
    assert topic_map.as_dict() == {"a": ["orders"], "b": ["heartbeats", "orders"]}


def test_backward_heartbeats_travel_downstream_too() -> None:
    topic_map = predict({"a": ["orders"]}, [flow("a", "b", emit_heartbeats=False, emit_backward_heartbeats=True)])
    assert topic_map.as_dict() == {"a": ["heartbeats", "orders"], "b": ["a.heartbeats", "a.orders"]}
    assert topic_map.topics["a"]["heartbeats"] == TopicOrigin("heartbeats", flow="a->b")


def test_no_heartbeats_at_all() -> None:
    assert predict({"a": ["orders"]}, [flow("a", "b", emit_heartbeats=False)]).as_dict() == {
        "a": ["orders"],
        "b": ["a.orders"],
    }


def test_heartbeats_pass_whatever_the_filter_says() -> None:
    flows = [flow("a", "b", ("orders",), topics_exclude=(".*",)), flow("b", "c", ("nothing",))]
    topic_map = predict({"a": ["orders", "heartbeats"]}, flows)
    assert topic_map.as_dict() == {
        "a": ["heartbeats", "orders"],
        "b": ["a.heartbeats", "heartbeats"],
        "c": ["b.a.heartbeats", "b.heartbeats", "heartbeats"],
    }


def test_declared_heartbeats_topic_is_fine_and_stays_declared() -> None:
    topic_map = predict({"a": [], "b": ["heartbeats"]}, [flow("a", "b")])
    assert topic_map.topics["b"] == {"heartbeats": TopicOrigin("declared")}


def test_include_patterns_match_the_whole_name_and_exclude_wins() -> None:
    flows = [flow("a", "b", ("orders", "pay.*"), topics_exclude=("payroll",), emit_heartbeats=False)]
    topic_map = predict({"a": ["orders", "orders-v2", "payments", "payroll", "x-orders"]}, flows)
    assert topic_map.as_dict()["b"] == ["a.orders", "a.payments"]


def test_no_include_patterns_replicate_only_heartbeats() -> None:
    topic_map = predict({"a": ["orders", "heartbeats"]}, [flow("a", "b", ())])
    assert topic_map.as_dict()["b"] == ["a.heartbeats", "heartbeats"]


def test_internal_topics_are_never_replicated() -> None:
    declared = {
        "a": [
            "__consumer_offsets",
            ".hidden",
            "mm2-offsets.b.internal",
            "mm2-offset-syncs.b.internal",
            "b.checkpoints.internal",
            "connect-configs-internal",
            "orders.internal",
            "orders",
        ]
    }
    topic_map = predict(declared, [flow("a", "b", emit_heartbeats=False)])
    # Current releases only count MirrorMaker's own `mm2….internal` and `….checkpoints.internal`.
    assert topic_map.as_dict()["b"] == ["a.connect-configs-internal", "a.orders", "a.orders.internal"]
    legacy = predict(declared, [flow("a", "b", emit_heartbeats=False)], legacy_internal=True)
    assert legacy.as_dict()["b"] == ["a.orders"]
    # MirrorMaker's checkpoints and offset-syncs topics are not in the map; declared ones stay where declared.
    assert set(topic_map.as_dict()["a"]) == set(declared["a"])


def test_dotted_declared_names_are_parsed_like_remote_ones() -> None:
    flows = [flow("a", "b", emit_heartbeats=False), flow("b", "a", emit_heartbeats=False)]
    topic_map = predict({"a": ["orders.v1", "b.looks-remote"], "b": []}, flows)
    # `b.looks-remote` reads as a topic that came from b, so MirrorMaker never sends it to b.
    assert topic_map.as_dict() == {"a": ["b.looks-remote", "orders.v1"], "b": ["a.orders.v1"]}


def test_duplicate_declared_names_and_flow_order_do_not_matter() -> None:
    flows = [flow("a", "b"), flow("b", "c"), flow("c", "a"), flow("b", "a")]
    expected = predict({"a": ["x", "y"], "b": ["z"]}, flows)
    for perm in itertools.permutations(flows):
        assert predict({"b": ["z", "z"], "a": ["y", "x"]}, list(perm)) == expected


def test_every_alias_is_listed_and_sorted() -> None:
    topic_map = predict({"z": [], "m": ["t"]}, [flow("m", "a", emit_heartbeats=False)])
    assert list(topic_map.as_dict()) == ["a", "m", "z"]
    assert TopicMap().as_dict() == {}


# --- MirrorMaker's naming helpers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "topic", "alias", "upstream"),
    [
        ("default", "orders", None, None),
        ("default", "a.orders", "a", "orders"),
        ("default", "b.a.orders", "b", "a.orders"),
        ("default", "a..b", "a", ".b"),
        ("default", "orders.", None, None),  # Java's split drops trailing empty parts
        ("default", "a.orders..", "a", "orders.."),
        ("identity", "a.orders", None, None),
        ("identity", "a.heartbeats", "a", "heartbeats"),
        ("identity", "heartbeats", None, None),
    ],
)
def test_source_alias_and_upstream(policy: str, topic: str, alias: str | None, upstream: str | None) -> None:
    assert source_alias(policy, topic) == alias  # type: ignore[arg-type]
    assert upstream_topic(policy, topic) == upstream  # type: ignore[arg-type]


def test_original_topic_and_heartbeats() -> None:
    assert source_aliases("c.b.a.orders") == ("c", "b", "a")
    assert original_topic("c.b.a.orders") == "orders"
    assert original_topic("orders") == "orders"
    assert [is_heartbeats_topic(t) for t in ("heartbeats", "a.heartbeats", "b.a.heartbeats")] == [True] * 3
    assert [is_heartbeats_topic(t) for t in ("myheartbeats", "heartbeats.x", "a.myheartbeats")] == [False] * 3


def test_remote_names() -> None:
    assert remote_topic_name("default", "a", "orders") == "a.orders"
    assert remote_topic_name("identity", "a", "orders") == "orders"
    assert remote_topic_name("identity", "a", "b.heartbeats") == "a.b.heartbeats"
    # Kafka's IdentityReplicationPolicy prefixes every name that ends with `heartbeats`.
    assert remote_topic_name("identity", "a", "myheartbeats") == "a.myheartbeats"


def test_cycle_check() -> None:
    assert is_cycle("default", "b.orders", "b")
    assert is_cycle("default", "c.b.orders", "b")
    assert not is_cycle("default", "c.b.orders", "a")
    assert not is_cycle("identity", "b.orders", "b")  # identity cannot read an alias
    assert is_cycle("identity", "b.heartbeats", "b")


def test_internal_rules() -> None:
    assert is_internal("__consumer_offsets") and is_internal(".x")
    assert is_internal("mm2-configs.a.internal") and is_internal("a.checkpoints.internal")
    assert not is_internal("orders.internal") and not is_internal("connect-offsets-internal")
    assert is_internal("orders.internal", legacy=True) and is_internal("connect-offsets-internal", legacy=True)


def test_flow_replicates() -> None:
    f = flow("a", "b", ("o.*",), topics_exclude=("old.*",))
    assert flow_replicates(f, "orders")
    assert not flow_replicates(f, "old-orders")
    assert not flow_replicates(f, "b.orders")  # a cycle
    assert flow_replicates(f, "c.heartbeats")
    assert not flow_replicates(f, "b.heartbeats")
    assert not flow_replicates(f, "__offsets")


# --- refused topologies ---------------------------------------------------------------------------


def test_identity_cycle_is_refused() -> None:
    assert refused({"a": ["orders"]}, [identity("a", "b"), identity("b", "a")]) == (
        "identity-policy flows form a cycle a->b->a: identity keeps topic names, so MirrorMaker cannot detect the loop "
        "and would copy records forever; use the default policy on at least one flow of the cycle"
    )


def test_longer_identity_cycle_is_named_from_its_smallest_alias() -> None:
    flows = [identity("c", "a"), identity("b", "c"), identity("a", "b"), flow("a", "d")]
    assert refused({}, flows).startswith("identity-policy flows form a cycle a->b->c->a: ")


def test_identity_cycle_is_refused_even_when_no_topic_matches_yet() -> None:
    flows = [identity("a", "b", ("nothing",)), identity("b", "a", ("nothing",))]
    assert refused({"a": ["orders"]}, flows).startswith("identity-policy flows form a cycle a->b->a:")


def test_identity_fan_in_of_one_name_is_refused() -> None:
    flows = [identity("eu", "central"), identity("us", "central")]
    assert refused({"eu": ["clicks"], "us": ["clicks"]}, flows) == (
        "flows eu->central and us->central would both write topic 'clicks' into cluster 'central': "
        "the two streams would interleave"
    )


def test_identity_diamond_is_refused() -> None:
    flows = [identity("a", "b"), identity("a", "c"), identity("b", "d"), identity("c", "d")]
    assert refused({"a": ["orders"]}, flows) == (
        "flows b->d and c->d would both write topic 'orders' into cluster 'd': the two streams would interleave"
    )


def test_identity_copy_of_a_remote_topic_collides_with_the_default_copy() -> None:
    flows = [flow("a", "b"), flow("a", "c"), identity("b", "c", ("a\\..*",))]
    assert refused({"a": ["orders"]}, flows) == (
        "flows a->c and b->c would both write topic 'a.orders' into cluster 'c': the two streams would interleave"
    )


def test_shared_heartbeats_from_several_flows_is_no_collision() -> None:
    topic_map = predict({"a": ["x"], "b": ["y"]}, [identity("a", "c"), identity("b", "c")])
    assert topic_map.as_dict()["c"] == ["heartbeats", "x", "y"]


def test_collision_with_a_declared_topic_is_refused() -> None:
    assert refused({"a": ["orders"], "b": ["orders"]}, [identity("a", "b")]) == (
        "flow a->b would write topic 'orders' into cluster 'b', which declares a topic 'orders' of its own: "
        "the two streams would interleave"
    )
    assert refused({"a": ["orders"], "b": ["a.orders"]}, [flow("a", "b")]) == (
        "flow a->b would write topic 'a.orders' into cluster 'b', which declares a topic 'a.orders' of its own: "
        "the two streams would interleave"
    )


def test_mixed_loop_that_never_settles_is_refused() -> None:
    # `orders` goes to b unchanged, comes back as `b.orders`, goes to b unchanged, comes back as `b.b.orders`...
    assert refused({"a": ["orders"]}, [identity("a", "b"), flow("b", "a")]) == (
        "replication never settles: topic names keep growing (for example 'b.b.orders' on 'a', after 'b.orders') "
        "through flows a->b, b->a; an identity-policy flow (a->b) hides the aliases MirrorMaker's cycle check "
        "needs, so use the default policy on the flows of the loop"
    )


def test_mixed_loop_stopped_by_a_filter_settles() -> None:
    # `a.b.orders` on b goes to d as `b.a.b.orders` and back to b unchanged (identity): the same aliases
    # as before, but b->d copies only names starting `a.`, so the loop stops there (found by Hypothesis).
    flows = [
        flow("b", "a", emit_heartbeats=False), flow("a", "d", emit_heartbeats=False),
        identity("d", "b", emit_heartbeats=False), flow("b", "d", ("a\\..*",), emit_heartbeats=False),
    ]
    assert predict({"d": ["orders"]}, flows).as_dict() == {
        "a": ["b.orders"],
        "b": ["a.b.orders", "b.a.b.orders", "orders"],
        "d": ["a.b.orders", "b.a.b.orders", "orders"],
    }


def test_mixed_loop_stopped_after_some_rounds_settles() -> None:
    # b->a copies names with at most three prefixes, so `b.b.b.orders` is the last to go round: it settles.
    flows = [identity("a", "b", emit_heartbeats=False), flow("b", "a", ("(b\\.)?(b\\.)?(b\\.)?orders",), emit_heartbeats=False)]
    assert predict({"a": ["orders"]}, flows).as_dict() == {
        "a": ["b.b.b.b.orders", "b.b.b.orders", "b.b.orders", "b.orders", "orders"],
        "b": ["b.b.b.b.orders", "b.b.b.orders", "b.b.orders", "b.orders", "orders"],
    }


def test_mixed_loop_whose_filter_stops_only_past_the_length_limit_is_refused() -> None:
    message = refused({"a": ["orders"]}, [identity("a", "b"), flow("b", "a", topics_exclude=(".{250}.*",))])
    assert message.startswith("replication never settles: topic names keep growing (for example 'b.b.orders' on 'a'")


def test_mixed_loop_over_three_clusters_names_every_flow() -> None:
    flows = [identity("a", "b"), flow("b", "c"), identity("c", "a")]
    message = refused({"a": ["orders"]}, flows)
    assert message.startswith("replication never settles: topic names keep growing (for example 'b.b.orders' on ")
    assert "through flows " in message
    assert all(name in message for name in ("a->b", "b->c", "c->a"))


def test_too_long_a_name_is_refused() -> None:
    long_name = "x" * 248
    assert refused({"a": [long_name]}, [flow("a", "b")]) == (
        f"flow a->b would create a topic name of 250 characters on 'b' (Kafka allows 249): 'a.{long_name}', "
        f"from '{long_name}' on 'a'"
    )
    assert predict({"a": ["x" * 247]}, [flow("a", "b")]).as_dict()["b"] == ["a." + "x" * 247, "heartbeats"]


def test_too_many_topics_is_refused() -> None:
    message = refused_with_cap({"a": [f"t{i}" for i in range(10)]}, [flow("a", "b"), flow("b", "c")], cap=15)
    assert message.startswith("the topic map grows past 15 topics, the most a stack may hold (latest: ")


def refused_with_cap(declared: dict[str, list[str]], flows: list[FlowSpec], cap: int) -> str:
    with pytest.raises(TopologyError) as info:
        predict(declared, flows, max_topics=cap)
    return str(info.value)


def test_bad_pattern_in_predict_names_the_flow() -> None:
    assert refused({"a": ["x"]}, [flow("a", "b", ("(?i)x",))]).startswith("flow a->b: Java regex '(?i)x': bare inline")


def test_errors_are_deterministic() -> None:
    flows = [identity("eu", "central"), identity("us", "central"), identity("ap", "central")]
    declared = {"eu": ["clicks"], "us": ["clicks"], "ap": ["clicks"]}
    messages = {refused(dict(reversed(declared.items())), list(p)) for p in itertools.permutations(flows)}
    assert messages == {
        "flows ap->central and eu->central would both write topic 'clicks' into cluster 'central': "
        "the two streams would interleave"
    }


def test_topology_error_is_a_value_error() -> None:
    assert issubclass(TopologyError, ValueError)
