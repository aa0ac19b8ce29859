"""The benchmark's floor: a flat Pulumi program that registers the real program's resources directly.

Same types, names and inputs as `replication.program` produces for the stacks the benchmark runs
(the generated rings and the recipe), but no components, no validation, no topic map and no
stack outputs: config is read as plain JSON and each resource is declared in one call. Flows wait
for their integrations through `depends_on` instead of reading aliases from integration outputs.
The runner checks that both programs register the same resources before it compares their times.
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi_aiven as aiven

NAMESPACE = "aiven-kafka-replication"
# Copies of replication.config's defaults, not imports: importing it builds the pydantic models, a
# cost the program pays and the floor must not (the digest check catches any drift).
_DEFAULT_EXCLUDE = [r".*[\-\.]internal", r".*\.replica", r"__.*"]
_POLICIES = {
    "default": "org.apache.kafka.connect.mirror.DefaultReplicationPolicy",
    "identity": "org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
}
_UPPER = re.compile(r"(?<!^)(?=[A-Z])")


def _snake(block: dict[str, Any] | None) -> dict[str, Any]:
    # camelCase wire names to the SDK's keyword names (enough for the keys the benchmark stacks use).
    return {_UPPER.sub("_", k).lower(): v for k, v in (block or {}).items()}


def _strings(block: dict[str, Any]) -> dict[str, Any]:
    # The provider's wire schema holds every topic config value as a string.
    return {k: str(v) for k, v in block.items()}


def main() -> None:
    """Declare every resource of the stack, flat."""
    ns = pulumi.Config(NAMESPACE)
    project = ns.require("project")
    clusters: dict[str, Any] = ns.require_object("clusters")
    mirrormakers: dict[str, Any] = ns.get_object("mirrormakers") or {}
    flows: list[dict[str, Any]] = ns.get_object("flows") or []
    only_mm = next(iter(mirrormakers))

    services: dict[str, aiven.Kafka] = {}
    for alias, c in clusters.items():
        window = c.get("maintenanceWindow") or {}
        service = aiven.Kafka(
            f"{alias}-kafka",
            project=project,
            service_name=c.get("serviceName", alias),
            cloud_name=c["cloud"],
            plan=c["plan"],
            maintenance_window_dow=window.get("dow"),
            maintenance_window_time=window.get("time"),
            kafka_user_config=aiven.KafkaKafkaUserConfigArgs(
                kafka_version=c.get("kafkaVersion"),
                ip_filter_strings=c.get("ipFilter"),
                kafka=aiven.KafkaKafkaUserConfigKafkaArgs(**_snake(c["kafka"])) if c.get("kafka") else None,
            ),
        )
        services[alias] = service
        for topic, t in (c.get("topics") or {}).items():
            aiven.KafkaTopic(
                f"{alias}-topic-{topic}",
                project=project,
                service_name=service.service_name,
                topic_name=topic,
                partitions=t["partitions"],
                replication=t["replication"],
                config=aiven.KafkaTopicConfigArgs(**_strings(_snake(t["config"])))
                if "config" in t
                else None,
            )

    integrations: dict[tuple[str, str], aiven.ServiceIntegration] = {}
    for key, m in mirrormakers.items():
        window = m.get("maintenanceWindow") or {}
        settings = m.get("kafkaMirrormaker")
        mm = aiven.KafkaMirrorMaker(
            f"{key}-service",
            project=project,
            service_name=m.get("serviceName", key),
            cloud_name=m["cloud"],
            plan=m["plan"],
            maintenance_window_dow=window.get("dow"),
            maintenance_window_time=window.get("time"),
            kafka_mirrormaker_user_config=aiven.KafkaMirrorMakerKafkaMirrormakerUserConfigArgs(
                ip_filter_strings=m.get("ipFilter"),
                kafka_mirrormaker=aiven.KafkaMirrorMakerKafkaMirrormakerUserConfigKafkaMirrormakerArgs(
                    **_snake(settings)
                )
                if settings
                else None,
            ),
        )
        attached = sorted(
            {a for f in flows if f.get("mirrormaker", only_mm) == key for a in (f["source"], f["target"])}
        )
        for alias in attached:
            integrations[key, alias] = aiven.ServiceIntegration(
                f"{key}-integration-{alias}",
                project=project,
                integration_type="kafka_mirrormaker",
                source_service_name=services[alias].service_name,
                destination_service_name=mm.service_name,
                kafka_mirrormaker_user_config=aiven.ServiceIntegrationKafkaMirrormakerUserConfigArgs(
                    cluster_alias=alias
                ),
                opts=pulumi.ResourceOptions(delete_before_replace=True),
            )

    for key in mirrormakers:
        for f in flows:
            if f.get("mirrormaker", only_mm) != key:
                continue
            source, target = f["source"], f["target"]
            aiven.MirrorMakerReplicationFlow(
                f"{source}-to-{target}-flow",
                project=project,
                service_name=mirrormakers[key].get("serviceName", key),
                source_cluster=source,
                target_cluster=target,
                enable=True,
                topics=f.get("topics", [".*"]),
                topics_blacklists=f.get("topicsExclude", _DEFAULT_EXCLUDE),
                replication_policy_class=_POLICIES[f.get("replicationPolicy", "default")],
                offset_syncs_topic_location="source",
                sync_group_offsets_enabled=True,
                sync_group_offsets_interval_seconds=60,
                emit_heartbeats_enabled=True,
                emit_backward_heartbeats_enabled=False,
                exactly_once_delivery_enabled=False,
                opts=pulumi.ResourceOptions(
                    delete_before_replace=True,
                    depends_on=[integrations[key, source], integrations[key, target]],
                ),
            )
