"""The whole replication topology, built from a validated plan."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pulumi

from replication import adoption
from replication.components.external_cluster import ExternalKafkaCluster, ExternalKafkaClusterArgs
from replication.components.flow import ReplicationFlow, ReplicationFlowArgs
from replication.components.kafka_cluster import KafkaCluster, KafkaClusterArgs
from replication.components.mirrormaker import ClusterAttachment, MirrorMaker, MirrorMakerArgs
from replication.components.renaming import previous
from replication.components.user import UserAccess, UserAccessArgs
from replication.provider_schema import to_wire
from replication.topology import TopologyPlan


@dataclass(frozen=True)
class ReplicationArgs:
    """Inputs of :class:`Replication`."""

    plan: TopologyPlan
    """The validated config, resolved by :func:`replication.topology.plan`."""
    credentials: pulumi.Output[dict[str, str]] | None = None
    """The secret `credentials` config (external clusters' passwords and keys), if any."""


class Replication(pulumi.ComponentResource):
    """Kafka clusters, MirrorMaker services and replication flows of one stack."""

    clusters: dict[str, KafkaCluster]
    """Kafka clusters this stack manages, by alias."""
    external_clusters: dict[str, ExternalKafkaCluster]
    """Clusters outside Aiven, by alias."""
    mirrormakers: dict[str, MirrorMaker]
    """MirrorMaker services, by config key."""
    flows: dict[str, ReplicationFlow]
    """Replication flows, by `<source>->target`."""
    cluster_service_names: pulumi.Output[dict[str, str]]
    """Aiven service name of each managed or existing cluster, by alias."""
    cluster_service_uris: pulumi.Output[dict[str, str]]
    """Service URI of each managed cluster, by alias (secret: it embeds credentials)."""
    mirrormaker_service_names: pulumi.Output[dict[str, str]]
    """Aiven service name of each MirrorMaker, by key."""
    flow_summaries: list[dict[str, Any]]
    """Each flow's endpoints, MirrorMaker, policy and state, for the stack output."""
    expected_topics: dict[str, list[str]]
    """Predicted topics on each cluster once replication has settled, by alias."""
    users: dict[str, UserAccess]
    """Kafka users and their ACL entries, by user name."""
    user_summaries: dict[str, dict[str, Any]]
    """Each user's clusters and ACL entries, for the stack output (no secret in it)."""
    user_passwords: pulumi.Output[dict[str, str]]
    """Each user's password, the same on all its clusters, by user name (secret)."""
    topic_origins: dict[str, dict[str, dict[str, str]]]
    """Why each expected topic is there (declared, copied by a flow from an upstream topic, or heartbeats)."""

    def __init__(self, name: str, args: ReplicationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aiven-kafka-replication:index:Replication", name, None, opts)
        plan = args.plan
        cfg = plan.config
        child = pulumi.ResourceOptions(parent=self)
        adopt = cfg.adopt

        # Services have no dependencies on each other: they are all created in the first wave.
        # A loop, not a comprehension: one frame less on the stack Pulumi records for every topic.
        self.clusters = {}
        for alias, cluster in cfg.clusters.items():
            if not cluster.managed:
                continue
            cloud, plan_name = cluster.placement()
            self.clusters[alias] = KafkaCluster(
                alias,
                KafkaClusterArgs(
                    project=cfg.project,
                    service_name=cluster.resolved_service_name(alias),
                    cloud=cloud,
                    plan=plan_name,
                    kafka_version=cluster.kafka_version,
                    maintenance_window=cluster.maintenance_window,
                    ip_filter=cluster.ip_filter,
                    kafka=to_wire(cluster.kafka),
                    topics=cluster.topics,
                    protect=cfg.protect,
                    adopt=adopt is not None,
                    renamed_from=cluster.renamed_from,
                ),
                _renamed(child, cluster.renamed_from),
            )
        self.external_clusters = {
            alias: ExternalKafkaCluster(
                alias,
                ExternalKafkaClusterArgs(
                    project=cfg.project,
                    endpoint_name=cluster.external.endpoint_name or alias,
                    spec=cluster.external,
                    sasl_username=_credential(args.credentials, cluster.external.sasl_username_credential),
                    sasl_password=_credential(args.credentials, cluster.external.sasl_password),
                    ssl_client_key=_credential(args.credentials, cluster.external.ssl_client_key),
                    import_id=adoption.integration_id(cfg.project, adopt.endpoints[alias]) if adopt else None,
                    renamed_from=cluster.renamed_from,
                ),
                _renamed(child, cluster.renamed_from),
            )
            for alias, cluster in cfg.clusters.items()
            if cluster.external is not None
        }
        # How each cluster is reached: a managed service's name output (so integrations wait for
        # it), an existing service's literal name, or an external endpoint's ID.
        reach: dict[str, ClusterAttachment] = {}
        for alias, cluster in cfg.clusters.items():
            if alias in self.clusters:
                reach[alias] = ClusterAttachment(service_name=self.clusters[alias].service_name)
            elif alias in self.external_clusters:
                reach[alias] = ClusterAttachment(endpoint_id=self.external_clusters[alias].endpoint_id)
            else:
                reach[alias] = ClusterAttachment(service_name=cluster.resolved_service_name(alias))

        self.mirrormakers = {}
        for mm in plan.mirrormakers:
            spec = cfg.mirrormakers[mm.key]
            self.mirrormakers[mm.key] = MirrorMaker(
                mm.key,
                MirrorMakerArgs(
                    project=cfg.project,
                    service_name=mm.service_name,
                    cloud=spec.cloud,
                    plan=spec.plan,
                    maintenance_window=spec.maintenance_window,
                    ip_filter=spec.ip_filter,
                    settings=to_wire(spec.kafka_mirrormaker),
                    attachments={
                        alias: replace(
                            reach[alias],
                            tuning=to_wire(spec.integrations.get(alias)),
                            integration_id=adopt.integrations[mm.key][alias] if adopt else None,
                            renamed_from=cfg.clusters[alias].renamed_from,
                        )
                        for alias in mm.attached
                    },
                    protect=cfg.protect,
                    adopt=adopt is not None,
                ),
                child,
            )

        self.flows = {}
        self.flow_summaries = []
        for mm in plan.mirrormakers:
            runner = self.mirrormakers[mm.key]
            for flow in mm.flows:
                was = {end: cfg.clusters[end].renamed_from for end in (flow.source, flow.target)}
                before = f"{was[flow.source] or flow.source}-to-{was[flow.target] or flow.target}"
                renamed_from = before if any(was.values()) else None
                self.flows[flow.key] = ReplicationFlow(
                    f"{flow.source}-to-{flow.target}",
                    ReplicationFlowArgs(
                        project=cfg.project,
                        mirrormaker_service_name=runner.service_name,
                        source_alias=runner.cluster_aliases[flow.source],
                        target_alias=runner.cluster_aliases[flow.target],
                        spec=flow,
                        import_id=adoption.flow_id(cfg.project, mm.service_name, flow.source, flow.target)
                        if adopt
                        else None,
                        renamed_from=renamed_from,
                    ),
                    _renamed(child, renamed_from),
                )
                self.flow_summaries.append(
                    {
                        "source": flow.source,
                        "target": flow.target,
                        "mirrormaker": mm.key,
                        "replicationPolicy": flow.replication_policy,
                        "enabled": flow.enabled,
                    }
                )

        self.users = {}
        for user in plan.access.users:
            self.users[user.username] = UserAccess(
                f"user-{user.username}",
                UserAccessArgs(
                    project=cfg.project,
                    user=user,
                    service_names={alias: self.clusters[alias].service_name for alias in user.clusters},
                    password=_credential(args.credentials, user.password),
                    renamed_from={a: c.renamed_from for a, c in cfg.clusters.items() if c.renamed_from},
                ),
                child,
            )
        self.user_summaries = {
            user.username: {
                "clusters": list(user.clusters),
                "acls": [
                    {"cluster": a.cluster, "topic": a.topic, "permission": a.permission}
                    | ({"copyOf": {"cluster": a.copy_of[0], "topic": a.copy_of[1]}} if a.copy_of else {})
                    for a in user.acls
                ],
            }
            for user in plan.access.users
        }
        self.user_passwords = pulumi.Output.secret(
            pulumi.Output.all(**{name: u.password for name, u in self.users.items()}).apply(dict)
        )

        self.cluster_service_names = pulumi.Output.all(
            **{alias: r.service_name for alias, r in reach.items() if r.service_name is not None}
        ).apply(dict)
        self.cluster_service_uris = pulumi.Output.secret(
            pulumi.Output.all(**{alias: c.service_uri for alias, c in self.clusters.items()}).apply(dict)
        )
        self.mirrormaker_service_names = pulumi.Output.all(
            **{key: m.service_name for key, m in self.mirrormakers.items()}
        ).apply(dict)
        self.expected_topics = plan.topic_map.as_dict()
        self.topic_origins = plan.topic_map.origins()

        self.register_outputs(
            {
                "clusterServiceNames": self.cluster_service_names,
                "clusterServiceUris": self.cluster_service_uris,
                "mirrormakerServiceNames": self.mirrormaker_service_names,
                "flows": self.flow_summaries,
                "expectedTopics": self.expected_topics,
                "users": self.user_summaries,
                "userPasswords": self.user_passwords,
                "topicOrigins": self.topic_origins,
            }
        )


def _renamed(opts: pulumi.ResourceOptions, previous_name: str | None) -> pulumi.ResourceOptions:
    """`opts`, answering also to the component's name before a cluster rename (`renamedFrom`)."""
    if previous_name is None:
        return opts
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=previous(previous_name)))


def _credential(credentials: pulumi.Output[dict[str, str]] | None, name: str | None) -> pulumi.Output[str] | None:
    if name is None or credentials is None:
        return None
    return credentials.apply(lambda values: values[name])
