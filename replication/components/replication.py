"""The public component: the whole replication topology of one stack, from its config as Args.

The Python program and the component package (other languages, through the provider in
`provider/`) construct this same component. It validates its Args with the stack config model
before declaring anything, so both report the same one-line errors.
"""

# No `from __future__ import annotations`: the package schema is read from these annotations at run time.
import inspect
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pulumi

from replication import adoption, config, config_keys, duplicate_copies, failover, topic_refresh, topology
from replication import monitoring as metrics
from replication.args import ReplicationArgs
from replication.components.external_cluster import ExternalKafkaCluster, ExternalKafkaClusterArgs
from replication.components.flow import ReplicationFlow, ReplicationFlowArgs
from replication.components.kafka_cluster import KafkaCluster, KafkaClusterArgs
from replication.components.mirrormaker import ClusterAttachment, MirrorMaker, MirrorMakerArgs
from replication.components.monitoring import Monitoring, MonitoringArgs
from replication.components.renaming import previous
from replication.components.user import UserAccess, UserAccessArgs
from replication.topicmap import TopologyError

# Stand-ins for values only known after `up`, so that validation can run at preview. They never
# reach a resource: resources take the Args' own values.
_UNKNOWN_PROJECT = "project-known-after-up"
# A secret's stand-in carries the offline engine's prefix, so Aiven's value checks skip it as they
# skip the engine's: the real value is checked where it is known.
_UNKNOWN_SECRET = f"{config.OFFLINE_SECRET_PREFIX}secret-known-after-up"


class InvalidArgs(pulumi.RunError):
    """Args that do not describe a valid topology, raised before anything is declared. As a
    RunError, Pulumi prints the message only: one line per issue, naming the key path and value."""

    def __init__(self, error: config.ConfigError | TopologyError) -> None:
        self.error = error
        super().__init__(f"invalid Replication args:\n{error}")


def load(args: ReplicationArgs) -> topology.Topology:
    """Validate the Args with the stack config model and resolve the topology, or raise :class:`InvalidArgs`."""
    raw = config_keys.to_config(dict(args))
    try:
        if _unknown(raw.get("project")):
            if raw.get("adopt") is not None:
                raise config.ConfigError([config.ConfigIssue(
                    "project", "must be a plain string with adopt, not an output: the import IDs are built from it"
                )])
            raw["project"] = _UNKNOWN_PROJECT
        credentials = raw.get("credentials")
        if _unknown(credentials):
            raise config.ConfigError([config.ConfigIssue(
                "credentials", "must be a map whose names are known at preview; only its values may be outputs"
            )])
        if isinstance(credentials, dict):
            raw["credentials"] = {k: _UNKNOWN_SECRET if _unknown(v) else v for k, v in credentials.items()}
        return topology.resolve(config.parse(raw))
    except (config.ConfigError, TopologyError) as err:
        raise InvalidArgs(err) from None


def _unknown(value: Any) -> bool:
    """Whether a value is an Output or awaitable: known after `up`, or secret."""
    return isinstance(value, pulumi.Output) or inspect.isawaitable(value)


