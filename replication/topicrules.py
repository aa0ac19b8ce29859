"""Kafka's rules for the topics a stack declares and the ones MirrorMaker will create there.

Pure logic, no Pulumi. Each rule is something a broker refuses, or accepts and then fails on,
after `pulumi up` has created part of the topology (see shared/kafka-data-safety.md):

- Internal names. Kafka reserves names beginning with ``__`` for the topics the brokers create
  themselves: ``org.apache.kafka.common.internals.Topic.INTERNAL_TOPICS`` (``__consumer_offsets``,
  ``__transaction_state``), and since then ``__share_group_state`` (share groups),
  ``__remote_log_metadata`` (tiered storage) and ``__cluster_metadata`` (KRaft). A stack must not
  declare any ``__`` name: the known ones belong to the brokers, and any other may become one in a
  later release; MirrorMaker never replicates them either. `knownTopics` only records what exists,
  so it may list them.
- Collisions. ``Topic.hasCollision``: two names that are equal once every ``.`` is replaced by
  ``_`` collide, and the broker refuses to create the second ("collides with existing topic").
  Checked among everything a cluster will hold: declared topics, known topics and the remote
  topics the topic map predicts.
- ``min.insync.replicas`` against the replication factor, with effective values: the topic's own
  ``minInsyncReplicas``, else the cluster's ``kafka.minInsyncReplicas``, else the broker default 1.
  Above the replication factor, every ``acks=all`` write fails (``NotEnoughReplicas``): an error.
  Equal to it, one replica down blocks those writes: a warning. Remote topics get the flow's
  ``replicationFactor`` and, as MirrorMaker does not copy ``min.insync.replicas`` (it is in MM2's
  default ``config.properties.exclude``), the target cluster's value; with no ``replicationFactor``
  they take the target's ``kafka.defaultReplicationFactor``, which is checked the same way. A target
  this stack does not manage has unknown settings and is not judged.
- A flow whose ``configPropertiesExclude`` does not exclude ``min.insync.replicas``: that list
  replaces MirrorMaker's default one (``DefaultConfigPropertyFilter.CONFIG_PROPERTIES_EXCLUDE_DEFAULT``,
  which ends in ``min\\.insync\\.replicas``), its entries are Java regexes matched against the whole
  property name, and an empty list excludes nothing (``MirrorUtils.compilePatternList``). Then each
  copy carries its upstream topic's ``min.insync.replicas`` where that is set (the topic's own, else
  its cluster's; Kafka's default is not copied, ``use.defaults.from=target``), compared with the
  copy's replication factor as above.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from replication.config import ClusterSpec, ConfigIssue, FlowSpec, StackConfig
from replication.diff_rules import DEFAULT_REPLICATION_FACTOR
from replication.javaregex import compile_joined
from replication.topicmap import TopicMap, TopicOrigin

INTERNAL_PREFIX = "__"
#: The internal topics Kafka creates itself, named in messages (the prefix rule covers the rest).
KAFKA_INTERNAL_TOPICS = {
    "__consumer_offsets": "consumer group offsets",
    "__transaction_state": "transaction state",
    "__share_group_state": "share group state",
    "__remote_log_metadata": "tiered storage metadata",
    "__cluster_metadata": "KRaft cluster metadata",
}
#: The broker's `min.insync.replicas` when neither the topic nor the cluster sets it.
BROKER_MIN_INSYNC_REPLICAS = 1
_KAFKA_DEFAULT = "Kafka's default"
_SAME = "Kafka treats '.' and '_' as the same character in topic names (Topic.hasCollision)"


@dataclass(frozen=True)
class TopicFindings:
    """What the rules found: errors stop the plan, warnings are logged."""

    errors: tuple[ConfigIssue, ...]
    warnings: tuple[ConfigIssue, ...]


def check(cfg: StackConfig, topic_map: TopicMap) -> TopicFindings:
    """Every rule, over the config and the topic map predicted from it."""
    errors = [*internal_names(cfg), *collisions(cfg, topic_map)]
    warnings: list[ConfigIssue] = []
    errors += copied_remote_storage(cfg, topic_map)
    for is_error, issue in (*min_insync_replicas(cfg), *copied_min_insync_replicas(cfg, topic_map)):
        (errors if is_error else warnings).append(issue)
    return TopicFindings(tuple(errors), tuple(warnings))


def internal_names(cfg: StackConfig) -> Iterator[ConfigIssue]:
    """Declared topics whose names Kafka reserves for its internal topics."""
    for alias, cluster in cfg.clusters.items():
        for name in cluster.topics:
            if not name.startswith(INTERNAL_PREFIX):
                continue
            what = KAFKA_INTERNAL_TOPICS.get(name)
            reason = (
                f"is Kafka's internal topic of {what}: the brokers create and own it"
                if what
                else f"begins with {INTERNAL_PREFIX!r}, which Kafka reserves for its internal topics"
                " (and MirrorMaker never replicates)"
            )
            yield ConfigIssue(f"clusters.{alias}.topics.{name}", f"{name!r} {reason}; do not declare it")


def _where(cfg: StackConfig, alias: str, name: str, origin: TopicOrigin) -> tuple[str, str, bool]:
    """Key path of a topic on a cluster, how to describe it, and whether the stack declares it."""
    cluster = cfg.clusters.get(alias)
    if origin.kind == "declared" and cluster is not None:
        if name in cluster.topics:
            return f"clusters.{alias}.topics.{name}", f"declared on cluster {alias!r}", True
        if name in cluster.known_topics:
            i = cluster.known_topics.index(name)
            return f"clusters.{alias}.knownTopics[{i}]", f"known to exist on cluster {alias!r}", True
    index = next((i for i, f in enumerate(cfg.flows) if f.key == origin.flow), None)
    at = f"flows[{index}]" if index is not None else "flows"
    return at, f"which flow {origin.flow} creates on cluster {alias!r}", False


def _copies_of_a_collision(origins: list[TopicOrigin]) -> bool:
    """Copies, by one flow, of topics that already collide upstream: that collision is the one to fix
    (and the second of them never exists to be copied)."""
    flows = {o.flow for o in origins if o.kind == "replicated"}
    upstream = {(o.upstream or "").replace(".", "_") for o in origins}
    return len(flows) == 1 and all(o.kind == "replicated" for o in origins) and len(upstream) == 1


def collisions(cfg: StackConfig, topic_map: TopicMap) -> Iterator[ConfigIssue]:
    """Pairs of topics one cluster would hold whose names differ only in '.' against '_'."""
    for alias, held in topic_map.topics.items():
        groups: dict[str, list[str]] = {}
        for name in held:
            if "." in name or "_" in name:
                groups.setdefault(name.replace(".", "_"), []).append(name)
        for names in groups.values():
            if len(names) < 2 or _copies_of_a_collision([held[n] for n in names]):
                continue
            # Report at the topic the stack declares (it can be renamed), else at the later flow.
            ranked = sorted(((_where(cfg, alias, n, held[n]), n) for n in names), key=lambda p: (not p[0][2], p[1]))
            (at, _, _), name = ranked[0]
            for (_, other_what, _), other in ranked[1:]:
                yield ConfigIssue(
                    at,
                    f"topic {name!r} collides with {other!r}, {other_what}: {_SAME}, so the broker refuses "
                    "whichever is created second",
                )


def _cluster_isr(cluster: ClusterSpec, alias: str) -> tuple[int, str]:
    value: int | None = getattr(cluster.kafka, "p_minInsyncReplicas", None)
    if value is None:
        return BROKER_MIN_INSYNC_REPLICAS, _KAFKA_DEFAULT
    return value, f"clusters.{alias}.kafka.minInsyncReplicas"


def _topic_isr(cluster: ClusterSpec, alias: str, name: str) -> tuple[int, str]:
    """A declared topic's effective min.insync.replicas: its own, else its cluster's, else Kafka's default."""
    own: str | None = getattr(cluster.topics[name].config, "p_minInsyncReplicas", None)  # the provider's type: a string
    if own is not None:
        return int(float(own)), f"clusters.{alias}.topics.{name}.config.minInsyncReplicas"
    return _cluster_isr(cluster, alias)


