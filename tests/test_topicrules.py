"""Kafka's topic rules and MirrorMaker's joined patterns: pure checks, then the same through the program.

Each refusal stops the plan before any resource is declared, with one line naming the key path and
both topics (or patterns); warnings are logged and the plan goes on.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from replication import cli, config, javaregex, topicmap, topicrules, topology
from replication.engine import ProgramError, run_program
from replication.stackfile import load_stack_files
from tests.conftest import ROOT

NS = "aiven-kafka-replication"
DEV = {k.removeprefix(f"{NS}:"): v for k, v in yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"].items()}
TOPIC = {"partitions": 3, "replication": 2}
SAME = "Kafka treats '.' and '_' as the same character in topic names (Topic.hasCollision)"


def dev(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(DEV)
    raw.update(changes)
    return raw


def with_topics(raw: dict[str, Any], alias: str, **topics: dict[str, Any]) -> dict[str, Any]:
    raw["clusters"][alias]["topics"].update(topics)
    return raw


def findings(raw: dict[str, Any]) -> topicrules.TopicFindings:
    cfg = config.parse(raw)
    return topicrules.check(cfg, topicmap.predict(
        {a: c.declared_topics() for a, c in cfg.clusters.items()}, topology.topic_map_flows(cfg)))


def errors(raw: dict[str, Any]) -> list[str]:
    return [str(i) for i in findings(raw).errors]


def warnings(raw: dict[str, Any]) -> list[str]:
    return [str(i) for i in findings(raw).warnings]


# --- internal names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("__consumer_offsets", "is Kafka's internal topic of consumer group offsets: the brokers create and own it"),
        ("__transaction_state", "is Kafka's internal topic of transaction state: the brokers create and own it"),
        ("__orders", "begins with '__', which Kafka reserves for its internal topics (and MirrorMaker never replicates)"),
    ],
)
def test_internal_names_are_refused(name: str, reason: str) -> None:
    raw = with_topics(dev(), "source", **{name: TOPIC})
    assert errors(raw) == [f"{NS}:clusters.source.topics.{name}: {name!r} {reason}; do not declare it"]


def test_one_underscore_and_known_internal_topics_are_fine() -> None:
    raw = with_topics(dev(), "source", _orders=TOPIC, **{"orders__v1": TOPIC})
    raw["clusters"]["legacy"] = {"existing": True, "serviceName": "legacy-kafka", "knownTopics": ["__consumer_offsets"]}
    assert findings(raw) == topicrules.TopicFindings((), ())


# --- collisions ---------------------------------------------------------------------------------


def test_declared_topics_that_collide() -> None:
    raw = with_topics(dev(), "source", **{"orders.v1": TOPIC, "orders_v1": TOPIC})
    assert errors(raw) == [
        f"{NS}:clusters.source.topics.orders.v1: topic 'orders.v1' collides with 'orders_v1', declared on cluster "
        f"'source': {SAME}, so the broker refuses whichever is created second"
    ]


def test_a_declared_topic_that_collides_with_a_predicted_one() -> None:
    raw = with_topics(dev(), "target", **{"source_topic-a": TOPIC})
    assert errors(raw) == [
        f"{NS}:clusters.target.topics.source_topic-a: topic 'source_topic-a' collides with 'source.topic-a', which "
        f"flow source->target creates on cluster 'target': {SAME}, so the broker refuses whichever is created second"
    ]


def test_two_predicted_topics_that_collide_are_named_at_a_flow() -> None:
    # Fan-in: x's `y_z` becomes `x.y_z` on t, and x_y's `z` becomes `x_y.z`.
    cluster = {"cloud": "google-europe-west1", "plan": "business-4", "ipFilter": ["10.0.0.0/8"]}
    raw = dev(
        clusters={"x": {**cluster, "topics": {"y_z": TOPIC}}, "x_y": {**cluster, "serviceName": "x-y", "topics": {"z": TOPIC}},
                  "t": dict(cluster)},
        flows=[{"source": "x", "target": "t", "emitHeartbeats": False},
               {"source": "x_y", "target": "t", "emitHeartbeats": False}],
    )
    assert errors(raw) == [
        f"{NS}:flows[0]: topic 'x.y_z' collides with 'x_y.z', which flow x_y->t creates on cluster 't': {SAME}, "
        "so the broker refuses whichever is created second"
    ]


def test_a_known_topic_that_collides() -> None:
    raw = dev()
    raw["clusters"]["source"]["topics"]["orders.eu"] = TOPIC
    raw["clusters"]["legacy"] = {"existing": True, "serviceName": "legacy-kafka", "knownTopics": ["a", "orders_eu"]}
    raw["flows"].append({"source": "legacy", "target": "source", "topics": ["x"], "emitHeartbeats": False})
    assert findings(raw).errors == ()  # a different cluster: no collision
    raw["clusters"]["source"]["topics"]["orders_eu"] = TOPIC
    assert errors(raw) == [
        f"{NS}:clusters.source.topics.orders.eu: topic 'orders.eu' collides with 'orders_eu', declared on cluster "
        f"'source': {SAME}, so the broker refuses whichever is created second"
    ]


# --- min.insync.replicas --------------------------------------------------------------------------

ACKS = "every write with acks=all fails (NotEnoughReplicas); raise the replication factor or lower minInsyncReplicas"
JOINED = ("cannot be joined: MirrorMaker joins a flow's patterns with '|' and compiles them as one Java regex, "
          "where the group name <n> would be defined twice")
ONE_DOWN = "while one replica is down, every write with acks=all fails; make the replication factor larger than minInsyncReplicas"


def test_topic_min_insync_replicas_above_the_replication_factor_is_an_error() -> None:
    raw = with_topics(dev(), "source", orders={**TOPIC, "config": {"minInsyncReplicas": 3}})
    assert errors(raw) == [
        f"{NS}:clusters.source.topics.orders.replication: replication factor 2 is below minInsyncReplicas 3 "
        f"(clusters.source.topics.orders.config.minInsyncReplicas): {ACKS}"
    ]


def test_the_clusters_value_applies_to_topics_without_their_own() -> None:
    raw = dev()
    raw["clusters"]["target"]["kafka"]["minInsyncReplicas"] = 2
    assert errors(raw) == []
    assert warnings(raw) == [
        f"{NS}:clusters.target.topics.topic-b.replication: replication factor 2 equals minInsyncReplicas 2 "
        f"(clusters.target.kafka.minInsyncReplicas): {ONE_DOWN}"
    ]
    # The topic's own value wins over the cluster's.
    raw["clusters"]["target"]["topics"]["topic-b"]["config"] = {"minInsyncReplicas": 1}
    assert findings(raw) == topicrules.TopicFindings((), ())


def test_the_broker_default_is_one() -> None:
    raw = with_topics(dev(), "source", scratch={"partitions": 1, "replication": 1})
    assert warnings(raw) == [
        f"{NS}:clusters.source.topics.scratch.replication: replication factor 1 equals minInsyncReplicas 1 "
        f"(Kafka's default): {ONE_DOWN}"
    ]


def test_a_flows_replication_factor_against_the_targets_min_insync_replicas() -> None:
    raw = dev()
    raw["clusters"]["target"]["kafka"]["minInsyncReplicas"] = 3
    raw["clusters"]["target"]["topics"]["topic-b"]["replication"] = 4
    raw["flows"][0]["replicationFactor"] = 2
    assert errors(raw) == [
        f"{NS}:flows[0].replicationFactor: replicationFactor (of the topics this flow creates on 'target') 2 is "
        f"below minInsyncReplicas 3 (clusters.target.kafka.minInsyncReplicas): {ACKS}"
    ]
    raw["flows"][0]["replicationFactor"] = 3
    assert warnings(raw) == [
        f"{NS}:flows[0].replicationFactor: replicationFactor (of the topics this flow creates on 'target') 3 "
        f"equals minInsyncReplicas 3 (clusters.target.kafka.minInsyncReplicas): {ONE_DOWN}"
    ]


def test_default_replication_factor_against_min_insync_replicas() -> None:
    raw = dev()
    raw["clusters"]["target"]["kafka"].update(minInsyncReplicas=2, defaultReplicationFactor=1)
    raw["clusters"]["target"]["topics"]["topic-b"]["replication"] = 3
    assert errors(raw) == [
        f"{NS}:clusters.target.kafka.defaultReplicationFactor: defaultReplicationFactor (topics created without "
        f"one, MirrorMaker's included) 1 is below minInsyncReplicas 2 (clusters.target.kafka.minInsyncReplicas): {ACKS}"
    ]


def test_a_target_this_stack_does_not_manage_is_not_judged() -> None:
    raw = dev()
    raw["clusters"]["target"] = {"existing": True, "serviceName": "target-kafka"}
    raw["flows"][0]["replicationFactor"] = 1
    assert findings(raw) == topicrules.TopicFindings((), ())


# --- min.insync.replicas copied by a flow whose configPropertiesExclude lets it through ---------------

#: /tmp/r2/misr.yaml of the second outside review: the source topic's own value 3, copies with factor 2.
MISR: dict[str, Any] = {
    "project": "p",
    "clusters": {
        "source": {"cloud": "google-europe-west1", "plan": "business-8", "kafkaVersion": "3.9",
                   "ipFilter": ["10.0.0.0/8"],
                   "topics": {"orders": {"partitions": 3, "replication": 4, "config": {"minInsyncReplicas": 3}}}},
        "target": {"cloud": "google-europe-west1", "plan": "business-4", "kafkaVersion": "3.9",
                   "ipFilter": ["10.0.0.0/8"]},
    },
    "mirrormakers": {"mm": {"cloud": "google-europe-west1", "plan": "business-4", "ipFilter": ["10.0.0.0/8"]}},
    "flows": [{"source": "source", "target": "target", "mirrormaker": "mm", "replicationFactor": 2,
               "configPropertiesExclude": ["follower\\.replication\\.throttled\\.replicas",
                                           "leader\\.replication\\.throttled\\.replicas"]}],
}
COPIES = ("copies min.insync.replicas (its configPropertiesExclude replaces MirrorMaker's default list, which "
          "excludes it)")
EXCLUDE = "add 'min\\.insync\\.replicas' to configPropertiesExclude, or "
MISR_LINE = (
    f"{NS}:flows[0].configPropertiesExclude: flow source->target {COPIES} to 'source.orders' on 'target', whose "
    "replication factor (flows[0].replicationFactor) 2 is below minInsyncReplicas 3 "
    "(clusters.source.topics.orders.config.minInsyncReplicas): every write with acks=all fails (NotEnoughReplicas); "
    f"{EXCLUDE}raise the replication factor or lower minInsyncReplicas"
)


def misr(**flow: Any) -> dict[str, Any]:
    raw = copy.deepcopy(MISR)
    raw["flows"][0].update(flow)
    return raw


def test_a_copied_min_insync_replicas_above_the_copys_factor_is_an_error() -> None:
    assert errors(misr()) == [MISR_LINE]
    assert warnings(misr()) == []


def tiered(**target: Any) -> dict[str, Any]:
    """A tiered `orders` on a source with tiered storage, copied by the default flow to `target`."""
    raw = copy.deepcopy(MISR)
    raw["clusters"]["source"]["tieredStorage"] = {"enabled": True}
    raw["clusters"]["source"]["topics"]["orders"]["config"] = {"remoteStorageEnable": True}
    raw["clusters"]["target"].update(target)
    raw["flows"][0] = {"source": "source", "target": "target", "mirrormaker": "mm"}
    return raw


def test_a_tiered_topic_copied_to_a_cluster_without_tiered_storage_is_refused() -> None:
    # remote.storage.enable is not in MirrorMaker's default exclude list: the copy is created with it.
    assert errors(tiered()) == [
        f"{NS}:flows[0].configPropertiesExclude: flow source->target creates 'source.orders' on 'target' with the "
        "tiered setting remote.storage.enable of 'orders' on 'source', and 'target' has tiered storage off, so its "
        "broker refuses the topic and the copy never exists: set clusters.target.tieredStorage.enabled: true, or "
        "add 'remote\\.storage\\.enable' to configPropertiesExclude (which replaces MirrorMaker's default list: "
        "keep its entries)"
    ]


def test_a_tiered_topic_copied_to_a_tiered_cluster_or_without_the_setting_passes() -> None:
    assert errors(tiered(tieredStorage={"enabled": True})) == []
    raw = tiered()
    raw["flows"][0]["configPropertiesExclude"] = ["remote\\.storage\\..*", "min\\.insync\\.replicas"]
    assert errors(raw) == []


def test_the_default_exclude_list_is_kafkas() -> None:
    flow = config.FlowSpec(source="a", target="b")
    assert not topicrules.copies_property(flow, "min.insync.replicas")
    assert not topicrules.copies_property(flow, "unclean.leader.election.enable")
    assert topicrules.copies_property(flow, "remote.storage.enable")
    assert topicrules.copies_property(flow, "retention.ms")


def test_a_copied_min_insync_replicas_from_an_unmanaged_source_cannot_be_judged() -> None:
    raw = misr()
    raw["clusters"]["source"] = {"existing": True, "serviceName": "legacy", "knownTopics": ["orders"]}
    assert errors(raw) == []
    assert warnings(raw) == [
        f"{NS}:flows[0].configPropertiesExclude: flow source->target {COPIES} from 'source', which this stack does "
        "not manage, so it cannot be judged against the copies' replication factor (2, flows[0].replicationFactor): "
        "at or above it, every write with acks=all fails while a replica is down; "
        f"{EXCLUDE}check the source topics' value"
    ]
    del raw["flows"][0]["configPropertiesExclude"]  # MirrorMaker's default list: not copied, nothing to say
    assert warnings(raw) == []


@pytest.mark.parametrize(
    ("exclude", "copied"),
    [
        (None, False),  # MirrorMaker's default list excludes it
        (["min\\.insync\\.replicas"], False),
        (["retention\\..*", "min\\..*"], False),  # joined with '|'
        ([".*replicas"], False),
        (["(?i:MIN)\\.insync\\.replicas"], False),
        (["min.insync"], True),  # matched against the whole name
        (["min\\.insync\\.replicas\\.x"], True),
        ([], True),  # an empty list excludes nothing (MirrorUtils.compilePatternList)
    ],
)
def test_which_lists_let_min_insync_replicas_through(exclude: list[str] | None, copied: bool) -> None:
    raw = misr(configPropertiesExclude=exclude)
    if exclude is None:
        del raw["flows"][0]["configPropertiesExclude"]
    assert topicrules.copies_min_insync_replicas(config.parse(raw).flows[0]) is copied
    assert errors(raw) == ([MISR_LINE] if copied else [])


def test_the_source_clusters_value_is_copied_and_kafkas_default_is_not() -> None:
    raw = misr()
    del raw["clusters"]["source"]["topics"]["orders"]["config"]
    assert findings(raw) == topicrules.TopicFindings((), ())  # Kafka's default 1: not copied
    raw["clusters"]["source"]["kafka"] = {"minInsyncReplicas": 2}
    assert warnings(raw) == [
        f"{NS}:flows[0].configPropertiesExclude: flow source->target {COPIES} to 'source.orders' on 'target', whose "
        "replication factor (flows[0].replicationFactor) 2 equals minInsyncReplicas 2 "
        f"(clusters.source.kafka.minInsyncReplicas): {ONE_DOWN.replace('make', EXCLUDE + 'make')}"
    ]


def test_without_a_flow_factor_the_copy_has_the_targets_default() -> None:
    raw = misr(replicationFactor=None)
    del raw["flows"][0]["replicationFactor"]
    raw["clusters"]["source"]["topics"]["orders"]["config"]["minInsyncReplicas"] = 4
    raw["clusters"]["source"]["topics"]["orders"]["replication"] = 5
    assert errors(raw) == [
        f"{NS}:flows[0].configPropertiesExclude: flow source->target {COPIES} to 'source.orders' on 'target', whose "
        "replication factor (Aiven's defaultReplicationFactor on 'target') 3 is below minInsyncReplicas 4 "
        "(clusters.source.topics.orders.config.minInsyncReplicas): every write with acks=all fails "
        f"(NotEnoughReplicas); {EXCLUDE}raise the replication factor or lower minInsyncReplicas"
    ]
    raw["clusters"]["target"]["kafka"] = {"defaultReplicationFactor": 5}
    assert findings(raw) == topicrules.TopicFindings((), ())
    # A target this stack does not manage: its default is unknown, so only a flow factor is judged.
    raw["clusters"]["target"] = {"existing": True, "serviceName": "target-kafka"}
    assert findings(raw) == topicrules.TopicFindings((), ())
    raw["flows"][0]["replicationFactor"] = 2
    assert [e.split(": ", 1)[0] for e in errors(raw)] == [f"{NS}:flows[0].configPropertiesExclude"]


def test_a_copy_of_a_copy_carries_the_value_on() -> None:
    raw = misr(replicationFactor=4, configPropertiesExclude=[])
    raw["clusters"]["third"] = {**MISR["clusters"]["target"]}
    raw["flows"].append({"source": "target", "target": "third", "mirrormaker": "mm", "replicationFactor": 2,
                         "configPropertiesExclude": []})
    assert errors(raw) == [
        f"{NS}:flows[1].configPropertiesExclude: flow target->third {COPIES} to 'target.source.orders' on 'third', "
        "whose replication factor (flows[1].replicationFactor) 2 is below minInsyncReplicas 3 "
        "(clusters.source.topics.orders.config.minInsyncReplicas): every write with acks=all fails "
        f"(NotEnoughReplicas); {EXCLUDE}raise the replication factor or lower minInsyncReplicas"
    ]
    # The first flow keeps the value from its copies: the second copies the target cluster's, if any.
    del raw["flows"][0]["configPropertiesExclude"]
    assert errors(raw) == []
    raw["clusters"]["target"]["kafka"] = {"minInsyncReplicas": 3}
    raw["clusters"]["third"]["kafka"] = {"minInsyncReplicas": 1}
    assert [e.split(" whose ")[0] for e in errors(raw)] == [
        f"{NS}:flows[1].configPropertiesExclude: flow target->third {COPIES} to 'target.source.orders' on 'third',",
    ]


@pytest.mark.parametrize(
    ("exclude", "line"),
    [
        (["min\\.insync\\.replicas,x"],
         "flows[0].configPropertiesExclude[0]: Java regex 'min\\\\.insync\\\\.replicas,x': it contains a comma, and "
         "MirrorMaker reads the patterns as a comma-separated list (so no {n,m} quantifiers: write the repetition out "
         "or use several patterns)"),
        (["(?<n>a)", "(?<n>b)"], f"flows[0].configPropertiesExclude: patterns '(?<n>a)' and '(?<n>b)' {JOINED}"),
    ],
)
def test_configured_entries_must_be_java_regexes(exclude: list[str], line: str) -> None:
    with pytest.raises(config.ConfigError) as info:
        config.parse(misr(configPropertiesExclude=exclude))
    assert [str(i) for i in info.value.issues] == [f"{NS}:{line}"]


def test_diff_fails_with_the_plan_error_on_the_edit_that_lets_it_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "base").mkdir()
    without = copy.deepcopy(MISR)
    del without["flows"][0]["configPropertiesExclude"]
    head, base = _stack(tmp_path, MISR), _stack(tmp_path / "base", without)
    code = cli.main(["diff", "--stack", "x", "--config", str(head), "--base-config", str(base), "--fail-on-data-loss"])
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [f"error: Pulumi.rules.yaml: {MISR_LINE}"]


# --- MirrorMaker's joined patterns ----------------------------------------------------------------

def test_compile_joined_names_both_patterns() -> None:
    with pytest.raises(ValueError) as info:
        javaregex.compile_joined(["(?<n>a)", "b", "(?<n>c)x"])
    assert str(info.value) == f"patterns '(?<n>a)' and '(?<n>c)x' {JOINED}"
    joined = javaregex.compile_joined(["(?<n>a)", "(?<m>b)"])
    assert joined is not None and [t for t in ("a", "b", "ab") if joined.fullmatch(t)] == ["a", "b"]
    assert javaregex.compile_joined([]) is None


def test_the_topic_map_refuses_patterns_that_clash_joined() -> None:
    flows = [topicmap.FlowSpec("a", "b", ("(?<n>x)", "(?<n>y)"), emit_heartbeats=False)]
    with pytest.raises(topicmap.TopologyError) as info:
        topicmap.predict({"a": ["x", "y"]}, flows)
    assert str(info.value) == f"flow a->b: patterns '(?<n>x)' and '(?<n>y)' {JOINED}"


@pytest.mark.parametrize("key", ["topics", "topicsExclude"])
def test_a_flows_patterns_are_checked_joined(key: str) -> None:
    raw = dev()
    raw["flows"][0][key] = ["(?<n>topic)-a", "(?<n>other)"]
    with pytest.raises(config.ConfigError) as info:
        config.parse(raw)
    assert [str(i) for i in info.value.issues] == [
        f"{NS}:flows[0].{key}: patterns '(?<n>topic)-a' and '(?<n>other)' {JOINED}"
    ]


def test_mirrormaker_group_patterns_are_checked_joined() -> None:
    raw = dev()
    raw["mirrormakers"]["mm"]["kafkaMirrormaker"]["groups"] = "(?<n>a).*, (?<n>b).*"
    with pytest.raises(config.ConfigError) as info:
        config.parse(raw)
    assert [str(i) for i in info.value.issues] == [
        f"{NS}:mirrormakers.mm.kafkaMirrormaker.groups: patterns '(?<n>a).*' and '(?<n>b).*' {JOINED}"
    ]


# --- through the program: nothing declared on error, warnings logged ------------------------------


def _stack(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "Pulumi.rules.yaml"
    path.write_text(yaml.safe_dump({"config": {f"{NS}:{k}": v for k, v in raw.items()}}, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("edit", "line"),
    [
        (lambda raw: with_topics(raw, "source", __consumer_offsets=TOPIC),
         "clusters.source.topics.__consumer_offsets: '__consumer_offsets' is Kafka's internal topic of consumer "
         "group offsets: the brokers create and own it; do not declare it"),
        (lambda raw: with_topics(raw, "target", **{"source_topic-a": TOPIC}),
         "clusters.target.topics.source_topic-a: topic 'source_topic-a' collides with 'source.topic-a', which flow "
         f"source->target creates on cluster 'target': {SAME}, so the broker refuses whichever is created second"),
        (lambda raw: with_topics(raw, "source", orders={**TOPIC, "config": {"minInsyncReplicas": "3"}}),
         "clusters.source.topics.orders.replication: replication factor 2 is below minInsyncReplicas 3 "
         f"(clusters.source.topics.orders.config.minInsyncReplicas): {ACKS}"),
        (lambda raw: raw["flows"][0].update(topics=["(?<n>topic)-a", "(?<n>x)"]) or raw,
         f"flows[0].topics: patterns '(?<n>topic)-a' and '(?<n>x)' {JOINED}"),
    ],
    ids=["internal", "collision", "min-insync-replicas", "joined-patterns"],
)
def test_refused_before_any_resource(tmp_path: Path, edit: Any, line: str) -> None:
    with pytest.raises(ProgramError) as info:
        run_program("rules", ROOT, stack_file=_stack(tmp_path, edit(dev())))
    assert str(info.value).splitlines() == [f"Pulumi.rules.yaml: {NS}:{line}"]
    assert info.value.partial is not None and info.value.partial.resources == []


def test_an_equal_min_insync_replicas_is_logged_and_the_plan_goes_on(tmp_path: Path) -> None:
    raw = dev()
    raw["clusters"]["target"]["kafka"]["minInsyncReplicas"] = 2
    result = run_program("rules", ROOT, stack_file=_stack(tmp_path, raw))
    assert len(result.of_type("aiven:index/kafkaTopic:KafkaTopic")) == 2
    assert ("warning", f"{NS}:clusters.target.topics.topic-b.replication: replication factor 2 equals "
            f"minInsyncReplicas 2 (clusters.target.kafka.minInsyncReplicas): {ONE_DOWN}") in result.logs


def _json_or_text(value: str) -> Any:
    # As the program reads config: JSON where it parses, else the string.
    try:
        return json.loads(value)
    except ValueError:
        return value


@pytest.mark.parametrize("path", [ROOT / "Pulumi.dev.yaml", ROOT / "Pulumi.prod.yaml",
                                  *sorted((ROOT / "examples").glob("*.yaml"))], ids=lambda p: p.name)
def test_committed_stacks_pass_every_topic_rule(path: Path) -> None:
    files = load_stack_files(ROOT, path.stem, path)
    raw = {k.removeprefix(f"{NS}:"): _json_or_text(v) for k, v in files.config.items() if k.startswith(f"{NS}:")}
    assert findings(raw) == topicrules.TopicFindings((), ())


# --- property: any two names that differ only in '.' against '_' collide, and only those ----------

NAME = st.text(alphabet="ab._-", min_size=1, max_size=12).filter(lambda n: n not in (".", "..") and not n.startswith("__"))


@settings(max_examples=60, deadline=None)
@given(first=NAME, second=NAME)
def test_collisions_are_exactly_kafkas(first: str, second: str) -> None:
    raw = dev(flows=[], mirrormakers={})
    raw["clusters"]["source"]["topics"] = {first: TOPIC, second: TOPIC}
    found = errors(raw)
    colliding = first != second and first.replace(".", "_") == second.replace(".", "_")
    assert len(found) == (1 if colliding else 0)
    if colliding:
        low, high = sorted([first, second])
        assert found[0].startswith(f"{NS}:clusters.source.topics.{low}: topic {low!r} collides with {high!r}, ")