class Replication(pulumi.ComponentResource):
    """Cross-cluster Kafka replication on Aiven: clusters, topics, MirrorMaker 2 services, flows, users and ACLs."""

    cluster_service_names: pulumi.Output[dict[str, str]]
    """Aiven service name of each managed or existing cluster, by alias."""
    cluster_service_uris: pulumi.Output[dict[str, str]]
    """Service URI of each managed cluster, by alias (secret: it embeds credentials)."""
    mirrormaker_service_names: pulumi.Output[dict[str, str]]
    """Aiven service name of each MirrorMaker, by key."""
    flows: list[dict[str, Any]]
    """Each flow's `source`, `target`, `mirrormaker`, `replicationPolicy` and `enabled`."""
    expected_topics: dict[str, list[str]]
    """Predicted topics on each cluster once replication has settled, by alias."""
    users: dict[str, dict[str, Any]]
    """Each user's `clusters` and `acls` (cluster, topic, permission, and `copyOf` on copies), by user name."""
    user_passwords: pulumi.Output[dict[str, str]]
    """Each user's password, the same on all its clusters, by user name (secret)."""
    topic_origins: dict[str, dict[str, dict[str, str]]]
    """Why each expected topic is there, by alias and topic: its `kind` (`declared`, `replicated`,
    `heartbeats`), and the `flow` and `upstream` topic it is copied from (`diff` reads it)."""
    replication_lag_metrics: dict[str, list[dict[str, Any]]]
    """For each flow, the replication-lag metric to alert on in each `monitoring` destination: `system`,
    `destination`, `metric`, `filter`, `flowKey`, and `unverified` (what no public source confirms); an
    empty list without `monitoring`."""
    failover_map: dict[str, Any]
    """For each cluster assumed lost, where each of its topics survives: `clusters`, `warnings`,
    `protected` (`python -m replication failover --stack S` prints it)."""

    def __init__(self, name: str, args: ReplicationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        resolved = load(args)
        super().__init__("aiven-kafka-replication:index:Replication", name, None, opts)
        cfg = resolved.config
        warnings = [*config.safety_warnings(cfg), *resolved.crossing_warnings, *resolved.topic_warnings,
                    *resolved.access.warnings, *config.schema_warnings(cfg), *topic_refresh.warnings(cfg),
                    *config.tiered_storage_warnings(cfg)]
        for warning in warnings:
            pulumi.log.warn(str(warning), resource=self)
        # The Args' own project and credentials: either may be an output (a secret), which the
        # validated config only holds a stand-in for.
        project: pulumi.Input[str] = args["project"]
        credentials: Mapping[str, pulumi.Input[str]] = args.get("credentials", {})
        child = pulumi.ResourceOptions(parent=self)
        adopt = cfg.adopt

        # Services have no dependencies on each other: they are all created in the first wave.
        # A loop, not a comprehension: one frame less on the stack Pulumi records for every topic.
        self.clusters: dict[str, KafkaCluster] = {}
        for alias, cluster in cfg.clusters.items():
            if not cluster.managed:
                continue
            cloud, plan_name = cluster.placement()
            service_name = cluster.resolved_service_name(alias)
            self.clusters[alias] = KafkaCluster(
                alias,
                KafkaClusterArgs(
                    project=project,
                    service_name=service_name,
                    cloud=cloud,
                    plan=plan_name,
                    kafka_version=cluster.kafka_version,
                    maintenance_window=cluster.maintenance_window,
                    ip_filter=cluster.ip_filter,
                    kafka=cluster.kafka,
                    tiered_storage=cluster.tiered_storage.enabled if cluster.tiered_storage else None,
                    topics=cluster.topics,
                    protect=cfg.protect,
                    import_id=adoption.service_id(project, service_name) if adopt else None,
                    topic_import_ids={t: adoption.topic_id(project, service_name, t) for t in cluster.topics}
                    if adopt
                    else {},
                    renamed_from=cluster.renamed_from,
                ),
                _renamed(child, cluster.renamed_from),
            )
        self.external_clusters: dict[str, ExternalKafkaCluster] = {
            alias: ExternalKafkaCluster(
                alias,
                ExternalKafkaClusterArgs(
                    project=project,
                    endpoint_name=cluster.external.endpoint_name or alias,
                    spec=cluster.external,
                    sasl_username=_credential(credentials, cluster.external.sasl_username_credential),
                    sasl_password=_credential(credentials, cluster.external.sasl_password),
                    ssl_client_key=_credential(credentials, cluster.external.ssl_client_key),
                    import_id=adoption.integration_id(project, adopt.endpoints[alias]) if adopt else None,
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

        self.mirrormakers: dict[str, MirrorMaker] = {}
        for mm in resolved.mirrormakers:
            spec = cfg.mirrormakers[mm.key]
            self.mirrormakers[mm.key] = MirrorMaker(
                mm.key,
                MirrorMakerArgs(
                    project=project,
                    service_name=mm.service_name,
                    cloud=spec.cloud,
                    plan=spec.plan,
                    maintenance_window=spec.maintenance_window,
                    ip_filter=spec.ip_filter,
                    settings=spec.kafka_mirrormaker,
                    attachments={
                        alias: replace(
                            reach[alias],
                            tuning=spec.integrations.get(alias),
                            import_id=adoption.integration_id(project, adopt.integrations[mm.key][alias])
                            if adopt
                            else None,
                            renamed_from=cfg.clusters[alias].renamed_from,
                        )
                        for alias in mm.attached
                    },
                    protect=cfg.protect,
                    import_id=adoption.service_id(project, mm.service_name) if adopt else None,
                ),
                child,
            )

        self.flow_resources: dict[str, ReplicationFlow] = {}
        self.flows = []
        for mm in resolved.mirrormakers:
            runner = self.mirrormakers[mm.key]
            for flow in mm.flows:
                was = {end: cfg.clusters[end].renamed_from for end in (flow.source, flow.target)}
                before = f"{was[flow.source] or flow.source}-to-{was[flow.target] or flow.target}"
                renamed_from = before if any(was.values()) else None
                self.flow_resources[flow.key] = ReplicationFlow(
                    f"{flow.source}-to-{flow.target}",
                    ReplicationFlowArgs(
                        project=project,
                        mirrormaker_service_name=runner.service_name,
                        source_alias=runner.cluster_aliases[flow.source],
                        target_alias=runner.cluster_aliases[flow.target],
                        spec=flow,
                        import_id=adoption.flow_id(project, mm.service_name, flow.source, flow.target)
                        if adopt
                        else None,
                        renamed_from=renamed_from,
                    ),
                    _renamed(child, renamed_from),
                )
                self.flows.append(
                    {
                        "source": flow.source,
                        "target": flow.target,
                        "mirrormaker": mm.key,
                        "replicationPolicy": flow.replication_policy,
                        "enabled": flow.enabled,
                    }
                )

        self.user_resources: dict[str, UserAccess] = {}
        for user in resolved.access.users:
            self.user_resources[user.username] = UserAccess(
                f"user-{user.username}",
                UserAccessArgs(
                    project=project,
                    user=user,
                    service_names={alias: self.clusters[alias].service_name for alias in user.clusters},
                    password=_credential(credentials, user.password),
                    renamed_from={a: c.renamed_from for a, c in cfg.clusters.items() if c.renamed_from},
                ),
                child,
            )
        self.users = {
            user.username: {
                "clusters": list(user.clusters),
                "acls": [
                    {"cluster": a.cluster, "topic": a.topic, "permission": a.permission}
                    | ({"copyOf": {"cluster": a.copy_of[0], "topic": a.copy_of[1]}} if a.copy_of else {})
                    for a in user.acls
                ],
            }
            for user in resolved.access.users
        }
        self.user_passwords = pulumi.Output.secret(
            pulumi.Output.all(**{name: u.password for name, u in self.user_resources.items()}).apply(dict)
        )

        # Metrics of every service this stack creates, with `monitoring`.
        self.monitoring: Monitoring | None = None
        mon = cfg.monitoring
        if mon is not None:
            names: dict[str, pulumi.Input[str]] = {f"kafka-{a}": c.service_name for a, c in self.clusters.items()}
            names |= {f"mirrormaker-{k}": m.service_name for k, m in self.mirrormakers.items()}
            self.monitoring = Monitoring(
                "monitoring",
                MonitoringArgs(
                    project=project,
                    spec=mon,
                    destinations=metrics.destinations(cfg),
                    services=metrics.monitored_services(cfg),
                    service_names=names,
                    prometheus_password=_credential(
                        credentials, mon.prometheus.basic_auth_password if mon.prometheus else None
                    ),
                    datadog_api_key=_credential(credentials, mon.datadog.api_key if mon.datadog else None),
                ),
                child,
            )
        self.replication_lag_metrics = metrics.lag_metrics(cfg)
        duplicates = [d.message() for d in duplicate_copies.duplicate_flows(resolved.lineage)]
        fmap = failover.build(cfg, resolved.lineage, resolved.access, self.replication_lag_metrics, duplicates)
        self.failover_map = fmap.as_dict()
        for line in fmap.warnings():
            pulumi.log.warn(line, resource=self)

        self.cluster_service_names = pulumi.Output.all(
            **{alias: r.service_name for alias, r in reach.items() if r.service_name is not None}
        ).apply(dict)
        self.cluster_service_uris = pulumi.Output.secret(
            pulumi.Output.all(**{alias: c.service_uri for alias, c in self.clusters.items()}).apply(dict)
        )
        self.mirrormaker_service_names = pulumi.Output.all(
            **{key: m.service_name for key, m in self.mirrormakers.items()}
        ).apply(dict)
        self.expected_topics = resolved.topic_map.as_dict()
        self.topic_origins = resolved.topic_map.origins()

        # The two per-topic reports (topicOrigins, failoverMap) are attributes, stack outputs and
        # the package's outputs, but not recorded again in the component's state: the SDK
        # serialises registered outputs value by value, and those 100,000 values at 1,200 topics
        # cost more than the rest of the component (benchmarks/README.md).
        self.register_outputs(
            {
                "clusterServiceNames": self.cluster_service_names,
                "clusterServiceUris": self.cluster_service_uris,
                "mirrormakerServiceNames": self.mirrormaker_service_names,
                "flows": self.flows,
                "expectedTopics": self.expected_topics,
                "users": self.users,
                "userPasswords": self.user_passwords,
                "replicationLagMetrics": self.replication_lag_metrics,
            }
        )


def _renamed(opts: pulumi.ResourceOptions, previous_name: str | None) -> pulumi.ResourceOptions:
    """`opts`, answering also to the component's name before a cluster rename (`renamedFrom`)."""
    if previous_name is None:
        return opts
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=previous(previous_name)))


def _credential(credentials: Mapping[str, pulumi.Input[str]], name: str | None) -> pulumi.Output[str] | None:
    # Validation checked that the name is there; the value stays a secret Output end to end.
    return None if name is None else pulumi.Output.secret(credentials[name])
