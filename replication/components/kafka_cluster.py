"""A Kafka cluster on Aiven together with the topics this stack creates on it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aiven as aiven

from replication import adoption
from replication.config import MaintenanceWindow, TopicSpec
from replication.provider_schema import PASS_THROUGH_ROOTS, to_python_names, to_wire


@dataclass(frozen=True)
class KafkaClusterArgs:
    """Inputs of :class:`KafkaCluster`."""

    project: pulumi.Input[str]
    """Aiven project of the service."""
    service_name: str
    """Aiven service name."""
    cloud: str
    """Aiven cloud, for example `google-europe-west1`."""
    plan: str
    """Aiven plan, for example `business-4`."""
    kafka_version: str | None = None
    """Kafka version; None for Aiven's default."""
    maintenance_window: MaintenanceWindow | None = None
    """Maintenance window; None for one chosen by Aiven."""
    ip_filter: Sequence[str] | None = None
    """Allowed CIDR networks; None for Aiven's default."""
    kafka: Mapping[str, Any] = field(default_factory=dict)
    """Broker settings in the provider's wire names (`kafka_user_config.kafka`)."""
    topics: Mapping[str, TopicSpec] = field(default_factory=dict)
    """Topics to create, by name."""
    protect: bool = False
    """Protect the service (Aiven termination protection and Pulumi `protect`) and its topics
    (Pulumi `protect`: the topic's own `terminationProtection` input is deprecated)."""
    adopt: bool = False
    """Import the existing service and topics instead of creating them (the project must be a plain string)."""


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
        adopt = args.adopt
        user_config = aiven.KafkaKafkaUserConfigArgs(
            kafka_version=args.kafka_version,
            ip_filter_strings=list(args.ip_filter) if args.ip_filter is not None else None,
            kafka=aiven.KafkaKafkaUserConfigKafkaArgs(
                **to_python_names(PASS_THROUGH_ROOTS["KafkaUserConfigKafka"], dict(args.kafka))
            )
            if args.kafka
            else None,
        )
        window = args.maintenance_window
        self.service = aiven.Kafka(
            f"{name}-kafka",
            project=args.project,
            service_name=args.service_name,
            cloud_name=args.cloud,
            plan=args.plan,
            maintenance_window_dow=window.dow if window else None,
            maintenance_window_time=window.time if window else None,
            kafka_user_config=user_config,
            # Unset when off, as in the recipe: the provider's attribute is optional, not computed,
            # so unsetting it turns Aiven's protection off again.
            termination_protection=True if args.protect else None,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                import_=adoption.service_id(args.project, args.service_name) if adopt else None,
            ),
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
                    import_=adoption.topic_id(args.project, args.service_name, topic) if adopt else None,
                ),
            )

        self.register_outputs({"serviceName": self.service_name, "serviceUri": self.service_uri})
