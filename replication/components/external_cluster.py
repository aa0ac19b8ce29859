"""A Kafka cluster outside Aiven, reachable by MirrorMaker through an `external_kafka` endpoint."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aiven as aiven

from replication.components.renaming import previous
from replication.config import ExternalKafkaSpec


@dataclass(frozen=True, kw_only=True)
class ExternalKafkaClusterArgs:
    """Inputs of :class:`ExternalKafkaCluster`."""

    project: pulumi.Input[str]
    """Aiven project that holds the endpoint."""
    endpoint_name: str
    """Name of the integration endpoint."""
    spec: ExternalKafkaSpec
    """How to reach the cluster."""
    sasl_username: pulumi.Input[str] | None = None
    """SASL user name from `credentials` (a secret Output), instead of the spec's plain `saslUsername`."""
    sasl_password: pulumi.Input[str] | None = None
    """SASL password (a secret Output), with SASL_SSL."""
    ssl_client_key: pulumi.Input[str] | None = None
    """Client certificate key (a secret Output), for mutual TLS."""
    import_id: str | None = None
    """Import ID of the existing endpoint in adopt mode: `project/endpoint_id`."""
    renamed_from: str | None = None
    """The component's previous name (the cluster's previous alias): the endpoint answers to its
    name under it too (Pulumi `aliases`)."""


class ExternalKafkaCluster(pulumi.ComponentResource):
    """An `external_kafka` service integration endpoint for a self-hosted, MSK or other Kafka cluster."""

    endpoint: aiven.ServiceIntegrationEndpoint
    """The integration endpoint."""
    endpoint_id: pulumi.Output[str]
    """The endpoint's ID, which a `kafka_mirrormaker` integration refers to."""

    def __init__(
        self, name: str, args: ExternalKafkaClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("aiven-kafka-replication:index:ExternalKafkaCluster", name, None, opts)
        spec = args.spec
        self.endpoint = aiven.ServiceIntegrationEndpoint(
            f"{name}-endpoint",
            project=args.project,
            endpoint_name=args.endpoint_name,
            endpoint_type="external_kafka",
            external_kafka_user_config=aiven.ServiceIntegrationEndpointExternalKafkaUserConfigArgs(
                bootstrap_servers=",".join(spec.bootstrap_servers),
                security_protocol=spec.security_protocol,
                sasl_mechanism=spec.sasl_mechanism,
                sasl_plain_username=spec.sasl_username if args.sasl_username is None else _secret(args.sasl_username),
                # Secret inputs stay secret Outputs end to end; never resolved to plain strings here.
                sasl_plain_password=_secret(args.sasl_password),
                ssl_ca_cert=spec.ssl_ca_cert,
                ssl_client_cert=spec.ssl_client_cert,
                ssl_client_key=_secret(args.ssl_client_key),
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                import_=args.import_id,
                aliases=previous(args.renamed_from and f"{args.renamed_from}-endpoint"),
            ),
        )
        self.endpoint_id = self.endpoint.id
        self.register_outputs({"endpointId": self.endpoint_id})


def _secret(value: pulumi.Input[str] | None) -> pulumi.Output[str] | None:
    return None if value is None else pulumi.Output.secret(value)
