"""The topology: a validated config resolved into what must be declared, and in which groups.

Pure logic (no Pulumi imports). The components only turn it into resources, so every
decision that can be tested without an engine lives here: which clusters each MirrorMaker
attaches (one integration per MirrorMaker and cluster, never one per flow), which flows it runs,
and the topic map that predicts what every cluster will hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from replication import crossing, stack_limits, topicmap, topicrules
from replication.access import ResolvedAccess, resolve_access
from replication.config import ConfigError, ConfigIssue, FlowSpec, StackConfig
from replication.lineage import Lineage


@dataclass(frozen=True)
class ResolvedMirrorMaker:
    """One MirrorMaker service and what it needs."""

    key: str
    """Config key of the MirrorMaker."""
    service_name: str
    """Aiven service name."""
    attached: tuple[str, ...]
    """Cluster aliases it integrates with, sorted: exactly those its flows use."""
    flows: tuple[FlowSpec, ...]
    """Flows it runs, in config order."""


@dataclass(frozen=True)
class Topology:
    """The validated config, resolved into MirrorMakers and a topic map."""

    config: StackConfig
    mirrormakers: tuple[ResolvedMirrorMaker, ...]
    topic_map: topicmap.TopicMap
    lineage: Lineage
    """Originals and copies of every topic, read from the topic map."""
    access: ResolvedAccess
    """Users, where they exist and their ACL entries."""
    topic_warnings: tuple[ConfigIssue, ...] = ()
    """What Kafka's topic rules warn about (:mod:`replication.topicrules`)."""
    crossing_warnings: tuple[ConfigIssue, ...] = ()
    """Records from clusters this stack does not manage on ones it opens (:mod:`replication.crossing`)."""


def topic_map_flows(cfg: StackConfig) -> list[topicmap.FlowSpec]:
    """The config's flows in the topic map's terms."""
    return [
        topicmap.FlowSpec(
            source=f.source,
            target=f.target,
            topics=tuple(f.topics),
            topics_exclude=tuple(f.topics_exclude),
            policy=f.replication_policy,
            emit_heartbeats=f.emit_heartbeats,
            emit_backward_heartbeats=f.emit_backward_heartbeats,
            enabled=f.enabled,
        )
        for f in cfg.flows
    ]


def resolve(cfg: StackConfig) -> Topology:
    """Resolve a config into its topology. Raises :class:`topicmap.TopologyError` for unsafe topologies and
    :class:`replication.config.ConfigError` for topics Kafka would refuse or not write to
    (:mod:`replication.topicrules`) and access the topic map shows to be unsafe."""
    by_mm: dict[str, list[FlowSpec]] = {key: [] for key in cfg.mirrormakers}
    for flow in cfg.flows:
        by_mm[cfg.flow_mirrormaker(flow)].append(flow)
    mirrormakers = tuple(
        ResolvedMirrorMaker(
            key=key,
            service_name=cfg.mirrormakers[key].resolved_service_name(key),
            attached=tuple(sorted(cfg.attached(key))),
            flows=tuple(flows),
        )
        for key, flows in by_mm.items()
    )
    declared = {alias: cluster.declared_topics() for alias, cluster in cfg.clusters.items()}
    flows = topic_map_flows(cfg)
    topic_map = topicmap.predict(declared, flows, max_topics=stack_limits.MAX_PREDICTED_TOPICS)
    topic_rules = topicrules.check(cfg, topic_map)
    if topic_rules.errors:
        raise ConfigError(topic_rules.errors)
    lineage = Lineage(topic_map, flows)
    return Topology(
        config=cfg,
        mirrormakers=mirrormakers,
        topic_map=topic_map,
        lineage=lineage,
        access=resolve_access(cfg, lineage),
        topic_warnings=topic_rules.warnings,
        crossing_warnings=tuple(crossing.findings(cfg, lineage)),
    )
