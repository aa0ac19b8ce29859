"""A Kafka cluster on Aiven together with the topics this stack creates on it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aiven as aiven

from replication.components.renaming import previous
from replication.components.service import ServiceArgs
from replication.config import KafkaSettings, TopicSpec
from replication.provider_schema import PASS_THROUGH_ROOTS, to_python_names, to_wire


@dataclass(frozen=True, kw_only=True)
class KafkaClusterArgs(ServiceArgs):
    """Inputs of :class:`KafkaCluster`. With `protect`, the topics are protected too (Pulumi
    `protect`: the topic's own `terminationProtection` input is deprecated)."""

    kafka_version: str | None = None
    """Kafka version; None for Aiven's default."""
    kafka: KafkaSettings | None = None
    """Broker settings (`kafka_user_config.kafka`); None for Aiven's defaults."""
    tiered_storage: bool | None = None
    """Whether tiered storage is enabled (`kafka_user_config.tiered_storage.enabled`); None for Aiven's default."""
    topics: Mapping[str, TopicSpec] = field(default_factory=dict)
    """Topics to create, by name."""
    topic_import_ids: Mapping[str, str] = field(default_factory=dict)
    """Import ID of each existing topic, by name, in adopt mode."""
    renamed_from: str | None = None
    """The component's previous name (the cluster's previous alias): the service and the topics
    answer to their names under it too (Pulumi `aliases`), so the rename keeps them."""


class KafkaCluster(pulumi.ComponentResource):
    """An Aiven for Apache Kafka service and its topics."""

    service: aiven.Kafka
    """The Kafka service."""
    topics: dict[str, aiven.KafkaTopic]
    """The topics, by topic name."""
    service_name: pulumi.Output[str]
    """The service's name, resolved once the service exists (so dependents wait for it)."""
    service_uri: pulumi.Output[str]
    """The service URI, with credentials: always a secret."""

    def __init__(self, name: str, args: KafkaClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aiven-kafka-replication:index:KafkaCluster", name, None, opts)
        kafka = to_wire(args.kafka)
        user_config = aiven.KafkaKafkaUserConfigArgs(
            kafka_version=args.kafka_version,
            ip_filter_strings=args.ip_filter_strings,
            kafka=aiven.KafkaKafkaUserConfigKafkaArgs(
                **to_python_names(PASS_THROUGH_ROOTS["KafkaUserConfigKafka"], kafka)
            )
            if kafka
            else None,
            tiered_storage=aiven.KafkaKafkaUserConfigTieredStorageArgs(enabled=args.tiered_storage)
            if args.tiered_storage is not None
            else None,
        )
        self.service = aiven.Kafka(
            f"{name}-kafka",
            project=args.project,
            service_name=args.service_name,
            cloud_name=args.cloud,
            plan=args.plan,
            maintenance_window_dow=args.maintenance_dow,
            maintenance_window_time=args.maintenance_time,
            kafka_user_config=user_config,
            termination_protection=args.termination_protection,
            opts=args.service_options(self, previous(args.renamed_from and f"{args.renamed_from}-kafka")),
        )
        self.service_name = self.service.service_name
        self.service_uri = pulumi.Output.secret(self.service.service_uri)

        # A loop, not a comprehension: Pulumi records the whole call stack of every resource, and a
        # comprehension's frame costs that for each of thousands of topics.
        self.topics = {}
        for topic, spec in args.topics.items():
            self.topics[topic] = aiven.KafkaTopic(
                f"{name}-topic-{topic}",
                project=args.project,
                service_name=self.service.service_name,
                topic_name=topic,
                partitions=spec.partitions,
                replication=spec.replication,
                config=aiven.KafkaTopicConfigArgs(
                    **to_python_names(PASS_THROUGH_ROOTS["TopicConfig"], to_wire(spec.config))
                )
                if spec.config is not None
                else None,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=args.protect,
                    import_=args.topic_import_ids.get(topic),
                    aliases=previous(args.renamed_from and f"{args.renamed_from}-topic-{topic}"),
                ),
            )

        self.register_outputs({"serviceName": self.service_name, "serviceUri": self.service_uri})
