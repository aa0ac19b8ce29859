"""A MirrorMaker 2 service on Aiven with one `kafka_mirrormaker` integration per attached cluster."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aiven as aiven

from replication.components.renaming import previous
from replication.components.service import ServiceArgs
from replication.config import IntegrationTuning, MirrorMakerSettings
from replication.provider_schema import PASS_THROUGH_ROOTS, to_python_names, to_wire


@dataclass(frozen=True, kw_only=True)
class ClusterAttachment:
    """How a MirrorMaker reaches one cluster: an Aiven service, or an external endpoint."""

    service_name: pulumi.Input[str] | None = None
    """Aiven service name of the cluster (an output, so the integration waits for the service)."""
    endpoint_id: pulumi.Input[str] | None = None
    """ID of an `external_kafka` integration endpoint, for clusters outside Aiven."""
    tuning: IntegrationTuning | None = None
    """Consumer/producer tuning of this integration; None for the provider's defaults."""
    import_id: str | None = None
    """Import ID of the existing integration, in adopt mode."""
    renamed_from: str | None = None
    """The cluster's previous alias: the integration answers to its name under it too (Pulumi `aliases`)."""


@dataclass(frozen=True, kw_only=True)
class MirrorMakerArgs(ServiceArgs):
    """Inputs of :class:`MirrorMaker`. `protect` covers the service only: integrations hold no data,
    and `protect` would block their delete-before-replace."""

    attachments: Mapping[str, ClusterAttachment]
    """Clusters to integrate, by MirrorMaker alias."""
    settings: MirrorMakerSettings | None = None
    """Service-level settings (`kafka_mirrormaker_user_config.kafka_mirrormaker`); None for the defaults."""


class MirrorMaker(pulumi.ComponentResource):
    """An Aiven for Apache Kafka MirrorMaker 2 service and its cluster integrations."""

    service: aiven.KafkaMirrorMaker
    """The MirrorMaker service."""
    integrations: dict[str, aiven.ServiceIntegration]
    """The `kafka_mirrormaker` integrations, by cluster alias."""
    service_name: pulumi.Output[str]
    """The service's name, resolved once the service exists."""
    cluster_aliases: dict[str, pulumi.Output[str]]
    """Each attached cluster's alias as its integration reports it: flows read it from here, so a
    flow is created only after both of its integrations."""

    def __init__(self, name: str, args: MirrorMakerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aiven-kafka-replication:index:MirrorMaker", name, None, opts)
        settings = to_wire(args.settings)
        self.service = aiven.KafkaMirrorMaker(
            f"{name}-service",
            project=args.project,
            service_name=args.service_name,
            cloud_name=args.cloud,
            plan=args.plan,
            maintenance_window_dow=args.maintenance_dow,
            maintenance_window_time=args.maintenance_time,
            kafka_mirrormaker_user_config=aiven.KafkaMirrorMakerKafkaMirrormakerUserConfigArgs(
                ip_filter_strings=args.ip_filter_strings,
                kafka_mirrormaker=aiven.KafkaMirrorMakerKafkaMirrormakerUserConfigKafkaMirrormakerArgs(
                    **to_python_names(PASS_THROUGH_ROOTS["MirrorMakerSettings"], settings)
                )
                if settings
                else None,
            ),
            termination_protection=args.termination_protection,
            opts=args.service_options(self),
        )
        self.service_name = self.service.service_name

        self.integrations = {}
        self.cluster_aliases = {}
        for alias, attachment in sorted(args.attachments.items()):
            tuning = to_wire(attachment.tuning)
            integration = aiven.ServiceIntegration(
                f"{name}-integration-{alias}",
                project=args.project,
                integration_type="kafka_mirrormaker",
                source_service_name=attachment.service_name,
                source_endpoint_id=attachment.endpoint_id,
                destination_service_name=self.service.service_name,
                kafka_mirrormaker_user_config=aiven.ServiceIntegrationKafkaMirrormakerUserConfigArgs(
                    cluster_alias=alias,
                    kafka_mirrormaker=aiven.ServiceIntegrationKafkaMirrormakerUserConfigKafkaMirrormakerArgs(
                        **to_python_names(PASS_THROUGH_ROOTS["IntegrationTuning"], tuning)
                    )
                    if tuning
                    else None,
                ),
                # Aiven allows one kafka_mirrormaker integration per (cluster, MirrorMaker) pair, so
                # a replacement must delete the old one first.
                opts=pulumi.ResourceOptions(
                    parent=self,
                    delete_before_replace=True,
                    import_=attachment.import_id,
                    aliases=previous(attachment.renamed_from and f"{name}-integration-{attachment.renamed_from}"),
                ),
            )
            self.integrations[alias] = integration
            self.cluster_aliases[alias] = integration.kafka_mirrormaker_user_config.apply(
                functools.partial(_reported_alias, declared=alias)
            )

        self.register_outputs({"serviceName": self.service_name, "clusterAliases": self.cluster_aliases})


def _reported_alias(cfg: aiven.outputs.ServiceIntegrationKafkaMirrormakerUserConfig | None, declared: str) -> str:
    reported = cfg.cluster_alias if cfg is not None else None
    if reported != declared:
        raise ValueError(f"integration reports cluster alias {reported!r}, expected {declared!r}")
    return declared
