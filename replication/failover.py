"""The failover map: for each cluster assumed lost, where each of its topics survives.

Pure logic (no Pulumi), derived from the topic map's lineage with no rule of its own. For each
cluster and each topic it holds (MirrorMaker's heartbeats aside), every other place holding the
same records:

- a **copy**: downstream of the lost topic, along flows out of the lost cluster. Consumer-group
  offsets follow when every flow of the path syncs them (`syncGroupOffsets`, and the MirrorMaker
  emits checkpoints) for the groups its MirrorMaker's `groups`/`groupsExclude` patterns select;
- the **original** the lost topic is itself a copy of, or a **sibling** copy of that original: no flow
  carries the lost cluster's consumer offsets there.

For each place: under which name, which users can read it there (None when this stack does not
manage that cluster's users), and which flow's lag metric to check first. A topic with no other
place is a single copy; in protected stacks that is a warning.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from replication import topic_refresh
from replication.access import ResolvedAccess
from replication.config import FlowSpec, StackConfig
from replication.lineage import Lineage
from replication.provider_schema import to_wire
from replication.topicmap import is_heartbeats_topic

#: MirrorMaker 2's own defaults for the consumer groups it replicates, when the service sets none.
DEFAULT_GROUPS = ".*"
DEFAULT_GROUPS_EXCLUDE = "console-consumer-.*,connect-.*,__.*"

Relation = Literal["copy", "original", "sibling"]


@dataclass(frozen=True)
class OffsetSync:
    """Whether consumer-group offsets of the lost cluster are synced to a place, and why."""

    synced: bool
    reason: str
    groups: str | None = None
    """The consumer-group patterns synced (`<groups>` except `<groupsExclude>`), when synced."""


@dataclass(frozen=True)
class Place:
    """Another place that holds a lost topic's records."""

    cluster: str
    topic: str
    relation: Relation
    flows: tuple[str, ...]
    """For a copy, the flows from the lost cluster to it; for a sibling, from the original to it."""
    offsets: OffsetSync
    readers: tuple[str, ...] | None
    """Users that can read it there; None: this stack does not manage that cluster's users."""
    check_first: str | None
    """The flow whose replication lag to check first; None for the original, which lags nothing."""


@dataclass(frozen=True)
class TopicFailover:
    """One topic of the lost cluster and every other place that holds its records."""

    topic: str
    places: tuple[Place, ...]

    @property
    def single_copy(self) -> bool:
        """No other place holds its records: losing the cluster loses them."""
        return not self.places