def _compare(at: str, subject: str, factor: int, isr: int, source: str,
             hint: str = "") -> Iterator[tuple[bool, ConfigIssue]]:
    if isr > factor:
        yield True, ConfigIssue(
            at,
            f"{subject} {factor} is below minInsyncReplicas {isr} ({source}): every write with acks=all "
            f"fails (NotEnoughReplicas); {hint}raise the replication factor or lower minInsyncReplicas",
        )
    elif isr == factor:
        yield False, ConfigIssue(
            at,
            f"{subject} {factor} equals minInsyncReplicas {isr} ({source}): while one replica is down, every "
            f"write with acks=all fails; {hint}make the replication factor larger than minInsyncReplicas",
        )


def min_insync_replicas(cfg: StackConfig) -> Iterator[tuple[bool, ConfigIssue]]:
    """(is an error, issue) for every replication factor at or under its effective min.insync.replicas."""
    for alias, cluster in cfg.clusters.items():
        if not cluster.managed:
            continue
        cluster_isr, cluster_source = _cluster_isr(cluster, alias)
        for name, topic in cluster.topics.items():
            isr, source = _topic_isr(cluster, alias, name)
            yield from _compare(f"clusters.{alias}.topics.{name}.replication", "replication factor",
                                topic.replication, isr, source)
        default: int | None = getattr(cluster.kafka, "p_defaultReplicationFactor", None)
        if default is not None:
            yield from _compare(f"clusters.{alias}.kafka.defaultReplicationFactor",
                                "defaultReplicationFactor (topics created without one, MirrorMaker's included)",
                                default, cluster_isr, cluster_source)
    for i, flow in enumerate(cfg.flows):
        target = cfg.clusters.get(flow.target)
        if flow.replication_factor is None or target is None or not target.managed:
            continue
        isr, source = _cluster_isr(target, flow.target)
        yield from _compare(f"flows[{i}].replicationFactor",
                            f"replicationFactor (of the topics this flow creates on {flow.target!r})",
                            flow.replication_factor, isr, source)


