"""MirrorMaker's topic refresh: with `refreshTopicsEnabled: false`, a flow copies only the topics and
partitions its source has when the flow starts.

Pure logic, no Pulumi. Kafka's ``MirrorSourceConfig.refreshTopicsInterval()`` is negative ("negative
interval to disable") when ``refresh.topics.enabled`` is false, and ``MirrorSourceConnector.start``
schedules ``refreshTopicPartitions`` with it, so the connector lists the source's topics once, when it
starts (Aiven's ``refresh_topics_enabled``: "Whether to periodically check for new topics and
partitions"). The topic map cannot know which topics existed then, so it predicts every copy; plan and
failover warn on each flow of such a MirrorMaker, and `diff` reports turning refresh off and new topics
under it (:mod:`replication.diff_rules`).
"""

from __future__ import annotations

from collections.abc import Iterator

from replication.config import ConfigIssue, FlowSpec, StackConfig, _path
from replication.provider_schema import to_wire

#: What a flow without topic refresh does, in one clause (plan, failover and diff say it).
NOT_REFRESHED = (
    "copies only the topics and partitions its source has when the flow starts: one created later is not "
    "copied until the flow restarts"
)


def flows_without_refresh(cfg: StackConfig) -> Iterator[tuple[str, FlowSpec]]:
    """(MirrorMaker key, flow) of every enabled flow whose MirrorMaker has `refreshTopicsEnabled: false`."""
    off = {key for key, mm in cfg.mirrormakers.items()
           if to_wire(mm.kafka_mirrormaker).get("refreshTopicsEnabled") is False}
    for flow in cfg.flows:
        key = cfg.flow_mirrormaker(flow)
        if flow.enabled and key in off:
            yield key, flow


def warnings(cfg: StackConfig) -> list[ConfigIssue]:
    """One plan warning per such flow."""
    return [
        ConfigIssue(
            f"{_path(('mirrormakers', key))}.kafkaMirrormaker.refreshTopicsEnabled",
            f"false: flow {flow.key} {NOT_REFRESHED}, though expectedTopics and the failover map list its copies "
            "of every matching topic",
        )
        for key, flow in flows_without_refresh(cfg)
    ]


def failover_warnings(cfg: StackConfig) -> list[str]:
    """One failover-map warning per such flow."""
    return [
        f"failover: flow {flow.key} runs on MirrorMaker {key!r} with refreshTopicsEnabled: false, so it "
        f"{NOT_REFRESHED}; this map lists its copies of such topics all the same: check they exist before failing over"
        for key, flow in flows_without_refresh(cfg)
    ]
