"""Metrics of every Kafka and MirrorMaker service of the stack, sent to Prometheus, Datadog or an existing endpoint."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aiven as aiven

from replication import adoption
from replication.components.renaming import previous
from replication.config import MonitoringSpec
from replication.monitoring import DATADOG_LAG_METRIC, Destination, MonitoredService


@dataclass(frozen=True)
class MonitoringArgs:
    """Inputs of :class:`Monitoring`."""

    project: pulumi.Input[str]
    """Aiven project of the services and endpoints."""
    spec: MonitoringSpec
    """The validated `monitoring` config."""
    destinations: Sequence[Destination]
    """Where metrics go, from :func:`replication.monitoring.destinations`."""
    services: Sequence[MonitoredService]
    """Services to integrate, from :func:`replication.monitoring.monitored_services`."""
    service_names: Mapping[str, pulumi.Input[str]]
    """Service name of each service by `<kind>-<key>`: outputs, so each integration waits for its service."""
    prometheus_password: pulumi.Input[str] | None = None
    """Basic-auth password of the Prometheus endpoint (a secret Output from `credentials`)."""
    datadog_api_key: pulumi.Input[str] | None = None
    """Datadog API key (a secret Output from `credentials`)."""


class Monitoring(pulumi.ComponentResource):
    """Integration endpoints for the configured destinations, and one metrics integration per
    service and destination. MirrorMakers integrated with Datadog also send the per-flow
    replication lag."""

    endpoints: dict[str, aiven.ServiceIntegrationEndpoint]
    """Endpoints this stack creates, by destination key (`prometheus`, `datadog`)."""
    integrations: dict[str, aiven.ServiceIntegration]
    """Metrics integrations, by `<destination>-<kind>-<key>`."""
    endpoint_ids: dict[str, pulumi.Output[str]]
    """ID (`project/endpoint_id`) of every destination's endpoint, by destination key."""

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aiven-kafka-replication:index:Monitoring", name, None, opts)
        spec = args.spec
        self.endpoints = {}
        self.endpoint_ids = {}
        for dest in args.destinations:
            if dest.endpoint_id is not None:
                # The provider reads `project/endpoint_id` and would drop a bare UUID.
                self.endpoint_ids[dest.key] = pulumi.Output.from_input(
                    adoption.integration_id(args.project, dest.endpoint_id)
                )
                continue
            if dest.kind == "prometheus" and spec.prometheus is not None:
                endpoint = aiven.ServiceIntegrationEndpoint(
                    f"{name}-prometheus",
                    project=args.project,
                    endpoint_name=spec.prometheus.endpoint_name,
                    endpoint_type="prometheus",
                    prometheus_user_config=aiven.ServiceIntegrationEndpointPrometheusUserConfigArgs(
                        basic_auth_username=spec.prometheus.basic_auth_username,
                        basic_auth_password=_secret(args.prometheus_password),
                    ),
                    opts=pulumi.ResourceOptions(parent=self),
                )
            elif dest.kind == "datadog" and spec.datadog is not None and args.datadog_api_key is not None:
                endpoint = aiven.ServiceIntegrationEndpoint(
                    f"{name}-datadog",
                    project=args.project,
                    endpoint_name=spec.datadog.endpoint_name,
                    endpoint_type="datadog",
                    datadog_user_config=aiven.ServiceIntegrationEndpointDatadogUserConfigArgs(
                        datadog_api_key=pulumi.Output.secret(args.datadog_api_key),
                        site=spec.datadog.site,
                    ),
                    opts=pulumi.ResourceOptions(parent=self),
                )
            else:
                raise ValueError(f"monitoring destination {dest.key!r} is not configured")
            self.endpoints[dest.key] = endpoint
            self.endpoint_ids[dest.key] = endpoint.id

        self.integrations = {}
        for dest in args.destinations:
            for service in args.services:
                key = f"{dest.key}-{service.kind}-{service.key}"
                lag = dest.kind == "datadog" and service.kind == "mirrormaker"
                self.integrations[key] = aiven.ServiceIntegration(
                    f"{name}-{key}",
                    project=args.project,
                    integration_type=dest.kind,
                    source_service_name=args.service_names[f"{service.kind}-{service.key}"],
                    destination_endpoint_id=self.endpoint_ids[dest.key],
                    datadog_user_config=aiven.ServiceIntegrationDatadogUserConfigArgs(
                        mirrormaker_custom_metrics=[DATADOG_LAG_METRIC]
                    )
                    if lag
                    else None,
                    # One integration of a type per service and endpoint: a replacement deletes the old first.
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        delete_before_replace=True,
                        aliases=previous(f"{name}-{dest.key}-{service.kind}-{service.renamed_from}")
                        if service.renamed_from
                        else None,
                    ),
                )
        self.register_outputs({"endpointIds": self.endpoint_ids})


def _secret(value: pulumi.Input[str] | None) -> pulumi.Output[str] | None:
    return None if value is None else pulumi.Output.secret(value)