#: The topic setting MirrorMaker's default `config.properties.exclude` keeps from copies.
MIN_INSYNC_REPLICAS = "min.insync.replicas"


#: Kafka's DefaultConfigPropertyFilter.CONFIG_PROPERTIES_EXCLUDE_DEFAULT: what a flow that sets no
#: `configPropertiesExclude` keeps from its copies (the provider: "MirrorMaker will use default list").
DEFAULT_CONFIG_PROPERTIES_EXCLUDE: tuple[str, ...] = (
    r"follower\.replication\.throttled\.replicas", r"leader\.replication\.throttled\.replicas",
    r"message\.timestamp\.difference\.max\.ms", r"message\.timestamp\.type",
    r"unclean\.leader\.election\.enable", r"min\.insync\.replicas",
)
#: A tiered topic's setting, which the default list copies.
REMOTE_STORAGE_ENABLE = "remote.storage.enable"


def copies_property(flow: FlowSpec, name: str) -> bool:
    """Whether MirrorMaker copies topic setting `name` to the flow's copies: when none of the exclude
    entries (the flow's `configPropertiesExclude`, which replaces the default list, else Kafka's default;
    Java regexes joined with '|', matched against the whole name) matches it. An empty list excludes nothing."""
    entries = DEFAULT_CONFIG_PROPERTIES_EXCLUDE if flow.config_properties_exclude is None else (
        flow.config_properties_exclude)
    joined = compile_joined(list(entries))
    return joined is None or joined.fullmatch(name) is None


def copies_min_insync_replicas(flow: FlowSpec) -> bool:
    """Whether MirrorMaker copies the source topics' min.insync.replicas to the flow's copies: only when
    the flow's `configPropertiesExclude` replaces the default list and does not exclude it."""
    return copies_property(flow, MIN_INSYNC_REPLICAS)


def _carried_isr(cfg: StackConfig, topic_map: TopicMap, copying: dict[str, FlowSpec], alias: str,
                 name: str) -> tuple[int, str] | None:
    """The min.insync.replicas a topic holds as a value MirrorMaker copies (set on the topic or its
    cluster, or copied to it by one of the `copying` flows), with where it comes from; None for Kafka's
    default, which is not copied (`use.defaults.from=target`), and on clusters this stack does not manage."""
    origin = topic_map.topics.get(alias, {}).get(name)
    cluster = cfg.clusters.get(alias)
    if origin is None or cluster is None or not cluster.managed or origin.kind == "heartbeats":
        return None
    flow = copying.get(origin.flow or "")
    if origin.kind == "replicated" and flow is not None and origin.upstream is not None:
        carried = _carried_isr(cfg, topic_map, copying, flow.source, origin.upstream)
        if carried is not None:
            return carried
    isr, source = _topic_isr(cluster, alias, name) if name in cluster.topics else _cluster_isr(cluster, alias)
    return None if source == _KAFKA_DEFAULT else (isr, source)


def _copy_factor(cfg: StackConfig, index: int, flow: FlowSpec) -> tuple[int, str] | None:
    """The replication factor of the flow's copies and where it comes from; None when unknown."""
    if flow.replication_factor is not None:
        return flow.replication_factor, f"flows[{index}].replicationFactor"
    target = cfg.clusters.get(flow.target)
    if target is None or not target.managed:
        return None
    default: int | None = getattr(target.kafka, "p_defaultReplicationFactor", None)
    if default is None:
        return DEFAULT_REPLICATION_FACTOR, f"Aiven's defaultReplicationFactor on {flow.target!r}"
    return default, f"clusters.{flow.target}.kafka.defaultReplicationFactor"