@dataclass(frozen=True)
class FailoverMap:
    """Every cluster of the stack assumed lost in turn."""

    clusters: dict[str, tuple[TopicFailover, ...]]
    protected: bool
    lag_metrics: dict[str, list[dict[str, Any]]]
    duplicates: tuple[str, ...] = ()
    """Warnings about flows writing duplicate copies (:mod:`replication.duplicate_copies`)."""
    unrefreshed: tuple[str, ...] = ()
    """Warnings about flows that do not see topics created after they start (:mod:`replication.topic_refresh`)."""

    def single_copies(self) -> list[tuple[str, str]]:
        """(cluster, topic) of every topic held in one place only."""
        return [(alias, t.topic) for alias, topics in self.clusters.items() for t in topics if t.single_copy]

    def warnings(self) -> list[str]:
        """Duplicate copies; in a protected stack, also one line per cluster holding single copies."""
        if not self.protected:
            return [*self.duplicates, *self.unrefreshed]
        by_cluster: dict[str, list[str]] = {}
        for alias, topic in self.single_copies():
            by_cluster.setdefault(alias, []).append(topic)
        return [*self.duplicates, *self.unrefreshed] + [
            f"failover: cluster {alias!r} holds the only copy of {_listed(topics)}: losing it loses "
            f"{'them' if len(topics) > 1 else 'it'}; replicate {'them' if len(topics) > 1 else 'it'} to another "
            "cluster with a flow"
            for alias, topics in by_cluster.items()
        ]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the stack output and `failover --format json`."""
        return {
            "protected": self.protected,
            "clusters": {
                alias: [
                    {
                        "topic": t.topic,
                        "singleCopy": t.single_copy,
                        "places": [_place_dict(p, self.lag_metrics) for p in t.places],
                    }
                    for t in topics
                ]
                for alias, topics in self.clusters.items()
            },
            "warnings": self.warnings(),
        }


def _place_dict(place: Place, lag_metrics: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "cluster": place.cluster,
        "topic": place.topic,
        "relation": place.relation,
        "flows": list(place.flows),
        "offsetsSynced": place.offsets.synced,
        "offsets": place.offsets.reason,
        "consumerGroups": place.offsets.groups,
        "readers": None if place.readers is None else list(place.readers),
        "checkFirst": None
        if place.check_first is None
        else {"flow": place.check_first, "metrics": lag_metrics.get(place.check_first, [])},
    }


def _listed(topics: list[str]) -> str:
    shown = ", ".join(repr(t) for t in topics[:5])
    return shown + (f" and {len(topics) - 5} more" if len(topics) > 5 else "")


def build(
    cfg: StackConfig,
    lineage: Lineage,
    access: ResolvedAccess,
    lag_metrics: dict[str, list[dict[str, Any]]],
    duplicates: Sequence[str] = (),
) -> FailoverMap:
    """The failover map of a planned stack."""
    managed = {alias for alias, c in cfg.clusters.items() if c.managed}
    # Each path's offsets verdict once: a ring of clusters shares a few paths among thousands of topics.
    offsets_of = functools.lru_cache(maxsize=None)(functools.partial(_offsets, cfg, {f.key: f for f in cfg.flows},
                                                                     _mirrormaker_settings(cfg)))
    clusters: dict[str, tuple[TopicFailover, ...]] = {}
    for alias, held in lineage.topic_map.topics.items():
        topics = []
        for topic in held:
            if is_heartbeats_topic(topic):
                continue  # MirrorMaker's own, re-emitted wherever it runs
            root = lineage.original(alias, topic)
            downstream = {(c.cluster, c.topic): c.flows for c in lineage.copies(alias, topic)}
            places = []
            for holder in lineage.holders(alias, topic):
                place = (holder.cluster, holder.topic)
                path = downstream.get(place)
                relation: Relation = "copy"
                if path is not None:
                    offsets = offsets_of(path)
                else:
                    relation = "original" if place == root else "sibling"
                    path = holder.flows
                    offsets = OffsetSync(
                        False, f"no flow carries consumer-group offsets from {alias!r} to {holder.cluster!r}"
                    )
                places.append(Place(
                    cluster=holder.cluster,
                    topic=holder.topic,
                    relation=relation,
                    flows=path,
                    offsets=offsets,
                    readers=tuple(access.readers(holder.cluster, holder.topic)) if holder.cluster in managed else None,
                    check_first=path[0] if path else None,
                ))
            topics.append(TopicFailover(topic, tuple(places)))
        clusters[alias] = tuple(topics)
    unrefreshed = tuple(topic_refresh.failover_warnings(cfg))
    return FailoverMap(clusters, cfg.protect, lag_metrics, tuple(duplicates), unrefreshed)


def _mirrormaker_settings(cfg: StackConfig) -> dict[str, dict[str, Any]]:
    return {key: to_wire(mm.kafka_mirrormaker) for key, mm in cfg.mirrormakers.items()}


def _offsets(
    cfg: StackConfig, flows: dict[str, FlowSpec], settings_of: dict[str, dict[str, Any]], path: tuple[str, ...]
) -> OffsetSync:
    groups: list[str] = []
    for name in path:
        flow = flows[name]
        key = cfg.flow_mirrormaker(flow)
        settings = settings_of[key]
        if not flow.sync_group_offsets:
            return OffsetSync(False, f"flow {name} has syncGroupOffsets: false")
        if settings.get("emitCheckpointsEnabled") is False:
            return OffsetSync(
                False, f"MirrorMaker {key!r} has emitCheckpointsEnabled: false, so flow {name} syncs no offsets"
            )
        include = settings.get("groups", DEFAULT_GROUPS)
        if not include.strip():
            return OffsetSync(False, f"MirrorMaker {key!r} replicates no consumer group (groups is empty)")
        exclude = settings.get("groupsExclude", DEFAULT_GROUPS_EXCLUDE)
        groups.append(f"{include} except {exclude}" if exclude.strip() else include)
    via = ", ".join(path)
    return OffsetSync(True, f"synced by {via}", "; then ".join(groups))