def copied_min_insync_replicas(cfg: StackConfig, topic_map: TopicMap) -> Iterator[tuple[bool, ConfigIssue]]:
    """(is an error, issue) for every copy whose min.insync.replicas, copied by a flow that does not
    exclude it, is at or above the copy's replication factor; a warning for each such flow whose source this
    stack does not manage (its value is unknown)."""
    index = {f.key: i for i, f in enumerate(cfg.flows)}
    copying = {f.key: f for f in cfg.flows if copies_min_insync_replicas(f)}
    for copier in copying.values():
        source = cfg.clusters.get(copier.source)
        if source is not None and not source.managed:
            factor = _copy_factor(cfg, index[copier.key], copier)
            against = f" ({factor[0]}, {factor[1]})" if factor is not None else ""
            yield False, ConfigIssue(
                f"flows[{index[copier.key]}].configPropertiesExclude",
                f"flow {copier.key} copies min.insync.replicas (its configPropertiesExclude replaces MirrorMaker's "
                f"default list, which excludes it) from {copier.source!r}, which this stack does not manage, so it "
                f"cannot be judged against the copies' replication factor{against}: at or above it, every write "
                "with acks=all fails while a replica is down; add 'min\\.insync\\.replicas' to "
                "configPropertiesExclude, or check the source topics' value",
            )
    for alias, held in topic_map.topics.items():
        for name, origin in held.items():
            flow = copying.get(origin.flow or "")
            if origin.kind != "replicated" or flow is None or origin.upstream is None:
                continue
            carried = _carried_isr(cfg, topic_map, copying, flow.source, origin.upstream)
            factor = _copy_factor(cfg, index[flow.key], flow)
            if carried is None or factor is None:
                continue
            yield from _compare(
                f"flows[{index[flow.key]}].configPropertiesExclude",
                f"flow {flow.key} copies min.insync.replicas (its configPropertiesExclude replaces MirrorMaker's "
                f"default list, which excludes it) to {name!r} on {alias!r}, whose replication factor ({factor[1]})",
                factor[0], *carried, hint="add 'min\\.insync\\.replicas' to configPropertiesExclude, or ",
            )


def _tiered(cfg: StackConfig, topic_map: TopicMap, copying: dict[str, FlowSpec], alias: str, name: str) -> bool:
    """Whether the topic has `remoteStorageEnable: true` of its own, or as a copy of such a topic by one of
    the `copying` flows (clusters this stack does not manage: not known, so no)."""
    cluster = cfg.clusters.get(alias)
    origin = topic_map.topics.get(alias, {}).get(name)
    if cluster is None or origin is None:
        return False
    if name in cluster.topics:
        return getattr(cluster.topics[name].config, "p_remoteStorageEnable", None) is True
    flow = copying.get(origin.flow or "")
    return (origin.kind == "replicated" and flow is not None and origin.upstream is not None
            and _tiered(cfg, topic_map, copying, flow.source, origin.upstream))


def copied_remote_storage(cfg: StackConfig, topic_map: TopicMap) -> list[ConfigIssue]:
    """A copy of a tiered topic on a cluster whose tiered storage is off: MirrorMaker creates copies with
    the source's settings (remote.storage.enable is not in Kafka's default exclude list), the target
    broker refuses the topic (LogConfig.validateRemoteStorageOnlyIfSystemEnabled), and the copy never exists."""
    if not any(getattr(t.config, "p_remoteStorageEnable", None) is True
               for c in cfg.clusters.values() for t in c.topics.values()):
        return []  # no tiered topic, so no copy of one: the usual stack pays nothing per topic
    index = {f.key: i for i, f in enumerate(cfg.flows)}
    # As for min.insync.replicas: the flows that copy the setting, each judged once.
    copying = {f.key: f for f in cfg.flows if copies_property(f, REMOTE_STORAGE_ENABLE)}
    issues: list[ConfigIssue] = []
    for alias, held in topic_map.topics.items():
        target = cfg.clusters.get(alias)
        if target is None or not target.managed or (target.tiered_storage is not None
                                                     and target.tiered_storage.enabled):
            continue
        for name, origin in held.items():
            flow = copying.get(origin.flow or "")
            if (origin.kind != "replicated" or flow is None or origin.upstream is None
                    or not _tiered(cfg, topic_map, copying, flow.source, origin.upstream)):
                continue
            issues.append(ConfigIssue(
                f"flows[{index[flow.key]}].configPropertiesExclude",
                f"flow {flow.key} creates {name!r} on {alias!r} with the tiered setting remote.storage.enable of "
                f"{origin.upstream!r} on {flow.source!r}, and {alias!r} has tiered storage off, so its broker refuses "
                f"the topic and the copy never exists: set clusters.{alias}.tieredStorage.enabled: true, or add "
                "'remote\\.storage\\.enable' to configPropertiesExclude (which replaces MirrorMaker's default list: "
                "keep its entries)",
            ))
    return issues
